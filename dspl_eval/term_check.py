"""The term checked as a whole, before anything is called ready to send.

Ingestion reads the files it finds in ``raw/<term>/<initiative>/``; this module looks at
what it would *not* find or could not read:

- no ``raw/<term>`` folder at all, or no return for any requested initiative;
- a requested initiative with no folder, or an empty one;
- a folder whose name differs from an initiative key only in case or spacing
  (``EBSA``, ``" ebsa "``): its files are not read;
- any other folder with files in it, and files left loose in ``raw/<term>/`` (other
  than ``costs.csv``): not read either;
- files ingestion could not read (``validation.json`` records ``error`` per file), and a
  ``costs.csv`` with problems.

Each problem is a :class:`TermProblem` with two wordings: ``line`` for the analyst's
terminal (it names the file or folder under ``raw/<term>/``) and ``public`` for pages (no
file names, no paths: returns are "Return 1", "Return 2", … in file-name order).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dspl_eval.initiatives import INITIATIVES
from dspl_eval.paths import check_term, processed_dir, raw_dir

__all__ = [
    "TermProblem",
    "check_ingested",
    "check_layout",
    "return_labels",
]

COSTS_FILE = "costs.csv"
_IGNORED_NAMES = {"readme.md", "readme.txt", ".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class TermProblem:
    """One thing wrong with a term's returns.

    ``kind`` is one of ``no-term-folder``, ``no-returns``, ``missing-folder``,
    ``empty-folder``, ``misnamed-folder``, ``unknown-folder``, ``loose-file``,
    ``not-read``, ``costs``. ``fatal`` problems stop a run before any report is built.
    """

    kind: str
    line: str
    public: str
    initiative: str | None = None
    fatal: bool = False

    def __str__(self) -> str:
        return self.line


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "~$")) or path.name.lower() in _IGNORED_NAMES


def _files_in(folder: Path) -> list[Path]:
    """Files of a folder, as ingestion would see them (hidden and lock files left out)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not _ignored(p))


def _squash(name: str) -> str:
    return "".join(name.split()).lower()


def _requested(initiatives: Iterable[str] | None) -> list[str]:
    return list(initiatives) if initiatives else list(INITIATIVES)


def check_layout(
    data: Path, term: str, initiatives: Iterable[str] | None = None
) -> list[TermProblem]:
    """Problems with the folders and files of ``raw/<term>/`` (nothing is read or written).

    ``initiatives`` are the ones requested (default: all); a missing or empty folder
    counts only for those.
    """
    check_term(term)
    source = raw_dir(data, term)
    where = f"raw/{term}"
    requested = _requested(initiatives)
    if not source.is_dir():
        return [
            TermProblem(
                "no-term-folder",
                f"{where}: no such folder ({source.resolve()}): there are no returns for "
                f"{term}; put each return in {where}/<initiative>/ and run again",
                f"No returns were found for {term}.",
                fatal=True,
            )
        ]
    problems: list[TermProblem] = []
    keys = ", ".join(INITIATIVES)
    entries = sorted(p for p in source.iterdir() if not _ignored(p))
    folders = {p.name: p for p in entries if p.is_dir()}
    misnamed: dict[str, list[str]] = {}
    for name, folder in folders.items():
        if name in INITIATIVES:
            continue
        count = len(_files_in(folder))
        squashed = _squash(name)
        if squashed in INITIATIVES:
            misnamed.setdefault(squashed, []).append(name)
            problems.append(
                TermProblem(
                    "misnamed-folder",
                    f"{where}/{name!r}: looks like the {squashed} returns, but the folder must "
                    f"be named exactly {squashed!r}: its {_files(count)} not read; "
                    "rename the folder (or move the files) and run again",
                    f"A folder of {INITIATIVES[squashed].title} returns was misnamed, "
                    f"so its {_files(count)} not read.",
                    squashed,
                )
            )
        elif count:
            problems.append(
                TermProblem(
                    "unknown-folder",
                    f"{where}/{name!r}: not an initiative folder (expected {keys}): its "
                    f"{_files(count)} not read; move them into the right folder",
                    f"A folder that is not an initiative's held {_files(count)} not read.",
                )
            )
    for path in (p for p in entries if p.is_file()):
        if path.name == COSTS_FILE:
            continue
        hint = (
            f"rename it to {COSTS_FILE}"
            if path.name.lower() == COSTS_FILE
            else f"move it into the folder of its initiative ({keys})"
        )
        problems.append(
            TermProblem(
                "loose-file",
                f"{where}/{path.name}: a file outside any initiative folder was not read: "
                f"{hint} and run again",
                "A file was left outside the initiative folders, so it was not read.",
            )
        )
    with_returns = 0
    for key in requested:
        title = INITIATIVES[key].title
        folder = source / key
        if key in folders and _files_in(folder):
            with_returns += 1
            continue
        if key in misnamed and key not in folders:
            continue  # the misnamed folder's line says it
        if key not in folders:
            problems.append(
                TermProblem(
                    "missing-folder",
                    f"{where}/{key}/: no such folder, so there are no {key} returns this "
                    f"term: put them in {where}/{key}/ (or leave {key} out with --initiative)",
                    f"No {title} returns were found for {term}.",
                    key,
                )
            )
        else:
            problems.append(
                TermProblem(
                    "empty-folder",
                    f"{where}/{key}/: the folder is empty, so there are no {key} returns this term",
                    f"No {title} returns were found for {term}.",
                    key,
                )
            )
    if not with_returns:
        problems.append(
            TermProblem(
                "no-returns",
                f"{where}: no returns for {', '.join(requested)}: nothing to report",
                f"No returns were found for {term}.",
                fatal=True,
            )
        )
    return problems


def _files(count: int) -> str:
    """``"1 file was"``, ``"3 files were"``."""
    return f"{count} file was" if count == 1 else f"{count} files were"


def _validation(data: Path, term: str) -> dict:
    path = processed_dir(data, term) / "validation.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def return_labels(files: Iterable[dict], initiative: str) -> dict[str, str]:
    """``{file name: "Return N"}`` for one initiative's returns, numbered in file-name
    order (the order of the files in their folder), so the numbering is stable."""
    names = sorted({str(f["file"]) for f in files if f.get("initiative") == initiative})
    return {name: f"Return {i}" for i, name in enumerate(names, start=1)}


def check_ingested(
    data: Path, term: str, initiatives: Iterable[str] | None = None
) -> list[TermProblem]:
    """Files ingestion could not read (and costs problems), from ``validation.json``."""
    document = _validation(data, term)
    files = document.get("files") or []
    problems: list[TermProblem] = []
    for key in _requested(initiatives):
        labels = return_labels(files, key)
        for entry in files:
            if entry.get("initiative") != key or not entry.get("error"):
                continue
            label = labels[str(entry["file"])]
            problems.append(
                TermProblem(
                    "not-read",
                    f"raw/{term}/{key}/{entry['file']}: NOT READ — {entry['error']}",
                    f"{INITIATIVES[key].title}: {label} could not be read, so its rows are "
                    "not in the report. Ask for a corrected copy, then run the term again.",
                    key,
                )
            )
    costs_error = (document.get("costs") or {}).get("error")
    if costs_error:
        problems.append(
            TermProblem(
                "costs",
                f"raw/{term}/{COSTS_FILE}: {costs_error}",
                "The costs table has problems, so some costs may be missing. Correct it, "
                "then run the term again.",
            )
        )
    return problems
