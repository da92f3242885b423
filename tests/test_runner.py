"""The batch runner with small fixture notebooks (``tests/fixtures/notebooks``), so these
tests do not depend on the real reports: editions in their own folders, publishing by
renaming a staging folder only after the audit passed, the term checked as a whole, exit
codes, page metadata and the threshold.

The privacy audit (``dspl_eval.audit``) is replaced by a stub that passes unless a test
says otherwise: what it finds is its own tests' business; here it only matters that the
runner acts on its verdict. The runner's own send-pack check (raw file names, hashes,
server paths) is real.
"""

from __future__ import annotations

import hashlib
import html as html_module
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import pytest
from openpyxl import load_workbook

from dspl_eval import cli, runner
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"
SECRET = "a test key that is long enough, not secret"


def _load_returns():
    spec = importlib.util.spec_from_file_location("dspl_eval_test_returns", FIXTURES / "returns.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_returns()
TERM = R.TERM
RETURN_FILES = (R.MESSY_FILE, R.WESTMOOR_FILE, R.ZEPHYR_FILE)


@dataclass
class StubAudit:
    """Stands in for ``dspl_eval.audit.audit_reports``: records what it was asked."""

    findings: list[str] = field(default_factory=list)
    calls: list[tuple[Path, Path]] = field(default_factory=list)

    def __call__(self, folder, data=None, terms=None, threshold=5):
        self.calls.append((Path(folder), Path(data)))
        return type("Result", (), {"findings": list(self.findings), "notes": []})()


@pytest.fixture
def audit(monkeypatch) -> StubAudit:
    import dspl_eval.audit

    stub = StubAudit()
    monkeypatch.setattr(dspl_eval.audit, "audit_reports", stub)
    return stub


@pytest.fixture
def env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DSPL_EVAL_KEY", SECRET)
    monkeypatch.delenv("DSPL_EVAL_KEY_FILE", raising=False)


@pytest.fixture
def data(tmp_path, env) -> Path:
    """``raw/<TERM>/ebsa/`` with the three messy fixture returns (not yet ingested)."""
    root = tmp_path / "data"
    R.write_term(root)
    return root


def notebooks(folder: Path, kind: str = "tiny", key: str = "ebsa", leak: bool = False) -> Path:
    """A notebooks folder holding fixture notebook ``kind`` as ``<key>.ipynb``."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(NOTEBOOKS / f"{kind}.ipynb", as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace('initiative = "ebsa"', f'initiative = "{key}"')
            if leak:
                cell.source = cell.source.replace("leak_file_name = False", "leak_file_name = True")
    nbformat.write(nb, folder / f"{key}.ipynb")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(data, reports, nbs, **options):
    options.setdefault("initiatives", ["ebsa"])
    options.setdefault("jobs", 1)
    return runner.run_term(TERM, data, reports, notebooks=nbs, **options)


def meta_of(html: str) -> dict[str, str]:
    found = {}
    for tag in re.findall(r"<meta[^>]+>", html):
        name = re.search(r'name="(dspl-eval-[a-z-]+)"', tag)
        content = re.search(r'content="([^"]*)"', tag)
        if name and content:
            found[name.group(1)] = content.group(1)
    return found


RUN = ("run", "--term", TERM)
THRESHOLD_7 = ("--jobs", "1", "--threshold", "7")
PACK_FILES = {"index.html", "ebsa.html", "summary.xlsx"}


# ----------------------------------------------------------------------------- editions


@pytest.mark.slow
def test_analyst_and_commissioner_runs_never_mix(data, tmp_path, audit, capsys):
    """analyst, then commissioner, then analyst again into the same reports folder: each
    run leaves the other edition's pack byte for byte as it was."""
    nbs = notebooks(tmp_path / "nbs")
    reports = tmp_path / "reports"
    term_dir = reports / TERM

    first = run(data, reports, nbs, audience="analyst")
    assert first.exit_code == 0, [r.error for r in first.results]
    assert not first.ready  # an analyst pack is never "ready to send"
    analyst_files = set(snapshot(term_dir / "analyst"))
    # the analyst pack also holds the returns tracker and each school's feedback workbook
    assert {f for f in analyst_files if not f.startswith("feedback/")} == PACK_FILES | {
        "tracker.html"
    }
    assert any(f.startswith("feedback/") and f.endswith(" feedback.xlsx") for f in analyst_files)
    assert not (term_dir / "commissioner").exists()
    assert audit.calls == []  # the analyst edition is not audited ...
    out = capsys.readouterr().out
    assert "Ready to send" not in out
    analyst = snapshot(term_dir / "analyst")

    second = run(data, reports, nbs)
    assert second.exit_code == 0, [r.error for r in second.results]
    assert second.ready and second.pack == term_dir / "commissioner"
    assert "Ready to send" in capsys.readouterr().out
    assert snapshot(term_dir / "analyst") == analyst  # ... and a commissioner run leaves it
    assert set(snapshot(term_dir / "commissioner")) == PACK_FILES  # only what is sent
    commissioner = snapshot(term_dir / "commissioner")
    # the audit saw the staging folder of the pack, not the term folder
    (audited, _), *_ = audit.calls
    assert audited.name.startswith(".staging-commissioner-")

    third = run(data, reports, nbs, audience="analyst")
    assert third.exit_code == 0
    assert snapshot(term_dir / "commissioner") == commissioner

    for edition in ("analyst", "commissioner"):
        for page in ("index.html", "ebsa.html"):
            assert meta_of((term_dir / edition / page).read_text("utf-8"))["dspl-eval-edition"] == (
                edition
            )
        work = term_dir / "work" / edition
        assert (work / "ebsa.ipynb").is_file() and (work / "ebsa.kernel.log").is_file()
    assert "Ready to send" in (term_dir / "commissioner" / "index.html").read_text("utf-8")
    assert "Ready to send" not in (term_dir / "analyst" / "index.html").read_text("utf-8")
    leftovers = [p.name for p in term_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "a staging or set-aside folder was left behind"
    assert sorted(p.name for p in term_dir.iterdir()) == ["analyst", "commissioner", "work"]


@pytest.mark.slow
def test_a_failing_audit_publishes_nothing(data, tmp_path, audit, capsys):
    reports = tmp_path / "reports"
    term_dir = reports / TERM
    assert run(data, reports, notebooks(tmp_path / "nbs")).exit_code == 0
    published = snapshot(term_dir / "commissioner")
    capsys.readouterr()

    # the audit finds something: nothing is published, the pack is kept to inspect
    audit.findings = ["ebsa.html, line 3: a planted problem"]
    outcome = run(data, reports, notebooks(tmp_path / "nbs"))
    assert outcome.exit_code == 1 and not outcome.ready and outcome.pack is None
    assert snapshot(term_dir / "commissioner") == published
    kept = term_dir / "unpublished-commissioner"
    assert outcome.unpublished == kept and set(snapshot(kept)) == PACK_FILES
    out = capsys.readouterr().out
    assert "NOT PUBLISHED" in out and str(kept) in out and "Ready to send" not in out
    assert "a planted problem" in out
    index = (kept / "index.html").read_text("utf-8")
    assert "NOT READY to send" in index and "Ready to send." not in index

    # the runner's own send-pack check: a page showing a raw return's file name
    audit.findings = []
    outcome = run(data, reports, notebooks(tmp_path / "leaky", leak=True))
    assert outcome.exit_code == 1 and outcome.pack is None
    assert snapshot(term_dir / "commissioner") == published
    assert any(
        "ebsa.html: shows the file name of ebsa Return 1" in f for f in outcome.audit_findings
    )

    # a clean run publishes again and removes the out-of-date unpublished pack
    assert run(data, reports, notebooks(tmp_path / "nbs")).exit_code == 0
    assert not kept.exists()


@pytest.mark.slow
def test_a_failed_report_is_explained_without_paths_or_raw_errors(data, tmp_path, audit, capsys):
    reports = tmp_path / "reports"
    outcome = run(data, reports, notebooks(tmp_path / "nbs", kind="broken"))
    assert outcome.exit_code == 1 and not outcome.ready
    (result,) = outcome.results
    assert not result.ok
    assert "ebsa.ipynb, cell 4: FileNotFoundError" in result.error
    pack = reports / TERM / "commissioner"
    assert set(snapshot(pack)) == {"index.html", "summary.xlsx"}  # no page for the failure
    index = (pack / "index.html").read_text("utf-8")
    assert "This report failed and was not published." in index
    assert "What to do:" in index and "run log" in index
    for secret in ("/srv/dspl", "secret-server-path", "FileNotFoundError", str(tmp_path)):
        assert secret not in index
    assert "Ready to send" not in index and "NOT READY to send" in index
    # no numbers the report's gate did not issue: only which returns were read
    assert "Rows read" not in index and "Return 3" in index
    log = reports / TERM / "work" / "commissioner" / "ebsa.error.log"
    assert "secret-server-path" in log.read_text("utf-8")  # the detail is in the log
    out = capsys.readouterr().out
    assert str(log) in out and "Ready to send" not in out


# ----------------------------------------------------------------------------- the term


@pytest.mark.slow
def test_a_corrupt_return_is_not_ready(data, tmp_path, audit, capsys):
    corrupt = data / "raw" / TERM / "ebsa" / "corrupt.xlsx"
    corrupt.write_bytes(np.random.default_rng(1).bytes(4096))
    outcome = run(data, tmp_path / "reports", notebooks(tmp_path / "nbs"))
    assert outcome.exit_code == 1 and not outcome.ready
    assert [p.kind for p in outcome.problems] == ["not-read"]
    out = capsys.readouterr().out
    assert f"raw/{TERM}/ebsa/corrupt.xlsx: NOT READ" in out
    assert "Ready to send" not in out
    index = (outcome.pack / "index.html").read_text("utf-8")
    assert "Return 4 could not be read" in index  # corrupt.xlsx sorts after the others
    assert "corrupt" not in index and "Ready to send" not in index
    for name in RETURN_FILES:
        assert Path(name).stem not in index


@pytest.mark.slow
@pytest.mark.parametrize("case", ["loose file", "EBSA folder", " ebsa  folder"])
def test_files_ingestion_never_sees_make_the_term_not_ready(
    case, data, tmp_path, audit, monkeypatch, capsys
):
    raw = data / "raw" / TERM
    if case == "loose file":
        R.write_zephyr(raw / "Birchwood.csv")
        expected = f"raw/{TERM}/Birchwood.csv: a file outside any initiative folder"
    else:
        name = case.removesuffix(" folder")
        (raw / name).mkdir()
        R.write_zephyr(raw / name / "Birchwood.csv")
        expected = f"raw/{TERM}/{name!r}: looks like the ebsa returns"
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", notebooks(tmp_path / "nbs"))
    reports = tmp_path / "reports"
    code = cli.main(
        [
            *RUN,
            "--data",
            str(data),
            "--reports",
            str(reports),
            "--initiative",
            "ebsa",
            "--jobs",
            "1",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if expected in line]) == 1, out
    assert "Ready to send" not in out
    index = (reports / TERM / "commissioner" / "index.html").read_text("utf-8")
    assert "NOT READY to send" in index and "Birchwood" not in index


def test_an_empty_term_runs_nothing_and_exits_1(tmp_path, env, audit, capsys):
    data = tmp_path / "data"
    (data / "raw" / TERM).mkdir(parents=True)
    reports = tmp_path / "reports"
    for key in INITIATIVES:
        nbs = notebooks(tmp_path / "nbs", key=key)
    outcome = run(data, reports, nbs, initiatives=None)
    assert outcome.exit_code == 1 and not outcome.ready and outcome.results == []
    out = capsys.readouterr().out
    assert f"raw/{TERM}: no returns for" in out and "Ready to send" not in out
    assert not (reports / TERM / "commissioner").exists()


def test_a_missing_term_folder_is_one_line_and_exit_1(tmp_path, env, audit, monkeypatch, capsys):
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", notebooks(tmp_path / "nbs"))
    code = cli.main(
        [*RUN, "--data", str(tmp_path), "--reports", str(tmp_path), "--initiative", "ebsa"]
    )
    assert code == 1
    out = capsys.readouterr()
    lines = [line for line in out.out.splitlines() if f"raw/{TERM}: no such folder" in line]
    assert len(lines) == 1 and "Traceback" not in out.out + out.err


# ----------------------------------------------------------------------------- PDF, threshold


@pytest.mark.slow
def test_a_pdf_that_cannot_be_written_exits_1(data, tmp_path, audit, monkeypatch, capsys):
    monkeypatch.setenv("DSPL_EVAL_CHROMIUM", str(tmp_path / "no-chromium-here"))
    outcome = run(data, tmp_path / "reports", notebooks(tmp_path / "nbs"), pdf=True)
    assert outcome.exit_code == 1 and not outcome.ready
    assert len(outcome.pdf_failures) == 2  # the report and the index
    out = capsys.readouterr().out
    assert "pdf not written for ebsa.html: cannot print to PDF: Chromium was not found" in out
    assert "Ready to send" not in out
    index = (outcome.pack / "index.html").read_text("utf-8")
    assert "NOT READY to send" in index and "PDF(s) could not be written" in index
    assert not list(outcome.pack.glob("*.pdf"))


@pytest.mark.slow
def test_threshold_reaches_every_page_notebook_and_workbook(data, tmp_path, audit, monkeypatch):
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", notebooks(tmp_path / "nbs"))
    reports = tmp_path / "reports"
    code = cli.main(
        [*RUN, "--data", str(data), "--reports", str(reports), "--initiative", "ebsa", *THRESHOLD_7]
    )
    assert code == 0
    pack = reports / TERM / "commissioner"
    validation = data / "processed" / TERM / "validation.json"
    fingerprint = hashlib.sha256(validation.read_bytes()).hexdigest()
    for page, initiative in (("index.html", "index"), ("ebsa.html", "ebsa")):
        html = (pack / page).read_text("utf-8")
        assert meta_of(html) == {
            "dspl-eval-edition": "commissioner",
            "dspl-eval-term": TERM,
            "dspl-eval-threshold": "7",
            "dspl-eval-initiative": initiative,
            "dspl-eval-data-fingerprint": fingerprint,
        }, page
    index = (pack / "index.html").read_text("utf-8")
    assert "Suppression threshold: 7." in index
    report = (pack / "ebsa.html").read_text("utf-8")
    assert "Suppression threshold used: 7." in report  # the papermill parameter
    executed = nbformat.read(reports / TERM / "work" / "commissioner" / "ebsa.ipynb", 4)
    assert executed.metadata["dspl_eval"] == {
        "edition": "commissioner",
        "term": TERM,
        "threshold": 7,
        "initiative": "ebsa",
        "data_fingerprint": fingerprint,
    }
    book = load_workbook(pack / "summary.xlsx")
    assert book.properties.keywords == (
        f"dspl-eval-edition=commissioner;dspl-eval-term={TERM};dspl-eval-threshold=7"
    )
    assert "Suppression threshold: 7" in book["Contents"]["A2"].value
    # the chart's data travels on its <img>, for the audit
    (attribute,) = re.findall(r"data-dspl-chart='([^']*)'|data-dspl-chart=\"([^\"]*)\"", report)
    chart = json.loads(html_module.unescape(next(a for a in attribute if a)))
    assert chart["kind"] == "category_bars" and chart["rows"] == [["Rose", 12], ["Fell", "c"]]
    # returns are "Return N" in the workbook, never their file names
    cells = [str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r]
    assert "Return 1" in cells
    for name in RETURN_FILES:
        assert not any(name in c for c in cells)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--term", TERM, "--threshold", "0"], "--threshold '0': expected a whole number"),
        (["run", "--term", TERM, "--threshold", "2.5"], "--threshold '2.5'"),
        (["run", "--term", TERM, "--threshold", "five"], "--threshold 'five'"),
        (["demo", "--threshold", "-1"], "--threshold '-1'"),
        (["run", "--term", TERM, "--jobs", "0"], "--jobs '0'"),
        (["run", "--term", "autumn-2023"], "is not of the form YYYY-YY-autumn|spring|summer"),
        (["ingest", "--term", "2023-25-autumn"], "is not of the form"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, tmp_path, capsys):
    assert cli.main([*argv, "--data", str(tmp_path)]) == 2
    out = capsys.readouterr()
    (line,) = out.err.splitlines()
    assert line.startswith(f"dspl-eval {argv[0]}: ") and message in line
    assert out.out == "" and not list(tmp_path.iterdir())  # nothing was done


def test_plan_puts_notebooks_in_work_and_pages_in_the_pack(tmp_path):
    nbs = notebooks(tmp_path / "nbs")
    (job,) = runner.plan(TERM, tmp_path, tmp_path / "r", ["ebsa"], "analyst", 7, nbs)
    assert job.executed == tmp_path / "r" / TERM / "work" / "analyst" / "ebsa.ipynb"
    assert job.html == tmp_path / "r" / TERM / "analyst" / "ebsa.html"
    assert job.parameters["suppression_threshold"] == 7
    assert job.metadata == {
        "edition": "analyst",
        "term": TERM,
        "threshold": 7,
        "initiative": "ebsa",
        "data_fingerprint": "",
    }


def test_an_initiative_without_a_notebook_is_skipped_by_name_not_refusing_the_batch(
    tmp_path, capsys
):
    nbs = notebooks(tmp_path / "nbs")  # only ebsa has a report notebook here
    jobs = runner.plan(TERM, tmp_path, tmp_path / "r", None, "analyst", 5, nbs)
    assert [job.initiative for job in jobs] == ["ebsa"]
    out = capsys.readouterr().out
    for key in set(INITIATIVES) - {"ebsa"}:
        assert f"{key}: no report yet (no notebook {key}.ipynb); not run" in out
    with pytest.raises(ConfigError, match="no notebook for elsa"):  # asked for by name
        runner.plan(TERM, tmp_path, tmp_path / "r", ["elsa"], "analyst", 5, nbs)


def test_publish_replaces_the_pack_by_renaming(tmp_path):
    target = tmp_path / "commissioner"
    target.mkdir()
    (target / "old.html").write_text("old")
    staging = tmp_path / ".staging-commissioner-1"
    staging.mkdir()
    (staging / "index.html").write_text("new")
    runner._publish(staging, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["commissioner"]
    assert [p.name for p in target.iterdir()] == ["index.html"]


def test_pack_findings_name_file_names_hashes_and_paths(tmp_path):
    data = tmp_path / "data"
    processed = data / "processed" / TERM
    processed.mkdir(parents=True)
    digest = "ab" * 32
    files = [
        {"initiative": "ebsa", "file": "Zephyr Academy.csv", "sha256": digest, "error": None},
        {"initiative": "ebsa", "file": "Oakfield.xlsx", "sha256": "", "error": "bad"},
    ]
    (processed / "validation.json").write_text(json.dumps({"files": files}))
    pack = tmp_path / "reports" / TERM / ".staging-commissioner-1"
    pack.mkdir(parents=True)
    (pack / "a.html").write_text(
        "<p>From oakfield.XLSX and Zephyr Academy, "
        f"sha {digest}, read from {data.resolve()}/raw</p>"
        '<img src="data:image/png;base64,AAAA" alt="Return 1 and Return 2">'
    )
    (pack / "b.html").write_text("<p>Return 1 and Return 2 of ebsa, 12 children</p>")
    assert sorted(runner.pack_findings(pack, data, TERM)) == [
        "a.html: shows a return's SHA-256",
        "a.html: shows a server path",
        "a.html: shows the file name of ebsa Return 1",  # Oakfield.xlsx sorts first
        "a.html: shows the file name of ebsa Return 2",  # the stem "Zephyr Academy"
    ]


def test_an_audit_that_cannot_run_fails_closed(tmp_path, monkeypatch):
    import dspl_eval.audit

    def broken(*args, **kwargs):
        raise RuntimeError("the audit is being rewritten")

    monkeypatch.setattr(dspl_eval.audit, "audit_reports", broken)
    passed, findings = runner._audit(tmp_path, tmp_path, TERM, 5)
    assert not passed
    assert findings == [
        "the privacy audit could not run: RuntimeError: the audit is being rewritten"
    ]
