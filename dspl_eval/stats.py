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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.proportion import proportion_confint

from dspl_eval.errors import StatisticsError

__all__ = [
    "EFFECT_SIZE_STANDARDIZERS",
    "RCI_CRITICAL",
    "RELIABLE_CHANGE_CATEGORIES",
    "KaplanMeier",
    "McNemarResult",
    "PairedChange",
    "PairedEffectSize",
    "RateRatio",
    "RobustRateRatio",
    "SignedRank",
    "bonferroni_level",
    "holm",
    "kaplan_meier",
    "mcnemar",
    "oriented",
    "paired_change",
    "paired_effect_size",
    "paired_effect_size_from_summary",
    "proportion_ci",
    "rate_ratio",
    "rate_ratio_robust",
    "reliable_change",
    "reliable_change_threshold",
    "signed_rank",
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
    anything else gives a NumPy array. Computed as R does: sort, multiply the i-th smallest
    by ``m - i + 1``, running maximum, cap at 1, back to the given order.
    Not statsmodels' ``multipletests``: its Holm branch calls ``gc.collect()`` every time.

    Raises
    ------
    StatisticsError
        When a p-value is outside [0, 1].

    Notes
    -----
    Tested against R ``p.adjust`` / multtest on p = 0.001 … 0.09 and on statsmodels'
    R multtest example (see the test file), and against ``multipletests`` itself.
    """
    p = _to_float(pvalues, "pvalues")
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        bad = p[present][(p[present] < 0) | (p[present] > 1)][0]
        raise StatisticsError(f"p-values must be between 0 and 1, got {bad:g}")
    adjusted = np.full(p.shape, np.nan)
    if present.any():
        q = p[present]
        order = np.argsort(q, kind="stable")
        stepped = np.maximum.accumulate(q[order] * np.arange(q.size, 0, -1))
        unsorted = np.empty(q.size)
        unsorted[order] = np.minimum(stepped, 1.0)
        adjusted[present] = unsorted
    if isinstance(pvalues, pd.Series):
        return pd.Series(adjusted, index=pvalues.index, name=pvalues.name)
    return adjusted


# --------------------------------------------------------------------------- simultaneous intervals


def bonferroni_level(m: int, family_level: float = 0.95) -> float:
    """Confidence level of each of ``m`` Bonferroni-adjusted (simultaneous) intervals.

    ``1 - (1 - family_level) / m``: with 9 PASS factors, ``bonferroni_level(9)`` is
    ``1 - 0.05 / 9 = 0.99444``; pass it to any ``.confidence_interval(confidence_level=...)``
    (paired t, Hodges–Lehmann, effect sizes, rate ratios) so that all ``m`` intervals
    cover their true values together with probability at least ``family_level``
    (Bonferroni inequality). Holm adjusts p-values only; it has no matching interval.

    Raises
    ------
    StatisticsError
        When ``m`` is not a whole number of at least 1 or ``family_level`` is not in (0, 1).
    """
    level = _check_confidence_level(family_level)
    m_i = _whole(m, "m")
    if m_i < 1:
        raise StatisticsError(f"m must be at least 1, got {m!r}")
    return 1 - (1 - level) / m_i


# --------------------------------------------------------------------------- orientation


def oriented(value: Any, higher_is_better: bool) -> Any:
    """A change or effect size signed so that a positive value is an improvement.

    ``value`` as given when ``higher_is_better``, else ``-value``. A ``(low, high)``
    interval is negated *and swapped*, so it stays ``(low, high)``:
    ``oriented((-2.0, -0.5), False) == (0.5, 2.0)``. NaN stays NaN.
    """
    if isinstance(value, tuple):
        if higher_is_better:
            return value
        return tuple(-v for v in reversed(value))
    return value if higher_is_better else -value


# --------------------------------------------------------------------------- signed rank + HL


def _signrank_counts(n: int) -> np.ndarray:
    """Number of sign patterns of ranks 1..n giving each V = 0..n(n+1)/2 (no ties)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def _qsignrank(p: float, n: int) -> int:
    """R's ``qsignrank(p, n)``: smallest q with P(V <= q) >= p (exact, no ties)."""
    cdf = np.cumsum(_signrank_counts(n)) / 2.0**n
    # R compares with a small fuzz so that q is not pushed up by rounding.
    return int(np.searchsorted(cdf, p * (1 - 64 * np.finfo(float).eps), side="left"))


def _psignrank(q: float, n: int) -> float:
    if q < 0:
        return 0.0
    cdf = np.cumsum(_signrank_counts(n)) / 2.0**n
    return float(cdf[min(int(q), cdf.size - 1)])


def _walsh(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(x.size)
    return np.sort((x[i] + x[j]) / 2)


def _w_asymp_slow(x: np.ndarray, d: float, correct: bool) -> float:
    """:func:`_w_asymp` written out directly; used only when ``x`` or ``d`` is not finite."""
    xd = x - d
    xd = xd[xd != 0]
    nx = xd.size
    if nx == 0:
        return NAN
    ranks = _sps.rankdata(np.abs(xd))
    zd = ranks[xd > 0].sum() - nx * (nx + 1) / 4
    _, ties = np.unique(ranks, return_counts=True)
    sigma = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - np.sum(ties**3 - ties) / 48)
    if sigma == 0:
        return NAN
    correction = np.sign(zd) * 0.5 if correct else 0.0
    return float((zd - correction) / sigma)


def _w_asymp_of(x: np.ndarray, correct: bool) -> Callable[[float], float]:
    """``d -> _w_asymp(x, d, correct)``, cheap to call many times (root finding).

    ``x`` is sorted once, so ``x - d`` is sorted and its zeros are one run. The average
    rank of each positive ``p`` among the non-zero ``|x - d|`` (sorted: ``s``) is
    ``(#{s < p} + #{s <= p} + 1) / 2``; tie groups are the runs of equal ``s``. Ranks are
    half-integers and the tie sum an integer, so everything is exact and the result is
    the same float as ranking with ``scipy.stats.rankdata`` (:func:`_w_asymp_slow`).
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    finite = bool(np.isfinite(xs).all())

    def w(d: float) -> float:
        if not (finite and math.isfinite(d)):
            return _w_asymp_slow(xs, d, correct)
        xd = xs - d
        first_zero = int(xd.searchsorted(0.0, "left"))
        first_pos = int(xd.searchsorted(0.0, "right"))
        nx = n - (first_pos - first_zero)
        if nx == 0:
            return NAN
        s = np.abs(xd)
        s.sort()
        s = s[first_pos - first_zero :]  # the zeros are the smallest |x - d|
        pos = xd[first_pos:]
        twice_rank_sum = int((s.searchsorted(pos, "left") + s.searchsorted(pos, "right")).sum())
        zd = (twice_rank_sum + pos.size) / 2 - nx * (nx + 1) / 4
        if np.count_nonzero(s[1:] == s[:-1]) == 0:
            tie_sum = 0
        else:  # sum over tie groups of t^3 - t = sum over values of t^2 - 1
            t = s.searchsorted(s, "right") - s.searchsorted(s, "left")
            tie_sum = int(t @ t) - nx
        sigma = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - tie_sum / 48)
        if sigma == 0:
            return NAN
        if correct and zd != 0:
            zd = zd - 0.5 if zd > 0 else zd + 0.5
        return zd / sigma

    return w


def _w_asymp(x: np.ndarray, d: float, correct: bool) -> float:
    """R's standardised signed-rank statistic of ``x - d`` (``W`` in wilcox.test)."""
    return _w_asymp_of(x, correct)(d)


def _root(f: Any, low: float, high: float) -> float:
    """Where the step function ``f`` changes sign in [low, high] (bisection to 1e-12)."""
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


@dataclass(frozen=True)
class SignedRank:
    """Wilcoxon signed-rank test with the Hodges–Lehmann median change (see
    :func:`signed_rank`).

    Attributes
    ----------
    n : int
        Complete pairs.
    n_unpaired : int
        People with only one of the two scores (dropped).
    n_zero : int
        Pairs with no change (``post == pre``), dropped before ranking as R does.
    statistic : float
        R's ``V``: sum of the ranks of the positive differences ``post - pre``.
    pvalue : float
        Two-sided p-value (same rule and value as :attr:`PairedChange.wilcoxon_pvalue`).
    estimate : float
        Hodges–Lehmann estimate of the median change, R's ``(pseudo)median``. Exact case:
        the median of the Walsh averages ``(d_i + d_j) / 2, i <= j`` of the non-zero
        differences. Normal-approximation case: as R, the shift ``mu`` at which the
        standardised signed-rank statistic of ``d - mu`` (no continuity correction)
        crosses zero — the same point up to ties.
    method : str
        ``"exact"`` (fewer than 50 non-zero differences, no ties, no zeros: R's rule) or
        ``"normal approximation with continuity correction"``.
    reason : str or None
        Why figures are NaN, else None.

    Notes
    -----
    ``.confidence_interval(confidence_level)`` follows R ``wilcox.test(post, pre,
    paired = TRUE, conf.int = TRUE, conf.level = ...)`` (R 4.2): exact case, the
    Walsh averages of rank ``qsignrank(α/2, n)`` and ``n(n+1)/2 − qsignrank(α/2, n) + 1``;
    otherwise the two shifts at which the continuity-corrected normal statistic equals
    ``±z(1−α/2)``. R finds those with ``uniroot(tol = 1e-4)``; we bisect to 1e-12, so R's
    printed limits agree with ours to about 1e-4. Zero differences are dropped first
    (R does the same). Any level works, e.g. :func:`bonferroni_level`.

    Tested against R ``?wilcox.test``'s depression data (exact: V, p, estimate and
    interval) and a published tied example with a 99% interval (normal approximation),
    in ``tests/test_stats_issue11.py``.

    References
    ----------
    Hollander, M. and Wolfe, D. A. (1973). *Nonparametric Statistical Methods*, ch. 3.
    Bauer, D. F. (1972). Constructing confidence sets using rank statistics. *JASA*
    67:687-690.
    """

    n: int
    n_unpaired: int
    n_zero: int
    statistic: float
    pvalue: float
    estimate: float
    method: str
    reason: str | None = None
    _nonzero: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """``(low, high)`` for the median change, as R's ``wilcox.test(conf.int = TRUE)``."""
        level = _check_confidence_level(confidence_level)
        x = np.asarray(self._nonzero, dtype=float)
        n = x.size
        if n == 0 or (self.reason is not None and math.isnan(self.estimate)):
            return (NAN, NAN)
        alpha = 1 - level
        if self.method == "exact":
            walsh = _walsh(x)
            qu = _qsignrank(alpha / 2, n)
            if qu == 0:
                qu = 1
            ql = n * (n + 1) // 2 - qu
            return (float(walsh[qu - 1]), float(walsh[ql]))
        low_x, high_x = float(x.min()), float(x.max())
        w = _w_asymp_of(x, True)
        w_min = w(low_x)
        w_max = w(high_x)
        if not (math.isfinite(w_min) and math.isfinite(w_max)):
            return (NAN, NAN)
        z = _sps.norm.ppf(1 - alpha / 2)
        if w_min - z < 0 or w_max + z > 0:
            # R widens alpha until the limits lie inside the data; we say NaN instead.
            return (NAN, NAN)
        lower = _root(lambda d: w(d) - z, low_x, high_x)
        upper = _root(lambda d: w(d) + z, low_x, high_x)
        return (float(lower), float(upper))

    def achieved_confidence_level(self, confidence_level: float = 0.95) -> float:
        """Coverage the exact interval actually attains (the signed-rank distribution is
        discrete): ``1 − 2 · P(V ≤ q − 1)`` with ``q = qsignrank(α/2, n)``, as R's
        ``achieved.alpha``. R replaces the printed level by this when it falls short by
        more than α/2 (very small n). The requested level for the normal approximation."""
        level = _check_confidence_level(confidence_level)
        n = len(self._nonzero)
        if self.method != "exact" or n == 0:
            return level
        qu = max(_qsignrank((1 - level) / 2, n), 1)
        return 1 - 2 * _psignrank(qu - 1, n)

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One-row table: every attribute plus the interval for ``estimate``."""
        return _frame(self, confidence_level)


def signed_rank(pre: Any, post: Any) -> SignedRank:
    """Wilcoxon signed-rank test of ``post - pre`` with the Hodges–Lehmann estimate.

    Parameters
    ----------
    pre, post : array-like
        One score per person in the same order; missing values allowed (dropped and
        counted in ``n_unpaired``).

    Returns
    -------
    SignedRank
        ``statistic`` (V), ``pvalue``, ``estimate`` (median change) and
        ``.confidence_interval(confidence_level)``; see :class:`SignedRank`.

    Examples
    --------
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> r = signed_rank(y, x)   # post − pre = x − y
    >>> r.statistic, round(r.estimate, 2)
    (40.0, 0.46)
    """
    a, b = _paired(pre, post, ("pre", "post"))
    complete = ~(np.isnan(a) | np.isnan(b))
    n_unpaired = int(((~(np.isnan(a) & np.isnan(b))) & ~complete).sum())
    diff = (b - a)[complete]
    n = int(diff.size)
    nonzero = diff[diff != 0]
    common = {"n": n, "n_unpaired": n_unpaired, "n_zero": int(n - nonzero.size)}
    v, p, method, reason = _wilcoxon(diff) if n else (NAN, NAN, "", "no complete pairs")
    if reason:
        return SignedRank(**common, statistic=v, pvalue=p, estimate=NAN, method=method,
                          reason=reason)  # fmt: skip
    if method == "exact":
        estimate = float(np.median(_walsh(nonzero)))
    else:
        low_x, high_x = float(nonzero.min()), float(nonzero.max())
        w = _w_asymp_of(nonzero, False)
        estimate = low_x if low_x == high_x else _root(w, low_x, high_x)
    return SignedRank(
        **common, statistic=v, pvalue=p, estimate=float(estimate), method=method,
        _nonzero=tuple(float(v) for v in nonzero),
    )  # fmt: skip


# --------------------------------------------------------------------------- paired effect size

#: Standardisers of :func:`paired_effect_size`.
EFFECT_SIZE_STANDARDIZERS = ("average_sd", "rms_sd")


@dataclass(frozen=True)
class PairedEffectSize:
    """Standardised mean change with a confidence interval (see :func:`paired_effect_size`).

    Attributes
    ----------
    n : int
        Complete pairs.
    mean_diff : float
        Mean of ``post - pre``.
    sd_pre, sd_post : float
        Sample SDs (ddof = 1).
    correlation : float
        Pearson correlation of ``pre`` and ``post``.
    standardizer : str
        ``"average_sd"``: ``(sd_pre + sd_post) / 2`` (Lakens 2013 eq. 10, the
        ``d_av`` of :func:`paired_change`); ``"rms_sd"``: ``sqrt((sd_pre² + sd_post²) / 2)``
        (Bonett 2008; Algina, Keselman & Penfield 2005; Cumming 2012).
    d : float
        ``mean_diff / S`` with S the standardiser.
    g : float
        ``d · (1 - 3 / (4 · 2n - 9))``: Hedges' correction as Lakens applies it (so ``d``
        and ``g`` equal :attr:`PairedChange.d_av` / ``g_av`` for ``"average_sd"``).
    se : float
        Large-sample standard error of ``d`` (Bonett 2008), see Notes.
    higher_is_better : bool or None
        When given, ``d``, ``g`` and the interval are :func:`oriented` (positive =
        improvement); None leaves the raw sign (positive = scores rose).
    method : str
    reason : str or None

    Notes
    -----
    Bonett (2008, eq. 14 for the paired design; ``statpsych::ci.stdmean.ps``):

    ``var(d) = d² (s₁⁴ + s₂⁴ + 2 r² s₁² s₂²) / (8 (n − 1) S⁴) + (s₁² + s₂² − 2 r s₁ s₂) /
    ((n − 1) S²)`` for ``S² = (s₁² + s₂²) / 2``, and the interval is ``d ± z · se``.
    For ``"average_sd"`` the same delta-method argument with ``S = (s₁ + s₂) / 2`` gives
    ``var(d) = d² (s₁² + s₂² + 2 r² s₁ s₂) / (8 (n − 1) S²) + (s₁² + s₂² − 2 r s₁ s₂) /
    ((n − 1) S²)`` (``var(s_j) ≈ σ_j² / (2(n − 1))``, ``cov(s₁, s₂) ≈ ρ² σ₁ σ₂ / (2(n −
    1))``); the two coincide when ``s₁ = s₂``. Equality of variances is not assumed.
    ``.confidence_interval()`` is for ``d``; ``.to_frame()`` adds ``g_lower_ci`` and
    ``g_upper_ci`` (the ``d`` limits times the same correction factor).

    Tested against ``statpsych::ci.stdmean.ps`` documented output (``"rms_sd"``) and
    Lakens' (2013) worked example (``d_av`` = 1.13, ``g_av`` = 1.08).

    References
    ----------
    Bonett, D. G. (2008). Confidence intervals for standardized linear contrasts of means.
    *Psychol Methods* 13:99-109.
    Algina, J., Keselman, H. J. and Penfield, R. D. (2005). Effect sizes and their
    intervals: the two-level repeated measures case. *Educ Psychol Meas* 65:241-258.
    """

    n: int
    mean_diff: float
    sd_pre: float
    sd_post: float
    correlation: float
    standardizer: str
    d: float
    g: float
    se: float
    higher_is_better: bool | None = None
    method: str = "standardised mean change, Bonett (2008) interval"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """``d ± z(1 - α/2) · se`` (oriented when ``higher_is_better`` was given)."""
        level = _check_confidence_level(confidence_level)
        if not (math.isfinite(self.d) and math.isfinite(self.se)):
            return (NAN, NAN)
        half = _sps.norm.ppf((1 + level) / 2) * self.se
        return (float(self.d - half), float(self.d + half))

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One-row table plus ``lower_ci``/``upper_ci`` (d) and ``g_lower_ci``/``g_upper_ci``."""
        frame = _frame(self, confidence_level)
        factor = _hedges_factor(self.n)
        frame.insert(frame.columns.get_loc("confidence_level"), "g_lower_ci",
                     frame["lower_ci"] * factor)  # fmt: skip
        frame.insert(frame.columns.get_loc("confidence_level"), "g_upper_ci",
                     frame["upper_ci"] * factor)  # fmt: skip
        return frame


