"""Feedback for each school: one small workbook per school per term listing only that
school's problems, ready to email back.

The facts are the quarantine list's (``processed/<term>/<key>_quarantine.csv``: file,
sheet, row, column, the header as the school wrote it, the value, the reason), for that
school's own returns only, with what to write instead. No UPN, name or pseudonym is in
it: the school knows its rows by file, sheet and row, and identifying values are already
withheld by ingestion (``(withheld: upn)``).

Whose return is it: the school its kept rows name, when they name one school (through the
settings' declared spellings); otherwise the return is a service's or a cohort's and its
workbook is named after the return itself. Workbooks go to
``reports/<term>/analyst/feedback/<school>/<term> feedback.xlsx``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dspl_eval.initiatives import INITIATIVES
from dspl_eval.tracker import _settings, canonical

COLUMNS = ("Return", "File", "Sheet", "Row", "Column", "Value", "Problem", "What to write instead")
KEY_ROWS = ("initiative", "file", "sheet", "row", "column", "reason")

_FIXES = (
    (r"^no identifier", "Give the pupil's UPN (or your own reference for them) in this row."),
    (r"UPN whose check letter", "Check the UPN against your MIS: its first letter is wrong."),
    (r"^a Total or summary row", "Nothing: delete this row (totals are worked out for you)."),
    (r"^second row for the same", "Keep one row per child: merge this row into the first one."),
    (r"^expected a real date", "A real date, day first, as dd/mm/yyyy (e.g. 03/10/2023)."),
    (r"^expected a number", "A number only (no words), or leave it blank if not known."),
    (r"^out of range: expected from (\S+) to (\S+)", "A number from {0} to {1}."),
    (r"^expected a year group", "A year group: R, or 1 to 13 (e.g. 6 or Year 6)."),
    (r"^expected 1-5 or", "One of 1 to 5, or strongly disagree … strongly agree."),
    (r"ends before it starts|before joining", "Check both dates: the end comes after the start."),
    (r"exceed possible sessions", "Attended sessions no more than possible sessions."),
)


def what_to_write(reason: str) -> str:
    """The fix for a quarantine reason, in the school's words."""
    for pattern, fix in _FIXES:
        match = re.search(pattern, reason)
        if match:
            return fix.format(*match.groups())
    if "expected" in reason:
        return "What is " + reason[reason.index("expected") :] + "."
    return "Correct the value as the problem says."


_UPN = re.compile(r"\b[A-Za-z]\d{11}[A-Za-z0-9]\b")


def _withheld(value: str) -> str:
    """A value as the school typed it, unless it looks like a UPN (never in a workbook)."""
    return "(withheld: looks like a UPN)" if _UPN.search(str(value)) else value


def _safe(name: str) -> str:
    """A school's name as a folder name (no path separators or characters Windows refuses)."""
    cleaned = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', " ", str(name)).strip(" .")
    return " ".join(cleaned.split())[:80] or "unknown"


def problems(data: Path, term: str, settings=None) -> dict[str, pd.DataFrame]:
    """``{school: its problems}`` for one term: every quarantined row of every initiative,
    each once per problem, under the school that sent the return."""
    settings = _settings(data, settings)
    folder = Path(data) / "processed" / term
    try:
        document = json.loads((folder / "validation.json").read_text("utf-8"))
    except (OSError, ValueError):
        document = {}
    out: dict[str, list[pd.DataFrame]] = {}
    for key in INITIATIVES:
        path = folder / f"{key}_quarantine.csv"
        if not path.is_file():
            continue
        quarantine = pd.read_csv(path, dtype=str, keep_default_na=False)
        if not len(quarantine):
            continue
        parquet = folder / f"{key}.parquet"
        kept = (
            pd.read_parquet(parquet, columns=["school", "source_file"])
            if parquet.is_file()
            else pd.DataFrame(columns=["school", "source_file"])
        )
        files = sorted(
            str(f["file"]) for f in document.get("files") or [] if f.get("initiative") == key
        )
        for file, rows in quarantine.groupby("file", sort=True):
            schools = {
                canonical(settings, s)[0] for s in kept.loc[kept["source_file"] == file, "school"]
            }
            owner = next(iter(schools)) if len(schools) == 1 else Path(file).stem
            number = files.index(file) + 1 if file in files else 0
            frame = pd.DataFrame(
                {
                    "Return": f"{INITIATIVES[key].title} return {number}"
                    if number
                    else INITIATIVES[key].title,
                    "File": rows["file"],
                    "Sheet": rows["sheet"],
                    "Row": pd.to_numeric(rows["row"], errors="coerce").astype("Int64"),
                    "Column": [h or c for h, c in zip(rows["header"], rows["column"], strict=True)],
                    "Value": [_withheld(v) for v in rows["value"]],
                    "Problem": rows["reason"],
                    "What to write instead": [what_to_write(r) for r in rows["reason"]],
                    "_initiative": key,
                    "_column": rows["column"],
                }
            )
            out.setdefault(owner, []).append(frame)
    return {school: pd.concat(frames, ignore_index=True) for school, frames in sorted(out.items())}


def write_term(
    folder: Path, data: Path, term: str, threshold: int = 5, settings=None
) -> list[Path]:
    """Write one workbook per school with problems this term under ``folder`` (the analyst
    pack's ``feedback/``); returns the paths written. Schools with no problems get none."""
    from dspl_eval.ingest import _atomic_write

    written = []
    for school, frame in problems(data, term, settings).items():
        book = Workbook()
        sheet = book.active
        sheet.title = "Problems"
        book.properties.title = f"Data return problems, {term}"
        book.properties.keywords = (
            f"dspl-eval-edition=analyst;dspl-eval-term={term};dspl-eval-threshold={threshold}"
        )
        sheet.append([f"{school}: rows of your {term} returns that could not be used"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(
            [
                "Each line is one problem in one of your returns, by its file, sheet, row and "
                "column. Please correct them in your records and in next term's return."
            ]
        )
        sheet.append(list(COLUMNS))
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        shown = frame[list(COLUMNS)].astype(object).where(frame[list(COLUMNS)].notna(), None)
        for row in shown.itertuples(index=False, name=None):
            sheet.append(list(row))
        for letter, width in zip("ABCDEFGH", (22, 40, 14, 6, 26, 18, 48, 48), strict=True):
            sheet.column_dimensions[letter].width = width
        for row in sheet.iter_rows(min_row=4):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        target = Path(folder) / _safe(school) / f"{term} feedback.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, book.save)
        written.append(target)
    return written


def read_back(path: Path) -> pd.DataFrame:
    """The problems in a feedback workbook (for checking it holds what it should)."""
    frame = pd.read_excel(path, header=2, dtype=object, engine="openpyxl")
    return frame
