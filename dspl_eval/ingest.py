"""Ingestion: read a term's returns, find the header, parse, validate, pseudonymise, write.

``data/raw/<term>/<initiative>/*.xlsx|xls|csv`` → ``data/processed/<term>/``:
``<initiative>.parquet`` (kept rows, canonical columns, ``pupil_id``/``participant_id``),
``<initiative>_quarantine.csv`` (one line per problem: file, sheet, row, column, value,
reason) and ``validation.json`` (read = kept + quarantined for every file). Raw files are
only ever read. Names, dates of birth, addresses and unknown columns are dropped on
receipt and written nowhere.

Nothing is silent (issue 12): cells are read as Excel shows them (percentage formats and
error values come from the sheet's XML, which calamine does not expose), merged cells are
filled from their top cell, a two-row header is combined, every unused header is listed
(with the column a close one probably meant), SDQ item answers are scored into the scales,
and a return with no column for an outcome the report needs is not ready to send.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import itertools
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from dspl_eval import __version__
from dspl_eval.clean import (
    EXCEL_ERRORS,
    NUMERIC_KINDS,
    decimal_style,
    empty_column,
    parse_column,
    parse_number,
    show_value,
)
from dspl_eval.errors import DsplEvalError, InputFileError, MissingColumnsError
from dspl_eval.identity import Key, load_key, normalise_ref, pseudonymise
from dspl_eval.initiatives import INITIATIVES, Initiative, get
from dspl_eval.initiatives.base import DROPPED_HEADERS, ItemSet, normalise_header
from dspl_eval.initiatives.elsa import SDQ_ITEM_WORDING
from dspl_eval.paths import processed_dir, raw_dir

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
HEADER_SEARCH_ROWS = 30
MIN_HEADER_MATCHES = 2
SOURCE_COLUMNS = ("source_file", "source_row")
QUARANTINE_COLUMNS = ("file", "sheet", "row", "column", "header", "value", "reason")
_TOTAL = re.compile(
    r"^\s*(grand\s+)?(totals?|sum|summary|averages?|mean|overall|all pupils)\b", re.IGNORECASE
)
TOTAL_REASON = "a Total or summary row, not a child"


#: A merged range, 0-based and inclusive: (first row, first column, last row, last column).
Merge = tuple[int, int, int, int]


@dataclass
class Sheet:
    """One sheet of a return as read: every cell, no header applied (row i is Excel row i+1).

    ``merges`` are the sheet's merged ranges (already filled from their top-left cell), or
    None where the format cannot have any (CSV).
    """

    name: str
    cells: pd.DataFrame
    merges: list[Merge] | None = None


@dataclass
class FileResult:
    """What ingestion made of one file. ``rows_read == rows_kept + rows_quarantined``."""

    initiative: str
    file: Path
    sheet: str | None = None
    header_row: int | None = None  # as Excel shows it
    rows_read: int = 0
    kept: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: pd.DataFrame = field(default_factory=lambda: _empty_quarantine())
    header_mapping: dict[str, str] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unmapped_columns: list[dict[str, str | None]] = field(default_factory=list)
    missing_outcomes: list[dict[str, object]] = field(default_factory=list)
    scored_items: list[dict[str, object]] = field(default_factory=list)
    merged_cells_filled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    sha256: str = ""
    # identifying values of quarantined rows, for `validate` messages only (never written)
    shown_values: dict[tuple[int, str], str] = field(default_factory=dict, repr=False)

    @property
    def rows_kept(self) -> int:
        return len(self.kept)

    @property
    def rows_quarantined(self) -> int:
        return int(self.quarantine["row"].nunique()) if len(self.quarantine) else 0

    def summary(self) -> dict[str, object]:
        """The file's entry in ``validation.json``."""
        return {
            "initiative": self.initiative,
            "file": self.file.name,
            "sha256": self.sha256,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_quarantined": self.rows_quarantined,
            "header_mapping": self.header_mapping,
            "dropped_identifying_columns": self.dropped_columns,
            "ignored_columns": self.ignored_columns,
            "unmapped_columns": self.unmapped_columns,
            "missing_outcomes": self.missing_outcomes,
            "scored_items": self.scored_items,
            "merged_cells_filled": self.merged_cells_filled,
            "notes": self.notes,
            "error": self.error,
        }


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in QUARANTINE_COLUMNS}).astype(
        {"row": "Int64"}
    )


# ----------------------------------------------------------------------------- reading


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook (python-calamine) or the one table of a CSV, cells as read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputFileError(f"{path.name}: file not found")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path.name}: the file is empty")
    if suffix in TEXT_SUFFIXES:
        return [Sheet("(csv)", _read_csv(path))]
    if suffix not in SPREADSHEET_SUFFIXES:
        raise InputFileError(
            f"{path.name}: not a spreadsheet (expected .xlsx, .xls or .csv, got {suffix or 'none'})"
        )
    try:
        sheets = _read_workbook(path)
    except Exception as error:  # calamine raises its own types for corrupt files
        raise InputFileError(
            f"{path.name}: cannot be read as a spreadsheet ({_short(error)})"
        ) from None
    if suffix in {".xlsx", ".xlsm"}:
        _apply_xlsx_cell_facts(path, sheets)
    for sheet in sheets:
        _fill_merges(sheet)
    if not any(len(s.cells) for s in sheets):
        raise InputFileError(f"{path.name}: every sheet is empty")
    return sheets


def _calamine_cell(value: object) -> object:
    """A calamine value as ``pandas.read_excel`` gives it: whole floats as int, dates as
    datetimes, blank as NaN."""
    kind = value.__class__
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is str:
        return np.nan if value == "" else value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _calamine_frame(rows: list[list[object]]) -> pd.DataFrame:
    """calamine's rows as a frame of cells, each converted as ``_calamine_cell`` does.

    The conversion is done a kind of value at a time over one flat array of the cells
    (whole floats to int, ``""`` to NaN, dates to datetimes; anything else unchanged), not
    by a Python call per cell: that call cost more than a bare ``read_excel`` of the sheet.
    """
    height = len(rows)
    width = len(rows[0]) if height else 0
    if not width or any(len(row) != width for row in rows):  # never seen from calamine
        width = max(map(len, rows), default=0)
        padded = [[_calamine_cell(c) for c in row] + [np.nan] * (width - len(row)) for row in rows]
        return pd.DataFrame(padded, dtype=object)
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=height * width)
    kinds = np.fromiter(map(type, flat), dtype=object, count=len(flat))
    text = np.flatnonzero(kinds == str)  # noqa: E721 (element-wise, over an array of types)
    flat[text[flat[text] == ""]] = np.nan
    floats = np.flatnonzero(kinds == float)  # noqa: E721 (element-wise, as above)
    if len(floats):
        numbers = flat[floats].astype(np.float64)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(numbers) & (numbers == np.floor(numbers))  # float.is_integer
        exact = whole & (np.abs(numbers) < 2.0**62)  # int64 holds these exactly
        flat[floats[exact]] = numbers[exact].astype(np.int64).tolist()
        huge = floats[whole & ~exact]
        flat[huge] = [int(v) for v in flat[huge]]
    dates = np.flatnonzero(kinds == dt.date)  # exactly date: a datetime stays as it is
    flat[dates] = [dt.datetime(d.year, d.month, d.day) for d in flat[dates]]
    # the frame's columns are views of the array, which nothing else holds
    return pd.DataFrame(flat.reshape(height, width), dtype=object, copy=False)


