"""Planted leaks of every kind issue 10 names, in hand-built packs that follow the page
metadata contract; and a clean pack with realistic UK names and the report's citations,
which must raise no false alarm.

The packs are built here (not by the report code), so these tests hold whatever the
report-building code does; the clean wording is the kind the project's own reports use.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import openpyxl
import pytest

from dspl_eval import audit

TERM = "2023-24-summer"
VALIDATION = '{"totals": {"nurture": {"rows_read": 40}}}'
FINGERPRINT = hashlib.sha256(VALIDATION.encode()).hexdigest()
NAMES = [
    ("Ford", "Ford"),
    ("Goodman", "Goodman"),
    ("Summer", "Smith"),
    ("Will", "Patel"),
    ("Rose", "O'Brien"),
    ("Minh", "Nguyen"),
    ("Aisha", "Jones-Ahmed"),
]


def meta(edition: str = "commissioner", initiative: str = "nurture", **extra) -> str:
    values = {
        "edition": edition,
        "term": TERM,
        "threshold": 5,
        "initiative": initiative,
        "data-fingerprint": FINGERPRINT,
        **extra,
    }
    return "".join(f'<meta name="dspl-eval-{k}" content="{v}">' for k, v in values.items())


def chart(rows, counts=("n",), columns=("Group", "n"), per_person=False, kind="category_bars"):
    data = {
        "kind": kind,
        "per_person": per_person,
        "columns": list(columns),
        "rows": rows,
        "counts": list(counts),
    }
    return (
        f'<img alt="Bar chart of children by group" src="data:image/png;base64,iVBORw0KGgo"'
        f' data-dspl-chart="{html.escape(json.dumps(data))}">'
    )


def page(body: str, edition: str = "commissioner", initiative: str = "nurture") -> str:
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"{meta(edition, initiative)}<title>Nurture groups: impact report</title></head>"
        f"<body><main>\n{body}\n</main></body></html>"
    )


CLEAN_BODY = f"""
<h1>Nurture groups: impact report, summer term 2023-24</h1>
<p>What changed for the 37 children placed in a nurture group. Every figure comes with the
number of children it is based on; small numbers are suppressed for commissioners.</p>
<p>The Boxall Profile (Bennathan &amp; Boxall 1998) has 34 items, total 0–136. Scores rose
for most children: the mean rose by 12.4 points (95% CI 8.1 to 16.7; n = 31).</p>
<p>SDQ Added Value (Ford et al. 2009) and the SDQ itself (Goodman (1997); Goodman, 1997)
are described in the methods. Reliable change follows Jacobson &amp; Truax (1991).
Patel et al. (2018) and Nguyen (2020) report similar results; see also O'Brien, 2015,
Smith (2012) and Jones-Ahmed et al. 2021.</p>
<p>Children in Year 6 and Year 3 took part. Attendance rose from 84.2% to 90.1% over two
terms (1 September 2023 to 19 July 2024). We will report again in the autumn term.</p>
<p>Fewer than 5 children have a follow-up date, so no figures are shown. The aim is a
return within 2 to 4 terms (nurtureuk). Nine tests are made at once; 3 of 9 factors rose.
Teachers rated each item from 1 (strongly disagree) to 5 (strongly agree); 4 or 5 counts
as agree. Confidence rose on 4 of the 6 topics.</p>
<p>22 of 37 children returned full time to their mainstream class (59%, 95% CI 43% to
74%).</p>
<p>Total cost reported for {TERM}: £14,433. Cost per child supported: £390.</p>
<p>Sessions are two a day; suspensions are counted in windows of 6 months. The rate ratio
was 0.61 (p = .031). c = suppressed: fewer than the suppression threshold of people.</p>
<table data-dspl-counts><caption>Reliable change (Boxall developmental strands)</caption>
<thead><tr><th scope="col">Change</th><th scope="col">Children</th></tr></thead>
<tbody><tr><th scope="row">Reliable improvement</th><td class="num">20</td></tr>
<tr><th scope="row">No reliable change</th><td class="num">11</td></tr>
<tr><th scope="row">Reliable deterioration</th><td class="num">0</td></tr>
<tr><th scope="row">Total</th><td class="num">31</td></tr></tbody></table>
<table><thead><tr><th scope="col">Group</th><th scope="col" data-dspl-counts>n</th>
<th scope="col">Mean change</th></tr></thead>
<tbody><tr><th scope="row">Oakfield</th><td class="num">12</td><td>3.5</td></tr>
<tr><th scope="row">Other schools (merged)</th><td class="num suppressed" data-suppressed>c
</td><td>c</td></tr>
<tr><th scope="row">Barnwell</th><td class="num suppressed" data-suppressed>c</td>
<td>c</td></tr></tbody></table>
{chart([["Returned", 22], ["Not yet", 15]], columns=("Status", "n"))}
"""


def write_xlsx(path: Path, sheets: dict, edition: str = "commissioner") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.keywords = (
        f"dspl-eval-edition={edition};dspl-eval-term={TERM};dspl-eval-threshold=5"
    )
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


CLEAN_SHEETS = {
    "About": [["dspl-eval-edition", "commissioner"], ["dspl-eval-term", TERM]],
    "Nurture": [
        ["Group", "n", "Improved (n)", "Mean change"],
        ["Oakfield", 12, 7, 3.5],
        ["Barnwell", "c", "c", "c"],
        [],
        ["Note: 22 of 37 children returned full time; fewer than 5 have a follow-up date."],
    ],
}


def write_notebook(path: Path, outputs: list[dict], edition: str = "commissioner") -> Path:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "dspl_eval": {
                "edition": edition,
                "term": TERM,
                "threshold": 5,
                "initiative": "nurture",
                "data_fingerprint": FINGERPRINT,
            }
        },
        "cells": [{"cell_type": "code", "source": "show(ctx)", "metadata": {}, "outputs": outputs}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook), "utf-8")
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    processed = root / "processed" / TERM
    processed.mkdir(parents=True)
    (processed / "validation.json").write_text(VALIDATION, "utf-8")
    raw = root / "raw" / TERM / "nurture"
    raw.mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First name", "Surname", "Year"])
    for first, last in NAMES:
        sheet.append([first, last, 3])
    book.save(raw / "St Anne's return.xlsx")
    return root


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "reports" / TERM / "commissioner"
    folder.mkdir(parents=True)
    (folder / "nurture.html").write_text(page(CLEAN_BODY), "utf-8")
    index = """<h1>Summer term 2023-24</h1>
