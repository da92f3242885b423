"""The pre-send privacy audit: ``dspl-eval audit REPORT_DIR [--data DIR]``.

Scans every ``.html``/``.htm`` and ``.xlsx``/``.xlsm`` file under a reports folder and
reports, by file and location, anything that could leak:

- ``upn``: a UPN-shaped string (a letter, 11 digits, then a digit or letter; any case;
  also inside longer text), whether or not its check letter is right;
- ``pupil_id``: a ``pupil_id``/``participant_id`` from the term's processed data
  (``DATA/processed/<term>/*.parquet``);
- ``name``: a name from the term's raw returns (``DATA/raw/<term>/**``, the cells below
  any header that ingestion drops as a name), as a whole word or phrase, any case;
- ``small_count``: a count from 1 to ``threshold - 1`` that is not suppressed — in HTML,
  a numeric ``<td>`` of a ``<table data-dspl-counts>`` or of a column whose
  ``<th scope="col">`` carries ``data-dspl-counts``; in a workbook, a cell in a column
  whose header :func:`dspl_eval.disclosure.is_count_header` recognises;
- ``external``: a resource the page would fetch from the network (``src``, ``srcset``,
  ``poster``, ``data``, ``background`` attributes; ``href`` of ``<link>``, ``<base>`` and
  SVG ``<image>``/``<use>``; CSS ``url()`` and ``@import``) to ``http(s)://``, ``ftp://``
  or ``//``. Links people click (``<a href="https://...">``) and URLs in prose are fine;
- ``unreadable``: a file that cannot be read (it cannot be vouched for).

Findings never repeat a leaked value in full: it is masked to its first two characters.

Which terms' data: the term named by ``REPORT_DIR`` itself (``reports/2023-24-autumn``),
else every term folder inside it, else those given as ``terms``.

A name that is also a common English word (``Summer``, ``Brown``, ``Will``, see
:data:`COMMON_WORDS`) is looked for only as part of the child's full name, so that
"summer term" does not fail every report.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

from dspl_eval.disclosure import COUNTS_ATTRIBUTE, DEFAULT_THRESHOLD, is_count_header
from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.initiatives.base import DROPPED_HEADERS, normalise_header
from dspl_eval.paths import DEFAULT_DATA, DEMO_DATA, TERM_PATTERN

HTML_SUFFIXES = (".html", ".htm")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
NOTEBOOK_SUFFIXES = (".ipynb",)
TEXT_SUFFIXES = (".log", ".txt", ".csv", ".md")
RAW_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt")
ID_COLUMNS = ("pupil_id", "participant_id")
MIN_NAME_LENGTH = 3

#: Words that are names but also everyday English (or report vocabulary): matched only as
#: part of a full name from the same return row, never on their own.
COMMON_WORDS = frozenset(
    """
    all any april art august autumn average baker bell best bill black brown case change
    chance child children close cook day dawn did example eve faith field frank grace
    green grey gray hall hill hope ivy january joy july june king known lane law little
    long mark march may mean none not note notes other overall page parent power price
    pupil pupils read rich river rose school short sky spring stone strong sum summary
    summer sunny teacher teachers term total totals unknown ward west white will winter
    wood year young north south east english french music name names
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)

#: Titles dropped from the front of a name (``Miss Araminta Vexley`` → ``araminta vexley``).
TITLES = frozenset(
    {"mr", "mrs", "miss", "ms", "mx", "dr", "master", "sir", "dame", "lady", "lord", "prof", "rev"}
)

_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{11}[A-Za-z0-9](?![A-Za-z0-9])")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{20,}")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_EXTERNAL = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?[/\\]{2}", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]+)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?\s*([^'")\s;]+)""", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})*(?:\.0+)?$|^\d+(?:\.0+)?$")

_URL_ATTRS = frozenset({"src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc"})
_HREF_LOADS = frozenset({"link", "base", "image", "use", "feimage", "script"})


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One thing that could leak.

    Attributes
    ----------
    file : Path
        Relative to the audited folder.
    location : str
        ``line 12`` (HTML), ``sheet 'Summary', cell B4`` (workbook) or the part of a workbook.
    kind : str
        ``upn``, ``pupil_id``, ``name``, ``small_count``, ``external`` or ``unreadable``.
    detail : str
        What was found, with any identifying value masked (``Ze…``).
    """

    file: Path
    location: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}, {self.location}: {self.detail}"


