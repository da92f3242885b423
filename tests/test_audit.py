"""The pre-send privacy audit on a tiny fake reports folder and data root (in tmp_path).

A clean folder passes; each kind of planted leak fails it with exit 1 and a line naming
the file and location, without repeating the leaked value. Identities are invented:
``B801200005001`` is python-stdnum's own valid UPN example (``stdnum/gb/upn.py``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dspl_eval import audit
from dspl_eval.disclosure import suppress_counts
from dspl_eval.errors import ConfigError

TERM = "2023-24-autumn"
UPN = "B801200005001"
PUPIL_IDS = ["3f9a0c1d2e4b5a6c7d8e", "0a1b2c3d4e5f60718293"]
FIRST_NAMES = ["Zebedee", "Philomena", "Summer"]  # "Summer" is also a season
SURNAMES = ["Quillfeather", "Marchbanks", "Brown"]
PUPIL_NAMES = ["Ottoline Snodgrass-Wibley", "Miss Araminta Vexley"]  # "Pupil name" in a CSV
PNG = base64.b64encode(bytes(range(256)) * 8000).decode()  # ~2.7 MB of base64
VALIDATION = '{"totals": {"ebsa": {"rows_read": 24}}}'
FINGERPRINT = hashlib.sha256(VALIDATION.encode()).hexdigest()
META = "".join(
    f'<meta name="dspl-eval-{k}" content="{v}">'
    for k, v in {
        "edition": "commissioner",
        "term": TERM,
        "threshold": 5,
        "initiative": "ebsa",
        "data-fingerprint": FINGERPRINT,
    }.items()
)
CHART = json.dumps(
    {
        "kind": "means",
        "per_person": False,
        "columns": ["Window", "Mean", "n"],
        "rows": [["Before", 55.1, 24], ["After", 61.0, 24]],
        "counts": ["n"],
    }
).replace('"', "&quot;")
KEYWORDS = f"dspl-eval-edition=commissioner;dspl-eval-term={TERM};dspl-eval-threshold=5"

CLEAN_HTML = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">{META}<title>EBSA report: summer term</title>
<style>body{{font-family:system-ui}} .logo{{background:url(data:image/png;base64,{PNG[:400]})}}
</style></head>
<body><main>
<h1>Emotionally based school avoidance: {TERM}</h1>
<p>24 young people were supported in the summer and autumn terms. Brown bars show the
change. Guidance at https://www.gov.uk/government/publications/unique-pupil-numbers is
cited in prose; <a href="https://www.gov.uk">GOV.UK</a> is a link, not a load.</p>
<img alt="Attendance before and after" src="data:image/png;base64,{PNG}"
 data-dspl-chart="{CHART}">
<table data-dspl-counts><caption>Children by school</caption>
<thead><tr><th scope="col">School</th><th scope="col">n</th></tr></thead>
<tbody><tr><th scope="row">Oakfield</th><td class="num">12</td></tr>
<tr><th scope="row">Barnwell</th><td class="num suppressed" data-suppressed>c</td></tr>
<tr><th scope="row">Elm</th><td class="num">0</td></tr>
<tr><th scope="row">Ashby</th><td class="num suppressed" data-suppressed>c</td></tr></tbody></table>
<table><thead><tr><th scope="col">Outcome</th><th scope="col" data-dspl-counts>n</th>
<th scope="col">Change</th></tr></thead>
<tbody><tr><th scope="row">Attendance</th><td>24</td><td>3</td></tr></tbody></table>
<p>Mean change 3.2 points (year 3 pupils).</p>
</main></body></html>
"""


# ----------------------------------------------------------------------------- fixtures


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], keywords: str | None = KEYWORDS
) -> Path:
    book = openpyxl.Workbook()
    book.properties.keywords = keywords
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


