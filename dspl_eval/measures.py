"""Instrument scoring and derived outcomes: SDQ, attendance, Boxall, PASS, Likert, costs.

Functions take the processed data (one row per child or participant, the column names
defined in ``dspl_eval/initiatives/*.py``) and return new Series, DataFrames or small
frozen result objects; they never change their input. Every statistic comes from
:mod:`dspl_eval.stats` (reliable change, paired change, Holm, Wilson intervals).

Sources are listed in ``../shared/MEASURES.md``; the ones each function relies on are
named in its docstring, with what the tests check it against (``tests/test_measures.py``).
Where a source gives no number (Boxall competence range and reliabilities, the parent
prosocial bands on which sources disagree) the value is a setting with a stated default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from dspl_eval import stats
from dspl_eval.errors import ConfigError, MissingColumnsError, StatisticsError
from dspl_eval.norms import (
    RELIABLE_CHANGE_NORMS,
    InstrumentNorm,
    reliable_change_norm,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_TERM",
    "EXPOSURE_END_REASONS",
    "PARENT_BANDS",
    "PASS_CONCERN_THRESHOLD",
    "RELIABLE_CHANGE_NORMS",
    "SDQ_DIFFICULTY_SCALES",
    "SDQ_IMPACT_ITEMS",
    "SDQ_ITEMS",
    "SDQ_REVERSED_ITEMS",
    "TEACHER_BANDS",
    "TERM_LAST_DAY",
    "AbsenceThresholds",
    "AddedValue",
    "BoxallSettings",
    "CostSummary",
    "CronbachAlpha",
    "InstrumentNorm",
    "ReliableChangeSummary",
    "SdqBands",
    "attendance",
    "boxall_change",
    "boxall_competence",
    "boxall_improvement",
    "boxall_reliable_change",
    "boxall_scores",
    "change_table",
    "cost_summary",
    "cronbach_alpha",
    "exposure_months",
    "likert_agreement",
    "likert_agrees",
    "likert_scale_score",
    "norm_reliable_change",
    "pass_change",
    "pass_concern",
    "pass_scores",
    "reliable_change_norm",
    "reliable_change_summary",
    "return_to_class_km",
    "return_to_class_times",
    "score_sdq_impact",
    "score_sdq_items",
    "sdq_added_value",
    "sdq_band",
    "sdq_reliable_change",
    "sdq_scores",
    "term_last_day",
]

NAN = float("nan")


def _require(data: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        found = ", ".join(map(str, data.columns)) or "none"
        raise MissingColumnsError(
            f"{what} needs the columns {', '.join(missing)}; the data has: {found}"
        )


def _numeric(data: pd.DataFrame, column: str) -> pd.Series:
    """A column as float with NaN for missing (pd.NA, None)."""
    try:
        values = pd.to_numeric(data[column], errors="raise")
    except (ValueError, TypeError) as exc:
        raise StatisticsError(f"column {column} must hold numbers: {exc}") from None
    return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=data.index, name=column)


def _check_range(values: pd.Series, low: float, high: float | None, label: str) -> None:
    """StatisticsError naming the first row whose value is outside [low, high]."""
    bad = values.notna() & ((values < low) | ((values > high) if high is not None else False))
    if bad.any():
        row = bad[bad].index[0]
        expected = f"{low:g}-{high:g}" if high is not None else f"at least {low:g}"
        raise StatisticsError(
            f"{label}: value {values[row]:g} in row {row} is out of range (expected {expected})"
        )


# =========================================================================== SDQ

#: The 25 SDQ items by scale, with the variable names of the official scoring syntax
#: (sdqinfo.org). Items are answered 0 "not true", 1 "somewhat true", 2 "certainly true".
SDQ_ITEMS: dict[str, tuple[str, ...]] = {
    "emotional": ("somatic", "worries", "unhappy", "clingy", "afraid"),
    "conduct": ("tantrum", "obeys", "fights", "lies", "steals"),
    "hyperactivity": ("restles", "fidgety", "distrac", "reflect", "attends"),
    "peer": ("loner", "friend", "bullied", "popular", "oldbest"),
    "prosocial": ("consid", "shares", "caring", "kind", "helpout"),
}

#: Items scored 2 - response (sdqinfo.org scoring documents).
SDQ_REVERSED_ITEMS = ("obeys", "reflect", "attends", "friend", "popular")

#: The four scales summed into total difficulties (0-40).
SDQ_DIFFICULTY_SCALES = ("emotional", "conduct", "hyperactivity", "peer")

#: Impact supplement items by informant: answers 0 "not at all", 1 "only a little",
#: 2 "quite a lot", 3 "a great deal", scored 0, 0, 1, 2 and summed (parent and self 0-10,
#: teacher 0-6).
SDQ_IMPACT_ITEMS: dict[str, tuple[str, ...]] = {
    "parent": ("distres", "imphome", "impfrie", "impclas", "impleis"),
    "self": ("distres", "imphome", "impfrie", "impclas", "impleis"),
    "teacher": ("distres", "imppeer", "impclas"),
}

#: The five SDQ scales, in the order of the official scoring.
SDQ_SCALES = tuple(SDQ_ITEMS)
_SDQ_OUTPUT = (*SDQ_SCALES, "total_difficulties")


def _round_half_up_prorated(total: pd.Series, count: pd.Series) -> pd.Series:
    """round-half-up(total / count × 5) in exact integer arithmetic."""
    return (10 * total + count) // (2 * count)


def score_sdq_items(items: pd.DataFrame, min_items: int = 3) -> pd.DataFrame:
    """Score SDQ items into the five scales and total difficulties.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per completed questionnaire; the 25 item columns named as in
        :data:`SDQ_ITEMS` (the official variable names), answers 0/1/2 as ticked
        (not yet reversed), missing allowed.
    min_items : int, default 3
        Fewest answered items for a scale to be scored (the official rule is 3 of 5).

    Returns
    -------
    pandas.DataFrame
        Columns ``emotional``, ``conduct``, ``hyperactivity``, ``peer``, ``prosocial``
        (each 0-10) and ``total_difficulties`` (0-40), nullable integers, same index.

    Notes
    -----
    The five items *obeys, reflect, attends, friend, popular* are reversed (2 − x). A
    scale with at least ``min_items`` answers is prorated: round-half-up(mean × 5);
    otherwise it is missing. Total difficulties is the sum of the four difficulty scales
    and is missing when any of them is (sdqinfo.org, "Scoring the SDQ").

    Tested against the official scoring document's example (three emotional items
    answered with raw sum 4 → 4 × 5 / 3 = 6.67 → 7) and the rule for two answered items.
    """
    if min_items < 1 or min_items > 5:
        raise ConfigError(f"min_items must be between 1 and 5, got {min_items!r}")
    all_items = [i for scale in SDQ_ITEMS.values() for i in scale]
    _require(items, all_items, "SDQ item scoring")
    out = pd.DataFrame(index=items.index)
    for scale, names in SDQ_ITEMS.items():
        block = pd.DataFrame({name: _numeric(items, name) for name in names})
        for name in names:
            bad = block[name].notna() & ~block[name].isin([0, 1, 2])
            if bad.any():
                row = bad[bad].index[0]
                raise StatisticsError(
                    f"SDQ item {name}: value {block.at[row, name]!r} in row {row} is not 0, 1 or 2"
                )
        for name in set(names) & set(SDQ_REVERSED_ITEMS):
            block[name] = 2 - block[name]
        count = block.notna().sum(axis=1)
        total = block.sum(axis=1, min_count=1)
        enough = count >= min_items
        score = pd.Series(pd.NA, index=items.index, dtype="Int64")
        if enough.any():
            t = total[enough].astype("int64")
            c = count[enough].astype("int64")
            score[enough] = _round_half_up_prorated(t, c).astype("Int64")
        out[scale] = score
    out["total_difficulties"] = _total_difficulties(out)
    return out


def _total_difficulties(scales: pd.DataFrame) -> pd.Series:
    block = scales[list(SDQ_DIFFICULTY_SCALES)].astype("Int64")
    total = block.sum(axis=1, min_count=4, skipna=False)
    return total.astype("Int64")


def sdq_scores(data: pd.DataFrame, when: str = "pre") -> pd.DataFrame:
    """SDQ scale totals as a school returned them, with total difficulties.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed ELSA data with ``sdq_<scale>_<when>`` columns (scale totals 0-10).
    when : {"pre", "post"}
        Which occasion.

    Returns
    -------
    pandas.DataFrame
        Columns ``emotional``, ``conduct``, ``hyperactivity``, ``peer``, ``prosocial``,
        ``total_difficulties`` (sum of the four difficulty scales, missing if any is) and
        ``impact`` when ``sdq_impact_<when>`` is present; nullable integers.

    Raises
    ------
    StatisticsError
        A scale total outside 0-10 or not a whole number (row named).
    """
    if when not in ("pre", "post"):
        raise ConfigError(f"when must be 'pre' or 'post', got {when!r}")
    columns = [f"sdq_{s}_{when}" for s in SDQ_SCALES]
    _require(data, columns, f"SDQ scores ({when})")
    out = pd.DataFrame(index=data.index)
    for scale, column in zip(SDQ_SCALES, columns, strict=True):
        values = _numeric(data, column)
        _check_range(values, 0, 10, f"SDQ {scale} ({when})")
        if (values.notna() & (values != values.round())).any():
            row = values[values.notna() & (values != values.round())].index[0]
            raise StatisticsError(
                f"SDQ {scale} ({when}): value {values[row]:g} in row {row} is not a whole number"
            )
        out[scale] = values.astype("Int64")
    out["total_difficulties"] = _total_difficulties(out)
    impact = f"sdq_impact_{when}"
    if impact in data.columns:
        out["impact"] = _numeric(data, impact).astype("Int64")
    return out


def score_sdq_impact(
    items: pd.DataFrame,
    informant: str = "parent",
    difficulties: pd.Series | None = None,
) -> pd.Series:
    """SDQ impact score from the impact supplement items.

    Parameters
    ----------
    items : pandas.DataFrame
        Impact items named as in :data:`SDQ_IMPACT_ITEMS` for the informant, answered
        0 "not at all", 1 "only a little", 2 "quite a lot", 3 "a great deal".
    informant : {"parent", "teacher", "self"}
    difficulties : pandas.Series of bool, optional
        Answer to "Overall, do you think this child has difficulties...?"; where it is
        False the impact score is 0 (the supplementary items are not asked).

    Returns
    -------
    pandas.Series
        ``impact`` (nullable integer): items scored 0, 0, 1, 2 and summed (parent/self
        0-10, teacher 0-6); missing when any item is missing (our conservative choice).
    """
    if informant not in SDQ_IMPACT_ITEMS:
        raise ConfigError(
            f"informant must be one of {', '.join(SDQ_IMPACT_ITEMS)}, got {informant!r}"
        )
    names = SDQ_IMPACT_ITEMS[informant]
    _require(items, names, f"SDQ impact scoring ({informant})")
    scored = pd.DataFrame(index=items.index)
    for name in names:
        values = _numeric(items, name)
        bad = values.notna() & ~values.isin([0, 1, 2, 3])
        if bad.any():
            row = bad[bad].index[0]
            raise StatisticsError(
                f"SDQ impact item {name}: value {values[row]:g} in row {row} is not 0-3"
            )
        scored[name] = values.map({0.0: 0.0, 1.0: 0.0, 2.0: 1.0, 3.0: 2.0})
    impact = scored.sum(axis=1, min_count=len(names), skipna=False).astype("Int64")
    if difficulties is not None:
        no_difficulties = difficulties.reindex(items.index).eq(False).fillna(False).astype(bool)
        impact[no_difficulties] = 0
    return impact.rename("impact")


@dataclass(frozen=True)
class SdqBands:
    """Cut-offs that put SDQ scores into bands.

    Attributes
    ----------
    name : str
        What the bands are (shown in reports).
    labels : tuple of str
        Band names from best to worst for difficulty scales.
    lowered_labels : tuple of str
        Band names for the prosocial scale (where low is worse).
    cutoffs : mapping of scale to tuple of int
        For a difficulty scale (and ``total_difficulties``), the highest score of each
        band except the last; for ``prosocial``, the lowest score of each band except
        the last. ``len(cutoffs[scale]) == len(labels) - 1``.
    source : str
        Where the cut-offs come from.
    """

    name: str
    labels: tuple[str, ...]
    lowered_labels: tuple[str, ...]
    cutoffs: Mapping[str, tuple[int, ...]]
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.lowered_labels) != len(self.labels):
            raise ConfigError(f"{self.name}: labels and lowered_labels differ in length")
        for scale, cuts in self.cutoffs.items():
            if len(cuts) != len(self.labels) - 1:
                raise ConfigError(
                    f"{self.name}: {scale} needs {len(self.labels) - 1} cut-offs, got {cuts}"
                )


#: Teacher four-band categorisation (sdqinfo.org scoring instructions, 4-17 years, as
#: reprinted in PMC4830858 Table 1).
TEACHER_BANDS = SdqBands(
    name="teacher SDQ four bands",
    labels=("close to average", "slightly raised", "high", "very high"),
    lowered_labels=("close to average", "slightly lowered", "low", "very low"),
    cutoffs={
        "total_difficulties": (11, 15, 18),
        "emotional": (3, 4, 5),
        "conduct": (2, 3, 4),
        "hyperactivity": (5, 7, 8),
        "peer": (2, 4, 5),
        "prosocial": (6, 5, 4),
    },
    source="sdqinfo.org scoring instructions (teacher, 4-17 years), four-band version",
)

#: Parent three-band categorisation. Difficulty scales as sdqinfo.org; the prosocial
#: bands are disputed between sources: the UK norms reproduced from sdqinfo.org in BMC
#: Psychiatry 21:176 (2021) Table 2 and Shanghai Arch Psychiatry 25:364 (2013) Table 6
#: give normal 8-10 / borderline 7 / abnormal 0-6, which is the default here; other
#: sources print 6-10 / 5 / 0-4. Pass your own ``SdqBands`` to use another choice.
PARENT_BANDS = SdqBands(
    name="parent SDQ three bands",
    labels=("normal", "borderline", "abnormal"),
    lowered_labels=("normal", "borderline", "abnormal"),
    cutoffs={
        "total_difficulties": (13, 16),
        "emotional": (3, 4),
        "conduct": (2, 3),
        "hyperactivity": (5, 6),
        "peer": (2, 3),
        "prosocial": (8, 7),
    },
    source="sdqinfo.org three-band cut-offs (parent); prosocial from UK norms, see docs",
)


def sdq_band(scores: pd.Series, scale: str, bands: SdqBands = TEACHER_BANDS) -> pd.Series:
    """Band of each SDQ score.

    Parameters
    ----------
    scores : pandas.Series
        Scores of one scale (0-10) or total difficulties (0-40); missing allowed.
    scale : str
        ``emotional``, ``conduct``, ``hyperactivity``, ``peer``, ``prosocial`` or
        ``total_difficulties``.
    bands : SdqBands, default TEACHER_BANDS
        :data:`TEACHER_BANDS`, :data:`PARENT_BANDS` or your own.

    Returns
    -------
    pandas.Series
        Ordered categorical (best band first), missing where the score is.

    Notes
    -----
    Tested against the band tables quoted in the docstrings of :data:`TEACHER_BANDS`
    and :data:`PARENT_BANDS` at every boundary.
    """
    if scale not in bands.cutoffs:
        raise ConfigError(
            f"{bands.name} has no cut-offs for {scale!r}; it has: {', '.join(bands.cutoffs)}"
        )
    values = pd.to_numeric(scores, errors="raise").astype("Float64")
    cuts = bands.cutoffs[scale]
    lowered = scale == "prosocial"
    labels = bands.lowered_labels if lowered else bands.labels
    index = np.full(len(values), -1)
    filled = values.notna().to_numpy()
    v = values.to_numpy(dtype=float, na_value=np.nan)
    if lowered:
        # band i when the score is at least cuts[i]; below every cut → the last band
        index[filled] = np.searchsorted(-np.asarray(cuts, dtype=float), -v[filled], "left")
    else:
        index[filled] = np.searchsorted(np.asarray(cuts, dtype=float), v[filled], "left")
    codes = pd.Categorical.from_codes(index, categories=list(labels), ordered=True)
    return pd.Series(codes, index=scores.index, name=f"{scale}_band")


@dataclass(frozen=True)
class AddedValue:
    """SDQ Added Value scores (Ford et al. 2009), result of :func:`sdq_added_value`.

    Attributes
    ----------
    values : pandas.Series
        Added value per child (same index as the data), NaN where not computed.
    n : int
        Children with an added value score.
    n_not_computed : int
        Rows without a score (not parent-rated, or a score missing).
    mean : float
        Mean added value (positive: better than predicted without intervention).
    effect_size : float
        ``mean / 5`` (Ford et al. 2009: AV / 5 approximates an effect size).
    method : str
    reason : str or None
        ``"not computed: ..."`` when no child has a score, else None.

    Notes
    -----
    Predicted T2 total = 2.3 + 0.8 × T1 total + 0.2 × T1 impact − 0.3 × T1 emotional;
    AV = predicted − observed T2 total. Only defined for parent-rated SDQs with impact
    scores; meaningful for groups, not individuals (an individual's 95% CI is about
    ±10 points). ``.confidence_interval()`` is the one-sample t interval of the mean
    (``scipy.stats.ttest_1samp``). Tested against the published equation applied by
    hand in the test.
    """

    values: pd.Series = field(repr=False, compare=False)
    n: int
    n_not_computed: int
    mean: float
    effect_size: float
    method: str = "SDQ added value (Ford et al. 2009)"
    reason: str | None = None

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """t-based ``(low, high)`` for the mean added value; NaNs below 2 children."""
        values = self.values.dropna().to_numpy(dtype=float)
        if values.size < 2 or np.all(values == values[0]):
            return (NAN, NAN)
        ci = _sps.ttest_1samp(values, 0.0).confidence_interval(confidence_level)
        return (float(ci.low), float(ci.high))

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        low, high = self.confidence_interval(confidence_level)
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "n_not_computed": self.n_not_computed,
                    "mean": self.mean,
                    "effect_size": self.effect_size,
                    "lower_ci": low,
                    "upper_ci": high,
                    "confidence_level": confidence_level,
                    "method": self.method,
                    "reason": self.reason,
                }
            ]
        )


_AV_NOT_COMPUTED = "not computed: only defined for parent-rated SDQs with impact scores"


def sdq_added_value(data: pd.DataFrame, informant_column: str = "sdq_informant") -> AddedValue:
    """Parent SDQ Added Value score per child (Ford et al. 2009, Br J Psychiatry 194:552).

    Parameters
    ----------
    data : pandas.DataFrame
        Processed ELSA data: ``sdq_<scale>_pre``/``_post``, ``sdq_impact_pre`` and the
        informant column (``parent`` / ``teacher`` / ``self``).
    informant_column : str, default "sdq_informant"

    Returns
    -------
    AddedValue
        Scores for parent-rated rows with every input present; when there are none,
        ``reason`` says "not computed: only defined for parent-rated SDQs with impact
        scores" and the figures are NaN.
    """
    n_rows = len(data)
    have = set(data.columns)
    needed = {f"sdq_{s}_{w}" for s in SDQ_DIFFICULTY_SCALES for w in ("pre", "post")}
    needed |= {"sdq_impact_pre", informant_column}
    if not needed <= have:
        missing = ", ".join(sorted(needed - have))
        empty = pd.Series(np.nan, index=data.index, name="added_value")
        return AddedValue(
            values=empty, n=0, n_not_computed=n_rows, mean=NAN, effect_size=NAN,
            reason=f"{_AV_NOT_COMPUTED} (missing columns: {missing})",
        )  # fmt: skip
    pre, post = sdq_scores(data, "pre"), sdq_scores(data, "post")
    parent = data[informant_column].astype("string").str.lower().eq("parent").fillna(False)
    t1_total = pre["total_difficulties"].astype("Float64")
    predicted = (
        2.3
        + 0.8 * t1_total
        + 0.2 * pre["impact"].astype("Float64")
        - 0.3 * pre["emotional"].astype("Float64")
    )
    value = (predicted - post["total_difficulties"].astype("Float64")).where(parent.astype(bool))
    values = pd.Series(
        value.to_numpy(dtype=float, na_value=np.nan), index=data.index, name="added_value"
    )
    n = int(values.notna().sum())
    if n == 0:
        other = data[informant_column].dropna().astype(str).value_counts()
        found = ", ".join(f"{k}: {v}" for k, v in other.items()) or "no informant recorded"
        return AddedValue(
            values=values, n=0, n_not_computed=n_rows, mean=NAN, effect_size=NAN,
            reason=f"{_AV_NOT_COMPUTED} (informants: {found})",
        )  # fmt: skip
    mean = float(values.mean())
    return AddedValue(
        values=values, n=n, n_not_computed=n_rows - n, mean=mean, effect_size=mean / 5
    )


# =========================================================================== reliable change


@dataclass(frozen=True)
class ReliableChangeSummary:
    """Reliable change for one measure, with counts (or the reason it was skipped).

    Attributes
    ----------
    measure : str
    table : pandas.DataFrame
        :func:`dspl_eval.stats.reliable_change` output (``pre``, ``post``, ``change``,
        ``rci``, ``category`` per person); empty when not computed.
    n : int
        People with both scores.
    n_improved, n_no_reliable_change, n_deteriorated : int
    reliability : float
        The reliability used (NaN when none was configured).
    sd : float
        The SD used (given, or the SD of the ``pre`` scores).
    threshold : float
        Change in points needed to count as reliable, ``1.96 · √2 · sd · √(1 − r)``.
    higher_is_better : bool
    reason : str or None
        Why it was not computed (no reliability configured, too few scores).
    """

    measure: str
    table: pd.DataFrame = field(repr=False, compare=False)
    n: int
    n_improved: int
    n_no_reliable_change: int
    n_deteriorated: int
    reliability: float
    sd: float
    threshold: float
    higher_is_better: bool
    reason: str | None = None

    def to_frame(self) -> pd.DataFrame:
        row = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "table"}
        row["method"] = "reliable change index (Jacobson & Truax 1991)"
        return pd.DataFrame([row])


def reliable_change_summary(
    pre: pd.Series,
    post: pd.Series,
    reliability: float | None,
    *,
    sd: float | None = None,
    higher_is_better: bool = True,
    measure: str = "",
) -> ReliableChangeSummary:
    """Reliable change per person and counts per category, via :func:`stats.reliable_change`.

    ``sd`` defaults to the sample SD (ddof = 1) of the ``pre`` scores of the people with
    both scores (Jacobson & Truax use the pre-treatment SD). With ``reliability=None``
    nothing is computed and ``reason`` says so.

    The sample-SD default is **not recommended** for reports: the threshold then moves
    with every cohort (issue 11). Use :func:`norm_reliable_change` with
    :func:`reliable_change_norm` (published norm SD and test–retest reliability).
    """
    a = pd.to_numeric(pd.Series(pre), errors="raise").astype(float)
    b = pd.to_numeric(pd.Series(post), errors="raise").astype(float)
    both = a.notna() & b.notna()
    n = int(both.sum())
    skip = {
        "measure": measure, "table": pd.DataFrame(), "n": n, "n_improved": 0,
        "n_no_reliable_change": 0, "n_deteriorated": 0, "higher_is_better": higher_is_better,
        "threshold": NAN,
    }  # fmt: skip
    if reliability is None:
        return ReliableChangeSummary(
            **skip, reliability=NAN, sd=NAN,
            reason=f"no reliability configured for {measure or 'this measure'}: "
            "reliable change not computed",
        )  # fmt: skip
    if sd is None:
        if n < 2 or a[both].std(ddof=1) == 0:
            return ReliableChangeSummary(
                **skip, reliability=float(reliability), sd=NAN,
                reason="fewer than two distinct before scores: no SD to base the index on",
            )  # fmt: skip
        sd = float(a[both].std(ddof=1))
    table = stats.reliable_change(a, b, sd, reliability, higher_is_better=higher_is_better)
    counts = table["category"].value_counts()
    return ReliableChangeSummary(
        measure=measure,
        table=table,
        n=n,
        n_improved=int(counts.get("improved", 0)),
        n_no_reliable_change=int(counts.get("no reliable change", 0)),
        n_deteriorated=int(counts.get("deteriorated", 0)),
        reliability=float(reliability),
        sd=float(sd),
        threshold=stats.reliable_change_threshold(sd, reliability),
        higher_is_better=higher_is_better,
    )


def sdq_reliable_change(
    data: pd.DataFrame,
    reliability: float | None = 0.80,
    sd: float | None = None,
    scale: str = "total_difficulties",
) -> ReliableChangeSummary:
    """Reliable change in SDQ total difficulties (or a scale); lower is better.

    Default reliability .80 is the teacher total-difficulties α (PLoS ONE 2017,
    pone.0176605; MEASURES.md); pass another for parent or self reports.
    Prosocial is the one scale where higher is better.
    """
    pre, post = sdq_scores(data, "pre"), sdq_scores(data, "post")
    if scale not in pre.columns:
        raise ConfigError(f"unknown SDQ scale {scale!r}: expected one of {', '.join(pre)}")
    return reliable_change_summary(
        pre[scale].astype("Float64").astype(float),
        post[scale].astype("Float64").astype(float),
        reliability,
        sd=sd,
        higher_is_better=scale == "prosocial",
        measure=f"SDQ {scale.replace('_', ' ')}",
    )


# =========================================================================== paired change


def change_table(
    data: pd.DataFrame,
    measures: Sequence[str],
    *,
    pre: str = "pre",
    post: str = "post",
    higher_is_better: Mapping[str, bool] | None = None,
    adjust: bool = False,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Paired change for several measures, one tidy row each.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``<measure>_<pre>`` and ``<measure>_<post>`` for each measure.
    measures : sequence of str
        Column stems, e.g. ``["boxall_developmental", "boxall_diagnostic"]``.
    higher_is_better : mapping, optional
        Direction per measure; adds ``higher_is_better`` and ``improvement``
        (``mean_diff`` signed so that positive is better).
    adjust : bool, default False
        Add ``pvalue_holm`` and ``wilcoxon_pvalue_holm`` (Holm across the measures).

    Returns
    -------
    pandas.DataFrame
        ``measure`` and every column of :meth:`dspl_eval.stats.PairedChange.to_frame`.
    """
    rows = []
    for measure in measures:
        cols = [f"{measure}_{pre}", f"{measure}_{post}"]
        _require(data, cols, f"change in {measure}")
        result = stats.paired_change(_numeric(data, cols[0]), _numeric(data, cols[1]))
        row = result.to_frame(confidence_level)
        row.insert(0, "measure", measure)
        rows.append(row)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if higher_is_better is not None and rows:
        table["higher_is_better"] = [bool(higher_is_better[m]) for m in measures]
        table["improvement"] = np.where(
            table["higher_is_better"], table["mean_diff"], -table["mean_diff"]
        )
    if adjust and rows:
        table["pvalue_holm"] = stats.holm(table["pvalue"].to_numpy(dtype=float))
        table["wilcoxon_pvalue_holm"] = stats.holm(table["wilcoxon_pvalue"].to_numpy(dtype=float))
    return table