def _read_workbook(path: Path) -> list[Sheet]:
    """Every worksheet of a workbook with python-calamine, cells from A1, with merged ranges."""
    book = python_calamine.load_workbook(path)
    sheets = []
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        cells = _calamine_frame(sheet.to_python(skip_empty_area=False))
        try:
            ranges = sheet.merged_cell_ranges
        except Exception:  # a format calamine cannot give merges for
            ranges = None
        merges = None if ranges is None else [(a[0], a[1], b[0], b[1]) for a, b in ranges]
        sheets.append(Sheet(str(meta.name), cells, merges))
    return sheets


def _fill_merges(sheet: Sheet) -> None:
    """Give every cell of a merged range the value of its top-left cell (what Excel shows)."""
    cells = sheet.cells
    for top, left, bottom, right in sheet.merges or ():
        if top >= len(cells) or left >= cells.shape[1]:
            continue
        bottom, right = min(bottom, len(cells) - 1), min(right, cells.shape[1] - 1)
        cells.iloc[top : bottom + 1, left : right + 1] = cells.iat[top, left]


# ----------------------------------------------------------------------------- xlsx cell facts
# calamine reads an Excel error cell as blank and gives no number formats. These are read
# from the sheet's XML directly: one pass over the bytes for error cells (t="e") and, only
# when the workbook has percentage formats, for the cells styled with them.

_XML_CELL_REF = rb'r="([A-Z]{1,3})(\d+)"'
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_TAG_TAIL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d+)"$')
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_BUILTIN_PERCENT_FORMATS = {9, 10}
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _column_index(letters: bytes) -> int:
    """0-based column of ``A``, ``Z``, ``AA`` …"""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number - 1


def _xlsx_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part inside the archive (workbook.xml and its relationships)."""
    from xml.etree import ElementTree

    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts[sheet.get("name", "")] = target
    return parts


def _percent_styles(archive: zipfile.ZipFile) -> set[int]:
    """The cell style indices (``s="N"``) whose number format shows a percentage."""
    from xml.etree import ElementTree

    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    codes = {
        int(f.get("numFmtId", -1)): f.get("formatCode", "")
        for f in styles.iter(f"{_MAIN_NS}numFmt")
    }
    percent_ids = set(_BUILTIN_PERCENT_FORMATS)
    percent_ids |= {i for i, code in codes.items() if "%" in re.sub(r'"[^"]*"|\\.', "", code)}
    cell_xfs = styles.find(f"{_MAIN_NS}cellXfs")
    if cell_xfs is None:
        return set()
    return {
        index
        for index, xf in enumerate(cell_xfs.iter(f"{_MAIN_NS}xf"))
        if int(xf.get("numFmtId", 0)) in percent_ids
    }


def _percent_text(value: object) -> object:
    """A number shown with a percentage format, as the text Excel shows (0.853 → ``85.3%``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return value  # text, TRUE/FALSE and blank cells show no percentage
    return f"{round(value * 100, 10)!r}%".replace(".0%", "%")


def _apply_xlsx_cell_facts(path: Path, sheets: list[Sheet]) -> None:
    """Put back what calamine loses: Excel error values and percentage-formatted numbers."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _xlsx_sheet_parts(archive)
            percent = _percent_styles(archive)
            for sheet in sheets:
                if sheet.name in parts and len(sheet.cells):
                    xml = archive.read(parts[sheet.name])
                    _mark_error_cells(sheet, xml)
                    _mark_percent_cells(sheet, xml, percent)
    except (KeyError, zipfile.BadZipFile, SyntaxError, ValueError):
        return  # a workbook laid out unusually: calamine's values stand


def _cell_at(xml: bytes, position: int) -> tuple[int, int, int] | None:
    """(row, column, end of the tag) of the ``<c …>`` tag around ``position``, 0-based."""
    start = xml.rfind(b"<", 0, position)
    end = xml.find(b">", position)
    match = _CELL_REF.search(xml, start, end) if start >= 0 and end >= 0 else None
    if match is None:
        return None
    return int(match.group(2)) - 1, _column_index(match.group(1)), end


def _mark_error_cells(sheet: Sheet, xml: bytes) -> None:
    """Replace the blank calamine gave for an error cell by its error text (``#DIV/0!``)."""
    cells = sheet.cells
    position = xml.find(b't="e"')
    while position >= 0:
        found = _cell_at(xml, position)
        if found is not None and xml[found[2] - 1 : found[2]] != b"/":
            row, column, end = found
            stop = xml.find(b"c>", end)  # the cell's closing tag (``</c>``)
            value = _ERROR_VALUE.search(xml, end, stop if stop > 0 else len(xml))
            error = value.group(1).decode("ascii", "replace").strip().upper() if value else ""
            if row < len(cells) and column < cells.shape[1] and error in EXCEL_ERRORS:
                cells.iat[row, column] = error
        position = xml.find(b't="e"', position + 5)


def _mark_percent_cells(sheet: Sheet, xml: bytes, styles: set[int]) -> None:
    """Show each number in a percentage-formatted cell as Excel does (0.853 → ``85.3%``).

    Excel and openpyxl write a cell's attributes as ``<c r="E5" s="3" …>``: the style
    attributes are found by a literal search, the cell reference just before each, and the
    cells are changed a column at a time.
    """
    present = [i for i in sorted(styles) if f' s="{i}"'.encode() in xml]
    if not present:
        return
    ids = "|".join(map(str, present)).encode()
    rows_by_column: dict[bytes, list[int]] = {}
    for hit in re.finditer(rb' s="(?:' + ids + rb')"', xml):  # a literal: a fast search
        tag = _TAG_TAIL.search(xml, max(0, hit.start() - 24), hit.start())
        if tag is not None:  # a cell's style, not a row's (<row r="5" s="3">)
            rows_by_column.setdefault(tag.group(1), []).append(int(tag.group(2)) - 1)
    cells = sheet.cells
    height, width = cells.shape
    for letters, rows in rows_by_column.items():
        column = _column_index(letters)
        if column >= width:
            continue
        positions = np.array(rows, dtype=np.int64)
        positions = positions[positions < height]
        values = cells[column].to_numpy(dtype=object, copy=True)
        values[positions] = _percent_texts(values[positions])
        cells[column] = values


def _percent_texts(values: np.ndarray) -> list[object]:
    """``_percent_text`` of each value, worked out once per distinct value (a column of
    attendance holds a few hundred); keyed by type too, as ``True == 1 == 1.0``."""
    shown: dict[tuple[type, object], object] = {}
    out = []
    for value in values:
        key = (value.__class__, value)
        text = shown.get(key)
        if text is None:
            text = shown[key] = _percent_text(value)
        out.append(text)
    return out


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:160]


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise InputFileError(f"{path.name}: not a text CSV file (it holds binary data)")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path.name}: cannot be decoded as UTF-8 or Windows-1252 text")