@dataclass
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    findings : list of Finding
        Empty when the audit passed.
    files : list of Path
        Every file checked, relative to the audited folder.
    terms : tuple of str
        The terms whose raw and processed data were looked for.
    notes : list of str
        What could not be checked, and why (e.g. no data root).
    """

    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def lines(self) -> list[str]:
        """The findings as ``file, location: what`` lines."""
        return [str(f) for f in self.findings]


def mask(value: str) -> str:
    """A leaked value shortened so the report of it does not leak it again: ``'Ze…'``."""
    return f"{value[:2]}…"


# ----------------------------------------------------------------------------- identities


@dataclass
class Identities:
    """What to look for: pupil ids and names from a term's processed and raw data."""

    ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # casefolded, spaces collapsed
    notes: list[str] = field(default_factory=list)

    @cached_property
    def longest(self) -> int:
        """Words in the longest name (computed once: fill ``names`` before scanning)."""
        return max((name.count(" ") + 1 for name in self.names), default=0)

    def scan(self, text: str) -> list[tuple[str, str]]:
        """(kind, detail) for every UPN, known id or known name in ``text``."""
        found = [("upn", f"UPN-shaped string {mask(m.group())}") for m in _UPN.finditer(text)]
        if self.ids:
            found += [
                ("pupil_id", f"pupil id from the processed data {mask(i)}")
                for i in self._ids_in(text)
            ]
        if self.names:
            found += [
                ("name", f"name from the raw returns {mask(n)}") for n in self._names_in(text)
            ]
        return found

    def _ids_in(self, text: str) -> list[str]:
        hits = []
        for run in _HEX_RUN.findall(text):
            run = run.lower()
            hits += [run[k : k + 20] for k in range(len(run) - 19) if run[k : k + 20] in self.ids]
        return hits

    def _names_in(self, text: str) -> list[str]:
        """Known names in ``text``, longest phrase first; words of a found phrase are used up."""
        words = [w.casefold() for w in _WORD.findall(text)]
        hits = []
        longest = self.longest
        k = 0
        while k < len(words):
            for size in range(min(longest, len(words) - k), 0, -1):
                phrase = " ".join(words[k : k + size])
                if phrase in self.names:
                    hits.append(phrase)
                    k += size - 1
                    break
            k += 1
        return hits


def load_identities(data_root: Path, terms: Iterable[str]) -> Identities:
    """Collect the pupil ids (processed data) and names (raw returns) of the given terms."""
    found = Identities()
    for term in terms:
        processed = data_root / "processed" / term
        raw = data_root / "raw" / term
        if not processed.is_dir() and not raw.is_dir():
            found.notes.append(
                f"no data for term {term} under {data_root}: ids and names "
                "of that term were not checked"
            )
            continue
        for path in sorted(processed.glob("*.parquet")):
            found.ids |= _read_ids(path, found.notes)
        for path in sorted(p for p in raw.rglob("*") if p.suffix.lower() in RAW_SUFFIXES):
            if not _hidden(path):
                found.names |= _read_names(path, found.notes)
    return found


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _read_ids(path: Path, notes: list[str]) -> set[str]:
    import pyarrow.parquet as pq

    try:
        columns = [c for c in pq.read_schema(path).names if c in ID_COLUMNS]
        table = pq.read_table(path, columns=columns)
    except Exception as error:  # a corrupt file: say so, carry on
        notes.append(
            f"{path}: could not be read ({type(error).__name__}); its ids were not checked"
        )
        return set()
    ids = set()
    for column in table.column_names:
        ids |= {str(v).lower() for v in table.column(column).to_pylist() if v is not None}
    return {i for i in ids if re.fullmatch(r"[0-9a-f]{20}", i)}


def _read_names(path: Path, notes: list[str]) -> set[str]:
    from dspl_eval.ingest import read_sheets

    try:
        sheets = read_sheets(path)
    except DsplEvalError as error:
        notes.append(f"{path}: could not be read ({error}); names in it were not checked")
        return set()
    names: set[str] = set()
    for sheet in sheets:
        names |= _names_in_grid(sheet.cells.to_numpy(dtype=object).tolist())
    return names


