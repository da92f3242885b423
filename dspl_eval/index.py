"""The term's front page (``index.html``) and spreadsheet (``summary.xlsx``).

Both are built from what each notebook published (:mod:`dspl_eval.summary`), so they can
never disagree with the reports. The index is self-contained and offline like the reports.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from dspl_eval.ingest import _atomic_write
from dspl_eval.initiatives import INITIATIVES

SYMBOLS_NOTE = (
    "c = suppressed: fewer than the suppression threshold of people (or a figure that would "
    "let one be worked out); x = not available; z = not applicable."
)


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table_html(table: dict) -> str:
    """A published table (from a notebook's summary) as accessible HTML, counts marked."""
    import pandas as pd

    from dspl_eval.disclosure import to_html

    frame = pd.DataFrame(table["rows"], columns=table["columns"], dtype=object)
    frame = frame.set_index(table["columns"][0]).fillna("x")
    return to_html(
        frame,
        caption=table["title"],
        counts=list(table.get("counts") or []),
        note=table.get("note") or None,
    )


def _fmt(value: object) -> str:
    if value is None:
        return "x"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


QUALITY_COUNTS = ("Rows read", "Rows kept", "Rows quarantined")
QUALITY_TABLE = "data quality"  # the name of the table a notebook publishes (summary.py)


def _validation(processed: Path) -> dict:
    path = Path(processed) / "validation.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def quality_table(
    processed: Path, result, audience: str, threshold: int = 5, validation: dict | None = None
) -> dict | None:
    """One initiative's rows read / kept / quarantined per return ("Return 1", "Return 2",
    … in file-name order, never the file's own name), with the initiative's total.

    The numbers are the ones the report published (its ``data quality`` table, already
    suppressed by the report's gate), so the index never prints a number the gate did not
    issue. Where the report published none (it failed), the commissioner index says only
    which returns were read; the analyst index shows the numbers of ``validation.json``.
    ``None`` when the initiative had no return.
    """
    import pandas as pd

    from dspl_eval.term_check import return_labels

    document = validation if validation is not None else _validation(processed)
    files = [f for f in document.get("files") or [] if f.get("initiative") == result.initiative]
    if not files:
        return None
    labels = return_labels(files, result.initiative)
    status = {labels[str(f["file"])]: "not read" if f.get("error") else "read" for f in files}
    published = _published_quality(result, labels)
    if published is None and audience == "analyst":
        published = _computed_quality(files, labels)
    elif published is None:
        # the report's gate issued no numbers (it failed): say only which returns were read
        published = pd.DataFrame(index=pd.Index(sorted(status, key=_return_number), name="Return"))
    published.insert(len(published.columns), "Status", [status.get(i, "") for i in published.index])
    counts = [c for c in QUALITY_COUNTS if c in published.columns]
    title = INITIATIVES[result.initiative].title
    return {
        "title": f"{title}: rows read, kept and quarantined per return (read = kept + quarantined)"
        if counts
        else f"{title}: returns read (the report failed, so no row counts are shown)",
        "columns": ["Return", *published.columns],
        "rows": [
            [i, *r]
            for i, r in zip(
                published.index, published.itertuples(index=False, name=None), strict=True
            )
        ],
        "counts": counts,
    }


_KEYS = ("rows_read", "rows_kept", "rows_quarantined")


def _computed_quality(files: list[dict], labels: dict[str, str]):
    """Rows per return from ``validation.json``, with a Total row (analyst edition only:
    nothing here has passed a gate)."""
    import pandas as pd

    frame = pd.DataFrame(
        [[labels[str(f["file"])], *(int(f.get(k) or 0) for k in _KEYS)] for f in files],
        columns=["Return", *QUALITY_COUNTS],
    ).set_index("Return")
    frame = frame.sort_index(key=lambda i: i.map(_return_number))
    frame.loc["Total"] = frame.sum()
    return frame.astype(object)


def _return_number(label: object) -> int:
    text = str(label)
    if text.startswith("Return ") and text[7:].isdigit():
        return int(text[7:])
    return 10**9  # Total (and anything else) last


