"""End to end: the demo batch, executed for real (papermill), and what it produced.

The numbers in the reports are checked against ``dspl_eval.stats`` computed here on the
processed data; the privacy checks look for every identifying value the synthetic returns
planted (names, dates of birth, UPNs) and every pseudonym in the processed data.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from dspl_eval import stats
from dspl_eval.audit import audit_reports
from dspl_eval.audit import main as audit_main
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.runner import extract_summary, plan, run_term
from dspl_eval.synth import DEMO_TERMS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="demo")]

# an attribute that loads something (src=, href= as a real attribute, not letters inside
# a base64 data URI), a CSS url() or @import, pointing at another host
EXTERNAL = re.compile(
    r"""(?:<(?:script|img|iframe|source|video|audio)\b[^>]*\ssrc|<link\b[^>]*\shref)\s*=\s*
    ["']?\s*(?:https?:)?//|(?:url\(|@import)\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE | re.VERBOSE,
)


def _outputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _text_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        book = CalamineWorkbook.from_path(str(path))
        cells = []
        for name in book.sheet_names:
            for row in book.get_sheet_by_name(name).to_python():
                cells.extend(str(v) for v in row)
        return "\n".join(cells)
    return path.read_text(encoding="utf-8", errors="replace")


def test_batch_writes_every_report_index_and_summary(demo_run):
    for term, outcome in demo_run.outcomes.items():
        folder = demo_run.pack(term)
        assert outcome.exit_code == 0, [r.error for r in outcome.results]
        assert outcome.audit_passed is True, outcome.audit_findings
        assert outcome.ready and outcome.pack == folder
        for key in INITIATIVES:
            assert (folder / f"{key}.html").stat().st_size > 10_000
            assert (demo_run.work(term) / f"{key}.ipynb").is_file()
        # the send pack holds only what is sent
        expected = {"index.html", "summary.xlsx", *(f"{key}.html" for key in INITIATIVES)}
        assert {p.name for p in folder.iterdir()} == expected
        assert not list((demo_run.reports / term).rglob("*.tmp")), "a temporary file was left"
        assert not [p for p in (demo_run.reports / term).iterdir() if p.name.startswith(".")]
        index = (folder / "index.html").read_text("utf-8")
        assert "Ready to send" in index
        for key in INITIATIVES:
            assert f'href="{key}.html"' in index


def test_every_page_says_its_edition_term_and_threshold(demo_run):
    for term in DEMO_TERMS:
        for page in demo_run.pack(term).glob("*.html"):
            html = page.read_text("utf-8")
            for name, value in (
                ("edition", "commissioner"),
                ("term", term),
                ("threshold", "5"),
                ("initiative", "index" if page.stem == "index" else page.stem),
            ):
                assert re.search(
                    rf'<meta (?:content="{value}" name="dspl-eval-{name}"|'
                    rf'name="dspl-eval-{name}" content="{value}")',
                    html,
                ), (page.name, name)
    index = (demo_run.pack(DEMO_TERMS[0]) / "index.html").read_text("utf-8")
    assert "Suppression threshold: 5." in index
    analyst = demo_run.pack(DEMO_TERMS[-1], "analyst") / "index.html"
    assert 'content="analyst"' in analyst.read_text("utf-8")


def test_no_raw_file_name_reaches_a_commissioner_index(demo_run):
    for term in DEMO_TERMS:
        index = (demo_run.pack(term) / "index.html").read_text("utf-8")
        document = json.loads((demo_run.data / "processed" / term / "validation.json").read_text())
        for entry in document["files"]:
            assert entry["file"] not in index and entry["sha256"] not in index
        assert "Return 1" in index


def test_ebsa_headline_equals_stats_on_processed_data(demo_run):
    """The attendance sentence and table show what stats.paired_change gives on the parquet."""
    for term in DEMO_TERMS:
        data = pd.read_parquet(demo_run.data / "processed" / term / "ebsa.parquet")
        result = stats.paired_change(
            data["attendance_before"].astype(float), data["attendance_after"].astype(float)
        )
        low, high = result.confidence_interval()
        html = (demo_run.pack(term) / "ebsa.html").read_text("utf-8")
        expected = (
            f"Attendance of the {result.n} young people with a follow-up rose from "
            f"{result.mean_pre:.0f}% to {result.mean_post:.0f}% "
            f"(+{result.mean_diff:.0f} points, 95% CI +{low:.0f} to +{high:.0f} points)"
        )
        assert expected in html


