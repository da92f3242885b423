"""dspl_eval.stats against values published by others (R, papers, statsmodels' R checks).

Each reference number is pasted with the call that produced it and where it was printed.
Nothing here compares the code with its own earlier output.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dspl_eval import stats
from dspl_eval.errors import StatisticsError

# R datasets::sleep, extra hours of sleep for 10 patients on drug 1 and drug 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Hollander & Wolfe (1973, p. 29) depression scale, R ?wilcox.test example:
# x = first visit, y = second visit (after treatment).
DEPRESSION_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
DEPRESSION_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]

# Lakens (2013) Front Psychol 4:863, Table 1: ten people rating two movies.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


@pytest.fixture(autouse=True)
def _no_warnings():
    """Any warning (numpy, scipy, pandas) escaping a statistic is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------- paired change


def test_paired_t_matches_r_sleep():
    # R tests/Examples/stats-Ex.Rout.save:
    # > t.test(extra ~ group, data = sleep, paired = TRUE)   # group 1 − group 2
    # t = -4.0621, df = 9, p-value = 0.002833
    # 95 percent confidence interval: -2.4598858 -0.7001142
    # mean difference -1.58
    # Ours is post − pre with pre = drug 1, post = drug 2, so the signs flip.
    r = stats.paired_change(SLEEP_1, SLEEP_2)
    assert r.n == 10 and r.n_unpaired == 0
    assert r.statistic == pytest.approx(4.0621, abs=5e-5)
    assert r.df == 9
    assert r.pvalue == pytest.approx(0.002833, abs=5e-7)
    assert r.mean_diff == pytest.approx(1.58, abs=1e-12)
    low, high = r.confidence_interval()
    assert low == pytest.approx(0.7001142, abs=5e-8)
    assert high == pytest.approx(2.4598858, abs=5e-8)
    assert r.reason is None


def test_paired_wilcoxon_matches_r_sleep_with_ties_and_a_zero():
    # > wilcox.test(extra ~ group, data = sleep, paired = TRUE)
    # Wilcoxon signed rank test with continuity correction
    # V = 0, p-value = 0.009091   (warnings: cannot compute exact p-value with ties/zeroes)
    # R's V is for group 1 − group 2; for group 2 − group 1 it is 9·10/2 − 0 = 45
    # (nine non-zero differences).
    r = stats.paired_change(SLEEP_1, SLEEP_2)
    assert r.wilcoxon_pvalue == pytest.approx(0.009091, abs=5e-7)
    assert r.wilcoxon_statistic == 45
    assert r.wilcoxon_method.startswith("normal approximation")


def test_wilcoxon_exact_matches_r_depression():
    # R ?wilcox.test: wilcox.test(x, y, paired = TRUE, alternative = "greater")
    # V = 40, p-value = 0.01953; two-sided exact p = 0.03906.
    # x is the first visit, so pre = y and post = x gives post − pre = x − y.
    r = stats.paired_change(DEPRESSION_Y, DEPRESSION_X)
    assert r.wilcoxon_statistic == 40
    assert r.wilcoxon_pvalue == pytest.approx(0.03906, abs=5e-6)
    assert r.wilcoxon_method == "exact"


def test_all_differences_equal_wilcoxon_matches_r_and_t_is_nan():
    # scipy's R check (scipy/stats/tests/test_morestats.py, test_wilcoxon_tie):
    # > wilcox.test(rep(0.1, 10), exact = FALSE, correct = TRUE)$p.value
    # [1] 0.001904195
    # R uses the normal approximation here anyway because every |difference| is tied.
    # The t-test is undefined (sd of differences 0): R's t.test stops with
    # "data are essentially constant"; we return NaN with a reason instead.
    r = stats.paired_change([0.0] * 10, [0.1] * 10)
    assert r.wilcoxon_pvalue == pytest.approx(0.001904195, abs=5e-10)
    assert math.isnan(r.statistic) and math.isnan(r.pvalue) and math.isnan(r.d_z)
    assert "every difference equals" in r.reason
    assert all(math.isnan(v) for v in r.confidence_interval())


def test_effect_sizes_match_lakens_2013():
    # Lakens (2013), worked example for Table 1: t(9) = 4.74, p = .001, d_z = 1.50,
    # d_av = 1.13, g_av = 1.08 (movie 1 rated higher than movie 2).
    r = stats.paired_change(MOVIE_2, MOVIE_1)
    assert r.statistic == pytest.approx(4.74, abs=0.005)
    assert r.df == 9
    assert round(r.pvalue, 3) == 0.001
    assert r.d_z == pytest.approx(1.50, abs=0.005)
    assert r.d_av == pytest.approx(1.13, abs=0.005)
    assert r.g_av == pytest.approx(1.08, abs=0.005)


