"""ELSA report: SDQ change by informant, bands, reliable change, Added Value, exclusions.

Teacher- and parent-rated SDQs are never pooled in one test: the teacher rating is the
main outcome (it is the informant with a published reliability for the reliable-change
index and the four-band cut-offs), parent ratings are reported beside it, and the SDQ
Added Value score is computed for parent ratings only (Ford et al. 2009).

Every figure comes from :mod:`dspl_eval.stats` or :mod:`dspl_eval.measures`, except the
"months without a further suspension" shares, which are Kaplan–Meier estimates from
``statsmodels.duration.survfunc.SurvfuncRight`` (:func:`suspension_free`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps

from dspl_eval import disclosure, measures, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.reporting import Context, FlagChange, PairedOutcome, Shown

#: Days in an average month (365.25 / 12), to turn dates into months of follow-up.
DAYS_PER_MONTH = 365.25 / 12

INFORMANTS = ("teacher", "parent", "self")
INFORMANT_WORDS = {"teacher": "teachers", "parent": "parents or carers", "self": "the children"}
TOTAL_PRE, TOTAL_POST = "sdq_total_difficulties_pre", "sdq_total_difficulties_post"

SCALE_LABELS = {
    "sdq_emotional": "Emotional symptoms",
    "sdq_conduct": "Conduct problems",
    "sdq_hyperactivity": "Hyperactivity/inattention",
    "sdq_peer": "Peer relationship problems",
    "sdq_prosocial": "Prosocial behaviour (higher is better)",
}

BREAKDOWN_LABELS = {
    "school": "School",
    "year_group": "Year group",
    "sen_status": "SEN status",
    "ehcp_status": "EHCP status",
    "sex": "Sex",
}


# ----------------------------------------------------------------------------- data


def with_sdq_totals(ctx: Context) -> Context:
    """The context with ``sdq_total_difficulties_pre``/``_post`` added to its data.

    Totals are :func:`dspl_eval.measures.sdq_scores` (emotional + conduct + hyperactivity
    + peer, missing if any of the four is). The input context is not changed.
    """
    data = ctx.data.copy()
    data[TOTAL_PRE] = measures.sdq_scores(data, "pre")["total_difficulties"]
    data[TOTAL_POST] = measures.sdq_scores(data, "post")["total_difficulties"]
    return dataclasses.replace(ctx, data=data)


def for_informant(ctx: Context, informant: str) -> Context:
    """The context restricted to the children whose SDQ was completed by ``informant``."""
    if informant not in INFORMANTS:
        raise ConfigError(f"informant {informant!r}: expected one of {', '.join(INFORMANTS)}")
    rows = ctx.data["sdq_informant"].astype("string").str.lower().eq(informant)
    return dataclasses.replace(ctx, data=ctx.data[rows.fillna(False).astype(bool)].copy())


def informant_counts(ctx: Context) -> pd.Series:
    """Children per SDQ informant (teacher, parent, self, not recorded), zeros kept."""
    values = ctx.data["sdq_informant"].astype("string").str.lower().fillna("not recorded")
    order = [*INFORMANTS, "not recorded"]
    counts = values.value_counts().reindex(order, fill_value=0).astype(int)
    return counts[(counts > 0) | counts.index.isin(["teacher", "parent"])]


def informant_sentence(ctx: Context) -> str:
    """Who completed the SDQs, and that the informants are analysed separately.

    The number per informant is not given: with each section's n it would let a
    suppressed "n without follow-up" be worked out."""
    counts = informant_counts(ctx)
    parts = [INFORMANT_WORDS[k] for k, v in counts.items() if k in INFORMANT_WORDS and v]
    text = "SDQs were completed by " + _join(parts) if parts else "No SDQs were returned"
    text += (
        ". Teachers and parents rate children differently (different questionnaires, "
        "norms and cut-offs), so each informant's scores are analysed separately and "
        "never pooled in one test."
    )
    missing = int(counts.get("not recorded", 0))
    if missing:
        text += (
            f" {ctx.count(missing).capitalize()} have no informant recorded and are left "
            "out of the SDQ analyses."
        )
    return text


def sdq_outcome(ctx: Context, informant: str) -> PairedOutcome:
    """Paired change in SDQ total difficulties for one informant's ratings (lower is better).

    ``ctx`` must come from :func:`with_sdq_totals`."""
    rows = for_informant(ctx, informant).data
    return rp.paired_outcome(
        ctx,
        TOTAL_PRE,
        TOTAL_POST,
        f"SDQ total difficulties ({informant}-rated)",
        higher_is_better=False,
        data=rows,
    )


def chart_counts_hidden(ctx: Context, pre: np.ndarray, post: np.ndarray) -> bool:
    """Whether a chart of individual children would print a small count: the before/after
    charts label how many rose, fell and did not change, so for commissioners they are
    drawn only when each of those counts is 0 or at least the threshold."""
    diff = np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)
    return any(ctx.hide(int(k)) for k in ((diff > 0).sum(), (diff < 0).sum(), (diff == 0).sum()))


def show_outcome(
    ctx: Context,
    outcome: PairedOutcome,
    charts: tuple[str, ...] = ("before_after", "change_distribution"),
) -> None:
    """:func:`dspl_eval.reporting.show_outcome`, without the charts when they would print a
    count of fewer than the threshold (:func:`chart_counts_hidden`)."""
    if outcome.n and chart_counts_hidden(ctx, outcome.pre, outcome.post):
        rp.show_outcome(ctx, outcome, charts=())
        if not ctx.too_few(outcome.n):
            rp.show_markdown(
                f"Charts of individual {ctx.people} are not shown: the number whose score "
                f"rose, fell or stayed the same is below {ctx.threshold} for one of them."
            )
        return
    rp.show_outcome(ctx, outcome, charts)


# ----------------------------------------------------------------------------- subscales


def subscale_change(ctx: Context) -> pd.DataFrame:
    """:func:`dspl_eval.measures.change_table` for the five SDQ scales, Holm across them.

    Pass one informant's context (:func:`for_informant`); prosocial is the one scale on
    which higher is better."""
    stems = list(SCALE_LABELS)
    return measures.change_table(
        ctx.data,
        stems,
        higher_is_better={s: s == "sdq_prosocial" for s in stems},
        adjust=True,
    )


# ----------------------------------------------------------------------------- bands


def _pairs(ctx: Context) -> pd.DataFrame:
    both = ctx.data[TOTAL_PRE].notna() & ctx.data[TOTAL_POST].notna()
    return ctx.data.loc[both, [TOTAL_PRE, TOTAL_POST]]


def band_counts(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> Shown:
    """Children in each total-difficulties band before and after support (complete pairs),
    with a Total row; primary and secondary suppression for commissioners.

    Pass one informant's context with totals (teacher four bands by default)."""
    pairs = _pairs(ctx)
    before = measures.sdq_band(pairs[TOTAL_PRE], "total_difficulties", bands)
    after = measures.sdq_band(pairs[TOTAL_POST], "total_difficulties", bands)
    labels = [label.capitalize() for label in bands.labels]
    table = pd.DataFrame(
        {
            "Before": before.value_counts(sort=False).reindex(list(bands.labels), fill_value=0),
            "After": after.value_counts(sort=False).reindex(list(bands.labels), fill_value=0),
        }
    ).astype(int)
    table.index = pd.Index(labels, name="Band")
    table.loc["Total"] = table.sum()
    return _counts_shown(ctx, table)