# =========================================================================== attendance


@dataclass(frozen=True)
class AbsenceThresholds:
    """Absence rates (% of possible sessions missed) that flag a child.

    Attributes
    ----------
    persistent : float, default 10.0
        Persistent absence: missing at least this % (DfE threshold since 2015/16).
    severe : float, default 50.0
        Severe absence: missing at least this % (conventional wording; a setting).
    """

    persistent: float = 10.0
    severe: float = 50.0

    def __post_init__(self) -> None:
        for name in ("persistent", "severe"):
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise ConfigError(f"{name} absence threshold must be in (0, 100], got {value!r}")


def attendance(
    data: pd.DataFrame,
    when: str = "before",
    thresholds: AbsenceThresholds = AbsenceThresholds(),
) -> pd.DataFrame:
    """Attendance and absence flags for one window.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed data with ``possible_sessions_<when>`` and ``attended_sessions_<when>``
        and/or ``attendance_<when>`` (0-100).
    when : {"before", "after"}
    thresholds : AbsenceThresholds

    Returns
    -------
    pandas.DataFrame
        Same index, columns

        - ``attendance_pct`` : 100 × attended / possible when both session counts are
          present and possible > 0, else the returned percentage;
        - ``absence_pct`` : 100 − ``attendance_pct``;
        - ``persistent_absence`` : ``absence_pct >= thresholds.persistent`` (nullable);
        - ``severe_absence`` : ``absence_pct >= thresholds.severe`` (nullable);
        - ``source`` : ``"sessions"``, ``"percent"`` or missing.

    Notes
    -----
    DfE, *Pupil absence in schools in England*, methodology: absence rate = absence
    sessions / possible sessions × 100. Tested against the DfE thresholds at the
    boundary (e.g. 171 of 190 sessions = exactly 10% absence is persistent).
    """
    if when not in ("before", "after"):
        raise ConfigError(f"when must be 'before' or 'after', got {when!r}")
    pos_c, att_c, pct_c = (
        f"possible_sessions_{when}",
        f"attended_sessions_{when}",
        f"attendance_{when}",
    )
    has_sessions = pos_c in data.columns and att_c in data.columns
    if not has_sessions and pct_c not in data.columns:
        _require(data, [pos_c, att_c], f"attendance ({when})")
    nan = pd.Series(np.nan, index=data.index)
    absence = nan.copy()
    source = pd.Series(pd.NA, index=data.index, dtype="string")
    if has_sessions:
        possible, attended = _numeric(data, pos_c), _numeric(data, att_c)
        _check_range(possible, 0, None, f"possible sessions ({when})")
        _check_range(attended, 0, None, f"attended sessions ({when})")
        over = attended > possible
        if over.any():
            row = over[over].index[0]
            raise StatisticsError(
                f"row {row}: attended sessions ({attended[row]:g}) exceed possible sessions "
                f"({possible[row]:g}) ({when})"
            )
        usable = possible.notna() & attended.notna() & (possible > 0)
        absence[usable] = 100 * (possible[usable] - attended[usable]) / possible[usable]
        source[usable] = "sessions"
    if pct_c in data.columns:
        pct = _numeric(data, pct_c)
        _check_range(pct, 0, 100, f"attendance % ({when})")
        fill = absence.isna() & pct.notna()
        absence[fill] = 100 - pct[fill]
        source[fill] = "percent"
    absence = absence.round(10)  # 100 − 90.0 style float noise must not cross a threshold
    present = absence.notna()

    def flag(threshold: float) -> pd.Series:
        out = pd.Series(pd.NA, index=data.index, dtype="boolean")
        out[present] = absence[present] >= threshold
        return out

    return pd.DataFrame(
        {
            "attendance_pct": 100 - absence,
            "absence_pct": absence,
            "persistent_absence": flag(thresholds.persistent),
            "severe_absence": flag(thresholds.severe),
            "source": source,
        },
        index=data.index,
    )


