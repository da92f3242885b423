"""Statistics for before/after evaluations, checked against published values.

Plain functions over array-likes (lists, NumPy arrays, pandas Series; missing values may
be ``NaN``, ``None`` or ``pd.NA``) returning small frozen result objects in the style of
``scipy.stats``: each has ``.confidence_interval(confidence_level=0.95)`` where a
confidence interval makes sense and ``.to_frame()`` giving a tidy one-row table with
``lower_ci``, ``upper_ci``, ``confidence_level`` and ``method`` columns, so an exported
table explains itself.

The arithmetic is done by SciPy and statsmodels; this module chooses the method,
handles missing values and small samples, and says in words (``reason``) when a number
cannot be computed. Input that makes no sense at all (negative counts, a reliability of
1, probabilities above 1) raises :class:`dspl_eval.errors.StatisticsError`.

Every figure here is tested against a value published by someone else (R, papers,
statsmodels' R-checked tests): see ``tests/test_stats.py``.

References
----------
Jacobson, N. S. and Truax, P. (1991). Clinical significance: a statistical approach to
defining meaningful change in psychotherapy research. *J Consult Clin Psychol* 59:12-19.

Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
science: a practical primer for t-tests and ANOVAs. *Front Psychol* 4:863.

Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
comparison of seven methods. *Stat Med* 17:857-872.

Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand J
Stat* 6:65-70.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from dspl_eval.errors import StatisticsError

__all__ = [
    "RCI_CRITICAL",
    "RELIABLE_CHANGE_CATEGORIES",
    "McNemarResult",
    "PairedChange",
    "RateRatio",
    "holm",
    "mcnemar",
    "paired_change",
    "proportion_ci",
    "rate_ratio",
    "reliable_change",
    "reliable_change_threshold",
]

NAN = float("nan")

#: Critical value of the reliable change index (Jacobson & Truax 1991): |RCI| > 1.96.
RCI_CRITICAL = 1.96

#: Categories of :func:`reliable_change`, best first.
RELIABLE_CHANGE_CATEGORIES = ("improved", "no reliable change", "deteriorated")

#: R's ``wilcox.test`` uses the exact distribution below this many non-zero differences.
_WILCOXON_EXACT_BELOW = 50


# --------------------------------------------------------------------------- helpers


def _check_confidence_level(confidence_level: float) -> float:
    try:
        level = float(confidence_level)
    except (TypeError, ValueError):
        level = NAN
    if not 0 < level < 1:
        raise StatisticsError(
            f"confidence_level must be strictly between 0 and 1, got {confidence_level!r}"
        )
    return level


def _as_series(values: Any, name: str) -> pd.Series:
    """A one-dimensional Series of ``values`` (index kept when it already is one)."""
    if isinstance(values, pd.Series):
        return values
    if values is None or isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        raise StatisticsError(f"{name} must be a sequence of values, got {values!r}")
    if isinstance(values, pd.DataFrame) or np.ndim(values) > 1:
        raise StatisticsError(f"{name} must be one-dimensional (one value per person)")
    if isinstance(values, (np.ndarray, pd.Index, pd.api.extensions.ExtensionArray)):
        return pd.Series(values)
    return pd.Series(list(values), dtype=object)


def _to_float(values: Any, name: str) -> np.ndarray:
    """Numbers as a float array with NaN for missing (None, NaN, pd.NA)."""
    series = _as_series(values, name)
    try:
        numbers = pd.to_numeric(series, errors="raise")
    except (ValueError, TypeError) as exc:
        raise StatisticsError(f"{name} must hold numbers: {exc}") from None
    return np.asarray(numbers.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _to_flag(values: Any, name: str) -> np.ndarray:
    """Booleans (True/False or 1/0) as a float array of 1.0/0.0 with NaN for missing."""
    series = _as_series(values, name)
    out = np.full(len(series), np.nan)
    for i, value in enumerate(series.tolist()):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, (bool, np.bool_)) or value in (0, 1):
            out[i] = float(value)
        else:
            raise StatisticsError(
                f"{name} must hold yes/no values (True/False or 1/0), got {value!r} at position {i}"
            )
    return out


def _paired(pre: Any, post: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    a, b = _to_float(pre, names[0]), _to_float(post, names[1])
    if a.shape != b.shape:
        raise StatisticsError(
            f"{names[0]} and {names[1]} must have one value per person each, "
            f"got {a.size} and {b.size} values"
        )
    return a, b


def _frame(result: Any, confidence_level: float | None) -> pd.DataFrame:
    """Tidy one-row table of a result's public fields (+ CI columns)."""
    row = {f.name: getattr(result, f.name) for f in fields(result) if not f.name.startswith("_")}
    if confidence_level is not None:
        low, high = result.confidence_interval(confidence_level)
        row |= {"lower_ci": low, "upper_ci": high, "confidence_level": confidence_level}
    else:
        row |= {"lower_ci": NAN, "upper_ci": NAN, "confidence_level": NAN}
    method, reason = row.pop("method"), row.pop("reason")
    row |= {"method": method, "reason": reason}
    return pd.DataFrame([row])