def _hedges_factor(n: int) -> float:
    return 1 - 3 / (4 * (n + n) - 9) if n >= 2 else NAN


def _bonett_se(d: float, s1: float, s2: float, r: float, n: int, standardizer: str) -> float:
    diff_var = s1**2 + s2**2 - 2 * r * s1 * s2
    if standardizer == "rms_sd":
        s_sq = (s1**2 + s2**2) / 2
        var = d**2 * (s1**4 + s2**4 + 2 * r**2 * s1**2 * s2**2) / (8 * (n - 1) * s_sq**2)
    else:
        s_sq = ((s1 + s2) / 2) ** 2
        var = d**2 * (s1**2 + s2**2 + 2 * r**2 * s1 * s2) / (8 * (n - 1) * s_sq)
    var += diff_var / ((n - 1) * s_sq)
    return math.sqrt(max(var, 0.0))


def paired_effect_size_from_summary(
    mean_pre: float,
    mean_post: float,
    sd_pre: float,
    sd_post: float,
    correlation: float,
    n: int,
    standardizer: str = "average_sd",
    higher_is_better: bool | None = None,
) -> PairedEffectSize:
    """:class:`PairedEffectSize` from summary statistics (as ``statpsych::ci.stdmean.ps``).

    ``d = (mean_post - mean_pre) / S``; see :class:`PairedEffectSize` for S and the SE.
    """
    if standardizer not in EFFECT_SIZE_STANDARDIZERS:
        raise StatisticsError(
            f"standardizer must be one of {', '.join(EFFECT_SIZE_STANDARDIZERS)}, "
            f"got {standardizer!r}"
        )
    n_i = _whole(n, "n")
    s1, s2, r = float(sd_pre), float(sd_post), float(correlation)
    mean_diff = float(mean_post) - float(mean_pre)
    common = {"n": n_i, "mean_diff": mean_diff, "sd_pre": s1, "sd_post": s2,
              "correlation": r, "standardizer": standardizer,
              "higher_is_better": higher_is_better}  # fmt: skip
    scale = (s1 + s2) / 2 if standardizer == "average_sd" else math.sqrt((s1**2 + s2**2) / 2)
    if n_i < 3 or not scale > 0:
        return PairedEffectSize(
            **common, d=NAN, g=NAN, se=NAN,
            reason="fewer than 3 pairs or no spread: no standardised effect size",
        )  # fmt: skip
    d = mean_diff / scale
    se = _bonett_se(d, s1, s2, r if math.isfinite(r) else 0.0, n_i, standardizer)
    g = d * _hedges_factor(n_i)
    if higher_is_better is False:
        d, g = -d, -g
    return PairedEffectSize(**common, d=float(d), g=float(g), se=float(se))