CLEAN_SHEETS = {
    "EBSA": [
        ["Headline tables for the summer term"],
        [],
        ["School", "n", "Improved (n)", "Mean change", "% improved"],
        ["Oakfield", 12, 7, 3.5, "58%"],
        ["Barnwell", "c", "c", 2, "c"],
        ["Elm", 0, 0, "x", "x"],
    ]
}


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data root with one term's processed ids and raw names (xlsx and csv)."""
    root = tmp_path / "data"
    processed = root / "processed" / TERM
    processed.mkdir(parents=True)
    (processed / "validation.json").write_text(VALIDATION, "utf-8")
    pd.DataFrame({"pupil_id": PUPIL_IDS, "attendance_before": [55.0, 61.0]}).to_parquet(
        processed / "ebsa.parquet"
    )
    rows = [
        ["EBSA termly return"],
        ["Please complete one row per child"],
        [None, "UPN", "First name", "Surname", "Year"],
        *[[None, UPN, first, last, 6] for first, last in zip(FIRST_NAMES, SURNAMES, strict=True)],
        [None, None, "Total", None, None],
    ]
    write_xlsx(root / "raw" / TERM / "ebsa" / "Oakfield.xlsx", {"Return": rows})
    csv = root / "raw" / TERM / "elsa" / "Barnwell.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("Pupil name;Year\n" + "".join(f"{n};5\n" for n in PUPIL_NAMES), "utf-8")
    return root


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """reports/<term> holding a clean page and a clean workbook."""
    folder = tmp_path / "reports" / TERM
    folder.mkdir(parents=True)
    (folder / "ebsa.html").write_text(CLEAN_HTML, "utf-8")
    write_xlsx(folder / "summary.xlsx", CLEAN_SHEETS)
    return folder


def run(folder: Path, data: Path | None, capsys) -> tuple[int, str]:
    code = audit.main(folder, data)
    return code, capsys.readouterr().out


# ----------------------------------------------------------------------------- clean


def test_clean_reports_pass(reports, data_root, capsys):
    code, out = run(reports, data_root, capsys)
    assert code == 0, out
    assert out.strip().endswith("audit passed: 2 files checked")
    assert "checked: 2 files (1 pages, 1 workbooks, 0 notebooks)" in out


def test_clean_result_lists_files_and_terms(reports, data_root):
    result = audit.audit_reports(reports, data_root)
    assert result.passed
    assert result.terms == (TERM,)
    assert sorted(map(str, result.files)) == ["ebsa.html", "summary.xlsx"]
    assert result.notes == [f"term {TERM}: identities from {data_root}"]
    assert result.checked["charts"] == 1 and result.checked["numbers"] > 10


def test_a_folder_of_terms_reads_each_term(reports, data_root):
    result = audit.audit_reports(reports.parent, data_root)
    assert result.terms == (TERM,)
    assert [str(f) for f in result.files] == [f"{TERM}/ebsa.html", f"{TERM}/summary.xlsx"]


def test_without_data_the_audit_says_so_and_fails(reports, capsys, monkeypatch):
    monkeypatch.chdir(reports)  # no ./data here: the default data root is not found
    code, out = run(reports, None, capsys)
    assert code == 1
    assert f"no data for term {TERM}" in out and "could not be checked" in out


def test_default_data_roots_are_data_then_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "demo" / "raw").mkdir(parents=True)
    assert audit.data_roots(None) == [Path("data")]
    (tmp_path / "data" / "demo" / "raw" / "DEMO_DATA.txt").write_text("demo")
    assert audit.data_roots(None) == [Path("data"), Path("data/demo")]
    assert audit.data_roots(tmp_path) == [tmp_path]


def test_missing_folders_are_config_errors(tmp_path, reports):
    with pytest.raises(ConfigError, match="not a folder of reports"):
        audit.audit_reports(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="data folder"):
        audit.audit_reports(reports, tmp_path / "no-data")


def test_names_come_from_name_headers_only(data_root):
    found = audit.load_identities(data_root, [TERM])
    assert {"zebedee", "quillfeather", "zebedee quillfeather", "ottoline snodgrass-wibley"} <= (
        found.names
    )
    assert "ottoline" in found.names and "snodgrass-wibley" in found.names
    assert "araminta vexley" in found.names and "miss" not in found.names  # titles dropped
    assert "summer brown" in found.names  # common words only as the full name
    assert not {"summer", "brown", "total", "upn", "year"} & found.names
    assert found.ids == set(PUPIL_IDS)


def test_term_identities_are_read_once_and_again_when_a_file_changes(data_root, monkeypatch):
    """The runner reads a term's identities while the notebooks run; the audit then uses
    them, unless a file of the term changed since (a return added: its names count)."""
    reads = []
    real = audit.load_identities
    monkeypatch.setattr(
        audit, "load_identities", lambda root, terms: reads.append(terms) or real(root, terms)
    )
    first = audit.term_identities(data_root, TERM)
    again = audit.term_identities(data_root, TERM)
    assert len(reads) == 1
    assert (first.ids, first.names, first.files) == (again.ids, again.names, again.files)
    assert first.names == real(data_root, [TERM]).names
    first.names.add("someone added by a caller")
    assert "someone added by a caller" not in audit.term_identities(data_root, TERM).names
    late = data_root / "raw" / TERM / "late-return.csv"
    late.write_text("UPN,Forename,Surname\nB801200005001,Persephone,Zanzibar-Quill\n")
    changed = audit.term_identities(data_root, TERM)
    assert len(reads) == 2
    assert "persephone zanzibar-quill" in changed.names