def _delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most lines into the same number (> 1) of fields.

    ``csv.Sniffer`` gives up when a title line sits above the header (it wants every line
    alike), which is how real returns arrive; counting fields per line copes with that.
    """
    lines = [line for line in lines if line.strip()]
    best, best_score = ",", 0
    for candidate in ",;\t|":
        try:
            widths = Counter(len(row) for row in csv.reader(lines, delimiter=candidate))
        except csv.Error:
            continue
        score = max((n for width, n in widths.items() if width > 1), default=0)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise InputFileError(f"{path.name}: the file is empty")
    delimiter = _delimiter(text.splitlines()[:50])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:  # e.g. a field longer than the csv module allows
        raise InputFileError(f"{path.name}: cannot be read as CSV ({error})") from None
    width = max(map(len, rows), default=0)  # ragged rows: pandas will stop padding them
    frame = pd.DataFrame([row + [None] * (width - len(row)) for row in rows], dtype=object)
    return frame.mask(frame.isna() | (frame == ""))


# ----------------------------------------------------------------------------- header


@dataclass
class _Header:
    sheet: Sheet
    row: int  # 0-based position in sheet.cells (the lower row of a two-row header)
    columns: dict[str, int]  # canonical name → position
    headers: dict[str, str]  # canonical name → header text as written
    dropped: list[str]
    ignored: list[str]
    score: int
    rows: int = 1  # 2 when a row of group headings sits above the sub-headings
    items: dict[tuple[str, str], int] = field(default_factory=dict)  # (occasion, item) → pos
    item_headers: dict[tuple[str, str], str] = field(default_factory=dict)


#: Words of a group heading that say nothing about the column ("Before support").
_GROUP_FILLER = frozenset({"support", "intervention", "programme", "the", "of", "in", "window"})

#: A header cell: the text shown, then the normalised keys to try, best first.
_Candidate = tuple[str, list[str]]


def _header_text(cell: object) -> str:
    """A header cell as text with its spacing collapsed ('' for a blank cell)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return " ".join(str(cell).split())


def _single_row(cells: Iterable[object]) -> list[_Candidate]:
    """The candidates of a one-row header: each cell's own text."""
    texts = [_header_text(c) for c in cells]
    return [(t, [normalise_header(t)] if t else []) for t in texts]


def _without_filler(text: str) -> str:
    return " ".join(w for w in text.split() if w.lower() not in _GROUP_FILLER)


def _two_rows(group_cells: list[object], sub_cells: list[object], fill: bool) -> list[_Candidate]:
    """The candidates of a two-row header: "Before support" over "Attended" gives
    "Before support / Attended", tried as before+attended and attended+before; a cell with
    nothing above (or nothing below) stands alone. ``fill`` carries a group heading right
    across blank cells (a CSV, or a workbook whose group cells were not merged)."""
    groups = [_header_text(c) for c in group_cells]
    subs = [_header_text(c) for c in sub_cells]
    if fill:
        last = ""
        for position, group in enumerate(groups):
            last = group or (last if subs[position] else "")
            groups[position] = last
    out: list[_Candidate] = []
    for group, sub in zip(groups, subs, strict=True):
        if not sub or not group or group == sub:
            text = sub or group
            out.append((text, [normalise_header(text)] if text else []))
            continue
        short = _without_filler(group)
        keys = [
            normalise_header(f"{short} {sub}"),
            normalise_header(f"{sub} {short}"),
            normalise_header(f"{group} {sub}"),
            normalise_header(f"{sub} {group}"),
            normalise_header(sub),
        ]
        out.append((f"{group} / {sub}", list(dict.fromkeys(keys))))
    return out


def _match_candidates(
    candidates: list[_Candidate], lookup: dict[str, str], items: dict[str, tuple[ItemSet, str]]
) -> _Header:
    """Map each header cell to a canonical column (or an item answer), first key that fits."""
    header = _Header(None, 0, {}, {}, [], [], 0)  # type: ignore[arg-type]
    for position, (text, keys) in enumerate(candidates):
        if not keys or not keys[0]:
            continue
        if any(k in DROPPED_HEADERS for k in keys[:1]) or keys[-1] in DROPPED_HEADERS:
            header.dropped.append(text)
            continue
        name = next(
            (lookup[k] for k in keys if k in lookup and lookup[k] not in header.columns), None
        )
        if name is not None:
            header.columns[name] = position
            header.headers[name] = text
            continue
        item = next((items[k] for k in keys if k in items), None)
        if item is not None and (item[0].occasion, item[1]) not in header.items:
            header.items[(item[0].occasion, item[1])] = position
            header.item_headers[(item[0].occasion, item[1])] = text
            continue
        header.ignored.append(text)
    header.score = len(header.columns) + len(header.items)
    return header


def _has_horizontal_merge(sheet: Sheet, row: int) -> bool:
    """True when a merged range spanning columns covers ``row`` of the sheet."""
    return any(
        top <= row <= bottom and left < right for top, left, bottom, right in sheet.merges or ()
    )