def test_incomplete_pairs_dropped_and_counted():
    # The sleep data with three extra people lacking one score (None, NaN, pd.NA):
    # the complete pairs must still reproduce R's t.test on the sleep data.
    pre = [*SLEEP_1, None, 1.0, pd.NA]
    post = [*SLEEP_2, 2.0, np.nan, 3.0]
    r = stats.paired_change(pd.Series(pre, dtype=object), pd.Series(post, dtype=object))
    assert (r.n, r.n_unpaired) == (10, 3)
    assert r.statistic == pytest.approx(4.0621, abs=5e-5)


def test_to_frame_is_tidy_and_self_describing():
    frame = stats.paired_change(SLEEP_1, SLEEP_2).to_frame(confidence_level=0.95)
    assert len(frame) == 1
    expected = {"n", "n_unpaired", "mean_diff", "statistic", "pvalue", "d_z", "g_av"}
    expected |= {"wilcoxon_pvalue", "lower_ci", "upper_ci", "confidence_level", "method"}
    assert expected <= set(frame.columns)
    assert frame.loc[0, "upper_ci"] == pytest.approx(2.4598858, abs=5e-8)
    assert frame.loc[0, "method"] == "paired t-test"


@pytest.mark.parametrize(
    ("pre", "post", "n", "reason_part"),
    [
        ([], [], 0, "no complete pairs"),
        ([None, np.nan], [1.0, None], 0, "no complete pairs"),
        ([1.0], [2.0], 1, "only one complete pair"),
        ([1.0, 2.0], [1.0, 2.0], 2, "every difference is zero"),
    ],
)
def test_degenerate_paired_input_gives_nan_with_reason(pre, post, n, reason_part):
    r = stats.paired_change(pre, post)
    assert r.n == n
    assert math.isnan(r.pvalue) and math.isnan(r.wilcoxon_pvalue)
    assert reason_part in r.reason
    assert all(math.isnan(v) for v in r.confidence_interval())
    assert r.to_frame()["reason"].iloc[0] == r.reason


def test_differences_equal_up_to_rounding_count_as_constant():
    # R: t.test(c(0.2, 0.3, 0.4), c(0.1, 0.2, 0.3), paired = TRUE) stops with
    # "data are essentially constant": the differences are 0.1 only up to floating-point
    # rounding (stderr < 10 * .Machine$double.eps * |mean| in R's t.test.default).
    r = stats.paired_change([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    assert math.isnan(r.statistic) and "every difference equals" in r.reason


def test_two_pairs_is_computed_with_one_degree_of_freedom():
    # n = 2 differences 1 and 3: mean 2, sd √2, t = 2 / (√2 / √2) = 2 on 1 df;
    # two-sided p = 2·(1 − F_t1(2)) = 1 − (2/π)·atan(2) (Cauchy distribution).
    r = stats.paired_change([0.0, 0.0], [1.0, 3.0])
    assert r.statistic == pytest.approx(2.0)
    assert r.df == 1
    assert r.pvalue == pytest.approx(1 - 2 / math.pi * math.atan(2))


def test_paired_input_errors_are_clear():
    with pytest.raises(StatisticsError, match="one value per person"):
        stats.paired_change([1, 2, 3], [1, 2])
    with pytest.raises(StatisticsError, match="must hold numbers"):
        stats.paired_change(["a", "b"], [1, 2])
    with pytest.raises(StatisticsError, match="sequence"):
        stats.paired_change(3, 4)
    with pytest.raises(StatisticsError, match="confidence_level"):
        stats.paired_change(SLEEP_1, SLEEP_2).confidence_interval(95)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40)),
        min_size=3,
        max_size=25,
    ),
    st.integers(min_value=-50, max_value=50),
)
def test_paired_change_symmetries(pairs, shift):
    pre = np.array([p for p, _ in pairs], dtype=float)
    post = np.array([q for _, q in pairs], dtype=float)
    r = stats.paired_change(pre, post)
    swapped = stats.paired_change(post, pre)
    shifted = stats.paired_change(pre + shift, post + shift)
    assert swapped.mean_diff == pytest.approx(-r.mean_diff)
    assert shifted.mean_diff == pytest.approx(r.mean_diff)
    if not math.isnan(r.statistic):
        assert swapped.statistic == pytest.approx(-r.statistic)
        assert shifted.pvalue == pytest.approx(r.pvalue)
        low, high = r.confidence_interval()
        assert low <= r.mean_diff <= high
    if not math.isnan(r.wilcoxon_pvalue):
        assert swapped.wilcoxon_pvalue == pytest.approx(r.wilcoxon_pvalue)
        assert 0 <= r.wilcoxon_pvalue <= 1


