"""The fast paths in dspl_eval.stats give the same numbers as the straightforward code.

The published values (R output, papers) in ``tests/test_stats.py`` and
``tests/test_stats_issue11.py`` remain the primary checks. Here two cheaper rewrites are
compared with an independent or earlier implementation on many random inputs:

* :func:`dspl_eval.stats.holm` (own step-down, no ``gc.collect``) against statsmodels'
  ``multipletests(method="holm")``;
* the Hodges–Lehmann estimate and R-style asymptotic interval of
  :func:`dspl_eval.stats.signed_rank` (own average ranks, ``x`` sorted once) against a
  private copy of the previous implementation (``scipy.stats.rankdata`` on every call),
  kept below as the reference only.

No wall-clock times are asserted.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats import multitest

from dspl_eval import stats

# --------------------------------------------------------------------------- holm


def _holm_statsmodels(p: np.ndarray) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        out[present] = multitest.multipletests(p[present], method="holm")[1]
    return out


def test_holm_equals_statsmodels_multipletests_on_random_inputs_with_ties_and_nans(monkeypatch):
    # statsmodels' Holm branch calls gc.collect() (the reason holm no longer uses it);
    # make that a no-op for this test only, so the comparison stays cheap. It does not
    # touch the numbers.
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)
    rng = np.random.default_rng(20240611)
    for case in range(60):
        m = int(rng.integers(1, 40))
        if case % 3 == 0:  # heavy ties: few distinct values, including 0 and 1
            p = rng.choice([0.0, 0.001, 0.01, 0.02, 0.05, 0.2, 0.5, 1.0], size=m)
        elif case % 3 == 1:  # rounded, so some ties
            p = np.round(rng.uniform(size=m) ** 3, 3)
        else:
            p = rng.uniform(size=m) ** 4
        p[rng.uniform(size=m) < 0.2] = np.nan
        np.testing.assert_array_equal(stats.holm(p), _holm_statsmodels(p))
    np.testing.assert_array_equal(stats.holm([np.nan, np.nan]), [np.nan, np.nan])


# --------------------------------------------------------------------------- HL reference


def _old_w_asymp(x: np.ndarray, d: float, correct: bool) -> float:
    """The previous ``dspl_eval.stats._w_asymp``, verbatim (reference only)."""
    xd = x - d
    xd = xd[xd != 0]
    nx = xd.size
    if nx == 0:
        return math.nan
    ranks = sps.rankdata(np.abs(xd))
    zd = ranks[xd > 0].sum() - nx * (nx + 1) / 4
    _, ties = np.unique(ranks, return_counts=True)
    sigma = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - np.sum(ties**3 - ties) / 48)
    if sigma == 0:
        return math.nan
    correction = np.sign(zd) * 0.5 if correct else 0.0
    return float((zd - correction) / sigma)


def _old_root(f, low: float, high: float) -> float:
    """The previous ``dspl_eval.stats._root``, verbatim (reference only)."""
    f_low = f(low)
    for _ in range(200):
        mid = (low + high) / 2
        if high - low <= 1e-12 * max(1.0, abs(mid)):
            break
        f_mid = f(mid)
        if f_mid == 0:
            return mid
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return (low + high) / 2


def _old_estimate(x: np.ndarray) -> float:
    low_x, high_x = float(x.min()), float(x.max())
    if low_x == high_x:
        return low_x
    return _old_root(lambda d: _old_w_asymp(x, d, False), low_x, high_x)


def _old_interval(x: np.ndarray, level: float) -> tuple[float, float]:
    low_x, high_x = float(x.min()), float(x.max())
    w_min = _old_w_asymp(x, low_x, True)
    w_max = _old_w_asymp(x, high_x, True)
    if not (math.isfinite(w_min) and math.isfinite(w_max)):
        return (math.nan, math.nan)
    z = sps.norm.ppf(1 - (1 - level) / 2)
    if w_min - z < 0 or w_max + z > 0:
        return (math.nan, math.nan)
    lower = _old_root(lambda d: _old_w_asymp(x, d, True) - z, low_x, high_x)
    upper = _old_root(lambda d: _old_w_asymp(x, d, True) + z, low_x, high_x)
    return (float(lower), float(upper))


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


def _differences(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "integer":  # questionnaire totals: many ties and zero changes
        return rng.integers(-4, 7, n).astype(float)
    if kind == "halves":
        return np.round(rng.normal(0.8, 2.0, n) * 2) / 2
    if kind == "decimals":  # one-decimal scores: ties across signs, e.g. -0.3 and 0.3
        return np.round(rng.normal(0.3, 1.0, n), 1)
    d = rng.normal(0.5, 1.5, n)  # continuous, with some exact zeros
    d[rng.uniform(size=n) < 0.1] = 0.0
    return d


SIZES = [5, 6, 7, 9, 12, 15, 20, 25, 30, 30, 40, 49, 50, 64, 100, 250, 3000]
KINDS = ["integer", "halves", "decimals", "continuous"]


@pytest.mark.parametrize("kind", KINDS)
def test_w_statistic_is_the_same_float_as_ranking_with_rankdata(kind):
    rng = np.random.default_rng(11)
    for n in (5, 8, 30, 77, 400):
        x = _differences(rng, n, kind)
        x = x[x != 0]
        walsh = stats._walsh(x)
        shifts = np.concatenate(
            [x, walsh[:: max(1, walsh.size // 50)], rng.uniform(x.min(), x.max(), 30)]
        )
        for correct in (True, False):
            fast = stats._w_asymp_of(x, correct)
            for d in shifts:
                old = _old_w_asymp(x, float(d), correct)
                new = fast(float(d))
                assert (math.isnan(old) and math.isnan(new)) or new == old, (n, d, correct)
                assert stats._w_asymp(x, float(d), correct) == new or math.isnan(new)


def test_w_statistic_falls_back_to_rankdata_for_infinite_values():
    x = np.array([-2.0, 1.0, 1.0, np.inf])
    for d in (0.5, 1.0, 3.0):
        assert stats._w_asymp(x, d, True) == _old_w_asymp(x, d, True)
    assert math.isnan(stats._w_asymp(np.array([1.0, 1.0]), 1.0, True))


@pytest.mark.parametrize("kind", KINDS)
def test_hodges_lehmann_estimate_and_interval_equal_the_previous_implementation(kind):
    rng = np.random.default_rng(20240611 + KINDS.index(kind))
    checked = 0
    for n in SIZES:
        pre = np.round(rng.normal(20, 5, n), 1)
        post = pre + _differences(rng, n, kind)
        r = stats.signed_rank(pre, post)
        if r.method != "normal approximation with continuity correction":
            continue  # the exact branch (Walsh averages) was not changed
        x = np.asarray(r._nonzero)
        assert _same(r.estimate, _old_estimate(x)), (kind, n)
        for level in (0.95, stats.bonferroni_level(9)):
            new, old = r.confidence_interval(level), _old_interval(x, level)
            assert _same(new[0], old[0]) and _same(new[1], old[1]), (kind, n, level, new, old)
        checked += 1
    assert checked >= 10
