"""Feedback for each school (issue 15.5): only its own problems, no UPN or name."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dspl_eval import feedback
from dspl_eval.initiatives import INITIATIVES as ALL
from dspl_eval.settings import Settings

TERM = "2023-24-summer"


def _keys(data: Path) -> list[str]:
    """The initiatives with returns this term."""
    return [k for k in ALL if (data / "processed" / TERM / f"{k}.parquet").is_file()]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from dspl_eval.ingest import ingest_term
    from dspl_eval.synth import write_demo

    root = tmp_path_factory.mktemp("feedback") / "data"
    given = os.environ.get("DSPL_EVAL_YEAR_TEST_DATA")
    if given:
        shutil.copytree(given, root)
    else:
        write_demo(root, seed=7)
        ingest_term(root, TERM)
    return root


def test_workbooks_together_hold_exactly_the_quarantined_rows(data, tmp_path):
    paths = feedback.write_term(tmp_path / "feedback", data, TERM, settings=Settings())
    assert paths and all(p.name == f"{TERM} feedback.xlsx" for p in paths)
    got = pd.concat([feedback.read_back(p) for p in paths], ignore_index=True)
    expected = pd.concat(
        [
            pd.read_csv(data / "processed" / TERM / f"{k}_quarantine.csv", dtype=str,
                        keep_default_na=False)
            for k in _keys(data)
        ],
        ignore_index=True,
    )  # fmt: skip
    key = ["File", "Sheet", "Row", "Problem"]
    got_rows = sorted(map(tuple, got[key].astype(str).to_numpy()))
    want_rows = sorted(map(tuple, expected[["file", "sheet", "row", "reason"]].to_numpy()))
    assert got_rows == want_rows
    assert got["What to write instead"].notna().all()


def test_each_workbook_is_one_schools_own_returns(data, tmp_path):
    paths = feedback.write_term(tmp_path / "feedback", data, TERM, settings=Settings())
    for path in paths:
        school = path.parent.name
        rows = feedback.read_back(path)
        for file in set(rows["File"]):
            key = next(k for k in _keys(data) if (data / "raw" / TERM / k / file).is_file())
            kept = pd.read_parquet(data / "processed" / TERM / f"{key}.parquet")
            schools = set(kept.loc[kept["source_file"] == file, "school"])
            if len(schools) == 1:
                assert feedback._safe(next(iter(schools))) == school
            else:
                assert school == feedback._safe(Path(file).stem)


def test_no_upn_or_pupil_id_in_any_workbook(data, tmp_path):
    paths = feedback.write_term(tmp_path / "feedback", data, TERM, settings=Settings())
    ids = set()
    for key in _keys(data):
        frame = pd.read_parquet(data / "processed" / TERM / f"{key}.parquet")
        ids |= set(frame[ALL[key].id_column])
    for path in paths:
        text = " ".join(str(v) for v in feedback.read_back(path).to_numpy().ravel())
        assert not re.search(r"\b[A-Z]\d{11}[A-Z0-9]\b", text)
        assert not any(i in text for i in ids)


@pytest.mark.parametrize(
    ("reason", "fix"),
    [
        ("out of range: expected from 0 to 10", "A number from 0 to 10."),
        ("expected a real date, day first (dd/mm/yyyy)", "A real date, day first"),
        ("second row for the same child: first in x.xlsx, row 13", "Keep one row per child"),
        ("a Total or summary row, not a child", "delete this row"),
    ],
)
def test_what_to_write(reason, fix):
    assert fix in feedback.what_to_write(reason)