def find_header(sheets: list[Sheet], initiative: Initiative, file_name: str) -> _Header:
    """The sheet and row whose cells match the most of the initiative's columns.

    A row of group headings above the sub-headings ("Before support" merged over
    "Possible | Attended") is combined with them when that maps more columns than either
    row alone.
    """
    best = _best_header(sheets, initiative)
    if best is None or best.score < MIN_HEADER_MATCHES:
        names = ", ".join(repr(s.name) for s in sheets)
        expected = ", ".join(initiative.required + initiative.identifiers)
        raise InputFileError(
            f"{file_name}: no header row found for {initiative.key} in sheet(s) {names} "
            f"(looked at the first {HEADER_SEARCH_ROWS} rows for columns such as {expected})"
        )
    missing = [c for c in initiative.required if c not in best.columns]
    if not any(i in best.columns for i in initiative.identifiers):
        missing.insert(0, " or ".join(initiative.identifiers))
    if missing:
        found = ", ".join(repr(h) for h in [*best.headers.values(), *best.ignored]) or "nothing"
        raise MissingColumnsError(
            f"{file_name}, sheet {best.sheet.name!r}, row {best.row + 1}: missing required "
            f"column(s) {', '.join(missing)} (found {found})"
        )
    return best


def _best_header(sheets: list[Sheet], initiative: Initiative) -> _Header | None:
    """The best-matching header row of ``initiative`` in ``sheets`` (None: no rows)."""
    lookup = initiative.header_lookup()
    items = initiative.item_lookup()
    best: _Header | None = None
    for sheet in sheets:
        top = sheet.cells.head(HEADER_SEARCH_ROWS)
        rows = [top.iloc[r].tolist() for r in range(len(top))]
        for row, cells in enumerate(rows):
            match = _match_candidates(_single_row(cells), lookup, items)
            if best is None or match.score > best.score:
                match.sheet, match.row = sheet, row
                best = match
            if row == 0 or not any(_header_text(c) for c in rows[row - 1]):
                continue
            fill = not _has_horizontal_merge(sheet, row - 1)
            combined = _match_candidates(_two_rows(rows[row - 1], cells, fill), lookup, items)
            if combined.score > best.score:
                combined.sheet, combined.row, combined.rows = sheet, row, 2
                best = combined
    return best


#: Another initiative "fits much better" when its header matches at least this many more
#: columns, and at least this many times as many, as the initiative asked for.
OTHER_INITIATIVE_MARGIN = 3
OTHER_INITIATIVE_RATIO = 1.5


def likely_initiative(sheets: list[Sheet], asked: Initiative) -> tuple[Initiative, int, int] | None:
    """(initiative, its matched columns, the asked one's) when a return's headers match
    another initiative's columns much better than ``asked``'s (an EBSA return checked as
    ELSA); None when ``asked`` fits as well as any. Columns every pupil return shares
    (UPN, school, year group …) count for both, so only a clear margin counts."""

    def score(initiative: Initiative) -> int:
        header = _best_header(sheets, initiative)
        return header.score if header is not None else 0

    own = score(asked)
    best: tuple[Initiative, int, int] | None = None
    for other in INITIATIVES.values():
        if other.key == asked.key:
            continue
        theirs = score(other)
        clear = theirs >= own + OTHER_INITIATIVE_MARGIN and theirs >= OTHER_INITIATIVE_RATIO * own
        if clear and (best is None or theirs > best[1]):
            best = (other, theirs, own)
    return best


def suggest_column(header: str, initiative: Initiative, taken: Iterable[str] = ()) -> str | None:
    """The canonical column a misspelt header most probably meant ("Attendence % before" →
    ``attendance_before``), or None when nothing is close (difflib, ratio ≥ 0.8)."""
    lookup = {k: v for k, v in initiative.header_lookup().items() if v not in set(taken)}
    key = normalise_header(header)
    if not key:
        return None
    close = difflib.get_close_matches(key, list(lookup), n=1, cutoff=0.8)
    return lookup[close[0]] if close else None


_ITEM_LEVEL = re.compile(
    r"^(?:sdq|boxall|pass)?(?:item|q|question)?\d{1,2}(?:pre|post|before|after)?$"
)


def _looks_item_level(key: str) -> bool:
    """True for a header such as ``SDQ 3 pre``, ``Boxall item 12`` or ``tsomatic``."""
    if _ITEM_LEVEL.match(key) and not key.isdigit():
        return True
    bare = re.sub(r"(pre|post|before|after|baseline|end)$", "", key)
    bare = bare.removeprefix("sdq")
    return bare in SDQ_ITEM_WORDING or (bare[:1] in "tps" and bare[1:] in SDQ_ITEM_WORDING)


# ----------------------------------------------------------------------------- one file


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(path: Path, initiative: Initiative, key: Key) -> FileResult:
    """Read, parse, validate and pseudonymise one return. Never raises for bad input:
    a file that cannot be used comes back with ``error`` set and nothing read."""
    path = Path(path)
    result = FileResult(initiative.key, path)
    try:
        sheets = read_sheets(path)
        result.sha256 = file_sha256(path)
        header = find_header(sheets, initiative, path.name)
    except (DsplEvalError, OSError) as error:
        result.error = str(error) if isinstance(error, DsplEvalError) else f"{path.name}: {error}"
        return result
    result.sheet, result.header_row = header.sheet.name, header.row + 1
    result.header_mapping = {header.headers[c]: c for c in header.columns}
    for (occasion, item), text in header.item_headers.items():
        result.header_mapping[text] = next(
            s.items[item].name for s in initiative.item_sets if s.occasion == occasion
        )
    result.dropped_columns, result.ignored_columns = header.dropped, header.ignored
    _describe_header(result, header, initiative)
    try:
        _process_rows(result, header, initiative, key)
    except Exception as error:  # a bug must cost one file, named, never the whole term
        failed = FileResult(initiative.key, path, sha256=result.sha256)
        failed.error = (
            f"{path.name}: could not be processed — please report this as a dspl-eval bug "
            f"({type(error).__name__}: {str(error)[:160]})"
        )
        return failed
    return result


def _describe_header(result: FileResult, header: _Header, ini: Initiative) -> None:
    """Record what the header did: two rows combined, unmapped headers (with the column a
    close one probably meant), item answers the initiative cannot use, and outcomes the
    report needs that have no column at all."""
    if header.rows == 2:
        result.notes.append(
            f"two-row header: the group headings in row {header.row} were combined with "
            f"the headings in row {header.row + 1} (e.g. 'Before support / Attended')"
        )
    item_level = []
    for text in header.ignored:
        suggestion = suggest_column(text, ini, header.columns)
        result.unmapped_columns.append({"header": text, "did_you_mean": suggestion})
        if suggestion is None and _looks_item_level(normalise_header(text)):
            item_level.append(text)
    if item_level:
        shown = ", ".join(repr(t) for t in item_level[:5]) + (" …" if len(item_level) > 5 else "")
        reason = ini.item_level or f"{ini.title} cannot use item-level answers"
        result.notes.append(f"item-level answers found ({shown}): {reason}")
    scored = {
        column
        for item_set in ini.item_sets
        if any(occasion == item_set.occasion for occasion, _ in header.items)
        for column in item_set.scales.values()
    }
    for outcome in ini.outcomes:
        if not any(c in header.columns or c in scored for c in outcome.columns):
            result.missing_outcomes.append(
                {"outcome": outcome.name, "missing_columns": list(outcome.columns)}
            )