def _published_quality(result, labels: dict[str, str]):
    """The report's own data-quality table (as its gate issued it), rows relabelled
    "Return N"; ``None`` when the report published none or it does not fit."""
    import pandas as pd

    if not result.ok:
        return None
    table = next(
        (t for t in result.summary.get("tables", []) if t.get("name") == QUALITY_TABLE), None
    )
    if table is None or not set(QUALITY_COUNTS) <= set(table.get("columns", [])):
        return None
    frame = pd.DataFrame(table["rows"], columns=table["columns"], dtype=object)
    frame = frame.set_index(table["columns"][0])[list(QUALITY_COUNTS)].fillna("x")
    known = set(labels.values()) | {"Total"}
    relabelled = [labels.get(str(i), str(i)) for i in frame.index]
    if not set(relabelled) <= known:
        return None  # a row we cannot name safely: compute instead
    frame.index = pd.Index(relabelled, name="Return")
    return frame.sort_index(key=lambda i: i.map(_return_number))


def _status_html(audience: str, audit_passed, findings, reasons, ready: bool) -> str:
    items = "".join(f"<li>{_esc(r)}</li>" for r in reasons)
    if audience == "analyst":
        extra = f"<p>This edition is incomplete:</p><ul>{items}</ul>" if reasons else ""
        return (
            '<div class="status"><p><strong>Analyst edition:</strong> not for circulation '
            f"outside the analytical team. Counts are not suppressed.</p>{extra}</div>"
        )
    if ready:
        return (
            '<p class="status ok"><strong>Ready to send.</strong> Every report built, every '
            "return was read, and the privacy audit found no identities, unsuppressed small "
            "counts or external resources.</p>"
        )
    if audit_passed is False:
        items += (
            f"<li>The privacy audit found {len(findings)} problem(s):<ul>"
            + "".join(f"<li>{_esc(f)}</li>" for f in findings[:50])
            + "</ul></li>"
        )
    elif audit_passed is None:
        items += "<li>The privacy audit has not run yet.</li>"
    return (
        f'<div class="status bad"><p><strong>NOT READY to send.</strong></p><ul>{items}</ul></div>'
    )


def _threshold_line(audience: str, threshold: int) -> str:
    if audience == "analyst":
        return f"Suppression threshold: {threshold} (analyst edition: counts are not suppressed)."
    return (
        f"Suppression threshold: {threshold}. Smaller counts are shown as c, together with "
        "any figure that would let one be worked out."
    )


