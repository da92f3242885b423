"""Red-team tests through the report API (dspl_eval.reporting): try to leak a small group.

Contexts are built with ``reporting.from_frame`` from small processed-style EBSA frames.
What a reader sees (the cells of the gated tables, the words of the sentences) is mapped
back to the sets of people behind it and handed to the independent intruder of
``tests/test_gate.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_gate import Seen, intruder

from dspl_eval import reporting as rp
from dspl_eval.errors import DisclosureError
from dspl_eval.gate import SMALL

C = "c"


def pupils(before, after, school=None, sex=None, source="return1.csv") -> pd.DataFrame:
    """One EBSA row per young person: attendance (%) before and after (None = missing)."""
    n = len(before)
    return pd.DataFrame(
        {
            "pupil_id": [f"u{i}" for i in range(n)],
            "school": school or ["Oakfield"] * n,
            "sex": sex or ["F"] * n,
            "year_group": [8] * n,
            "sen_status": ["SEN support"] * n,
            "attendance_before": pd.array(before, dtype="Float64"),
            "attendance_after": pd.array(after, dtype="Float64"),
            "source_file": [source] * n,
            "source_row": list(range(2, n + 2)),
        }
    )


def context(data: pd.DataFrame, audience: str = "commissioner", threshold: int = 5):
    return rp.from_frame("ebsa", data, audience, threshold)


def seen_in(table: rp.Shown, cells: pd.DataFrame, columns) -> list[Seen]:
    """What a reader sees in the count columns of a gated table, as sets and sizes; a c is
    read as 'fewer than t' when the table's note does not say some protect another."""
    protects_note = "protect another figure" in table.note
    out = []
    for column in columns:
        for label, members in cells[column].items():
            shown = table.frame.loc[label, column]
            if shown == C:
                out.append(Seen(members, None, "" if protects_note else SMALL))
            else:
                assert shown == len(members)
                out.append(Seen(members, int(shown)))
    return out


