"""The academic year (issue 15): the year dataset, the year gate against the term packs,
and the year pack end to end."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dspl_eval import year as years
from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.gate import Gate
from dspl_eval.ingest import processed_schema
from dspl_eval.initiatives import get

TERMS = years.terms_of("2023-24")


def _ebsa(rows: list[dict], file: str) -> pd.DataFrame:
    """Processed EBSA rows in the term schema (only the columns given are filled)."""
    schema = processed_schema(get("ebsa"))
    frame = pd.DataFrame(rows)
    frame["source_file"] = file
    frame["source_row"] = range(5, 5 + len(frame))
    out = pd.concat([schema, frame], ignore_index=True)[schema.columns]
    return out.astype(schema.dtypes.to_dict())


def _att(before=None, after=None):
    """Attendance with its sessions (percent = attended / possible)."""
    row = {}
    if before is not None:
        row |= {
            "possible_sessions_before": 100,
            "attended_sessions_before": before,
            "attendance_before": float(before),
        }
    if after is not None:
        row |= {
            "possible_sessions_after": 50,
            "attended_sessions_after": after // 2,
            "attendance_after": float(after),
        }
    return row


def test_year_names():
    assert years.terms_of("2023-24") == ("2023-24-autumn", "2023-24-spring", "2023-24-summer")
    assert years.year_of("2023-24-spring") == "2023-24"
    assert years.is_year("2023-24") and not years.is_year("2023-25")
    with pytest.raises(ConfigError):
        years.check_year("2023-24-summer")


def test_year_frame_follows_each_child_from_earliest_baseline_to_latest_follow_up():
    autumn = _ebsa(
        [
            {"pupil_id": "a" * 20, "school": "Ashcombe", "sex": "female", **_att(40)},
            {"pupil_id": "b" * 20, "school": "Ashcombe", **_att(50, 60)},
        ],
        "autumn.xlsx",
    )
    spring = _ebsa(
        [
            {"pupil_id": "a" * 20, "school": "Ashcombe", "sex": "male", **_att(None, 80)},
            {"pupil_id": "b" * 20, "school": "Ashcombe", **_att(70, 90)},
            {"pupil_id": "d" * 20, "school": "Thornbury", **_att(None, 64)},
        ],
        "spring.xlsx",
    )
    summer = _ebsa(
        [
            {"pupil_id": "c" * 20, "school": "Thornbury", **_att(None, 70)},
            {"pupil_id": "d" * 20, "school": "Thornbury", **_att(30)},
        ],
        "summer.csv",
    )
    out = years.year_frame(get("ebsa"), dict(zip(TERMS, [autumn, spring, summer], strict=True)))
    out = out.set_index("pupil_id")
    assert len(out) == 4  # each child once
    a = out.loc["a" * 20]
    assert a["attendance_before"] == 40 and a["attended_sessions_before"] == 40  # autumn
    assert a["attendance_after"] == 80 and a["attended_sessions_after"] == 40  # spring
    assert a["sex"] == "male"  # other columns from the latest term
    assert a["source_file"] == "2023-24-spring:spring.xlsx"
    assert (a["first_term"], a["last_term"], a["terms_seen"]) == (TERMS[0], TERMS[1], 2)
    b = out.loc["b" * 20]
    assert (b["attendance_before"], b["attendance_after"]) == (50, 90)  # first to last
    c = out.loc["c" * 20]
    assert pd.isna(c["attendance_before"]) and c["attendance_after"] == 70
    d = out.loc["d" * 20]  # its only follow-up is older than its baseline: none
    assert d["attendance_before"] == 30 and pd.isna(d["attendance_after"])
    assert pd.isna(d["possible_sessions_after"])
    assert list(out["gate_id"]) == list(out.index)
    # the term schema is kept, with the year's columns after it
    schema = processed_schema(get("ebsa"))
    assert list(out.reset_index().columns[: len(schema.columns)]) == list(schema.columns)
    assert (out.reset_index()[schema.columns].dtypes == schema.dtypes).all()


def test_elsa_follow_up_only_from_the_same_informant():
    ini = get("elsa")
    schema = processed_schema(ini)

    def rows(values, file):
        frame = pd.DataFrame(values)
        frame["source_file"], frame["source_row"] = file, range(5, 5 + len(frame))
        return pd.concat([schema, frame], ignore_index=True)[schema.columns].astype(
            schema.dtypes.to_dict()
        )

    kid = "e" * 20
    autumn = rows([{"pupil_id": kid, "sdq_informant": "teacher", "sdq_emotional_pre": 6}], "a")
    spring = rows([{"pupil_id": kid, "sdq_informant": "teacher", "sdq_emotional_post": 4}], "b")
    summer = rows([{"pupil_id": kid, "sdq_informant": "parent", "sdq_emotional_post": 1}], "c")
    out = years.year_frame(ini, dict(zip(TERMS, [autumn, spring, summer], strict=True)))
    row = out.iloc[0]
    assert (row["sdq_emotional_pre"], row["sdq_emotional_post"]) == (6, 4)
    assert row["sdq_informant"] == "teacher"


@pytest.fixture(scope="module")
def frozen_year(tmp_path_factory) -> Path:
    """The year built from the demo's processed terms (ingested from synthetic returns;
    ``DSPL_EVAL_YEAR_TEST_DATA`` may name a data root with processed terms to use instead)."""
    from dspl_eval.ingest import ingest_term
    from dspl_eval.synth import write_demo

    data = tmp_path_factory.mktemp("year") / "data"
    given = os.environ.get("DSPL_EVAL_YEAR_TEST_DATA")
    if given:
        shutil.copytree(Path(given) / "processed", data / "processed")
    else:
        write_demo(data, seed=3)
        for term in TERMS:
            ingest_term(data, term)
    years.build(data, "2023-24")
    return data


def _with_both(data: Path, key: str) -> set[str]:
    """Independently of dspl_eval.year: people with a value before in some term and one
    after in the same or a later term, for the initiative's headline pair."""
    ini = get(key)
    before, after = HEADLINE[key]
    first_before: dict[str, int] = {}
    last_after: dict[str, int] = {}
    for i, term in enumerate(TERMS):
        frame = pd.read_parquet(data / "processed" / term / f"{key}.parquet")
        for pid, b, a in zip(frame[ini.id_column], frame[before], frame[after], strict=True):
            if not pd.isna(b):
                first_before.setdefault(pid, i)
            if not pd.isna(a):
                last_after[pid] = i
    return {p for p, i in first_before.items() if last_after.get(p, -1) >= i}