def write_index(
    path: Path,
    term: str,
    results,
    processed: Path,
    audience: str,
    audit_passed: bool | None,
    findings: list[str],
    *,
    threshold: int = 5,
    meta: dict | None = None,
    reasons: list[str] | tuple[str, ...] = (),
    ready: bool = False,
    partnership: str = "",
) -> Path:
    """Write ``index.html``: the pack's status, every initiative's headlines and link (or
    why its report failed, in plain words), data quality per return, and the threshold.
    ``partnership`` (the settings file's name of the LA or partnership) heads the page.

    ``reasons`` (plain words, no paths or file names) say why the pack is not ready;
    ``ready`` is decided by the runner. No totals across initiatives are shown.
    """
    from dspl_eval.export import meta_tags, report_css
    from dspl_eval.runner import FAILED_TODO, run_stamp

    stamp = run_stamp()
    meta = {
        "edition": audience,
        "term": term,
        "threshold": threshold,
        "initiative": "index",
        **(meta or {}),
    }
    status = _status_html(audience, audit_passed, findings, list(reasons), ready)
    sections = []
    for result in results:
        title = INITIATIVES[result.initiative].title
        if result.ok:
            heads = result.summary.get("headlines", [])
            items = "".join(f"<li>{_esc(h)}</li>" for h in heads) or "<li>No headlines.</li>"
            link = (
                f'<p><a href="{_esc(result.html.name)}">Read the full {_esc(title)} report</a></p>'
            )
            sections.append(
                f'<section data-dspl-initiative="{_esc(result.initiative)}">'
                f"<h2>{_esc(title)}</h2><ul>{items}</ul>{link}</section>"
            )
        else:
            reason = result.reason or "The report could not be run, so it was not published."
            sections.append(
                f'<section data-dspl-initiative="{_esc(result.initiative)}"><h2>{_esc(title)}</h2>'
                f'<p class="status bad"><strong>This report '
                f"failed and was not published.</strong> {_esc(reason)}</p>"
                f"<p><strong>What to do:</strong> {_esc(FAILED_TODO)}</p></section>"
            )
    validation = _validation(processed)
    quality = []
    for result in results:
        table = quality_table(processed, result, audience, threshold, validation)
        title = INITIATIVES[result.initiative].title
        shown = _table_html(table) if table else f"<p>{_esc(title)}: no returns this term.</p>"
        quality.append(f'<div data-dspl-initiative="{_esc(result.initiative)}">{shown}</div>')
    threshold_line = _threshold_line(audience, threshold)
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta_tags(meta)}
<title>SEND partnership evaluation: {_esc(term)}</title>
<style>{report_css()}{INDEX_CSS}</style>
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<main id="main-content" tabindex="-1">
{f'<p class="partnership">{_esc(partnership)}</p>' if partnership else ""}
<h1>SEND partnership evaluation: {_esc(term)}</h1>
{status}
<p class="threshold" data-dspl-threshold="{_esc(threshold)}">{_esc(threshold_line)}</p>
{"".join(sections)}
<section><h2>Data quality</h2>{"".join(quality)}
<p class="note">{_esc(SYMBOLS_NOTE)}</p>
<p>The headline tables are also in <a href="summary.xlsx">summary.xlsx</a>.</p></section>
<section><h2>About these reports</h2>
<p>Term {_esc(term)}; edition: {_esc(audience)}; suppression threshold {_esc(threshold)};
produced by dspl-eval {_esc(stamp["dspl_eval_version"])} on {_esc(stamp["run_at"])}.
Returns are numbered in the order of their file names. Each report ends with its methods
and caveats.</p></section>
</main>
</body>
</html>
"""
    _atomic_write(path, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return path


INDEX_CSS = """
.status{padding:.75rem 1rem;border-left:6px solid #505a5f;background:#f3f2f1}
.status.ok{border-color:#00703c}.status.bad{border-color:#d4351c}
"""


# ----------------------------------------------------------------------------- summary.xlsx
# The reports publish display strings ("+14.6", "−15.8", "58% (45% to 70%)", "p < .001").
# summary.xlsx splits each into numbers in their own columns with a number format that
# shows them as the report did. A string is only ever turned into numbers when writing
# those numbers back in the report's style gives the very same string; anything else
# stays as the text it was (never a changed value).

SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE = "c", "x", "z"
SYMBOLS = {
    SUPPRESSED: "suppressed: a count below the suppression threshold, or a figure that would "
    "let one be worked out (with it every figure computed from those people: their mean, "
    "change, interval and p-value)",
    NOT_AVAILABLE: "not available: the figure could not be computed (too few people, or no "
    "variation), or the interval does not exist",
    NOT_APPLICABLE: "not applicable",
}

_TOKEN = re.compile(
    r"(?P<sign>[+\-−]?)(?P<money>£?)(?P<whole>\d{1,3}(?:,\d{3})+|\d+|)(?:\.(?P<dec>\d+))?"
    r"(?P<unit>%| points?)?"
)
_P = re.compile(r"p (?P<relation>[=<]) (?P<value>\d*\.\d+)")
_ESTIMATE_INTERVAL = re.compile(r"(?P<estimate>[^()]+?) \((?P<low>[^()]+?) to (?P<high>[^()]+)\)")


@dataclass(frozen=True)
class Number:
    """One number of a display string and how the report wrote it.

    ``value`` is the number as shown (58% → 58, never 0.58: percentages stay on the 0-100
    scale the report used, with a ``%`` in the number format); ``plus`` for an explicit
    ``+``, ``minus`` the minus sign used (U+2212 or a hyphen), ``bare`` for ``.003``
    written without its leading zero, ``grouped`` for thousands commas."""

    value: int | float
    decimals: int = 0
    plus: bool = False
    negative: bool = False
    minus: str = "−"
    money: bool = False
    grouped: bool = False
    bare: bool = False
    unit: str = ""  # "", "%", " points", " point"

    def text(self) -> str:
        """The number written back as the report wrote it."""
        size = abs(self.value)
        body = f"{size:,.{self.decimals}f}" if self.grouped else f"{size:.{self.decimals}f}"
        if self.bare and body.startswith("0."):
            body = body[1:]
        sign = self.minus if self.negative else "+" if self.plus else ""
        return f"{sign}{'£' if self.money else ''}{body}{self.unit}"

    @property
    def number_format(self) -> str:
        """An Excel number format that shows ``value`` as the report did (``+0.0;"−"0.0``,
        ``0"%"``, ``"£"#,##0``, ``0.000``)."""
        core = ("#,##0" if self.grouped else "0") + (
            "." + "0" * self.decimals if self.decimals else ""
        )
        money = '"£"' if self.money else ""
        unit = f'"{self.unit}"' if self.unit else ""
        positive = ("+" if self.plus else "") + money + core + unit
        negative = ('"−"' if self.minus == "−" else "-") + money + core + unit
        return f"{positive};{negative}"


def _number(text: str) -> Number | None:
    match = _TOKEN.fullmatch(text)
    if match is None or not (match["whole"] or match["dec"]):
        return None
    whole, dec = match["whole"], match["dec"] or ""
    magnitude = float(f"{whole.replace(',', '') or '0'}.{dec or '0'}")
    negative = match["sign"] in ("-", "−")
    value: int | float = magnitude if dec else int(magnitude)
    number = Number(
        value=-value if negative else value,
        decimals=len(dec),
        plus=match["sign"] == "+",
        negative=negative,
        minus=match["sign"] if negative else "−",
        money=bool(match["money"]),
        grouped="," in whole or bool(match["money"]),
        bare=not whole,
        unit=match["unit"] or "",
    )
    return number if number.text() == text else None


@dataclass(frozen=True)
class Figure:
    """What a published cell holds: ``kind`` is ``blank``, ``symbol`` (c, x, z), ``count``
    (an int), ``float`` (a number already), ``number`` (a string of one), ``interval``
    (low to high), ``estimate`` (estimate with its interval), ``p`` (``relation`` ``=`` or
    ``<``) or ``text`` (left as it is)."""

    kind: str
    raw: object
    numbers: tuple[Number, ...] = ()
    relation: str = ""

    def text(self) -> str:
        """The display string rebuilt from the numbers (the round trip)."""
        n = self.numbers
        if self.kind == "number":
            return n[0].text()
        if self.kind == "interval":
            return f"{n[0].text()} to {n[1].text()}"
        if self.kind == "estimate":
            return f"{n[0].text()} ({n[1].text()} to {n[2].text()})"
        if self.kind == "p":
            return f"p {self.relation} {n[0].text()}"
        return "" if self.raw is None else str(self.raw)


def parse_figure(value: object) -> Figure:
    """A published cell as numbers: ``"+9.5 to +19.7"`` → an interval of 9.5 and 19.7,
    ``"p < .001"`` → 0.001 with relation ``<``, ``"£1,221"`` → 1221. Strings that do not
    rebuild exactly (:meth:`Figure.text`) stay text.

    >>> parse_figure("58% (45% to 70%)").numbers[2].value
    70
    >>> parse_figure("−15.8").numbers[0].value
    -15.8
    """
    if value is None or value == "":
        return Figure("blank", value)
    if isinstance(value, bool):
        return Figure("text", value)
    if isinstance(value, int):
        return Figure("count", value)
    if isinstance(value, float):
        return Figure("float", value)
    text = str(value)
    if text in SYMBOLS:
        return Figure("symbol", text)
    if (number := _number(text)) is not None:
        return Figure("number", value, (number,))
    if (p := _P.fullmatch(text)) is not None and (number := _number(p["value"])) is not None:
        return _checked(Figure("p", value, (number,), p["relation"]))
    if (match := _ESTIMATE_INTERVAL.fullmatch(text)) is not None:
        parts = tuple(_number(match[k]) for k in ("estimate", "low", "high"))
        if all(parts):
            return _checked(Figure("estimate", value, parts))  # type: ignore[arg-type]
    if text.count(" to ") == 1:
        parts = tuple(_number(t) for t in text.split(" to "))
        if all(parts):
            return _checked(Figure("interval", value, parts))  # type: ignore[arg-type]
    return Figure("text", value)


def _checked(figure: Figure) -> Figure:
    return figure if figure.text() == figure.raw else Figure("text", figure.raw)


@dataclass(frozen=True)
class XCell:
    """A cell of summary.xlsx: its value and number format (None: General / text)."""

    value: object
    number_format: str | None = None


_CI_WORDS = (re.compile(r"95% CI;\s*"), re.compile(r",\s*95% CI"), re.compile(r"\s*\(95% CI\)"))


def _estimate_header(header: str) -> str:
    for words in _CI_WORDS:
        header = words.sub("", header)
    return header.strip() or "Estimate"


def numeric_table(table: dict) -> tuple[list[str], list[list[XCell]], list[str]]:
    """A published table as headers, rows of :class:`XCell` and its count headers.

    Each column of statistics becomes numbers: a column of intervals becomes ``…: lower``
    and ``…: upper``; a column of estimates with intervals becomes the estimate, ``…:
    lower 95% CI`` and ``…: upper 95% CI``; a column of p-values becomes ``…: value`` and
    ``…: = or <`` (``<`` for ``p < .001``, stored as 0.001). A suppressed cell is ``c`` in
    every column it becomes. A column with any other text stays as it was. The first
    column (row labels) is always text.
    """
    columns = list(table["columns"])
    rows = [list(r) + [None] * (len(columns) - len(r)) for r in table["rows"]]
    counts = set(table.get("counts") or [])
    headers: list[str] = []
    out_rows: list[list[XCell]] = [[] for _ in rows]
    count_headers: list[str] = []
    for k, column in enumerate(columns):
        figures = [parse_figure(r[k]) for r in rows]
        kinds = {f.kind for f in figures} - {"blank", "symbol"}
        shape = _shape(kinds) if k > 0 else None
        if shape is None:  # text (or counts) as they were
            headers.append(_count_header(column, table))
            if column in counts:
                count_headers.append(headers[-1])
            for out, figure in zip(out_rows, figures, strict=True):
                out.append(_as_is(figure))
            continue
        headers.extend(_split_headers(column, shape))
        for out, figure in zip(out_rows, figures, strict=True):
            out.extend(_split_cells(figure, shape))
    return _unique(headers), out_rows, count_headers


def _shape(kinds: set[str]) -> str | None:
    if not kinds or "text" in kinds:
        return None
    if kinds <= {"number", "float", "count"}:
        return "number" if kinds & {"number", "float"} else None
    if kinds <= {"estimate", "number", "float"}:
        return "estimate"
    if kinds == {"interval"}:
        return "interval"
    if kinds == {"p"}:
        return "p"
    return None


def _split_headers(column: str, shape: str) -> list[str]:
    if shape == "number":
        return [column]
    if shape == "interval":
        return [f"{column}: lower", f"{column}: upper"]
    if shape == "estimate":
        base = _estimate_header(column)
        return [base, f"{base}: lower 95% CI", f"{base}: upper 95% CI"]
    return [f"{column}: value", f"{column}: = or <"]


def _split_cells(figure: Figure, shape: str) -> list[XCell]:
    width = {"number": 1, "interval": 2, "estimate": 3, "p": 2}[shape]
    if figure.kind in ("blank", "symbol"):
        symbol = figure.raw if figure.kind == "symbol" else NOT_AVAILABLE
        return [XCell(symbol)] * width
    if figure.kind == "count":
        return [XCell(figure.raw, "#,##0")]
    if figure.kind == "float":
        return [XCell(figure.raw, "General")] + [XCell(NOT_AVAILABLE)] * (width - 1)
    if shape == "p":
        p = figure.numbers[0]
        return [XCell(p.value, "0." + "0" * max(p.decimals, 1)), XCell(figure.relation)]
    cells = [XCell(n.value, n.number_format) for n in figure.numbers]
    return cells + [XCell(NOT_AVAILABLE)] * (width - len(cells))


def _as_is(figure: Figure) -> XCell:
    if figure.kind == "blank":
        return XCell("" if figure.raw == "" else NOT_AVAILABLE)
    if figure.kind == "count":
        return XCell(figure.raw, "#,##0")
    return XCell(figure.raw)


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        text = str(header) if header not in (None, "") else "Column"
        if text.lower() in seen:
            seen[text.lower()] += 1
            text = f"{text} ({seen[text.lower()]})"
        seen.setdefault(text.lower(), 1)
        out.append(text)
    return out


CONTENTS_SHEET, HEADLINES_SHEET, NOTES_SHEET = "Contents", "Headlines", "Notes"
_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_summary_xlsx(
    path: Path,
    term: str,
    results,
    audience: str,
    *,
    threshold: int = 5,
    meta: dict | None = None,
    processed: Path | None = None,
    partnership: str = "",
) -> Path:
    """``summary.xlsx``, laid out as the Government Analysis Function's "releasing
    statistics in spreadsheets" guidance asks: a cover sheet with the contents
    (``Contents``), a one-page ``Headlines`` sheet (each report's headline sentences,
    ready to paste), a ``Notes`` sheet (symbols, threshold, edition, term), then one table
    per sheet, each starting in A1 with its title, in an Excel table, with no merged cells
    and no blank rows inside the table.

    Statistics are numbers with number formats (see :func:`numeric_table`); suppressed
    cells keep the symbol ``c`` (and ``x``, ``z``) as text. The workbook's keywords carry
    the page metadata (``dspl-eval-edition=...;dspl-eval-term=...;dspl-eval-threshold=...``)
    and the first sheet says the same in words and as ``dspl-eval-…`` rows (the data
    fingerprint is left out: a 64-digit hex string in a workbook reads as a file hash to
    the audit). Cells naming a raw return file (with ``processed`` given) are written as
    "Return N".

    The headline charts (:func:`headline_charts`: the first chart of each of a report's
    first :data:`CHARTS_PER_REPORT` sections with charts) go on a ``Charts`` sheet, taken
    from the report page itself — the very PNG bytes of its ``<img>``, not re-encoded —
    each under a caption cell and its alt text, which is also the picture's description.
    Only a page of this workbook's edition is read, and never a per-person chart.
    ``partnership`` (the settings file's LA or partnership name) heads the first sheet.
    """
    from dspl_eval.term_check import return_labels

    meta = {"edition": audience, "term": term, "threshold": threshold, **(meta or {})}
    meta.pop("initiative", None)
    validation = _validation(processed) if processed is not None else {}
    book = Workbook()
    book.properties.title = f"SEND partnership evaluation: headline tables, {term}"
    book.properties.keywords = ";".join(
        f"dspl-eval-{k}={meta[k]}" for k in ("edition", "term", "threshold")
    )
    contents = book.active
    contents.title = CONTENTS_SHEET
    headlines = book.create_sheet(HEADLINES_SHEET)
    notes = book.create_sheet(NOTES_SHEET)
    used: set[str] = {CONTENTS_SHEET, HEADLINES_SHEET, NOTES_SHEET, CHARTS_SHEET}
    listed: list[tuple[str, str, str]] = [
        (HEADLINES_SHEET, "All", "Headlines: the headline sentences of each report"),
        (NOTES_SHEET, "All", "Notes: symbols, suppression threshold, edition and term"),
    ]
    charts = [
        chart
        for result in results
        if result.ok and result.html is not None
        for chart in headline_charts(result.html, audience, INITIATIVES[result.initiative].title)
    ]
    if charts:
        _write_charts(book.create_sheet(CHARTS_SHEET), term, audience, charts)
        listed.append((CHARTS_SHEET, "All", "Charts: the headline charts of each report"))
    table_notes: list[tuple[str, str]] = []
    headline_rows: list[list[str]] = []
    for result in results:
        title = INITIATIVES[result.initiative].title
        if not result.ok:
            listed.append(("", title, "report failed: not included"))
            headline_rows.append([title, "This report failed and was not published."])
            continue
        headline_rows += [[title, str(h)] for h in result.summary.get("headlines", [])] or [
            [title, "No headlines."]
        ]
        labels = return_labels(validation.get("files") or [], result.initiative)
        for table in result.summary.get("tables", []):
            name = _sheet_name(f"{result.initiative} {table['name']}", used)
            _write_table_sheet(book.create_sheet(name), table, labels, len(book.worksheets))
            listed.append((name, title, table["title"]))
            if table.get("note"):
                table_notes.append((name, table["note"]))
    _write_contents(contents, term, audience, threshold, meta, listed, partnership)
    _write_headlines(headlines, term, audience, headline_rows)
    _write_notes(notes, term, audience, threshold, table_notes)
    _atomic_write(path, book.save)
    return path


def _write_contents(ws, term, audience, threshold, meta, listed, partnership="") -> None:
    ws["A1"] = f"SEND partnership evaluation: headline tables, {term} ({audience})"
    if partnership:
        ws["A1"] = f"{partnership}: {ws['A1'].value}"
    ws["A1"].font = _TITLE
    ws["A2"] = f"Edition: {audience}. Term: {term}. Suppression threshold: {threshold}."
    ws["A3"] = (
        "The headline tables of this term's reports, as published in them. Statistics are "
        "stored as numbers (percentages on the 0 to 100 scale the reports use); symbols "
        "such as c are explained on the Notes sheet."
    )
    ws["A4"] = SYMBOLS_NOTE
    for key in ("edition", "term", "threshold"):
        ws.append([f"dspl-eval-{key}", str(meta[key])])
    ws.append(["Sheet", "Initiative", "Table"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = _BOLD
    for name, initiative, title in listed:
        ws.append([name or "(none)", initiative, title])
        if name:
            cell = ws.cell(row=ws.max_row, column=1)
            cell.hyperlink = f"#'{name}'!A1"
            cell.style = "Hyperlink"
    _add_table(ws, "contents", header_row, 3)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 80


def _write_headlines(ws, term, audience, rows) -> None:
    ws["A1"] = f"Headlines, {term} ({audience} edition)"
    ws["A1"].font = _TITLE
    ws["A2"] = "One sentence per row, as each report states it: copy column B into a paper."
    ws.append(["Initiative", "Headline"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = _BOLD
    for row in rows:
        ws.append(row)
        ws.cell(row=ws.max_row, column=2).alignment = _WRAP
    _add_table(ws, "headlines", header_row, 2)
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 110
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


# ----------------------------------------------------------------------------- charts

CHARTS_SHEET = "Charts"
#: how many of a report's sections give a headline chart (the first chart of each)
CHARTS_PER_REPORT = 2
#: the widest a chart is shown in the workbook, in pixels (its bytes are not changed)
CHART_WIDTH = 640


@dataclass(frozen=True)
class PageChart:
    """One chart as a report page shows it: its PNG bytes, alt text and section."""

    initiative: str  # the report's title
    section: str  # the heading of the section it is in
    alt: str
    png: bytes
    kind: str = ""


class _PageImages(HTMLParser):
    """The page's edition (meta tag) and every ``<img>`` with the ``<h2>`` it is under."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.edition: str | None = None
        self.images: list[tuple[str, dict[str, str]]] = []
        self.section = ""
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = {k: v or "" for k, v in attrs}
        if tag == "meta" and attrs.get("name") == "dspl-eval-edition":
            self.edition = attrs.get("content")
        elif tag == "h2":
            self._heading = []
        elif tag == "img":
            self.images.append((self.section, attrs))

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._heading is not None:
            self.section = " ".join("".join(self._heading).split()).rstrip("¶ ")
            self._heading = None


_PNG_URI = re.compile(r"^data:image/png;base64,(?P<data>[A-Za-z0-9+/=\s]+)$")


def headline_charts(
    page: Path, edition: str, initiative: str = "", per_report: int = CHARTS_PER_REPORT
) -> list[PageChart]:
    """The headline charts of a published report page: the first chart of each of its
    first ``per_report`` sections that have one, as the page embeds it (PNG bytes, alt
    text). Nothing from a page of another edition (its ``dspl-eval-edition`` tag must be
    ``edition``), no per-person chart (``data-dspl-chart`` ``per_person``), and in the
    commissioner edition only charts that carry that metadata (what the audit checked)."""
    try:
        text = Path(page).read_text("utf-8")
    except OSError:
        return []
    parser = _PageImages()
    parser.feed(text)
    if parser.edition != edition:
        return []
    found: list[PageChart] = []
    sections: set[str] = set()
    for section, attrs in parser.images:
        if section in sections or len(sections) >= per_report:
            continue
        match = _PNG_URI.match(attrs.get("src", "").strip())
        if not match:
            continue
        try:
            chart = json.loads(attrs.get("data-dspl-chart") or "null")
        except ValueError:
            chart = None
        if chart is None and edition == "commissioner":
            continue
        if isinstance(chart, dict) and chart.get("per_person"):
            continue
        png = base64.b64decode("".join(match.group("data").split()))
        kind = str(chart.get("kind", "")) if isinstance(chart, dict) else ""
        found.append(PageChart(initiative, section, attrs.get("alt", ""), png, kind))
        sections.add(section)
    return found


def _write_charts(ws, term, audience, charts: list[PageChart]) -> None:
    """The Charts sheet: per chart a bold caption, its alt text, then the picture (with
    the alt text as its description), rows left below it for its height."""
    from openpyxl.drawing.image import Image
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D
    from openpyxl.utils.units import pixels_to_EMU

    ws["A1"] = f"Headline charts, {term} ({audience} edition)"
    ws["A1"].font = _TITLE
    ws["A2"] = (
        "The headline charts of each report, exactly as the report shows them; each has its "
        "text alternative in the row above it. The figures are in the tables on the other "
        "sheets."
    )
    ws.column_dimensions["A"].width = 110
    row = 4
    for number, chart in enumerate(charts, start=1):
        ws.cell(row=row, column=1, value=f"Chart {number}: {chart.initiative}: {chart.section}")
        ws.cell(row=row, column=1).font = _BOLD
        ws.cell(row=row + 1, column=1, value=chart.alt).alignment = _WRAP
        ws.row_dimensions[row + 1].height = 15 * max(1, -(-len(chart.alt) // 120))
        image = Image(io.BytesIO(chart.png))
        scale = min(1.0, CHART_WIDTH / image.width)
        image.width, image.height = round(image.width * scale), round(image.height * scale)
        anchor = OneCellAnchor(
            _from=AnchorMarker(col=0, row=row + 1),
            ext=XDRPositiveSize2D(pixels_to_EMU(image.width), pixels_to_EMU(image.height)),
        )
        anchor.pic = _picture(number, chart)
        image.anchor = anchor
        ws.add_image(image)
        row += 2 + -(-image.height // 20) + 1  # default rows are 20 pixels high


def _picture(number: int, chart: PageChart):
    """A picture frame whose description is the chart's alt text (openpyxl's own says
    "Picture"); openpyxl fills in the link to the image when it saves."""
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D
    from openpyxl.drawing.picture import PictureFrame

    picture = PictureFrame()
    picture.nvPicPr.cNvPr.id = number
    picture.nvPicPr.cNvPr.name = f"Chart {number}"
    picture.nvPicPr.cNvPr.descr = chart.alt
    picture.nvPicPr.cNvPr.title = f"{chart.initiative}: {chart.section}"
    picture.blipFill.blip = Blip(cstate="print")
    picture.spPr.prstGeom = PresetGeometry2D(prst="rect")
    picture.spPr.ln = None
    return picture


def _write_notes(ws, term, audience, threshold, table_notes) -> None:
    ws["A1"] = "Notes"
    ws["A1"].font = _TITLE
    ws["A2"] = "Symbols, settings and notes that apply to the tables in this workbook."
    ws.append(["Note", "Text"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = _BOLD
    rows = [[f"Symbol {symbol}", text] for symbol, text in SYMBOLS.items()]
    rows += [
        [
            "Suppression threshold",
            f"{threshold}: counts of people below it are shown as c"
            + (" in the commissioner edition" if audience == "analyst" else "")
            + ", together with any figure that would let one be worked out.",
        ],
        [
            "Edition",
            f"{audience}: "
            + (
                "not for circulation outside the analytical team; counts are not suppressed."
                if audience == "analyst"
                else "for commissioners; small counts are suppressed."
            ),
        ],
        ["Term", term],
        ["Percentages", "Stored on the 0 to 100 scale the reports use (58 is 58%)."],
        [
            "Intervals",
            "Lower and upper columns are the ends of the 95% confidence interval printed "
            "beside the estimate in the report.",
        ],
        [
            "p-values",
            "The '= or <' column says whether the p-value is exact (=) or an upper bound (<): "
            "p < .001 is stored as 0.001 with <.",
        ],
        ["Source", "dspl-eval reports of the SEND partnership evaluation for this term."],
    ]
    rows += [[f"Sheet {name}", text] for name, text in table_notes]
    for row in rows:
        ws.append(row)
        ws.cell(row=ws.max_row, column=2).alignment = _WRAP
    _add_table(ws, "notes", header_row, 2)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100


def _write_table_sheet(ws, table: dict, labels: dict[str, str], number: int) -> None:
    headers, rows, _ = numeric_table(table)
    ws["A1"] = table["title"]
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = table.get("note") or "This worksheet contains one table."
    ws["A3"] = "Symbols: " + "; ".join(f"{s} = {SYMBOLS[s].split(':')[0]}" for s in SYMBOLS)
    ws["A3"].value += ". See the Notes sheet."
    ws.append(headers)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = _BOLD
        cell.alignment = _WRAP
    for row in rows:
        ws.append([_anonymised(c.value, labels) for c in row])
        for k, cell in enumerate(row, start=1):
            if cell.number_format and isinstance(cell.value, int | float):
                ws.cell(row=ws.max_row, column=k).number_format = cell.number_format
    if rows:
        _add_table(ws, f"table{number}", header_row, len(headers))
    for k, header in enumerate(headers, start=1):
        width = max([min(len(header), 24)] + [len(str(r[k - 1].value)) for r in rows])
        ws.column_dimensions[get_column_letter(k)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)


def _add_table(ws, name: str, header_row: int, width: int) -> None:
    """An Excel table over the header row and the rows below it (none: no table)."""
    if ws.max_row <= header_row:
        return
    ref = f"A{header_row}:{get_column_letter(width)}{ws.max_row}"
    table = Table(displayName=re.sub(r"\W", "_", f"t_{name}"), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)


def _anonymised(value: object, labels: dict[str, str]) -> object:
    """A cell with every raw return file name in it replaced by "Return N"."""
    if not isinstance(value, str) or not labels:
        return value
    if value in labels:
        return labels[value]
    for name, label in labels.items():
        if name in value:
            value = value.replace(name, label)
    return value


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]
    candidate, n = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


def _count_header(column: str, table: dict) -> str:
    """Count columns' headers end in "(n)" (unless already count-like) so the audit finds them."""
    from dspl_eval.disclosure import is_count_header

    if column in (table.get("counts") or []) and not is_count_header(column):
        return f"{column} (n)"
    return column
