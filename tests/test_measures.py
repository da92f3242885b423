"""dspl_eval.measures against published scoring rules, cut-offs and examples.

Each expected value is taken from the source named beside it (scoring documents, band
tables, R output published in tutorials) or worked by hand from a published formula.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspl_eval import measures, stats
from dspl_eval.errors import ConfigError, MissingColumnsError, StatisticsError
from dspl_eval.initiatives.ebsa import PASS_FACTORS
from dspl_eval.initiatives.nurture import BOXALL_CLUSTERS, BOXALL_SECTIONS

#: The definition's Boxall measures and directions, passed to measures (issue 13).
BOXALL = {**BOXALL_SECTIONS, **BOXALL_CLUSTERS}

ALL_ITEMS = [item for items in measures.SDQ_ITEMS.values() for item in items]


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _items(rows: list[dict[str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame([{item: pd.NA for item in ALL_ITEMS} | row for row in rows])
    return frame.astype("Int64")


# =========================================================================== SDQ items


def test_sdq_prorating_official_example():
    # sdqinfo.org "Scoring the SDQ": if only 3 of the 5 emotional items are answered and
    # they sum to 4, the prorated score is 4 × 5 / 3 = 6.67, rounded to 7.
    scores = measures.score_sdq_items(_items([{"somatic": 2, "worries": 1, "unhappy": 1}]))
    assert scores.loc[0, "emotional"] == 7


def test_sdq_two_items_is_missing_and_four_items_round_half_up():
    # Official rule: a scale needs at least 3 of its 5 items. Four items summing to 2 give
    # 2 × 5 / 4 = 2.5, which rounds half up to 3 (SPSS RND in the official syntax).
    scores = measures.score_sdq_items(
        _items(
            [
                {"somatic": 2, "worries": 2},
                {"somatic": 1, "worries": 1, "unhappy": 0, "clingy": 0},
            ]
        )
    )
    assert pd.isna(scores.loc[0, "emotional"])
    assert scores.loc[1, "emotional"] == 3


def test_sdq_reverse_scored_items_and_total():
    # sdqinfo.org: obeys, reflect, attends, friend and popular are scored 2 − answer.
    # Every item answered "certainly true" (2): emotional 10, conduct 4 × 2 + 0 = 8,
    # hyperactivity 3 × 2 + 0 + 0 = 6, peer 3 × 2 + 0 + 0 = 6, prosocial 10;
    # total difficulties = 10 + 8 + 6 + 6 = 30 (prosocial excluded).
    scores = measures.score_sdq_items(_items([dict.fromkeys(ALL_ITEMS, 2)]))
    row = scores.loc[0]
    assert (row["emotional"], row["conduct"], row["hyperactivity"]) == (10, 8, 6)
    assert (row["peer"], row["prosocial"], row["total_difficulties"]) == (6, 10, 30)


def test_sdq_total_missing_when_a_difficulty_scale_is_missing():
    row = dict.fromkeys(ALL_ITEMS, 1)
    for item in ("loner", "friend", "bullied"):  # peer: only 2 of 5 left
        row.pop(item)
    scores = measures.score_sdq_items(_items([row]))
    assert pd.isna(scores.loc[0, "peer"])
    assert pd.isna(scores.loc[0, "total_difficulties"])
    assert scores.loc[0, "prosocial"] == 5


def test_sdq_items_input_checks():
    bad = _items([dict.fromkeys(ALL_ITEMS, 1)])
    bad.loc[0, "kind"] = 3
    with pytest.raises(StatisticsError, match="kind"):
        measures.score_sdq_items(bad)
    with pytest.raises(MissingColumnsError, match="somatic"):
        measures.score_sdq_items(pd.DataFrame({"worries": [1]}))


def test_sdq_items_do_not_change_input():
    items = _items([dict.fromkeys(ALL_ITEMS, 2)])
    before = items.copy()
    measures.score_sdq_items(items)
    pd.testing.assert_frame_equal(items, before)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2), min_size=3, max_size=5))
def test_sdq_prorating_is_round_half_up_of_mean_times_five(answers):
    # The official definition, with exact fractions: floor(sum × 5 / count + 1/2).
    from fractions import Fraction

    row = dict(zip(measures.SDQ_ITEMS["emotional"], answers, strict=False))
    got = measures.score_sdq_items(_items([row])).loc[0, "emotional"]
    assert got == math.floor(Fraction(sum(answers) * 5, len(answers)) + Fraction(1, 2))


# =========================================================================== SDQ totals


def _elsa(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_sdq_scores_accepts_scale_totals():
    data = _elsa(
        sdq_emotional_pre=[5, 2],
        sdq_conduct_pre=[4, None],
        sdq_hyperactivity_pre=[8, 3],
        sdq_peer_pre=[3, 1],
        sdq_prosocial_pre=[6, 9],
        sdq_impact_pre=[4, 0],
    )
    scores = measures.sdq_scores(data, "pre")
    assert scores.loc[0, "total_difficulties"] == 20
    assert pd.isna(scores.loc[1, "total_difficulties"])
    assert scores.loc[0, "impact"] == 4
    with pytest.raises(StatisticsError, match="out of range"):
        measures.sdq_scores(data.assign(sdq_peer_pre=[11, 1]), "pre")


# Teacher four bands: sdqinfo.org scoring instructions, as reprinted in PMC4830858 Table 1:
# total 0-11 / 12-15 / 16-18 / 19-40; emotional 0-3 / 4 / 5 / 6-10; conduct 0-2 / 3 / 4 /
# 5-10; hyperactivity 0-5 / 6-7 / 8 / 9-10; peer 0-2 / 3-4 / 5 / 6-10; prosocial 6-10 / 5 /
# 4 / 0-3.
TEACHER_TABLE = {
    "total_difficulties": [(0, 0), (11, 0), (12, 1), (15, 1), (16, 2), (18, 2), (19, 3), (40, 3)],
    "emotional": [(3, 0), (4, 1), (5, 2), (6, 3), (10, 3)],
    "conduct": [(2, 0), (3, 1), (4, 2), (5, 3)],
    "hyperactivity": [(5, 0), (6, 1), (7, 1), (8, 2), (9, 3)],
    "peer": [(2, 0), (3, 1), (4, 1), (5, 2), (6, 3)],
    "prosocial": [(10, 0), (6, 0), (5, 1), (4, 2), (3, 3), (0, 3)],
}

# Parent three bands (UK norms, sdqinfo.org, as reprinted in BMC Psychiatry 2021 21:176
# Table 2 and Shanghai Arch Psychiatry 2013 25:364 Table 6): total 0-13 / 14-16 / 17-40;
# emotional 0-3 / 4 / 5-10; conduct 0-2 / 3 / 4-10; hyperactivity 0-5 / 6 / 7-10;
# peer 0-2 / 3 / 4-10; prosocial 8-10 / 7 / 0-6.
PARENT_TABLE = {
    "total_difficulties": [(13, 0), (14, 1), (16, 1), (17, 2)],
    "emotional": [(3, 0), (4, 1), (5, 2)],
    "conduct": [(2, 0), (3, 1), (4, 2)],
    "hyperactivity": [(5, 0), (6, 1), (7, 2)],
    "peer": [(2, 0), (3, 1), (4, 2)],
    "prosocial": [(8, 0), (7, 1), (6, 2)],
}


@pytest.mark.parametrize(
    ("bands", "table"),
    [(measures.TEACHER_BANDS, TEACHER_TABLE), (measures.PARENT_BANDS, PARENT_TABLE)],
)
def test_sdq_bands_at_every_published_boundary(bands, table):
    for scale, cases in table.items():
        scores = pd.Series([score for score, _ in cases] + [None])
        got = measures.sdq_band(scores, scale, bands)
        labels = bands.lowered_labels if scale == "prosocial" else bands.labels
        assert got.iloc[:-1].tolist() == [labels[i] for _, i in cases], scale
        assert pd.isna(got.iloc[-1])
        assert got.cat.ordered


def test_sdq_bands_are_configurable():
    custom = measures.SdqBands(
        name="parent, Goodman-style prosocial",
        labels=("normal", "borderline", "abnormal"),
        lowered_labels=("normal", "borderline", "abnormal"),
        cutoffs={"prosocial": (6, 5)},
    )
    got = measures.sdq_band(pd.Series([6, 5, 4]), "prosocial", custom)
    assert got.tolist() == ["normal", "borderline", "abnormal"]
    with pytest.raises(ConfigError, match="no cut-offs"):
        measures.sdq_band(pd.Series([1]), "peer", custom)
    with pytest.raises(ConfigError, match="cut-offs"):
        measures.SdqBands("bad", ("a", "b"), ("a", "b"), {"peer": (1, 2)})


def test_sdq_impact_scoring():
    # sdqinfo.org: impact items "not at all"/"only a little" score 0, "quite a lot" 1,
    # "a great deal" 2; parent impact = sum of 5 items (0-10), teacher of 3 (0-6).
    parent = pd.DataFrame(
        {"distres": [3, 1, 2], "imphome": [3, 0, 2], "impfrie": [2, 3, None],
         "impclas": [3, 1, 0], "impleis": [2, 0, 0]}
    )  # fmt: skip
    got = measures.score_sdq_impact(parent, "parent", difficulties=pd.Series([True, True, False]))
    assert got.tolist()[:2] == [2 + 2 + 1 + 2 + 1, 2]
    assert got.iloc[2] == 0  # "no difficulties" → impact 0
    teacher = pd.DataFrame({"distres": [3], "imppeer": [3], "impclas": [3]})
    assert measures.score_sdq_impact(teacher, "teacher").iloc[0] == 6


def _av_data(informant: list[str]) -> pd.DataFrame:
    n = len(informant)
    return pd.DataFrame(
        {
            "sdq_informant": informant,
            "sdq_emotional_pre": [5] * n,
            "sdq_conduct_pre": [5] * n,
            "sdq_hyperactivity_pre": [6] * n,
            "sdq_peer_pre": [4] * n,
            "sdq_prosocial_pre": [5] * n,
            "sdq_impact_pre": [4] * n,
            "sdq_emotional_post": [3] * n,
            "sdq_conduct_post": [4] * n,
            "sdq_hyperactivity_post": [5] * n,
            "sdq_peer_post": [3] * n,
            "sdq_prosocial_post": [6] * n,
            "sdq_impact_post": [2] * n,
        }
    )


def test_sdq_added_value_from_ford_2009_equation():
    # Ford et al. (2009) Br J Psychiatry 194:552: predicted T2 total = 2.3 + 0.8·T1 total
    # + 0.2·T1 impact − 0.3·T1 emotional. T1 total 5 + 5 + 6 + 4 = 20, impact 4,
    # emotional 5: predicted 2.3 + 16 + 0.8 − 1.5 = 17.6; observed T2 total 15:
    # AV = 17.6 − 15 = 2.6; effect size AV / 5 = 0.52. The teacher row gets no score.
    result = measures.sdq_added_value(_av_data(["parent", "Parent", "teacher"]))
    assert result.values.iloc[:2].tolist() == pytest.approx([2.6, 2.6])
    assert math.isnan(result.values.iloc[2])
    assert (result.n, result.n_not_computed) == (2, 1)
    assert result.mean == pytest.approx(2.6)
    assert result.effect_size == pytest.approx(0.52)
    assert result.reason is None


def test_sdq_added_value_not_computed_for_teacher_sdqs():
    result = measures.sdq_added_value(_av_data(["teacher", "teacher"]))
    assert result.n == 0 and math.isnan(result.mean)
    assert result.reason.startswith(
        "not computed: only defined for parent-rated SDQs with impact scores"
    )
    no_impact = measures.sdq_added_value(_av_data(["parent"]).drop(columns="sdq_impact_pre"))
    assert "not computed" in no_impact.reason and "sdq_impact_pre" in no_impact.reason
    assert no_impact.to_frame()["reason"].iloc[0] == no_impact.reason


def test_sdq_reliable_change_uses_teacher_alpha_and_lower_is_better():
    # SD 7.5 given, reliability .80 (teacher total difficulties α, PLoS ONE 2017):
    # 1.96·√2·7.5·√0.2 = 9.297 points needed. Totals fall 20 → 10 (improved),
    # 20 → 15 (no reliable change), 10 → 20 (deteriorated).
    data = pd.DataFrame(
        {
            "sdq_emotional_pre": [5, 5, 1], "sdq_conduct_pre": [5, 5, 3],
            "sdq_hyperactivity_pre": [5, 5, 3], "sdq_peer_pre": [5, 5, 3],
            "sdq_prosocial_pre": [5, 5, 5],
            "sdq_emotional_post": [1, 3, 5], "sdq_conduct_post": [3, 4, 5],
            "sdq_hyperactivity_post": [3, 4, 5], "sdq_peer_post": [3, 4, 5],
            "sdq_prosocial_post": [5, 5, 5],
        }
    )  # fmt: skip
    result = measures.sdq_reliable_change(data, sd=7.5)
    assert result.threshold == pytest.approx(9.297, abs=5e-4)
    assert result.table["category"].tolist() == [
        "improved",
        "no reliable change",
        "deteriorated",
    ]
    assert (result.n_improved, result.n_no_reliable_change, result.n_deteriorated) == (1, 1, 1)


# =========================================================================== attendance


def test_attendance_from_sessions_and_dfe_thresholds():
    # DfE: absence rate = absence sessions / possible sessions × 100; persistent absence
    # is missing ≥ 10% of possible sessions, severe ≥ 50%. 171 of 190 is exactly 10%.
    data = pd.DataFrame(
        {
            "possible_sessions_before": [190, 190, 100, 100, None, 0],
            "attended_sessions_before": [171, 172, 50, 51, None, 0],
            "attendance_before": [None, None, None, None, 58.0, None],
        }
    )
    got = measures.attendance(data, "before")
    assert got["absence_pct"].iloc[:5].tolist() == pytest.approx(
        [10.0, 100 * 18 / 190, 50.0, 49.0, 42.0]
    )
    assert got["persistent_absence"].tolist()[:5] == [True, False, True, True, True]
    assert got["severe_absence"].tolist()[:5] == [False, False, True, False, False]
    assert got["source"].tolist()[:5] == ["sessions"] * 4 + ["percent"]
    assert pd.isna(got["attendance_pct"].iloc[5]) and pd.isna(got["persistent_absence"].iloc[5])


def test_attendance_typed_percentage_at_the_boundary():
    # A typed 90% means 10% absence: persistent (float noise must not hide it); 91% is not.
    data = pd.DataFrame({"attendance_after": [90.0, 0.9 * 100, 91.0]})
    got = measures.attendance(data, "after")
    assert got["persistent_absence"].tolist() == [True, True, False]


def test_attendance_thresholds_configurable_and_checked():
    data = pd.DataFrame({"attendance_before": [85.0]})
    old_rule = measures.AbsenceThresholds(persistent=20.0)  # pre-2015 style threshold
    assert measures.attendance(data, "before", old_rule)["persistent_absence"].tolist() == [False]
    with pytest.raises(StatisticsError, match="exceed possible"):
        measures.attendance(
            pd.DataFrame({"possible_sessions_before": [10], "attended_sessions_before": [12]})
        )
    with pytest.raises(ConfigError):
        measures.AbsenceThresholds(persistent=0)


# =========================================================================== Boxall


def _boxall() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "boxall_developmental_pre": [60.0, 80.0, 70.0, 90.0],
            "boxall_developmental_post": [80.0, 85.0, 72.0, None],
            "boxall_diagnostic_pre": [60.0, 40.0, 50.0, 30.0],
            "boxall_diagnostic_post": [40.0, 38.0, 65.0, 20.0],
        }
    )


def test_boxall_direction_of_improvement():
    # Developmental strands: higher is better; diagnostic profile: lower is better.
    data = _boxall()
    improvement = measures.boxall_improvement
    assert improvement(data, "developmental", directions=BOXALL).tolist()[:3] == [20, 5, 2]
    assert improvement(data, "diagnostic", directions=BOXALL).tolist() == [20, 2, -15, 10]
    table = measures.boxall_change(data, directions=BOXALL)
    row = table.set_index("measure").loc["diagnostic"]
    assert not row["higher_is_better"]
    assert row["mean_diff"] == pytest.approx((-20 - 2 + 15 - 10) / 4)
    assert row["improvement"] == pytest.approx(-row["mean_diff"])
    assert table.set_index("measure").loc["developmental", "n_unpaired"] == 1


def test_boxall_rci_only_with_configured_reliability():
    data = _boxall()
    skipped = measures.boxall_reliable_change(data, "developmental", directions=BOXALL)
    assert "no reliability configured" in skipped.reason and skipped.table.empty
    # With reliability .75 and SD 10: S_diff = √2·10·√0.25 = 7.071; diagnostic changes
    # −20 → RCI −2.83 (improved, lower is better), −2 → −0.28, +15 → 2.12 (deteriorated),
    # −10 → −1.41.
    settings_ = measures.BoxallSettings(reliability={"diagnostic": 0.75})
    result = measures.boxall_reliable_change(data, "diagnostic", settings_, 10, directions=BOXALL)
    assert result.reason is None
    assert result.table["rci"].tolist() == pytest.approx(
        [-2.8284, -0.2828, 2.1213, -1.4142], abs=5e-4
    )
    assert result.table["category"].tolist() == [
        "improved",
        "no reliable change",
        "deteriorated",
        "no reliable change",
    ]


def test_boxall_competence_range_from_settings():
    data = _boxall()
    with pytest.raises(ConfigError, match="no competence range"):
        measures.boxall_competence(
            data, "developmental", "post", measures.BoxallSettings(), directions=BOXALL
        )
    settings_ = measures.BoxallSettings(competence_range={"developmental": (75, 136)})
    got = measures.boxall_competence(data, "developmental", "post", settings_, directions=BOXALL)
    assert got.tolist()[:3] == [True, True, False] and pd.isna(got.iloc[3])
    with pytest.raises(ConfigError, match="unknown Boxall measure"):
        measures.BoxallSettings(reliability={"developmental_strands": 0.8}, measures=tuple(BOXALL))
    with pytest.raises(ConfigError, match="unknown Boxall measure"):
        measures.boxall_improvement(data, "developmental_strands", directions=BOXALL)


def test_boxall_totals_checked_against_item_count():
    # 34 items scored 0-4 per section: a section total above 136 is impossible.
    data = _boxall().assign(boxall_developmental_pre=[137.0, 1, 1, 1])
    with pytest.raises(StatisticsError, match="out of range"):
        measures.boxall_scores(data, "pre", directions=BOXALL)


# =========================================================================== PASS


def _pass(pre: list[float], post: list[float]) -> pd.DataFrame:
    columns = {}
    for i, factor in enumerate(PASS_FACTORS):
        columns[f"pass_{factor}_pre"] = [None if p is None else p + i for p in pre]
        columns[f"pass_{factor}_post"] = [None if q is None else q + i for q in post]
    return pd.DataFrame(columns)


def test_pass_concern_below_31_by_default():
    # GL Assessment: the green band starts at 31; below that is a concern.
    data = _pass([30.0, 31.0, None], [50.0, 60.0, 70.0])
    flags = measures.pass_concern(data, "pre", factors=PASS_FACTORS)
    assert flags["feelings_about_school"].tolist()[:2] == [True, False]
    assert pd.isna(flags["feelings_about_school"].iloc[2])
    flags = measures.pass_concern(data, "pre", threshold=40, factors=PASS_FACTORS)
    assert flags["feelings_about_school"].tolist()[:2] == [True, True]


def test_pass_change_is_holm_adjusted_across_nine_factors():
    rng = np.random.default_rng(3)
    pre = rng.integers(10, 60, 12).astype(float)
    data = _pass(list(pre), list(pre + rng.integers(-5, 20, 12)))
    table = measures.pass_change(data, factors=PASS_FACTORS)
    assert table["measure"].tolist() == list(PASS_FACTORS)
    # Holm (1979): the smallest of m p-values is multiplied by m (here every factor has
    # the same differences, so all nine p-values are equal and each becomes min(1, 9p)).
    p = table["pvalue"].iloc[0]
    assert table["pvalue_holm"].tolist() == pytest.approx([min(1.0, 9 * p)] * 9)


# =========================================================================== Likert


def test_cronbach_alpha_statology_ltm_example():
    # Statology, "How to Calculate Cronbach's Alpha in R":
    # > cronbach.alpha(data)   # ltm
    # alpha: 0.773
    items = pd.DataFrame(
        {
            "Q1": [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
            "Q2": [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
            "Q3": [1, 1, 2, 1, 2, 3, 3, 3, 2, 3],
        }
    )
    result = measures.cronbach_alpha(items)
    assert result.alpha == pytest.approx(0.773, abs=5e-4)
    assert (result.n, result.k) == (10, 3)


def test_cronbach_alpha_geeksforgeeks_ltm_example_with_missing_row():
    # GeeksforGeeks, "How to Calculate Cronbach's Alpha in R?":
    # > cronbach.alpha(sample_data)   # ltm, 11 rows, 3 items
    # alpha: 0.231
    # A twelfth row with a missing item is dropped (listwise, as ltm with na.rm = TRUE).
    items = pd.DataFrame(
        {
            "var1": [1, 2, 1, 2, 1, 2, 1, 3, 3, 1, 4, 5],
            "var2": [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, None],
            "var3": [2, 1, 3, 1, 2, 3, 3, 4, 4, 2, 1, 5],
        }
    )
    result = measures.cronbach_alpha(items)
    assert result.alpha == pytest.approx(0.231, abs=5e-4)
    assert (result.n, result.n_dropped) == (11, 1)


def test_cronbach_alpha_degenerate():
    same = measures.cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [4, 4, 4]}))
    assert math.isnan(same.alpha) and "same total" in same.reason
    one = measures.cronbach_alpha(pd.DataFrame({"a": [3, None], "b": [4, 2]}))
    assert math.isnan(one.alpha) and "fewer than 2" in one.reason
    with pytest.raises(StatisticsError, match="at least 2 items"):
        measures.cronbach_alpha(pd.DataFrame({"a": [1, 2]}))


def test_likert_agreement_percent_with_wilson_interval():
    # 81 of 263 agreeing: Newcombe (1998) Table II Wilson interval 25.53% to 36.62%.
    answers = [5] * 40 + [4] * 41 + [3] * 100 + [2] * 82 + [None] * 5
    data = pd.DataFrame({"conf_autism_pre": answers})
    table = measures.likert_agreement(data, ["conf_autism_pre"])
    row = table.iloc[0]
    assert (row["n"], row["n_agree"]) == (263, 81)
    assert row["percent_agree"] == pytest.approx(100 * 81 / 263)
    assert row["lower_ci"] == pytest.approx(25.53, abs=5e-3)
    assert row["upper_ci"] == pytest.approx(36.62, abs=5e-3)
    empty = measures.likert_agreement(pd.DataFrame({"x": [None, None]}), ["x"])
    assert empty.loc[0, "reason"] == "nobody answered this item"


def test_likert_scale_scores_and_flags():
    data = pd.DataFrame({"a": [1, 5, None], "b": [3, 4, 4]})
    assert measures.likert_scale_score(data, ["a", "b"]).tolist()[:2] == [2.0, 4.5]
    assert math.isnan(measures.likert_scale_score(data, ["a", "b"]).iloc[2])
    assert measures.likert_scale_score(data, ["a", "b"], min_items=1).iloc[2] == 4.0
    flags = measures.likert_agrees(data, ["a"])
    assert flags["a"].tolist()[:2] == [False, True] and pd.isna(flags["a"].iloc[2])
    with pytest.raises(StatisticsError, match="out of range"):
        measures.likert_scale_score(pd.DataFrame({"a": [6]}), ["a"])


# =========================================================================== cost


def test_cost_per_child_session_and_reliable_improvement():
    result = measures.cost_summary(12_000, n_children=24, sessions=240, n_reliable_improvement=8)
    assert (result.per_child, result.per_session, result.per_reliable_improvement) == (
        500.0,
        50.0,
        1500.0,
    )
    assert result.reasons == {}
    assert result.to_frame()["value"].tolist() == [500.0, 50.0, 1500.0]


def test_cost_missing_or_zero_denominators_give_nan_with_reason():
    no_cost = measures.cost_summary(None, 24, 240, 8)
    assert math.isnan(no_cost.per_child) and no_cost.reasons["per_child"] == "cost not supplied"
    zero = measures.cost_summary(1000, 0, None, 0)
    assert math.isnan(zero.per_child) and zero.reasons["per_child"] == "no children"
    assert zero.reasons["per_session"] == "sessions delivered not supplied"
    assert zero.reasons["per_reliable_improvement"] == "no child showed a reliable improvement"
    with pytest.raises(StatisticsError, match="negative"):
        measures.cost_summary(-5, 3)


# ==================================================== issue 11: time at risk


@pytest.mark.parametrize(
    ("term", "last"),
    [("2023-24-autumn", "2023-12-31"), ("2023-24-spring", "2024-03-31"),
     ("2023-24-summer", "2024-08-31")],
)  # fmt: skip
def test_term_last_day_follows_the_template_convention(term, last):
    # dspl_eval.template.term_window: autumn 1 Sep–31 Dec, spring 1 Jan–31 Mar, summer
    # 1 Apr–31 Aug (the dates a term's template accepts). Both must agree.
    from dspl_eval.template import term_window

    assert measures.term_last_day(term) == pd.Timestamp(last)
    assert measures.term_last_day(term).date() == term_window(term).last_day
    with pytest.raises(ConfigError):
        measures.term_last_day("spring 2024")


def _elsa_dates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "support_end": pd.to_datetime(
                ["2024-01-15", "2024-03-20", "2024-04-10", None, "2023-10-01", "2023-11-01"]
            ),
            "follow_up_end": pd.to_datetime(["2024-03-01", None, None, None, None, None]),
            "date_left_school": pd.to_datetime([None, None, None, None, None, "2023-12-01"]),
            "window_months": [6, 6, 6, 6, 3, None],
        }
    )


def test_exposure_months_worked_by_hand():
    # Month = 365.25 / 12 = 30.4375 days. Spring 2023-24 ends 31 March 2024.
    # child 0: 15 Jan → follow-up end 1 Mar = 46 days = 1.5113 months (follow-up first)
    # child 1: 20 Mar → term end 31 Mar = 11 days = 0.3614 months
    # child 2: support ended 10 Apr, after the term's last day → no follow-up yet (NaN)
    # child 3: no support_end → no start date (NaN)
    # child 4: 3-month window from 1 Oct: 91.3125 days → window end first, 3 months
    # child 5: default 6-month window from 1 Nov; left school 1 Dec = 30 days = 0.9856
    got = measures.exposure_months(_elsa_dates(), "2023-24-spring", left="date_left_school")
    assert got["months_after"].tolist()[:2] == pytest.approx([46 / 30.4375, 11 / 30.4375])
    assert math.isnan(got.loc[2, "months_after"]) and math.isnan(got.loc[3, "months_after"])
    assert got.loc[4, "months_after"] == pytest.approx(3.0)
    assert got.loc[5, "months_after"] == pytest.approx(30 / 30.4375)
    assert got["end_reason"].tolist()[:2] == ["follow-up end", "term end"]
    assert got.loc[4, "end_reason"] == "window end" and got.loc[5, "end_reason"] == "left"
    assert got["status"].tolist() == [
        "observed", "observed", "no follow-up yet", "no start date", "observed", "observed"
    ]  # fmt: skip
    assert got["months_before"].tolist() == [6, 6, 6, 6, 3, 6]
    assert got["full_window_after"].tolist() == [False, False, False, False, True, False]


def test_exposure_before_can_come_from_the_return():
    data = _elsa_dates().assign(months_observed_before=[4.0, 6, 6, 6, 2, 6])
    got = measures.exposure_months(data, "2023-24-spring", months_before="months_observed_before")
    assert got["months_before"].tolist() == [4.0, 6, 6, 6, 2, 6]


def test_rate_ratio_from_person_months_differs_from_full_windows():
    # Issue 11 end-to-end: follow-up shorter than the window. Three children, 6-month
    # windows, spring 2023-24 (ends 31 Mar 2024): 1, 2 and 1 suspensions before and
    # 1, 0, 1 after. Observed after: 46, 11 and 30 days (see the hand-worked test).
    data = pd.DataFrame(
        {
            "support_end": pd.to_datetime(["2024-01-15", "2024-03-20", "2024-03-01"]),
            "follow_up_end": pd.to_datetime(["2024-03-01", None, None]),
            "suspensions_before": [1, 2, 1],
            "suspensions_after": [1, 0, 1],
        }
    )
    months = measures.exposure_months(data, "2023-24-spring")
    after = (46 + 11 + 30) / 30.4375
    assert months["months_after"].sum() == pytest.approx(after)
    r = stats.rate_ratio(
        data["suspensions_after"], months["months_after"],
        data["suspensions_before"], months["months_before"],
    )  # fmt: skip
    # (2 / 2.8583) / (4 / 18) = 3.149 — against (2 / 18) / (4 / 18) = 0.5 with full windows.
    assert r.estimate == pytest.approx((2 / after) / (4 / 18))
    assert r.estimate > 1 > stats.rate_ratio(2, 18, 4, 18).estimate


# ==================================================== issue 11: return to class


def _nurture_dates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date_joined": pd.to_datetime(
                ["2023-09-11", "2023-09-11", "2024-01-08", "2023-11-01", None, "2023-09-04"]
            ),
            "returned_date": pd.to_datetime(["2024-02-01", None, None, None, None, "2024-05-01"]),
            "returned_full_time": [True, False, None, True, None, True],
            "date_left": pd.to_datetime([None, "2024-01-31", None, None, None, None]),
        }
    )


def test_return_to_class_censoring_worked_by_hand():
    # Term = 365.25 / 3 = 121.75 days; spring 2023-24 ends 31 Mar 2024.
    # 0: returned 1 Feb 2024 after 143 days = 1.1745 terms (event)
    # 1: left the group 31 Jan without returning: censored at 142 days = 1.1663
    # 2: still attending: censored at the term's end, 83 days = 0.6817
    # 3: "returned" but no date: cannot be placed in time (dropped)
    # 4: no join date (dropped)
    # 5: return dated 1 May, after the term: not yet observed → still attending at
    #    31 Mar, 209 days = 1.7166 terms
    got = measures.return_to_class_times(_nurture_dates(), "2023-24-spring")
    assert got["status"].tolist() == [
        "returned", "left without returning", "still attending", "returned, date missing",
        "no start date", "still attending",
    ]  # fmt: skip
    assert got["returned"].tolist() == [True, False, False, False, False, False]
    expected = [143 / 121.75, 142 / 121.75, 83 / 121.75, np.nan, np.nan, 209 / 121.75]
    assert got["terms"].tolist() == pytest.approx(expected, nan_ok=True)
    km = measures.return_to_class_km(_nurture_dates(), "2023-24-spring", horizons=[1.5],
                                     min_at_risk=1)  # fmt: skip
    # KM by hand: event at 1.1745 with 2 at risk (1.1745, 1.7166) → S = 1/2, share 0.5.
    assert km.n == 4 and km.n_events == 1
    assert km.table.loc[0, "estimate"] == pytest.approx(0.5)
    assert km.table.loc[0, "n_at_risk"] == 1


# ==================================================== issue 11: fixed RCI inputs


def test_sdq_norms_are_the_published_values():
    # British teacher norms (Meltzer et al. 2000, sdqinfo.org UKNorm1; reprinted in
    # PMC4830858 Table 2, "British community sample ... 8208 teachers"): total
    # difficulties 6.6 (SD 6.0), prosocial 7.2 (2.4), emotional 1.4 (1.9), conduct 0.9
    # (1.6), hyperactivity 2.9 (2.8). Goodman (2001) abstract: "retest stability after 4
    # to 6 months (mean: 0.62)".
    table = measures.RELIABLE_CHANGE_NORMS
    for scale, sd in [("total_difficulties", 6.0), ("prosocial", 2.4), ("emotional", 1.9),
                      ("conduct", 1.6), ("hyperactivity", 2.8)]:  # fmt: skip
        norm = table[("sdq", "teacher", scale)]
        assert (norm.sd, norm.reliability, norm.verified) == (sd, 0.62, True)
        assert "Goodman (2001)" in norm.reliability_source and "Meltzer" in norm.sd_source
    assert not table[("sdq", "parent", "total_difficulties")].verified


def test_rci_threshold_is_fixed_by_the_published_inputs_not_the_cohort():
    # Jacobson & Truax: 1.96 · SD · √(2(1 − r)) = 1.96 · 6.0 · √(2 · 0.38) = 10.2521.
    norm = measures.reliable_change_norm("sdq", "teacher", "total_difficulties")
    assert norm.threshold == pytest.approx(1.96 * 6.0 * math.sqrt(0.76))
    assert norm.threshold == pytest.approx(10.2521, abs=5e-5)
    calm = measures.norm_reliable_change(
        pd.Series([20.0, 21, 19, 20]), pd.Series([9.0, 12, 19, 31]), norm, higher_is_better=False
    )
    wild = measures.norm_reliable_change(
        pd.Series([5.0, 35, 12, 28]), pd.Series([1.0, 20, 2, 30]), norm, higher_is_better=False
    )
    assert calm.threshold == wild.threshold == pytest.approx(10.2521, abs=5e-5)
    assert calm.sd == wild.sd == 6.0
    # falls of 11 and 9, no change, a rise of 11: improved, none, none, deteriorated
    assert (calm.n_improved, calm.n_no_reliable_change, calm.n_deteriorated) == (1, 2, 1)
    sample = measures.norm_reliable_change(
        pd.Series([5.0, 35, 12, 28]), pd.Series([1.0, 20, 2, 30]), norm,
        higher_is_better=False, use_sample_sd=True,
    )  # fmt: skip
    assert sample.sd == pytest.approx(pd.Series([5.0, 35, 12, 28]).std())


def test_boxall_has_no_published_rci_inputs():
    norm = measures.reliable_change_norm("boxall", "teacher", "diagnostic")
    assert not norm.available and math.isnan(norm.threshold)
    got = measures.norm_reliable_change(
        pd.Series([50.0, 60]), pd.Series([40.0, 45]), norm, higher_is_better=False
    )
    assert got.table.empty and "no reliable change index" in got.reason
    assert not measures.reliable_change_norm("pass", "self", "feelings_about_school").available


def test_measures_imports_no_initiative_module():
    # Issue 13: a shared module takes item lists as arguments; it does not depend on
    # particular initiatives (their constants live in dspl_eval/initiatives/*.py).
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(measures))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [m for m in imported if m.startswith("dspl_eval.initiatives")]


def test_item_scale_score_mean_and_prorated_sum():
    data = pd.DataFrame({"a": [1.0, 2.0, None], "b": [3.0, None, None], "c": [5.0, 4.0, 1.0]})
    # mean of answered items when at least 2 of 3 are answered
    got = measures.item_scale_score(data, ["a", "b", "c"], "mean", 2)
    assert got.tolist()[:2] == [3.0, 3.0] and pd.isna(got.iloc[2])
    # a sum over fewer than all items is pro-rated: (2 + 4) / 2 × 3 = 9
    got = measures.item_scale_score(data, ["a", "b", "c"], "sum", 2)
    assert got.tolist()[:2] == [9.0, 9.0]
    # the Likert case equals likert_scale_score
    likert = measures.likert_scale_score(data, ["a", "b", "c"], 2)
    mean = measures.item_scale_score(data, ["a", "b", "c"], "mean", 2, value_range=(1, 5))
    assert mean.equals(likert)
    with pytest.raises(StatisticsError, match="out of range"):
        measures.item_scale_score(data.assign(c=[6.0, 1, 1]), ["a", "c"], value_range=(1, 5))
    with pytest.raises(ConfigError, match="combine"):
        measures.item_scale_score(data, ["a"], "median")