# --------------------------------------------------------------------------- reliable change


def test_reliable_change_threshold_by_hand():
    # Jacobson & Truax (1991): SE = sd·√(1 − r) = 7.5·√0.2 = 3.3541;
    # S_diff = √2·SE = 4.7434; reliable when |change| > 1.96·4.7434 = 9.2971 points.
    assert stats.reliable_change_threshold(7.5, 0.80) == pytest.approx(9.2971, abs=5e-4)
    table = stats.reliable_change([50, 50, 50, 50], [59, 60, 41, 40], 7.5, 0.80)
    # change +9 → RCI 9 / 4.7434 = 1.897 (not reliable); +10 → 2.108 (improved);
    # −9 → −1.897; −10 → −2.108 (deteriorated when higher is better)
    assert table["rci"].tolist() == pytest.approx([1.8974, 2.1082, -1.8974, -2.1082], abs=5e-4)
    assert table["category"].tolist() == [
        "no reliable change",
        "improved",
        "no reliable change",
        "deteriorated",
    ]


def test_reliable_change_direction_for_difficulty_scores():
    # For a difficulties score (lower is better) a fall of 10 with SD 7.5, r .80 improves.
    table = stats.reliable_change(
        pd.Series([20.0, 20.0, None], index=["a", "b", "c"]),
        [10.0, 30.0, 5.0],
        sd=7.5,
        reliability=0.80,
        higher_is_better=False,
    )
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "category"] == "improved"
    assert table.loc["b", "category"] == "deteriorated"
    assert pd.isna(table.loc["c", "category"]) and math.isnan(table.loc["c", "rci"])


@pytest.mark.parametrize(("sd", "reliability"), [(0, 0.8), (-1, 0.8), (7.5, 1.0), (7.5, -0.1)])
def test_reliable_change_rejects_impossible_settings(sd, reliability):
    with pytest.raises(StatisticsError):
        stats.reliable_change([1, 2], [3, 4], sd, reliability)


# --------------------------------------------------------------------------- McNemar


def _table_to_flags(a: int, b: int, c: int, d: int) -> tuple[list[bool], list[bool]]:
    before = [True] * a + [True] * b + [False] * c + [False] * d
    after = [True] * a + [False] * b + [True] * c + [False] * d
    return before, after


def test_mcnemar_exact_matches_statsmodels_r_check():
    # statsmodels/stats/tests/test_contingency_tables.py (checked against R exact2x2):
    # table [[101, 70], [59, 33]]: exact McNemar p = 0.378688 (b = 70, c = 59).
    before, after = _table_to_flags(101, 70, 59, 33)
    r = stats.mcnemar(before, after)
    assert (r.a, r.b, r.c, r.d, r.n) == (101, 70, 59, 33, 263)
    assert r.pvalue == pytest.approx(0.378688, abs=5e-7)


def test_mcnemar_interval_is_r_clopper_pearson_transformed():
    # R ?binom.test: binom.test(682, 925, p = 3/4)
    # 95 percent confidence interval: 0.7076683 0.7654066
    # The conditional odds ratio b/c = 682/243 has limits p/(1 − p) of those.
    before, after = _table_to_flags(5, 682, 243, 5)
    r = stats.mcnemar(before, after)
    assert r.estimate == pytest.approx(682 / 243)
    low, high = r.confidence_interval()
    assert low == pytest.approx(0.7076683 / (1 - 0.7076683), rel=1e-6)
    assert high == pytest.approx(0.7654066 / (1 - 0.7654066), rel=1e-6)


def test_mcnemar_degenerate():
    r = stats.mcnemar([True, False, None], [True, False, True])
    assert (r.b, r.c, r.n, r.n_unpaired) == (0, 0, 2, 1)
    assert math.isnan(r.pvalue) and "no one changed" in r.reason
    empty = stats.mcnemar([], [])
    assert empty.n == 0 and math.isnan(empty.proportion_before) and empty.reason
    with pytest.raises(StatisticsError, match="yes/no"):
        stats.mcnemar(["yes"], [True])


# --------------------------------------------------------------------------- rate ratio


def test_rate_ratio_matches_r_poisson_test():
    # R ?poisson.test: poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878))
    # rate ratio 1.971488, 95 percent CI 0.8584264 4.2772659, p-value = 0.07967
    r = stats.rate_ratio(11, 800, 21, 3011)
    assert r.estimate == pytest.approx(1.971488, abs=5e-7)
    assert r.pvalue == pytest.approx(0.07967, abs=5e-6)
    low, high = r.confidence_interval()
    assert low == pytest.approx(0.8584264, abs=5e-8)
    assert high == pytest.approx(4.2772659, abs=5e-8)
    frame = r.to_frame()
    assert frame.loc[0, "lower_ci"] == pytest.approx(0.8584264, abs=5e-8)


