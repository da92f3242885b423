"""Where things live. Paths come from the package's own location, never the working directory."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

from dspl_eval.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the repository in a clone; site-packages when installed
#: the report notebooks, shipped inside the package (read-only originals: ``dspl-eval lab``
#: works on a copy in the data area, so autosave never writes into the package or the repo)
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_DATA = Path("data")
DEFAULT_REPORTS = Path("reports")
DEMO_DATA = Path("data/demo")
DEMO_REPORTS = Path("reports/demo")
DEMO_MARKER = "DEMO_DATA.txt"
#: where ``dspl-eval lab`` puts its working copy of the notebooks, under the data root
LAB_FOLDER = "notebooks"
#: the run lock in ``reports/<term>/`` (pid and start time of the run holding it)
LOCK_NAME = ".dspl-eval.lock"
KEY_FILE_ENV = "DSPL_EVAL_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/dspl-eval/key")

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


def key_file() -> Path:
    """The pseudonymisation key file: ``$DSPL_EVAL_KEY_FILE``, else ``~/.config/dspl-eval/key``."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def lab_dir(data: Path) -> Path:
    """The working copy of the notebooks for ``dspl-eval lab``: ``<data>/notebooks``."""
    return Path(data) / LAB_FOLDER


def lock_file(reports: Path, term: str) -> Path:
    """``reports/<term>/.dspl-eval.lock``: one run at a time on a term's folder."""
    return reports_dir(reports, term) / LOCK_NAME


def interrupted_message(reports: Path, term: str, edition: str) -> str:
    """The one line printed on Ctrl-C, naming the term and edition it stopped (packs of
    other terms finished before it stand) and when the pack left in place was published."""
    target = edition_dir(reports, term, edition)
    stamp = target / "index.html"
    if not stamp.is_file():
        stamp = target
    what = f"interrupted: nothing of {term}'s {edition} edition was published"
    try:
        when = datetime.datetime.fromtimestamp(stamp.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return f"{what}; it had no pack yet"
    return f"{what}; its last pack, from {when}, is unchanged"


def is_demo(data: Path) -> bool:
    """True when ``data`` holds synthetic demo data written by ``dspl-eval demo``."""
    return (Path(data) / "raw" / DEMO_MARKER).is_file()
