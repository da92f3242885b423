"""Early-career teacher report parts (dspl_eval.outcomes.nqt) on small hand-made frames.

Statistics are checked against values worked by hand (Walsh averages, the signed-rank
distribution, McNemar's binomial, Holm's step-down), with the R call that gives the same
value pasted beside it. Leak tests run every section of the report for the commissioner
edition on teachers with groups of 1 to 4 in them and read everything that would be
rendered (sentences, table frames, chart data and alt text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dspl_eval import disclosure, measures, plots, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.outcomes import nqt
from dspl_eval.reporting import Context, fmt_p, from_frame

ITEMS = nqt.ITEMS
C = disclosure.SUPPRESSED
NOTEBOOK = Path(__file__).resolve().parents[1] / "dspl_eval" / "notebooks" / "nqt.ipynb"


def context(data: pd.DataFrame, audience: str = "analyst", threshold: int = 5) -> Context:
    return nqt.prepare(from_frame("nqt", data, audience, threshold))


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


def set_item(frame: pd.DataFrame, item: str, diffs: list[int]) -> None:
    """Give ``item`` the changes ``diffs``: a rise starts at 1, a fall at 5 (so 1-5 holds)."""
    pre = [1 if d >= 0 else 5 for d in diffs]
    frame[f"{item}_pre"] = pd.array(pre, dtype="Int64")
    frame[f"{item}_post"] = pd.array([p + d for p, d in zip(pre, diffs, strict=True)], "Int64")


PRE = [2, 2, 3, 3, 4, 1, 2, 3, 5, 2]
POST = [4, 3, 4, 3, 5, 3, 4, 4, 5, None]


# ----------------------------------------------------------------------------- scale


def test_scale_score_is_the_mean_of_the_six_items_and_ordinal():
    data = teachers(PRE, POST)
    data.loc[0, "conf_autism_pre"] = 1  # teacher 0 before: five 2s and a 1 → 11/6
    ctx = context(data)
    assert nqt.SCALE_PRE not in data  # the input is not changed
    assert ctx.data.loc[0, nqt.SCALE_PRE] == pytest.approx(11 / 6)
    assert ctx.data[nqt.SCALE_PRE].iloc[1:].tolist() == PRE[1:]
    assert np.isnan(ctx.data.loc[9, nqt.SCALE_POST])
    outcome = nqt.scale_outcome(ctx)
    assert outcome.scale == "ordinal" and outcome.primary_test == "Wilcoxon"
    assert outcome.n == 9 and outcome.n_without_follow_up == 1
    # by hand: post − pre for teachers 0-8 = 13/6, 1, 1, 0, 1, 2, 2, 1, 0 → mean 121/54
    assert outcome.result.mean_diff == pytest.approx((13 / 6 + 8) / 9)
    assert outcome.primary_pvalue == outcome.signed_rank.pvalue
    assert nqt.understanding_outcome(ctx).scale == "ordinal"


def test_scale_score_min_items_and_role_labels():
    data = teachers(PRE, POST, role=["other"] + ["ECT1"] * 9)
    data.loc[1, "conf_autism_pre"] = pd.NA
    assert np.isnan(context(data).data.loc[1, nqt.SCALE_PRE])
    prepared = nqt.prepare(from_frame("nqt", data), 5)
    assert prepared.data.loc[1, nqt.SCALE_PRE] == 2.0
    assert prepared.data.loc[0, "role"] == "Other role"
    assert data.loc[0, "role"] == "other"


def test_scale_sentence_counts_and_suppression():
    ctx = context(teachers(PRE, POST))
    text = nqt.scale_sentence(ctx, nqt.scale_outcome(ctx))
    assert "for the 9 teachers with answers before and after" in text
    assert "median change (Hodges–Lehmann)" in text and "Wilcoxon signed-rank" in text
    assert "effect size g_av" in text
    assert "1 teacher has no after answers yet" in text
    hidden = context(teachers(PRE, POST), "commissioner")
    text = nqt.scale_sentence(hidden, nqt.scale_outcome(hidden))
    assert "for the 9 teachers" in text
    assert "Fewer than 5 teachers have no after answers yet" in text
    few = context(teachers(PRE[:3], POST[:3]), "commissioner")
    text = nqt.scale_sentence(few, nqt.scale_outcome(few))
    assert "no figures are shown" in text and "3" not in text


# ----------------------------------------------------------------------------- Hodges–Lehmann


def test_hodges_lehmann_of_a_likert_item_by_hand_from_walsh_averages():
    # Four teachers' changes on one 1-5 item: −1, +2, +3, +4 (no ties, no zeros: R's exact
    # case). Walsh averages (d_i + d_j)/2, i ≤ j, sorted:
    #   −1, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3.5, 4   → median (2 + 2.5) / 2 = 2.25
    # V = ranks of the rises = 2 + 3 + 4 = 9; P(V ≥ 9) = #{ {2,3,4}, {1,2,3,4} } / 2^4 = 2/16
    # → two-sided p = 0.25. qsignrank(0.025, 4) = 0, so R uses the extreme Walsh averages
    # (−1, 4) and warns that the 95% level is not achievable (achieved 1 − 2/16 = 0.875).
    # The same in R:
    #   wilcox.test(c(2, 3, 4, 5), c(5, 1, 1, 1), paired = TRUE, conf.int = TRUE)
    #   V = 9, p-value = 0.25; (pseudo)median 2.25; interval −1 to 4
    data = teachers([3] * 4, [3] * 4)
    set_item(data, ITEMS[0], [-1, 2, 3, 4])
    ctx = context(data)
    first = nqt.item_outcomes(ctx)[0]
    s = first.signed_rank
    assert s.method == "exact"
    assert s.statistic == 9
    assert s.pvalue == pytest.approx(0.25)
    assert s.estimate == pytest.approx(2.25)
    assert s.confidence_interval() == pytest.approx((-1.0, 4.0))
    assert s.achieved_confidence_level() == pytest.approx(0.875)
    row = nqt.items_table(ctx, nqt.item_outcomes(ctx)).frame.iloc[0]
    assert row["Median change (Hodges–Lehmann, 95% CI)"].endswith("(−1.0 to +4.0)")


def test_hodges_lehmann_with_tied_likert_answers_by_hand():
    # Eight teachers: four rose one step, four rose two (ties: R's normal approximation).
    # Walsh averages: 10 pairs within the 1s (=1), 10 within the 2s (=2), 16 mixed (=1.5);
    # the 18th and 19th of the 36 are both 1.5 → Hodges–Lehmann 1.5. R's estimate (the
    # shift where the standardised signed-rank statistic crosses zero) is 1.5 too: at
    # mu = 1.5 every |d − mu| = 0.5, the ranks all 4.5, the positive sum 18 = n(n + 1)/4.
    #   wilcox.test(rep(c(2, 3), each = 4), rep(1, 8), paired = TRUE, conf.int = TRUE)
    data = teachers([3] * 8, [3] * 8)
    set_item(data, ITEMS[1], [1, 1, 1, 1, 2, 2, 2, 2])
    s = nqt.item_outcomes(context(data))[1].signed_rank
    assert s.method.startswith("normal approximation")
    assert s.estimate == pytest.approx(1.5, abs=1e-9)


def test_item_family_holm_by_hand_and_named_column():
    # Exact two-sided signed-rank p for n = 4 by hand (2^4 = 16 sign patterns):
    #   +1 +2 +3 +4: V = 10, p = 2·1/16 = 0.125      (R: wilcox.test(...)$p.value 0.125)
    #   −1 +2 +3 +4: V = 9,  p = 2·2/16 = 0.25
    #   −1 −2 +3 +4: V = 7,  p = 2·5/16 = 0.625
    #   +1 −2 −3 −4: V = 1,  p = 2·2/16 = 0.25
    diffs = [[1, 2, 3, 4], [-1, 2, 3, 4], [-1, -2, 3, 4], [1, 2, 3, 4], [-1, 2, 3, 4],
             [1, -2, -3, -4]]  # fmt: skip
    raw = [0.125, 0.25, 0.625, 0.125, 0.25, 0.25]
    data = teachers([3] * 4, [3] * 4)
    for item, d in zip(ITEMS, diffs, strict=True):
        set_item(data, item, d)
    ctx = context(data)
    outcomes = nqt.item_outcomes(ctx)
    assert [o.primary_pvalue for o in outcomes] == pytest.approx(raw)
    # Holm by hand: sorted .125 .125 .25 .25 .25 .625 × 6 5 4 3 2 1 = .75 .625 1 …, running
    # maximum capped at 1 → items 1 and 4: .75; the rest 1.
    #   p.adjust(c(.125, .25, .625, .125, .25, .25), "holm")
    column = "p (Wilcoxon, Holm over 6 confidence items)"
    frame = nqt.items_table(ctx, outcomes).frame
    assert frame[column].tolist() == [fmt_p(p) for p in (0.75, 1, 1, 0.75, 1, 1)]
    assert "Effect size g_av (95% CI; + = improvement)" in frame.columns
    assert "Simultaneous 95% CI (Bonferroni)" in frame.columns


def test_items_sentence_counts_significant_topics():
    data = teachers([1, 2, 2, 1, 2, 1, 2, 2, 1, 2, 1, 2], [4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4])
    ctx = context(data)
    text = nqt.items_sentence(ctx, nqt.item_outcomes(ctx))
    assert "rose on all 6 topics" in text and "Holm-adjusted over the 6 confidence items" in text
    flat = context(teachers([3] * 6, [3] * 6))
    assert "did not change on any" in nqt.items_sentence(flat, nqt.item_outcomes(flat))


def test_effect_size_is_oriented_positive_for_a_rise():
    ctx = context(teachers(PRE, POST))
    outcome = nqt.scale_outcome(ctx)
    assert outcome.effect.g > 0
    reference = stats.paired_effect_size(
        ctx.data[nqt.SCALE_PRE], ctx.data[nqt.SCALE_POST], higher_is_better=True
    )
    assert outcome.effect.g == pytest.approx(reference.g)


# ----------------------------------------------------------------------------- reliability


def test_cronbach_alpha_before_and_after_from_the_same_teachers():
    rng = np.random.default_rng(3)
    data = teachers(PRE, POST)
    for item in ITEMS:  # items that differ from one another
        data[f"{item}_pre"] = pd.array(rng.integers(1, 6, len(PRE)), dtype="Int64")
    alphas = nqt.reliability(context(data))
    both = data.index[:9]  # teacher 9 has no after answers
    expected = measures.cronbach_alpha(data.loc[both, [f"{i}_pre" for i in ITEMS]])
    assert alphas["Before"].alpha.alpha == pytest.approx(expected.alpha)
    assert alphas["Before"].alpha.n == alphas["After"].alpha.n == 9
    # identical items after: α = k/(k−1) · (1 − k·var / (k²·var)) = 1
    assert alphas["After"].alpha.alpha == pytest.approx(1.0)
    table = nqt.reliability_table(context(data), alphas).frame
    assert table.loc["After", "Reading"] == "very high"
    assert "α = 1.00, very high" in nqt.reliability_sentence(context(data), alphas)
    assert nqt.alpha_words(0.72).startswith("acceptable")
    assert nqt.alpha_words(0.5).startswith("low")


# ----------------------------------------------------------------------------- agreement


def test_agreement_and_mcnemar_by_hand():
    ctx = context(teachers(PRE, POST))
    changes = nqt.agreement_changes(ctx)
    first = changes[0]
    # pairs: teachers 0-8. Agree (4-5) before: teachers 4, 8 → 2.
    # After: 0, 2, 4, 6, 7, 8 → 6. Yes→no: none (b = 0); no→yes: 0, 2, 6, 7 (c = 4).
    assert (len(first.n), len(first.before), len(first.after)) == (9, 2, 6)
    assert (len(first.better), len(first.worse)) == (0, 4)
    # exact binomial, two-sided: 2 · 0.5^4 = 0.125   (R: binom.test(0, 4)$p.value)
    assert first.result.pvalue == pytest.approx(0.125)
    table = nqt.agreement_table(ctx, changes).frame
    row = table.loc[nqt.ITEM_LABELS[ITEMS[0]]]
    assert (row["n"], row["Agreeing before"], row["Agreeing after"]) == (9, 2, 6)
    assert row["% agreeing after (95% CI)"].startswith("67% (")
    # every item the same: six p = .125 → Holm: 6 × .125 = .75 for all
    #   p.adjust(rep(0.125, 6), "holm")
    assert table[nqt.agreement_p_column(changes)].tolist() == ["p = .750"] * 6


def test_holm_with_source_matches_stats_holm_and_names_the_setting_p():
    rng = np.random.default_rng(11)
    p = list(rng.uniform(0, 0.2, 6))
    adjusted, source = nqt.holm_with_source(p)
    assert adjusted == pytest.approx(list(stats.holm(np.array(p))))
    # by hand: p = (.01, .04, .02): sorted .01 .02 .04 × 3 2 1 = .03 .04 .04 → running max
    # .03, .04, .04; the third (.04 raw) is set by the second-smallest (.02 × 2 = .04 > .04?
    # no, equal: the first to reach the maximum keeps it).
    adjusted, source = nqt.holm_with_source([0.01, 0.04, 0.02, float("nan")])
    assert adjusted[:3] == pytest.approx([0.03, 0.04, 0.04]) and np.isnan(adjusted[3])
    assert source == [0, 2, 2, None]
    assert nqt.holm_with_source([0.6, 0.9])[1] == [None, None]  # capped at 1: pins nothing


def test_agree_threshold():
    data = teachers(PRE, POST)
    ctx = context(data)
    expected = measures.likert_agrees(data, [f"{i}_pre" for i in ITEMS])
    assert nqt.agrees(ctx, "pre", 4).to_numpy().tolist() == expected.to_numpy().tolist()
    strict = nqt.agreement_changes(ctx, 5)[0]
    assert (len(strict.before), len(strict.after)) == (1, 2)  # 5s: 8 before; 4, 8 after
    assert pd.isna(nqt.agrees(ctx, "post", 3).iloc[9, 0])  # a missing answer stays missing
    with pytest.raises(ConfigError, match="agree_threshold"):
        nqt.agrees(ctx, "pre", 6)


def test_agreement_suppressed_for_commissioners():
    ctx = context(teachers(PRE, POST), "commissioner")
    changes = nqt.agreement_changes(ctx)
    table = nqt.agreement_table(ctx, changes).frame
    row = table.loc[nqt.ITEM_LABELS[ITEMS[0]]]
    assert row["Agreeing before"] == C and row["% agreeing before (95% CI)"] == C
    assert row[nqt.agreement_p_column(changes)] == C  # the discordant 0 / 4 would show
    assert "cannot be shown by topic" in nqt.agreement_sentence(ctx, changes)


# ----------------------------------------------------------------------------- reactions


SATISFACTION = ["just right"] * 6 + ["too little", "too little", "too much", None]


def test_satisfaction_table_analyst_and_commissioner():
    data = teachers(PRE, POST, satisfaction=SATISFACTION)
    analyst = nqt.satisfaction_table(context(data)).frame
    assert analyst["Teachers"].tolist() == [2, 6, 1, 1, 10]
    low, high = stats.proportion_ci(6, 9)
    assert analyst.loc["Just right", nqt.SHARE_COLUMN] == (
        f"67% ({100 * low:.0f}% to {100 * high:.0f}%)"
    )
    shown = nqt.satisfaction_table(context(data, "commissioner"))
    frame = shown.frame
    assert frame.loc["Too little", "Teachers"] == C and frame.loc["Too much", "Teachers"] == C
    assert frame.loc["Just right", nqt.SHARE_COLUMN] == C  # 6 of 9 leaves 3
    assert shown.counts == ("Teachers",)
    assert "c = suppressed" in shown.note
    text = nqt.satisfaction_sentence(context(data))
    assert text.startswith("6 of the 9 teachers who answered (67%")
    assert "1 teacher in the returns does not have an answer" in text


def test_satisfaction_sentence_withheld_when_just_right_is_small():
    data = teachers(PRE, POST, satisfaction=["just right"] * 3 + ["too much"] * 7)
    text = nqt.satisfaction_sentence(context(data, "commissioner"))
    assert "cannot be shown" in text and not re.search(r"\d", text)


def test_practical_info_share_with_wilson_interval():
    values = [True] * 7 + [False] * 2 + [None]
    data = teachers(PRE, POST, practical_info_satisfied=values)
    frame = nqt.practical_info_table(context(data)).frame
    low, high = stats.proportion_ci(7, 9)
    assert frame.loc["Yes", nqt.SHARE_COLUMN] == f"78% ({100 * low:.0f}% to {100 * high:.0f}%)"
    assert frame["Teachers"].tolist() == [7, 2, 1, 10]
    hidden = nqt.practical_info_table(context(data, "commissioner")).frame
    assert hidden.loc["No", "Teachers"] == C and hidden.loc["Yes", nqt.SHARE_COLUMN] == C
    assert "cannot be shown" in nqt.practical_info_sentence(context(data, "commissioner"))


def test_sessions_distribution():
    sessions = [6, 6, 5, 5, 4, 3, 6, 2, 6, 5]
    data = teachers(PRE, POST, sessions_attended=sessions)
    frame = nqt.sessions_table(context(data)).frame
    assert frame["Teachers"].tolist() == [2, 1, 3, 4, 0, 10]  # ≤3, 4, 5, 6, not recorded
    text = nqt.sessions_sentence(context(data))
    assert "4 of 10 teachers (40%) attended all 6 sessions" in text
    assert "2 of 10 teachers (20%) attended half or fewer" in text
    with pytest.raises(ConfigError, match="sessions_offered"):
        nqt.sessions_sets(context(data), 5)


# ----------------------------------------------------------------------------- leaks


class Rendered:
    """Everything the report sections would put in front of a reader."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.tables: list[rp.Shown] = []
        self.charts: list[plots.Chart] = []

    def all_text(self) -> str:
        parts = list(self.text)
        for t in self.tables:
            parts.append(t.frame.to_csv())
            parts.append(t.note)
        for c in self.charts:
            parts.append(c.alt)
            parts.append(c.data.to_csv())
        return "\n".join(parts)