def test_rate_ratio_sums_per_child_values():
    # The same totals split over children must give R's result above.
    r = stats.rate_ratio([5, 6, None], [400, 400, 10], [10, 11, 3], [1500, 1511, 10])
    assert (r.n, r.n_incomplete) == (2, 1)
    assert r.estimate == pytest.approx(1.971488, abs=5e-7)


def test_rate_ratio_degenerate():
    none = stats.rate_ratio(0, 6, 0, 6)
    assert math.isnan(none.estimate) and "no events" in none.reason
    zero = stats.rate_ratio(3, 0, 2, 6)
    assert math.isnan(zero.pvalue) and "exposure is zero" in zero.reason
    assert all(math.isnan(v) for v in zero.confidence_interval())
    with pytest.raises(StatisticsError, match="negative"):
        stats.rate_ratio(-1, 6, 2, 6)
    with pytest.raises(StatisticsError, match="whole numbers"):
        stats.rate_ratio(1.5, 6, 2, 6)


# --------------------------------------------------------------------------- proportions, Holm


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998) Stat Med 17:857, Table II, method 3 (Wilson score, no CC).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(k, n, low, high):
    got = stats.proportion_ci(k, n)
    assert isinstance(got, tuple)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


def test_proportion_ci_bad_input():
    with pytest.raises(StatisticsError, match="n is 0"):
        stats.proportion_ci(0, 0)
    with pytest.raises(StatisticsError, match="must not exceed"):
        stats.proportion_ci(5, 4)
    with pytest.raises(StatisticsError, match="whole number"):
        stats.proportion_ci(1.5, 4)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=500), st.data())
def test_wilson_contains_the_proportion(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = stats.proportion_ci(k, n)
    assert 0 <= low <= k / n <= high <= 1


def test_holm_matches_r_multtest():
    # R multtest / p.adjust(p, "holm") on these ten p-values.
    p = [0.001, 0.002, 0.003, 0.004, 0.005, 0.05, 0.06, 0.07, 0.08, 0.09]
    expected = [0.01, 0.018, 0.024, 0.028, 0.03, 0.25, 0.25, 0.25, 0.25, 0.25]
    assert stats.holm(p) == pytest.approx(expected, abs=1e-12)


def test_holm_matches_r_multtest_on_unsorted_p_values():
    # R multtest mt.rawp2adjp(pval0, "Holm"), as pasted in statsmodels'
    # statsmodels/stats/tests/test_multi.py (pval0 and res_multtest1, column "Holm"):
    # the ten raw p-values are given unsorted; R's table lists them sorted.
    pval0 = [0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309,
             0.71626938238, 0.177096952723, 5.23656777208e-005, 0.0202732688798,
             0.00028140506198, 0.0149877310796]  # fmt: skip
    r_sorted_raw = [5.2365677720800003e-05, 2.8140506198000000e-04, 1.4987731079600001e-02,
                    2.0273268879800001e-02, 1.7709695272300000e-01, 6.4219392379499995e-01,
                    6.8084594763299999e-01, 7.1626938238000004e-01, 8.3854136755300002e-01,
                    9.6783382430900000e-01]  # fmt: skip
    r_holm = [5.2365677720800005e-04, 2.5326455578199999e-03, 1.1990184863680001e-01,
              1.4191288215860001e-01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # fmt: skip
    got = stats.holm(pval0)
    order = np.argsort(pval0)
    assert np.asarray(pval0)[order] == pytest.approx(r_sorted_raw, rel=1e-15)
    assert got[order] == pytest.approx(r_holm, rel=1e-15)


def test_holm_keeps_order_index_and_missing_values():
    # R: p.adjust(c(0.04, NA, 0.01), "holm") → 0.04 NA 0.02 (NAs not counted as tests).
    got = stats.holm(pd.Series([0.04, None, 0.01], index=["x", "y", "z"], dtype=float))
    assert list(got.index) == ["x", "y", "z"]
    assert got["x"] == pytest.approx(0.04) and got["z"] == pytest.approx(0.02)
    assert math.isnan(got["y"])
    assert stats.holm([]).size == 0
    with pytest.raises(StatisticsError, match="between 0 and 1"):
        stats.holm([0.5, 1.2])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=20))
def test_holm_never_below_raw_and_keeps_ranks(p):
    adjusted = stats.holm(p)
    raw = np.asarray(p)
    assert np.all(adjusted >= raw - 1e-12) and np.all(adjusted <= 1)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= -1e-12)