def _blank_text_mask(values: np.ndarray) -> np.ndarray:
    """True for each cell that is text of nothing but spaces, tested cell by cell."""
    return np.fromiter(
        (isinstance(v, str) and not v.strip() for v in values), dtype=bool, count=len(values)
    )


def _total_mask(column: pd.Series) -> np.ndarray:
    """True for each cell that is text starting "Total", "Average" …, cell by cell."""
    match = _TOTAL.match
    values = column.to_numpy(dtype=object)
    return np.fromiter(
        (isinstance(v, str) and match(v) is not None for v in values),
        dtype=bool,
        count=len(values),
    )


def _nonblank_rows(cells: pd.DataFrame, skip: Iterable[object] = ()) -> pd.Series:
    """True for a row with a cell that is neither missing nor blank text (an object
    column's ``"  "``), leaving out the columns ``skip``. A column is only looked at in
    the rows still empty after the columns before it, which after the first filled column
    are few."""
    skip = set(skip)
    filled = np.zeros(len(cells), dtype=bool)
    for name, column in cells.items():
        if name in skip:
            continue
        empty = np.flatnonzero(~filled)
        if not len(empty):
            break
        part = column.iloc[empty] if len(empty) < len(column) else column
        present = part.notna().to_numpy(copy=True)
        if not present.any():
            continue
        if column.dtype == object:
            found = np.flatnonzero(present)
            blank = _blank_text_mask(part.to_numpy(dtype=object)[found])
            present[found[blank]] = False
        filled[empty[present]] = True
    return pd.Series(filled, index=cells.index)


#: Columns a template may fill in before the school does (``template --school``): a row
#: with nothing else in it is an empty row, not a child.
PREFILLED_COLUMNS = ("school",)


