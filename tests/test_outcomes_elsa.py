"""ELSA report parts (dspl_eval.outcomes.elsa) on small hand-made processed frames.

Reference values are worked by hand in the comments, or are the project's own statistics
(dspl_eval.stats) called on the same numbers, which tests/test_stats.py checks against R.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dspl_eval import measures, stats
from dspl_eval.outcomes import elsa
from dspl_eval.reporting import Context, from_frame

SCALES = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")


def context(data: pd.DataFrame, audience: str = "analyst", threshold: int = 5) -> Context:
    return from_frame("elsa", data, audience, threshold)


def sdq_frame(pre_totals, post_totals, informants=None) -> pd.DataFrame:
    """One row per child; the total is split over the four difficulty scales (≤ 10 each)."""
    rows = []
    informants = informants or ["teacher"] * len(pre_totals)
    for pre, post, who in zip(pre_totals, post_totals, informants, strict=True):
        row = {"sdq_informant": who, "sdq_impact_pre": 2, "sdq_impact_post": 1}
        for when, total in (("pre", pre), ("post", post)):
            parts = (
                [None] * 4 if total is None else [min(10, max(0, total - 10 * i)) for i in range(4)]
            )
            for scale, value in zip(SCALES[:4], parts, strict=True):
                row[f"sdq_{scale}_{when}"] = value
            row[f"sdq_prosocial_{when}"] = None if total is None else 5
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith("sdq_") and column != "sdq_informant":
            frame[column] = frame[column].astype("Int64")
    return frame


# ----------------------------------------------------------------------------- SDQ


def test_totals_and_informants_are_not_pooled():
    data = sdq_frame([20, 18, 16, 30, 25, 12], [15, 17, 10, 26, 20, None],
                     ["teacher", "teacher", "teacher", "parent", "parent", "teacher"])  # fmt: skip
    ctx = elsa.with_sdq_totals(context(data))
    assert ctx.data[elsa.TOTAL_PRE].tolist() == [20, 18, 16, 30, 25, 12]
    assert elsa.TOTAL_PRE not in data  # the input is not changed
    teacher = elsa.sdq_outcome(ctx, "teacher")
    reference = stats.paired_change([20, 18, 16, 12], [15, 17, 10, np.nan])
    assert teacher.n == reference.n == 3
    assert teacher.n_without_follow_up == 1
    assert teacher.result.mean_diff == pytest.approx(reference.mean_diff)  # (−5 −1 −6)/3
    assert teacher.result.mean_diff == pytest.approx(-4.0)
    parent = elsa.sdq_outcome(ctx, "parent")
    assert parent.n == 2 and parent.result.mean_diff == pytest.approx(-4.5)
    assert len(elsa.for_informant(ctx, "teacher").data) == 4


def test_informant_sentence_names_informants_without_counts():
    ctx = context(sdq_frame([20, 18], [15, 17], ["teacher", None]), audience="commissioner")
    text = elsa.informant_sentence(ctx)
    assert "teachers" in text and "never pooled" in text
    assert "fewer than 5 children have no informant recorded" in text.lower()


def test_subscale_change_is_holm_adjusted_change_table():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {f"sdq_{s}_{w}": rng.integers(0, 11, 12) for s in SCALES for w in ("pre", "post")}
    )
    table = elsa.subscale_change(context(data))
    assert table["measure"].tolist() == [f"sdq_{s}" for s in SCALES]
    expected = [
        stats.paired_change(data[f"sdq_{s}_pre"], data[f"sdq_{s}_post"]).pvalue for s in SCALES
    ]
    assert table["pvalue_holm"].to_numpy() == pytest.approx(stats.holm(expected))
    assert table["higher_is_better"].tolist() == [False] * 4 + [True]


# ----------------------------------------------------------------------------- bands


# teacher bands of total difficulties: 0–11 / 12–15 / 16–18 / 19–40
PRE = [5, 10, 12, 13, 16, 17, 18, 19, 20, 25, 30, 30]
POST = [4, 8, 9, 12, 12, 15, 16, 16, 15, 22, 24, 30]


def test_band_counts_by_hand():
    ctx = elsa.with_sdq_totals(context(sdq_frame(PRE, POST)))
    frame = elsa.band_counts(ctx).frame
    # before: 2 close to average, 2 slightly raised, 3 high, 5 very high
    assert frame["Before"].tolist() == [2, 2, 3, 5, 12]
    # after: 4 close (4, 8, 9 and none), 3 slightly raised (12, 12, 15, 15 → 4) ...
    assert frame["After"].tolist() == [3, 4, 2, 3, 12]
    movement = elsa.band_movement(ctx).frame.iloc[:, 0].tolist()
    # better: 12→9, 16→12, 17→15, 19→16, 20→15 (5); worse: none; same: 7
    assert movement == [5, 7, 0, 12]
    change = elsa.high_band_change(ctx)
    assert (change.before, change.after, change.n) == (8, 5, 12)
    flags_pre = [t >= 16 for t in PRE]
    flags_post = [t >= 16 for t in POST]
    assert change.result.pvalue == stats.mcnemar(flags_pre, flags_post).pvalue


def test_band_counts_are_suppressed_for_commissioners():
    ctx = elsa.with_sdq_totals(context(sdq_frame(PRE, POST), audience="commissioner"))
    shown = elsa.band_counts(ctx).frame
    # every band count is 1–4 except the 5 very high before: primary and secondary
    assert shown["Before"].tolist()[:3] == ["c", "c", "c"]
    assert shown.loc["Total", "Before"] == 12
    assert (shown.drop(index="Total")["After"] == "c").all()
    # the high-band sum (8 before) with the band table would recover hidden bands
    assert elsa.high_band_withheld(ctx)
    assert "not shown" in elsa.high_band_sentence(ctx)
    assert not elsa.high_band_withheld(elsa.with_sdq_totals(context(sdq_frame(PRE, POST))))


# ----------------------------------------------------------------------------- reliable change


def test_reliable_change_counts_and_suppressed_sentence():
    ctx = elsa.with_sdq_totals(context(sdq_frame(PRE, POST)))
    summary = elsa.reliable_change(ctx, 0.95)
    reference = stats.reliable_change(
        np.array(PRE, float), np.array(POST, float), np.std(PRE, ddof=1), 0.95,
        higher_is_better=False,
    )  # fmt: skip
    assert summary.n_improved == int((reference["category"] == "improved").sum())
    # threshold 1.96 · √2 · SD(before) · √0.05 ≈ 4.7: only 20 → 15 and 30 → 24 improve
    assert (summary.n, summary.n_improved, summary.n_deteriorated) == (12, 2, 0)
    commissioner = elsa.with_sdq_totals(context(sdq_frame(PRE, POST), audience="commissioner"))
    text = elsa.reliable_sentence(commissioner, summary, "teacher-rated")
    table = elsa.reliable_table(commissioner, summary).frame.iloc[:, 0]
    assert (table == "c").any()
    assert "too small to show" in text
    for value in table[table != "c"].drop("Total"):
        assert str(value) in text
    none = elsa.reliable_change(ctx, None)
    assert "not computed" in elsa.reliable_sentence(ctx, none, "teacher-rated")


# ----------------------------------------------------------------------------- added value


def test_added_value_not_computed_for_teacher_ratings():
    ctx = context(sdq_frame([20, 18], [15, 17]))
    av = elsa.added_value(ctx)
    assert av.n == 0 and av.reason
    text = elsa.added_value_sentence(ctx, av)
    assert "not computed" in text and "parent-rated" in text


def test_added_value_for_parent_ratings_by_hand():
    data = sdq_frame([20, 18, 16, 12, 22], [15, 17, 10, 12, 20], ["parent"] * 5)
    av = elsa.added_value(context(data))
    # predicted = 2.3 + 0.8·T1 + 0.2·impact(2) − 0.3·emotional(T1 capped at 10)
    emotional = [min(10, t) for t in [20, 18, 16, 12, 22]]
    expected = [
        2.3 + 0.8 * t1 + 0.4 - 0.3 * e - t2
        for t1, e, t2 in zip([20, 18, 16, 12, 22], emotional, [15, 17, 10, 12, 20], strict=True)
    ]
    assert av.n == 5 and av.mean == pytest.approx(np.mean(expected))
    shown = elsa.added_value_table(context(data, audience="commissioner"), av).frame
    assert shown.loc["SDQ Added Value (parent-rated)", "n"] == 5
    small = elsa.added_value(context(data.iloc[:3]))
    commissioner = context(data.iloc[:3], audience="commissioner")
    assert "no figure is shown" in elsa.added_value_sentence(commissioner, small)
    hidden = elsa.added_value_table(commissioner, small).frame.iloc[0]
    assert hidden["n"] == "c" and hidden["Mean added value"] == "c"


# ----------------------------------------------------------------------------- exclusions


def exclusion_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "suspensions_before": pd.array([3, 0, 2, 1, 0, 4, 2, 0, 1, 5], dtype="Int64"),
            "suspensions_after": pd.array([1, 0, 0, 1, 1, 2, 0, 0, 0, None], dtype="Int64"),
            "window_months": pd.array([6, 6, None, 6, 6, 6, 6, 6, None, 6], dtype="Int64"),
            "permanent_exclusion_before": pd.array([False] * 10, dtype="boolean"),
            "permanent_exclusion_after": pd.array([False] * 9 + [None], dtype="boolean"),
        }
    )


def test_rate_ratio_and_mcnemar_equal_stats_on_hand_numbers():
    ctx = context(exclusion_frame())
    ex = elsa.exclusion_changes(ctx, window_months=6)
    # 9 children with both counts (the last has no after count); blank windows → 6 months
    # before: 3+0+2+1+0+4+2+0+1 = 13, after: 1+0+0+1+1+2+0+0+0 = 5; exposure 9 × 6 = 54
    reference = stats.rate_ratio(5, 54, 13, 54)
    assert (ex.rate.events_before, ex.rate.events_after, ex.rate.n) == (13, 5, 9)
    assert ex.rate.estimate == pytest.approx(5 / 13)
    assert ex.rate.pvalue == pytest.approx(reference.pvalue)
    assert ex.rate.confidence_interval() == pytest.approx(reference.confidence_interval())
    assert ex.n_without_after == 1 and ex.window_months == (6,)
    # any suspension: before yes for rows 0,2,3,5,6,8; after yes for rows 0,3,4,5
    before = [True, False, True, True, False, True, True, False, True]
    after = [True, False, False, True, True, True, False, False, False]
    reference = stats.mcnemar(before, after)
    assert (ex.any_suspension.before, ex.any_suspension.after) == (6, 4)
    assert (ex.any_suspension.result.b, ex.any_suspension.result.c) == (3, 1)
    assert ex.any_suspension.result.pvalue == pytest.approx(reference.pvalue)  # 0.625
    assert ex.permanent.before == 0 and ex.permanent.n == 9
    text = elsa.exclusion_sentence(ctx, ex)
    assert "13 suspensions in the 6 months before" in text and "0.38" in text


def test_exclusion_table_hides_rates_with_small_event_counts():
    data = exclusion_frame()
    data["suspensions_after"] = pd.array([1, 0, 0, 1, 0, 0, 0, 0, 0, None], dtype="Int64")
    ctx = context(data, audience="commissioner")
    ex = elsa.exclusion_changes(ctx)
    row = elsa.exclusion_table(ctx, ex).frame.iloc[0]
    assert row["After"] == "c" and row["Rate ratio (95% CI)"] == "c"
    assert row["Rate after"] == "c" and row["n"] == 9
    assert "too small" in elsa.exclusion_sentence(ctx, ex)
    analyst = elsa.exclusion_table(context(data), ex).frame.iloc[0]
    assert analyst["After"] == 2 and analyst["Rate ratio (95% CI)"].startswith("0.15")


def test_window_months_must_be_positive():
    with pytest.raises(Exception, match="window_months"):
        elsa.windows(context(exclusion_frame().drop(columns="window_months")), 0)


# ----------------------------------------------------------------------------- suspension-free


def survival_frame() -> pd.DataFrame:
    end = pd.Timestamp("2024-01-01")
    month = pd.Timedelta(days=elsa.DAYS_PER_MONTH)
    # months: 1 (suspended), 2 (censored), 4 (suspended), 5 (censored), 7 (censored),
    # and one child with no follow-up dates (left out)
    return pd.DataFrame(
        {
            "support_end": [end] * 6,
            "next_suspension_date": [end + month, pd.NaT, end + 4 * month, pd.NaT, pd.NaT, pd.NaT],
            "follow_up_end": [
                pd.NaT,
                end + 2 * month,
                end + 6 * month,
                end + 5 * month,
                end + 7 * month,
                pd.NaT,
            ],
        }
    )


def test_suspension_free_kaplan_meier_by_hand():
    sf = elsa.suspension_free(context(survival_frame()), (3, 6))
    assert (sf.n, sf.n_events) == (5, 2)
    h3, h6 = sf.horizons.to_dict("records")
    # S(3) = (1 − 1/5) = 0.8; S(6) = 0.8 · (1 − 1/3) = 0.5333 (3 at risk at 4 months)
    assert h3["estimate"] == pytest.approx(0.8)
    assert h6["estimate"] == pytest.approx(0.8 * 2 / 3)
    assert (h3["at_risk"], h3["events"]) == (3, 1)
    assert (h6["at_risk"], h6["events"]) == (1, 2)
    # log interval (R survfit default): se(log S) = √Σ d / (n (n − d))
    se3 = math.sqrt(1 / (5 * 4))
    assert h3["lower_ci"] == pytest.approx(0.8 * math.exp(-1.959964 * se3), rel=1e-5)
    assert h3["upper_ci"] == 1.0  # capped
    se6 = math.sqrt(1 / (5 * 4) + 1 / (3 * 2))
    assert h6["lower_ci"] == pytest.approx(0.8 * 2 / 3 * math.exp(-1.959964 * se6), rel=1e-5)
    later = elsa.suspension_free(context(survival_frame()), (12,)).horizons.iloc[0]
    assert math.isnan(later["estimate"]) and "12 months" in later["reason"]


def test_suspension_free_without_dates_and_suppressed():
    frame = survival_frame().assign(next_suspension_date=pd.NaT, follow_up_end=pd.NaT)
    sf = elsa.suspension_free(context(frame))
    assert sf.n == 0 and "not computed" in elsa.suspension_free_sentence(context(frame), sf)
    ctx = context(survival_frame(), audience="commissioner")
    sf = elsa.suspension_free(ctx, (3, 6))
    text = elsa.suspension_free_sentence(ctx, sf)
    assert "Of the 5 children with follow-up dates, fewer than 5 had a further" in text
    shown = elsa.suspension_free_table(ctx, sf).frame
    assert (shown["Still suspension-free"] == "c").all()
    assert (shown["Suspended by then"] == "c").all()
    four = context(survival_frame().iloc[1:], audience="commissioner")
    sf = elsa.suspension_free(four, (3, 6))
    assert "fewer than 5 children have follow-up" in elsa.suspension_free_sentence(four, sf)


def test_charts_withheld_when_they_would_print_a_small_count():
    ctx = context(pd.DataFrame(), audience="commissioner")
    assert elsa.chart_counts_hidden(ctx, np.array([5] * 10), np.array([4] * 8 + [6, 5]))
    assert not elsa.chart_counts_hidden(ctx, np.array([5] * 10), np.array([4] * 5 + [6] * 5))
    assert not elsa.chart_counts_hidden(context(pd.DataFrame()), np.array([5]), np.array([6]))


def test_teacher_bands_used_are_the_published_ones():
    assert measures.TEACHER_BANDS.cutoffs["total_difficulties"] == (11, 15, 18)