<table><caption>Data quality</caption><thead><tr><th scope="col">Initiative</th>
<th scope="col" data-dspl-counts>Rows read</th><th scope="col" data-dspl-counts>Rows kept
</th><th scope="col" data-dspl-counts>Rows quarantined</th></tr></thead><tbody>
<tr><th scope="row">Nurture groups</th><td>40</td><td>c</td><td>c</td></tr>
<tr><th scope="row">ELSA</th><td>30</td><td>30</td><td>0</td></tr></tbody></table>"""
    (folder / "index.html").write_text(page(index, initiative="index"), "utf-8")
    write_xlsx(folder / "summary.xlsx", CLEAN_SHEETS)
    return folder


def kinds(folder: Path, data: Path) -> set[str]:
    return {f.kind for f in audit.audit_reports(folder, data).findings}


# ----------------------------------------------------------------------------- clean


def test_the_clean_pack_passes(pack, data_root):
    result = audit.audit_reports(pack, data_root)
    assert result.passed, result.lines()
    assert result.checked["pages"] == 2 and result.checked["workbooks"] == 1
    assert result.checked["charts"] == 1 and result.checked["numbers"] > 40
    assert result.checked["commissioner"] == 3
    assert result.terms == (TERM,)


def test_names_are_loaded_and_citations_do_not_trip_them(data_root):
    found = audit.load_identities(data_root, [TERM])
    assert {"ford", "goodman", "smith", "patel", "o'brien", "nguyen", "jones-ahmed"} <= (
        found.names
    )
    assert "summer smith" in found.names and "summer" not in found.names
    ids = audit.Identities(names=found.names, fixed=audit.fixed_wording())
    for text in [
        "SDQ Added Value (Ford et al. 2009)",
        "Goodman (1997)",
        "Goodman, 1997",
        "Jacobson & Ford 1991",
        "Attendance rose; it will rise. Summer term.",
        "See https://example.org/ford/goodman and data:image/png;base64,Rk9SRA==",
    ]:
        assert ids.scan(text) == [], text
    for text in ["Ford moved school", "well done Aisha Jones-Ahmed", "Summer Smith", "O’Brien"]:
        assert [k for k, _ in ids.scan(text)] == ["name"], text


def test_the_real_notebook_wording_is_fixed_wording(data_root):
    fixed = audit.fixed_wording()
    ids = audit.Identities(names={"ford", "guskey", "truax"}, fixed=fixed)
    notebooks = sorted(Path(audit.NOTEBOOKS_DIR).glob("*.ipynb"))
    for path in notebooks:
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                assert ids.scan("".join(cell["source"])) == [], path.name


def test_the_real_notebook_markdown_raises_no_number_alarm():
    for path in sorted(Path(audit.NOTEBOOKS_DIR).glob("*.ipynb")):
        judge = audit._Judge(5)
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                audit.judge_prose(" ".join("".join(cell["source"]).split()), "md", judge)
        assert judge.found == [], (path.name, judge.found)


# ----------------------------------------------------------------------------- planted leaks


def _wilson_text(k: int, n: int) -> str:
    low, high = audit.wilson(k, n)
    return f"<p>Satisfied: {100 * k / n:.0f}% (95% CI {low:.0f}% to {high:.0f}%, n = {n}).</p>"


LEAKS = {
    "rose and fell": ("<p>29 rose, 3 fell.</p>", "small_count"),
    "got worse": ("<p>1 got worse and 1 did not change.</p>", "small_count"),
    "young people without both scores": (
        "<p>4 young people without both scores are not shown.</p>",
        "small_count",
    ),
    "n equals": ("<p>Mean change 3.1 (n = 2).</p>", "small_count"),
    "in words": ("<p>Only three children were suspended.</p>", "small_count"),
    "k of n complement": ("<p>20 of 24 teachers found the content just right.</p>", "complement"),
    "k of n and a remainder": (
        "<p>22 of 37 children returned; 13 still attending.</p>",
        "complement",
    ),
    "of the n, k": (
        "<p>Of the 30 with follow-up dates, 27 had a further suspension.</p>",
        "complement",
    ),
    "share of n": ("<p>89% of the 37 children improved.</p>", "share"),
    "wilson interval": (_wilson_text(23, 24), "interval"),
    "mcnemar p with margins": (
        "<p>10 of 30 children were persistently absent before support and 13 after "
        "(McNemar exact test p = .250).</p>",
        "p_value",
    ),
    "mcnemar p in a table": (
        "<table><caption>Persistent absence (McNemar exact test)</caption><thead><tr>"
        '<th scope="col">Measure</th><th scope="col">n</th><th scope="col">Before</th>'
        '<th scope="col">After</th><th scope="col">p</th></tr></thead><tbody><tr>'
        '<th scope="row">Persistent absence</th><td>30</td><td>10</td><td>13</td>'
        "<td>.250</td></tr></tbody></table>",
        "p_value",
    ),
    "total minus parts": (
        '<table data-dspl-counts><thead><tr><th scope="col">School</th><th scope="col">n</th>'
        '</tr></thead><tbody><tr><th scope="row">A</th><td>12</td></tr><tr><th scope="row">B'
        '</th><td data-suppressed>c</td></tr><tr><th scope="row">C</th><td>8</td></tr><tr>'
        '<th scope="row">Total</th><td>25</td></tr></tbody></table>',
        "total_pins",
    ),
    "read = kept + quarantined": (
        '<table><thead><tr><th scope="col">Initiative</th><th scope="col">Rows read</th>'
        '<th scope="col">Rows kept</th><th scope="col">Rows quarantined</th></tr></thead>'
        '<tbody><tr><th scope="row">Nurture groups</th><td>40</td><td>37</td>'
        "<td data-suppressed>c</td></tr></tbody></table>",
        "total_pins",
    ),
    "small count cell": (
        '<table data-dspl-counts><tr><th scope="row">A</th><td>3</td></tr></table>',
        "small_count",
    ),
    "per-person chart": (
        chart([[1, 12.0, 14.0]], counts=(), columns=("id", "before", "after"), per_person=True),
        "per_person_chart",
    ),
    "chart count": (chart([["Improved", 29], ["Got worse", 3]]), "chart_count"),
    "image without chart metadata": (
        '<img alt="Scatter" src="data:image/png;base64,iVBORw0KGgo">',
        "chart_unverified",
    ),
    "maximum": (
        "<p>Follow-up so far runs to 4.9 months at most (median 3.1).</p>",
        "extreme",
    ),
    "max column": (
        '<table><thead><tr><th scope="col">Measure</th><th scope="col">Median</th>'
        '<th scope="col">Max</th></tr></thead><tbody><tr><th scope="row">Months</th>'
        "<td>3.1</td><td>4.9</td></tr></tbody></table>",
        "extreme",
    ),
    "cost ratio small": (
        "<table><tr><th>Cost per child with a reliable improvement</th><td>£4,811</td></tr>"
        "</table>",
        "cost_ratio",
    ),
    "name in text": ("<p>Well done Ford!</p>", "name"),
    "full name in alt text": ('<img alt="Summer Smith" src="data:,">', "name"),
    "raw file name": ("<p>Read from St Anne's return.xlsx</p>", "raw_file_name"),
    "file hash": (f"<p>sha256 {'ab' * 32}</p>", "file_hash"),
    "external load": ('<script src="https://cdn.example.org/x.js"></script>', "external"),
}


@pytest.mark.parametrize("leak", list(LEAKS), ids=list(LEAKS))
def test_each_planted_leak_is_caught(leak, pack, data_root, capsys):
    snippet, kind = LEAKS[leak]
    path = pack / "nurture.html"
    path.write_text(page(CLEAN_BODY + snippet), "utf-8")
    result = audit.audit_reports(pack, data_root)
    assert kind in {f.kind for f in result.findings}, result.lines()
    assert audit.main(pack, data_root) == 1
    out = capsys.readouterr().out
    for secret in ["Ford!", "Summer Smith", "St Anne's return", "ab" * 32]:
        assert secret not in out


def test_a_cost_ratio_that_pins_a_hidden_cell_is_caught(pack, data_root):
    body = CLEAN_BODY.replace('<td class="num">20</td>', '<td data-suppressed class="num">c</td>')
    body = body.replace('<td class="num">11</td>', '<td data-suppressed class="num">c</td>')
    body += "<p>Cost per child with a reliable improvement: £2,887.</p>"
    (pack / "nurture.html").write_text(page(body), "utf-8")
    assert "cost_ratio" in kinds(pack, data_root)


def test_a_hidden_cell_printed_in_a_sentence_elsewhere_is_caught(pack, data_root):
    sentence = "<p>Nurture groups: 6 rows quarantined after checks.</p>"
    (pack / "nurture.html").write_text(page(CLEAN_BODY + sentence), "utf-8")
    found = audit.audit_reports(pack, data_root).findings
    assert [(str(f.file), f.kind) for f in found] == [("nurture.html", "cross_page")]


def test_the_same_cell_hidden_and_shown_is_cross_page(pack, data_root):
    table = (
        '<table><thead><tr><th scope="col">Initiative</th><th scope="col">Rows read</th>'
        '<th scope="col">Rows quarantined</th></tr></thead><tbody><tr><th scope="row">'
        "Nurture groups</th><td>40</td><td>6</td></tr></tbody></table>"
    )
    (pack / "nurture.html").write_text(page(CLEAN_BODY + table), "utf-8")
    (pack / "index.html").write_text(
        page(table.replace("<td>6</td>", "<td data-suppressed>c</td>"), initiative="index")
    )
    assert "cross_page" in kinds(pack, data_root)


def test_workbook_text_cells_and_notebook_outputs_are_read(pack, data_root):
    sheets = dict(CLEAN_SHEETS)
    sheets["Nurture"] = [*CLEAN_SHEETS["Nurture"], ["Note: 3 children left the programme."]]
    write_xlsx(pack / "summary.xlsx", sheets)
    result = audit.audit_reports(pack, data_root)
    assert [(str(f.file), f.kind) for f in result.findings] == [("summary.xlsx", "small_count")]
    work = pack.parent / "work" / "commissioner"
    write_notebook(
        work / "nurture.ipynb",
        [
            {"output_type": "stream", "name": "stdout", "text": ["1 got worse\n"]},
            {
                "output_type": "display_data",
                "metadata": {"image/png": {"alt": "Slope chart", "dspl-chart": None}},
                "data": {"image/png": "iVBORw0KGgo", "text/plain": "Slope chart"},
            },
        ],
    )
    (work / "nurture.kernel.log").write_text("Pupil Ford, id B801200005001\n")
    found = {(str(f.file), f.kind) for f in audit.audit_reports(pack.parent, data_root).findings}
    assert ("work/commissioner/nurture.ipynb", "small_count") in found
    assert ("work/commissioner/nurture.ipynb", "chart_unverified") in found
    assert ("work/commissioner/nurture.kernel.log", "upn") in found
    assert ("work/commissioner/nurture.kernel.log", "name") in found


def test_the_analyst_edition_is_checked_for_identities_and_loads_only(pack, data_root):
    analyst = pack.parent / "analyst"
    analyst.mkdir()
    (analyst / "nurture.html").write_text(
        page(CLEAN_BODY + LEAKS["rose and fell"][0] + LEAKS["per-person chart"][0], "analyst")
    )
    assert audit.audit_reports(analyst, data_root).passed
    (analyst / "nurture.html").write_text(page(CLEAN_BODY + "<p>Ford</p>", "analyst"))
    assert kinds(analyst, data_root) == {"name"}


def test_a_folder_mixing_editions_fails(pack, data_root):
    (pack / "elsa.html").write_text(page("<p>ELSA</p>", "analyst", "elsa"))
    assert "editions_mixed" in kinds(pack, data_root)


def test_notebooks_and_logs_in_the_send_pack_fail(pack, data_root):
    write_notebook(pack / "nurture.ipynb", [])
    (pack / "kernel.log").write_text("ok\n")
    found = {(str(f.file), f.kind) for f in audit.audit_reports(pack, data_root).findings}
    assert {("nurture.ipynb", "not_for_sending"), ("kernel.log", "not_for_sending")} <= found


def test_without_data_it_says_so_and_fails(pack, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # tmp_path/data does not exist
    assert audit.main(pack, None) == 1
    out = capsys.readouterr().out
    assert f"no data for term {TERM}" in out and "names and pupil ids could not be checked" in out


def test_a_page_without_metadata_fails(pack, data_root):
    (pack / "old.html").write_text("<html><p>Old page</p></html>")
    assert "metadata" in kinds(pack, data_root)


def test_the_data_must_match_the_pack_fingerprint(pack, data_root):
    (data_root / "processed" / TERM / "validation.json").write_text("{}")
    assert kinds(pack, data_root) == {"fingerprint"}


def test_demo_data_is_found_by_fingerprint_not_folder_name(pack, data_root, tmp_path, monkeypatch):
    work = tmp_path / "elsewhere"
    demo = work / "data" / "demo"
    demo.parent.mkdir(parents=True)
    data_root.rename(demo)
    (demo / "raw" / "DEMO_DATA.txt").write_text("synthetic")
    (work / "data" / "raw").mkdir()
    monkeypatch.chdir(work)
    result = audit.audit_reports(pack)
    assert result.passed, result.lines()
    assert result.checked["data"] == {TERM: str(Path("data/demo"))}


def test_a_raised_threshold_is_read_from_the_page(pack, data_root):
    body = "<p>Mean change 2.0 (n = 7).</p>"
    (pack / "nurture.html").write_text(page(CLEAN_BODY + body), "utf-8")
    assert audit.audit_reports(pack, data_root).passed
    text = (
        (pack / "nurture.html")
        .read_text()
        .replace('dspl-eval-threshold" content="5"', 'dspl-eval-threshold" content="10"')
    )
    (pack / "nurture.html").write_text(text)
    assert "small_count" in kinds(pack, data_root)


def test_mcnemar_inversion_finds_only_small_solutions():
    assert audit.mcnemar_solutions("=", ".250", 30, 10, 13) == [(0, 3)]
    solutions = audit.mcnemar_solutions("<", ".001", 100, 20, 60)
    assert (0, 40) in solutions  # a zero and a large count fit too: nothing is pinned


@pytest.mark.parametrize(("op", "printed"), [("=", ".250"), ("=", ".031"), ("<", ".05")])
def test_mcnemar_inversion_equals_scipy_binomtest_by_enumeration(op, printed):
    """Every (b, c) with b + c <= n whose exact two-sided binomial p (scipy's own
    ``binomtest(b, b + c, 0.5)``, the exact McNemar test) prints as ``p {op} {printed}``,
    and whose margins fit (a = before - b = after - c >= 0, d = n - a - b - c >= 0)."""
    from scipy.stats import binomtest

    n, before, after = 24, [8, 9, 10], [13, 14, 15]
    value, half = float(printed), 0.0005 + 1e-12
    expected = []
    for b in range(n + 1):
        for c in range(n + 1 - b):
            p = binomtest(b, b + c, 0.5).pvalue if b + c else 1.0
            fits = abs(p - value) <= half if op == "=" else p < value
            margins = any(0 <= x - b == y - c <= n - b - c for x in before for y in after)
            if fits and margins:
                expected.append((b, c))
    assert expected  # the cases are not empty
    assert audit.mcnemar_solutions(op, printed, n, before, after) == sorted(expected)
    free = [(b, c) for b in range(n + 1) for c in range(n + 1 - b)]
    unconstrained = [
        (b, c)
        for b, c in free
        if (
            abs((binomtest(b, b + c, 0.5).pvalue if b + c else 1.0) - value) <= half
            if op == "="
            else (binomtest(b, b + c, 0.5).pvalue if b + c else 1.0) < value
        )
    ]
    assert audit.mcnemar_solutions(op, printed, n) == sorted(unconstrained)


# ----------------------------------------------------------------------------- precision
# False alarms once raised on the project's own demo output, and the leaks next to them
# that must still be caught.


def _quality(rows: list[tuple[str, str, str, str]]) -> str:
    """A per-return data-quality table, as the index and every page print one."""
    cells = "".join(
        f'<tr><th scope="row">{label}</th>'
        + "".join(
            '<td class="num suppressed" data-suppressed>c</td>'
            if v == "c"
            else f'<td class="num">{v}</td>'
            for v in values
        )
        + "</tr>"
        for label, *values in rows
    )
    return (
        '<table class="dspl-table"><caption>Rows read, kept and quarantined per return'
        '</caption><thead><tr><th scope="col">Return</th><th scope="col" data-dspl-counts>'
        'Rows read</th><th scope="col" data-dspl-counts>Rows kept</th><th scope="col" '
        f"data-dspl-counts>Rows quarantined</th></tr></thead><tbody>{cells}</tbody></table>"
    )


NURTURE_QUALITY = [("Return 1", "20", "c", "c"), ("Return 2", "20", "c", "c")]
NURTURE_QUALITY += [("Total", "40", "34", "6")]
ELSA_QUALITY = [("Return 1", "20", "20", "0"), ("Return 2", "12", "12", "0")]
ELSA_QUALITY += [("Total", "32", "32", "0")]


def _index_with_sections(nurture: list, elsa: list) -> str:
    return page(
        '<section><h2>Data quality</h2><div data-dspl-initiative="nurture">'
        f'{_quality(nurture)}</div><div data-dspl-initiative="elsa">{_quality(elsa)}</div>'
        "</section>",
        initiative="index",
    )


def test_cross_page_cells_are_compared_within_one_initiative_only(pack, data_root):
    (pack / "index.html").write_text(_index_with_sections(NURTURE_QUALITY, ELSA_QUALITY))
    (pack / "elsa.html").write_text(page(_quality(ELSA_QUALITY), initiative="elsa"))
    (pack / "nurture.html").write_text(page(CLEAN_BODY + _quality(NURTURE_QUALITY)))
    result = audit.audit_reports(pack, data_root)
    assert result.passed, result.lines()  # ELSA's "Return 1 / Rows kept" is not nurture's


def test_a_cell_an_index_section_hides_and_its_page_shows_is_caught(pack, data_root):
    (pack / "index.html").write_text(_index_with_sections(NURTURE_QUALITY, ELSA_QUALITY))
    shown = [("Return 1", "20", "17", "3"), *NURTURE_QUALITY[1:]]
    (pack / "nurture.html").write_text(page(CLEAN_BODY + _quality(shown)))
    found = audit.audit_reports(pack, data_root).findings
    crossed = {(str(f.file), f.kind) for f in found if f.kind == "cross_page"}
    assert crossed == {("index.html", "cross_page")}
    # and the other way round: the page hides what the index section shows
    (pack / "index.html").write_text(_index_with_sections(shown, ELSA_QUALITY))
    (pack / "nurture.html").write_text(page(CLEAN_BODY + _quality(NURTURE_QUALITY)))
    found = audit.audit_reports(pack, data_root).findings
    assert ("nurture.html", "cross_page") in {(str(f.file), f.kind) for f in found}


def test_a_sentence_in_another_initiatives_section_is_not_compared(pack, data_root):
    index = _index_with_sections(NURTURE_QUALITY, ELSA_QUALITY).replace(
        '<div data-dspl-initiative="elsa">',
        '<div data-dspl-initiative="elsa"><p>Return 1: 20 rows kept.</p>',
    )
    (pack / "index.html").write_text(index)
    (pack / "nurture.html").write_text(page(CLEAN_BODY + _quality(NURTURE_QUALITY)))
    assert audit.audit_reports(pack, data_root).passed
    planted = index.replace(
        '<div data-dspl-initiative="nurture">',
        '<div data-dspl-initiative="nurture"><p>Return 1: 17 rows kept.</p>',
    )
    (pack / "index.html").write_text(planted)
    assert "cross_page" in kinds(pack, data_root)


def test_workbook_sheets_are_scoped_by_initiative_and_n_headers_match(pack, data_root):
    (pack / "nurture.html").write_text(page(CLEAN_BODY + _quality(NURTURE_QUALITY)))
    header = ["Return", "Rows read (n)", "Rows kept (n)", "Rows quarantined (n)"]
    sheets = {
        **CLEAN_SHEETS,
        "elsa data quality": [header, ["Return 1", 20, 20, 0], ["Total", 32, 32, 0]],
    }
    write_xlsx(pack / "summary.xlsx", sheets)
    assert audit.audit_reports(pack, data_root).passed  # ELSA's sheet, not nurture's
    sheets["nurture data quality"] = [header, ["Return 1", 20, 17, 3], ["Total", 40, 34, 6]]
    write_xlsx(pack / "summary.xlsx", sheets)
    found = audit.audit_reports(pack, data_root).findings
    assert "cross_page" in {f.kind for f in found}


def _breakdown(by: str, merged: str) -> str:
    other = (
        '<td class="num suppressed" data-suppressed>c</td>'
        if merged == "c"
        else f'<td class="num">{merged}</td>'
    )
    return (
        f'<table><caption>Change by {by.lower()}</caption><thead><tr><th scope="col">{by}'
        '</th><th scope="col" data-dspl-counts>n</th></tr></thead><tbody><tr><th scope="row">'
        f'Group A</th><td class="num">20</td></tr><tr><th scope="row">Other groups (merged:'
        f" each too small to show)</th>{other}</tr></tbody></table>"
    )


def test_merged_other_groups_rows_are_only_compared_within_one_breakdown(pack, data_root):
    body = CLEAN_BODY + _breakdown("School", "c") + _breakdown("Year group", "12")
    (pack / "nurture.html").write_text(page(body))
    assert audit.audit_reports(pack, data_root).passed
    body += _breakdown("School", "12")  # the same breakdown shows what it hid
    (pack / "nurture.html").write_text(page(body))
    assert "cross_page" in kinds(pack, data_root)


@pytest.fixture
def wording_root(tmp_path: Path) -> Path:
    """A project whose fixed wording holds methods sentences with numbers in them."""
    root = tmp_path / "project"
    (root / "dspl_eval").mkdir(parents=True)
    (root / "dspl_eval" / "notebooks").mkdir()
    (root / "dspl_eval" / "wording.py").write_text(
        "METHODS = (\n"
        '    "Suspension: excluded for a set period (at most 45 school days a year); "\n'
        '    "permanent exclusion: will not return to that school (DfE)."\n'
        ")\n"
        'ALPHA = ("answered every item both times; 0.70 is the usual minimum, 0.80 good, "\n'
        '    "0.90 very high (George & Mallery 2003 rule of thumb).")\n'
        'RANGE = f"Follow-up so far runs to {months:.1f} months at most."\n',
        "utf-8",
    )
    return root


def _judged(text: str, threshold: int = 5, fixed=None) -> set[str]:
    judge = audit._Judge(threshold, fixed=fixed)
    audit.judge_prose(text, "p", judge)
    return {kind for _, kind, _ in judge.found}


def test_an_extreme_in_the_fixed_wording_is_not_a_persons_value(wording_root):
    fixed = audit.fixed_wording(wording_root)
    for text in [
        "Suspension: excluded for a set period (at most 45 school days a year); permanent "
        "exclusion: will not return to that school (DfE).",
        "Internal consistency from the teachers who answered every item both times; 0.70 "
        "is the usual minimum, 0.80 good, 0.90 very high.",
    ]:
        assert _judged(text, fixed=fixed) == set(), text
        assert _judged(text) == {"extreme"}  # without the fixed wording it is one
    for text in [
        "Follow-up so far runs to 4.9 months at most.",  # the number fills a gap
        "Suspension: excluded for at most 4 school days.",  # not the fixed phrase
        "The usual minimum, 0.60 here.",
        "The longest follow-up was 45 school days a year.",
    ]:
        assert _judged(text, fixed=fixed) == {"extreme"}, text


def test_a_family_of_tests_is_not_a_family_of_people():
    for text in [
        "Several measures in one family: Holm's adjustment of the named test.",
        "The five scales are one family of tests, so the p-values are Holm-adjusted.",
        "The scales are one family, with Holm's adjustment of the paired t-test p-values.",
        "Two families of outcomes are tested.",
    ]:
        assert _judged(text) == set(), text
    for text in [
        "One family withdrew from the group.",
        "3 families said the group helped.",
        "Two families did not return the form; Holm's rule is not used here.",
    ]:
        assert "small_count" in _judged(text), text


def test_a_further_count_outside_the_n_leaves_no_remainder():
    clean = (
        "14 of the 23 teachers who answered (61%, 95% CI 41% to 78%) found the amount of "
        "content just right; 6 teachers in the returns do not have an answer."
    )
    assert _judged(clean) == set()
    assert (
        _judged("20 of 34 children with a follow-up improved; 12 children have no follow-up yet.")
        == set()
    )
    for text in [
        "22 of 37 returned; 13 still attending.",
        "14 of the 23 teachers who answered found it just right; 6 teachers who answered did not.",
        "20 of 34 children with a follow-up improved; 12 children with a follow-up did not "
        "improve.",
        "22 of 40 children returned; 16 did not return.",
    ]:
        assert "complement" in _judged(text), text