@pytest.fixture
def rendered(monkeypatch) -> Rendered:
    out = Rendered()
    monkeypatch.setattr(rp, "show_markdown", lambda text: out.text.append(text))
    monkeypatch.setattr(rp, "show_table", lambda ctx, table, caption: out.tables.append(table))
    monkeypatch.setattr(plots, "display", lambda chart: out.charts.append(chart))
    return out


def leaky_teachers() -> pd.DataFrame:
    """25 teachers: 24 with answers before and after and 1 without; amount of content 20
    just right, 3 too little, 1 too much, 1 not answered (20 of 24 leaves 4); practical
    information 21 yes, 3 no, 1 not answered; a role of 2 and schools of 1 to 4."""
    rng = np.random.default_rng(5)
    n = 25
    pre = rng.integers(1, 4, n).tolist()
    post = [min(5, p + int(rng.integers(0, 3))) for p in pre]
    post[24] = None
    frame = teachers(
        pre,
        post,
        satisfaction=["just right"] * 20 + ["too little"] * 3 + ["too much"] + [None],
        practical_info_satisfied=[True] * 21 + [False] * 3 + [None],
        role=["ECT1"] * 12 + ["NQT"] * 11 + ["ECT2"] * 2,
        school=["Oakfield Primary"] * 15 + ["Hollybrook Primary"] * 6 + ["Wyvern Academy"] * 4,
        sessions_attended=[6] * 10 + [5] * 9 + [4] * 3 + [2] * 3,
    )
    frame["understanding_pre"] = rng.integers(20, 60, n).astype(float)
    frame.loc[:23, "understanding_post"] = frame.loc[:23, "understanding_pre"] + 25
    for item in ITEMS:  # items that differ a little from one another
        frame[f"{item}_post"] = pd.array(
            [None if v is None else min(5, v + int(rng.integers(0, 2))) for v in post], "Int64"
        )
    return frame