# =========================================================================== Boxall

#: Items per Boxall section (each scored 0-4): the range check of a section total.
BOXALL_SECTION_ITEMS = {"developmental": 34, "diagnostic": 34}


@dataclass(frozen=True)
class BoxallSettings:
    """Settings for Boxall scoring: the numbers public sources do not give.

    Attributes
    ----------
    reliability : mapping of measure to float
        Reliability per section/cluster for the RCI; empty by default (no public
        coefficients), so no RCI is computed.
    competence_range : mapping of measure to (low, high)
        The "competence range" per section/cluster, inclusive; empty by default.
    item_counts : mapping of measure to int
        Items per section/cluster (each scored 0-4) for range checks; 34 per section.
    measures : sequence of str
        The sections and clusters the definition declares (e.g. the keys of
        ``initiatives.nurture.BOXALL_SECTIONS`` and ``BOXALL_CLUSTERS``); when given, every
        measure named above must be one of them.
    """

    reliability: Mapping[str, float] = field(default_factory=dict)
    competence_range: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    item_counts: Mapping[str, int] = field(default_factory=lambda: dict(BOXALL_SECTION_ITEMS))
    measures: Sequence[str] = ()

    def __post_init__(self) -> None:
        for measure in (*self.reliability, *self.competence_range, *self.item_counts):
            if self.measures:
                _boxall_measure(measure, self.measures)
        for measure, (low, high) in self.competence_range.items():
            if low > high:
                raise ConfigError(f"Boxall competence range for {measure}: {low} > {high}")