def _process_rows(result: FileResult, header: _Header, ini: Initiative, key: Key) -> None:
    body = header.sheet.cells.iloc[header.row + 1 :]
    prefilled = {header.columns[c] for c in PREFILLED_COLUMNS if c in header.columns}
    body = body[_nonblank_rows(body, skip=prefilled)]
    result.rows_read = len(body)
    rows = pd.Series(body.index + 1, index=body.index)  # Excel row numbers
    problems: list[tuple[object, str, str]] = []  # (index, column, reason)

    def flag(mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        for index in mask[mask].index:
            text = reason if isinstance(reason, str) else reason.loc[index]
            problems.append((index, column, text))

    _note_merged_body(result, header, body)
    raw = {name: body[pos] for name, pos in header.columns.items()}
    total = _total_rows(raw, ini)
    styles = _decimal_styles(raw, ini)
    parsed: dict[str, pd.Series] = {}
    for column in ini.columns:
        if column.name not in raw:
            parsed[column.name] = _missing_column(column, body.index)
            continue
        out = parse_column(raw[column.name], column, styles.get(column.name, "."))
        parsed[column.name] = out.values
        flag(out.errors.notna() & ~total, column.name, out.errors)
        if column.minimum is not None or column.maximum is not None:
            _flag_range(flag, out.values, column, ~total)
        if column.required:
            flag(
                out.values.isna() & out.errors.isna() & ~total,
                column.name,
                f"missing: {column.label.split(' (')[0].lower()} is required",
            )
    data = pd.DataFrame(parsed, index=body.index)
    for item_set in ini.item_sets:
        _score_items(result, header, body, item_set, data, raw, flag, ~total)
    _derive_attendance(data, ini, result)
    for rule in ini.rules:
        flag((data[rule.first] > data[rule.second]) & ~total, rule.second, rule.message)
    ids = _identify(data, raw, ini, key)
    no_id = ids.isna() & ~total
    id_errors = pd.Series(False, index=body.index)
    for name in ini.identifiers:
        if name in raw:
            id_errors |= raw[name].notna() & data[name].isna()
    flag(
        no_id & ~id_errors,
        ini.identifiers[0],
        f"no identifier: give a {' or a '.join(c.replace('_', ' ') for c in ini.identifiers)}",
    )
    flag(total, "(row)", TOTAL_REASON)
    present = ids[ids.notna()]
    repeated = present.duplicated(keep="first")
    first_row = present[~repeated]
    first_of = dict(zip(first_row.to_numpy(), first_row.index, strict=True))
    for index, pupil in present[repeated].items():
        original = first_of[pupil]
        problems.append(
            (
                index,
                "(row)",
                f"second row for the same {ini.unit}: first in {result.file.name}, "
                f"row {rows[original]}",
            )
        )
    data.insert(0, ini.id_column, ids)
    bad = {index for index, _, _ in problems}
    keep = ~body.index.isin(list(bad))
    kept = data[keep].drop(columns=[c.name for c in ini.columns if c.identifying])
    kept["source_file"] = result.file.name
    kept["source_row"] = rows[keep].astype("Int64")
    result.kept = kept.reset_index(drop=True)
    result.quarantine = _quarantine_frame(problems, result, header, raw, rows, ini)


def _missing_column(column, index: pd.Index) -> pd.Series:
    """``clean.empty_column`` for ``index``, made from the dtype alone (no list of Nones)."""
    return pd.Series(index=index, dtype=empty_column(column, 0).dtype, name=column.name)


def _flag_range(flag, values: pd.Series, column, rows_ok: pd.Series) -> None:
    low, high = column.minimum, column.maximum
    if column.kind == "date":
        return
    span = (
        f"from {low:g} to {high:g}"
        if low is not None and high is not None
        else f"at least {low:g}"
        if low is not None
        else f"at most {high:g}"
    )
    unit = "%" if column.kind == "percent" else ""
    below = values < low if low is not None else pd.Series(False, index=values.index)
    above = values > high if high is not None else pd.Series(False, index=values.index)
    out = (below | above).fillna(False) & rows_ok
    flag(out, column.name, f"out of range: expected {span}{unit}")


def _note_merged_body(result: FileResult, header: _Header, body: pd.DataFrame) -> None:
    """Note each merged range in the body that was filled down from its top cell."""
    first_body = header.row + 1
    for top, left, bottom, right in header.sheet.merges or ():
        if top < first_body or top >= len(header.sheet.cells):
            continue
        where = f"{_column_letters(left)}{top + 1}:{_column_letters(right)}{bottom + 1}"
        heading = _header_text(header.sheet.cells.iat[header.row, left]) or where
        result.merged_cells_filled.append(where)
        result.notes.append(
            f"merged cells {where} ({heading!r}) were filled from their top cell "
            f"{_column_letters(left)}{top + 1}"
        )


def _column_letters(position: int) -> str:
    """Excel's letters for a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _decimal_evidence(column: pd.Series) -> str | None:
    """The decimal separator a column's text cells show (see ``clean.decimal_style``)."""
    values = pd.unique(column.to_numpy(dtype=object))
    return decimal_style([v for v in values if isinstance(v, str)])


def _decimal_styles(raw: dict[str, pd.Series], ini: Initiative) -> dict[str, str | None]:
    """Each numeric column's decimal separator: its own evidence, else the file's.

    A column with ``0,5`` uses decimal commas; one with ``85.3`` or ``1,234.5`` decimal
    points. Where a column shows neither, the other numeric columns of the file decide;
    where they disagree or say nothing, the separator stays open (None) and a cell such as
    ``1,234`` is refused as ambiguous.
    """
    own = {
        c.name: _decimal_evidence(raw[c.name])
        for c in ini.columns
        if c.kind in NUMERIC_KINDS and c.name in raw
    }
    seen = set(own.values()) - {None}
    file_style = seen.pop() if len(seen) == 1 else None
    return {name: style or file_style for name, style in own.items()}


def _score_items(result, header, body, item_set, data, raw, flag, rows_ok) -> None:
    """Score item answers into scale totals with ``measures.score_sdq_items`` (the published
    rules: reversed items, prorating from 3 of 5 answers) and record that they were."""
    from dspl_eval.measures import score_sdq_items

    positions = {
        item: pos for (occasion, item), pos in header.items.items() if occasion == item_set.occasion
    }
    if not positions:
        return
    answers = {}
    for item, column in item_set.items.items():
        if item not in positions:
            answers[item] = _missing_column(column, body.index)
            continue
        cells = body[positions[item]]
        raw[column.name] = cells
        header.headers[column.name] = header.item_headers[(item_set.occasion, item)]
        out = parse_column(cells, column)
        answers[item] = out.values
        flag(out.errors.notna() & rows_ok, column.name, out.errors)
    scores = score_sdq_items(pd.DataFrame(answers, index=body.index))
    filled, disagree = 0, 0
    for scale, target in item_set.scales.items():
        given = data[target]
        disagree += int((given.notna() & scores[scale].notna() & (given != scores[scale])).sum())
        blank = given.isna() & scores[scale].notna()
        filled += int(blank.sum())
        data.loc[blank, target] = scores.loc[blank, scale]
    missing = sorted(set(item_set.items) - set(positions), key=list(item_set.items).index)
    result.scored_items.append(
        {
            "questionnaire": item_set.questionnaire,
            "occasion": item_set.occasion,
            "items_found": len(positions),
            "items_missing": missing,
            "scales": list(item_set.scales.values()),
            "scale_scores_filled": filled,
            "rule": (
                "measures.score_sdq_items: items obeys, reflect, attends, friend, popular "
                "reversed; a scale with 3-5 of its 5 items answered is prorated "
                "(round half up of mean × 5); total difficulties = the four difficulty scales"
            ),
        }
    )
    result.notes.append(
        f"{item_set.questionnaire} {item_set.occasion}: {len(positions)} of "
        f"{len(item_set.items)} item answers were scored into the scale totals "
        f"({filled} scale scores filled)"
        + (f"; {disagree} given scale totals disagree with their items" if disagree else "")
    )


def _total_rows(raw: dict[str, pd.Series], ini: Initiative) -> pd.Series:
    """Rows saying "Total" (or "Average" …) in a naming column and giving no identifier."""
    index = next(iter(raw.values())).index
    says_total = {
        name: _total_mask(raw[name])
        for name in ("school", "pupil_ref", "participant_ref", "upn", "group_name", "year_group")
        if name in raw
    }
    total = np.zeros(len(index), dtype=bool)
    for mask in says_total.values():
        total |= mask
    has_id = np.zeros(len(index), dtype=bool)
    for name in ini.identifiers:
        if name in raw:
            said = says_total[name] if name in says_total else _total_mask(raw[name])
            has_id |= raw[name].notna().to_numpy() & ~said
    return pd.Series(total & ~has_id, index=index)


def _derive_attendance(data: pd.DataFrame, ini: Initiative, result: FileResult) -> None:
    """Attendance % from sessions where sessions were returned (DfE: attended / possible)."""
    for possible, attended, percent in ini.session_sets:
        both = data[possible].notna() & data[attended].notna() & data[possible].gt(0)
        both = both.fillna(False).astype(bool)
        if not both.any():
            continue
        derived = data.loc[both, attended].astype(float) * 100 / data.loc[both, possible]
        typed = data.loc[both, percent]
        disagree = int((typed.notna() & (typed - derived).abs().gt(1)).sum())
        if disagree:
            result.notes.append(
                f"{percent}: {disagree} row(s) gave a percentage that disagrees with their "
                "sessions by more than 1 point; the sessions were used"
            )
        data.loc[both, percent] = derived.round(6)


def _identify(data: pd.DataFrame, raw: dict, ini: Initiative, key: Key) -> pd.Series:
    ids = pd.Series(None, index=data.index, dtype="str")
    if "upn" in data:
        ids = pseudonymise(data["upn"], key, "upn")
    ref_name = next((n for n in ini.identifiers if n != "upn"), None)
    if ref_name is not None and data[ref_name].notna().any():
        # spacing is already collapsed by the parser; an all-blank column must not break .str
        school = data["school"].str.lower().fillna("")
        refs = normalise_ref(data[ref_name])
        combined = (school + "\x1f" + refs).where(refs.notna())
        from_ref = pseudonymise(combined, key, ref_name)
        ids = ids.where(ids.notna(), from_ref)
    return ids


def _quarantine_frame(problems, result, header, raw, rows, ini) -> pd.DataFrame:
    if not problems:
        return _empty_quarantine()
    identifying = {c.name for c in ini.columns if c.identifying}
    records = []
    for index, column, reason in sorted(problems, key=lambda p: (rows[p[0]], p[1])):
        value = (
            ""
            if column not in raw or pd.isna(raw[column][index])
            else show_value(raw[column][index])
        )
        if column in identifying and value:
            result.shown_values[(int(rows[index]), column)] = value
            value = f"(withheld: {column.replace('_', ' ')})"
        records.append(
            {
                "file": result.file.name,
                "sheet": header.sheet.name,
                "row": int(rows[index]),
                "column": column,
                "header": header.headers.get(column, ""),
                "value": value,
                "reason": reason,
            }
        )
    return pd.DataFrame.from_records(records, columns=list(QUARANTINE_COLUMNS)).astype(
        {"row": "Int64"}
    )


# ----------------------------------------------------------------------------- a term


@dataclass
class TermResult:
    """Everything ``ingest_term`` did: per-file results and the key's (printable) source."""

    term: str
    files: list[FileResult]
    key_source: str
    costs: pd.DataFrame | None = None
    costs_error: str | None = None

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]


