"""The returns tracker (issue 15.4): who sent each return, who is missing, rows set aside."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dspl_eval import tracker
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES as ALL
from dspl_eval.settings import Settings

TERM = "2023-24-summer"


def _keys(data: Path) -> list[str]:
    """The initiatives with returns this term."""
    return [k for k in ALL if (data / "processed" / TERM / f"{k}.parquet").is_file()]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """One ingested demo term (``DSPL_EVAL_YEAR_TEST_DATA`` may name a data root with raw
    and processed terms to use instead)."""
    from dspl_eval.ingest import ingest_term
    from dspl_eval.synth import write_demo

    root = tmp_path_factory.mktemp("tracker") / "data"
    given = os.environ.get("DSPL_EVAL_YEAR_TEST_DATA")
    if given:
        shutil.copytree(given, root)
    else:
        write_demo(root, seed=5)
        ingest_term(root, TERM)
    return root


def _raw_files(data: Path, key: str) -> list[str]:
    folder = data / "raw" / TERM / key
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _schools_in(data: Path, key: str) -> list[str]:
    frame = pd.read_parquet(data / "processed" / TERM / f"{key}.parquet")
    return sorted(set(frame["school"]))


def test_counts_equal_the_files_received(data):
    statuses = tracker.term_status(data, TERM, Settings())
    for key in _keys(data):
        status = statuses[key]
        received = _raw_files(data, key)
        assert status.files == len(received)
        assert sorted(set(status.rows["file"])) == received
        frame = tracker.table({key: status})
        quarantine = pd.read_csv(data / "processed" / TERM / f"{key}_quarantine.csv")
        assert frame["Rows set aside"].sum() == quarantine.groupby("file")["row"].nunique().sum()
        kept = pd.read_parquet(data / "processed" / TERM / f"{key}.parquet")
        assert frame["Rows kept"].sum() == len(kept)


def test_expected_schools_matched_through_their_spellings(data):
    key = "elsa"
    schools = _schools_in(data, key)
    present, spelt = schools[0], schools[1]
    settings = Settings(
        schools={
            present: (),
            "The Canonical Name": (spelt.upper() + "  ",),  # another spelling of a school
            "Nowhere Primary": (),
        },
        expected={key: (present, "The Canonical Name", "Nowhere Primary")},
    )
    status = tracker.term_status(data, TERM, settings)[key]
    assert status.returned == [present, "The Canonical Name"]
    assert status.missing == ["Nowhere Primary"]
    assert status.headline().endswith(
        f"2 of 3 schools returned; {len(schools) - 2} not on the list"
    )
    # a school not on the list is shown for the analyst to check, never dropped
    frame = tracker.table({key: status})
    others = frame[frame["Status"] == "not on the list: check"]
    assert sorted(others["School"]) == sorted(schools[2:])
    assert frame.loc[frame["School"] == "Nowhere Primary", "Status"].item() == "missing"


def test_page_is_analyst_only(data, tmp_path):
    with pytest.raises(ConfigError):
        tracker.write_page(tmp_path / "t.html", data, [TERM], "commissioner", 5, TERM)
    page = tracker.write_page(tmp_path / "t.html", data, [TERM], "analyst", 5, TERM)
    text = page.read_text("utf-8")
    assert '<meta name="dspl-eval-edition" content="analyst">' in text
    assert "Returns by school" in text


def test_the_front_page_says_once_per_term_that_no_schools_are_listed(data, tmp_path):
    """With no ``[expected]`` list, each initiative's line counts the returns received and
    the term says once, not on every line, why missing ones cannot be named; with a list
    for one initiative, the note names the others."""
    from dspl_eval import frontpage

    page = frontpage._returns(data, TERM)
    assert page.count(tracker.NO_LIST) == 0  # not on the lines (the note is capitalised)
    assert page.count("No list of expected schools in the settings file") == 1
    assert "for every initiative" in page
    lines = [s.headline() for s in tracker.term_status(data, TERM).values() if s.files]
    assert lines and all(line.endswith(tracker.NO_LIST) for line in lines)  # analyst pack
    for status in tracker.term_status(data, TERM).values():
        if status.files:
            assert f"<li>{status.headline(why=False)}</li>" in page

    key = "elsa"
    toml = data / "dspl-eval.toml"
    saved = toml.read_text("utf-8") if toml.is_file() else None
    school = _schools_in(data, key)[0]
    toml.write_text(f'[schools]\n"{school}" = []\n[expected]\n{key} = ["{school}"]\n', "utf-8")
    try:
        page = frontpage._returns(data, TERM)
    finally:
        if saved is None:
            toml.unlink()
        else:
            toml.write_text(saved, "utf-8")
    assert f"{ALL[key].title}: 1 of 1 schools returned" in page
    note = page.split("</ul>", 1)[1]
    assert ALL[key].title not in note and ALL["ebsa"].title in note