HEADLINE = {
    "ebsa": ("attendance_before", "attendance_after"),
    "nurture": ("boxall_developmental_pre", "boxall_developmental_post"),
    "elsa": ("sdq_conduct_pre", "sdq_conduct_post"),
    "nqt": ("understanding_pre", "understanding_post"),
}


@pytest.mark.parametrize("key", sorted(HEADLINE))
def test_year_data_has_each_person_once_with_both_measures(frozen_year, key):
    frame = pd.read_parquet(frozen_year / "processed" / "2023-24" / f"{key}.parquet")
    ini = get(key)
    assert frame[ini.id_column].is_unique
    everyone = set()
    for term in TERMS:
        everyone |= set(
            pd.read_parquet(frozen_year / "processed" / term / f"{key}.parquet")[ini.id_column]
        )
    assert set(frame[ini.id_column]) == everyone
    before, after = HEADLINE[key]
    both = set(frame.loc[frame[before].notna() & frame[after].notna(), ini.id_column])
    if key != "elsa":  # ELSA pairs also need the same informant: fewer can qualify
        assert both == _with_both(frozen_year, key)
    else:
        assert both <= _with_both(frozen_year, key)


def test_year_validation_adds_up(frozen_year):
    document = json.loads((frozen_year / "processed" / "2023-24" / "validation.json").read_text())
    assert document["kind"] == "year" and document["terms"] == list(TERMS)
    for key in document["totals"]:
        files = [f for f in document["files"] if f["initiative"] == key]
        read = kept = quarantined = 0
        for term in TERMS:
            term_doc = json.loads(
                (frozen_year / "processed" / term / "validation.json").read_text()
            )
            term_files = [f for f in term_doc["files"] if f["initiative"] == key]
            read += sum(f["rows_read"] for f in term_files)
            kept += sum(f["rows_kept"] for f in term_files)
            quarantined += sum(f["rows_quarantined"] for f in term_files)
        total = document["totals"][key]
        people = len(pd.read_parquet(frozen_year / "processed" / "2023-24" / f"{key}.parquet"))
        assert total["term_rows_read"] == read == kept + quarantined
        assert total["people"] == people == total["rows_kept"]
        assert kept == people + total["rows_merged"]
        assert all(f["rows_read"] == f["rows_kept"] + f["rows_quarantined"] for f in files)
        assert sum(f["rows_kept"] for f in files) == people
        quarantine = pd.read_csv(frozen_year / "processed" / "2023-24" / f"{key}_quarantine.csv")
        assert quarantine["file"].str.split(":", n=1).str[0].isin(TERMS).all()