def _boxall_measure(measure: str, known: Iterable[str]) -> str:
    known = tuple(known)
    if measure not in known:
        raise ConfigError(f"unknown Boxall measure {measure!r}: expected one of {', '.join(known)}")
    return measure


def boxall_scores(
    data: pd.DataFrame,
    when: str = "pre",
    settings: BoxallSettings | None = None,
    *,
    directions: Mapping[str, bool],
) -> pd.DataFrame:
    """Boxall section and cluster totals as returned, checked.

    ``directions`` maps every section and cluster the definition declares to whether
    higher is better (``{**BOXALL_SECTIONS, **BOXALL_CLUSTERS}`` of
    :mod:`dspl_eval.initiatives.nurture`). Returns a DataFrame with one column per
    measure present in ``data`` (``boxall_<measure>_<when>``), named by measure. Totals
    must be non-negative and at most 4 × the number of items where that is known
    (``settings.item_counts``); otherwise StatisticsError names the row.
    """
    settings = settings or BoxallSettings()
    out = pd.DataFrame(index=data.index)
    for measure in directions:
        column = f"boxall_{measure}_{when}"
        if column not in data.columns:
            continue
        values = _numeric(data, column)
        items = settings.item_counts.get(measure)
        _check_range(values, 0, 4 * items if items else None, f"Boxall {measure} ({when})")
        out[measure] = values
    if out.columns.empty:
        _require(data, [f"boxall_developmental_{when}", f"boxall_diagnostic_{when}"], "Boxall")
    return out