# ----------------------------------------------------------------------------- leaks in HTML


HTML_LEAKS = {
    "upn in text": ("<p>Pupil B801200005001 improved.</p>", "upn", "B8…"),
    "upn lower case, inside a word": ("<p>ref:b801200005001.</p>", "upn", "b8…"),
    "temporary upn shape": ("<p>T80120000501A</p>", "upn", "T8…"),
    "pupil id in an attribute": (f'<div title="{PUPIL_IDS[0]}">x</div>', "pupil_id", "3f…"),
    "pupil id upper case": (f"<p>{PUPIL_IDS[1].upper()}</p>", "pupil_id", "0a…"),
    "first name, other case": ("<p>Well done ZEBEDEE!</p>", "name", "ze…"),
    "surname": ("<td>Marchbanks</td>", "name", "ma…"),
    "full name with common words": ("<p>Summer Brown moved school.</p>", "name", "su…"),
    "name from a csv": ("<li>Ottoline Snodgrass-Wibley</li>", "name", "ot…"),
    "small count": (
        "<table data-dspl-counts><tr><th>A</th><td>3</td></tr></table>",
        "small_count",
        "count of 3",
    ),
    "small count in a count column": (
        "<table><tr><th></th><th data-dspl-counts>n</th><th>mean</th></tr>"
        "<tr><th>A</th><td>2</td><td>2</td></tr></table>",
        "small_count",
        "count of 2",
    ),
    "external script": ('<script src="https://cdn.example.org/x.js"></script>', "external", ""),
    "external image": ('<img alt="" src="http://example.org/a.png">', "external", ""),
    "protocol-relative stylesheet": (
        '<link rel="stylesheet" href="//x.org/a.css">',
        "external",
        "",
    ),
    "css url": ("<div style=\"background:url('https://x.org/b.png')\"></div>", "external", ""),
    "css import": ('<style>@import "https://fonts.x.org/f.css";</style>', "external", ""),
    "iframe": ('<iframe src="https://x.org/"></iframe>', "external", ""),
    "windows drive path": (r"<p>Read from D:\SEND\returns\a.xlsx</p>", "server_path", ""),
    "unc share path": (r"<p>Read from \\council-fs01\send\a.xlsx</p>", "server_path", ""),
    "srcset": (
        '<img alt="" src="a.png" srcset="a.png 1x, https://x.org/b.png 2x">',
        "external",
        "",
    ),
}


@pytest.mark.parametrize("leak", list(HTML_LEAKS), ids=list(HTML_LEAKS))
def test_each_html_leak_is_caught(leak, reports, data_root, capsys):
    snippet, kind, detail = HTML_LEAKS[leak]
    page = reports / "ebsa.html"
    page.write_text(CLEAN_HTML.replace("</main>", f"{snippet}\n</main>"), "utf-8")
    result = audit.audit_reports(reports, data_root)
    line = f"line {CLEAN_HTML[: CLEAN_HTML.index('</main>')].count(chr(10)) + 1}"
    findings = [f for f in result.findings if f.kind == kind]
    assert findings, result.lines()
    assert {f.location for f in result.findings} == {line}, result.lines()
    finding = findings[0]
    assert finding.file == Path("ebsa.html")
    assert detail in finding.detail
    code, out = run(reports, data_root, capsys)
    assert code == 1
    assert f"ebsa.html, {finding.location}: " in out
    for secret in [UPN, *PUPIL_IDS, "Zebedee", "Marchbanks", "Snodgrass-Wibley"]:
        assert secret.lower() not in out.lower()


def test_links_and_prose_urls_are_not_loads(reports, data_root):
    page = reports / "ebsa.html"
    extra = '<a href="https://gov.uk">gov.uk</a> <a href="//example.org/x">x</a> see https://x.org'
    page.write_text(CLEAN_HTML.replace("</main>", f"{extra}</main>"), "utf-8")
    assert audit.audit_reports(reports, data_root).passed