def paired_effect_size(
    pre: Any,
    post: Any,
    standardizer: str = "average_sd",
    higher_is_better: bool | None = None,
) -> PairedEffectSize:
    """Standardised mean change ``d_av`` / ``g_av`` with a Bonett (2008) interval.

    Parameters
    ----------
    pre, post : array-like
        One score per person; people lacking either are dropped.
    standardizer : {"average_sd", "rms_sd"}
        ``"average_sd"`` (default): Lakens' ``d_av``, as :func:`paired_change`;
        ``"rms_sd"``: square root of the average variance (Bonett; Algina et al.).
    higher_is_better : bool, optional
        Orient the sign so that positive is an improvement (:func:`oriented`).

    Returns
    -------
    PairedEffectSize
    """
    a, b = _paired(pre, post, ("pre", "post"))
    complete = ~(np.isnan(a) | np.isnan(b))
    a, b = a[complete], b[complete]
    n = int(a.size)
    if n < 3:
        return paired_effect_size_from_summary(
            NAN, NAN, NAN, NAN, NAN, n, standardizer, higher_is_better
        )
    s1, s2 = float(a.std(ddof=1)), float(b.std(ddof=1))
    r = float(np.corrcoef(a, b)[0, 1]) if s1 > 0 and s2 > 0 else 0.0
    return paired_effect_size_from_summary(
        float(a.mean()), float(b.mean()), s1, s2, r, n, standardizer, higher_is_better
    )