def run_report(ctx: Context) -> dict[str, tuple[str, rp.Shown]]:
    """The notebook's calls, in its order."""
    confidence, understanding = nqt.scale_outcome(ctx), nqt.understanding_outcome(ctx)
    items, agreement = nqt.item_outcomes(ctx), nqt.agreement_changes(ctx)
    headlines = [
        nqt.scale_sentence(ctx, confidence),
        nqt.items_sentence(ctx, items) + " " + nqt.agreement_sentence(ctx, agreement),
        nqt.understanding_sentence(ctx, understanding),
        nqt.reactions_sentence(ctx),
        rp.coverage_sentence(ctx),
    ]
    rp.show_headlines(headlines)
    rp.show_outcome(ctx, confidence)
    nqt.show_reliability(ctx, nqt.reliability(ctx))
    nqt.show_items(ctx, items)
    nqt.show_agreement(ctx, agreement)
    rp.show_outcome(ctx, understanding)
    nqt.show_reactions(ctx)
    nqt.show_sessions(ctx)
    rp.show_breakdowns(ctx, [confidence, understanding], by=("role", "school"))
    nqt.show_guskey()
    rp.show_methods(ctx, confidence, nqt.methods(6, 4))
    return nqt.summary_tables(ctx, [confidence, understanding], items, agreement)