def _names_in_grid(grid: list[list[object]]) -> set[str]:
    """Values below every name header of a sheet, and each row's names joined as a phrase."""
    names: set[str] = set()
    for r, row in enumerate(grid):
        columns = [c for c, v in enumerate(row) if _is_name_header(v)]
        if not columns:
            continue
        for below in grid[r + 1 :]:
            parts = [_clean_name(below[c]) for c in columns if c < len(below)]
            parts = [p for p in parts if p]
            for part in parts:
                names |= _name_variants(part)
            if len(parts) > 1:
                names.add(" ".join(parts))
                names.add(" ".join(reversed(parts)))
    return {n for n in names if len(n) >= MIN_NAME_LENGTH}


def _is_name_header(value: object) -> bool:
    return isinstance(value, str) and DROPPED_HEADERS.get(normalise_header(value)) == "name"


def _clean_name(value: object) -> str:
    """A name cell as casefolded words, without a leading title (``Miss``, ``Mrs``, ``Dr``)."""
    if not isinstance(value, str):
        return ""
    words = [w.casefold() for w in _WORD.findall(value)]
    while words and words[0] in TITLES:
        words = words[1:]
    return " ".join(words)


def _name_variants(name: str) -> set[str]:
    """A name as a whole and, for a full name of two or three words, each word of it.

    Single words that are everyday English (:data:`COMMON_WORDS`) or shorter than three
    characters are left out; they are still caught as part of the full name.
    """
    words = name.split()
    variants = {name} if len(words) > 1 or name not in COMMON_WORDS else set()
    if 2 <= len(words) <= 3:
        variants |= {w for w in words if len(w) >= MIN_NAME_LENGTH and w not in COMMON_WORDS}
    return variants


# ----------------------------------------------------------------------------- HTML