def test_year_costs_add_up_the_terms(frozen_year):
    costs = pd.read_parquet(frozen_year / "processed" / "2023-24" / "costs.parquet")
    for key in set(costs["initiative"]):
        total = 0.0
        for t in TERMS:
            term_costs = pd.read_parquet(frozen_year / "processed" / t / "costs.parquet")
            total += term_costs.loc[term_costs["initiative"] == key, "cost_gbp"].sum()
        assert costs.loc[costs["initiative"] == key, "cost_gbp"].sum() == pytest.approx(total)


def test_build_without_terms_says_so(tmp_path):
    with pytest.raises(DsplEvalError, match="no term of 2023-24"):
        years.build(tmp_path, "2023-24")


def test_sets_round_trip(tmp_path):
    sets = [frozenset({"a", "b"}), frozenset({"c"})]
    path = years.write_sets(tmp_path / "x.json", sets)
    assert sorted(years.read_sets(path), key=sorted) == sorted(sets, key=sorted)
    (tmp_path / "bad.json").write_text('{"sets": 1}')
    with pytest.raises(DsplEvalError):
        years.read_sets(tmp_path / "bad.json")


# ----------------------------------------------------------------------------- the gate


def test_term_ledger_translates_to_year_ids(frozen_year):
    term = TERMS[1]
    frame = pd.read_parquet(frozen_year / "processed" / term / "nurture.parquet")
    mapping = years.term_id_map(frozen_year, term, "nurture")
    row = f"{frame['source_file'].iloc[0]}#{frame['source_row'].iloc[0]}"
    [translated] = years.translate([frozenset({row, "x.xlsx#9"})], mapping, term)
    assert translated == {frame["pupil_id"].iloc[0], f"{term}:x.xlsx#9"}


@pytest.mark.parametrize("extra", [1, 2, 4])
def test_year_gate_refuses_a_figure_that_differs_from_a_term_figure_by_a_small_group(
    frozen_year, tmp_path, extra
):
    """A term pack published the size of a set of children (its ledger). The year's gate,
    told those sets, refuses a year figure that adds 1 to threshold-1 children to it;
    a gate not told them would have shown it; 5 more children may be shown."""
    term = TERMS[2]
    frame = pd.read_parquet(frozen_year / "processed" / term / "nurture.parquet")
    term_ids = frame["source_file"] + "#" + frame["source_row"].astype(str)
    published = frozenset(term_ids.iloc[:20])
    ledger = years.write_sets(tmp_path / "nurture.ledger.json", [published])
    known = years.translate(
        years.read_sets(ledger), years.term_id_map(frozen_year, term, "nurture"), term
    )
    year = pd.read_parquet(frozen_year / "processed" / "2023-24" / "nurture.parquet")
    in_term = set(next(iter(known)))
    others = [p for p in year["gate_id"] if p not in in_term]
    figure = frozenset(in_term | set(others[:extra]))
    told = Gate(5)
    years.tell_gate(told, known)
    assert told.count(figure).hidden
    assert not Gate(5).count(figure).hidden  # alone it is safe: 20 + extra children
    wider = Gate(5)
    years.tell_gate(wider, known)
    assert wider.count(frozenset(in_term | set(others[:5]))).shown != "c"