PEOPLE = r"(?:teachers?|people)"


def numbers_next_to_people(text: str) -> list[int]:
    """Every whole number directly before a people word, and in "k of [the] n teachers"
    also the remainder n − k."""
    found = [int(m) for m in re.findall(rf"\b(\d+) {PEOPLE}\b", text)]
    for k, n in re.findall(rf"\b(\d+) of (?:the )?(\d+) {PEOPLE}\b", text):
        found += [int(k), int(n), int(n) - int(k)]
    return found


def count_cells(tables: list[rp.Shown], charts: list[plots.Chart]) -> list[object]:
    cells = [v for t in tables for c in t.counts for v in t.frame[c]]
    cells += [v for ch in charts for c in ch.counts for v in ch.data[c]]
    return cells


def test_commissioner_edition_shows_no_small_group_anywhere(rendered):
    ctx = context(leaky_teachers(), "commissioner")
    summary = run_report(ctx)
    text = rendered.all_text()
    assert not any(c.per_person for c in rendered.charts)
    for value in count_cells(rendered.tables + [t for _, t in summary.values()], []):
        assert value == C or value == 0 or value >= 5, value
    for ch in rendered.charts:
        for column in ch.counts:
            assert all(v == C or v == 0 or v >= 5 for v in ch.data[column]), ch.alt
    for value in numbers_next_to_people("\n".join(rendered.text)):
        assert value == 0 or value >= 5, value
    # the amount-of-content remainder: 20 just right of 24 answering leaves 4
    assert "20 of" not in text and "83%" not in text and "80%" not in text
    frame = nqt.satisfaction_table(ctx).frame
    shown = [v for v in frame["Teachers"] if v != C]
    assert 20 not in shown or not ({24, 25} & set(shown))
    # practical information: 21 yes of 24 leaves 3
    assert "21 of" not in text and "88%" not in text and "84%" not in text
    # the small role (2 ECT2) and the school of 4 are never shown on their own
    assert "ECT2" not in text and "Wyvern Academy" not in text
    # no share leaves a small remainder: every "k% (" share has k and n − k ≥ 5, so a
    # table whose share is shown must show a count ≥ 5 and a rest ≥ 5
    for table in rendered.tables:
        if nqt.SHARE_COLUMN not in table.frame:
            continue
        for label, row in table.frame.iterrows():
            if row[nqt.SHARE_COLUMN] not in (C, "z", "x"):
                assert row["Teachers"] != C and row["Teachers"] >= 5, label


