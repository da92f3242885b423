"""Where things live. Paths come from the package's own location, never the working directory."""

from __future__ import annotations

import re
from pathlib import Path

from dspl_eval.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEFAULT_DATA = Path("data")
DEFAULT_REPORTS = Path("reports")
DEMO_DATA = Path("data/demo")
DEMO_REPORTS = Path("reports/demo")
DEMO_MARKER = "DEMO_DATA.txt"

TERM_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(autumn|spring|summer)$")
TERMS_IN_ORDER = ("autumn", "spring", "summer")


def check_term(term: str) -> str:
    """Return ``term`` if it is named ``YYYY-YY-autumn|spring|summer``; else raise ConfigError."""
    match = TERM_PATTERN.match(term or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ConfigError(
            f"term {term!r} is not of the form YYYY-YY-autumn|spring|summer (e.g. 2023-24-spring)"
        )
    return term


def raw_dir(data: Path, term: str) -> Path:
    return Path(data) / "raw" / check_term(term)


def processed_dir(data: Path, term: str) -> Path:
    return Path(data) / "processed" / check_term(term)


def reports_dir(reports: Path, term: str) -> Path:
    return Path(reports) / check_term(term)


def is_demo(data: Path) -> bool:
    """True when ``data`` holds synthetic demo data written by ``dspl-eval demo``."""
    return (Path(data) / "raw" / DEMO_MARKER).is_file()