def return_files(folder: Path) -> list[Path]:
    """The files of an initiative folder, sorted; lock files and hidden files skipped."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and p.name != "README.md"
    )


def ingest_term(data_root: Path, term: str, key: Key | None = None) -> TermResult:
    """Ingest every initiative's returns for ``term`` and write the processed outputs."""
    source = raw_dir(data_root, term)
    if not source.is_dir():
        raise InputFileError(f"no returns for {term}: {source} does not exist")
    key = key or load_key(data_root)
    target = processed_dir(data_root, term)
    target.mkdir(parents=True, exist_ok=True)
    results: list[FileResult] = []
    for initiative in INITIATIVES.values():
        files = [ingest_file(p, initiative, key) for p in return_files(source / initiative.key)]
        _cross_file_duplicates(files, initiative)
        results.extend(files)
        _write_initiative(target, initiative, files)
    costs, costs_error = read_costs(source / "costs.csv")
    if costs is not None:
        _atomic_write(target / "costs.parquet", lambda p: costs.to_parquet(p, index=False))
    elif (target / "costs.parquet").exists():
        (target / "costs.parquet").unlink()
    term_result = TermResult(term, results, key.source, costs, costs_error)
    _write_validation(target, term_result)
    return term_result


def _cross_file_duplicates(files: list[FileResult], ini: Initiative) -> None:
    """Quarantine a kept row whose id was already kept from an earlier file of the term."""
    seen: dict[str, tuple[str, int]] = {}
    for result in files:
        if result.error or not len(result.kept):
            continue
        ids = result.kept[ini.id_column].to_numpy(dtype=object)
        rows = result.kept["source_row"].to_numpy(dtype=object)
        duplicate = np.fromiter((i in seen for i in ids), dtype=bool, count=len(ids))
        if duplicate.any():
            extra = pd.DataFrame(
                {
                    "file": result.file.name,
                    "sheet": result.sheet,
                    "row": [int(r) for r in rows[duplicate]],
                    "column": "(row)",
                    "header": "",
                    "value": "",
                    "reason": [
                        f"second row for the same {ini.unit}: first in {file}, row {row}"
                        for file, row in (seen[i] for i in ids[duplicate])
                    ],
                },
                columns=list(QUARANTINE_COLUMNS),
            ).astype({"row": "Int64"})
            result.quarantine = pd.concat([result.quarantine, extra], ignore_index=True)
            result.kept = result.kept[~duplicate].reset_index(drop=True)
        for pupil, row in zip(ids[~duplicate], rows[~duplicate], strict=True):
            seen.setdefault(pupil, (result.file.name, int(row)))


def processed_schema(ini: Initiative) -> pd.DataFrame:
    """An empty frame with the processed columns and dtypes of an initiative."""
    columns = {ini.id_column: pd.Series(dtype="str")}
    for column in ini.columns:
        if not column.identifying:
            columns[column.name] = empty_column(column, 0)
    columns["source_file"] = pd.Series(dtype="str")
    columns["source_row"] = pd.Series(dtype="Int64")
    return pd.DataFrame(columns)


def _write_initiative(target: Path, ini: Initiative, files: list[FileResult]) -> None:
    schema = processed_schema(ini)
    frames = [f.kept for f in files if len(f.kept)]
    kept = pd.concat([schema, *frames], ignore_index=True) if frames else schema
    kept = kept[schema.columns].astype(schema.dtypes.to_dict())
    quarantine = pd.concat([_empty_quarantine(), *(f.quarantine for f in files)], ignore_index=True)
    _atomic_write(target / f"{ini.key}.parquet", lambda p: kept.to_parquet(p, index=False))
    _atomic_write(
        target / f"{ini.key}_quarantine.csv",
        lambda p: quarantine.to_csv(p, index=False, encoding="utf-8"),
    )


def _write_validation(target: Path, term: TermResult) -> None:
    files = [f.summary() for f in term.files]
    document = {
        "term": term.term,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "dspl_eval_version": __version__,
        "pseudonymisation_key": term.key_source,
        "files": files,
        "totals": {
            key: {
                "files": sum(1 for f in files if f["initiative"] == key),
                "files_failed": sum(1 for f in files if f["initiative"] == key and f["error"]),
                "rows_read": sum(f["rows_read"] for f in files if f["initiative"] == key),
                "rows_kept": sum(f["rows_kept"] for f in files if f["initiative"] == key),
                "rows_quarantined": sum(
                    f["rows_quarantined"] for f in files if f["initiative"] == key
                ),
            }
            for key in INITIATIVES
        },
        "costs": {"rows": 0 if term.costs is None else len(term.costs), "error": term.costs_error},
    }
    text = json.dumps(document, indent=2, ensure_ascii=False)
    _atomic_write(target / "validation.json", lambda p: Path(p).write_text(text, "utf-8"))