@pytest.mark.parametrize("extra", [1, 3])
def test_a_term_gate_starts_from_the_other_terms_packs(frozen_year, tmp_path, extra):
    """Autumn's pack published the size of a group of children; spring's returns hold the
    same children (in spring's own rows) and a few more. A spring figure of those children
    plus 1 to 4 others would let the few be worked out by subtracting the two packs:
    spring's gate, started from autumn's ledger in spring's ids, refuses it (a gate not
    told would show it)."""
    autumn, spring = TERMS[0], TERMS[1]
    a = pd.read_parquet(frozen_year / "processed" / autumn / "nurture.parquet")
    s = pd.read_parquet(frozen_year / "processed" / spring / "nurture.parquet")
    both = sorted(set(a["pupil_id"]) & set(s["pupil_id"]))
    assert len(both) >= 10 and len(set(s["pupil_id"]) - set(both)) >= extra
    a_rows = a.set_index("pupil_id")
    published = frozenset(
        f"{a_rows.loc[p, 'source_file']}#{a_rows.loc[p, 'source_row']}" for p in both[:10]
    )
    reports = tmp_path / "reports"
    years.write_sets(years.ledger_path(reports, autumn, "commissioner", "nurture"), [published])

    known = years.term_known_sets(frozen_year, reports, spring, "nurture")
    s_ids = s["source_file"] + "#" + s["source_row"].astype(str)
    row_of = dict(zip(s["pupil_id"], s_ids, strict=True))
    assert known.sets == [frozenset(row_of[p] for p in both[:10])]  # in spring's own ids
    newcomers = [row_of[p] for p in sorted(set(s["pupil_id"]) - set(both))][:extra]
    figure = frozenset(row_of[p] for p in both[:10]) | set(newcomers)
    told = Gate(5)
    years.tell_gate(told, known.sets)
    assert told.count(figure).hidden
    assert not Gate(5).count(figure).hidden
    assert years.term_known_sets(frozen_year, reports, autumn, "nurture").sets == []


@pytest.mark.parametrize("change", ["processed data gone", "ingested again since"])
def test_an_unmatchable_term_ledger_is_missing_not_silently_weaker(frozen_year, tmp_path, change):
    """Autumn's ledger names autumn rows (``file#row``); it can be put in year ids only
    while autumn's processed data is the data the pack was built from. With the data gone
    (every id would become an unmatched token, so spring's gate would be told nothing
    that overlaps its own children) or ingested again after the pack (rows may have
    moved), autumn is reported as missing, and a spring run says so (a problem: the pack
    is not ready), instead of checking against nothing."""
    from dspl_eval import runner

    autumn, spring = TERMS[0], TERMS[1]
    data = tmp_path / "data"
    for term in (autumn, spring):
        shutil.copytree(frozen_year / "processed" / term, data / "processed" / term)
    a = pd.read_parquet(data / "processed" / autumn / "nurture.parquet")
    rows = a["source_file"] + "#" + a["source_row"].astype(str)
    reports = tmp_path / "reports"
    ledger = years.ledger_path(reports, autumn, "commissioner", "nurture")
    years.write_sets(ledger, [frozenset(rows.iloc[:10])])
    assert years.term_known_sets(data, reports, spring, "nurture").missing == []
    with pytest.MonkeyPatch.context() as patch:  # every autumn row quarantined: no kept
        patch.setattr(years, "term_id_map", lambda d, t, k: {} if t == autumn else {"x": "y"})
        assert years.known_sets(data, reports, [autumn], "nurture").missing == []

    if change == "processed data gone":
        shutil.rmtree(data / "processed" / autumn)
    else:
        done = data / "processed" / autumn / "validation.json"
        later = ledger.stat().st_mtime + 10
        os.utime(done, (later, later))
    known = years.term_known_sets(data, reports, spring, "nurture")
    assert known.missing == [autumn] and known.sets == []

    work = tmp_path / "work"
    job = runner.Job(
        "nurture", Path("nurture.ipynb"), work / "nurture.ipynb", work / "nurture.html",
        {"known_sets_path": str(work / "nurture.known.json")},
    )  # fmt: skip
    (problem,) = runner._refresh_known_sets(data, reports, spring, [job])
    assert problem.kind == "no-ledger" and autumn in problem.line and autumn in problem.public
    assert years.read_sets(work / "nurture.known.json") == []