# --------------------------------------------------------------------------- per-child rate ratio


@dataclass(frozen=True)
class RobustRateRatio:
    """Rate ratio after vs before from a per-child Poisson GEE (see :func:`rate_ratio_robust`).

    Attributes
    ----------
    n : int
        Children used (both windows' counts present and some exposure).
    n_incomplete : int
        Rows dropped (a count or exposure missing, or no exposure in either window).
    events_after, events_before : int
    exposure_after, exposure_before : float
        Totals over the children used.
    estimate : float
        ``exp(β)`` of the after-window indicator in ``log E[count] = log(exposure) + α +
        β·after``; with the independence working correlation this equals the pooled
        ``(events_after / exposure_after) / (events_before / exposure_before)`` of
        :func:`rate_ratio`.
    se_log : float
        Robust (sandwich, clustered by child) standard error of ``β``.
    se_log_poisson : float
        Model-based (Poisson) standard error of ``β``, which treats every event as
        independent; ``se_log > se_log_poisson`` when a few children have several events.
    pvalue : float
        Two-sided Wald test of β = 0 with the robust SE (normal reference).
    dispersion : float
        Pearson χ² / (rows − 2): above 1 means more spread than Poisson (children with
        several suspensions).
    cov_struct : str
        ``"independence"`` or ``"exchangeable"`` working correlation.
    cov_type : str
        ``"robust"`` (sandwich) or ``"bias_reduced"`` (Mancl & DeRouen 2001, better with
        few children).
    method, reason

    Notes
    -----
    Each child contributes two rows (before, after) with offset ``log(months)``; the
    before/after comparison is within child because the sandwich variance sums score
    contributions per child, so a child with four suspensions counts as one cluster and
    widens the interval instead of counting as four independent events (the exact test
    of :func:`rate_ratio` treats events as independent Poisson counts). Rows with zero
    exposure in a window carry no information for that window and are dropped.
    ``.confidence_interval()`` is ``exp(β ± z · se_log)``. Fitted by
    ``statsmodels.genmod.generalized_estimating_equations.GEE`` (Poisson, log link).

    Tested: the GEE machinery against R ``gee`` (statsmodels' R-checked Poisson example,
    coefficients and robust SEs), the estimate against :func:`rate_ratio`'s R
    ``poisson.test`` value, and that concentrating the same events in one child widens
    the interval.

    References
    ----------
    Liang, K.-Y. and Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika* 73:13-22.
    """

    n: int
    n_incomplete: int
    events_after: int
    exposure_after: float
    events_before: int
    exposure_before: float
    estimate: float
    se_log: float
    se_log_poisson: float
    pvalue: float
    dispersion: float
    cov_struct: str
    cov_type: str
    method: str = "Poisson GEE, robust (sandwich) interval clustered by child"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """``exp(log(estimate) ± z · se_log)``."""
        level = _check_confidence_level(confidence_level)
        if not (math.isfinite(self.se_log) and self.estimate > 0):
            return (NAN, NAN)
        half = _sps.norm.ppf((1 + level) / 2) * self.se_log
        log_rr = math.log(self.estimate)
        return (math.exp(log_rr - half), math.exp(log_rr + half))

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        return _frame(self, confidence_level)