def boxall_improvement(
    data: pd.DataFrame, measure: str, *, directions: Mapping[str, bool]
) -> pd.Series:
    """Change signed so that positive is better: ``post − pre`` where higher is better
    (developmental), ``pre − post`` where lower is (diagnostic); ``directions`` as
    :func:`boxall_scores`."""
    sign = 1.0 if directions[_boxall_measure(measure, directions)] else -1.0
    pre = boxall_scores(data, "pre", directions=directions)[measure]
    post = boxall_scores(data, "post", directions=directions)[measure]
    return (sign * (post - pre)).rename(f"{measure}_improvement")


def boxall_change(
    data: pd.DataFrame,
    measures: Sequence[str] | None = None,
    confidence_level: float = 0.95,
    *,
    directions: Mapping[str, bool],
) -> pd.DataFrame:
    """:func:`change_table` for the Boxall measures present, with direction of improvement
    (``directions`` as :func:`boxall_scores`)."""
    if measures is None:
        measures = [m for m in directions if f"boxall_{m}_pre" in data.columns]
    for m in measures:
        _boxall_measure(m, directions)
    boxall_scores(data, "pre", directions=directions)
    boxall_scores(data, "post", directions=directions)
    table = change_table(
        data,
        [f"boxall_{m}" for m in measures],
        higher_is_better={f"boxall_{m}": directions[m] for m in measures},
        confidence_level=confidence_level,
    )
    if not table.empty:
        table["measure"] = list(measures)
    return table


def boxall_reliable_change(
    data: pd.DataFrame,
    measure: str,
    settings: BoxallSettings | None = None,
    sd: float | None = None,
    *,
    directions: Mapping[str, bool],
) -> ReliableChangeSummary:
    """Reliable change for a Boxall measure, only when ``settings.reliability`` has one.

    No public reliability coefficients exist (MEASURES.md), so by default the result has
    ``reason = "no reliability configured for Boxall ...: reliable change not computed"``.
    """
    settings = settings or BoxallSettings()
    _boxall_measure(measure, directions)
    pre = boxall_scores(data, "pre", settings, directions=directions)
    post = boxall_scores(data, "post", settings, directions=directions)
    _require(pre, [measure], f"Boxall {measure} before")
    _require(post, [measure], f"Boxall {measure} after")
    return reliable_change_summary(
        pre[measure],
        post[measure],
        settings.reliability.get(measure),
        sd=sd,
        higher_is_better=directions[measure],
        measure=f"Boxall {measure.replace('_', ' ')}",
    )


def boxall_competence(
    data: pd.DataFrame,
    measure: str,
    when: str,
    settings: BoxallSettings,
    *,
    directions: Mapping[str, bool],
) -> pd.Series:
    """Whether each child's score is within the configured competence range (inclusive).

    Raises ConfigError when no range is set for ``measure`` (the limits are not public).
    Nullable boolean, missing where the score is. ``directions`` as :func:`boxall_scores`.
    """
    _boxall_measure(measure, directions)
    if measure not in settings.competence_range:
        raise ConfigError(
            f"no competence range set for Boxall {measure}: set "
            f"BoxallSettings(competence_range={{{measure!r}: (low, high)}})"
        )
    low, high = settings.competence_range[measure]
    scores = boxall_scores(data, when, settings, directions=directions)
    _require(scores, [measure], f"Boxall {measure} ({when})")
    values = scores[measure]
    out = pd.Series(pd.NA, index=data.index, dtype="boolean", name=f"{measure}_competent")
    present = values.notna()
    out[present] = (values[present] >= low) & (values[present] <= high)
    return out


# =========================================================================== PASS

#: GL Assessment's default: a PASS factor percentile below 31 is a concern.
PASS_CONCERN_THRESHOLD = 31.0


