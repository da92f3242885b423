"""Early-career teacher report parts (dspl_eval.outcomes.nqt) on small hand-made frames.

Reference values are worked by hand in the comments, or are the project's own statistics
(dspl_eval.stats, dspl_eval.measures) called on the same numbers, which tests/test_stats.py
and tests/test_measures.py check against R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dspl_eval import disclosure, measures, stats
from dspl_eval.errors import ConfigError
from dspl_eval.outcomes import nqt
from dspl_eval.reporting import Context, fmt_p, from_frame

ITEMS = nqt.ITEMS
C = disclosure.SUPPRESSED


def context(data: pd.DataFrame, audience: str = "analyst", threshold: int = 5) -> Context:
    return from_frame("nqt", data, audience, threshold)


def teachers(pre, post, **columns) -> pd.DataFrame:
    """One row per teacher; every confidence item takes the teacher's pre/post value
    (None for a missing answer). Other columns default to sensible values."""
    n = len(pre)
    frame = pd.DataFrame(
        {
            "participant_id": [f"p{i}" for i in range(n)],
            "school": ["Oakfield Primary"] * n,
            "role": ["ECT1"] * n,
            "sessions_attended": [6] * n,
            "understanding_pre": [40.0] * n,
            "understanding_post": [70.0 if v is not None else None for v in post],
            "satisfaction": ["just right"] * n,
            "practical_info_satisfied": [True] * n,
        }
    )
    for item in ITEMS:
        frame[f"{item}_pre"] = pd.array(pre, dtype="Int64")
        frame[f"{item}_post"] = pd.array(post, dtype="Int64")
    for name, values in columns.items():
        frame[name] = values
    frame["sessions_attended"] = frame["sessions_attended"].astype("Int64")
    frame["practical_info_satisfied"] = frame["practical_info_satisfied"].astype("boolean")
    frame["understanding_post"] = frame["understanding_post"].astype(float)
    return frame


PRE = [2, 2, 3, 3, 4, 1, 2, 3, 5, 2]
POST = [4, 3, 4, 3, 5, 3, 4, 4, 5, None]


# ----------------------------------------------------------------------------- scale


def test_scale_score_is_the_mean_of_the_six_items():
    data = teachers(PRE, POST)
    data.loc[0, "conf_autism_pre"] = 1  # teacher 0 before: five 2s and a 1 → 11/6
    ctx = nqt.with_scale_scores(context(data))
    assert nqt.SCALE_PRE not in data  # the input is not changed
    assert ctx.data.loc[0, nqt.SCALE_PRE] == pytest.approx(11 / 6)
    assert ctx.data[nqt.SCALE_PRE].iloc[1:].tolist() == PRE[1:]
    assert np.isnan(ctx.data.loc[9, nqt.SCALE_POST])
    outcome = nqt.scale_outcome(ctx)
    reference = stats.paired_change(ctx.data[nqt.SCALE_PRE], ctx.data[nqt.SCALE_POST])
    assert outcome.n == reference.n == 9
    assert outcome.n_without_follow_up == 1
    assert outcome.result.mean_diff == pytest.approx(reference.mean_diff)
    # by hand: post − pre for teachers 0-8 = 13/6, 1, 1, 0, 1, 2, 2, 1, 0 → mean 121/54
    assert outcome.result.mean_diff == pytest.approx((13 / 6 + 8) / 9)


def test_scale_score_min_items():
    data = teachers(PRE, POST)
    data.loc[1, "conf_autism_pre"] = pd.NA
    assert np.isnan(nqt.with_scale_scores(context(data)).data.loc[1, nqt.SCALE_PRE])
    assert nqt.with_scale_scores(context(data), 5).data.loc[1, nqt.SCALE_PRE] == 2.0


def test_scale_sentence_counts_and_suppression():
    ctx = nqt.with_scale_scores(context(teachers(PRE, POST)))
    text = nqt.scale_sentence(ctx, nqt.scale_outcome(ctx))
    assert "for the 9 teachers with both questionnaires" in text
    assert "1 teacher has no after questionnaire yet" in text
    hidden = nqt.with_scale_scores(context(teachers(PRE, POST), "commissioner"))
    text = nqt.scale_sentence(hidden, nqt.scale_outcome(hidden))
    assert "Fewer than 5 teachers have no after questionnaire yet" in text
    few = nqt.with_scale_scores(context(teachers(PRE[:3], POST[:3]), "commissioner"))
    assert "no figures are shown" in nqt.scale_sentence(few, nqt.scale_outcome(few))


def test_cronbach_alpha_before_and_after():
    rng = np.random.default_rng(3)
    data = teachers(PRE, POST)
    for item in ITEMS:  # items that differ from one another
        data[f"{item}_pre"] = pd.array(rng.integers(1, 6, len(PRE)), dtype="Int64")
    alphas = nqt.reliability(context(data))
    expected = measures.cronbach_alpha(data[[f"{i}_pre" for i in ITEMS]])
    assert alphas["Before"].alpha == pytest.approx(expected.alpha)
    # identical items after: α = k/(k−1) · (1 − k·var / (k²·var)) = 1
    assert alphas["After"].alpha == pytest.approx(1.0)
    assert alphas["After"].n == 9 and alphas["After"].n_dropped == 1
    table = nqt.reliability_table(context(data), alphas).frame
    assert table.loc["After", "Reading"] == "very high"
    assert "α = 1.00, very high" in nqt.reliability_sentence(context(data), alphas)
    assert nqt.alpha_words(0.72).startswith("acceptable")
    assert nqt.alpha_words(0.5).startswith("low")


# ----------------------------------------------------------------------------- items


def test_holm_across_items_equals_stats_holm():
    rng = np.random.default_rng(7)
    n = 15
    data = teachers([3] * n, [3] * n)
    for shift, item in enumerate(ITEMS):
        pre = rng.integers(1, 4, n)
        post = np.clip(pre + rng.integers(-1, 2 + shift % 3, n), 1, 5)
        data[f"{item}_pre"] = pd.array(pre, dtype="Int64")
        data[f"{item}_post"] = pd.array(post, dtype="Int64")
    table = nqt.item_change(context(data))
    raw = [
        stats.paired_change(data[f"{i}_pre"].astype(float), data[f"{i}_post"].astype(float))
        for i in ITEMS
    ]
    p = np.array([r.wilcoxon_pvalue for r in raw])
    assert table["wilcoxon_pvalue"].to_numpy() == pytest.approx(p)
    assert table["wilcoxon_pvalue_holm"].to_numpy() == pytest.approx(stats.holm(p))
    shown = nqt.item_table(context(data), table).frame
    assert shown["Wilcoxon p (Holm)"].tolist() == [
        fmt_p(v) for v in stats.holm(p)
    ]  # the table shows the adjusted values


def test_items_sentence_counts_significant_topics():
    data = teachers([1, 2, 2, 1, 2, 1, 2, 2, 1, 2, 1, 2], [4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4])
    ctx = context(data)
    assert "rose on all 6 topics" in nqt.items_sentence(ctx, nqt.item_change(ctx))
    flat = context(teachers([3] * 6, [3] * 6))
    assert "did not change on any" in nqt.items_sentence(flat, nqt.item_change(flat))


# ----------------------------------------------------------------------------- agreement


def test_agreement_and_mcnemar_by_hand():
    ctx = context(teachers(PRE, POST))
    changes = nqt.agreement_changes(ctx)
    first = changes[0]
    # pairs: teachers 0-8. Agree (4-5) before: teachers 4, 8 → 2.
    # After: 0, 2, 4, 6, 7, 8 → 6. Yes→no: none (b = 0); no→yes: 0, 2, 6, 7 (c = 4).
    assert (first.n, first.before, first.after) == (9, 2, 6)
    assert (first.result.b, first.result.c) == (0, 4)
    assert first.result.pvalue == pytest.approx(2 * 0.5**4)  # exact binomial, two-sided
    table = nqt.agreement_table(ctx, changes).frame
    row = table.loc[nqt.ITEM_LABELS[ITEMS[0]]]
    assert (row["n"], row["Agreeing before"], row["Agreeing after"]) == (9, 2, 6)
    assert row["% agreeing after (95% CI)"].startswith("67% (")
    holm = stats.holm(np.array([c.result.pvalue for c in changes]))
    assert table["McNemar p (Holm)"].tolist() == [fmt_p(v) for v in holm]


def test_agree_threshold():
    data = teachers(PRE, POST)
    ctx = context(data)
    expected = measures.likert_agrees(data, [f"{i}_pre" for i in ITEMS])
    assert nqt.agrees(ctx, "pre", 4).to_numpy().tolist() == expected.to_numpy().tolist()
    strict = nqt.agreement_changes(ctx, 5)[0]
    assert (strict.before, strict.after) == (1, 2)  # 5s: teacher 8 before; 4 and 8 after
    assert pd.isna(nqt.agrees(ctx, "post", 3).iloc[9, 0])  # a missing answer stays missing
    with pytest.raises(ConfigError, match="agree_threshold"):
        nqt.agrees(ctx, "pre", 6)


def test_agreement_suppressed_for_commissioners():
    ctx = context(teachers(PRE, POST), "commissioner")
    changes = nqt.agreement_changes(ctx)
    table = nqt.agreement_table(ctx, changes).frame
    row = table.loc[nqt.ITEM_LABELS[ITEMS[0]]]
    assert row["Agreeing before"] == C and row["% agreeing before (95% CI)"] == C
    assert "cannot be shown by topic" in nqt.agreement_sentence(ctx, changes)


# ----------------------------------------------------------------------------- reactions


SATISFACTION = ["just right"] * 6 + ["too little", "too little", "too much", None]


def test_satisfaction_counts_suppressed():
    data = teachers(PRE, POST, satisfaction=SATISFACTION)
    analyst = nqt.satisfaction_table(context(data)).frame
    assert analyst["Teachers"].tolist() == [2, 6, 1, 9]  # too little, just right, too much
    assert analyst["%"].tolist() == ["22%", "67%", "11%", "100%"]
    shown = nqt.satisfaction_table(context(data, "commissioner"))
    frame = shown.frame
    assert frame["Teachers"].tolist() == [C, 6, C, 9]
    assert frame["%"].tolist() == [C, "67%", C, "100%"]
    assert shown.counts == ("Teachers",)
    assert "c = suppressed" in shown.note
    text = nqt.satisfaction_sentence(context(data, "commissioner"))
    assert text.startswith("6 of the 9 teachers who answered (67%)")
    assert "fewer than 5 teachers in the returns do not have an answer" in text


def test_satisfaction_sentence_withheld_when_just_right_is_small():
    data = teachers(PRE, POST, satisfaction=["just right"] * 3 + ["too much"] * 7)
    text = nqt.satisfaction_sentence(context(data, "commissioner"))
    assert "cannot be shown" in text and "3" not in text


def test_practical_info_share_with_wilson_interval():
    values = [True] * 7 + [False] * 2 + [None]
    data = teachers(PRE, POST, practical_info_satisfied=values)
    share = nqt.practical_info(context(data))
    assert (share.k, share.n, share.n_missing) == (7, 9, 1)
    assert (share.lower_ci, share.upper_ci) == pytest.approx(stats.proportion_ci(7, 9))
    frame = nqt.practical_info_table(context(data), share).frame
    low, high = stats.proportion_ci(7, 9)
    assert frame.loc["Yes", "% (95% CI)"] == f"78% ({100 * low:.0f}% to {100 * high:.0f}%)"
    hidden = nqt.practical_info_table(context(data, "commissioner"), share).frame
    assert hidden.loc["Yes", "Teachers"] == C and hidden.loc["Yes", "% (95% CI)"] == C
    assert "cannot be shown" in nqt.practical_info_sentence(context(data, "commissioner"), share)


def test_sessions_distribution():
    sessions = [6, 6, 5, 5, 4, 3, 6, 2, 6, 5]
    data = teachers(PRE, POST, sessions_attended=sessions)
    counts = nqt.sessions_counts(context(data))
    assert counts.tolist() == [0, 0, 1, 1, 1, 3, 4]  # 0 of 6 … 6 of 6
    frame = nqt.sessions_table(context(data, "commissioner")).frame
    assert frame.loc["Total", "Teachers"] == 10
    assert frame.loc["2 of 6", "Teachers"] == C and frame.loc["0 of 6", "Teachers"] == 0
    text = nqt.sessions_sentence(context(data))
    assert "4 of 10 (40%) attended all 6 sessions" in text
    assert "2 of 10 (20%) attended half or fewer" in text
    with pytest.raises(ConfigError, match="sessions_offered"):
        nqt.sessions_counts(context(data), 5)


# ----------------------------------------------------------------------------- breakdowns


def test_breakdown_merges_small_roles_for_commissioners():
    roles = ["ECT1"] * 6 + ["NQT"] * 4 + ["ECT2"] * 2
    pre = [2] * 12
    post = [3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5]
    data = teachers(pre, post, role=roles)
    analyst = nqt.breakdown_table(nqt.with_scale_scores(context(data)), "role").frame
    assert analyst.index.tolist() == ["ECT1", "ECT2", "NQT", "Total"]
    assert analyst["n"].tolist() == [6, 2, 4, 12]
    assert analyst[f"{nqt.SCALE_LABEL}: mean change"].tolist() == ["+1.0", "+3.0", "+2.0", "+1.7"]
    ctx = nqt.with_scale_scores(context(data, "commissioner"))
    shown = nqt.breakdown_table(ctx, "role").frame
    assert shown.index.tolist() == ["ECT1", nqt.OTHER_GROUPS, "Total"]
    assert shown["n"].tolist() == [6, 6, 12]  # NQT 4 + ECT2 2 merged
    assert shown[f"{nqt.SCALE_LABEL}: mean change"].tolist() == ["+1.0", "+2.3", "+1.7"]
    # every school too small (3 teachers each): nothing safe to show
    schools = teachers(pre, post, school=[f"S{i % 4}" for i in range(12)])
    assert (
        nqt.breakdown_table(nqt.with_scale_scores(context(schools, "commissioner")), "school")
        is None
    )


# ----------------------------------------------------------------------------- Guskey, smoke


def test_guskey_levels_and_scope():
    text = nqt.guskey_markdown()
    for name in (
        "Participants' reactions",
        "Participants' learning",
        "Organisation support and change",
        "Participants' use of new knowledge and skills",
        "Pupil learning outcomes",
    ):
        assert name in text
    assert text.count("Not in this report") == 3
    assert "first two of Guskey's five levels" in nqt.guskey_sentence()


@pytest.mark.parametrize(("audience", "rows"), [("commissioner", 3), ("analyst", 10)])
def test_sections_run_on_small_groups(audience, rows, capsys):
    data = teachers(
        PRE[:rows],
        POST[:rows],
        satisfaction=SATISFACTION[:rows],
        sessions_attended=[6, 6, 5, 5, 4, 3, 6, 2, 6, 5][:rows],
    )
    ctx = nqt.with_scale_scores(context(data, audience))
    items = nqt.item_change(ctx)
    agreement = nqt.agreement_changes(ctx)
    share = nqt.practical_info(ctx)
    nqt.show_reliability(ctx, nqt.reliability(ctx))
    nqt.show_items(ctx, items)
    nqt.show_agreement(ctx, agreement)
    nqt.show_reactions(ctx, share)
    nqt.show_sessions(ctx)
    nqt.show_breakdowns(ctx)
    nqt.show_guskey()
    nqt.value_for_money(ctx)
    tables = nqt.summary_tables(
        ctx, [nqt.scale_outcome(ctx), nqt.understanding_outcome(ctx)], items, agreement, share
    )
    assert {"outcomes", "confidence items", "agreement", "amount of content"} <= set(tables)
    if audience == "commissioner" and rows == 3:
        frame = tables["confidence items"][1].frame
        assert (frame["n"] == C).all() and (frame["Change"] == C).all()
    capsys.readouterr()
