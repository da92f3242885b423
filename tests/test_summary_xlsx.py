"""summary.xlsx: numbers stored as numbers, symbols as text, laid out for people (issue 14.4).

The reports publish display strings ("+14.6", "−15.8", "58% (45% to 70%)", "p < .001");
``index.parse_figure`` turns each into numbers that rebuild the very same string, and
``write_summary_xlsx`` writes them into their own columns with number formats. Suppressed
cells keep the DfE symbol ``c``; the first sheet keeps the edition, term and threshold.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dspl_eval import reporting as rp
from dspl_eval.index import numeric_table, parse_figure, write_summary_xlsx
from dspl_eval.runner import JobResult

TERM = "2023-24-spring"

OUTCOMES = {
    "name": "outcomes",
    "title": "Before and after support",
    "columns": [
        "Outcome",
        "n",
        "n without follow-up",
        "Before (mean)",
        "After (mean)",
        "Change",
        "95% CI",
        "Effect size g_av (95% CI; + = improvement)",
        "Test",
        "p",
    ],
    "rows": [
        [
            "Attendance",
            24,
            "c",
            "58.2%",
            "72.8%",
            "+14.6 points",
            "+9.5 to +19.7",
            "0.62 (0.31 to 0.93)",
            "paired t-test",
            "p < .001",
        ],
        [
            "Suspensions",
            18,
            6,
            "3.1",
            "−12.7",
            "−15.8",
            "−20.1 to −11.5",
            "−0.41 (−0.80 to −0.02)",
            "Wilcoxon signed-rank",
            "p = .003",
        ],
        ["PASS self regard", "c", "c", "c", "c", "c", "c", "c", "Wilcoxon signed-rank", "c"],
        ["Boxall", 7, 0, "x", "x", "x", "x", "x", "paired t-test", "x"],
    ],
    "counts": ["n", "n without follow-up"],
    "note": "",
}
FLAGS = {
    "name": "conditions",
    "title": "Conditions before and after support",
    "columns": ["Measure", "n", "Before", "After", "% before (95% CI)", "McNemar p"],
    "rows": [
        ["Persistently absent", 40, 23, 11, "58% (45% to 70%)", "p = .002"],
        ["Severely absent", 40, "c", "c", "c", "c"],
    ],
    "counts": ["n", "Before", "After"],
    "note": "Shares of the children with both measures.",
}
MONEY = {
    "name": "value for money",
    "title": "Cost per child",
    "columns": ["Measure", "Cost"],
    "rows": [["Cost per child supported", "£1,221"], ["Cost per reliable improvement", "c"]],
    "counts": [],
    "note": "",
}
QUALITY = {
    "name": "data quality",
    "title": "Rows read, kept and quarantined per return",
    "columns": ["Return", "Rows read", "Rows kept", "Rows quarantined", "Note"],
    "rows": [["Return 1", 30, 25, 5, ""], ["Total", 30, 25, 5, ""]],
    "counts": ["Rows read", "Rows kept", "Rows quarantined"],
    "note": "",
}
HEADLINES = [
    "Attendance of the 24 young people with a follow-up rose from 58.2% to 72.8%.",
    "Persistent absence fell from 23 to 11 of 40 young people.",
]


def _results(ok_tables=(OUTCOMES, FLAGS, MONEY, QUALITY)) -> list[JobResult]:
    return [
        JobResult(
            "ebsa",
            True,
            1.0,
            summary={"headlines": HEADLINES, "tables": list(ok_tables)},
        ),
        JobResult("elsa", False, 1.0, reason="The report could not be run."),
    ]


@pytest.fixture
def book(tmp_path):
    path = write_summary_xlsx(tmp_path / "summary.xlsx", TERM, _results(), "commissioner")
    return load_workbook(path)


def _table(book, sheet: str) -> tuple[list[str], list[list]]:
    """The header row (the row after the title and notes, row 4) and the rows under it."""
    ws = book[sheet]
    rows = list(ws.iter_rows(min_row=4))
    header = [c.value for c in rows[0]]
    return header, [list(r) for r in rows[1:]]


def _column(book, sheet: str, name: str) -> list:
    header, rows = _table(book, sheet)
    return [r[header.index(name)] for r in rows]


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("text", "kind", "values", "relation"),
    [
        ("+14.6", "number", [14.6], ""),
        ("−15.8", "number", [-15.8], ""),  # Unicode minus
        ("-3.5", "number", [-3.5], ""),
        ("+9.5 to +19.7", "interval", [9.5, 19.7], ""),
        ("−20.1 to −11.5", "interval", [-20.1, -11.5], ""),
        ("58% (45% to 70%)", "estimate", [58, 45, 70], ""),
        ("0.62 (0.31 to 0.93)", "estimate", [0.62, 0.31, 0.93], ""),
        ("+3.0 (+1.0 to +5.0)", "estimate", [3.0, 1.0, 5.0], ""),
        ("p = .003", "p", [0.003], "="),
        ("p < .001", "p", [0.001], "<"),
        ("p = 1.000", "p", [1.0], "="),
        ("£1,221", "number", [1221], ""),
        ("1,234", "number", [1234], ""),
        ("58.2%", "number", [58.2], ""),
        ("+27.0 points", "number", [27.0], ""),
        ("+1.0 point", "number", [1.0], ""),
        ("c", "symbol", [], ""),
        ("x", "symbol", [], ""),
        ("z", "symbol", [], ""),
        ("paired t-test", "text", [], ""),
        ("007", "text", [], ""),  # would not rebuild: left as text
        ("1,23", "text", [], ""),
        ("Return 1", "text", [], ""),
    ],
)
def test_parse_figure(text, kind, values, relation):
    figure = parse_figure(text)
    assert figure.kind == kind
    assert [n.value for n in figure.numbers] == pytest.approx(values)
    assert figure.relation == relation
    assert figure.text() == text  # the round trip: nothing changed


def test_ints_are_counts_and_blanks_are_blank():
    assert parse_figure(12).kind == "count"
    assert parse_figure(None).kind == "blank"
    assert parse_figure("").kind == "blank"
    assert parse_figure(3.25).kind == "float"


_numbers = st.floats(min_value=-5000, max_value=5000, allow_nan=False).map(lambda v: round(v, 2))


@settings(deadline=None)
@given(
    value=_numbers,
    low=_numbers,
    decimals=st.integers(0, 3),
    style=st.sampled_from(["change", "plain", "percent", "points", "money"]),
)
def test_round_trip_of_the_reports_own_formats(value, low, decimals, style):
    """Every string the report formatters write parses into numbers that write it back."""
    if style == "change":
        texts = [rp.fmt_change(value, "", decimals), rp.fmt_interval(low, value, "", decimals)]
    elif style == "plain":
        texts = [rp.fmt(value, "", decimals)]
    elif style == "percent":
        texts = [f"{abs(value):.0f}% ({abs(low):.0f}% to {abs(value) + 1:.0f}%)"]
    elif style == "points":
        texts = [rp.fmt_change(value, "%", decimals)]
    else:
        texts = [f"£{abs(value):,.0f}"]
    for text in texts:
        figure = parse_figure(text)
        assert figure.kind in ("number", "interval", "estimate"), text
        assert figure.text() == text
        shown = float(text.split(" ")[0].strip("+£%").replace("−", "-").replace(",", ""))
        assert figure.numbers[0].value == pytest.approx(shown)


@settings(deadline=None)
@given(p=st.floats(min_value=0, max_value=1, allow_nan=False))
def test_round_trip_of_p_values(p):
    text = rp.fmt_p(p)
    figure = parse_figure(text)
    assert figure.kind == "p" and figure.text() == text
    assert figure.relation == ("<" if p < 0.001 else "=")
    assert figure.numbers[0].value == pytest.approx(0.001 if p < 0.001 else round(p, 3))


def test_numeric_table_splits_columns():
    headers, rows, counts = numeric_table(OUTCOMES)
    assert headers == [
        "Outcome",
        "n",
        "n without follow-up",
        "Before (mean)",
        "After (mean)",
        "Change",
        "95% CI: lower",
        "95% CI: upper",
        "Effect size g_av (+ = improvement)",
        "Effect size g_av (+ = improvement): lower 95% CI",
        "Effect size g_av (+ = improvement): upper 95% CI",
        "Test",
        "p: value",
        "p: = or <",
    ]
    assert counts == ["n", "n without follow-up"]
    assert [c.value for c in rows[0]] == [
        "Attendance", 24, "c", 58.2, 72.8, 14.6, 9.5, 19.7, 0.62, 0.31, 0.93,
        "paired t-test", 0.001, "<",
    ]  # fmt: skip
    assert [c.value for c in rows[2]][3:11] == ["c"] * 8  # suppressed in every column
    assert rows[0][3].number_format == '0.0"%";"−"0.0"%"'
    assert rows[0][5].number_format == '+0.0" points";"−"0.0" points"'
    assert rows[1][4].number_format == '0.0;"−"0.0'


# --------------------------------------------------------------------------- the workbook


def test_summary_has_numeric_cells_and_c_where_suppressed(book):
    sheet = "ebsa outcomes"
    for name in ("n", "Before (mean)", "Change", "95% CI: lower", "95% CI: upper", "p: value"):
        cells = _column(book, sheet, name)
        assert cells[0].data_type == "n", (name, cells[0].value)
        assert cells[2].value == "c" and cells[2].data_type == "s", name
    assert _column(book, sheet, "Change")[1].value == pytest.approx(-15.8)
    assert _column(book, sheet, "95% CI: lower")[1].value == pytest.approx(-20.1)
    assert _column(book, sheet, "p: value")[0].value == pytest.approx(0.001)
    assert _column(book, sheet, "p: = or <")[0].value == "<"
    assert _column(book, sheet, "p: value")[1].number_format == "0.000"
    assert _column(book, sheet, "Before (mean)")[3].value == "x"
    flags = "ebsa conditions"
    low = _column(book, flags, "% before: lower 95% CI")
    assert (low[0].value, low[0].data_type, low[1].value) == (45, "n", "c")
    assert _column(book, flags, "% before")[0].value == 58
    cost = _column(book, "ebsa value for money", "Cost")
    assert (cost[0].value, cost[1].value) == (1221, "c")
    assert cost[0].number_format == '"£"#,##0;"−""£"#,##0'
    quality = _column(book, "ebsa data quality", "Rows read (n)")  # "(n)": for the audit
    assert [c.value for c in quality] == [30, 30] and quality[0].data_type == "n"


def test_layout_follows_the_spreadsheet_guidance(book):
    assert book.sheetnames[:3] == ["Contents", "Headlines", "Notes"]
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        assert ws["A1"].value, ws.title
        assert ws["A1"].font.bold, ws.title
    for name in ("ebsa outcomes", "ebsa conditions", "ebsa value for money", "ebsa data quality"):
        ws = book[name]
        (table,) = ws.tables.values()
        assert table.ref.startswith("A4:")
        header, rows = _table(book, name)
        assert all(isinstance(h, str) and h for h in header)
        assert all(any(c.value not in (None, "") for c in r) for r in rows)  # no blank rows
    contents = book["Contents"]
    listed = [c.value for c in contents["A"]]
    assert "ebsa outcomes" in listed and "Notes" in listed and "Headlines" in listed
    link = next(c for c in contents["A"] if c.value == "ebsa outcomes").hyperlink
    assert link.location == "'ebsa outcomes'!A1" or "ebsa outcomes" in str(link.target)
    text = " ".join(str(c.value) for row in contents.iter_rows() for c in row if c.value)
    assert "report failed" in text
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    for words in ("Symbol c", "suppressed", "Symbol x", "Suppression threshold", "5: counts",
                  "commissioner", TERM, "Shares of the children"):  # fmt: skip
        assert words in notes, words


def test_headlines_sheet(book):
    ws = book["Headlines"]  # title, one line, then the table from row 3
    assert [c.value for c in ws[3]] == ["Initiative", "Headline"]
    sentences = [r[1].value for r in ws.iter_rows(min_row=4)]
    assert sentences[:2] == HEADLINES
    assert sentences[2] == "This report failed and was not published."
    assert ws.page_setup.fitToHeight == 1


def test_metadata_is_kept(tmp_path):
    path = write_summary_xlsx(
        tmp_path / "summary.xlsx", TERM, _results(), "analyst", threshold=7, meta={"x": 1}
    )
    book = load_workbook(path)
    assert book.properties.keywords == (
        f"dspl-eval-edition=analyst;dspl-eval-term={TERM};dspl-eval-threshold=7"
    )
    first = book.worksheets[0]
    assert first.title == "Contents"
    assert "Suppression threshold: 7" in first["A2"].value
    rows = {r[0]: r[1] for r in first.iter_rows(values_only=True) if r[0]}
    assert rows["dspl-eval-edition"] == "analyst"
    assert rows["dspl-eval-term"] == TERM
    assert rows["dspl-eval-threshold"] == "7"


def test_the_audit_reads_the_first_sheet_and_keywords(tmp_path):
    from dspl_eval.audit import read_xlsx

    path = write_summary_xlsx(tmp_path / "summary.xlsx", TERM, _results(), "commissioner")
    doc = read_xlsx(path, Path("summary.xlsx"))
    assert doc.meta["edition"] == "commissioner"
    assert doc.meta["term"] == TERM
    assert doc.meta["threshold"] == "5"


def _audit_findings(folder: Path) -> list[str]:
    from dspl_eval.audit import audit_reports

    result = audit_reports(folder, None)
    return [str(f) for f in result.findings if "summary.xlsx" in str(f)]


def test_the_audit_passes_the_numeric_workbook_and_still_sees_counts(tmp_path):
    """Splitting statistics into numbers neither trips the privacy audit nor hides a
    small count from it."""
    pack = tmp_path / "pack"
    pack.mkdir()
    write_summary_xlsx(pack / "summary.xlsx", TERM, _results(), "commissioner")
    assert _audit_findings(pack) == []
    leaky = {**OUTCOMES, "rows": [["Attendance", 3, *OUTCOMES["rows"][0][2:]]]}
    write_summary_xlsx(pack / "summary.xlsx", TERM, _results((leaky,)), "commissioner")
    (finding,) = _audit_findings(pack)
    assert "count of 3" in finding and "ebsa outcomes" in finding


def test_summary_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_summary_xlsx(tmp_path / "summary.xlsx", TERM, _results(), "commissioner")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_empty_table_and_no_results(tmp_path):
    empty = {"name": "empty", "title": "Nothing", "columns": ["A", "n"], "rows": [], "counts": []}
    path = write_summary_xlsx(tmp_path / "s.xlsx", TERM, _results((empty,)), "commissioner")
    book = load_workbook(path)
    assert [c.value for c in book["ebsa empty"][4]] == ["A", "n"]
    assert not book["ebsa empty"].tables
    path = write_summary_xlsx(tmp_path / "t.xlsx", TERM, [], "commissioner")
    assert load_workbook(path).sheetnames == ["Contents", "Headlines", "Notes"]


# --------------------------------------------------------------------------- charts


def _png(colour: tuple[int, int, int], size=(800, 500)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _chart_output(png: bytes, alt: str, per_person: bool = False) -> dict:
    import base64

    chart = {"kind": "slope" if per_person else "means", "per_person": per_person,
             "columns": ["when", "n"], "rows": [["Before", 24]], "counts": ["n"]}  # fmt: skip
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png).decode(), "text/plain": "<chart>"},
        metadata={"image/png": {"alt": alt, "dspl-chart": chart}},
    )


def _page(folder: Path, edition: str, charts: list[tuple[str, bytes, str, bool]]) -> Path:
    """A report page written by the real export template: one section per chart."""
    from dspl_eval.export import notebook_to_html

    cells = [nbformat.v4.new_markdown_cell("# EBSA support pilot: impact report")]
    cells.append(nbformat.v4.new_markdown_cell("## At a glance\n\nNo chart here."))
    for section, png, alt, per_person in charts:
        if section:
            cells.append(nbformat.v4.new_markdown_cell(f"## {section}"))
        code = nbformat.v4.new_code_cell("show()")
        code.outputs = [_chart_output(png, alt, per_person)]
        cells.append(code)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["dspl_eval"] = {"edition": edition, "term": TERM, "threshold": 5,
                                "initiative": "ebsa", "data_fingerprint": ""}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "ebsa.html"
    page.write_text(notebook_to_html(nb), encoding="utf-8")
    return page


def _page_images(page: Path) -> list[tuple[bytes, str]]:
    """What the page's <img> tags show: (PNG bytes, alt), read independently of index.py."""
    import base64
    import html as html_module
    import re

    text = page.read_text("utf-8")
    found = []
    for tag in re.findall(r"<img\b[^>]*>", text):
        src = re.search(r'src="data:image/png;base64,([^"]+)"', tag).group(1)
        alt = html_module.unescape(re.search(r'alt="([^"]*)"', tag).group(1))
        found.append((base64.b64decode(src), alt))
    return found