def band_movement(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> Shown:
    """Children whose total-difficulties band improved, stayed the same or worsened."""
    pairs = _pairs(ctx)
    before = measures.sdq_band(pairs[TOTAL_PRE], "total_difficulties", bands).cat.codes
    after = measures.sdq_band(pairs[TOTAL_POST], "total_difficulties", bands).cat.codes
    table = pd.DataFrame(
        {
            ctx.people.capitalize(): [
                int((after < before).sum()),
                int((after == before).sum()),
                int((after > before).sum()),
                len(pairs),
            ]
        },
        index=pd.Index(
            ["Moved to a lower (better) band", "Same band", "Moved to a higher band", "Total"],
            name="Band movement",
        ),
    )
    return _counts_shown(ctx, table)


def high_band_change(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> FlagChange:
    """In the two worst total-difficulties bands (teacher: high or very high, 16+) before vs
    after, with McNemar's exact test (:func:`dspl_eval.reporting.flag_change`)."""
    scores = ctx.data[[TOTAL_PRE, TOTAL_POST]]
    worst = set(bands.labels[-2:])
    flags = {
        when: measures.sdq_band(scores[column], "total_difficulties", bands)
        .astype(object)
        .map(lambda b: None if pd.isna(b) else b in worst)
        for when, column in (("pre", TOTAL_PRE), ("post", TOTAL_POST))
    }
    low = bands.cutoffs["total_difficulties"][-2] + 1
    return rp.flag_change(
        ctx,
        flags["pre"],
        flags["post"],
        f"Total difficulties {bands.labels[-2]} or {bands.labels[-1]} ({low} or more)",
    )


def flag_sentence(ctx: Context, change: FlagChange, noun: str) -> str:
    """:func:`dspl_eval.reporting.flag_sentence`, also withheld when the complement of a
    count (children *not* in the group) is small, as :func:`~dspl_eval.reporting.flag_table`
    does."""
    if change.n and (ctx.hide(change.n - change.before) or ctx.hide(change.n - change.after)):
        return (
            f"{change.label}: the numbers are too small to show without identifying "
            f"{ctx.people} (fewer than {ctx.threshold})."
        )
    return rp.flag_sentence(ctx, change, noun)


def high_band_withheld(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> bool:
    """Whether the high-band counts must be withheld for commissioners because, with the
    band table (:func:`band_counts`), they would give away a suppressed band count.

    The two worst bands' sum splits each column of the band table in two; when that
    column's suppressed cells lie on both sides of the split, publishing the sum (with the
    total) recovers them."""
    if not ctx.commissioner:
        return False
    frame = band_counts(ctx, bands).frame.drop(index="Total")
    worst = frame.index[-2:]
    for column in frame.columns:
        hidden = frame[column].eq(disclosure.SUPPRESSED)
        if hidden[worst].any() and hidden.drop(index=worst).any():
            return True
    return False


def high_band_sentence(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> str:
    """Children in the high or very high band before and after (McNemar), or why not shown."""
    change = high_band_change(ctx, bands)
    if high_band_withheld(ctx, bands):
        return (
            f"{change.label}: not shown, as it would let a band count of fewer than "
            f"{ctx.threshold} {ctx.people} be worked out."
        )
    worst = f"{bands.labels[-2]} or {bands.labels[-1]} band"
    return flag_sentence(ctx, change, f"in the {worst} of total difficulties")


def show_bands(ctx: Context, bands: measures.SdqBands = measures.TEACHER_BANDS) -> None:
    """Band counts before and after (table and category bars), band movement, and the
    high-band McNemar sentence."""
    from dspl_eval import plots

    counts = band_counts(ctx, bands)
    rp.show_table(ctx, counts, f"{ctx.people.capitalize()} in each band ({bands.name})")
    n = _pairs(ctx).shape[0]
    if n and not ctx.too_few(n):
        bars = counts.frame.drop(index="Total")
        plots.display(
            plots.category_bars(
                bars,
                "SDQ total difficulties band",
                noun=ctx.people,
                suppression_threshold=ctx.threshold,
            )
        )
    rp.show_table(ctx, band_movement(ctx, bands), "Movement between bands")
    rp.show_markdown(high_band_sentence(ctx, bands))


# ----------------------------------------------------------------------------- reliable change


def reliable_change(ctx: Context, reliability: float | None) -> measures.ReliableChangeSummary:
    """:func:`dspl_eval.measures.sdq_reliable_change` on total difficulties (one informant)."""
    return measures.sdq_reliable_change(ctx.data, reliability=reliability)


def reliable_sentence(ctx: Context, summary: measures.ReliableChangeSummary, who: str) -> str:
    """E.g. *Of the 30 children with teacher-rated scores before and after, 9 improved
    reliably (a fall of more than 4.5 points), 20 showed no reliable change and 1 ...*"""
    if summary.reason:
        return f"Reliable change in {who} total difficulties was not computed: {summary.reason}."
    if summary.n == 0:
        return f"Reliable change: no {ctx.people} have {who} scores before and after yet."
    if ctx.too_few(summary.n):
        return (
            f"Reliable change: fewer than {ctx.threshold} {ctx.people} have {who} scores "
            "before and after, so no figures are shown."
        )
    table = reliable_table(ctx, summary).frame.iloc[:, 0]
    words = {
        "Improved": "improved reliably (total difficulties fell by more than "
        f"{summary.threshold:.1f} points)",
        "No reliable change": "showed no reliable change",
        "Deteriorated": "deteriorated reliably",
    }
    parts = [f"{table[k]} {v}" for k, v in words.items() if table[k] != disclosure.SUPPRESSED]
    text = f"Of the {ctx.count(summary.n)} with {who} SDQs before and after, " + _join(parts)
    if len(parts) < len(words):
        text += " (the other counts are too small to show)"
    return text + "."


reliable_table = rp.reliable_table
show_reliable_change = rp.show_reliable_change


# ----------------------------------------------------------------------------- added value


def added_value(ctx: Context) -> measures.AddedValue:
    """:func:`dspl_eval.measures.sdq_added_value` (parent ratings with impact scores only)."""
    return measures.sdq_added_value(ctx.data)


def added_value_sentence(ctx: Context, av: measures.AddedValue) -> str:
    """The mean Added Value with its CI, or why it was not computed or is not shown."""
    if av.reason:
        return f"SDQ Added Value was {av.reason}."
    if ctx.too_few(av.n):
        return (
            f"SDQ Added Value: fewer than {ctx.threshold} {ctx.people} have parent-rated SDQs "
            "with impact scores before and after, so no figure is shown."
        )
    low, high = av.confidence_interval()
    ci = f", 95% CI {rp.fmt_change(low)} to {rp.fmt_change(high)}" if math.isfinite(low) else ""
    word = "better" if av.mean > 0 else "worse" if av.mean < 0 else "no different"
    text = (
        f"SDQ Added Value for the {ctx.count(av.n)} with parent-rated SDQs and impact scores: "
        f"{rp.fmt_change(av.mean)} points on average{ci} (about {rp.fmt(av.effect_size, '', 2)} "
        f"as an effect size): parent-rated difficulties after support were {word} than "
        "predicted for similar children without help (Ford et al. 2009)"
    )
    if math.isfinite(low) and low <= 0 <= high:
        text += ", but the interval includes zero, so this may be chance"
    return text + "."


def added_value_table(ctx: Context, av: measures.AddedValue) -> Shown:
    """n, rows without a score, mean Added Value, CI and effect size (one row)."""
    low, high = av.confidence_interval()
    table = pd.DataFrame(
        [
            {
                "Measure": "SDQ Added Value (parent-rated)",
                "n": av.n,
                "n without a score": av.n_not_computed,
                "Mean added value": rp.fmt_change(av.mean),
                "95% CI": f"{rp.fmt_change(low)} to {rp.fmt_change(high)}"
                if math.isfinite(low)
                else "x",
                "Effect size (AV / 5)": rp.fmt(av.effect_size, "", 2),
            }
        ]
    ).set_index("Measure")
    return rp.protect(ctx, table, ["n", "n without a score"])


def show_added_value(ctx: Context, av: measures.AddedValue) -> None:
    rp.show_markdown(added_value_sentence(ctx, av))
    if not av.reason:
        rp.show_table(ctx, added_value_table(ctx, av), "SDQ Added Value (Ford et al. 2009)")


# ----------------------------------------------------------------------------- exclusions


@dataclass
class Exclusions:
    """Suspensions and permanent exclusions in equal windows before and after support."""

    rate: stats.RateRatio
    window_months: tuple[int, ...]  # the distinct window lengths used
    n_without_after: int
    any_suspension: FlagChange
    permanent: FlagChange


def windows(ctx: Context, default_months: int) -> pd.Series:
    """Each child's before/after window in months: the return's ``window_months``, or
    ``default_months`` where it is blank."""
    if default_months is None or int(default_months) < 1:
        raise ConfigError(f"window_months {default_months!r}: expected a whole number ≥ 1")
    if "window_months" in ctx.data:
        months = ctx.data["window_months"].astype("Float64").fillna(float(default_months))
    else:
        months = pd.Series(float(default_months), index=ctx.data.index)
    return months.astype(float)


def exclusion_changes(ctx: Context, window_months: int = 6) -> Exclusions:
    """Exact conditional rate ratio of suspensions after vs before (exposure = window
    months per child, :func:`dspl_eval.stats.rate_ratio`), any suspension before vs after
    and permanent exclusion before vs after (McNemar, :func:`dspl_eval.reporting.flag_change`)."""
    data = ctx.data
    months = windows(ctx, window_months)
    before = data["suspensions_before"].astype("Float64")
    after = data["suspensions_after"].astype("Float64")
    both = before.notna() & after.notna()
    rate = stats.rate_ratio(
        after.to_numpy(dtype=float, na_value=np.nan),
        months.where(both).to_numpy(dtype=float),
        before.to_numpy(dtype=float, na_value=np.nan),
        months.where(both).to_numpy(dtype=float),
    )
    used = sorted({int(m) for m in months[both]})
    return Exclusions(
        rate=rate,
        window_months=tuple(used),
        n_without_after=int((before.notna() & after.isna()).sum()),
        any_suspension=rp.flag_change(ctx, before.gt(0), after.gt(0), "Any suspension"),
        permanent=rp.flag_change(
            ctx,
            data["permanent_exclusion_before"],
            data["permanent_exclusion_after"],
            "Permanent exclusion",
        ),
    )


def _window_words(months: tuple[int, ...]) -> str:
    if len(months) == 1:
        return f"{months[0]} months"
    if not months:
        return "equal windows"
    return f"equal windows of {months[0]} to {months[-1]} months"


def _rate_hidden(ctx: Context, ex: Exclusions) -> bool:
    r = ex.rate
    return ctx.too_few(r.n) or ctx.hide(r.events_before) or ctx.hide(r.events_after)


def exclusion_sentence(ctx: Context, ex: Exclusions) -> str:
    """E.g. *The 38 children with counts for both windows had 21 suspensions in the 6 months
    before support and 9 in the 6 months after: a rate ratio of 0.43 (95% CI ...).*"""
    r = ex.rate
    if r.n == 0:
        return f"Suspensions: no {ctx.people} have suspension counts before and after yet."
    if _rate_hidden(ctx, ex):
        return (
            f"Suspensions: the numbers are too small to show without identifying {ctx.people} "
            f"(fewer than {ctx.threshold})."
        )
    window = _window_words(ex.window_months)
    text = (
        f"The {ctx.count(r.n)} with suspension counts for both windows had "
        f"{r.events_before} suspension{'s' if r.events_before != 1 else ''} in the {window} "
        f"before support and {r.events_after} in the {window} after"
    )
    if r.reason:
        return text + f" ({r.reason})."
    low, high = r.confidence_interval()
    text += f": a rate ratio of {_ratio(r.estimate)} (95% CI {_ratio(low)} to {_ratio(high)}"
    text += f", exact test {rp.fmt_p(r.pvalue)})"
    if math.isfinite(r.estimate) and r.estimate < 1:
        text += f", {100 * (1 - r.estimate):.0f}% fewer suspensions than before"
    elif math.isfinite(r.estimate) and r.estimate > 1:
        text += f", {100 * (r.estimate - 1):.0f}% more suspensions than before"
    if math.isfinite(low) and low <= 1 <= high:
        text += "; the interval includes 1 (no change), so this may be chance"
    return text + "."


def exclusion_table(ctx: Context, ex: Exclusions, window_months: int = 6) -> Shown:
    """n, suspensions before and after, rates per 100 children per window, the rate ratio
    with its exact CI and p. For commissioners, rates and ratio are hidden with the counts."""
    r = ex.rate
    per = 100 * window_months

    def rate(events: int, exposure: float) -> str:
        return rp.fmt(events / exposure * per, "", 0) if exposure else "x"

    low, high = r.confidence_interval()
    table = pd.DataFrame(
        [
            {
                "Measure": "Suspensions",
                "n": r.n,
                "Before": r.events_before,
                "After": r.events_after,
                "Rate before": rate(r.events_before, r.exposure_before),
                "Rate after": rate(r.events_after, r.exposure_after),
                "Rate ratio (95% CI)": f"{_ratio(r.estimate)} ({_ratio(low)} to {_ratio(high)})"
                if math.isfinite(low)
                else _ratio(r.estimate),
                "Exact p": rp.fmt_p(r.pvalue),
            }
        ]
    ).set_index("Measure")
    counts = ["n", "Before", "After"]
    shown = rp.protect(ctx, table, counts)
    if ctx.commissioner and _rate_hidden(ctx, ex):  # the ratio and rates reveal the counts
        shown.frame.loc[:, [c for c in table.columns if c != "n"]] = disclosure.SUPPRESSED
        note = disclosure.footnote(
            disclosure.symbols_in(shown.frame), ctx.threshold, ctx.audience, ctx.people
        )
        shown = Shown(shown.frame, shown.counts, note)
    return shown


def show_exclusions(ctx: Context, ex: Exclusions, window_months: int = 6) -> None:
    """The rate-ratio sentence and table, then any suspension / permanent exclusion before
    and after (table with McNemar and category bars)."""
    text = exclusion_sentence(ctx, ex)
    if ex.n_without_after:
        text += (
            f" {ctx.count(ex.n_without_after).capitalize()} have a count for the window "
            "before support but none yet for the window after."
        )
    rp.show_markdown(text)
    window = _window_words(ex.window_months)
    rp.show_table(
        ctx,
        exclusion_table(ctx, ex, window_months),
        f"Suspensions in the {window} before and after support (rates per {window_months} months)",
    )
    rp.show_markdown(flag_sentence(ctx, ex.any_suspension, "suspended at least once"))
    rp.show_flags(ctx, [ex.any_suspension, ex.permanent], "Suspended or permanently excluded")


def _ratio(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "x"
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}"


# ----------------------------------------------------------------------------- suspension-free


@dataclass
class SuspensionFree:
    """Months without a further suspension after support ended (Kaplan–Meier).

    Attributes
    ----------
    n : int
        Children with a support end date and either a next suspension date or a
        follow-up end date.
    n_events : int
        Of those, children with a further suspension.
    months : numpy.ndarray
        Months from the end of support to the next suspension or the end of follow-up.
    event : numpy.ndarray of bool
        Whether each time ends in a suspension (else censored at the end of follow-up).
    horizons : pandas.DataFrame
        Per horizon (months): ``months``, ``at_risk`` (followed up at least that long
        without a suspension), ``events`` (suspended by then), ``estimate`` (share still
        suspension-free), ``lower_ci``, ``upper_ci``, ``confidence_level``, ``method``,
        ``reason`` (why the estimate is NaN).
    reason : str or None
        Why nothing was computed.
    """

    n: int
    n_events: int
    months: np.ndarray
    event: np.ndarray
    horizons: pd.DataFrame
    reason: str | None = None

    @property
    def longest(self) -> float:
        return float(self.months.max()) if self.n else math.nan

    @property
    def median_follow_up(self) -> float:
        return float(np.median(self.months)) if self.n else math.nan


_KM_METHOD = "Kaplan–Meier (statsmodels SurvfuncRight), log-transformed Greenwood interval"


def suspension_free(
    ctx: Context, horizons: tuple[float, ...] = (3, 6), confidence_level: float = 0.95
) -> SuspensionFree:
    """Share of children still suspension-free 3 and 6 months after support ended.

    Time runs from ``support_end`` to ``next_suspension_date`` (an event) or, without one,
    to ``follow_up_end`` (censored), in months of 365.25 / 12 days. The survival curve is
    ``statsmodels.duration.survfunc.SurvfuncRight`` (Kaplan–Meier, Greenwood standard
    errors); the interval at a horizon is the log-transformed one, R ``survfit``'s default
    (``conf.type = "log"``): ``exp(log S ± z · se(S) / S)``, capped at 1. An estimate is
    given only at horizons no child's follow-up has yet passed is NaN with a reason;
    with no event up to the horizon the interval is NaN (its width is zero).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    data = ctx.data
    need = ["support_end", "next_suspension_date", "follow_up_end"]
    empty = pd.DataFrame(
        columns=["months", "at_risk", "events", "estimate", "lower_ci", "upper_ci"]
    )
    missing = [c for c in need if c not in data or data[c].isna().all()]
    if "support_end" in missing or {"next_suspension_date", "follow_up_end"} <= set(missing):
        return SuspensionFree(
            0,
            0,
            np.array([]),
            np.array([], dtype=bool),
            empty,
            "no follow-up dates were returned (support end and follow-up end or next "
            "suspension date)",
        )
    end = pd.to_datetime(data["support_end"])
    next_date = pd.to_datetime(data.get("next_suspension_date", pd.Series(pd.NaT, data.index)))
    follow = pd.to_datetime(data.get("follow_up_end", pd.Series(pd.NaT, data.index)))
    stop = next_date.where(next_date.notna(), follow)
    usable = end.notna() & stop.notna()
    months = ((stop - end).dt.days / DAYS_PER_MONTH)[usable].to_numpy(dtype=float)
    event = next_date.notna()[usable].to_numpy(dtype=bool)
    if months.size == 0:
        return SuspensionFree(
            0, 0, months, event, empty, "no child has both a support end date and follow-up"
        )
    curve = SurvfuncRight(months, event.astype(float))
    z = float(_sps.norm.ppf(0.5 + confidence_level / 2))
    rows = []
    for h in horizons:
        at_risk = int((months >= h).sum())
        events = int((event & (months <= h)).sum())
        row = {"months": h, "at_risk": at_risk, "events": events}
        if months.max() < h:
            estimate, low, high = math.nan, math.nan, math.nan
            reason = f"no child has been followed up for {h:g} months yet"
        else:
            upto = curve.surv_times <= h
            estimate = float(curve.surv_prob[upto][-1]) if upto.any() else 1.0
            se = float(curve.surv_prob_se[upto][-1]) if upto.any() else 0.0
            reason = None
            if se == 0 or estimate == 0:
                low = high = math.nan
            else:
                half = z * se / estimate
                low = float(np.exp(np.log(estimate) - half))
                high = float(min(1.0, np.exp(np.log(estimate) + half)))
        row |= {
            "estimate": estimate,
            "lower_ci": low,
            "upper_ci": high,
            "confidence_level": confidence_level,
            "method": _KM_METHOD,
            "reason": reason,
        }
        rows.append(row)
    return SuspensionFree(int(months.size), int(event.sum()), months, event, pd.DataFrame(rows))


def suspension_free_table(ctx: Context, sf: SuspensionFree) -> Shown:
    """Per horizon some child has been followed up for: n, followed up that long,
    suspended by then, share still suspension-free with its CI.

    For commissioners the share is hidden where the suspended or the followed-up count is
    hidden (with no censoring the share would give the count away)."""
    reached = sf.horizons[sf.horizons["reason"].isna()] if len(sf.horizons) else sf.horizons
    rows = [
        {
            "Months after support ended": f"{h.months:g} months",
            "n": sf.n,
            "Followed up this long": int(h.at_risk),
            "Suspended by then": int(h.events),
            "Still suspension-free": f"{100 * h.estimate:.0f}%",
            "95% CI": f"{100 * h.lower_ci:.0f}% to {100 * h.upper_ci:.0f}%"
            if math.isfinite(h.lower_ci)
            else "x",
        }
        for h in reached.itertuples(index=False)
    ]
    columns = ["Months after support ended", "n", "Followed up this long", "Suspended by then"]
    table = pd.DataFrame(rows, columns=[*columns, "Still suspension-free", "95% CI"])
    table = table.set_index("Months after support ended")
    if table.empty:
        return Shown(table, tuple(columns[1:]))
    shown = rp.protect(ctx, table, columns[1:])
    frame = shown.frame
    for label, h in zip(table.index, reached.itertuples(index=False), strict=True):
        if ctx.hide(int(h.events)) or (ctx.too_few(int(h.at_risk)) and h.at_risk):
            frame.loc[label, ["Still suspension-free", "95% CI"]] = disclosure.SUPPRESSED
    note = disclosure.footnote(
        disclosure.symbols_in(frame), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(frame, shown.counts, note)


def suspension_free_sentence(ctx: Context, sf: SuspensionFree) -> str:
    """Who had a further suspension, how long follow-up is, and the shares when estimable."""
    if sf.reason:
        return f"Months without a further suspension were not computed: {sf.reason}."
    if ctx.too_few(sf.n):
        return (
            f"Months without a further suspension: fewer than {ctx.threshold} {ctx.people} "
            "have follow-up dates, so no figures are shown."
        )
    events = f"fewer than {ctx.threshold}" if ctx.hide(sf.n_events) else str(sf.n_events)
    text = (
        f"Of the {ctx.count(sf.n)} with follow-up dates, {events} had a further suspension "
        f"after support ended; follow-up so far runs to {sf.longest:.1f} months at most "
        f"(median {sf.median_follow_up:.1f})."
    )
    shown = suspension_free_table(ctx, sf).frame
    parts, pending = [], []
    for h in sf.horizons.itertuples(index=False):
        if pd.notna(h.reason):
            pending.append(f"{h.months:g}")
            continue
        value = shown.loc[f"{h.months:g} months", "Still suspension-free"]
        if value != disclosure.SUPPRESSED:
            parts.append(f"{value} at {h.months:g} months")
    if parts:
        text += " An estimated " + _join(parts) + " were still suspension-free."
    if pending:
        text += (
            f" The share at {' and '.join(pending)} months cannot be estimated until "
            f"{ctx.people} have been followed up that long."
        )
    return text


def show_suspension_free(ctx: Context, sf: SuspensionFree) -> None:
    rp.show_markdown(suspension_free_sentence(ctx, sf))
    if not sf.reason and not ctx.too_few(sf.n) and sf.horizons["reason"].isna().any():
        rp.show_table(ctx, suspension_free_table(ctx, sf), "Still suspension-free after support")


# ----------------------------------------------------------------------------- breakdowns


def show_breakdowns(
    ctx: Context, outcome: PairedOutcome, by: tuple[str, ...] = tuple(BREAKDOWN_LABELS)
) -> None:
    """Mean change in total difficulties by school, year group, SEN status, EHCP status and
    sex (:func:`dspl_eval.reporting.breakdown`; small groups merged or suppressed). A
    breakdown whose every group is suppressed is named, not shown.

    Pass one informant's context with totals (:func:`with_sdq_totals`, :func:`for_informant`)."""
    withheld = []
    for column in by:
        if column not in ctx.data or ctx.data[column].isna().all():
            continue
        label = BREAKDOWN_LABELS.get(column, column)
        words = label if label.split()[0].isupper() else label.lower()
        shown = rp.breakdown(ctx, outcome, TOTAL_PRE, TOTAL_POST, column)
        groups = shown.frame.drop(index="Total", errors="ignore")
        if len(groups) and groups["n"].eq(disclosure.SUPPRESSED).all():
            withheld.append(words)
            continue
        shown.frame.index.name = label
        rp.show_table(ctx, shown, f"{outcome.label}: mean change by {words}")
    if withheld:
        rp.show_markdown(
            f"Not shown by {_join(withheld)}: every group is too small to show without "
            f"identifying {ctx.people} (fewer than {ctx.threshold})."
        )


# ----------------------------------------------------------------------------- endings


def value_for_money(ctx: Context, summary: measures.ReliableChangeSummary) -> None:
    """:func:`dspl_eval.reporting.show_value_for_money` with the teacher-rated RCI count."""
    if summary.reason:
        rp.show_value_for_money(ctx, len(ctx.data), None, summary.reason)
    else:
        rp.show_value_for_money(ctx, len(ctx.data), summary.n_improved)


def summary_tables(
    ctx: Context,
    teacher: Context,
    outcomes: list[PairedOutcome],
    summary: measures.ReliableChangeSummary,
    ex: Exclusions,
    av: measures.AddedValue,
    window_months: int = 6,
) -> dict[str, tuple[str, Shown]]:
    """:func:`dspl_eval.reporting.summary_tables` (outcomes; the high band unless
    :func:`high_band_withheld`, any suspension, permanent exclusion) plus reliable change,
    suspensions and Added Value (all already suppressed)."""
    flags = [ex.any_suspension, ex.permanent]
    if not high_band_withheld(teacher):
        flags.insert(0, high_band_change(teacher))
    tables = rp.summary_tables(ctx, outcomes, flags)
    if not summary.reason:
        tables["reliable change"] = (
            "Reliable change in teacher-rated SDQ total difficulties",
            reliable_table(ctx, summary),
        )
    tables["suspensions"] = (
        f"Suspensions before and after support (rates per 100 {ctx.people} per "
        f"{window_months} months)",
        exclusion_table(ctx, ex, window_months),
    )
    if not av.reason:
        tables["added value"] = ("SDQ Added Value (parent-rated)", added_value_table(ctx, av))
    return tables


# ----------------------------------------------------------------------------- helpers


def _counts_shown(ctx: Context, table: pd.DataFrame) -> Shown:
    """A table of counts of people with a ``Total`` row: primary and secondary suppression."""
    counted = disclosure.suppress_counts(
        table, threshold=ctx.threshold, margins=True, audience=ctx.audience, people=ctx.people
    )
    return Shown(counted.display, tuple(table.columns), counted.footnote)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