def _pre_post(key: str, label: str, data: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The processed columns behind a published outcome row, computed here independently."""
    if key == "elsa":  # total difficulties = the four difficulty scales, teacher-rated only
        teacher = data[data["sdq_informant"] == "teacher"]
        scales = ("emotional", "conduct", "hyperactivity", "peer")
        return tuple(
            teacher[[f"sdq_{s}_{when}" for s in scales]].astype(float).sum(axis=1, skipna=False)
            for when in ("pre", "post")
        )
    columns = {
        ("ebsa", "Attendance"): ("attendance_before", "attendance_after"),
        ("nurture", "Boxall developmental strands"): (
            "boxall_developmental_pre",
            "boxall_developmental_post",
        ),
        ("nurture", "Boxall diagnostic profile"): (
            "boxall_diagnostic_pre",
            "boxall_diagnostic_post",
        ),
        ("nqt", "Self-rated understanding"): ("understanding_pre", "understanding_post"),
    }[(key, label)]
    return data[columns[0]].astype(float), data[columns[1]].astype(float)


def _close(shown: str, value: float) -> bool:
    """A published, rounded figure (``"58%"``, ``"17.8"``) is ``value`` to its precision."""
    text = shown.rstrip("%")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("ebsa", "Attendance"),
        ("elsa", "SDQ total difficulties (teacher-rated)"),
        ("nurture", "Boxall developmental strands"),
        ("nurture", "Boxall diagnostic profile"),
        ("nqt", "Self-rated understanding"),
    ],
)
def test_published_outcome_rows_match_stats(demo_run, key, label):
    """Each report's headline table (n, before and after means) equals stats.paired_change
    on the processed data, for every demo term."""
    for term in DEMO_TERMS:
        notebook = demo_run.work(term) / f"{key}.ipynb"
        summary = extract_summary(nbformat.read(notebook, as_version=4))
        table = next(t for t in summary["tables"] if t["name"] == "outcomes")
        cells = next(r for r in table["rows"] if r[0] == label)
        row = dict(zip(table["columns"], cells, strict=True))
        data = pd.read_parquet(demo_run.data / "processed" / term / f"{key}.parquet")
        result = stats.paired_change(*_pre_post(key, label, data))
        assert row["n"] == result.n
        assert _close(row["Before (mean)"], result.mean_pre), (term, row)
        assert _close(row["After (mean)"], result.mean_post), (term, row)


DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+")


def _identities(demo_run) -> set[str]:
    """Full names, dates of birth (as written and ISO), UPNs and every pseudonym."""
    values = {
        str(v)
        for v in demo_run.manifest.identifying_values
        if " " in str(v) or any(ch.isdigit() for ch in str(v))
    }
    for file in demo_run.manifest.files:
        values |= {str(v) for v in file.kept_ids if len(str(v)) == 13}  # UPNs
    for term in DEMO_TERMS:
        for parquet in (demo_run.data / "processed" / term).glob("*.parquet"):
            frame = pd.read_parquet(parquet)
            for column in ("pupil_id", "participant_id"):
                if column in frame:
                    values |= set(frame[column].dropna().astype(str))
    return values


def test_no_identity_reaches_any_commissioner_output(demo_run):
    identities = _identities(demo_run)
    assert demo_run.manifest.canary in identities
    assert len(identities) > 200
    pattern = _pattern(identities)
    for path in _outputs(demo_run.reports):
        found = pattern.search(DATA_URI.sub("", _text_of(path)))
        assert found is None, f"{path.name} contains an identity ({found.group(0)[:2]}…)"


def test_analyst_output_has_no_identity_either(demo_run):
    identities = _identities(demo_run)
    pattern = _pattern(identities)
    assert demo_run.analyst.exit_code == 0
    for path in _outputs(demo_run.analyst_reports):
        assert pattern.search(DATA_URI.sub("", _text_of(path))) is None, path.name


def _pattern(values: set[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)


def test_reports_load_nothing_from_the_network(demo_run):
    for path in demo_run.reports.rglob("*.html"):
        text = path.read_text("utf-8")
        assert not EXTERNAL.search(text), path.name
        assert "<script" not in text.lower(), path.name


def _count_tables(html: str) -> list[pd.DataFrame]:
    """Every table with counts, as text cells (row label as index)."""
    tables = []
    for match in re.finditer(r"<table[^>]*>.*?</table>", html, re.DOTALL):
        block = match.group(0)
        if "data-dspl-counts" not in block:
            continue
        heads = re.findall(r"<thead>.*?</thead>", block, re.DOTALL)[0]
        columns = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>.*?</th>", heads)]
        rows = []
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", block.split("</thead>")[1], re.DOTALL):
            cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", tr)]
            rows.append(cells)
        frame = pd.DataFrame(rows, columns=columns[: len(rows[0])] if rows else columns)
        tables.append(frame.set_index(frame.columns[0]))
    return tables


def test_no_suppressed_count_can_be_recovered_from_a_total(demo_run):
    """In every count table with a Total row, no column has exactly one ``c`` among its
    cells while its total is published (the c would be total minus the rest)."""
    checked = 0
    for path in demo_run.reports.rglob("*.html"):
        for table in _count_tables(path.read_text("utf-8")):
            if "Total" not in table.index:
                continue
            for column in table.columns:
                if not column.startswith(("n", "Rows", "Children", "Young", "Teachers")):
                    continue
                cells = table[column].drop("Total")
                if table.loc["Total", column] != "c":
                    assert (cells == "c").sum() != 1, f"{path.name}: {column}\n{table}"
                    checked += 1
    assert checked > 0


def test_summary_workbook_has_titled_sheets_and_no_merged_cells(demo_run):
    from openpyxl import load_workbook

    book = load_workbook(demo_run.pack(DEMO_TERMS[-1]) / "summary.xlsx")
    assert book.sheetnames[0] == "Contents"
    assert len(book.sheetnames) > 4
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges, sheet.title
        assert sheet["A1"].value, f"sheet {sheet.title} has no title"


def test_audit_passes_then_catches_a_planted_leak(demo_run, tmp_path):
    term = DEMO_TERMS[0]
    copy = tmp_path / term
    shutil.copytree(demo_run.pack(term), copy)
    assert audit_main(copy, demo_run.data) == 0
    canary = demo_run.manifest.canary
    page = copy / "ebsa.html"
    page.write_text(page.read_text("utf-8").replace("</main>", f"<p>{canary}</p></main>"))
    result = audit_reports(copy, demo_run.data)
    assert any(f.kind == "name" for f in result.findings)
    assert audit_main(copy, demo_run.data) == 1


def test_validation_adds_up_for_every_demo_term(demo_run):
    for term in DEMO_TERMS:
        document = json.loads((demo_run.data / "processed" / term / "validation.json").read_text())
        for entry in document["files"]:
            assert entry["rows_read"] == entry["rows_kept"] + entry["rows_quarantined"]
            assert entry["error"] is None
        for key, totals in document["totals"].items():
            kept = len(pd.read_parquet(demo_run.data / "processed" / term / f"{key}.parquet"))
            assert totals["rows_kept"] == kept


# --------------------------------------------------------------------- failure isolation

BROKEN = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_code_cell(
            'term = "2023-24-autumn"\ndata_dir = "."\naudience = "commissioner"\n'
            "suppression_threshold = 5",
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell('raise ValueError("a deliberately broken report")'),
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)


def test_a_failing_notebook_never_loses_the_others(demo_run, tmp_path):
    from dspl_eval.paths import NOTEBOOKS_DIR

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "ebsa.ipynb", notebooks / "ebsa.ipynb")
    nbformat.write(BROKEN, notebooks / "elsa.ipynb")
    term = DEMO_TERMS[0]
    reports = tmp_path / "reports"
    outcome = run_term(
        term, demo_run.data, reports, initiatives=["ebsa", "elsa"], jobs=2, notebooks=notebooks
    )
    assert outcome.exit_code == 1 and not outcome.ready
    pack = reports / term / "commissioner"
    by_key = {r.initiative: r for r in outcome.results}
    assert by_key["ebsa"].ok and (pack / "ebsa.html").is_file()
    assert not by_key["elsa"].ok and not (pack / "elsa.html").exists()
    assert "elsa.ipynb, cell 3: ValueError: a deliberately broken report" in by_key["elsa"].error
    assert (reports / term / "work" / "commissioner" / "elsa.ipynb").is_file()  # kept
    index = (pack / "index.html").read_text("utf-8")
    assert "failed and was not published" in index and "What to do" in index
    assert "deliberately broken" not in index and "ValueError" not in index  # in the log
    assert "Ready to send" not in index


def test_cli_run_exits_1_when_a_notebook_fails(demo_run, tmp_path, monkeypatch):
    from dspl_eval import cli, paths, runner

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(BROKEN, notebooks / "nqt.ipynb")
    monkeypatch.setattr(paths, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", notebooks)
    code = cli.main(
        [
            "run",
            "--term",
            DEMO_TERMS[0],
            "--data",
            str(demo_run.data),
            "--reports",
            str(tmp_path / "r"),
            "--initiative",
            "nqt",
            "--jobs",
            "1",
        ]
    )
    assert code == 1


def test_notebook_without_kernel_name_is_refused_clearly(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    cell = nbformat.v4.new_code_cell('term = "x"', metadata={"tags": ["parameters"]})
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), notebooks / "ebsa.ipynb")
    with pytest.raises(ConfigError, match=r"ebsa\.ipynb cannot be inspected"):
        plan("2023-24-autumn", tmp_path, tmp_path, ["ebsa"], "commissioner", notebooks=notebooks)


def test_undeclared_parameter_is_refused_before_anything_runs(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    lacking = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('term = "2023-24-autumn"', metadata={"tags": ["parameters"]})
        ],
        metadata=BROKEN.metadata,
    )
    nbformat.write(lacking, notebooks / "ebsa.ipynb")
    with pytest.raises(ConfigError, match="does not declare audience, data_dir"):
        plan("2023-24-autumn", tmp_path, tmp_path, ["ebsa"], "commissioner", notebooks=notebooks)


def test_run_with_pdf_writes_a_pdf_beside_each_report(demo_run, tmp_path):
    from dspl_eval.export import find_chromium

    if find_chromium() is None:
        pytest.skip("Debian chromium is not installed (make browser-deps)")
    term = DEMO_TERMS[0]
    outcome = run_term(term, demo_run.data, tmp_path, initiatives=["ebsa"], jobs=1, pdf=True)
    assert outcome.exit_code == 0
    for name in ("ebsa", "index"):
        pdf = tmp_path / term / "commissioner" / f"{name}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")


def _number(text: object) -> float:
    return float(str(text).replace("−", "-").replace(",", "").split()[0])


@pytest.mark.parametrize("term", DEMO_TERMS)
def test_elsa_rate_ratio_uses_the_time_actually_observed(demo_run, term):
    """Issue 11: in the demo, follow-up after support is shorter than the 6-month window.
    The published rate ratio must use person-months actually observed — recomputed here
    independently from the dates (window, follow-up date, last day of the term; a month is
    365.25/12 days) — and R's exact method (``poisson.test(c(x_after, x_before),
    c(T_after, T_before))``: Clopper–Pearson interval of x_after / (x_after + x_before),
    turned into a ratio), here with scipy's binomtest."""
    from scipy.stats import binomtest

    data = pd.read_parquet(demo_run.data / "processed" / term / "elsa.parquet")
    month = 365.25 / 12
    start = pd.to_datetime(data["support_end"])
    window = data["window_months"].astype(float).fillna(6.0)
    term_end = {
        "2023-24-autumn": pd.Timestamp("2023-12-31"),
        "2023-24-spring": pd.Timestamp("2024-03-31"),
        "2023-24-summer": pd.Timestamp("2024-08-31"),
    }[term]
    ends = pd.concat(
        [
            start + pd.to_timedelta(window * month, unit="D"),
            pd.to_datetime(data["follow_up_end"]),
            pd.Series(term_end, index=data.index),
        ],
        axis=1,
    ).min(axis=1)
    after = (ends - start).dt.days / month
    counted = (after > 0) & data["suspensions_before"].notna() & data["suspensions_after"].notna()
    t_after, t_before = after[counted].sum(), window[counted].sum()
    x_after = int(data.loc[counted, "suspensions_after"].sum())
    x_before = int(data.loc[counted, "suspensions_before"].sum())
    assert t_after < t_before * 0.9  # the premise: follow-up is shorter than the window

    notebook = demo_run.work(term) / "elsa.ipynb"
    summary = extract_summary(nbformat.read(notebook, as_version=4))
    table = next(t for t in summary["tables"] if t["name"] == "suspensions")
    row = dict(zip(table["columns"], table["rows"][0], strict=True))
    if row["Child-months after"] != "c":
        assert _number(row["Child-months after"]) == pytest.approx(t_after, abs=0.05)
        assert _number(row["Child-months before"]) == pytest.approx(t_before, abs=0.5)
    assert row["Suspensions before"] == x_before
    assert row["Suspensions after"] == x_after
    estimate = (x_after / t_after) / (x_before / t_before)
    test = binomtest(x_after, x_after + x_before, t_after / (t_after + t_before))
    ci = test.proportion_ci(0.95, method="exact")
    odds = t_before / t_after
    low, high = ci.low / (1 - ci.low) * odds, ci.high / (1 - ci.high) * odds
    shown = row["Rate ratio (95% CI, exact)"].replace("−", "-")
    assert shown == f"{estimate:.2f} ({low:.2f} to {high:.2f})"