def _workbook_images(path: Path) -> tuple[list[bytes], str]:
    """The PNGs inside the xlsx (its zip's xl/media) and the drawing XML."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        media = sorted(n for n in z.namelist() if n.startswith("xl/media/"))
        drawings = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/d")]
        return [z.read(n) for n in media], "".join(drawings)


RED, GREEN, BLUE, GREY = _png((200, 0, 0)), _png((0, 150, 0)), _png((0, 0, 200)), _png((99,) * 3)
ALT_MEANS = "Chart of the mean attendance before and after: 24 young people & more."


def test_headline_charts_are_the_pages_own_images(tmp_path):
    page = _page(
        tmp_path / "pack",
        "commissioner",
        [
            ("Attendance", RED, ALT_MEANS, False),
            ("", GREEN, "Histogram of the change in attendance.", False),  # same section
            ("Persistent and severe absence", BLUE, "Bar chart of persistent absence.", False),
            ("PASS", GREY, "Forest plot of PASS factors.", False),  # beyond the first two
        ],
    )
    results = [JobResult("ebsa", True, 1.0, html=page, summary={"headlines": HEADLINES})]
    path = write_summary_xlsx(tmp_path / "summary.xlsx", TERM, results, "commissioner")
    images, drawing = _workbook_images(path)
    on_page = _page_images(page)
    assert [png for png, _alt in on_page] == [RED, GREEN, BLUE, GREY]  # the page as written
    # the first chart of each of the first two sections: byte for byte the page's <img>
    assert sorted(images) == sorted([on_page[0][0], on_page[2][0]])
    book = load_workbook(path)
    assert book.sheetnames[:4] == ["Contents", "Headlines", "Notes", "Charts"]
    ws = book["Charts"]
    assert len(ws._images) == 2 and ws["A1"].font.bold
    cells = [c.value for c in ws["A"] if c.value]
    assert "Chart 1: EBSA support pilot: Attendance" in cells
    assert "Chart 2: EBSA support pilot: Persistent and severe absence" in cells
    assert ALT_MEANS in cells  # a caption cell holds the alt text, and so does the picture
    assert 'descr="Chart of the mean attendance before and after: 24 young people &amp; more."' in (
        drawing
    )
    listed = [c.value for c in book["Contents"]["A"]]
    assert "Charts" in listed


def test_no_per_person_chart_and_no_other_editions_chart(tmp_path):
    commissioner = _page(
        tmp_path / "c",
        "commissioner",
        [
            ("Attendance", RED, "Slope chart, one line per child.", True),
            ("Absence", BLUE, "Bars.", False),
        ],
    )
    analyst = _page(tmp_path / "a", "analyst", [("Attendance", GREEN, "Means.", False)])
    results = [
        JobResult("ebsa", True, 1.0, html=commissioner, summary={"headlines": HEADLINES}),
        JobResult("elsa", True, 1.0, html=analyst, summary={"headlines": HEADLINES}),
    ]
    path = write_summary_xlsx(tmp_path / "summary.xlsx", TERM, results, "commissioner")
    images, _ = _workbook_images(path)
    assert images == [BLUE]  # not the per-person chart, nothing from the analyst page
    # an analyst workbook takes the analyst page's charts, never a commissioner page's
    path = write_summary_xlsx(tmp_path / "analyst.xlsx", TERM, results, "analyst")
    assert _workbook_images(path)[0] == [GREEN]


def test_the_audit_passes_the_charts_sheet(tmp_path):
    pack = tmp_path / "pack"
    page = _page(pack, "commissioner", [("Attendance", RED, ALT_MEANS, False)])
    results = [JobResult("ebsa", True, 1.0, html=page, summary={"headlines": HEADLINES})]
    write_summary_xlsx(pack / "summary.xlsx", TERM, results, "commissioner")
    assert _audit_findings(pack) == []


def test_the_partnership_heads_the_workbook(tmp_path):
    path = write_summary_xlsx(
        tmp_path / "s.xlsx", TERM, _results(), "commissioner", partnership="Anyshire SEND"
    )
    assert load_workbook(path)["Contents"]["A1"].value.startswith("Anyshire SEND: ")