# ----------------------------------------------------------------------------- leaks in xlsx


def test_each_xlsx_leak_is_caught(reports, data_root, capsys):
    sheets = {
        "EBSA": [*CLEAN_SHEETS["EBSA"], ["Ashgrove", 3, 0, 1.5, "10%"]],
        "Notes": [["Checked with b801200005001 and Philomena"], [None, PUPIL_IDS[1]]],
    }
    write_xlsx(reports / "summary.xlsx", sheets)
    result = audit.audit_reports(reports, data_root)
    found = {(f.location, f.kind) for f in result.findings}
    assert found == {
        ("sheet 'EBSA', cell B7", "small_count"),
        ("sheet 'Notes', cell A1", "upn"),
        ("sheet 'Notes', cell A1", "name"),
        ("sheet 'Notes', cell B2", "pupil_id"),
    }
    code, out = run(reports, data_root, capsys)
    assert code == 1
    assert "summary.xlsx, sheet 'EBSA', cell B7: count of 3" in out
    assert "Philomena" not in out and PUPIL_IDS[1] not in out


def test_a_name_in_a_sheet_name_or_document_property_is_caught(reports, data_root):
    path = write_xlsx(reports / "summary.xlsx", {"Zebedee": [["n"], [12]]})
    book = openpyxl.load_workbook(path)
    book.properties.creator = "Marchbanks"
    book.save(path)
    kinds = {(f.location, f.kind) for f in audit.audit_reports(reports, data_root).findings}
    assert ("part xl/workbook.xml", "name") in kinds
    assert ("part docProps/core.xml", "name") in kinds


def test_an_unreadable_workbook_fails_the_audit(reports, data_root):
    (reports / "broken.xlsx").write_bytes(b"not a workbook")
    result = audit.audit_reports(reports, data_root)
    assert ("broken.xlsx", "unreadable") in {(str(f.file), f.kind) for f in result.findings}
    assert not result.passed


# ----------------------------------------------------------------------------- with disclosure


def test_disclosure_output_passes_and_unsuppressed_output_fails(tmp_path, data_root):
    table = pd.DataFrame({"n": [3, 10, 8, 21]}, index=["Oakfield", "Barnwell", "Elm", "Total"])
    folder = tmp_path / "reports" / TERM
    folder.mkdir(parents=True)
    for audience in ("commissioner", "analyst"):
        result = suppress_counts(table, audience=audience)
        meta = META.replace("commissioner", audience)
        (folder / "page.html").write_text(f"<html>{meta}{result.to_html(caption='n')}</html>")
        keywords = KEYWORDS.replace("commissioner", audience)
        write_xlsx(folder / "summary.xlsx", {"EBSA": result.to_excel_rows()}, keywords)
        findings = audit.audit_reports(folder, data_root).findings
        assert findings == [], [str(f) for f in findings]  # small counts allowed for analysts
        (folder / "page.html").write_text(f"<html>{META}{result.to_html(caption='n')}</html>")
        write_xlsx(folder / "summary.xlsx", {"EBSA": result.to_excel_rows()})
        findings = audit.audit_reports(folder, data_root).findings
        if audience == "commissioner":
            assert findings == []
        else:  # analyst figures under a commissioner label
            assert {(str(f.file), f.kind) for f in findings} >= {
                ("page.html", "small_count"),
                ("summary.xlsx", "small_count"),
            }


def test_report_folder_is_copied_intact(reports, data_root, tmp_path):
    # the easy call the end-to-end leak test will make: copy, plant, audit
    copy = tmp_path / "copy" / TERM
    shutil.copytree(reports, copy)
    page = copy / "ebsa.html"
    page.write_text(page.read_text("utf-8").replace("Oakfield", "Zebedee"), "utf-8")
    assert not audit.audit_reports(copy, data_root).passed
    assert audit.audit_reports(reports, data_root).passed


def test_kernel_logs_beside_the_reports_are_scanned_too(tmp_path):
    """Executed notebooks and kernel logs travel with the reports; a UPN in a log fails."""
    folder = tmp_path / "2023-24-autumn" / "notebooks"
    folder.mkdir(parents=True)
    (folder / "ebsa.kernel.log").write_text("WARNING something about B801200005001\n")
    result = audit.audit_reports(tmp_path / "2023-24-autumn", terms=[])
    assert "upn" in [f.kind for f in result.findings]
    assert "B801200005001" not in str(result.findings[0])  # masked, never repeated