def rng_scores(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rnd = np.random.default_rng(seed)
    before = rnd.uniform(40, 80, n).round(1)
    return before.tolist(), (before + rnd.uniform(-5, 25, n)).round(1).tolist()


# -------------------- outcomes


def test_small_group_without_follow_up_is_words_not_a_number():
    before, after = rng_scores(12)
    after[:3] = [None] * 3  # 3 without a follow-up
    ctx = context(pupils(before, after))
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    sentence = rp.outcome_sentence(ctx, o)
    assert "of the 9 young people" in sentence
    assert "fewer than 5 young people have no follow-up" in sentence.lower()
    table = rp.outcome_table(ctx, [o])
    assert table.frame.loc["Attendance", "n"] == 9  # issued first, kept
    assert table.frame.loc["Attendance", "n without follow-up"] == C
    cells = pd.DataFrame(
        {"n": [o.both], "n without follow-up": [o.without_follow_up]}, index=["Attendance"]
    )
    assert intruder(seen_in(table, cells, ["n", "n without follow-up"]), 5) == []


def test_outcome_sentence_then_table_then_total_returns():
    """'Attendance of the 9 … fewer than 5 have no follow-up', then the returns total of
    12: the total is held (12 − 9 = 3)."""
    before, after = rng_scores(12, 1)
    after[:3] = [None] * 3
    ctx = context(pupils(before, after))
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    rp.outcome_sentence(ctx, o)
    total = ctx.issue(None)
    seen = [Seen(o.both, 9), Seen(o.without_follow_up, None, SMALL)]
    seen.append(Seen(ctx.members(), None if total.hidden else int(total.shown)))
    assert total.hidden
    assert "a suppressed number of" in ctx.count(ctx.members())
    assert intruder(seen, 5) == []


def test_statistics_of_too_few_are_hidden():
    before, after = rng_scores(4, 2)
    ctx = context(pupils(before, after))
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    assert "fewer than 5 young people have a before and an after" in rp.outcome_sentence(ctx, o)
    row = rp.outcome_table(ctx, [o]).frame.loc["Attendance"]
    for column in ("n", "Before (mean)", "After (mean)", "Change", "95% CI", "p"):
        assert row[column] == C, column
    assert row[rp.EFFECT_COLUMN] in (C, "x")


# -------------------- flags


def test_flag_sentence_and_table_hide_an_exact_mcnemar_p_that_pins_a_small_count():
    """16 of 20 persistently absent before and 13 after, with 3 better (small): the exact
    p-value would pin the discordant cells."""
    n = 20
    before_flag = pd.Series([True] * 16 + [False] * 4)
    after_flag = pd.Series([True] * 13 + [False] * 7)
    ctx = context(pupils(*rng_scores(n, 3)))
    change = rp.flag_change(ctx, before_flag, after_flag, "Persistent absence")
    assert len(change.better) == 3 and len(change.worse) == 0
    sentence = rp.flag_sentence(ctx, change, "persistently absent")
    assert "p =" not in sentence and "p <" not in sentence
    table = rp.flag_table(ctx, [change])
    assert table.frame.loc["Persistent absence", "McNemar p"] == C
    cells = pd.DataFrame(
        {"n": [change.n], "Before": [change.before], "After": [change.after]},
        index=["Persistent absence"],
    )
    assert intruder(seen_in(table, cells, ["n", "Before", "After"]), 5) == []


def test_a_share_then_its_complement():
    """'20 of 24 found it just right': the share is held, and so is 20 after 24."""
    ctx = context(pupils(*rng_scores(24, 4)))
    right = ctx.members(pd.Series([True] * 20 + [False] * 4))
    text = rp.share_text(ctx, rp.Share(right, ctx.members()))
    assert text == C
    n = ctx.gate.count(ctx.members())
    k = ctx.gate.count(right)
    assert n.hidden or k.hidden


# -------------------- reliable change and cost


def reliable(ctx, improved: int, same: int, worse: int):
    categories = ["improved"] * improved + ["no reliable change"] * same
    categories += ["deteriorated"] * worse
    return SimpleNamespace(table=pd.DataFrame({"category": categories}, index=ctx.data.index))


def with_cost(ctx, cost: float = 14_433.0):
    ctx.costs = pd.DataFrame(
        {"initiative": ["ebsa"], "cost_gbp": [cost], "sessions_delivered": [40.0]}
    )
    return ctx


@pytest.mark.parametrize("cost_first", [True, False])
def test_cost_per_reliable_improvement_then_the_reliable_change_table(cost_first):
    """£14,433 / £2,887 = 5 improved; with Total and No change that gives 1 deteriorated."""
    ctx = with_cost(context(pupils(*rng_scores(24, 5))))
    summary = reliable(ctx, 5, 18, 1)
    sets = rp.reliable_sets(ctx, summary)

    def money():
        return rp.value_for_money_table(ctx, ctx.members(), sets["Improved"], "an improvement")

    if cost_first:
        _, vfm = money()
        table = rp.reliable_table(ctx, summary)
    else:
        table = rp.reliable_table(ctx, summary)
        _, vfm = money()
    cells = pd.DataFrame({"Young people": list(sets.values())}, index=list(sets))
    seen = seen_in(table, cells, ["Young people"])
    per_outcome = vfm.frame.loc["Cost per young person with an improvement", "Value"]
    if per_outcome != C:
        assert per_outcome == "£2,887"
        seen.append(Seen(sets["Improved"], 5))
    per_person = vfm.frame.loc["Cost per young person supported", "Value"]
    if per_person != C:
        seen.append(Seen(ctx.members(), 24))
    assert intruder(seen, 5) == []
    assert table.frame.loc["Deteriorated", "Young people"] == C


def test_reliable_change_table_with_two_fours():
    ctx = context(pupils(*rng_scores(28, 6)))
    summary = reliable(ctx, 4, 20, 4)
    table = rp.reliable_table(ctx, summary)
    sets = rp.reliable_sets(ctx, summary)
    cells = pd.DataFrame({"Young people": list(sets.values())}, index=list(sets))
    assert intruder(seen_in(table, cells, ["Young people"]), 5, informed=True) == []


# -------------------- data quality


def test_data_quality_then_breakdown_by_school():
    """Return 1 (school A): 9 read, 6 kept, 3 quarantined; return 2 (school B): 13 read,
    12 kept, 1 quarantined. Then the outcome's breakdown by school: the by-school n must
    not floor a hidden rows-kept cell, and the sentence's quarantined total stays hidden."""
    a = pupils(*rng_scores(6, 7), school=["Ash"] * 6, source="r1.csv")
    b = pupils(*rng_scores(12, 8), school=["Birch"] * 12, source="r2.csv")
    data = pd.concat([a, b], ignore_index=True)
    ctx = context(data)
    ctx.validation = {
        "files": [
            {
                "file": "r1.csv",
                "initiative": "ebsa",
                "rows_quarantined": 3,
                "error": "",
                "sha256": "",
            },
            {
                "file": "r2.csv",
                "initiative": "ebsa",
                "rows_quarantined": 1,
                "error": "",
                "sha256": "",
            },
        ]
    }
    dq = rp.data_quality_table(ctx)
    rows = rp.file_rows(ctx)
    cells = pd.DataFrame(
        {
            "Rows read": [rows["r1.csv"]["read"], rows["r2.csv"]["read"]],
            "Rows kept": [rows["r1.csv"]["kept"], rows["r2.csv"]["kept"]],
            "Rows quarantined": [rows["r1.csv"]["quarantined"], rows["r2.csv"]["quarantined"]],
        },
        index=["Return 1", "Return 2"],
    )
    total = {k: rows["r1.csv"][k] | rows["r2.csv"][k] for k in ("read", "kept", "quarantined")}
    cells.loc["Total"] = [total["read"], total["kept"], total["quarantined"]]
    seen = seen_in(dq, cells, list(cells.columns))
    assert dq.frame.loc["Return 1", "Rows quarantined"] == C
    assert dq.frame.loc["Return 2", "Rows quarantined"] == C
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    by_school = rp.breakdown(ctx, o, "school")
    groups = rp.group_labels(ctx, ctx.data.loc[o.both_index, "school"], "school")
    bcells = pd.DataFrame(
        {"n": [ctx.members(groups.index[groups == g]) for g in by_school.frame.index[:-1]]},
        index=by_school.frame.index[:-1],
    )
    bcells.loc["Total"] = [o.both]
    seen += seen_in(by_school, bcells, ["n"])
    sentence = rp.coverage_sentence(ctx)
    quarantined = ctx.gate.count(total["quarantined"])
    if not quarantined.hidden:
        assert f"{len(total['quarantined'])} rows" in sentence
    assert intruder(seen, 5) == []


# -------------------- the API refuses


def test_gated_table_refuses_bare_numbers():
    ctx = context(pupils(*rng_scores(10, 9)))
    everyone = ctx.members()
    for bad in (10, 10.0, np.int64(10)):
        with pytest.raises(DisclosureError):
            rp.gated_table(ctx, pd.DataFrame({"n": [bad]}, index=["all"]), ["n"])
        with pytest.raises(DisclosureError):
            rp.gated_table(ctx, pd.DataFrame({"n": [everyone], "mean": [bad]}, index=["a"]), ["n"])
    with pytest.raises(DisclosureError):  # a set outside the count columns
        rp.gated_table(ctx, pd.DataFrame({"n": [everyone], "x": [everyone]}, index=["a"]), ["n"])
    with pytest.raises(DisclosureError):
        rp.text_table(pd.DataFrame({"Value": [3]}))
    with pytest.raises(DisclosureError):
        rp.show_table(ctx, pd.DataFrame({"n": [3]}), "plain")
    with pytest.raises(DisclosureError):
        rp.show_table(ctx, rp.Shown(pd.DataFrame({"n": [3]}), ("n",)), "hand-made Shown")
    for n in (3, 3.0, np.int64(3)):
        with pytest.raises(DisclosureError):
            ctx.count(n)
    with pytest.raises(DisclosureError):
        rp.protect(ctx, pd.DataFrame({"n": [3]}), ["n"])


# -------------------- editions and thresholds


def test_threshold_seven_through_the_api():
    before, after = rng_scores(20, 10)
    after[:6] = [None] * 6
    ctx = context(pupils(before, after), threshold=7)
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    sentence = rp.outcome_sentence(ctx, o)
    assert "fewer than 7 young people have no follow-up" in sentence.lower()
    table = rp.outcome_table(ctx, [o])
    assert table.frame.loc["Attendance", "n without follow-up"] == C
    assert "1 to 6" in table.note
    assert rp.share_text(ctx, rp.Share(o.both, ctx.members())) == C  # 14 of 20, 6 left
    six = context(pupils(*rng_scores(6, 11)), threshold=7)
    o6 = rp.paired_outcome(six, "attendance_before", "attendance_after", "Attendance", "%")
    assert rp.outcome_table(six, [o6]).frame.loc["Attendance", "Change"] == C


def test_analyst_edition_shows_everything():
    before, after = rng_scores(6, 12)
    after[:2] = [None] * 2
    ctx = context(pupils(before, after), audience="analyst")
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    assert "2 young people have no follow-up" in rp.outcome_sentence(ctx, o)
    row = rp.outcome_table(ctx, [o]).frame.loc["Attendance"]
    assert row["n"] == 4 and row["n without follow-up"] == 2
    assert row["Change"] != C
    assert ctx.count(ctx.members(pd.Series([True] + [False] * 5))) == "1 young person"


def test_no_over_hiding_for_thirty_in_three_schools():
    schools = ["Ash"] * 10 + ["Birch"] * 10 + ["Cedar"] * 10
    ctx = context(pupils(*rng_scores(30, 13), school=schools))
    o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
    table = rp.breakdown(ctx, o, "school")
    assert table.frame["n"].tolist() == [10, 10, 10, 30]
    assert C not in table.frame.to_numpy()
    assert rp.outcome_table(ctx, [o]).frame.loc["Attendance", "n"] == 30


def test_same_calls_same_output():
    def run():
        before, after = rng_scores(15, 14)
        after[:3] = [None] * 3
        ctx = context(pupils(before, after, school=["Ash"] * 8 + ["Birch"] * 7))
        o = rp.paired_outcome(ctx, "attendance_before", "attendance_after", "Attendance", "%")
        return (
            rp.outcome_sentence(ctx, o),
            rp.outcome_table(ctx, [o]).frame.to_dict(),
            rp.breakdown(ctx, o, "school").frame.to_dict(),
        )

    first = run()
    assert run() == first
