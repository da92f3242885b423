"""ELSA report: SDQ change by informant, bands, reliable change, Added Value, exclusions.

Teacher- and parent-rated SDQs are never pooled in one test: the teacher rating is the
main outcome, parent ratings are reported beside it, and the SDQ Added Value score is
computed for parent ratings only (Ford et al. 2009).

Every number a reader sees is issued by the report's gate (:mod:`dspl_eval.gate`) as the
set of children it counts: tables go through :func:`dspl_eval.reporting.gated_table`,
sentences through ``ctx.count`` / ``ctx.gate``. Every statistic comes from
:mod:`dspl_eval.stats` or :mod:`dspl_eval.measures`:

- SDQ totals and scales are interval scores: paired t with its interval, Hedges' g_av
  with Bonett's interval, signed so that + is an improvement (lower difficulties);
- reliable change uses the **fixed** published norm SD and test–retest reliability of the
  informant (:data:`dspl_eval.measures.RELIABLE_CHANGE_NORMS`), so its threshold is the
  same every term;
- suspensions use the time each child was actually observed
  (:func:`dspl_eval.measures.exposure_months`): an exact rate ratio on person-months
  (R ``poisson.test``) with a per-child robust rate ratio beside it
  (:func:`dspl_eval.stats.rate_ratio_robust`); "any suspension" before vs after only on
  children observed for the whole window after support;
- months without a further suspension: Kaplan–Meier (:func:`dspl_eval.stats.kaplan_meier`),
  no estimate where fewer than the suppression threshold are still at risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval import blocks, disclosure, measures, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.gate import PROTECTS, Issued
from dspl_eval.reporting import Context, FlagChange, PairedOutcome, Shown

#: Days in an average month (365.25 / 12), as :data:`dspl_eval.measures.DAYS_PER_MONTH`.
DAYS_PER_MONTH = measures.DAYS_PER_MONTH

INFORMANTS = ("teacher", "parent", "self")
INFORMANT_WORDS = {
    "teacher": "teachers",
    "parent": "parents or carers",
    "self": "the children themselves",
}
TOTAL_PRE, TOTAL_POST = "sdq_total_difficulties_pre", "sdq_total_difficulties_post"

SCALE_LABELS = {
    "sdq_emotional": "Emotional symptoms",
    "sdq_conduct": "Conduct problems",
    "sdq_hyperactivity": "Hyperactivity/inattention",
    "sdq_peer": "Peer relationship problems",
    "sdq_prosocial": "Prosocial behaviour (higher is better)",
}
SCALE_FAMILY = "SDQ scales"

BREAKDOWNS = ("school", "year_group", "sen_status", "ehcp_status", "sex")


# ----------------------------------------------------------------------------- data


def _view(ctx: Context, data: pd.DataFrame) -> Context:
    """A context on other rows or columns that shares ``ctx``'s gate and row ids, so
    everything the report issues is decided by one gate."""
    return ctx.with_data(data)


def with_sdq_totals(ctx: Context) -> Context:
    """The context with ``sdq_total_difficulties_pre``/``_post`` added to its data.

    Totals are :func:`dspl_eval.measures.sdq_scores` (emotional + conduct + hyperactivity
    + peer, missing if any of the four is). The input's data is not changed; the gate is
    shared."""
    data = ctx.data.copy()
    data[TOTAL_PRE] = measures.sdq_scores(data, "pre")["total_difficulties"]
    data[TOTAL_POST] = measures.sdq_scores(data, "post")["total_difficulties"]
    return _view(ctx, data)


def _informants(ctx: Context) -> pd.Series:
    if "sdq_informant" not in ctx.data:
        return pd.Series("not recorded", index=ctx.data.index, dtype=object)
    values = ctx.data["sdq_informant"].astype("string").str.lower()
    return values.fillna("not recorded").astype(object)


def for_informant(ctx: Context, informant: str) -> Context:
    """The children whose SDQ was completed by ``informant`` (same gate as ``ctx``)."""
    if informant not in INFORMANTS:
        raise ConfigError(f"informant {informant!r}: expected one of {', '.join(INFORMANTS)}")
    return _view(ctx, ctx.data[_informants(ctx).eq(informant)].copy())


def informant_sets(ctx: Context) -> dict[str, frozenset]:
    """Children per SDQ informant (teacher and parent always; self and not recorded when
    there are any), as sets of children."""
    values = _informants(ctx)
    out = {}
    for key in (*INFORMANTS, "not recorded"):
        members = ctx.members(values.eq(key))
        if members or key in ("teacher", "parent"):
            out[key] = members
    return out


def informant_sentence(ctx: Context) -> str:
    """Who completed the SDQs, for how many children (issued together by the gate), and
    that the informants are analysed separately."""
    sets = informant_sets(ctx)
    issued = ctx.gate.counts(sets)
    parts = [
        f"{INFORMANT_WORDS[k]} {_for_words(ctx, issued[k])}" for k in INFORMANTS if sets.get(k)
    ]
    text = "SDQs were completed by " + rp.join_words(parts) if parts else "No SDQs were returned"
    text += (
        ". Teachers and parents rate children differently (different questionnaires, "
        "norms and cut-offs), so each informant's scores are analysed separately and "
        "never pooled in one test."
    )
    if sets.get("not recorded"):
        missing = issued["not recorded"]
        words = (
            f"Some {ctx.people} (a number suppressed to protect another figure)"
            if missing.hidden and missing.reason == PROTECTS
            else rp.capital(ctx.count_words(missing))
        )
        text += f" {words} have no informant recorded and are left out of the SDQ analyses."
    return text


def _for_words(ctx: Context, issued: Issued) -> str:
    """``for 36 children``, ``for fewer than 5 children``, or ``(number suppressed to
    protect another figure)``."""
    if issued.hidden and issued.reason == PROTECTS:
        return "(the number of children is suppressed to protect another figure)"
    return f"for {ctx.count_words(issued)}"


def withheld(ctx: Context, issued: Issued, n: int) -> str | None:
    """Why no figures about a group of ``n`` people are shown (its count ``issued``), or
    None when they may be: too few, or its number is suppressed to protect another."""
    if issued.hidden and issued.reason == PROTECTS and not ctx.too_few(n):
        return f"the number of {ctx.people} is suppressed to protect another figure"
    if issued.hidden or ctx.too_few(n):
        return f"fewer than {ctx.threshold} {ctx.people}"
    return None


def sdq_outcome(ctx: Context, informant: str) -> PairedOutcome:
    """Paired change in SDQ total difficulties for one informant (lower is better;
    interval scale: paired t, g_av signed so that + is an improvement).

    ``ctx`` must come from :func:`with_sdq_totals`."""
    rows = for_informant(ctx, informant).data
    return rp.paired_outcome(
        ctx,
        TOTAL_PRE,
        TOTAL_POST,
        f"SDQ total difficulties ({informant}-rated)",
        higher_is_better=False,
        data=rows,
        scale="interval",
    )


# ----------------------------------------------------------------------------- subscales


def subscale_outcomes(ctx: Context, informant: str = "teacher") -> list[PairedOutcome]:
    """The five SDQ scales of one informant as paired outcomes (interval scores; prosocial
    is the one scale on which higher is better), for
    :func:`dspl_eval.reporting.show_change_table` with ``family_name=SCALE_FAMILY``."""
    rows = for_informant(ctx, informant).data
    return [
        rp.paired_outcome(
            ctx,
            f"{stem}_pre",
            f"{stem}_post",
            label,
            higher_is_better=stem == "sdq_prosocial",
            data=rows,
            scale="interval",
        )
        for stem, label in SCALE_LABELS.items()
    ]


def show_subscales(ctx: Context, outcomes: list[PairedOutcome], informant: str = "teacher") -> None:
    """Table of the five scales with Holm over the paired t-tests (the column names the
    test and the family), simultaneous intervals, and a forest chart."""
    rp.show_change_table(
        ctx, outcomes, f"SDQ scales ({informant}-rated): change in score", SCALE_FAMILY
    )


# ----------------------------------------------------------------------------- bands


def _pairs(ctx: Context) -> pd.DataFrame:
    both = ctx.data[TOTAL_PRE].notna() & ctx.data[TOTAL_POST].notna()
    return ctx.data.loc[both, [TOTAL_PRE, TOTAL_POST]]


def _bands(pairs: pd.DataFrame, bands: measures.SdqBands) -> tuple[pd.Series, pd.Series]:
    before = measures.sdq_band(pairs[TOTAL_PRE], "total_difficulties", bands)
    after = measures.sdq_band(pairs[TOTAL_POST], "total_difficulties", bands)
    return before, after


def band_table(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> Shown:
    """Children in each total-difficulties band before and after support (complete pairs),
    with a Total row, issued by the gate. Pass one informant's context with totals."""
    pairs = _pairs(ctx)
    before, after = _bands(pairs, bands)
    rows = {
        label.capitalize(): {
            "Before": ctx.members(before.index[before.astype(object) == label]),
            "After": ctx.members(after.index[after.astype(object) == label]),
        }
        for label in bands.labels
    }
    rows["Total"] = {"Before": ctx.members(pairs.index), "After": ctx.members(pairs.index)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "Band"
    return rp.gated_table(ctx, table, ["Before", "After"])


def band_movement(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> Shown:
    """Children whose total-difficulties band improved, stayed the same or worsened."""
    pairs = _pairs(ctx)
    before, after = (b.cat.codes for b in _bands(pairs, bands))
    column = ctx.people.capitalize()
    table = pd.DataFrame(
        {
            column: [
                ctx.members(pairs.index[after < before]),
                ctx.members(pairs.index[after == before]),
                ctx.members(pairs.index[after > before]),
                ctx.members(pairs.index),
            ]
        },
        index=pd.Index(
            ["Moved to a lower (better) band", "Same band", "Moved to a higher band", "Total"],
            name="Band movement",
        ),
    )
    return rp.gated_table(ctx, table, [column])


def high_band_change(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> FlagChange:
    """In the two worst total-difficulties bands (teacher: high or very high, 16+) before vs
    after, with McNemar's exact test (the threshold-share block,
    :func:`dspl_eval.blocks.condition_changes`)."""
    worst = list(bands.labels[-2:])
    low = bands.cutoffs["total_difficulties"][-2] + 1
    label = f"Total difficulties {bands.labels[-2]} or {bands.labels[-1]} ({low} or more)"

    def in_worst(totals: pd.Series) -> pd.Series:
        return measures.sdq_band(totals, "total_difficulties", bands).astype(object).isin(worst)

    return blocks.condition_changes(ctx, [(TOTAL_PRE, TOTAL_POST, label)], in_worst)[0]


def high_band_sentence(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> str:
    """Children in the high or very high band before and after (McNemar), or why not."""
    change = high_band_change(ctx, bands)
    worst = f"{bands.labels[-2]} or {bands.labels[-1]} band"
    return rp.flag_sentence(ctx, change, f"in the {worst} of total difficulties")


def show_bands(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> None:
    """Band counts before and after (table, and category bars of the same issued table),
    band movement, and the high-band McNemar sentence."""
    from dspl_eval import plots

    counts = band_table(ctx, bands)
    rp.show_table(ctx, counts, f"{ctx.people.capitalize()} in each band ({bands.name})")
    n = ctx.gate.count(ctx.members(_pairs(ctx).index))
    if n.value and not n.hidden and not ctx.too_few(int(n.value)):
        plots.display(
            plots.category_bars(
                counts.frame.drop(index="Total"),
                "SDQ total difficulties band",
                noun=ctx.people,
                suppression_threshold=ctx.threshold,
            )
        )
    rp.show_table(ctx, band_movement(ctx, bands), "Movement between bands")
    rp.show_markdown(high_band_sentence(ctx, bands))


# ----------------------------------------------------------------------------- reliable change


def reliable_norm(
    informant: str = "teacher", partnership: object = None
) -> measures.InstrumentNorm:
    """The published SDQ total-difficulties norm SD and test–retest reliability of the
    informant (:func:`dspl_eval.measures.reliable_change_norm`), with those of the
    partnership's settings file put in where it sets them (``partnership``:
    ``ctx.settings``, :meth:`dspl_eval.settings.Settings.norm`)."""
    if hasattr(partnership, "norm"):
        return partnership.norm("sdq", informant, "total_difficulties")
    return measures.reliable_change_norm("sdq", informant, "total_difficulties")


def reliable_change(ctx: Context, informant: str = "teacher") -> measures.ReliableChangeSummary:
    """Reliable change in total difficulties for one informant with the fixed published
    inputs (:func:`dspl_eval.measures.norm_reliable_change`); only children with both
    scores are in its table. ``ctx`` must come from :func:`with_sdq_totals`."""
    pairs = _pairs(for_informant(ctx, informant))
    return measures.norm_reliable_change(
        pairs[TOTAL_PRE].astype(float),
        pairs[TOTAL_POST].astype(float),
        reliable_norm(informant, ctx.settings),
        higher_is_better=False,
        measure=f"SDQ total difficulties ({informant}-rated)",
    )


def reliable_sets(ctx: Context, summary: measures.ReliableChangeSummary) -> dict[str, frozenset]:
    """Improved / no reliable change / deteriorated / Total as sets of children."""
    return rp.reliable_sets(ctx, summary)


def reliable_table(ctx: Context, summary: measures.ReliableChangeSummary) -> Shown:
    return rp.reliable_table(ctx, summary)


def reliable_sentence(
    ctx: Context, summary: measures.ReliableChangeSummary, outcome: PairedOutcome, who: str
) -> str:
    """E.g. *Of the 30 children with teacher-rated SDQs before and after, 9 improved
    reliably (total difficulties fell by more than 10.3 points) …*; counts from the gate,
    decided together with the reliable-change table."""
    if summary.reason:
        return f"Reliable change in {who} total difficulties was not computed: {summary.reason}."
    n = ctx.gate.count(outcome.both)
    if summary.n == 0:
        return f"Reliable change: no {ctx.people} have {who} scores before and after yet."
    why = withheld(ctx, n, summary.n)
    if why:
        return (
            f"Reliable change in {who} total difficulties: no figures are shown ({why} "
            "with scores before and after)."
        )
    table = reliable_table(ctx, summary).frame.iloc[:, 0]
    words = {
        "Improved": "improved reliably (total difficulties fell by more than "
        f"{summary.threshold:.1f} points)",
        "No reliable change": "showed no reliable change",
        "Deteriorated": "deteriorated reliably",
    }
    parts = [f"{table[k]} {v}" for k, v in words.items() if table[k] != disclosure.SUPPRESSED]
    text = f"Of the {ctx.count_words(n)} with {who} SDQs before and after, " + rp.join_words(parts)
    if len(parts) < len(words):
        text += (
            " (the other counts are suppressed: small, or they would let a small one be worked out)"
        )
    return text + "."


def reliable_method(informant: str = "teacher", partnership: object = None) -> str:
    """The methods line: the fixed threshold, its inputs and their sources."""
    norm = reliable_norm(informant, partnership)
    if not norm.available:
        return f"Reliable change ({informant}-rated SDQ): no published norm, so none is given."
    checked = "" if norm.verified else " (entered from the published norms, not re-checked)"
    return (
        f"Reliable change index (Jacobson & Truax 1991) for {informant}-rated SDQ total "
        f"difficulties, with fixed published inputs so that the threshold is the same "
        f"every term: a change of more than {norm.threshold:.1f} points "
        f"(1.96 × SD × √(2 × (1 − r)), SD {norm.sd:g}, r {norm.reliability:.2f}) counts "
        f"as reliable. Norm SD: {norm.sd_source}{checked}. Test–retest reliability: "
        f"{norm.reliability_source}."
    )


def show_reliable_change(
    ctx: Context, summary: measures.ReliableChangeSummary, label: str, informant: str
) -> None:
    """The threshold and its source, then :func:`dspl_eval.reporting.show_reliable_change`
    (counts table; category bars for commissioners, the scatter for analysts)."""
    if not summary.reason:
        norm = reliable_norm(informant, ctx.settings)
        rp.show_markdown(
            f"The threshold is fixed, the same every term: the published norm SD of "
            f"{informant}-rated total difficulties ({norm.sd:g} points) and its test–retest "
            f"reliability ({norm.reliability:.2f}); sources are in the methods section."
        )
    rp.show_reliable_change(ctx, summary, label, instrument=f"the {informant}-rated SDQ")


# ----------------------------------------------------------------------------- added value


def added_value(ctx: Context) -> measures.AddedValue:
    """:func:`dspl_eval.measures.sdq_added_value` (parent ratings with impact scores only)."""
    return measures.sdq_added_value(ctx.data)


def _added_value_sets(ctx: Context, av: measures.AddedValue) -> tuple[frozenset, frozenset]:
    scored = av.values.notna()
    parent = _informants(ctx).eq("parent")
    return ctx.members(scored), ctx.members(parent & ~scored)


def added_value_sentence(ctx: Context, av: measures.AddedValue) -> str:
    """The mean Added Value with its CI, or why it was not computed or is not shown."""
    if av.reason:
        return (
            "SDQ Added Value was not computed: it is only defined for parent-rated SDQs "
            "with impact scores, and none with both scores were returned."
        )
    scored, _ = _added_value_sets(ctx, av)
    n = ctx.gate.count(scored)
    why = withheld(ctx, n, av.n)
    if why:
        return (
            f"SDQ Added Value: no figure is shown ({why} with parent-rated SDQs and impact "
            "scores before and after)."
        )
    low, high = av.confidence_interval()
    ci = f", 95% CI {rp.fmt_change(low)} to {rp.fmt_change(high)}" if math.isfinite(low) else ""
    word = "better" if av.mean > 0 else "worse" if av.mean < 0 else "no different"
    text = (
        f"SDQ Added Value for the {ctx.count_words(n)} with parent-rated SDQs and impact "
        f"scores: {rp.fmt_change(av.mean)} points on average{ci} (about "
        f"{rp.fmt(av.effect_size, '', 2)} as an effect size): parent-rated difficulties after "
        f"support were {word} than predicted for similar children without help (Ford et al. "
        "2009)"
    )
    if math.isfinite(low) and low <= 0 <= high:
        text += ", but the interval includes zero, so this may be chance"
    return text + "."


def added_value_table(ctx: Context, av: measures.AddedValue) -> Shown:
    """n, parent-rated children without a score, mean Added Value, CI and effect size."""
    scored, unscored = _added_value_sets(ctx, av)
    low, high = av.confidence_interval()
    table = pd.DataFrame(
        [
            {
                "Measure": "SDQ Added Value (parent-rated)",
                "n": scored,
                "Parent-rated without a score": unscored,
                "Mean added value": rp.Stat(rp.fmt_change(av.mean), scored),
                "95% CI": rp.Stat(rp.fmt_interval(low, high), scored),
                "Effect size (AV / 5)": rp.Stat(rp.fmt(av.effect_size, "", 2), scored),
            }
        ]
    ).set_index("Measure")
    return rp.gated_table(ctx, table, ["n", "Parent-rated without a score"])


def show_added_value(ctx: Context, av: measures.AddedValue) -> None:
    rp.show_markdown(added_value_sentence(ctx, av))
    if not av.reason:
        rp.show_table(ctx, added_value_table(ctx, av), "SDQ Added Value (Ford et al. 2009)")


# ----------------------------------------------------------------------------- exclusions


@dataclass
class Exclusions:
    """Suspensions before and after support over the time actually observed.

    Attributes
    ----------
    exposure : pandas.DataFrame
        :func:`dspl_eval.measures.exposure_months` per child.
    rate : stats.RateRatio
        Exact conditional rate ratio after vs before on person-months (R ``poisson.test``).
    robust : stats.RobustRateRatio
        The same ratio from a per-child Poisson GEE with a robust interval clustered by
        child (a child with several suspensions widens it).
    used : frozenset
        Children with both counts and some observed time after support.
    no_follow_up : frozenset
        Children with no observed time after support yet (support not ended, or it ended
        on or after the last day we know about): "no follow-up yet", never zero.
    missing_counts : frozenset
        Children observed after support but without both suspension counts.
    full_window : frozenset
        Children with both counts observed for the whole window after support.
    any_suspension, permanent : FlagChange or None
        Before vs after (McNemar) over equal, fully observed windows; None when fewer
        than the threshold (or no) children have one (``comparison_reason`` says why).
    window_months : tuple of int
        The distinct window lengths used.
    """

    exposure: pd.DataFrame
    rate: stats.RateRatio
    robust: stats.RobustRateRatio
    used: frozenset
    no_follow_up: frozenset
    missing_counts: frozenset
    full_window: frozenset
    any_suspension: FlagChange | None
    permanent: FlagChange | None
    window_months: tuple[int, ...]
    comparison_reason: str | None = None


def exclusion_changes(ctx: Context, window_months: int = 6) -> Exclusions:
    """Time at risk from the dates in the return, the rate ratios on person-months and
    the equal-window comparisons."""
    if window_months is None or not (isinstance(window_months, int | float) and window_months >= 1):
        raise ConfigError(f"window_months {window_months!r}: expected a whole number ≥ 1")
    data = ctx.data
    exposure = measures.exposure_months(data, ctx.term, window_months=window_months)
    before = data["suspensions_before"].astype("Float64")
    after = data["suspensions_after"].astype("Float64")
    counted = (before.notna() & after.notna()).astype(bool)
    observed = exposure["months_after"].notna()
    used = counted & observed
    full = used & exposure["full_window_after"]

    def masked(values: pd.Series) -> np.ndarray:
        return values.astype("Float64").where(used).to_numpy(dtype=float, na_value=np.nan)

    args = (
        masked(after),
        masked(exposure["months_after"]),
        masked(before),
        masked(exposure["months_before"]),
    )
    rate = stats.rate_ratio(*args)
    robust = stats.rate_ratio_robust(*args)
    windows = tuple(sorted({int(m) for m in exposure.loc[used, "window_months"]}))
    any_suspension = permanent = None
    n_full = int(full.sum())
    reason = None
    if n_full == 0:
        reason = (
            "no child has yet been observed for the whole window after support, and "
            "comparing a full window before with a shorter one after would make "
            "suspensions look rarer after support"
        )
    elif ctx.too_few(n_full):
        reason = (
            f"fewer than {ctx.threshold} {ctx.people} have been observed for the whole "
            "window after support"
        )
    else:
        any_suspension = rp.flag_change(
            ctx, before.gt(0).where(full), after.gt(0).where(full), "Any suspension"
        )
        if {"permanent_exclusion_before", "permanent_exclusion_after"} <= set(data):
            permanent = rp.flag_change(
                ctx,
                data["permanent_exclusion_before"].astype("boolean").where(full),
                data["permanent_exclusion_after"].astype("boolean").where(full),
                "Permanent exclusion",
            )
    return Exclusions(
        exposure=exposure,
        rate=rate,
        robust=robust,
        used=ctx.members(used),
        no_follow_up=ctx.members(~observed),
        missing_counts=ctx.members(observed & ~counted),
        full_window=ctx.members(full),
        any_suspension=any_suspension,
        permanent=permanent,
        window_months=windows,
        comparison_reason=reason,
    )


def _window_words(months: tuple[int, ...]) -> str:
    if len(months) == 1:
        return f"{months[0]}-month window"
    if not months:
        return "window"
    return f"window ({months[0]} to {months[-1]} months)"


def _ratio(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "x"
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}"


def _ratio_ci(estimate: float, low: float, high: float) -> str:
    if not math.isfinite(low):
        return _ratio(estimate)
    return f"{_ratio(estimate)} ({_ratio(low)} to {_ratio(high)})"


def _rate_shown(ctx: Context, ex: Exclusions) -> tuple[Issued, Issued, Issued, bool]:
    """n, events before and after as issued, and whether the ratio may be shown: the
    group is not small and both event counts are shown (the rates and the ratio give
    the event counts away). When n is hidden only to protect another figure the ratio
    is still shown, but not n, the child-months or the rates (the child-months before
    are the window times n)."""
    r = ex.rate
    n = ctx.gate.count(ex.used)
    before, after = ctx.gate.events(r.events_before), ctx.gate.events(r.events_after)
    small = ctx.too_few(r.n) or (n.hidden and n.reason != PROTECTS)
    return n, before, after, not (small or before.hidden or after.hidden)


def exclusion_sentence(ctx: Context, ex: Exclusions) -> str:
    """E.g. *The 38 children with suspension counts and observed time after support were
    observed for 228 child-months before support and 61.0 after, with 21 suspensions
    before and 19 after: a rate ratio of 3.37 (95% CI …, exact test p = …) …*"""
    r = ex.rate
    if r.n == 0:
        return (
            f"Suspensions: no {ctx.people} have suspension counts and observed time after "
            "support yet."
        )
    n, before, after, shown = _rate_shown(ctx, ex)
    if ctx.too_few(r.n) or (n.hidden and n.reason != PROTECTS):
        return (
            f"Suspensions: no figures are shown (fewer than {ctx.threshold} {ctx.people} "
            "with suspension counts and observed time after support)."
        )
    if n.hidden:
        text = (
            f"Over the time they were observed, the {ctx.people} with suspension counts and "
            "observed time after support (their number, and so their child-months, are "
            "suppressed to protect another figure)"
        )
        verb = " had"
    else:
        text = (
            f"The {ctx.count_words(n)} with suspension counts and observed time after "
            f"support were observed for {r.exposure_before:,.0f} child-months before "
            f"support and {r.exposure_after:,.1f} child-months after"
        )
        verb = ", with"
    if not shown:
        return text + (
            f"; the numbers of suspensions are too small to show (fewer than "
            f"{ctx.threshold} in a window), so the rates and their ratio are not shown either."
        )
    text += (
        f"{verb} {before} suspension{'s' if r.events_before != 1 else ''} before and {after} after"
    )
    if r.reason:
        return text + f" ({r.reason})."
    low, high = r.confidence_interval()
    ci = f"95% CI {_ratio(low)} to {_ratio(high)}, " if math.isfinite(low) else ""
    text += f": a rate ratio of {_ratio(r.estimate)} ({ci}exact test {rp.fmt_p(r.pvalue)})"
    if math.isfinite(r.estimate) and r.estimate < 1:
        text += f", {100 * (1 - r.estimate):.0f}% fewer suspensions per month than before"
    elif math.isfinite(r.estimate) and r.estimate > 1:
        text += f", {100 * (r.estimate - 1):.0f}% more suspensions per month than before"
    if math.isfinite(low) and low <= 1 <= high:
        text += "; the interval includes 1 (no change), so this may be chance"
    text += "."
    rb = ex.robust
    if rb.reason is None:
        r_low, r_high = rb.confidence_interval()
        text += (
            f" Allowing for children with several suspensions (a robust interval clustered by "
            f"child), the 95% interval is {_ratio(r_low)} to {_ratio(r_high)} "
            f"({rp.fmt_p(rb.pvalue)})."
        )
    return text


def exclusion_table(ctx: Context, ex: Exclusions) -> Shown:
    """n, child-months, suspensions and rates before and after, the exact rate ratio and
    the robust one (:func:`_rate_shown` says what may be shown)."""
    r, rb = ex.rate, ex.robust
    _, _, _, shown = _rate_shown(ctx, ex)
    low, high = r.confidence_interval()
    r_low, r_high = rb.confidence_interval()

    def rate(events: int, exposure: float) -> object:
        text = rp.fmt(100 * events / exposure, "", 1) if exposure else "x"
        return rp.Stat(text, ex.used) if shown else disclosure.SUPPRESSED

    def ratio(text: str) -> str:
        return text if shown else disclosure.SUPPRESSED

    row = {
        "Measure": "Suspensions",
        "n": ex.used,
        "Child-months before": rp.Stat(f"{r.exposure_before:,.0f}", ex.used),
        "Child-months after": rp.Stat(f"{r.exposure_after:,.1f}", ex.used),
        "Suspensions before": rp.Events(r.events_before),
        "Suspensions after": rp.Events(r.events_after),
        "Rate per 100 child-months before": rate(r.events_before, r.exposure_before),
        "Rate per 100 child-months after": rate(r.events_after, r.exposure_after),
        "Rate ratio (95% CI, exact)": ratio(_ratio_ci(r.estimate, low, high)),
        "p (exact)": ratio(rp.fmt_p(r.pvalue)),
        "Rate ratio (95% CI, robust by child)": ratio(_ratio_ci(rb.estimate, r_low, r_high)),
        "p (robust)": ratio(rp.fmt_p(rb.pvalue)),
    }
    if r.n == 0:
        row = {k: (v if k in ("Measure", "n") else None) for k, v in row.items()}
    return rp.gated_table(ctx, pd.DataFrame([row]).set_index("Measure"), ["n"])


def follow_up_sentence(ctx: Context, ex: Exclusions) -> str:
    """Who is not in the rate ratio and why: no follow-up yet, or counts missing."""
    parts = []
    if ex.no_follow_up:
        parts.append(
            f"{rp.capital(ctx.count(ex.no_follow_up))} have no follow-up yet (support has "
            "not ended, or ended on or after the last date we know about): they are left "
            "out rather than counted as having no suspensions"
        )
    if ex.missing_counts:
        parts.append(
            f"{ctx.count(ex.missing_counts)} have observed time after support but no "
            "suspension count for one of the windows"
        )
    return "; ".join(parts) + "." if parts else ""


def comparison_sentence(ctx: Context, ex: Exclusions) -> str:
    """Why "any suspension" before vs after is (or is not) compared."""
    window = _window_words(ex.window_months)
    if ex.comparison_reason:
        return (
            f"Whether children were suspended at all before and after support (the "
            f"{window}) is not compared: {ex.comparison_reason}."
        )
    return (
        f"Whether children were suspended at all, and permanent exclusions, are compared "
        f"only for the {ctx.count(ex.full_window)} observed for the whole {window} after "
        "support, so that both windows are of equal length."
    )


def show_exclusions(ctx: Context, ex: Exclusions) -> None:
    """The rate-ratio sentence and table, who is left out, then any suspension and
    permanent exclusion before and after over equal windows (or why not)."""
    rp.show_markdown(exclusion_sentence(ctx, ex))
    extra = follow_up_sentence(ctx, ex)
    if extra:
        rp.show_markdown(extra)
    rp.show_table(
        ctx,
        exclusion_table(ctx, ex),
        "Suspensions before and after support, over the time observed (rates per 100 child-months)",
    )
    rp.show_markdown(comparison_sentence(ctx, ex))
    flags = [f for f in (ex.any_suspension, ex.permanent) if f is not None]
    if flags:
        rp.show_markdown(rp.flag_sentence(ctx, flags[0], "suspended at least once"))
        rp.show_flags(ctx, flags, "Suspended or permanently excluded before and after support")


# ----------------------------------------------------------------------------- suspension-free


@dataclass
class SuspensionFree:
    """Months without a further suspension after support ended (Kaplan–Meier).

    Attributes
    ----------
    km : stats.KaplanMeier
        Event = a further suspension (``next_suspension_date``); censored at the last
        date we know about (``follow_up_end``, else the term's last day).
    months : pandas.Series
        Months from the end of support to the event or censoring (children with a time).
    event : pandas.Series of bool
    no_follow_up : frozenset
        Children whose support ended but with no time observed after it yet.
    reason : str or None
        Why nothing was computed.
    """

    km: stats.KaplanMeier | None
    months: pd.Series
    event: pd.Series
    no_follow_up: frozenset
    reason: str | None = None


def suspension_free(
    ctx: Context, horizons: tuple[float, ...] = (3, 6), confidence_level: float = 0.95
) -> SuspensionFree:
    """Share of children still without a further suspension 3 and 6 months after support.

    Time runs from ``support_end`` to ``next_suspension_date`` (an event) or, without one
    by then, to the last date we know about: ``follow_up_end``, capped at the term's last
    day (censored), in months of 365.25 / 12 days. :func:`dspl_eval.stats.kaplan_meier`
    with ``min_at_risk`` = the suppression threshold: no estimate where fewer children
    are still at risk (in both editions).
    """
    data = ctx.data
    empty = pd.Series(dtype=float)
    if "support_end" not in data or data["support_end"].isna().all():
        return SuspensionFree(
            None, empty, empty.astype(bool), frozenset(), "no support end dates were returned"
        )
    start = pd.to_datetime(data["support_end"]).astype("datetime64[ns]")
    term_end = measures.term_last_day(ctx.term)

    def dates(column: str) -> pd.Series:
        if column not in data:
            return pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
        return pd.to_datetime(data[column]).astype("datetime64[ns]")

    known = dates("follow_up_end").fillna(term_end).clip(upper=term_end)
    next_date = dates("next_suspension_date")
    event = next_date.notna() & (next_date <= known) & (next_date >= start)
    stop = next_date.where(event, known)
    months = (stop - start).dt.total_seconds() / 86400.0 / DAYS_PER_MONTH
    usable = start.notna() & (event | (months > 0))
    km = stats.kaplan_meier(
        months[usable],
        event[usable],
        horizons,
        min_at_risk=ctx.threshold,
        confidence_level=confidence_level,
    )
    return SuspensionFree(
        km,
        months[usable].astype(float),
        event[usable].astype(bool),
        ctx.members(start.notna() & ~usable),
    )


def _horizon_sets(ctx: Context, sf: SuspensionFree, h: float) -> tuple[frozenset, frozenset]:
    at_risk = ctx.members(sf.months.index[sf.months >= h])
    events = ctx.members(sf.months.index[sf.event & (sf.months <= h)])
    return at_risk, events


def suspension_free_table(ctx: Context, sf: SuspensionFree) -> Shown:
    """Per horizon: children with a time, still at risk (observed that long without a
    further suspension), with a further suspension by then, and the Kaplan–Meier share
    still suspension-free with its interval — no estimate where fewer than the threshold
    are at risk, and hidden where the count of children suspended is (with no censoring
    the share would give it away)."""
    columns = ["n", "Still at risk", "Further suspension by then"]
    if sf.km is None:
        return rp.text_table(pd.DataFrame(columns=columns))
    everyone = ctx.members(sf.months.index)
    cells = {}
    for h in sf.km.horizons:
        at_risk, events = _horizon_sets(ctx, sf, h)
        cells |= {(h, "n"): everyone, (h, "at"): at_risk, (h, "ev"): events}
    issued = ctx.gate.counts(cells)
    rows = []
    for h, row in zip(sf.km.horizons, sf.km.table.itertuples(index=False), strict=True):
        at, ev = issued[(h, "at")], issued[(h, "ev")]
        if not row.estimable:
            share, note = "x", f"fewer than {ctx.threshold} {ctx.people} still at risk: no estimate"
        elif at.hidden or ev.hidden:
            share, note = disclosure.SUPPRESSED, "it would reveal a suppressed count"
        else:
            s = 100 * row.survival
            low, high = 100 * (1 - row.upper_ci), 100 * (1 - row.lower_ci)
            share = f"{s:.0f}%" + (f" ({low:.0f}% to {high:.0f}%)" if math.isfinite(low) else "")
            note = ""
        rows.append(
            {
                "Months after support ended": f"{h:g} months",
                "n": issued[(h, "n")],
                "Still at risk": at,
                "Further suspension by then": ev,
                "Still suspension-free (Kaplan–Meier, 95% CI)": share,
                "Note": note,
            }
        )
    table = pd.DataFrame(rows).set_index("Months after support ended")
    return rp.gated_table(ctx, table, columns)


def suspension_free_sentence(ctx: Context, sf: SuspensionFree) -> str:
    """Who had a further suspension, and the shares where they can be estimated."""
    if sf.km is None:
        return f"Months without a further suspension were not computed: {sf.reason}."
    everyone = ctx.members(sf.months.index)
    n = ctx.gate.count(everyone)
    if not everyone:
        return (
            "Months without a further suspension: no child has been observed after support "
            "ended yet."
        )
    if ctx.too_few(len(everyone)) or (n.hidden and n.reason != PROTECTS):
        return (
            f"Months without a further suspension: fewer than {ctx.threshold} {ctx.people} "
            "have been observed after support ended, so no figures are shown."
        )
    suspended = ctx.members(sf.event.index[sf.event])
    who = (
        f"the {ctx.people} observed after support ended (their number is suppressed to "
        "protect another figure)"
        if n.hidden
        else f"the {ctx.count_words(n)} observed after support ended"
    )
    text = (
        f"Of {who}, {ctx.count(suspended)} had a further suspension by the last date we "
        "know about. Each child counts from the "
        "end of support until a further suspension or, for the others, until that last "
        "date (when they stop counting, censored)."
    )
    shown = suspension_free_table(ctx, sf).frame
    column = "Still suspension-free (Kaplan–Meier, 95% CI)"
    parts, pending = [], []
    for h in sf.km.horizons:
        value = shown.loc[f"{h:g} months", column]
        if value == disclosure.NOT_AVAILABLE:
            pending.append(f"{h:g}")
        elif value != disclosure.SUPPRESSED:
            parts.append(f"{value} at {h:g} months")
    if parts:
        text += f" An estimated {rp.join_words(parts)} were still without a further suspension."
    if pending:
        text += (
            f" No estimate is given at {' or '.join(pending)} months: fewer than "
            f"{ctx.threshold} {ctx.people} have been observed that long without one."
        )
    return text


def show_suspension_free(ctx: Context, sf: SuspensionFree) -> None:
    rp.show_markdown(suspension_free_sentence(ctx, sf))
    if sf.km is not None and len(sf.months) and not ctx.too_few(len(sf.months)):
        rp.show_table(ctx, suspension_free_table(ctx, sf), "Still without a further suspension")


# ----------------------------------------------------------------------------- breakdowns


def show_breakdowns(ctx: Context, outcome: PairedOutcome) -> None:
    """Mean change by school, year group, SEN status, EHCP status and sex
    (:func:`dspl_eval.reporting.show_breakdowns`; small groups merged)."""
    rp.show_breakdowns(ctx, outcome, by=BREAKDOWNS)


# ----------------------------------------------------------------------------- endings


def value_for_money(ctx: Context, summary: measures.ReliableChangeSummary) -> dict:
    """The value-for-money arguments of :func:`dspl_eval.reporting.show_ending`: cost per
    child with a reliable improvement in teacher-rated total difficulties (hidden whenever
    that count is), or why there is none."""
    words = "a reliable improvement (teacher-rated SDQ)"
    if summary.reason:
        return {"outcome": None, "outcome_words": words, "reason": summary.reason}
    return {"outcome": reliable_sets(ctx, summary)["Improved"], "outcome_words": words}


def summary_tables(
    ctx: Context,
    teacher: Context,
    outcomes: list[PairedOutcome],
    summary: measures.ReliableChangeSummary,
    ex: Exclusions,
    av: measures.AddedValue,
    sf: SuspensionFree,
) -> dict[str, tuple[str, Shown]]:
    """The tables for the index and summary.xlsx, all issued by the gate."""
    flags = [high_band_change(teacher), ex.any_suspension, ex.permanent]
    followed = sf.km is not None and len(sf.months) and not ctx.too_few(len(sf.months))
    more = {
        "reliable change": None
        if summary.reason
        else (
            "Reliable change in teacher-rated SDQ total difficulties",
            lambda: reliable_table(ctx, summary),
        ),
        "suspensions": (
            "Suspensions before and after support, over the time observed (rates per 100 "
            "child-months)",
            lambda: exclusion_table(ctx, ex),
        ),
        "suspension-free": (
            (
                "Still without a further suspension after support",
                lambda: suspension_free_table(ctx, sf),
            )
            if followed
            else None
        ),
        "added value": None
        if av.reason
        else ("SDQ Added Value (parent-rated)", lambda: added_value_table(ctx, av)),
    }
    return rp.summary_tables(ctx, outcomes, flags, more)


def methods(window_months: int, partnership: object = None) -> list[str]:
    """The instrument and method lines of the methods section (with their sources;
    ``partnership``: ``ctx.settings``, for the reliable-change inputs it sets)."""
    return [
        "SDQ (Strengths and Difficulties Questionnaire): 25 items on five scales of five "
        "items (0–10 each); total difficulties = emotional + conduct + hyperactivity + peer "
        "(0–40); lower is better. Scoring: sdqinfo.org scoring documents. Totals and scales "
        "are treated as interval scores: paired t-test and its 95% interval; the five "
        "scales are one family, with Holm's adjustment of the paired t-test p-values.",
        f"Bands: {measures.TEACHER_BANDS.source}; parent three bands: "
        f"{measures.PARENT_BANDS.source}.",
        reliable_method("teacher", partnership),
        "SDQ Added Value (Ford et al. 2009, Br J Psychiatry 194:552–8): predicted total "
        "after = 2.3 + 0.8 × total before + 0.2 × impact before − 0.3 × emotional before; "
        "added value = predicted − observed; added value ÷ 5 is about an effect size. "
        "Parent-rated SDQs with impact scores only.",
        "Teacher and parent ratings are never pooled in one test: each informant's scores "
        "are analysed separately.",
        "Suspension: excluded for a set period (at most 45 school days a year); permanent "
        "exclusion: will not return to that school (DfE). Time at risk comes from the dates "
        f"in the return: before support, the window before ({window_months} months unless "
        "the return says otherwise); after support, from the end of support to the "
        "earliest of the end of the window, the follow-up date in the return and the last "
        "day of the term reported (months of 365.25 / 12 days). Suspensions after support "
        "count only up to the follow-up date. Rate ratio after vs before on these "
        "child-months: exact conditional Poisson test (as R poisson.test), with a "
        "Poisson GEE rate ratio and a robust (sandwich) interval clustered by child beside "
        "it (Liang & Zeger 1986), so that a child with several suspensions does not make "
        "the interval look more certain than it is. A child with no observed time after "
        "support has no follow-up yet and is left out, not counted as having no "
        "suspensions. Any suspension (and permanent exclusion) before vs after: McNemar's "
        "exact test, only over equal windows, i.e. for children observed for the whole "
        "window after support.",
        "Months without a further suspension: from the end of support to the next "
        "suspension date, or to the last date we know about (the follow-up date, or "
        "the last day of the term) for children with none (censored); Kaplan–Meier share "
        "still without one, with R survfit's log-transformed Greenwood 95% interval; no "
        "estimate at a horizon where fewer children than the suppression threshold are "
        "still at risk.",
    ]
