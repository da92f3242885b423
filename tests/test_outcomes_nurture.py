"""Unit tests of the nurture report's outcomes on small hand-made processed frames.

Expected values are worked by hand in the comments (or taken from ``dspl_eval.stats``,
which is itself checked against R and published values in ``tests/test_stats.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from dspl_eval import disclosure, stats
from dspl_eval.outcomes import nurture
from dspl_eval.reporting import Context, from_frame


def _frame(n: int = 10, **columns: object) -> pd.DataFrame:
    """A processed nurture frame of ``n`` children with sensible defaults."""
    base = {
        "pupil_id": [f"p{i:02d}" for i in range(n)],
        "school": ["Alpha Primary"] * n,
        "group_name": ["The Nest"] * n,
        "year_group": pd.array([2] * n, dtype="Int64"),
        "sex": ["female", "male"] * (n // 2) + ["female"] * (n % 2),
        "sen_status": ["SEN support"] * n,
        "date_joined": pd.to_datetime(["2023-09-04"] * n),
        "date_left": pd.to_datetime([None] * n),
        "returned_full_time": pd.array([False] * n, dtype="boolean"),
        "returned_date": pd.to_datetime([None] * n),
        "boxall_developmental_pre": np.linspace(40, 80, n),
        "boxall_developmental_post": np.linspace(40, 80, n) + 10 + np.arange(n) % 3,
        "boxall_diagnostic_pre": np.linspace(50, 70, n),
        "boxall_diagnostic_post": np.linspace(50, 70, n) - 12 - np.arange(n) % 4,
        "attendance_before": np.full(n, 85.0),
        "attendance_after": np.full(n, 90.0),
        "suspensions_before": pd.array([0] * n, dtype="Int64"),
        "suspensions_after": pd.array([0] * n, dtype="Int64"),
    }
    base.update(columns)
    return pd.DataFrame(base)


def _ctx(data: pd.DataFrame, audience: str = "commissioner", threshold: int = 5) -> Context:
    return from_frame("nurture", data, audience, threshold)


# ----------------------------------------------------------------------------- direction


def test_diagnostic_fall_is_an_improvement_and_developmental_fall_is_not():
    data = _frame(
        10,
        boxall_developmental_post=np.linspace(40, 80, 10) - 8 - np.arange(10) % 3,
    )
    ctx = _ctx(data)
    developmental, diagnostic = nurture.boxall_outcomes(ctx)
    assert developmental.higher_is_better is True
    assert diagnostic.higher_is_better is False
    assert diagnostic.result.mean_diff < 0  # post − pre: the score fell
    assert nurture.verdict(diagnostic) == "improved"
    assert nurture.verdict(developmental) == "worsened"
    sentence = nurture.section_sentence(ctx, diagnostic)
    assert "improved" in sentence and "fell" in sentence and "lower is better" in sentence
    headline = nurture.boxall_sentence(ctx, [developmental, diagnostic])
    assert "developmental strands worsened, falling" in headline
    assert "diagnostic profile improved, falling" in headline


def test_no_clear_change_when_the_interval_includes_zero():
    pre = np.array([50.0, 60, 70, 80, 90, 55])
    post = pre + np.array([3, -3, 2, -2, 1, -1])
    data = _frame(6, boxall_diagnostic_pre=pre, boxall_diagnostic_post=post)
    diagnostic = nurture.boxall_outcomes(_ctx(data))[1]
    assert nurture.verdict(diagnostic) == "showed no clear change"


def test_cluster_forest_and_table_sign_diagnostic_clusters():
    n = 6
    pre = np.array([10.0, 12, 14, 16, 18, 20])
    data = _frame(
        n,
        boxall_self_limiting_features_pre=pre,
        boxall_self_limiting_features_post=pre - [2, 3, 2, 4, 3, 2],
    )
    table = nurture.cluster_change(_ctx(data))
    assert list(table["measure"]) == ["self_limiting_features"]
    assert table["mean_diff"].iloc[0] == pytest.approx(-16 / 6)
    assert not table["higher_is_better"].iloc[0]
    assert table["improvement"].iloc[0] == pytest.approx(16 / 6)
    shown = nurture.cluster_table(_ctx(data), table)
    assert "lower is better" in shown.frame.index[0]


# ----------------------------------------------------------------------------- return to class


def test_return_share_and_wilson_interval_match_stats_on_hand_counts():
    n = 12
    returned = [True] * 7 + [False] * 5
    joined = pd.to_datetime(["2023-09-04"] * n)
    dates = [joined[0] + pd.Timedelta(days=d) for d in (100, 200, 300, 400, 500, 600, 700)]
    data = _frame(
        n,
        returned_full_time=pd.array(returned, dtype="boolean"),
        returned_date=pd.to_datetime(dates + [None] * 5),
        date_left=pd.to_datetime(dates + ["2024-01-10"] + [None] * 4),
    )
    ctx = _ctx(data, audience="analyst")
    r = nurture.return_to_class(ctx)
    assert (r.n, r.returned, r.n_still_in_group) == (12, 7, 4)
    assert (r.low, r.high) == stats.proportion_ci(7, 12)
    # time in terms = days / (365.25 / 3): 100 days → 0.82, 300 → 2.46, 500 → 4.11
    assert r.terms.iloc[0] == pytest.approx(100 / (365.25 / 3))
    assert r.bands().tolist() == [2, 2, 3]  # under 2: 100, 200; 2-4: 300, 400; over: 500+
    assert r.within_aim == 4
    table = nurture.return_table(ctx, r).frame
    low, high = stats.proportion_ci(7, 12)
    assert table.iloc[0, 0] == 7
    assert table.iloc[0, 1] == f"58% ({100 * low:.0f}% to {100 * high:.0f}%)"
    assert "7 of 12 children (58%" in nurture.return_sentence(ctx, r)


def test_small_return_counts_are_suppressed_with_their_complement():
    n = 10
    data = _frame(n, returned_full_time=pd.array([True] * 3 + [False] * 7, dtype="boolean"))
    ctx = _ctx(data)
    r = nurture.return_to_class(ctx)
    frame = nurture.return_table(ctx, r).frame
    column = frame.columns[0]
    # 3 is primary-suppressed; 7 must go too, or 10 − 7 recovers it
    assert frame.loc["Returned full time to mainstream class", column] == disclosure.SUPPRESSED
    assert frame.loc["Not (yet) returned", column] == disclosure.SUPPRESSED
    assert (frame["% (95% CI)"].iloc[:2] == disclosure.SUPPRESSED).all()
    assert "too small to show" in nurture.return_sentence(ctx, r)
    analyst = nurture.return_table(_ctx(data, audience="analyst"), r).frame
    assert analyst.iloc[0, 0] == 3


# ----------------------------------------------------------------------------- suspensions


def test_rate_ratio_uses_equal_windows_as_exposure():
    before = pd.array([2, 1, 0, 3, 0, 1, 4], dtype="Int64")
    after = pd.array([1, 0, 0, 1, 0, 0, None], dtype="Int64")  # last child: no follow-up
    data = _frame(7, suspensions_before=before, suspensions_after=after)
    s = nurture.suspension_change(_ctx(data, audience="analyst"), window_months=6.0)
    r = s.rate
    # 6 children with both counts × 6 months = 36 child-months in each window
    assert (r.n, r.n_incomplete) == (6, 1)
    assert r.exposure_before == r.exposure_after == 36.0
    assert (r.events_before, r.events_after) == (7, 2)
    assert r.estimate == pytest.approx((2 / 36) / (7 / 36))
    # exact conditional test: 2 of the 9 events after, p = 36 / 72 under no change
    assert r.pvalue == pytest.approx(sps.binomtest(2, 9, 0.5).pvalue)
    assert (s.any.before, s.any.after, s.any.n) == (4, 2, 6)


def test_suspension_table_hides_the_ratio_when_an_event_count_is_small():
    data = _frame(
        8,
        suspensions_before=pd.array([1, 1, 1, 1, 1, 1, 0, 0], dtype="Int64"),
        suspensions_after=pd.array([1, 0, 0, 0, 0, 0, 0, 0], dtype="Int64"),
    )
    ctx = _ctx(data)
    s = nurture.suspension_change(ctx)
    frame = nurture.suspension_table(ctx, s).frame
    assert (frame.iloc[0] == disclosure.SUPPRESSED).all()
    assert "too small" in nurture.suspension_sentence(ctx, s)
    analyst = nurture.suspension_table(_ctx(data, audience="analyst"), s).frame
    assert analyst["Rate ratio (after ÷ before)"].iloc[0] == f"{1 / 6:.2f}"


def test_suspension_window_must_be_positive():
    from dspl_eval.errors import ConfigError

    with pytest.raises(ConfigError, match="suspension_window_months"):
        nurture.suspension_change(_ctx(_frame(5)), window_months=0)


# ----------------------------------------------------------------------------- breakdowns


def test_merge_small_groups_until_the_merged_group_passes():
    sizes = pd.Series({"A": 6, "B": 7, "C": 2})
    mapping = nurture.merge_small_groups(sizes, 5)
    # C alone (2) is too small, so the smallest shown group (A, 6) joins it: 8
    assert mapping == {"B": "B", "A": nurture.OTHER_GROUPS, "C": nurture.OTHER_GROUPS}
    assert nurture.merge_small_groups(pd.Series({"A": 6, "B": 7}), 5) == {"A": "A", "B": "B"}


def test_school_breakdown_shows_only_rows_where_every_cell_passes():
    schools = ["Alpha"] * 6 + ["Beta"] * 7 + ["Gamma"] * 2
    data = _frame(15, school=schools)
    ctx = _ctx(data)
    outcomes = nurture.boxall_outcomes(ctx)
    frame = nurture.breakdown_table(ctx, outcomes, "school").frame
    assert list(frame.index) == ["Beta", nurture.OTHER_GROUPS, "Total"]
    assert frame["n"].tolist() == [7, 8, 15]
    assert not frame.isin([disclosure.SUPPRESSED]).any().any()
    assert "Gamma" not in frame.index
    analyst = nurture.breakdown_table(_ctx(data, "analyst"), outcomes, "school").frame
    assert list(analyst.index) == ["Alpha", "Beta", "Gamma", "Total"]


def test_no_breakdown_when_the_whole_cohort_is_too_small():
    data = _frame(4)
    ctx = _ctx(data)
    assert nurture.breakdown_table(ctx, nurture.boxall_outcomes(ctx), "school") is None
    assert "fewer than 5" in nurture.boxall_sentence(ctx, nurture.boxall_outcomes(ctx))


# ----------------------------------------------------------------------------- reliable change


def test_reliable_change_skipped_without_reliability():
    ctx = _ctx(_frame(10))
    changes = nurture.reliable_changes(ctx, nurture.boxall_settings(None, None))
    assert set(changes) == {"developmental", "diagnostic"}
    assert all(s.reason and "no reliability configured" in s.reason for s in changes.values())
    assert nurture.n_reliable_improvement(changes) is None
    assert "no Boxall reliability" in nurture.reliable_reason(changes)
    assert "measurement error" not in nurture.boxall_sentence(
        ctx, nurture.boxall_outcomes(ctx), changes
    )
    assert "not set" in nurture.settings_sentence(nurture.boxall_settings())


def test_reliable_change_counted_when_reliability_is_set():
    data = _frame(10)
    ctx = _ctx(data, audience="analyst")
    settings = nurture.boxall_settings({"developmental": 0.9, "diagnostic": 0.9})
    changes = nurture.reliable_changes(ctx, settings)
    assert all(s.reason is None for s in changes.values())
    expected = np.zeros(10, dtype=bool)
    for measure, higher in (("developmental", True), ("diagnostic", False)):
        pre = data[f"boxall_{measure}_pre"]
        table = stats.reliable_change(
            pre, data[f"boxall_{measure}_post"], pre.std(ddof=1), 0.9, higher_is_better=higher
        )
        expected |= (table["category"] == "improved").to_numpy()
    assert nurture.n_reliable_improvement(changes) == int(expected.sum())
    assert nurture.reliable_reason(changes) is None


def test_competence_range_from_parameters():
    settings = nurture.boxall_settings(None, {"developmental": [60, 136]})
    assert settings.competence_range == {"developmental": (60.0, 136.0)}
    data = _frame(10)
    (change,) = nurture.competence_changes(_ctx(data), settings)
    assert change.before == int((data["boxall_developmental_pre"] >= 60).sum())
    assert change.after == int((data["boxall_developmental_post"] >= 60).sum())
    assert nurture.competence_changes(_ctx(data), nurture.boxall_settings()) == []
    assert math.isclose(nurture.DAYS_PER_TERM, 121.75)