def current_umask() -> int:
    """The process's umask, read without changing it where the system says (Linux
    ``/proc/self/status``); elsewhere set and put straight back."""
    try:
        for line in Path("/proc/self/status").read_text("ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``.

    The file gets the mode an ordinary ``open`` would give it (``0o666`` less the umask,
    so colleagues in the group can read reports on a shared drive), not the ``0o600`` of
    the temporary file."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_costs(path: Path) -> tuple[pd.DataFrame | None, str | None]:
    """``costs.csv``: initiative, cost_gbp, optional sessions_delivered and notes."""
    if not path.is_file():
        return None, None
    try:
        cells = _read_csv(path)
    except InputFileError as error:
        return None, str(error)
    header = [normalise_header(c) if isinstance(c, str) else "" for c in cells.iloc[0]]
    wanted = {
        "initiative": "initiative",
        "costgbp": "cost_gbp",
        "cost": "cost_gbp",
        "sessionsdelivered": "sessions_delivered",
        "sessions": "sessions_delivered",
        "notes": "notes",
    }
    positions = {wanted[h]: i for i, h in enumerate(header) if h in wanted}
    if "initiative" not in positions or "cost_gbp" not in positions:
        return None, f"{path.name}: needs columns initiative and cost_gbp (found {header})"
    records, problems = [], []
    for row, values in cells.iloc[1:].iterrows():
        key = str(values[positions["initiative"]] or "").strip().lower()
        if not key:
            continue
        try:
            cost = parse_number(str(values[positions["cost_gbp"]]).replace("£", ""))
            sessions = (
                values[positions["sessions_delivered"]]
                if "sessions_delivered" in positions
                else None
            )
            sessions = (
                None
                if sessions is None or pd.isna(sessions) or not str(sessions).strip()
                else parse_number(sessions)
            )
        except DsplEvalError as error:  # pragma: no cover - CellError is a ValueError
            problems.append(f"row {row + 1}: {error}")
            continue
        except ValueError as error:
            problems.append(f"{path.name}, row {row + 1}: expected {error}")
            continue
        if key not in INITIATIVES:
            problems.append(f"{path.name}, row {row + 1}: unknown initiative {key!r}")
            continue
        records.append({"initiative": key, "cost_gbp": cost, "sessions_delivered": sessions})
    frame = pd.DataFrame.from_records(
        records, columns=["initiative", "cost_gbp", "sessions_delivered"]
    ).astype({"initiative": "str", "cost_gbp": "float64", "sessions_delivered": "float64"})
    return frame, "; ".join(problems) or None


def needs_ingest(data_root: Path, term: str) -> bool:
    """True when the term's processed data is missing, older than any raw file, or was made
    from a different set of returns (a file added, renamed or removed since)."""
    done = processed_dir(data_root, term) / "validation.json"
    if not done.is_file():
        return True
    try:
        ingested = {
            (f["initiative"], f["file"]) for f in json.loads(done.read_text("utf-8"))["files"]
        }
    except (ValueError, KeyError, TypeError):
        return True
    source = raw_dir(data_root, term)
    present = {(key, p.name) for key in INITIATIVES for p in return_files(source / key)}
    if present != ingested:
        return True
    newest = max(
        (p.stat().st_mtime for p in raw_dir(data_root, term).rglob("*") if p.is_file()),
        default=0.0,
    )
    return newest > done.stat().st_mtime


# ----------------------------------------------------------------------------- validate


def _short_title(initiative: Initiative) -> str:
    """``EBSA`` for "EBSA support pilot", ``nurture groups`` for "Nurture groups"."""
    first = initiative.title.split()[0]
    return first if first.isupper() else initiative.title[:1].lower() + initiative.title[1:]


def _a(word: str) -> str:
    """``an EBSA``, ``a nurture groups``: the article as the word is said."""
    said_vowel = word[:1].lower() in "aeiou" or (word.isupper() and word[:1] in "FHLMNRSX")
    return f"{'an' if said_vowel else 'a'} {word}"


def _other_initiative(path: Path, asked: Initiative) -> str | None:
    """The line "this looks like an EBSA return, not ELSA …" when another initiative fits the
    return's headers much better; None otherwise (or when the file cannot be read)."""
    try:
        sheets = read_sheets(path)
    except (DsplEvalError, OSError):
        return None
    found = likely_initiative(sheets, asked)
    if found is None:
        return None
    other, theirs, own = found
    return (
        f"{path.name}: this looks like {_a(_short_title(other))} return, not "
        f"{_short_title(asked)} — its headings match {theirs} {other.title} columns and only "
        f"{own} {asked.title} ones; check it with --initiative {other.key}, or send the "
        f"{_short_title(asked)} return instead"
    )


def _unmapped_lines(result: FileResult) -> list[str]:
    """One line per header that is not used, with the column a close one probably meant."""
    lines = []
    for column in result.unmapped_columns:
        line = (
            f"note: {result.file.name}, sheet {result.sheet!r}, row {result.header_row}: "
            f"column {column['header']!r} is not used"
        )
        if column["did_you_mean"]:
            line += f" — did you mean {column['did_you_mean']!r}?"
        lines.append(line)
    return lines


def validate_file(path: Path, initiative_key: str) -> tuple[list[str], int]:
    """Check one return as ingestion would: (messages, exit code). Nothing is written.

    Every problem is one line: ``file, sheet 'S', row N, column 'Header': 'value' — reason``.
    The last line is the verdict: ``ready to send`` or ``N rows need attention``.
    """
    initiative = get(initiative_key)
    throwaway = Key(secrets.token_bytes(32), "a throwaway key (validate writes nothing)")
    path = Path(path)
    result = ingest_file(path, initiative, throwaway)
    other = _other_initiative(path, initiative)
    if other is not None:
        lines = [other]
        if result.error:
            lines.append(result.error)
        return [*lines, f"cannot be used as {_a(_short_title(initiative))} return"], 1
    if result.error:
        return [result.error, "cannot be used: fix the file and check it again"], 1
    if result.rows_read == 0:
        unit = initiative.unit
        return [
            f"{path.name}, sheet {result.sheet!r}: this return has no rows — fill in one row "
            f"for each {unit} below the headings in row {result.header_row}",
            "not ready to send: the return is empty",
        ], 1
    lines = []
    for record in result.quarantine.itertuples(index=False):
        value = result.shown_values.get((int(record.row), record.column), record.value)
        place = f"{result.file.name}, sheet {record.sheet!r}, row {record.row}"
        if record.column == "(row)":
            lines.append(f"{place}: {record.reason}")
            continue
        where = f"column {record.header!r}" if record.header else f"column {record.column}"
        shown = f"{value!r}" if value != "" else "(blank)"
        lines.append(f"{place}, {where}: {shown} — {record.reason}")
    lines.extend(f"note: {n}" for n in result.notes)
    if result.dropped_columns:
        lines.append(
            "note: these columns identify people and will be discarded on receipt: "
            + ", ".join(repr(c) for c in result.dropped_columns)
        )
    lines.extend(_unmapped_lines(result))
    for missing in result.missing_outcomes:
        lines.append(
            f"{result.file.name}, sheet {result.sheet!r}: no column for {missing['outcome']}, "
            f"which the report needs — add one of: {', '.join(missing['missing_columns'])}"
        )
    bad = result.rows_quarantined
    if bad or result.missing_outcomes:
        verdict = [f"{bad} of {result.rows_read} rows need attention"] if bad else []
        if result.missing_outcomes:
            names = ", ".join(m["outcome"] for m in result.missing_outcomes)
            verdict.append(f"not ready to send: the return has no columns for {names}")
        lines.append("; ".join(verdict))
        return lines, 1
    lines.append(f"ready to send: {result.rows_read} rows checked, no problems found")
    return lines, 0