def pass_scores(data: pd.DataFrame, when: str = "pre", *, factors: Sequence[str]) -> pd.DataFrame:
    """PASS factor percentiles (0-100), one column per factor of ``factors`` (the
    definition's, e.g. ``initiatives.ebsa.PASS_FACTORS``), read from
    ``pass_<factor>_<when>``."""
    columns = [f"pass_{f}_{when}" for f in factors]
    _require(data, columns, f"PASS ({when})")
    out = pd.DataFrame(index=data.index)
    for factor, column in zip(factors, columns, strict=True):
        values = _numeric(data, column)
        _check_range(values, 0, 100, f"PASS {factor.replace('_', ' ')} ({when})")
        out[factor] = values
    return out


def pass_concern(
    data: pd.DataFrame,
    when: str = "pre",
    threshold: float = PASS_CONCERN_THRESHOLD,
    *,
    factors: Sequence[str],
) -> pd.DataFrame:
    """PASS concern flags: factor percentile below ``threshold`` (default 31, GL's green
    band start). Nullable booleans, missing where the score is."""
    scores = pass_scores(data, when, factors=factors)
    out = pd.DataFrame(index=data.index)
    for factor in factors:
        flags = pd.Series(pd.NA, index=data.index, dtype="boolean")
        present = scores[factor].notna()
        flags[present] = scores.loc[present, factor] < threshold
        out[factor] = flags
    return out


def pass_change(
    data: pd.DataFrame, confidence_level: float = 0.95, *, factors: Sequence[str]
) -> pd.DataFrame:
    """Paired change in each PASS factor of ``factors``, Holm-adjusted across them.

    ``measure`` is the factor name; ``pvalue_holm`` and ``wilcoxon_pvalue_holm`` hold the
    adjusted p-values. No reliable change: PASS has no published reliability.
    """
    pass_scores(data, "pre", factors=factors)
    pass_scores(data, "post", factors=factors)
    table = change_table(
        data,
        [f"pass_{f}" for f in factors],
        adjust=True,
        higher_is_better={f"pass_{f}": True for f in factors},
        confidence_level=confidence_level,
    )
    table["measure"] = list(factors)
    return table


# =========================================================================== Likert