class _HtmlScanner(HTMLParser):
    """One pass over a page: identities in text and attributes, loads, small counts."""

    def __init__(self, identities: Identities, threshold: int) -> None:
        super().__init__(convert_charrefs=True)
        self.identities = identities
        self.threshold = threshold
        self.found: list[tuple[str, str, str]] = []  # (location, kind, detail)
        self._in_style = 0
        self._tables: list[dict] = []
        self._cell: dict | None = None

    # -- helpers
    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def _add(self, kind: str, detail: str) -> None:
        self.found.append((self._where(), kind, detail))

    def _text(self, text: str) -> None:
        for kind, detail in self.identities.scan(text):
            self._add(kind, detail)

    def _url(self, tag: str, attr: str, url: str) -> None:
        if _EXTERNAL.match(url):
            self._add("external", f"<{tag} {attr}> loads an external resource {url[:60]}")

    def _css(self, css: str, where: str) -> None:
        for pattern in (_CSS_URL, _CSS_IMPORT):
            for url in pattern.findall(css):
                if _EXTERNAL.match(url):
                    self._add("external", f"{where} loads an external resource {url[:60]}")

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)
        if tag == "style":
            self._in_style += 1
        elif tag == "table":
            marked = any(name == COUNTS_ATTRIBUTE for name, _ in attrs)
            self._tables.append({"counts": marked, "columns": set(), "col": 0})
        elif tag == "tr" and self._tables:
            self._end_cell()
            self._tables[-1]["col"] = 0
        elif tag in ("td", "th") and self._tables:
            self._start_cell(tag, dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = max(0, self._in_style - 1)
        elif tag in ("td", "th", "tr"):
            self._end_cell()
        elif tag == "table" and self._tables:
            self._end_cell()
            self._tables.pop()

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")
        self._text(data)
        if self._cell is not None:
            self._cell["text"].append(data)

    def _check_attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in _URL_ATTRS or (name in ("href", "xlink:href") and tag in _HREF_LOADS):
                urls = [u.split()[0] for u in value.split(",") if u.strip()]
                for url in urls if name == "srcset" else [value]:
                    self._url(tag, name, url)
                if value.lstrip()[:5].lower() == "data:":
                    continue  # embedded image or font: nothing to read in base64
            if name == "style":
                self._css(value, f"<{tag} style>")
            self._text(value)

    def _start_cell(self, tag: str, attrs: dict[str, str | None]) -> None:
        self._end_cell()
        table = self._tables[-1]
        col = table["col"]
        try:
            span = max(1, int(attrs.get("colspan") or 1))
        except ValueError:
            span = 1
        table["col"] = col + span
        if tag == "th" and COUNTS_ATTRIBUTE in attrs:
            table["columns"].add(col)
        if tag == "td" and (table["counts"] or col in table["columns"]):
            self._cell = {"text": [], "where": self._where()}

    def _end_cell(self) -> None:
        cell, self._cell = self._cell, None
        if cell is None:
            return
        text = "".join(cell["text"]).strip()
        if _NUMBER.match(text):
            value = float(text.replace(",", ""))
            if 1 <= value < self.threshold:
                self.found.append(
                    (
                        cell["where"],
                        "small_count",
                        f"count of {int(value)} in a table of counts is not suppressed "
                        f"(1 to {self.threshold - 1} must show as c)",
                    )
                )


def scan_html(text: str, identities: Identities, threshold: int) -> list[tuple[str, str, str]]:
    """(location, kind, detail) for everything in one page that could leak."""
    scanner = _HtmlScanner(identities, threshold)
    scanner.feed(text)
    scanner.close()
    scanner._end_cell()
    return scanner.found


# ----------------------------------------------------------------------------- workbooks


def scan_xlsx(path: Path, identities: Identities, threshold: int) -> list[tuple[str, str, str]]:
    """(location, kind, detail) for every cell of every sheet, and the workbook's other parts."""
    from python_calamine import CalamineWorkbook

    found = []
    book = CalamineWorkbook.from_path(str(path))
    try:
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            found += _scan_rows(name, rows, identities, threshold)
    finally:
        book.close()
    found += _scan_parts(path, identities)
    return found


def _scan_rows(
    sheet: str, rows: list[list[object]], identities: Identities, threshold: int
) -> list[tuple[str, str, str]]:
    found = []
    count_columns: set[int] = set()
    for r, row in enumerate(rows):
        headers = {c for c, v in enumerate(row) if is_count_header(v)}
        if headers and not any(_numeric(v) is not None for v in row):
            count_columns = headers  # a header row: the columns below it are counts
            continue
        for c, value in enumerate(row):
            where = f"sheet {sheet!r}, cell {_cell_name(r, c)}"
            if isinstance(value, str):
                found += [(where, kind, detail) for kind, detail in identities.scan(value)]
            number = _numeric(value) if c in count_columns else None
            if number is not None and 1 <= number < threshold:
                found.append(
                    (
                        where,
                        "small_count",
                        f"count of {int(number)} in a count column "
                        f"is not suppressed (1 to {threshold - 1} must show as c)",
                    )
                )
    return found


def _scan_parts(path: Path, identities: Identities) -> list[tuple[str, str, str]]:
    """Comments, document properties and the like (cells are read by calamine)."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if not name.endswith(".xml") or name.startswith(("xl/worksheets/sheet", "xl/shared")):
                continue
            xml = archive.read(info).decode("utf-8", "replace")
            text = re.sub(r'[<>="/]', " ", xml)  # text and attribute values (sheet names)
            found += [(f"part {name}", kind, detail) for kind, detail in identities.scan(text)]
    return found


def _numeric(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value.strip().replace(",", ""))
    return None


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


# ----------------------------------------------------------------------------- notebooks


def scan_notebook(path: Path, identities: Identities, threshold: int) -> list[tuple[str, str, str]]:
    """The executed notebooks kept beside the reports travel with them: every cell's source
    and every text, HTML, Markdown or JSON output is scanned (embedded images are not text).
    HTML outputs get the full page checks (small counts, external loads)."""
    import json

    found: list[tuple[str, str, str]] = []
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        where = f"cell {number}"
        texts = [_joined(cell.get("source", ""))]
        for output in cell.get("outputs", []):
            texts.append(_joined(output.get("text", "")))
            for mime, data in output.get("data", {}).items():
                if mime == "text/html":
                    found += [
                        (f"{where}, {loc}", kind, detail)
                        for loc, kind, detail in scan_html(_joined(data), identities, threshold)
                    ]
                elif mime.startswith("text/") or mime.endswith("json"):
                    texts.append(data if isinstance(data, str) else json.dumps(data))
            texts.append(_joined(output.get("traceback", "")))
        found += [(where, kind, detail) for kind, detail in identities.scan("\n".join(texts))]
    return found


def _joined(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


# ----------------------------------------------------------------------------- audit


def report_terms(report_dir: Path) -> tuple[str, ...]:
    """The term ``report_dir`` is for (``reports/2023-24-autumn``), else the term folders in it."""
    if TERM_PATTERN.match(report_dir.name):
        return (report_dir.name,)
    return tuple(
        sorted(p.name for p in report_dir.iterdir() if p.is_dir() and TERM_PATTERN.match(p.name))
    )


def report_files(report_dir: Path) -> list[Path]:
    """Every HTML page and workbook under ``report_dir``, sorted; hidden files included (they
    travel in a zip too), Office lock files (``~$...``) left out."""
    suffixes = HTML_SUFFIXES + XLSX_SUFFIXES + NOTEBOOK_SUFFIXES + TEXT_SUFFIXES
    return sorted(
        p
        for p in report_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith("~$")
    )


def audit_reports(
    report_dir: Path,
    data_root: Path | None = None,
    terms: Iterable[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> AuditResult:
    """Check every report under ``report_dir`` for anything that could leak.

    Parameters
    ----------
    report_dir : Path
        ``reports/<term>`` or a folder of term folders.
    data_root : Path, optional
        Holds ``raw/<term>/...`` and ``processed/<term>/...``, read to learn which pupil ids
        and names to look for. Without it only UPNs, small counts and loads are checked
        (a note says so).
    terms : iterable of str, optional
        The terms whose data to read; default: from ``report_dir`` (see :func:`report_terms`).
    threshold : int, default 5
        Counts from 1 to ``threshold - 1`` must be suppressed.

    Returns
    -------
    AuditResult

    Raises
    ------
    ConfigError
        ``report_dir`` or an explicitly given ``data_root`` is not a folder.
    """
    report_dir = Path(report_dir)
    if not report_dir.is_dir():
        raise ConfigError(f"audit: {report_dir} is not a folder of reports")
    result = AuditResult(terms=tuple(terms) if terms is not None else report_terms(report_dir))
    identities = _identities(data_root, result)
    for path in report_files(report_dir):
        relative = path.relative_to(report_dir)
        result.files.append(relative)
        for location, kind, detail in _scan_file(path, identities, threshold):
            result.findings.append(Finding(relative, location, kind, detail))
    if not result.files:
        result.notes.append(f"no .html or .xlsx files found under {report_dir}")
    return result


def _identities(data_root: Path | None, result: AuditResult) -> Identities:
    if data_root is None:
        result.notes.append("no data folder given: pupil ids and names were not checked")
        return Identities()
    data_root = Path(data_root)
    if not data_root.is_dir():
        raise ConfigError(f"audit: data folder {data_root} not found")
    if not result.terms:
        result.notes.append("no term folders found: pupil ids and names were not checked")
    identities = load_identities(data_root, result.terms)
    result.notes += identities.notes
    return identities


def _scan_file(path: Path, identities: Identities, threshold: int) -> list[tuple[str, str, str]]:
    try:
        if path.suffix.lower() in HTML_SUFFIXES:
            text = path.read_bytes().decode("utf-8", errors="replace")
            return scan_html(text, identities, threshold)
        if path.suffix.lower() in NOTEBOOK_SUFFIXES:
            return scan_notebook(path, identities, threshold)
        if path.suffix.lower() in TEXT_SUFFIXES:  # kernel logs and notes travel with reports
            text = path.read_bytes().decode("utf-8", errors="replace")
            return [("text", kind, detail) for kind, detail in identities.scan(text)]
        return scan_xlsx(path, identities, threshold)
    except Exception as error:  # fail safe: what cannot be read cannot be vouched for
        return [
            (
                "whole file",
                "unreadable",
                f"cannot be read ({type(error).__name__}: {str(error)[:80]})",
            )
        ]


def default_data_root(report_dir: Path) -> Path | None:
    """``data/demo`` for demo reports (a ``demo`` folder in the path), else ``data``; None
    when that folder does not exist."""
    parts = Path(report_dir).resolve().parts
    root = DEMO_DATA if "demo" in parts else DEFAULT_DATA
    return root if root.is_dir() else None


def main(report_dir: Path, data_root: Path | None = None) -> int:
    """Run the audit and print the result; return 1 if anything was found, else 0.

    Each finding prints as ``file, location: what``; a pass prints
    ``audit passed: N files checked``. Notes (what could not be checked) print first.
    """
    report_dir = Path(report_dir)
    if data_root is None:
        data_root = default_data_root(report_dir)
    result = audit_reports(report_dir, data_root)
    for note in result.notes:
        print(f"note: {note}")
    if result.passed:
        print(f"audit passed: {len(result.files)} files checked")
        return 0
    for line in result.lines():
        print(line)
    print(f"audit FAILED: {len(result.findings)} problem(s) in {len(result.files)} files checked")
    return 1
