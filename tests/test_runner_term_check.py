"""The term checked as a whole (``dspl_eval.term_check``) and the index's data-quality
table (``dspl_eval.index.quality_table``): every problem one line, no file name on a page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dspl_eval import cli
from dspl_eval.index import quality_table
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.runner import JobResult
from dspl_eval.term_check import check_ingested, check_layout, return_labels

TERM = "2023-24-autumn"


def _term(tmp_path: Path, layout: dict[str, str | None]) -> Path:
    """``raw/<TERM>/`` with ``layout``: relative path → file text (None: an empty folder)."""
    raw = tmp_path / "raw" / TERM
    raw.mkdir(parents=True)
    for relative, text in layout.items():
        path = raw / relative
        if text is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return tmp_path


def _kinds(problems) -> list[tuple[str, str | None]]:
    return [(p.kind, p.initiative) for p in problems]


def test_a_clean_term_has_no_problems(tmp_path):
    data = _term(tmp_path, {"ebsa/a.csv": "x", "costs.csv": "x", "ebsa/.~lock.a.csv#": "x"})
    assert check_layout(data, TERM, ["ebsa"]) == []


def test_no_term_folder_is_fatal(tmp_path):
    (problem,) = check_layout(tmp_path, TERM)
    assert problem.kind == "no-term-folder" and problem.fatal
    assert f"raw/{TERM}: no such folder" in problem.line
    assert str(tmp_path) not in problem.public


def test_an_empty_term_is_fatal_and_names_every_missing_initiative(tmp_path):
    problems = check_layout(_term(tmp_path, {"elsa": None}), TERM)
    expected = [("empty-folder", "elsa")] + [
        ("missing-folder", key) for key in INITIATIVES if key != "elsa"
    ]
    assert sorted(_kinds(problems)[:-1]) == sorted(expected)
    assert _kinds(problems)[-1] == ("no-returns", None)
    assert problems[-1].fatal and not any(p.fatal for p in problems[:-1])


@pytest.mark.parametrize("name", ["EBSA", " ebsa ", "E bsa", "Ebsa"])
def test_a_folder_named_like_an_initiative_is_reported_once(tmp_path, name):
    data = _term(tmp_path, {f"{name}/Oak Primary.xlsx": "x", "elsa/b.csv": "x"})
    problems = check_layout(data, TERM, ["ebsa", "elsa"])
    assert _kinds(problems) == [("misnamed-folder", "ebsa")]  # not also "missing ebsa"
    (problem,) = problems
    assert problem.line == (
        f"raw/{TERM}/{name!r}: looks like the ebsa returns, but the folder must be named "
        "exactly 'ebsa': its 1 file was not read; rename the folder (or move the files) and "
        "run again"
    )
    assert "Oak" not in problem.public


def test_loose_files_and_unknown_folders(tmp_path):
    data = _term(
        tmp_path,
        {
            "ebsa/a.csv": "x",
            "Oak Primary EBSA.xlsx": "x",
            "Costs.CSV": "x",
            "misc/old.xlsx": "x",
            "empty-unknown": None,
            "README.md": "notes",
        },
    )
    problems = check_layout(data, TERM, ["ebsa"])
    assert _kinds(problems) == [
        ("unknown-folder", None),
        ("loose-file", None),
        ("loose-file", None),
    ]
    lines = [p.line for p in problems]
    assert "rename it to costs.csv" in lines[1]
    assert f"raw/{TERM}/Oak Primary EBSA.xlsx: a file outside any initiative folder" in lines[2]
    for problem in problems:
        assert "Oak" not in problem.public and "misc" not in problem.public


def test_files_that_could_not_be_read_are_named_by_return_number_on_pages(tmp_path):
    processed = tmp_path / "processed" / TERM
    processed.mkdir(parents=True)
    files = [
        {"initiative": "ebsa", "file": "Zephyr Academy.csv", "error": None},
        {"initiative": "ebsa", "file": "Oakfield.xlsx", "error": "Oakfield.xlsx: not a workbook"},
        {"initiative": "elsa", "file": "Birch.csv", "error": "Birch.csv: empty"},
    ]
    document = {"files": files, "costs": {"rows": 0, "error": "costs.csv, row 3: bad cost"}}
    (processed / "validation.json").write_text(json.dumps(document))
    problems = check_ingested(tmp_path, TERM, ["ebsa"])  # elsa was not requested
    assert _kinds(problems) == [("not-read", "ebsa"), ("costs", None)]
    assert problems[0].line == (
        f"raw/{TERM}/ebsa/Oakfield.xlsx: NOT READ — Oakfield.xlsx: not a workbook"
    )
    assert problems[0].public.startswith("EBSA support pilot: Return 1 could not be read")
    assert "Oakfield" not in problems[0].public and "costs.csv" not in problems[1].public
    assert return_labels(files, "ebsa") == {
        "Oakfield.xlsx": "Return 1",
        "Zephyr Academy.csv": "Return 2",
    }


def test_cli_ingest_reports_the_term_as_a_whole(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DSPL_EVAL_KEY", "a test key that is long enough, not secret")
    data = _term(tmp_path, {"EBSA/x.csv": "UPN,School\n", "loose.csv": "x"})
    assert cli.main(["ingest", "--term", TERM, "--data", str(data)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert sum("'EBSA': looks like the ebsa returns" in line for line in out) == 1
    assert sum(f"raw/{TERM}/loose.csv: a file outside" in line for line in out) == 1
    assert sum("no returns for" in line for line in out) == 1
    assert out[-1].startswith("written to ")


def _validation(tmp_path: Path, rows: list[tuple[str, int, int, int, str | None]]) -> Path:
    processed = tmp_path / "processed" / TERM
    processed.mkdir(parents=True)
    files = [
        {
            "initiative": "ebsa",
            "file": name,
            "rows_read": read,
            "rows_kept": kept,
            "rows_quarantined": quarantined,
            "error": error,
        }
        for name, read, kept, quarantined, error in rows
    ]
    (processed / "validation.json").write_text(json.dumps({"files": files}))
    return processed


ROWS = [
    ("Zephyr Academy.csv", 20, 18, 2, None),
    ("Oakfield.xlsx", 30, 30, 0, None),
    ("broken.xlsx", 0, 0, 0, "cannot open"),
]


def test_quality_table_takes_the_reports_published_numbers_as_returns(tmp_path):
    processed = _validation(tmp_path, ROWS)
    published = {
        "name": "data quality",
        "title": "Rows",
        "columns": ["File", "Rows read", "Rows kept", "Rows quarantined", "Note"],
        "rows": [
            ["Zephyr Academy.csv", 20, 18, "c", "a note naming Zephyr Academy.csv"],
            ["Oakfield.xlsx", 30, 30, 0, ""],
            ["broken.xlsx", 0, 0, 0, "cannot open"],
            ["Total", 50, 48, "c", ""],
        ],
        "counts": ["Rows read", "Rows kept", "Rows quarantined"],
    }
    result = JobResult("ebsa", True, 1.0, summary={"tables": [published]})
    table = quality_table(processed, result, "commissioner", 5)
    assert table["columns"] == [
        "Return",
        "Rows read",
        "Rows kept",
        "Rows quarantined",
        "Status",
    ]
    assert table["rows"] == [
        ["Return 1", 30, 30, 0, "read"],  # Oakfield.xlsx
        ["Return 2", 20, 18, "c", "read"],  # Zephyr Academy.csv
        ["Return 3", 0, 0, 0, "not read"],  # broken.xlsx
        ["Total", 50, 48, "c", ""],
    ]
    assert "Zephyr" not in json.dumps(table) and "Oakfield" not in json.dumps(table)


def test_quality_table_of_a_failed_report(tmp_path):
    processed = _validation(tmp_path, ROWS)
    failed = JobResult("ebsa", False, 1.0, error="boom")
    commissioner = quality_table(processed, failed, "commissioner", 5)
    assert commissioner["rows"] == [
        ["Return 1", "read"],
        ["Return 2", "read"],
        ["Return 3", "not read"],
    ]  # no number the report's gate did not issue
    analyst = quality_table(processed, failed, "analyst", 5)
    assert analyst["rows"][-1] == ["Total", 50, 48, 2, ""]
    assert quality_table(processed, JobResult("elsa", False, 1.0), "analyst") is None