def _poisson_gee(
    endog: np.ndarray,
    exog: np.ndarray,
    groups: np.ndarray,
    offset: np.ndarray | None = None,
    cov_struct: str = "independence",
    cov_type: str = "robust",
) -> Any:
    """Poisson GEE fit (statsmodels), quietly: ``(result, robust SEs, model-based SEs)``."""
    import warnings

    from statsmodels.genmod import cov_struct as cs
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_estimating_equations import GEE

    structs = {"independence": cs.Independence, "exchangeable": cs.Exchangeable}
    if cov_struct not in structs:
        raise StatisticsError(f"cov_struct must be one of {', '.join(structs)}, got {cov_struct!r}")
    if cov_type not in ("robust", "bias_reduced"):
        raise StatisticsError(f"cov_type must be 'robust' or 'bias_reduced', got {cov_type!r}")
    model = GEE(
        endog, exog, groups, offset=offset, family=Poisson(), cov_struct=structs[cov_struct]()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(cov_type=cov_type)
        bse = np.asarray(fit.bse, dtype=float)
        naive = np.sqrt(np.diag(np.asarray(fit.cov_naive, dtype=float)))
    return fit, bse, naive


def rate_ratio_robust(
    events_after: Any,
    exposure_after: Any,
    events_before: Any,
    exposure_before: Any,
    cov_struct: str = "independence",
    cov_type: str = "robust",
) -> RobustRateRatio:
    """Per-child rate ratio after vs before allowing for overdispersion and repeat events.

    Parameters
    ----------
    events_after, exposure_after, events_before, exposure_before : array-like
        One value per child: counts (whole numbers) and months observed (e.g. from
        :func:`dspl_eval.measures.exposure_months`). NaN exposure ("no follow-up yet")
        drops the child.
    cov_struct : {"independence", "exchangeable"}
        GEE working correlation; independence (default) keeps the estimate equal to the
        pooled rate ratio, exchangeable weights children differently.
    cov_type : {"robust", "bias_reduced"}
        Sandwich variance; ``"bias_reduced"`` (Mancl–DeRouen) for small numbers of
        children.

    Returns
    -------
    RobustRateRatio
    """
    cols = [_counts(v, k) for k, v in (
        ("events_after", events_after), ("exposure_after", exposure_after),
        ("events_before", events_before), ("exposure_before", exposure_before))]  # fmt: skip
    if len({c.size for c in cols}) != 1:
        raise StatisticsError("rate_ratio_robust needs one value per child in each input")
    x1, t1, x2, t2 = cols
    complete = ~np.any([np.isnan(c) for c in cols], axis=0)
    for name, c in (("events_after", x1), ("events_before", x2)):
        v = c[complete]
        if np.any(v < 0) or np.any(v != np.round(v)):
            raise StatisticsError(f"{name} must be whole numbers of at least 0")
    if np.any(t1[complete] < 0) or np.any(t2[complete] < 0):
        raise StatisticsError("exposure must not be negative")
    complete &= (t1 > 0) | (t2 > 0)
    n = int(complete.sum())
    x1, t1, x2, t2 = (c[complete] for c in (x1, t1, x2, t2))
    common = {
        "n": n, "n_incomplete": int(complete.size - n), "events_after": int(x1.sum()),
        "exposure_after": float(t1.sum()), "events_before": int(x2.sum()),
        "exposure_before": float(t2.sum()), "cov_struct": cov_struct, "cov_type": cov_type,
    }  # fmt: skip
    nan = {"estimate": NAN, "se_log": NAN, "se_log_poisson": NAN, "pvalue": NAN,
           "dispersion": NAN}  # fmt: skip
    if n < 2:
        return RobustRateRatio(**common, **nan, reason="fewer than 2 children with exposure")
    if common["exposure_after"] == 0 or common["exposure_before"] == 0:
        return RobustRateRatio(**common, **nan, reason="exposure is zero in a window")
    if common["events_after"] == 0 or common["events_before"] == 0:
        return RobustRateRatio(
            **common, **nan,
            reason="no events in one window: the log rate ratio has no finite estimate",
        )  # fmt: skip
    ids = np.arange(n)
    endog = np.concatenate([x2, x1])
    expo = np.concatenate([t2, t1])
    after = np.concatenate([np.zeros(n), np.ones(n)])
    groups = np.concatenate([ids, ids])
    keep = expo > 0
    exog = np.column_stack([np.ones(keep.sum()), after[keep]])
    fit, bse, naive = _poisson_gee(
        endog[keep], exog, groups[keep], np.log(expo[keep]), cov_struct, cov_type
    )
    beta, se, se_model = float(fit.params[1]), float(bse[1]), float(naive[1])
    mu = fit.fittedvalues
    dof = max(int(keep.sum()) - 2, 1)
    dispersion = float(np.sum((endog[keep] - mu) ** 2 / mu) / dof)
    if not (math.isfinite(se) and se > 1e-8):
        return RobustRateRatio(
            **common, estimate=math.exp(beta), se_log=NAN, se_log_poisson=se_model,
            pvalue=NAN, dispersion=dispersion,
            reason="the robust variance is degenerate (every child's before and after "
            "counts move together): no interval",
        )  # fmt: skip
    pvalue = float(2 * _sps.norm.sf(abs(beta / se)))
    return RobustRateRatio(
        **common, estimate=math.exp(beta), se_log=se, se_log_poisson=se_model, pvalue=pvalue,
        dispersion=dispersion,
    )  # fmt: skip


# --------------------------------------------------------------------------- Kaplan–Meier


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier estimate of the share who had the event by given horizons.

    Result of :func:`kaplan_meier`; e.g. the share of nurture-group children returned
    full time to class by 2, 3 and 4 terms, children still attending censored.

    Attributes
    ----------
    n : int
        People with a time (others dropped, counted in ``n_dropped``).
    n_dropped : int
    n_events : int
        People whose event was observed.
    n_censored : int
        People censored (still attending, left without the event...).
    median : float
        Smallest time at which the survival curve is at or below one half (R
        ``survfit``'s median, averaging the two times when the curve sits exactly at ½);
        NaN when not estimable (``median_reason`` says why).
    median_reason : str or None
    horizons : tuple of float
    min_at_risk : int
        Fewest people still at risk for a horizon's estimate to be given.
    confidence_level : float
        Level of the pointwise intervals in ``table``.
    table : pandas.DataFrame
        One row per horizon: ``horizon``, ``n_at_risk`` (people whose time is at least the
        horizon: R ``summary(fit, times = h)$n.risk``), ``n_events`` (events up to and
        including the horizon), ``survival`` S(h), ``estimate`` = 1 − S(h) (share with
        the event by h), ``lower_ci``, ``upper_ci`` (for ``estimate``), ``std_err``
        (Greenwood SE of S(h)), ``estimable`` and ``reason`` ("fewer than k still at
        risk" → figures NaN).
    method, reason

    Notes
    -----
    S(t) = Π_{t_i ≤ t} (1 − d_i / n_i) (``statsmodels.duration.survfunc.SurvfuncRight``).
    Intervals are R ``survfit``'s default ``conf.type = "log"``:
    ``S · exp(± z · sqrt(Σ d_i / (n_i (n_i − d_i))))``, capped at 1, then ``1 − S`` limits
    swapped for ``estimate``. Tested against R ``summary(survfit(Surv(time, status) ~ x,
    data = aml))`` (survival, std.err, limits and n.risk) in
    ``tests/test_stats_issue11.py``.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *JASA* 53:457-481.
    """

    n: int
    n_dropped: int
    n_events: int
    n_censored: int
    median: float
    median_reason: str | None
    horizons: tuple[float, ...]
    min_at_risk: int
    confidence_level: float
    table: pd.DataFrame = field(repr=False, compare=False)
    method: str = "Kaplan-Meier, log-transformed (Greenwood) pointwise intervals"
    reason: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-horizon ``table`` plus ``n``, ``total_events``, ``total_censored``,
        ``median``, ``confidence_level`` and ``method`` columns."""
        out = self.table.copy()
        out.insert(1, "n", self.n)
        out["total_events"] = self.n_events
        out["total_censored"] = self.n_censored
        out["median"] = self.median
        out["confidence_level"] = self.confidence_level
        out["method"] = self.method
        return out


def kaplan_meier(
    time: Any,
    event: Any,
    horizons: Iterable[float],
    min_at_risk: int = 1,
    confidence_level: float = 0.95,
) -> KaplanMeier:
    """Kaplan–Meier share with the event by each horizon, with R ``survfit`` intervals.

    Parameters
    ----------
    time : array-like
        Time from the start (e.g. joining a nurture group) to the event or to censoring,
        in the unit of ``horizons``; missing values drop the person.
    event : array-like of bool
        True when the event (e.g. full-time return) was observed at ``time``; False when
        censored (still attending at the reporting date, left without returning).
    horizons : iterable of float
        Times at which to report, e.g. ``(2, 3, 4)`` terms.
    min_at_risk : int, default 1
        Fewest people still at risk at a horizon for its estimate to be given; pass the
        report's suppression threshold. Below it the row is ``estimable = False`` with a
        reason and NaN figures (the counts stay).
    confidence_level : float, default 0.95

    Returns
    -------
    KaplanMeier
    """
    level = _check_confidence_level(confidence_level)
    t = _to_float(time, "time")
    e = _to_flag(event, "event")
    if t.shape != e.shape:
        raise StatisticsError("time and event must have one value per person each")
    keep = ~(np.isnan(t) | np.isnan(e))
    if np.any(t[keep] < 0):
        raise StatisticsError("time must not be negative")
    t, e = t[keep], e[keep]
    hs = tuple(float(h) for h in horizons)
    k = _whole(min_at_risk, "min_at_risk")
    n = int(t.size)
    base = {"n": n, "n_dropped": int(keep.size - n), "n_events": int(e.sum()),
            "n_censored": int(n - e.sum()), "horizons": hs, "min_at_risk": k,
            "confidence_level": level}  # fmt: skip
    rows = []
    if n == 0:
        table = pd.DataFrame(
            [
                {
                    "horizon": h,
                    "n_at_risk": 0,
                    "n_events": 0,
                    "survival": NAN,
                    "estimate": NAN,
                    "lower_ci": NAN,
                    "upper_ci": NAN,
                    "std_err": NAN,
                    "estimable": False,
                    "reason": "no one to estimate from",
                }
                for h in hs
            ]
        )
        return KaplanMeier(**base, median=NAN, median_reason="no one to estimate from",
                           table=table, reason="no one with a time")  # fmt: skip
    if e.sum() > 0:
        from statsmodels.duration.survfunc import SurvfuncRight

        fit = SurvfuncRight(t, e)
        times = np.asarray(fit.surv_times, dtype=float)
        surv = np.asarray(fit.surv_prob, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Greenwood variance of log S (R's std.err on the cumulative-hazard scale).
            green = np.where(surv > 0, (np.asarray(fit.surv_prob_se) / surv) ** 2, np.inf)
    else:
        times, surv, green = np.array([]), np.array([]), np.array([])
    z = _sps.norm.ppf((1 + level) / 2)
    for h in hs:
        at_risk = int((t >= h).sum())
        idx = int(np.searchsorted(times, h, side="right")) - 1
        s = 1.0 if idx < 0 else float(surv[idx])
        var_h = 0.0 if idx < 0 else float(green[idx])
        events_by = int(((t <= h) & (e == 1)).sum())
        row = {"horizon": h, "n_at_risk": at_risk, "n_events": events_by}
        if at_risk < k:
            row |= {"survival": NAN, "estimate": NAN, "lower_ci": NAN, "upper_ci": NAN,
                    "std_err": NAN, "estimable": False,
                    "reason": f"fewer than {k} still at risk: not estimable"}  # fmt: skip
        else:
            if s > 0 and math.isfinite(var_h):
                se_h = math.sqrt(var_h)
                s_low, s_high = s * math.exp(-z * se_h), min(1.0, s * math.exp(z * se_h))
            else:
                s_low = s_high = NAN
            row |= {"survival": s, "estimate": 1 - s, "lower_ci": 1 - s_high,
                    "upper_ci": 1 - s_low, "std_err": s * math.sqrt(var_h) if s > 0 else NAN,
                    "estimable": True, "reason": None}  # fmt: skip
        rows.append(row)
    table = pd.DataFrame(rows)
    median, median_reason = NAN, None
    below = np.nonzero(surv <= 0.5 + 1e-12)[0]
    if below.size == 0:
        median_reason = "the curve never falls to one half: median not estimable"
    else:
        i = int(below[0])
        median = float(times[i])
        if abs(surv[i] - 0.5) < 1e-12 and i + 1 < times.size:
            median = float((times[i] + times[i + 1]) / 2)
    return KaplanMeier(**base, median=median, median_reason=median_reason, table=table)
