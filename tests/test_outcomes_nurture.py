"""Tests of the nurture report's outcomes on small hand-made processed frames.

Statistics are checked against values worked by hand or by an independent route (scipy's
binomial test for R ``poisson.test``'s algorithm, R ``survfit`` output pasted beside the
numbers). Leak tests build frames with ``reporting.from_frame`` in which a group of 1 to 4
children exists, and check that no rendered output (a table's frame, a sentence, a chart's
data or alt text) shows it or lets it be worked out (a total minus its parts).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from dspl_eval import disclosure
from dspl_eval.outcomes import nurture
from dspl_eval.reporting import Context, coverage_sentence, from_frame

C = disclosure.SUPPRESSED
NOTEBOOK = Path(__file__).resolve().parents[1] / "dspl_eval" / "notebooks" / "nurture.ipynb"
SUMMER = "2023-24-summer"  # last day 31 August 2024
AUTUMN = "2023-24-autumn"  # last day 31 December 2023
DAYS_PER_MONTH = 365.25 / 12


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


def _ctx(
    data: pd.DataFrame, audience: str = "commissioner", threshold: int = 5, term: str = SUMMER
) -> Context:
    return from_frame("nurture", data, audience, threshold, term)


def _numbers_next_to_people(text: str) -> list[int]:
    """Whole numbers directly before a people word (``3 children``, ``1 child``)."""
    return [int(m) for m in re.findall(r"\b(\d+) (?:children|child)\b", text)]


def _no_small_numbers(text: str, threshold: int = 5) -> None:
    small = [n for n in _numbers_next_to_people(text) if 0 < n < threshold]
    assert not small, (small, text)


# ----------------------------------------------------------------------------- Boxall


def test_diagnostic_fall_is_an_improvement_with_a_positive_g_av():
    data = _frame(10, boxall_developmental_post=np.linspace(40, 80, 10) - 8 - np.arange(10) % 3)
    ctx = _ctx(data)
    developmental, diagnostic = nurture.boxall_outcomes(ctx)
    assert developmental.scale == diagnostic.scale == "interval"
    assert diagnostic.primary_test == "paired t"
    assert diagnostic.result.mean_diff < 0  # post − pre: the score fell
    assert nurture.verdict(diagnostic) == "improved"
    assert nurture.verdict(developmental) == "worsened"
    # g_av by hand (Lakens 2013): mean change / mean of the two SDs, Hedges-corrected,
    # signed so that + is an improvement (diagnostic: lower is better).
    pre, post = data["boxall_diagnostic_pre"], data["boxall_diagnostic_post"]
    d_av = (post - pre).mean() / ((pre.std(ddof=1) + post.std(ddof=1)) / 2)
    g_av = -d_av * (1 - 3 / (4 * 20 - 9))
    assert g_av > 0
    assert diagnostic.effect.g == pytest.approx(g_av)
    assert developmental.effect.g < 0
    sentence = nurture.section_sentence(ctx, diagnostic)
    assert "improved" in sentence and "fell" in sentence and "lower is better" in sentence
    assert f"effect size g_av {g_av:.2f}" in sentence and "positive = improvement" in sentence
    headline = nurture.boxall_sentence(ctx, [developmental, diagnostic])
    assert "developmental strands worsened, falling" in headline
    assert "diagnostic profile improved, falling" in headline
    assert "No reliable-change index is given" in headline


def test_no_clear_change_when_the_interval_includes_zero():
    pre = np.array([50.0, 60, 70, 80, 90, 55])
    post = pre + np.array([3, -3, 2, -2, 1, -1])
    data = _frame(6, boxall_diagnostic_pre=pre, boxall_diagnostic_post=post)
    diagnostic = nurture.boxall_outcomes(_ctx(data))[1]
    assert nurture.verdict(diagnostic) == "showed no clear change"


def test_cluster_table_names_its_test_and_family_and_the_forest_is_signed_as_improvement():
    pre = np.array([10.0, 12, 14, 16, 18, 20])
    data = _frame(
        6,
        boxall_self_limiting_features_pre=pre,
        boxall_self_limiting_features_post=pre - [2, 3, 2, 4, 3, 2],
    )
    ctx = _ctx(data)
    (cluster,) = nurture.cluster_outcomes(ctx)
    assert cluster.result.mean_diff == pytest.approx(-16 / 6)
    assert "lower is better" in cluster.label
    frame = nurture.cluster_table(ctx, [cluster]).frame
    assert "p (paired t, Holm over 1 Boxall clusters)" in frame.columns
    assert frame["n"].iloc[0] == 6
    assert float(frame.iloc[0, list(frame.columns).index(nurture.rp.EFFECT_COLUMN)].split()[0]) > 0


def test_boxall_sections_of_fewer_than_threshold_show_nothing():
    data = _frame(4)
    ctx = _ctx(data)
    outcomes = nurture.boxall_outcomes(ctx)
    assert "fewer than 5" in nurture.boxall_sentence(ctx, outcomes)
    frame = nurture.rp.outcome_table(ctx, outcomes).frame
    assert (frame["n"] == C).all()
    assert (frame["Before (mean)"] == C).all()


# ----------------------------------------------------------------------------- reliable change


def test_no_reliable_change_index_by_default_and_no_cost_per_outcome():
    ctx = _ctx(_frame(10))
    norms = nurture.boxall_norms(nurture.boxall_settings(None, None))
    assert not any(n.available for n in norms.values())
    changes = nurture.reliable_changes(ctx, norms)
    assert set(changes) == {"developmental", "diagnostic"}
    assert all("no reliable change index is given" in s.reason for s in changes.values())
    assert nurture.reliable_improvement(ctx, changes) is None
    assert "no reliable-change index" in nurture.reliable_reason(changes)
    # reliability alone (no published norm SD) still gives no index: the cohort's SD is
    # never used, so the threshold cannot move from term to term
    only_r = nurture.boxall_norms(nurture.boxall_settings({"developmental": 0.9}))
    assert not only_r["developmental"].available
    assert "none given" in nurture.settings_sentence(nurture.boxall_settings(), norms)


def test_reliable_change_with_published_inputs_has_a_fixed_threshold():
    settings = nurture.boxall_settings({"developmental": 0.9, "diagnostic": 0.9})
    norms = nurture.boxall_norms(settings, {"developmental": 15.0, "diagnostic": 15.0})
    threshold = 1.96 * 15.0 * math.sqrt(2 * (1 - 0.9))  # 13.15 points, any cohort
    data = _frame(10)
    data.loc[:4, "boxall_developmental_post"] = data.loc[:4, "boxall_developmental_pre"] + 20
    data["boxall_diagnostic_post"] = data["boxall_diagnostic_pre"] - 5  # not reliable
    ctx = _ctx(data, audience="analyst")
    changes = nurture.reliable_changes(ctx, norms)
    assert changes["developmental"].threshold == pytest.approx(threshold)
    other = nurture.reliable_changes(_ctx(_frame(12), audience="analyst"), norms)
    assert other["developmental"].threshold == pytest.approx(threshold)
    # improved by more than 13.15 on at least one section: children 0-4 (+20 developmental)
    improved = nurture.reliable_improvement(ctx, changes)
    assert improved == ctx.members(data.index[:5])
    assert nurture.reliable_reason(changes) is None


# ----------------------------------------------------------------------------- return to class

# R: aml (survival package), x = Maintained, times in weeks; status 0 = censored.
AML_WEEKS = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
# summary(survfit(Surv(time, status) ~ x, data = aml)), x=Maintained:
#  time n.risk n.event survival std.err lower 95% CI upper 95% CI
#     9     11       1    0.909  0.0867       0.7541        1.000
#    13     10       1    0.818  0.1163       0.6192        1.000
#    18      8       1    0.716  0.1397       0.4884        1.000
#    23      7       1    0.614  0.1526       0.3769        0.999
#    31      5       1    0.491  0.1642       0.2549        0.946
#    34      4       1    0.368  0.1627       0.1549        0.875
# print(survfit(...)): median 31.
AML_R = [
    (9, 11, 0.909, 0.7541, 1.000),
    (13, 10, 0.818, 0.6192, 1.000),
    (18, 8, 0.716, 0.4884, 1.000),
    (23, 7, 0.614, 0.3769, 0.999),
    (31, 5, 0.491, 0.2549, 0.946),
    (34, 4, 0.368, 0.1549, 0.875),
]


def _aml_frame() -> pd.DataFrame:
    """Eleven children whose time from joining to return (or to the term's end, still
    attending) is the aml 'Maintained' time in weeks, as days (× 7)."""
    end = pd.Timestamp("2024-08-31")
    joined, returned, flag = [], [], []
    for weeks, event in zip(AML_WEEKS, AML_EVENT, strict=True):
        days = pd.Timedelta(days=7 * weeks)
        if event:
            start = end - days - pd.Timedelta(days=10)
            joined.append(start)
            returned.append(start + days)
        else:
            joined.append(end - days)
            returned.append(pd.NaT)
        flag.append(bool(event))
    return _frame(
        11,
        date_joined=pd.to_datetime(joined),
        returned_date=pd.to_datetime(returned),
        returned_full_time=pd.array(flag, dtype="boolean"),
    )


def test_return_to_class_kaplan_meier_matches_r_survfit_with_children_still_attending():
    data = _aml_frame()
    ctx = _ctx(data, audience="analyst")
    horizons = [7 * w / nurture.DAYS_PER_TERM for w, *_ in AML_R]
    r = nurture.return_to_class(ctx, horizons=horizons)
    table = r.km.table
    for i, (_, n_risk, surv, low, high) in enumerate(AML_R):
        assert table.loc[i, "n_at_risk"] == n_risk
        if n_risk < 5:  # min_at_risk = the threshold: no estimate
            assert not table.loc[i, "estimable"]
            continue
        assert table.loc[i, "estimate"] == pytest.approx(1 - surv, abs=5e-4)
        assert table.loc[i, "upper_ci"] == pytest.approx(1 - low, abs=5e-4)
        assert table.loc[i, "lower_ci"] == pytest.approx(1 - high, abs=5e-4)
    assert r.km.median == pytest.approx(7 * 31 / nurture.DAYS_PER_TERM)
    # the still-attending are censored, not dropped: all 11 are analysed
    assert r.km.n == 11 and len(r.groups["still attending"]) == 4
    km = nurture.km_table(ctx, r).frame
    assert km["Share returned (Kaplan–Meier, 95% CI)"].iloc[-1] == disclosure.NOT_AVAILABLE
    assert "fewer than 5" in km["Note"].iloc[-1]
    sentence = nurture.return_sentence(ctx, r)
    assert "4 children are still attending a group" in sentence
    assert f"median time to return was {7 * 31 / nurture.DAYS_PER_TERM:.1f} terms" in sentence


def test_return_to_class_times_by_hand_with_a_child_who_left():
    # joined 4 Sep 2023; term ends 31 Aug 2024 (362 days = 2.97 terms)
    data = _frame(
        6,
        returned_full_time=pd.array([True, True, False, False, False, None], dtype="boolean"),
        returned_date=pd.to_datetime(["2024-01-02", "2024-05-01", None, None, None, None]),
        date_left=pd.to_datetime([None, None, "2024-02-01", None, None, None]),
    )
    r = nurture.return_to_class(_ctx(data, audience="analyst"))
    joined = pd.Timestamp("2023-09-04")
    expected = [
        (pd.Timestamp("2024-01-02") - joined).days,
        (pd.Timestamp("2024-05-01") - joined).days,
        (pd.Timestamp("2024-02-01") - joined).days,  # left: censored at leaving
        *[(pd.Timestamp("2024-08-31") - joined).days] * 3,  # still attending
    ]
    assert r.times["terms"].tolist() == pytest.approx([d / 121.75 for d in expected])
    assert r.times["returned"].tolist() == [True, True, False, False, False, False]
    assert list(r.times["status"])[2] == "left without returning"


def _rendered(ctx: Context, r) -> tuple[pd.DataFrame, str, object]:
    sentence = nurture.return_sentence(ctx, r)
    shown = nurture.return_table(ctx, r)
    chart = nurture.return_chart(ctx, shown)
    return shown.frame, sentence, chart


def test_a_small_group_left_without_returning_cannot_be_seen_or_worked_out():
    n = 20
    left = [None] * n
    left[0] = left[1] = "2024-02-01"  # 2 left without returning
    flag = [True] * 8 + [False] * 12
    dates = ["2024-03-01"] * 8 + [None] * 12
    data = _frame(
        n,
        returned_full_time=pd.array(flag, dtype="boolean"),
        returned_date=pd.to_datetime(dates),
        date_left=pd.to_datetime(left),
    )
    data.loc[:1, "returned_full_time"] = False
    data.loc[:1, "returned_date"] = pd.NaT
    ctx = _ctx(data)
    r = nurture.return_to_class(ctx)
    frame, sentence, chart = _rendered(ctx, r)
    column = frame.columns[0]
    assert frame.loc["Left the group without returning", column] == C
    numeric = [v for v in frame[column] if v != C]
    # total = returned + still + left: with left hidden, one more cell must be hidden
    assert len(numeric) <= len(frame) - 2
    _no_small_numbers(sentence)
    assert " 2 " not in sentence
    rows = chart.data.to_numpy().ravel().tolist()
    assert 2 not in rows
    assert " 2" not in chart.alt
    analyst = nurture.return_table(_ctx(data, audience="analyst"), r).frame
    assert analyst.loc["Left the group without returning", column] == 2


def test_kaplan_meier_estimate_withheld_when_the_number_returned_by_then_is_small():
    # 12 children still attending for a year, 3 returned within 2 terms
    data = _frame(
        15,
        date_joined=pd.to_datetime(["2023-09-01"] * 15),
        returned_full_time=pd.array([True] * 3 + [False] * 12, dtype="boolean"),
        returned_date=pd.to_datetime(["2023-12-01"] * 3 + [None] * 12),
    )
    ctx = _ctx(data)
    r = nurture.return_to_class(ctx)
    km = nurture.km_table(ctx, r).frame
    two = km.loc["2 terms"]
    assert two["Returned by then"] == C
    assert two["Share returned (Kaplan–Meier, 95% CI)"] == C  # 3 / 15 = 20% would give 3
    sentence = nurture.return_sentence(ctx, r)
    assert "20%" not in sentence
    _no_small_numbers(sentence)
    analyst = _ctx(data, audience="analyst")
    assert (
        nurture.km_table(analyst, nurture.return_to_class(analyst))
        .frame.loc["2 terms", "Share returned (Kaplan–Meier, 95% CI)"]
        .startswith("20%")
    )


# ----------------------------------------------------------------------------- suspensions


def _suspension_frame() -> pd.DataFrame:
    """Autumn 2023 (last day 31 December): 6-month windows after joining are cut short."""
    joined = [
        "2023-06-01",  # whole 6 months observed (to 1 Dec 2023)
        "2023-06-15",  # whole window (to 14 Dec)
        "2023-06-20",
        "2023-07-01",  # window end 31 Dec 2023 ~ term end
        "2023-09-04",  # cut at term end
        "2023-09-04",
        "2023-10-01",
        "2023-11-01",
        "2023-12-01",
        "2023-12-31",  # joined on the term's last day: no follow-up yet
    ]
    return _frame(
        10,
        date_joined=pd.to_datetime(joined),
        suspensions_before=pd.array([2, 1, 0, 3, 0, 1, 4, 0, 2, 1], dtype="Int64"),
        suspensions_after=pd.array([1, 0, 0, 1, 0, 0, 2, 1, 0, 0], dtype="Int64"),
    )


def test_rate_ratio_uses_the_months_observed_and_equals_r_poisson_test_on_the_totals():
    data = _suspension_frame()
    ctx = _ctx(data, audience="analyst", term=AUTUMN)
    s = nurture.suspension_change(ctx, window_months=6.0)
    end = pd.Timestamp("2023-12-31")
    window = pd.Timedelta(days=6 * DAYS_PER_MONTH)
    months = [
        (min(j + window, end) - j).total_seconds() / 86400 / DAYS_PER_MONTH
        for j in data["date_joined"]
    ]
    used = [m > 0 for m in months]
    assert used == [True] * 9 + [False]
    t1 = sum(m for m, u in zip(months, used, strict=True) if u)
    t2 = 6.0 * sum(used)
    x1 = int(data.loc[used, "suspensions_after"].sum())
    x2 = int(data.loc[used, "suspensions_before"].sum())
    r = s.rate
    assert (r.events_after, r.events_before) == (x1, x2) == (5, 13)
    assert r.exposure_after == pytest.approx(t1)
    assert r.exposure_before == pytest.approx(t2)
    # R: poisson.test(c(x1, x2), c(t1, t2)) — conditional binomial test and its
    # Clopper–Pearson interval mapped to the rate ratio (scipy, independently of stats)
    assert r.estimate == pytest.approx((x1 / t1) / (x2 / t2))
    p = t1 / (t1 + t2)
    test = sps.binomtest(x1, x1 + x2, p)
    assert r.pvalue == pytest.approx(test.pvalue)
    ci = test.proportion_ci(0.95, method="exact")
    odds = [v / (1 - v) * t2 / t1 for v in (ci.low, ci.high)]
    assert r.confidence_interval() == pytest.approx(odds)
    # the robust (GEE) estimate is the pooled rate ratio, with its own interval
    assert s.robust.estimate == pytest.approx(r.estimate)
    assert s.no_follow_up == ctx.members(data.index[[9]])
    # "any suspension" only where the whole window after joining was observed
    full = [
        (min(j + window, end) - j) >= window - pd.Timedelta(hours=12) for j in data["date_joined"]
    ]
    assert s.any.n == ctx.members(data.index[full])
    sentence = nurture.suspension_sentence(ctx, s)
    assert f"{t2:,.1f} child-months before joining and {t1:,.1f} child-months after" in sentence
    assert "1 child has no follow-up yet" in sentence
    frame = nurture.suspension_table(ctx, s).frame
    assert frame["Rate ratio (after ÷ before)"].iloc[0] == f"{r.estimate:.2f}"


def test_old_equal_windows_would_differ_from_the_observed_months():
    """The bias of issue 11: giving every child 6 months after overstates the exposure."""
    data = _suspension_frame()
    s = nurture.suspension_change(_ctx(data, audience="analyst", term=AUTUMN))
    assert s.rate.exposure_after < s.rate.exposure_before
    naive = (s.rate.events_after / s.rate.exposure_before) / (
        s.rate.events_before / s.rate.exposure_before
    )
    assert s.rate.estimate > naive


def test_suspension_figures_hidden_when_an_event_count_is_small():
    data = _frame(
        8,
        suspensions_before=pd.array([1, 1, 1, 1, 1, 1, 0, 0], dtype="Int64"),
        suspensions_after=pd.array([1, 0, 0, 0, 0, 0, 0, 0], dtype="Int64"),
    )
    ctx = _ctx(data, term=SUMMER)
    s = nurture.suspension_change(ctx)
    frame = nurture.suspension_table(ctx, s).frame
    for column in (
        "Suspensions after",
        "Rate ratio (after ÷ before)",
        "95% CI (exact)",
        "p (exact conditional test)",
        "95% CI (robust, per child)",
        "Child-months after",
    ):
        assert frame[column].iloc[0] == C, column
    assert "too small" in nurture.suspension_sentence(ctx, s)
    analyst = _ctx(data, audience="analyst", term=SUMMER)
    shown = nurture.suspension_table(analyst, nurture.suspension_change(analyst)).frame
    assert shown["Suspensions after"].iloc[0] == 1


def test_child_months_are_withheld_when_they_would_give_a_small_n_away():
    # 3 children observed after joining: 6 × 3 = 18 child-months before would reveal 3
    data = _frame(
        12,
        date_joined=pd.to_datetime(["2023-06-01"] * 3 + ["2023-12-31"] * 9),
        suspensions_before=pd.array([3, 2, 4] + [1] * 9, dtype="Int64"),
        suspensions_after=pd.array([2, 3, 1] + [0] * 9, dtype="Int64"),
    )
    ctx = _ctx(data, term=AUTUMN)
    s = nurture.suspension_change(ctx)
    sentence = nurture.suspension_sentence(ctx, s)
    frame = nurture.suspension_table(ctx, s).frame
    assert frame["n"].iloc[0] == C
    assert frame["Child-months before"].iloc[0] == C
    assert "18.0" not in sentence and "18.0" not in frame.to_string()
    _no_small_numbers(sentence)


def test_a_small_no_follow_up_group_is_not_derivable_from_everyone_minus_the_observed():
    # 2 children joined on the term's last day; coverage publishes everyone first
    data = _frame(
        20,
        date_joined=pd.to_datetime(["2023-09-04"] * 18 + ["2023-12-31"] * 2),
        suspensions_before=pd.array([1] * 20, dtype="Int64"),
        suspensions_after=pd.array([1] * 20, dtype="Int64"),
    )
    ctx = _ctx(data, term=AUTUMN)
    ctx.validation = {"files": []}
    cover = coverage_sentence(ctx)
    assert "20 children" in cover
    s = nurture.suspension_change(ctx)
    sentence = nurture.suspension_sentence(ctx, s)
    frame = nurture.suspension_table(ctx, s).frame
    assert frame["No follow-up yet"].iloc[0] == C
    assert frame["n"].iloc[0] == C  # else 20 − 18 = 2
    assert "18 children" not in sentence
    _no_small_numbers(sentence)


def test_suspension_window_must_be_positive():
    from dspl_eval.errors import ConfigError

    with pytest.raises(ConfigError, match="suspension_window_months"):
        nurture.suspension_change(_ctx(_frame(5)), window_months=0)


# ----------------------------------------------------------------------------- breakdowns


def test_school_breakdown_merges_a_small_school_and_leaves_nothing_to_subtract():
    schools = ["Alpha"] * 6 + ["Beta"] * 7 + ["Gamma"] * 2
    data = _frame(15, school=schools)
    ctx = _ctx(data)
    outcomes = nurture.boxall_outcomes(ctx)
    frame = nurture.rp.breakdown(ctx, outcomes, "school").frame
    assert "Gamma" not in frame.index
    counts = [c for c in frame.columns if c.startswith("n")]
    for column in counts:
        values = [v for v in frame[column] if v != C]
        assert all(v == 0 or v >= 5 for v in values)
        if C not in list(frame[column]):
            assert sum(frame[column].drop(index="Total")) == frame.loc["Total", column]


def test_breakdown_leaves_out_a_group_column_that_repeats_the_school():
    data = _frame(10, school=["A"] * 5 + ["B"] * 5, group_name=["N1"] * 5 + ["N2"] * 5)
    assert "group_name" not in nurture.rp.breakdown_columns(_ctx(data), nurture.GROUPINGS)
    data["group_name"] = ["N1", "N2"] * 5
    assert "group_name" in nurture.rp.breakdown_columns(_ctx(data), nurture.GROUPINGS)


# ----------------------------------------------------------------------------- competence


def test_competence_range_from_parameters():
    settings = nurture.boxall_settings(None, {"developmental": [60, 136]})
    assert settings.competence_range == {"developmental": (60.0, 136.0)}
    data = _frame(10)
    (change,) = nurture.competence_changes(_ctx(data), settings)
    assert len(change.before) == int((data["boxall_developmental_pre"] >= 60).sum())
    assert len(change.after) == int((data["boxall_developmental_post"] >= 60).sum())
    assert nurture.competence_changes(_ctx(data), nurture.boxall_settings()) == []
    assert math.isclose(nurture.DAYS_PER_TERM, 121.75)


# ----------------------------------------------------------------------------- the notebook


def test_notebook_is_a_narrative_with_parameters_and_ends_with_finish():
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    for cell in code:
        source = "".join(cell["source"])
        assert not cell.get("outputs"), "commit the notebook without outputs"
        assert not re.search(r"^\s*(def|class|for|while)\b", source, re.M), source
        assert "rp.protect" not in source
    assert "rp.finish(ctx, headlines," in "".join(code[-1]["source"])