# --------------------------------------------------------------------------- paired change


@dataclass(frozen=True)
class PairedChange:
    """Change from ``pre`` to ``post`` in the same people (result of :func:`paired_change`).

    Attributes
    ----------
    n : int
        Complete pairs used (both ``pre`` and ``post`` present).
    n_unpaired : int
        People with only one of the two scores (dropped, reported).
    mean_pre, mean_post : float
        Means of the complete pairs.
    sd_pre, sd_post : float
        Sample standard deviations (ddof = 1) of the complete pairs.
    mean_diff : float
        Mean of ``post - pre``.
    sd_diff : float
        Sample standard deviation of ``post - pre``.
    statistic : float
        Paired t statistic, ``mean_diff / (sd_diff / sqrt(n))`` (``scipy.stats.ttest_rel``).
    df : float
        Degrees of freedom, ``n - 1``.
    pvalue : float
        Two-sided p-value of the paired t-test.
    d_z : float
        ``mean_diff / sd_diff`` (Lakens 2013, eq. 6).
    d_av : float
        ``mean_diff / ((sd_pre + sd_post) / 2)`` (Lakens 2013, eq. 10).
    g_av : float
        ``d_av * (1 - 3 / (4 * (n + n) - 9))``: Hedges' correction as Lakens applies it
        with n₁ = n₂ = n (it reproduces his worked example).
    wilcoxon_statistic : float
        R's ``V``: the sum of the ranks of the positive differences ``post - pre``
        (zeros dropped, mid-ranks for ties), as ``wilcox.test(post, pre, paired = TRUE)``.
    wilcoxon_pvalue : float
        Two-sided p-value of the Wilcoxon signed-rank test.
    wilcoxon_method : str
        ``"exact"`` when there are fewer than 50 non-zero differences and no ties or
        zeros, otherwise ``"normal approximation with continuity correction"``: R's rule,
        so the p-values match R (SciPy computes both).
    method : str
        ``"paired t-test"``.
    reason : str or None
        Why some figures are NaN (too few pairs, all differences equal), else None.

    Notes
    -----
    ``.confidence_interval(confidence_level=0.95)`` gives the t-based interval for the
    mean difference, ``mean_diff ± t(1 - α/2, n - 1) · sd_diff / sqrt(n)``.

    Tested against R ``t.test(extra ~ group, sleep, paired = TRUE)`` (t, df, p, CI),
    R ``wilcox.test`` on the Hollander & Wolfe depression data (exact p and ``V``),
    R/SciPy's tied-data normal approximation, and Lakens' (2013) movie example
    (t, d_z, g_av).
    """

    n: int
    n_unpaired: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    sd_post: float
    mean_diff: float
    sd_diff: float
    statistic: float
    df: float
    pvalue: float
    d_z: float
    d_av: float
    g_av: float
    wilcoxon_statistic: float
    wilcoxon_pvalue: float
    wilcoxon_method: str
    method: str = "paired t-test"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """``(low, high)`` for the mean difference; NaNs when the t-test is undefined."""
        level = _check_confidence_level(confidence_level)
        if self.n < 2 or not math.isfinite(self.sd_diff) or self.sd_diff == 0:
            return (NAN, NAN)
        half = _sps.t.ppf((1 + level) / 2, self.n - 1) * self.sd_diff / math.sqrt(self.n)
        return (float(self.mean_diff - half), float(self.mean_diff + half))

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One-row table of every attribute plus ``lower_ci``, ``upper_ci``,
        ``confidence_level``."""
        return _frame(self, confidence_level)


def _wilcoxon(diff: np.ndarray) -> tuple[float, float, str, str | None]:
    """R-compatible Wilcoxon signed-rank test on the differences."""
    nonzero = diff[diff != 0]
    if nonzero.size == 0:
        return NAN, NAN, "", "every difference is zero: no Wilcoxon signed-rank test"
    ranks = _sps.rankdata(np.abs(nonzero))
    v = float(ranks[nonzero > 0].sum())
    ties = np.unique(np.abs(nonzero)).size < nonzero.size
    zeros = nonzero.size < diff.size
    if nonzero.size < _WILCOXON_EXACT_BELOW and not ties and not zeros:
        res = _sps.wilcoxon(nonzero, method="exact")
        return v, float(res.pvalue), "exact", None
    res = _sps.wilcoxon(nonzero, method="asymptotic", correction=True)
    return v, float(res.pvalue), "normal approximation with continuity correction", None


def paired_change(pre: Any, post: Any) -> PairedChange:
    """Paired change from ``pre`` to ``post``: t-test, effect sizes and Wilcoxon.

    Parameters
    ----------
    pre, post : array-like
        One score per person, in the same order; missing values (NaN, None, pd.NA)
        allowed. People missing either score are dropped and counted in ``n_unpaired``.

    Returns
    -------
    PairedChange
        See :class:`PairedChange` for every attribute and formula.

    Notes
    -----
    Differences are ``post - pre``, so a positive ``mean_diff`` means scores rose.
    With no complete pair every figure is NaN; with one pair only the means are given;
    when every difference is the same the t-test and ``d_z`` are undefined (NaN) but
    the Wilcoxon test still is (unless every difference is zero). ``reason`` says which.

    Examples
    --------
    >>> r = paired_change([9, 6, 7, 8, 7, 9, 8, 8, 8, 7], [9, 7, 8, 9, 8, 9, 9, 10, 9, 9])
    >>> round(r.statistic, 2), round(r.d_z, 2), round(r.g_av, 2)
    (4.74, 1.5, 1.08)
    """
    a, b = _paired(pre, post, ("pre", "post"))
    complete = ~(np.isnan(a) | np.isnan(b))
    any_value = ~(np.isnan(a) & np.isnan(b))
    a, b = a[complete], b[complete]
    n = int(complete.sum())
    n_unpaired = int((any_value & ~complete).sum())
    diff = b - a

    empty: dict[str, Any] = {
        "sd_pre": NAN, "sd_post": NAN, "sd_diff": NAN, "statistic": NAN, "df": NAN,
        "pvalue": NAN, "d_z": NAN, "d_av": NAN, "g_av": NAN, "wilcoxon_statistic": NAN,
        "wilcoxon_pvalue": NAN, "wilcoxon_method": "",
    }  # fmt: skip
    if n == 0:
        return PairedChange(
            n=0, n_unpaired=n_unpaired, mean_pre=NAN, mean_post=NAN, mean_diff=NAN,
            reason="no complete pairs (every person lacks a before or an after score)",
            **empty,
        )  # fmt: skip
    means = {"mean_pre": float(a.mean()), "mean_post": float(b.mean())}
    if n == 1:
        return PairedChange(
            n=1, n_unpaired=n_unpaired, mean_diff=float(diff[0]), **means,
            reason="only one complete pair: no spread, test or effect size",
            **empty,
        )  # fmt: skip

    sd_pre, sd_post = float(a.std(ddof=1)), float(b.std(ddof=1))
    mean_diff, sd_diff = float(diff.mean()), float(diff.std(ddof=1))
    reasons: list[str] = []
    statistic = pvalue = d_z = NAN
    # R's t.test stops when stderr < 10·eps·|mean| ("data are essentially constant"):
    # differences equal up to rounding (0.3 − 0.2 vs 0.2 − 0.1) count as equal here too.
    if sd_diff / math.sqrt(n) < 10 * np.finfo(float).eps * abs(mean_diff):
        sd_diff = 0.0
    if sd_diff > 0:
        test = _sps.ttest_rel(b, a)
        statistic, pvalue = float(test.statistic), float(test.pvalue)
        d_z = mean_diff / sd_diff
    else:
        reasons.append(f"every difference equals {mean_diff:g}: the t-test and d_z are undefined")
    d_av = g_av = NAN
    sd_av = (sd_pre + sd_post) / 2
    if sd_av > 0:
        d_av = mean_diff / sd_av
        g_av = d_av * (1 - 3 / (4 * (n + n) - 9))
    else:
        reasons.append("no spread in before or after scores: d_av and g_av are undefined")
    w_stat, w_p, w_method, w_reason = _wilcoxon(diff)
    if w_reason:
        reasons.append(w_reason)
    return PairedChange(
        n=n,
        n_unpaired=n_unpaired,
        **means,
        sd_pre=sd_pre,
        sd_post=sd_post,
        mean_diff=mean_diff,
        sd_diff=sd_diff,
        statistic=statistic,
        df=float(n - 1),
        pvalue=pvalue,
        d_z=d_z,
        d_av=d_av,
        g_av=g_av,
        wilcoxon_statistic=w_stat,
        wilcoxon_pvalue=w_p,
        wilcoxon_method=w_method,
        reason="; ".join(reasons) or None,
    )


# --------------------------------------------------------------------------- reliable change


def _check_rci_inputs(sd: float, reliability: float) -> tuple[float, float]:
    try:
        sd_f, r_f = float(sd), float(reliability)
    except (TypeError, ValueError):
        raise StatisticsError(
            f"sd and reliability must be numbers, got sd={sd!r}, reliability={reliability!r}"
        ) from None
    if not (math.isfinite(sd_f) and sd_f > 0):
        raise StatisticsError(f"sd must be a positive number, got {sd!r}")
    if not (math.isfinite(r_f) and 0 <= r_f < 1):
        raise StatisticsError(
            f"reliability must be at least 0 and below 1, got {reliability!r} "
            "(a reliability of 1 would make every change reliable)"
        )
    return sd_f, r_f


def reliable_change_threshold(sd: float, reliability: float) -> float:
    """Smallest change, in score points, that counts as reliable: ``1.96 · S_diff``.

    ``SE = sd · sqrt(1 - reliability)`` and ``S_diff = sqrt(2) · SE`` (Jacobson & Truax
    1991). Tested against a hand calculation (SD 7.5, reliability .80 → 9.30 points).
    """
    sd_f, r_f = _check_rci_inputs(sd, reliability)
    return RCI_CRITICAL * math.sqrt(2) * sd_f * math.sqrt(1 - r_f)


def reliable_change(
    pre: Any,
    post: Any,
    sd: float,
    reliability: float,
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """Reliable change index (Jacobson & Truax 1991) and category for each person.

    Parameters
    ----------
    pre, post : array-like
        One score per person; missing values allowed (those rows get NaN).
    sd : float
        Standard deviation of the measure before treatment (of the sample, or a norm).
    reliability : float
        Reliability of the measure (e.g. Cronbach's α or test-retest r), 0 ≤ r < 1.
    higher_is_better : bool, default True
        Direction of improvement: for a difficulties score (SDQ, Boxall diagnostic
        profile) pass False, so a reliable fall counts as ``improved``.

    Returns
    -------
    pandas.DataFrame
        One row per person, index taken from ``pre`` when it is a Series, with columns

        - ``pre``, ``post`` : the scores;
        - ``change`` : ``post - pre``;
        - ``rci`` : ``change / S_diff`` with ``S_diff = sqrt(2) · sd · sqrt(1 - r)``;
        - ``category`` : ordered categorical, ``improved`` / ``no reliable change`` /
          ``deteriorated`` (reliable when ``|rci| > 1.96``), missing when a score is.

    Raises
    ------
    StatisticsError
        When ``sd`` is not positive or ``reliability`` is not in [0, 1).

    Notes
    -----
    Tested against the index worked by hand from the formula in the test (SD 7.5,
    reliability .80: a change of about 9.30 points is needed) and against the
    direction rules (``higher_is_better``) in ``tests/test_stats.py``.
    """
    sd_f, r_f = _check_rci_inputs(sd, reliability)
    a, b = _paired(pre, post, ("pre", "post"))
    index = pre.index if isinstance(pre, pd.Series) else pd.RangeIndex(a.size)
    s_diff = math.sqrt(2) * sd_f * math.sqrt(1 - r_f)
    change = b - a
    rci = change / s_diff
    better = rci > RCI_CRITICAL if higher_is_better else rci < -RCI_CRITICAL
    worse = rci < -RCI_CRITICAL if higher_is_better else rci > RCI_CRITICAL
    labels = np.where(better, "improved", np.where(worse, "deteriorated", "no reliable change"))
    category = pd.Categorical(
        np.where(np.isnan(rci), None, labels),
        categories=list(RELIABLE_CHANGE_CATEGORIES),
        ordered=True,
    )
    return pd.DataFrame(
        {"pre": a, "post": b, "change": change, "rci": rci, "category": category}, index=index
    )


# --------------------------------------------------------------------------- McNemar


@dataclass(frozen=True)
class McNemarResult:
    """Paired yes/no outcome before and after (result of :func:`mcnemar`).

    Attributes
    ----------
    n : int
        People with both answers.
    n_unpaired : int
        People with only one answer (dropped).
    a : int
        Yes before and yes after.
    b : int
        Yes before, no after (discordant).
    c : int
        No before, yes after (discordant).
    d : int
        No before and no after.
    proportion_before, proportion_after : float
        ``(a + b) / n`` and ``(a + c) / n``.
    estimate : float
        Conditional odds ratio ``b / c`` (as R's ``exact2x2::mcnemar.exact``); its
        confidence interval is the Clopper–Pearson interval for ``b / (b + c)``
        transformed by ``p / (1 - p)``.
    pvalue : float
        Exact two-sided p-value: binomial test of ``b`` out of ``b + c`` with p = ½.
    method : str
        ``"McNemar exact (binomial)"``.
    reason : str or None
        Why the test is NaN (no pairs, no discordant pairs), else None.

    Notes
    -----
    Tested against statsmodels' R-checked result for the table [[101, 70], [59, 33]]
    (p = 0.378688) and, for the interval, against R's ``binom.test(682, 925)``
    Clopper–Pearson limits.
    """

    n: int
    n_unpaired: int
    a: int
    b: int
    c: int
    d: int
    proportion_before: float
    proportion_after: float
    estimate: float
    pvalue: float
    method: str = "McNemar exact (binomial)"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """Exact ``(low, high)`` for the conditional odds ratio ``b / c``."""
        level = _check_confidence_level(confidence_level)
        if self.b + self.c == 0:
            return (NAN, NAN)
        ci = _sps.binomtest(self.b, self.b + self.c).proportion_ci(level, method="exact")
        return (_odds(ci.low), _odds(ci.high))

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One-row table of every attribute plus the interval for ``estimate``."""
        return _frame(self, confidence_level)


def _odds(p: float) -> float:
    return math.inf if p >= 1 else float(p / (1 - p))


def mcnemar(before: Any, after: Any) -> McNemarResult:
    """McNemar's exact test for a yes/no outcome recorded before and after.

    Parameters
    ----------
    before, after : array-like of bool
        One answer per person (True/False or 1/0; missing allowed and dropped).

    Returns
    -------
    McNemarResult
        ``b`` (yes → no), ``c`` (no → yes) and the exact binomial ``pvalue``.
    """
    x, y = _to_flag(before, "before"), _to_flag(after, "after")
    if x.shape != y.shape:
        raise StatisticsError(
            f"before and after must have one value per person each, got {x.size} and {y.size}"
        )
    complete = ~(np.isnan(x) | np.isnan(y))
    n_unpaired = int((~(np.isnan(x) & np.isnan(y)) & ~complete).sum())
    x, y = x[complete], y[complete]
    a = int(((x == 1) & (y == 1)).sum())
    b = int(((x == 1) & (y == 0)).sum())
    c = int(((x == 0) & (y == 1)).sum())
    d = int(((x == 0) & (y == 0)).sum())
    n = a + b + c + d
    common = {"n": n, "n_unpaired": n_unpaired, "a": a, "b": b, "c": c, "d": d}
    if n == 0:
        return McNemarResult(
            **common, proportion_before=NAN, proportion_after=NAN, estimate=NAN, pvalue=NAN,
            reason="no one has both a before and an after answer",
        )  # fmt: skip
    props = {"proportion_before": (a + b) / n, "proportion_after": (a + c) / n}
    if b + c == 0:
        return McNemarResult(
            **common, **props, estimate=NAN, pvalue=NAN,
            reason="no one changed (no discordant pairs): nothing to test",
        )  # fmt: skip
    estimate = math.inf if c == 0 else b / c
    pvalue = float(_sps.binomtest(b, b + c, 0.5).pvalue)
    return McNemarResult(**common, **props, estimate=estimate, pvalue=pvalue)


# --------------------------------------------------------------------------- rate ratio


@dataclass(frozen=True)
class RateRatio:
    """Ratio of event rates after vs before (result of :func:`rate_ratio`).

    Attributes
    ----------
    events_after, events_before : int
        Total events in each window.
    exposure_after, exposure_before : float
        Total exposure (e.g. child-months) in each window.
    n : int
        Rows used (all four values present).
    n_incomplete : int
        Rows dropped because a value was missing.
    estimate : float
        ``(events_after / exposure_after) / (events_before / exposure_before)``;
        ``inf`` when there were no events before but some after.
    pvalue : float
        Exact conditional test: binomial test of ``events_after`` out of all events with
        ``p = exposure_after / (exposure_after + exposure_before)`` (R ``poisson.test``).
    method : str
        ``"exact conditional (binomial) rate ratio"``.
    reason : str or None
        Why the figures are NaN (no events, no exposure), else None.

    Notes
    -----
    ``.confidence_interval()`` is R's: the Clopper–Pearson interval ``(pL, pU)`` for the
    binomial proportion mapped to ``p / (1 - p) · exposure_before / exposure_after``.
    Tested against R ``poisson.test(c(11, 21), c(800, 3011))``: 1.971488, CI 0.8584264
    to 4.2772659, p = 0.07967.
    """

    events_after: int
    exposure_after: float
    events_before: int
    exposure_before: float
    n: int
    n_incomplete: int
    estimate: float
    pvalue: float
    method: str = "exact conditional (binomial) rate ratio"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """Exact ``(low, high)`` for the rate ratio, as R's ``poisson.test``."""
        level = _check_confidence_level(confidence_level)
        total = self.events_after + self.events_before
        if self.reason is not None or total == 0:
            return (NAN, NAN)
        p = self.exposure_after / (self.exposure_after + self.exposure_before)
        ci = _sps.binomtest(self.events_after, total, p).proportion_ci(level, method="exact")
        scale = self.exposure_before / self.exposure_after
        return (_odds(ci.low) * scale, _odds(ci.high) * scale)

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One-row table of every attribute plus the interval for ``estimate``."""
        return _frame(self, confidence_level)


def _counts(values: Any, name: str) -> np.ndarray:
    if np.ndim(values) == 0 and not isinstance(values, (str, bytes)) and values is not None:
        values = [values]
    return _to_float(values, name)


def rate_ratio(
    events_after: Any,
    exposure_after: Any,
    events_before: Any,
    exposure_before: Any,
) -> RateRatio:
    """Exact conditional rate ratio of events after vs before (R ``poisson.test``).

    Parameters
    ----------
    events_after, exposure_after, events_before, exposure_before : number or array-like
        Event counts (whole numbers) and exposures (e.g. months observed), either totals
        or one value per person; per-person values are summed over the people with all
        four present (others counted in ``n_incomplete``).

    Returns
    -------
    RateRatio
        ``estimate``, exact ``pvalue`` and ``.confidence_interval()``.

    Raises
    ------
    StatisticsError
        Negative or fractional counts, negative exposure, or arrays of unequal length.
    """
    cols = {
        "events_after": _counts(events_after, "events_after"),
        "exposure_after": _counts(exposure_after, "exposure_after"),
        "events_before": _counts(events_before, "events_before"),
        "exposure_before": _counts(exposure_before, "exposure_before"),
    }
    sizes = {k: v.size for k, v in cols.items()}
    if len(set(sizes.values())) != 1:
        raise StatisticsError(f"rate_ratio needs one value per person in each input, got {sizes}")
    complete = ~np.any([np.isnan(v) for v in cols.values()], axis=0)
    used = {k: v[complete] for k, v in cols.items()}
    for k, v in used.items():
        if np.any(v < 0):
            raise StatisticsError(f"{k} must not be negative, got {v[v < 0][0]:g}")
        if k.startswith("events") and np.any(v != np.round(v)):
            raise StatisticsError(f"{k} must be whole numbers, got {v[v != np.round(v)][0]:g}")
    x1, t1 = int(used["events_after"].sum()), float(used["exposure_after"].sum())
    x2, t2 = int(used["events_before"].sum()), float(used["exposure_before"].sum())
    n = int(complete.sum())
    common = {
        "events_after": x1, "exposure_after": t1, "events_before": x2, "exposure_before": t2,
        "n": n, "n_incomplete": int((~complete).sum()),
    }  # fmt: skip
    reason = None
    if n == 0:
        reason = "no rows with events and exposure both before and after"
    elif t1 == 0 or t2 == 0:
        reason = "exposure is zero in a window: rates cannot be compared"
    elif x1 + x2 == 0:
        reason = "no events in either window: the rate ratio is undefined"
    if reason:
        return RateRatio(**common, estimate=NAN, pvalue=NAN, reason=reason)
    estimate = math.inf if x2 == 0 else (x1 / t1) / (x2 / t2)
    pvalue = float(_sps.binomtest(x1, x1 + x2, t1 / (t1 + t2)).pvalue)
    return RateRatio(**common, estimate=estimate, pvalue=pvalue)


# --------------------------------------------------------------------------- proportions, Holm


def _whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StatisticsError(f"{name} must be a whole number, got {value!r}") from None
    if not math.isfinite(number) or number != round(number) or number < 0:
        raise StatisticsError(f"{name} must be a whole number of at least 0, got {value!r}")
    return int(number)


def proportion_ci(k: int, n: int, confidence_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` for ``k`` successes out of ``n``.

    Computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``
    (Wilson 1927; method 3 of Newcombe 1998, no continuity correction).

    Raises
    ------
    StatisticsError
        When ``n`` is 0 (no interval exists), ``k > n`` or either is not a whole number.

    Notes
    -----
    Tested against Newcombe (1998) Table II: 81/263 → 0.2553 to 0.3662, 15/148 →
    0.0624 to 0.1605, 0/20 → 0 to 0.1611, 1/29 → 0.0061 to 0.1718.
    """
    level = _check_confidence_level(confidence_level)
    k_i, n_i = _whole(k, "k"), _whole(n, "n")
    if n_i == 0:
        raise StatisticsError("n is 0: a proportion of nobody has no confidence interval")
    if k_i > n_i:
        raise StatisticsError(f"k ({k_i}) must not exceed n ({n_i})")
    low, high = proportion_confint(k_i, n_i, alpha=1 - level, method="wilson")
    # The Wilson limits are exactly 0 at k = 0 and 1 at k = n; remove rounding noise.
    low = 0.0 if k_i == 0 else max(0.0, float(low))
    high = 1.0 if k_i == n_i else min(1.0, float(high))
    return (low, high)


def holm(pvalues: Iterable[float] | pd.Series) -> np.ndarray | pd.Series:
    """Holm (1979) step-down adjusted p-values, in the order given.

    Missing p-values (NaN/None) stay missing and do not count towards the number of
    tests, as R's ``p.adjust(p, "holm")``. A Series in gives a Series out (same index);
    anything else gives a NumPy array. Computed by ``statsmodels`` ``multipletests``.

    Raises
    ------
    StatisticsError
        When a p-value is outside [0, 1].

    Notes
    -----
    Tested against R ``p.adjust`` / multtest on p = 0.001 … 0.09 (see the test file).
    """
    p = _to_float(pvalues, "pvalues")
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        bad = p[present][(p[present] < 0) | (p[present] > 1)][0]
        raise StatisticsError(f"p-values must be between 0 and 1, got {bad:g}")
    adjusted = np.full(p.shape, np.nan)
    if present.any():
        adjusted[present] = multipletests(p[present], method="holm")[1]
    if isinstance(pvalues, pd.Series):
        return pd.Series(adjusted, index=pvalues.index, name=pvalues.name)
    return adjusted