def test_commissioner_edition_withholds_mcnemar_p_with_a_small_discordant_cell(rendered):
    ctx = context(leaky_teachers(), "commissioner")
    changes = nqt.agreement_changes(ctx)
    table = nqt.agreement_table(ctx, changes).frame
    column = nqt.agreement_p_column(changes)
    for c, p in zip(changes, table[column], strict=True):
        if 0 < len(c.better) < 5 or 0 < len(c.worse) < 5:
            assert p == C


def test_analyst_edition_shows_the_figures_the_commissioner_does_not(rendered):
    ctx = context(leaky_teachers(), "analyst")
    run_report(ctx)
    text = rendered.all_text()
    assert "20 of the 24 teachers who answered (83%" in text
    assert "ECT2" in text
    assert any(c.per_person for c in rendered.charts)


@pytest.mark.parametrize(("audience", "rows"), [("commissioner", 3), ("analyst", 10)])
def test_sections_run_on_small_groups(audience, rows, rendered):
    data = teachers(
        PRE[:rows],
        POST[:rows],
        satisfaction=SATISFACTION[:rows],
        sessions_attended=[6, 6, 5, 5, 4, 3, 6, 2, 6, 5][:rows],
    )
    ctx = context(data, audience)
    tables = run_report(ctx)
    assert {"outcomes", "confidence items", "agreement", "amount of content"} <= set(tables)
    if audience == "commissioner":
        frame = tables["confidence items"][1].frame
        assert (frame["n"] == C).all() and (frame["Change"] == C).all()
        for value in numbers_next_to_people("\n".join(rendered.text)):
            assert value == 0 or value >= 5, value
        assert not any(c.per_person for c in rendered.charts)


# ----------------------------------------------------------------------------- Guskey, notebook


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


def test_methods_wording():
    text = " ".join(nqt.methods(6, 4))
    assert "only the order" not in text
    assert "ranks the sizes" in text and "treated as ordinal" in text
    assert "no teacher is counted as reliably improved" in text


def test_notebook_is_a_narrative_on_the_gate_api():
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"]
    source = "\n".join("".join(c["source"]) for c in code)
    assert not re.search(r"^\s*(def|class|for|while) ", source, re.MULTILINE)
    assert "rp.protect" not in source and "breakdown_table" not in source
    assert "rp.show_breakdowns(" in source and "rp.finish(" in source
    assert all(not c.get("outputs") for c in code)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] != "code")
    assert "only the order" not in markdown