def _likert_block(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    _require(data, columns, "Likert items")
    block = pd.DataFrame({c: _numeric(data, c) for c in columns}, index=data.index)
    for c in columns:
        _check_range(block[c], 1, 5, f"Likert item {c}")
    return block


def likert_scale_score(
    data: pd.DataFrame, items: Sequence[str], min_items: int | None = None
) -> pd.Series:
    """Scale score: mean of the item columns per person.

    ``min_items`` (default: all items) is the fewest answered items for a score;
    fewer gives NaN.
    """
    block = _likert_block(data, items)
    need = len(items) if min_items is None else min_items
    if not 1 <= need <= len(items):
        raise ConfigError(f"min_items must be between 1 and {len(items)}, got {min_items!r}")
    enough = block.notna().sum(axis=1) >= need
    return block.mean(axis=1).where(enough).rename("scale_score")


def item_scale_score(
    data: pd.DataFrame,
    items: Sequence[str],
    combine: str = "mean",
    min_answered: int | None = None,
    value_range: tuple[float, float] | None = None,
) -> pd.Series:
    """Score of a block of items per person: the ``"mean"`` or ``"sum"`` of the answered
    items, when at least ``min_answered`` are answered (default: all); fewer gives NaN.

    A sum over fewer than all the items is pro-rated (mean × number of items), so a
    missing answer does not lower the score. ``value_range`` (low, high), when given,
    checks every answer lies within it (:class:`~dspl_eval.errors.StatisticsError`
    naming the column otherwise). With ``combine="mean"`` and ``value_range=(1, 5)`` this
    is :func:`likert_scale_score`.
    """
    if combine not in ("mean", "sum"):
        raise ConfigError(f"combine {combine!r}: expected mean or sum")
    if not items:
        raise ConfigError("an item scale needs at least one item")
    _require(data, items, "items")
    block = pd.DataFrame({c: _numeric(data, c) for c in items}, index=data.index)
    if value_range is not None:
        for c in items:
            _check_range(block[c], value_range[0], value_range[1], f"item {c}")
    need = len(items) if min_answered is None else min_answered
    if not 1 <= need <= len(items):
        raise ConfigError(f"min_answered must be between 1 and {len(items)}, got {min_answered!r}")
    enough = block.notna().sum(axis=1) >= need
    score = block.mean(axis=1)
    if combine == "sum":
        score = score * len(items)
    return score.where(enough).rename("scale_score")


def likert_agrees(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Agreement flags per item (answer 4 or 5), nullable booleans; for McNemar."""
    block = _likert_block(data, items)
    out = pd.DataFrame(index=data.index)
    for c in items:
        flags = pd.Series(pd.NA, index=data.index, dtype="boolean")
        present = block[c].notna()
        flags[present] = block.loc[present, c] >= 4
        out[c] = flags
    return out


def likert_agreement(
    data: pd.DataFrame, items: Sequence[str], confidence_level: float = 0.95
) -> pd.DataFrame:
    """Percentage agreeing (4-5) per item with a Wilson interval.

    Returns one row per item: ``item``, ``n`` (answered), ``n_agree``, ``percent_agree``,
    ``lower_ci``, ``upper_ci`` (percentages), ``confidence_level``, ``method``,
    ``reason`` (set when nobody answered the item).
    """
    flags = likert_agrees(data, items)
    rows = []
    for c in items:
        answered = flags[c].dropna()
        n, k = int(answered.size), int(answered.sum())
        if n == 0:
            pct = low = high = NAN
            reason: str | None = "nobody answered this item"
        else:
            pct = 100 * k / n
            lo, hi = stats.proportion_ci(k, n, confidence_level)
            low, high, reason = 100 * lo, 100 * hi, None
        rows.append(
            {
                "item": c,
                "n": n,
                "n_agree": k,
                "percent_agree": pct,
                "lower_ci": low,
                "upper_ci": high,
                "confidence_level": confidence_level,
                "method": "Wilson score interval",
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CronbachAlpha:
    """Cronbach's α (result of :func:`cronbach_alpha`).

    Attributes
    ----------
    alpha : float
        ``k / (k − 1) · (1 − Σ var(item) / var(total))``, sample variances (ddof = 1).
    n : int
        People with every item answered (listwise deletion, as ``ltm::cronbach.alpha``
        with ``na.rm = TRUE``).
    n_dropped : int
        People dropped for a missing item.
    k : int
        Number of items.
    method : str
    reason : str or None
        Why α is NaN (fewer than 2 complete rows, no variance in the total), else None.

    Notes
    -----
    Cronbach (1951). Tested against R ``ltm::cronbach.alpha`` results published in
    tutorials (Statology: α = 0.773; GeeksforGeeks: α = 0.231) with their data.
    """

    alpha: float
    n: int
    n_dropped: int
    k: int
    method: str = "Cronbach's alpha"
    reason: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in self.__dataclass_fields__}])


def cronbach_alpha(items: pd.DataFrame) -> CronbachAlpha:
    """Cronbach's α of the item columns of ``items`` (rows: people)."""
    k = items.shape[1]
    if k < 2:
        raise StatisticsError(f"Cronbach's alpha needs at least 2 items, got {k}")
    block = pd.DataFrame({c: _numeric(items, c) for c in items.columns}, index=items.index)
    complete = block.dropna()
    n = len(complete)
    common = {"n": n, "n_dropped": len(block) - n, "k": k}
    if n < 2:
        return CronbachAlpha(alpha=NAN, **common, reason="fewer than 2 people answered every item")
    values = complete.to_numpy(dtype=float)
    total_var = values.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return CronbachAlpha(
            alpha=NAN, **common, reason="every person has the same total: alpha is undefined"
        )
    item_var = values.var(axis=0, ddof=1).sum()
    return CronbachAlpha(alpha=float(k / (k - 1) * (1 - item_var / total_var)), **common)


# =========================================================================== cost


@dataclass(frozen=True)
class CostSummary:
    """Cost per child, per session and per child with a reliable improvement.

    Attributes
    ----------
    cost : float
        Total cost (NaN when not supplied).
    n_children, sessions, n_reliable_improvement : float
        The denominators (NaN when not supplied).
    per_child, per_session, per_reliable_improvement : float
        ``cost / denominator``; NaN when cost or the denominator is missing or zero.
    reasons : mapping of str to str
        For each NaN figure, why (``"cost not supplied"``, ``"no sessions recorded"``...).
    """

    cost: float
    n_children: float
    sessions: float
    n_reliable_improvement: float
    per_child: float
    per_session: float
    per_reliable_improvement: float
    reasons: Mapping[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Three rows: ``measure``, ``value``, ``cost``, ``denominator``, ``reason``."""
        rows = [
            ("cost per child", self.per_child, self.n_children),
            ("cost per session", self.per_session, self.sessions),
            (
                "cost per child with a reliable improvement",
                self.per_reliable_improvement,
                self.n_reliable_improvement,
            ),
        ]
        keys = ("per_child", "per_session", "per_reliable_improvement")
        return pd.DataFrame(
            [
                {
                    "measure": label,
                    "value": value,
                    "cost": self.cost,
                    "denominator": denominator,
                    "reason": self.reasons.get(key),
                }
                for (label, value, denominator), key in zip(rows, keys, strict=True)
            ]
        )


def _maybe_number(value: Any, name: str) -> float:
    if value is None or value is pd.NA:
        return NAN
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StatisticsError(f"{name} must be a number, got {value!r}") from None
    if math.isfinite(number) and number < 0:
        raise StatisticsError(f"{name} must not be negative, got {value!r}")
    return number


def cost_summary(
    cost: float | None,
    n_children: int | None,
    sessions: int | None = None,
    n_reliable_improvement: int | None = None,
) -> CostSummary:
    """Cost per child, per session delivered and per child with a reliable improvement.

    Each figure is ``cost / denominator``; NaN with a reason in ``reasons`` when the cost
    or the denominator is missing, or the denominator is zero (never a division error).
    """
    values = {
        "cost": _maybe_number(cost, "cost"),
        "n_children": _maybe_number(n_children, "n_children"),
        "sessions": _maybe_number(sessions, "sessions"),
        "n_reliable_improvement": _maybe_number(n_reliable_improvement, "n_reliable_improvement"),
    }
    wording = {
        "n_children": ("number of children not supplied", "no children"),
        "sessions": ("sessions delivered not supplied", "no sessions recorded"),
        "n_reliable_improvement": (
            "reliable improvement not assessed",
            "no child showed a reliable improvement",
        ),
    }
    reasons: dict[str, str] = {}
    ratios: dict[str, float] = {}
    for key, denominator in (
        ("per_child", "n_children"),
        ("per_session", "sessions"),
        ("per_reliable_improvement", "n_reliable_improvement"),
    ):
        missing, zero = wording[denominator]
        if math.isnan(values["cost"]):
            reasons[key], ratios[key] = "cost not supplied", NAN
        elif math.isnan(values[denominator]):
            reasons[key], ratios[key] = missing, NAN
        elif values[denominator] == 0:
            reasons[key], ratios[key] = zero, NAN
        else:
            ratios[key] = values["cost"] / values[denominator]
    return CostSummary(**values, **ratios, reasons=reasons)


# =========================================================================== time at risk

#: One month of observed time, in days: a twelfth of an average Gregorian year
#: (365.25 / 12 = 30.4375 days). Exposure in "months" is days observed / this.
DAYS_PER_MONTH = 365.25 / 12

#: One school term as calendar time, in days: a third of a year (121.75 days, holidays
#: included), as ``dspl_eval.outcomes.nurture.DAYS_PER_TERM``.
DAYS_PER_TERM = 365.25 / 3

#: Last day of each term of academic year ``YYYY-YY``, as (years after YYYY, month, day):
#: autumn 31 December, spring 31 March (about Easter), summer 31 August — the convention
#: of ``dspl_eval.template.term_window`` (the dates a term's template accepts).
TERM_LAST_DAY: dict[str, tuple[int, int, int]] = {
    "autumn": (0, 12, 31),
    "spring": (1, 3, 31),
    "summer": (1, 8, 31),
}


def term_last_day(term: str) -> pd.Timestamp:
    """Last day of a term named ``YYYY-YY-autumn|spring|summer``, or of an academic year
    ``YYYY-YY`` (a year pack: the last day of its summer term).

    >>> term_last_day("2023-24-spring")
    Timestamp('2024-03-31 00:00:00')
    >>> term_last_day("2023-24")
    Timestamp('2024-08-31 00:00:00')

    Raises ConfigError for a badly named term (``dspl_eval.paths.check_term``).
    """
    from dspl_eval.paths import TERM_PATTERN, check_term

    if re.fullmatch(r"\d{4}-\d{2}", term or "") and (int(term[:4]) + 1) % 100 == int(term[5:]):
        term = f"{term}-summer"
    match = TERM_PATTERN.match(check_term(term))
    years, month, day = TERM_LAST_DAY[match.group(3)]
    return pd.Timestamp(int(match.group(1)) + years, month, day)


def _dates(data: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None or column not in data.columns:
        return pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    try:
        values = pd.to_datetime(data[column], errors="raise", dayfirst=True)
    except (ValueError, TypeError) as exc:
        raise StatisticsError(f"column {column} must hold dates: {exc}") from None
    return values.astype("datetime64[ns]")


#: ``end_reason`` values of :func:`exposure_months`, in the order ties are broken.
EXPOSURE_END_REASONS = ("follow-up end", "left", "window end", "term end")


def exposure_months(
    data: pd.DataFrame,
    term: str,
    *,
    start: str = "support_end",
    window_months: float = 6,
    window_column: str | None = "window_months",
    follow_up: str | None = "follow_up_end",
    left: str | None = None,
    months_before: str | None = None,
) -> pd.DataFrame:
    """Months each child was observed before and after support (person-time at risk).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per child.
    term : str
        The term being reported, ``YYYY-YY-autumn|spring|summer``: nothing after its last
        day (:func:`term_last_day`) is observed.
    start : str, default "support_end"
        Date column from which time after support runs (``support_end`` for ELSA/EBSA;
        ``date_joined`` for nurture groups). Missing → no time after ("support not ended
        or start date missing").
    window_months : float, default 6
        The before/after window, used where ``window_column`` is absent or blank.
    window_column : str or None, default "window_months"
        Per-child window length in months, when the return has it.
    follow_up : str or None, default "follow_up_end"
        Date column: last date the school knows about. Blank → not used.
    left : str or None
        Date column: the date the child left the school (not a nurture group's
        ``date_left``, which is leaving the group). Blank → not used.
    months_before : str or None
        Column with months observed before support, when the return says; otherwise
        the window before support (``window_months``).

    Returns
    -------
    pandas.DataFrame
        Same index, columns

        - ``start``, ``end`` : dates of the observed time after support;
        - ``end_reason`` : which limit came first (``follow-up end``, ``left``,
          ``window end``, ``term end``; ties in that order);
        - ``months_after`` : ``(end − start).days / DAYS_PER_MONTH``; **NaN** when there
          is no observed time after (``end <= start`` or no start): "no follow-up yet",
          never zero;
        - ``months_before`` : the window before support (or the return's figure);
        - ``window_months`` : the window used for that child;
        - ``full_window_after`` : True when the whole window after support was observed
          (only these children compare "any suspension" over equal windows);
        - ``status`` : ``observed``, ``no follow-up yet`` or ``no start date``.

    Notes
    -----
    A month is ``365.25 / 12 = 30.4375`` days (:data:`DAYS_PER_MONTH`); the window after
    support ends ``window_months × 30.4375`` days after ``start``. Exposure after support
    runs to the earliest of the window's end, ``follow_up``, ``left`` and the term's last
    day (MEASURES.md, issue 11). Tested against dates worked by hand in
    ``tests/test_measures.py``.
    """
    if not (isinstance(window_months, (int, float)) and window_months > 0):
        raise ConfigError(f"window_months must be a positive number, got {window_months!r}")
    _require(data, [start], "time at risk")
    term_end = term_last_day(term)
    begin = _dates(data, start)
    if window_column and window_column in data.columns:
        window = _numeric(data, window_column).fillna(float(window_months))
        _check_range(window, 0, None, "window months")
    else:
        window = pd.Series(float(window_months), index=data.index)
    window_end = begin + pd.to_timedelta(window * DAYS_PER_MONTH, unit="D")
    candidates = {
        "follow-up end": _dates(data, follow_up),
        "left": _dates(data, left),
        "window end": window_end,
        "term end": pd.Series(term_end, index=data.index, dtype="datetime64[ns]"),
    }
    stacked = pd.DataFrame(candidates)
    end = stacked.min(axis=1, skipna=True)
    reason = pd.Series(pd.NA, index=data.index, dtype="string")
    for label in reversed(EXPOSURE_END_REASONS):
        reason[stacked[label].notna() & (stacked[label] == end)] = label
    days = (end - begin).dt.total_seconds() / 86400.0
    observed = begin.notna() & (days > 0)
    months_after = (days / DAYS_PER_MONTH).where(observed)
    status = pd.Series("observed", index=data.index, dtype="string")
    status[begin.notna() & ~observed] = "no follow-up yet"
    status[begin.isna()] = "no start date"
    reason[~observed] = pd.NA
    if months_before is not None:
        _require(data, [months_before], "time at risk before support")
        before = _numeric(data, months_before)
        _check_range(before, 0, None, "months before support")
    else:
        before = window.astype(float)
    full = observed & (days >= window * DAYS_PER_MONTH - 0.5)
    return pd.DataFrame(
        {
            "start": begin,
            "end": end.where(observed),
            "end_reason": reason,
            "months_after": months_after.astype(float),
            "months_before": before.astype(float).values,
            "window_months": window.astype(float).values,
            "full_window_after": full.astype(bool),
            "status": status,
        },
        index=data.index,
    )


# =========================================================================== return to class


def return_to_class_times(
    data: pd.DataFrame,
    term: str,
    *,
    start: str = "date_joined",
    returned_date: str = "returned_date",
    returned_flag: str | None = "returned_full_time",
    left: str | None = "date_left",
) -> pd.DataFrame:
    """Time to full-time return to class, in terms, with censoring for Kaplan–Meier.

    Each child's clock starts at ``start`` (joining the group). Returns a DataFrame
    (same index) with

    - ``terms`` : (stop − start) in days / :data:`DAYS_PER_TERM`;
    - ``returned`` : True if the return was observed at ``terms`` (the event);
    - ``status`` : ``returned``; ``still attending`` (censored at the term's last day);
      ``left without returning`` (censored at ``left``: a competing outcome, treated as
      censoring and said so); ``returned, date missing`` and ``no start date`` (both
      dropped: ``terms`` NaN).

    A return dated after the term's last day is not yet observed: censored at the term's
    end. Feed ``terms`` and ``returned`` to :func:`dspl_eval.stats.kaplan_meier`
    (:func:`return_to_class_km` does).
    """
    _require(data, [start], "time to return to class")
    term_end = term_last_day(term)
    begin = _dates(data, start)
    back = _dates(data, returned_date)
    gone = _dates(data, left)
    if returned_flag and returned_flag in data.columns:
        flag = data[returned_flag].astype("boolean")
    else:
        flag = pd.Series(pd.NA, index=data.index, dtype="boolean")
    said_no = flag.eq(False).fillna(False).astype(bool)
    event = back.notna() & ~said_no & (back <= term_end)
    stop = pd.Series(term_end, index=data.index, dtype="datetime64[ns]")
    status = pd.Series("still attending", index=data.index, dtype="string")
    left_first = ~event & gone.notna() & (gone <= term_end)
    stop[left_first] = gone[left_first]
    status[left_first] = "left without returning"
    stop[event] = back[event]
    status[event] = "returned"
    undated = ~event & flag.eq(True).fillna(False).astype(bool) & back.isna()
    status[undated] = "returned, date missing"
    status[begin.isna()] = "no start date"
    days = (stop - begin).dt.total_seconds() / 86400.0
    usable = begin.notna() & ~undated & (days >= 0)
    return pd.DataFrame(
        {
            "terms": (days / DAYS_PER_TERM).where(usable).astype(float),
            "returned": event & usable,
            "status": status,
        },
        index=data.index,
    )


def return_to_class_km(
    data: pd.DataFrame,
    term: str,
    horizons: Sequence[float] = (2.0, 3.0, 4.0),
    min_at_risk: int = 5,
    confidence_level: float = 0.95,
    **columns: Any,
) -> stats.KaplanMeier:
    """Kaplan–Meier share returned full time by each horizon (terms since joining).

    ``min_at_risk`` is the report's suppression threshold: a horizon with fewer children
    still at risk is "not estimable". ``columns`` are passed to
    :func:`return_to_class_times`.
    """
    times = return_to_class_times(data, term, **columns)
    usable = times["terms"].notna()
    return stats.kaplan_meier(
        times.loc[usable, "terms"],
        times.loc[usable, "returned"],
        horizons,
        min_at_risk=min_at_risk,
        confidence_level=confidence_level,
    )


# =========================================================================== fixed RCI inputs
# (in dspl_eval.norms, re-exported here)


def norm_reliable_change(
    pre: pd.Series,
    post: pd.Series,
    norm: InstrumentNorm,
    *,
    higher_is_better: bool,
    use_sample_sd: bool = False,
    measure: str = "",
) -> ReliableChangeSummary:
    """Reliable change with the instrument's published SD and reliability (fixed inputs).

    ``threshold = 1.96 · norm.sd · sqrt(2 (1 − norm.reliability))`` does not depend on
    the cohort, so it is the same every term (Jacobson & Truax 1991 with published
    inputs). When ``norm`` has no published numbers (Boxall) nothing is computed and
    ``reason`` says so. ``use_sample_sd=True`` uses the cohort's own baseline SD
    instead — **not recommended**: the threshold then moves with every cohort; kept
    only for comparison with earlier reports.
    """
    name = measure or f"{norm.instrument.upper()} {norm.informant} {norm.scale.replace('_', ' ')}"
    if norm.reliability is None or (norm.sd is None and not use_sample_sd):
        a = pd.to_numeric(pd.Series(pre), errors="raise").astype(float)
        b = pd.to_numeric(pd.Series(post), errors="raise").astype(float)
        return ReliableChangeSummary(
            measure=name, table=pd.DataFrame(), n=int((a.notna() & b.notna()).sum()),
            n_improved=0, n_no_reliable_change=0, n_deteriorated=0, reliability=NAN,
            sd=NAN, threshold=NAN, higher_is_better=higher_is_better,
            reason=f"no published norm SD and reliability for {name}: no reliable change "
            "index is given",
        )  # fmt: skip
    return reliable_change_summary(
        pre,
        post,
        norm.reliability,
        sd=None if use_sample_sd else norm.sd,
        higher_is_better=higher_is_better,
        measure=name,
    )
