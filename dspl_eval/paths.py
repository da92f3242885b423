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


EDITIONS = ("commissioner", "analyst")


def check_edition(edition: str) -> str:
    """Return ``edition`` if it is ``commissioner`` or ``analyst``; else raise ConfigError."""
    if edition not in EDITIONS:
        raise ConfigError(f"audience {edition!r}: expected commissioner or analyst")
    return edition


def reports_dir(reports: Path, term: str) -> Path:
    """``reports/<term>``: holds the packs and the working files, never sent as a whole."""
    return Path(reports) / check_term(term)


def edition_dir(reports: Path, term: str, edition: str) -> Path:
    """``reports/<term>/<edition>``: the published pack of one edition (what is sent)."""
    return reports_dir(reports, term) / check_edition(edition)


def work_dir(reports: Path, term: str, edition: str) -> Path:
    """``reports/<term>/work/<edition>``: executed notebooks and logs, never sent."""
    return reports_dir(reports, term) / "work" / check_edition(edition)


def staging_dir(reports: Path, term: str, edition: str, pid: int) -> Path:
    """Where one run builds its pack before publishing it by renaming the folder."""
    return reports_dir(reports, term) / f".staging-{check_edition(edition)}-{pid}"


def unpublished_dir(reports: Path, term: str, edition: str) -> Path:
    """A pack that was built but not published (the audit failed), kept to inspect."""
    return reports_dir(reports, term) / f"unpublished-{check_edition(edition)}"


def is_demo(data: Path) -> bool:
    """True when ``data`` holds synthetic demo data written by ``dspl-eval demo``."""
    return (Path(data) / "raw" / DEMO_MARKER).is_file()
