"""Nurture-group report: Boxall Profile change, return to full-time mainstream class,
attendance and suspensions.

The Boxall Profile has two sections of 34 items scored 0-4 (totals 0-136): the
*developmental strands*, where a higher score is better, and the *diagnostic profile*,
where a lower score is better (MEASURES.md). Every sentence here says "improved" for a
change in the better direction, whichever way the score moved, and the effect size
(Hedges' g_av) is signed so that a positive value is an improvement.

Every count of children printed here is asked of the report's gate as the set of
children it counts (:mod:`dspl_eval.gate`); tables are built from cells and issued by
:func:`dspl_eval.reporting.gated_table`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval import blocks, disclosure, measures, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.gate import PROTECTS, Issued
from dspl_eval.initiatives.nurture import BOXALL_CLUSTERS, BOXALL_SECTIONS
from dspl_eval.measures import BoxallSettings, InstrumentNorm, ReliableChangeSummary
from dspl_eval.reporting import (
    Context,
    Events,
    FlagChange,
    PairedOutcome,
    Shown,
    Stat,
    flag_change,
    fmt,
    fmt_change,
    fmt_p,
    gated_table,
    paired_outcome,
    show_markdown,
    show_table,
)

#: Whether higher is better, per Boxall section and cluster (the definition's).
BOXALL_HIGHER_IS_BETTER = {**BOXALL_SECTIONS, **BOXALL_CLUSTERS}
SECTIONS = tuple(BOXALL_SECTIONS)
CLUSTERS = tuple(BOXALL_CLUSTERS)
LABELS = {
    "developmental": "Boxall developmental strands",
    "diagnostic": "Boxall diagnostic profile",
    "organisation_of_experience": "Organisation of experience (developmental)",
    "internalisation_of_controls": "Internalisation of controls (developmental)",
    "self_limiting_features": "Self-limiting features (diagnostic)",
    "undeveloped_behaviour": "Undeveloped behaviour (diagnostic)",
    "unsupported_development": "Unsupported development (diagnostic)",
}

#: One school term as calendar time: a third of a year (about 17 weeks, holidays included).
DAYS_PER_TERM = measures.DAYS_PER_TERM

#: The aim of a nurture-group placement: back full time in the mainstream class within
#: 2 to 4 terms (nurtureuk; MEASURES.md).
RETURN_AIM_TERMS = (2.0, 4.0)

#: Horizons (terms since joining) of the Kaplan–Meier share returned (issue 11).
RETURN_HORIZONS = (2.0, 3.0, 4.0)

GROUPINGS = ("school", "group_name", "year_group", "sen_status", "sex")
#: Groupings in words where the column's label does not read well after "by".
GROUPING_WORDS = {"group_name": "nurture group"}


# ----------------------------------------------------------------------------- settings


def boxall_settings(
    reliability: Mapping[str, float] | None = None,
    competence_range: Mapping[str, Sequence[float]] | None = None,
    partnership: object = None,
) -> BoxallSettings:
    """:class:`dspl_eval.measures.BoxallSettings` from the notebook's parameters.

    ``None`` means not set (the default: no published reliability coefficients or
    competence-range limits exist). Ranges may be given as ``[low, high]`` lists, as
    papermill passes them. Where the parameter is not set, the competence ranges of the
    partnership's settings (``partnership``: ``ctx.settings``,
    :meth:`dspl_eval.settings.Settings.boxall_competence`) are used.
    """
    if not competence_range and hasattr(partnership, "boxall_competence"):
        competence_range = partnership.boxall_competence()
    ranges = {
        str(k): (float(v[0]), float(v[1]))
        for k, v in (competence_range or {}).items()
        if v is not None
    }
    return BoxallSettings(
        reliability={str(k): float(v) for k, v in (reliability or {}).items() if v is not None},
        competence_range=ranges,
        measures=tuple(BOXALL_HIGHER_IS_BETTER),
    )


def boxall_norms(
    settings: BoxallSettings,
    norm_sd: Mapping[str, float] | None = None,
    partnership: object = None,
) -> dict[str, InstrumentNorm]:
    """The reliable-change inputs per Boxall section: the published figures
    (:func:`dspl_eval.measures.reliable_change_norm`: none exist for the Boxall Profile),
    or those of the partnership's settings file (``partnership``: ``ctx.settings``,
    :meth:`dspl_eval.settings.Settings.norm`), overridden by the report's parameters only
    when **both** a norm SD (``norm_sd``) and a test–retest reliability
    (``settings.reliability``) are given for a section. The cohort's own SD is never used
    (the threshold would move every term)."""
    out = {}
    for section in SECTIONS:
        if hasattr(partnership, "norm"):
            norm = partnership.norm("boxall", "teacher", section)
        else:
            norm = measures.reliable_change_norm("boxall", "teacher", section)
        sd = (norm_sd or {}).get(section)
        r = settings.reliability.get(section)
        if sd is not None and r is not None:
            norm = dataclasses.replace(
                norm,
                sd=float(sd),
                reliability=float(r),
                sd_source="this report's settings (boxall_norm_sd)",
                reliability_source="this report's settings (boxall_reliability)",
                verified=False,
            )
        out[section] = norm
    return out


def settings_sentence(
    settings: BoxallSettings, norms: Mapping[str, InstrumentNorm] | None = None
) -> str:
    """What the Boxall settings of this report are, including what is *not* set."""
    given = {m: n for m, n in (norms or {}).items() if n.available}
    if given:
        rel = "reliable-change inputs set for " + ", ".join(
            f"{LABELS[m]} (norm SD {n.sd:g}, reliability {n.reliability:.2f}; {n.sd_source})"
            for m, n in given.items()
        )
    else:
        rel = (
            "reliable-change index: none given (no published norm SD and test–retest "
            "reliability exist for the Boxall Profile)"
        )
    if settings.competence_range:
        comp = "competence range set for " + ", ".join(
            f"{LABELS[m]} ({lo:g} to {hi:g})" for m, (lo, hi) in settings.competence_range.items()
        )
    else:
        comp = "competence range: not set (the limits are not public)"
    return f"Boxall settings — {rel}; {comp}."


# ----------------------------------------------------------------------------- Boxall


def _pairs(ctx: Context, measure: str) -> int:
    pre, post = f"boxall_{measure}_pre", f"boxall_{measure}_post"
    if pre not in ctx.data or post not in ctx.data:
        return 0
    return int((ctx.data[pre].notna() & ctx.data[post].notna()).sum())


def boxall_outcome(ctx: Context, measure: str, label: str | None = None) -> PairedOutcome:
    """Paired change in one Boxall section or cluster total: interval scale (paired t),
    g_av signed so that + is an improvement."""
    return paired_outcome(
        ctx,
        f"boxall_{measure}_pre",
        f"boxall_{measure}_post",
        label or LABELS[measure],
        unit="",
        higher_is_better=BOXALL_HIGHER_IS_BETTER[measure],
        decimals=1,
        scale="interval",
    )


def boxall_outcomes(ctx: Context) -> list[PairedOutcome]:
    """Paired change in each Boxall section total, with its direction: developmental
    strands higher is better, diagnostic profile lower."""
    out = []
    for when in ("pre", "post"):  # range checks (0 to 4 × items)
        measures.boxall_scores(ctx.data, when, directions=BOXALL_HIGHER_IS_BETTER)
    for section in SECTIONS:
        if f"boxall_{section}_pre" in ctx.data:
            out.append(boxall_outcome(ctx, section))
    return out


def verdict(outcome: PairedOutcome) -> str:
    """``improved`` / ``worsened`` when the 95% CI of the mean change excludes zero (in the
    outcome's better/worse direction), else ``showed no clear change``."""
    r = outcome.result
    if r.n < 2 or not math.isfinite(r.mean_diff):
        return "showed no clear change"
    low, high = r.confidence_interval()
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
        return "showed no clear change"
    better = (r.mean_diff > 0) == outcome.higher_is_better
    return "improved" if better else "worsened"


def _moved(outcome: PairedOutcome, subject: str = "the mean score", gerund: bool = False) -> str:
    """``the mean score rose from 68.4 to 81.7 (+13.3, 95% CI +9.7 to +16.9; higher is
    better; effect size g_av 0.85, 95% CI 0.50 to 1.20, + = improvement)``."""
    r = outcome.result
    words = ("rising", "falling", "staying") if gerund else ("rose", "fell", "stayed")
    word = words[0] if r.mean_diff > 0 else words[1] if r.mean_diff < 0 else words[2]
    subject = "" if gerund else subject + " "
    low, high = r.confidence_interval()
    ci = (
        f", 95% CI {fmt_change(low, '', outcome.decimals)} to "
        f"{fmt_change(high, '', outcome.decimals)}"
        if math.isfinite(low)
        else ""
    )
    effect = rp.effect_text(outcome)
    effect = (
        f"; effect size g_av {effect.replace(' (', ', 95% CI ').rstrip(')')}, "
        "positive = improvement"
        if effect != "x"
        else ""
    )
    return (
        f"{subject}{word} from {fmt(r.mean_pre, '', outcome.decimals)} to "
        f"{fmt(r.mean_post, '', outcome.decimals)} "
        f"({fmt_change(r.mean_diff, '', outcome.decimals)}{ci}; "
        f"{'higher' if outcome.higher_is_better else 'lower'} is better{effect})"
    )


def section_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """E.g. *Boxall diagnostic profile of the 42 children with a review improved: the mean
    score fell from 60.2 to 45.1 (−15.1, 95% CI −18.0 to −12.2; lower is better; ...).*"""
    r = outcome.result
    if r.n == 0:
        return f"{outcome.label}: no {ctx.people} have a score on entry and at review yet."
    n = ctx.gate.count(outcome.both)
    if ctx.too_few(r.n) or n.hidden:
        return (
            f"{outcome.label}: fewer than {ctx.threshold} {ctx.people} have a score on entry "
            "and at review, so no figures are shown."
            if n.reason != PROTECTS
            else f"{outcome.label}: the figures are not shown, as they would let a small "
            "group be worked out from other figures in this report."
        )
    text = f"{outcome.label} of the {ctx.count_words(n)} with a review {verdict(outcome)}: "
    text += _moved(outcome) + "."
    return text + rp.missing_sentence(ctx, outcome.without_follow_up, "no review yet")


def boxall_sentence(
    ctx: Context,
    outcomes: list[PairedOutcome],
    reliable: Mapping[str, ReliableChangeSummary] | None = None,
) -> str:
    """One headline for both Boxall sections, with reliable improvement when computed."""
    issued = [ctx.gate.count(o.both) for o in outcomes]
    shown = [
        (o, n) for o, n in zip(outcomes, issued, strict=True)
        if o.n and not ctx.too_few(o.n) and not n.hidden
    ]  # fmt: skip
    if not shown:
        return (
            f"Boxall Profile: fewer than {ctx.threshold} {ctx.people} have scores on entry "
            "and at review, so no figures are shown."
            if outcomes and any(o.n for o in outcomes)
            else f"Boxall Profile: no {ctx.people} have scores on entry and at review yet."
        )
    same = len({o.both for o, _ in shown}) == 1
    parts = []
    for o, n in shown:
        name = o.label.removeprefix("Boxall ")
        who = "" if same else f" (n = {n.shown})"
        parts.append(f"the {name}{who} {verdict(o)}, {_moved(o, gerund=True)}")
    head = (
        f"Boxall Profile of the {ctx.count_words(shown[0][1])} with scores on entry and at review"
        if same
        else "Boxall Profile"
    )
    text = head + ": " + "; ".join(parts) + "."
    improved = reliable_improvement(ctx, reliable or {})
    if improved is not None:
        assessed = reliable_assessed(ctx, reliable or {})
        k, share = ctx.gate.share(improved, assessed)
        if share.hidden:
            text += (
                " The number who improved by more than measurement error is not shown "
                "(it would identify a small group)."
            )
        else:
            n = ctx.gate.count(assessed)
            text += (
                f" {int(k.value)} of {ctx.count_words(n)} improved by more than measurement "
                "error on at least one section."
            )
    else:
        text += " No reliable-change index is given (no published figures for the Boxall Profile)."
    return text


def show_section(ctx: Context, outcome: PairedOutcome) -> None:
    """A Boxall section: the sentence, the table (paired t, g_av) and its charts."""
    show_markdown(section_sentence(ctx, outcome))
    show_table(ctx, rp.outcome_table(ctx, [outcome]), f"{outcome.label}: on entry and at review")
    rp.show_outcome_charts(ctx, outcome, unit="points")


def cluster_outcomes(ctx: Context) -> list[PairedOutcome]:
    """Paired change in each Boxall cluster that has any before/after pair (labels say
    which way is better)."""
    out = []
    for cluster in CLUSTERS:
        if _pairs(ctx, cluster) == 0:
            continue
        better = "higher" if BOXALL_HIGHER_IS_BETTER[cluster] else "lower"
        label = f"{LABELS[cluster][:-1]}; {better} is better)"
        out.append(boxall_outcome(ctx, cluster, label))
    return out


def cluster_table(ctx: Context, clusters: list[PairedOutcome]) -> Shown:
    """One row per cluster: n, means, change with unadjusted and Bonferroni intervals,
    g_av (+ = improvement) and the paired t p-value Holm-adjusted over the clusters."""
    return rp.change_family_table(ctx, clusters, "Boxall clusters")


def show_clusters(ctx: Context, clusters: list[PairedOutcome]) -> None:
    """Cluster change table and a forest chart of the *improvement* (change signed so that
    right is better for every cluster)."""
    from dspl_eval import plots

    if not clusters:
        show_markdown(
            f"No school returned Boxall cluster totals {ctx.period_words}, so only the two section "
            "totals are reported."
        )
        return
    anyone = frozenset().union(*(o.both for o in clusters))
    show_markdown(
        f"Cluster totals on entry and at review were returned for {ctx.count(anyone)} (not "
        f"every school returns them). {len(clusters)} clusters are tested at once, so the "
        "p-values are Holm-adjusted; simultaneous (Bonferroni) intervals are given beside "
        "the unadjusted ones."
    )
    show_table(ctx, cluster_table(ctx, clusters), "Boxall clusters: change from entry to review")
    rows = []
    for o in clusters:
        if o.n == 0 or ctx.too_few(o.n) or ctx.gate.count(o.both).hidden:
            continue
        sign = 1.0 if o.higher_is_better else -1.0
        low, high = (sign * v for v in o.result.confidence_interval())
        rows.append(
            {"outcome": o.label, "estimate": sign * o.result.mean_diff,
             "lower_ci": min(low, high), "upper_ci": max(low, high)}
        )  # fmt: skip
    if rows:
        plots.display(
            plots.estimate_forest(pd.DataFrame(rows), "improvement in Boxall clusters",
                                  unit="points", suppression_threshold=ctx.threshold)
        )  # fmt: skip


# ----------------------------------------------------------------------------- reliable change


def reliable_changes(
    ctx: Context, norms: Mapping[str, InstrumentNorm]
) -> dict[str, ReliableChangeSummary]:
    """:func:`dspl_eval.measures.norm_reliable_change` for each section with published
    (or configured) norm SD and reliability; each summary carries a ``reason`` when it
    was not computed. The table keeps only the children with both scores."""
    out = {}
    for section, norm in norms.items():
        if f"boxall_{section}_pre" not in ctx.data:
            continue
        summary = measures.norm_reliable_change(
            ctx.data[f"boxall_{section}_pre"].astype("Float64").astype(float),
            ctx.data[f"boxall_{section}_post"].astype("Float64").astype(float),
            norm,
            higher_is_better=BOXALL_HIGHER_IS_BETTER[section],
            measure=LABELS[section],
        )
        if not summary.table.empty:
            summary = dataclasses.replace(
                summary, table=summary.table[summary.table["category"].notna()]
            )
        out[section] = summary
    return out


def _computed(changes: Mapping[str, ReliableChangeSummary]) -> list[ReliableChangeSummary]:
    return [s for s in changes.values() if s.reason is None and not s.table.empty]


def reliable_assessed(ctx: Context, changes: Mapping[str, ReliableChangeSummary]) -> frozenset:
    """Children with both scores on at least one section where the index was computed."""
    return frozenset().union(*(ctx.members(s.table.index) for s in _computed(changes)))


def reliable_improvement(
    ctx: Context, changes: Mapping[str, ReliableChangeSummary]
) -> frozenset | None:
    """Children with a reliable improvement on at least one Boxall section where the index
    was computed; ``None`` when it was computed for none."""
    computed = _computed(changes)
    if not computed:
        return None
    return frozenset().union(
        *(ctx.members(s.table.index[s.table["category"] == "improved"]) for s in computed)
    )


def reliable_reason(changes: Mapping[str, ReliableChangeSummary]) -> str | None:
    """Why no cost per reliable improvement exists (for value for money), or ``None``."""
    if _computed(changes):
        return None
    return (
        "no reliable-change index is given for the Boxall Profile (no published norm SD and "
        "test–retest reliability exist)"
    )


def show_reliable_changes(ctx: Context, changes: Mapping[str, ReliableChangeSummary]) -> None:
    """The reliable-change sections that were computed, and plainly why the others were not."""
    if not _computed(changes):
        show_markdown(
            "**No reliable change index is given.** The index (Jacobson & Truax 1991) needs "
            "the instrument's published norm standard deviation and test–retest "
            "reliability, so that the threshold is the same every term; neither is "
            "published for the Boxall Profile. (Using this term's own children instead "
            "would move the threshold with every cohort.) If your service holds published "
            "figures for the sections you use, set both `boxall_norm_sd` and "
            "`boxall_reliability` in the report's parameters."
        )
        return
    for section, summary in changes.items():
        if summary.reason is None:
            rp.show_reliable_change(ctx, summary, LABELS[section], instrument="the Boxall Profile")
        else:
            show_markdown(
                f"{LABELS[section]}: no reliable change index is given — {summary.reason}."
            )


# ----------------------------------------------------------------------------- competence


def competence_changes(ctx: Context, settings: BoxallSettings) -> list[FlagChange]:
    """Children within the configured competence range on entry and at review, per
    measure (``measures.boxall_competence``; McNemar on the pairs). Empty when no range
    is set."""
    out = []
    for measure, (low, high) in settings.competence_range.items():
        if f"boxall_{measure}_pre" not in ctx.data:
            continue
        flags = [
            measures.boxall_competence(
                ctx.data, measure, when, settings, directions=BOXALL_HIGHER_IS_BETTER
            )
            for when in ("pre", "post")
        ]
        name = LABELS[measure].removeprefix("Boxall ")
        label = f"{name[:1].upper()}{name[1:]} ({low:g} to {high:g})"
        out.append(flag_change(ctx, *flags, label))
    return out


def competence_not_set_sentence() -> str:
    return (
        "The share of children within the Boxall *competence range* is **not shown**: the "
        "numerical limits of the range are not public, and none were set in this report's "
        'parameters (`boxall_competence_range`, for example `{"developmental": [low, high]}` '
        "from your Boxall handbook)."
    )


def show_competence(ctx: Context, competence: list[FlagChange]) -> None:
    if competence:
        rp.show_flags(ctx, competence, "Children within the Boxall competence range")
    else:
        show_markdown(competence_not_set_sentence())


# ----------------------------------------------------------------------------- return to class

#: Rows of the return-to-class table: status of :func:`measures.return_to_class_times`.
RETURN_ROWS = {
    "returned": "Returned full time to mainstream class",
    "returned, date missing": "Returned full time (date not given)",
    "still attending": "Still attending a nurture group",
    "left without returning": "Left the group without returning",
    "no start date": "No joining date",
}


@dataclass(frozen=True)
class ReturnToClass:
    """Return to full-time mainstream class as time to event.

    Attributes
    ----------
    times : pandas.DataFrame
        :func:`dspl_eval.measures.return_to_class_times` (``terms``, ``returned``,
        ``status``), indexed like the data.
    km : stats.KaplanMeier
        Share returned by each horizon, children still attending censored at the term's
        last day and those who left without returning censored at leaving;
        ``min_at_risk`` = the suppression threshold.
    groups : dict of str to frozenset
        The children in each status (keys of :data:`RETURN_ROWS`) and ``"Total"``.
    aim : tuple of float
    """

    times: pd.DataFrame
    km: stats.KaplanMeier
    groups: dict[str, frozenset]
    analysed: frozenset
    aim: tuple[float, float]

    @property
    def n(self) -> int:
        return len(self.groups["Total"])


def return_to_class(
    ctx: Context,
    aim: Sequence[float] = RETURN_AIM_TERMS,
    horizons: Sequence[float] = RETURN_HORIZONS,
) -> ReturnToClass:
    """Kaplan–Meier share returned full time by 2, 3 and 4 terms
    (:func:`dspl_eval.measures.return_to_class_km`, ``min_at_risk`` = threshold)."""
    low_aim, high_aim = float(aim[0]), float(aim[1])
    if not 0 <= low_aim <= high_aim:
        raise ConfigError(f"return_aim_terms {list(aim)!r}: expected [low, high] with low ≤ high")
    times = measures.return_to_class_times(ctx.data, ctx.term)
    km = measures.return_to_class_km(
        ctx.data, ctx.term, horizons=tuple(float(h) for h in horizons), min_at_risk=ctx.threshold
    )
    groups = {
        status: ctx.members(times["status"] == status)
        for status in RETURN_ROWS
        if status in ("returned", "still attending", "left without returning")
        or (times["status"] == status).any()
    }
    groups["Total"] = ctx.members()
    analysed = ctx.members(times["terms"].notna())
    return ReturnToClass(times, km, groups, analysed, (low_aim, high_aim))


def _horizon_sets(ctx: Context, r: ReturnToClass, h: float) -> tuple[frozenset, frozenset]:
    """(children still at risk at h terms, children returned by h terms)."""
    t = r.times["terms"]
    at_risk = ctx.members(t.notna() & (t >= h))
    returned = ctx.members(t.notna() & r.times["returned"] & (t <= h))
    return at_risk, returned


def _km_estimate(ctx: Context, r: ReturnToClass, h: float) -> tuple[str, str]:
    """(``45% (30% to 62%)`` or ``c`` / ``x``, reason) for the share returned by ``h``.

    The estimate is shown only where at least the threshold are still at risk, and where
    the number returned by then and the number not (yet) returned could both be shown
    (without censoring the estimate is that share)."""
    row = r.km.table.loc[r.km.table["horizon"] == h].iloc[0]
    if not row["estimable"]:
        return disclosure.NOT_AVAILABLE, f"fewer than {ctx.threshold} {ctx.people} still at risk"
    _, returned = _horizon_sets(ctx, r, h)
    _, share = ctx.gate.share(returned, r.analysed)
    if share.hidden:
        return disclosure.SUPPRESSED, "it would identify a small group"
    text = f"{100 * row['estimate']:.0f}%"
    if math.isfinite(row["lower_ci"]):
        text += f" ({100 * row['lower_ci']:.0f}% to {100 * row['upper_ci']:.0f}%)"
    return text, ""


def _median_text(ctx: Context, r: ReturnToClass) -> str | None:
    """The Kaplan–Meier median time to return, only where estimable and at least the
    threshold were still at risk at that time (a quantile of a large enough group)."""
    km = r.km
    if not math.isfinite(km.median) or ctx.gate.count(r.analysed).hidden:
        return None
    at_risk = int((r.times["terms"] >= km.median).sum())
    if ctx.too_few(at_risk) or ctx.too_few(km.n):
        return None
    return f"{km.median:.1f} terms"


def _who(ctx: Context, issued: Issued, verb: str, plural: str, what: str) -> str:
    """``22 children have returned``; ``fewer than 5 children have returned``; or, for a
    figure hidden only to protect another, ``the number who have returned is not shown``."""
    if issued.hidden and issued.reason == PROTECTS:
        return (
            f"the number who {plural} {what} is not shown (it would let a smaller group be "
            "worked out)"
        )
    one = not issued.hidden and issued.value == 1
    return f"{ctx.count_words(issued)} {verb if one else plural} {what}"


def return_sentence(ctx: Context, r: ReturnToClass) -> str:
    """E.g. *Of the 47 children in this term's returns, 22 children have returned full time
    to their mainstream class and 20 children are still attending a group. Allowing for the
    children still attending (Kaplan–Meier), an estimated 61%, 95% CI 44% to 77%, had
    returned within 4 terms of joining (the aim is 2 to 4 terms).*"""
    if not r.n:
        return f"Return to class: no children are in {ctx.period_words}'s returns."
    issued = ctx.gate.counts(dict(r.groups))
    total = issued["Total"]
    back = _who(
        ctx, issued["returned"], "has", "have", "returned full time to their mainstream class"
    )
    still = _who(ctx, issued["still attending"], "is", "are", "still attending a group")
    of = f"the {ctx.count_words(total)}" if not total.hidden else f"the {ctx.people}"
    text = f"Of {of} in {ctx.period_words}'s returns, {back}; {still}."
    aim_high = r.aim[1]
    wanted = [h for h in r.km.horizons if h <= aim_high] or list(r.km.horizons)
    shown = {h: _km_estimate(ctx, r, h) for h in wanted}
    ok = [
        h
        for h, (text_h, _) in shown.items()
        if text_h not in (disclosure.NOT_AVAILABLE, disclosure.SUPPRESSED)
    ]
    if ok:
        h = max(ok)
        estimate = shown[h][0].replace(" (", ", 95% CI ").rstrip(")")
        text += (
            f" Allowing for the children still attending (Kaplan–Meier), an estimated "
            f"{estimate} had returned within {h:g} terms of joining (the aim is "
            f"{r.aim[0]:g} to {r.aim[1]:g} terms)."
        )
    last = max(wanted)
    if not ok or max(ok) < last:
        text += f" No estimate can be given yet for {last:g} terms: {shown[last][1]}."
    median = _median_text(ctx, r)
    if median:
        text += f" The median time to return was {median}."
    return text


def return_table(ctx: Context, r: ReturnToClass) -> Shown:
    """Children by where they are now: returned, still attending, left without returning
    (and total), as sets decided together by the gate."""
    column = ctx.people.capitalize()
    labels = {**RETURN_ROWS, "Total": "Total"}
    table = pd.DataFrame(
        {column: list(r.groups.values())},
        index=pd.Index([labels[k] for k in r.groups], name="Return to class"),
    )
    return gated_table(ctx, table, [column])


def km_table(ctx: Context, r: ReturnToClass) -> Shown:
    """Per horizon: children still at risk, returned by then, and the Kaplan–Meier share
    returned with its 95% interval (``x`` where fewer than the threshold are at risk)."""
    rows = []
    for h in r.km.horizons:
        at_risk, returned = _horizon_sets(ctx, r, h)
        estimate, why = _km_estimate(ctx, r, h)
        rows.append(
            {
                "Time since joining": f"{h:g} terms",
                "Still at risk (in a group that long)": at_risk,
                "Returned by then": returned,
                "Share returned (Kaplan–Meier, 95% CI)": estimate,
                "Note": f"not estimated: {why}" if why else "",
            }
        )
    table = pd.DataFrame(rows).set_index("Time since joining")
    return gated_table(ctx, table, ["Still at risk (in a group that long)", "Returned by then"])


def return_chart(ctx: Context, shown: Shown):
    """Bars of the children by where they are now, drawn from the issued table."""
    from dspl_eval import plots

    bars = shown.frame.drop(index="Total")
    title = "Where the children are now: returned, still attending or left"
    return plots.category_bars(
        bars, "return to full-time mainstream class", noun=ctx.people,
        suppression_threshold=ctx.threshold, title=title,
    )  # fmt: skip


def show_return_to_class(ctx: Context, r: ReturnToClass) -> None:
    show_markdown(return_sentence(ctx, r))
    shown = return_table(ctx, r)
    show_table(ctx, shown, "Return to full-time mainstream class")
    if not ctx.gate.count(r.groups["Total"]).hidden and len(shown) > 1:
        from dspl_eval import plots

        plots.display(return_chart(ctx, shown))
    show_markdown(
        "Time to return runs from the date the child joined the group to the date of the "
        f"full-time return, in terms of {DAYS_PER_TERM:.0f} days (a third of a year, "
        "holidays included). A child still attending is counted up to the last day of the "
        f"term ({measures.term_last_day(ctx.term):%d %B %Y}) and a child who left the group "
        "without returning up to the date they left (a competing outcome, treated as "
        "censoring). The Kaplan–Meier estimate allows for both, so children still in a group "
        "are not dropped. No estimate is given where fewer than "
        f"{ctx.threshold} {ctx.people} had been in a group that long."
    )
    show_table(ctx, km_table(ctx, r), "Share returned full time by time since joining")
    median = _median_text(ctx, r)
    show_markdown(
        f"Median time to return: {median}."
        if median
        else "Median time to return: not estimable — fewer than half the children have "
        "returned, or too few were still at risk at that time."
    )


# ----------------------------------------------------------------------------- attendance


def absence_change(ctx: Context, thresholds: measures.AbsenceThresholds) -> FlagChange:
    """Persistent absence before vs after (:func:`dspl_eval.blocks.absence_changes`)."""
    return blocks.absence_changes(ctx, thresholds, severe=False)[0]


# ----------------------------------------------------------------------------- suspensions


@dataclass(frozen=True)
class SuspensionChange:
    """Suspensions before joining and after, per child-month actually observed.

    Attributes
    ----------
    exposure : pandas.DataFrame
        :func:`dspl_eval.measures.exposure_months` (from ``date_joined``).
    rate : stats.RateRatio
        Exact conditional rate ratio on the child-months (R ``poisson.test``).
    robust : stats.RobustRateRatio
        Per-child Poisson GEE with a robust interval (children with several suspensions).
    used : frozenset
        Children with both counts and some observed time after joining.
    no_follow_up : frozenset
        Children with no observed time after joining yet.
    any : FlagChange or None
        Suspended at least once before vs after (McNemar), children with the whole window
        after joining observed only; None when there are none.
    window_months : float
    """

    exposure: pd.DataFrame
    rate: stats.RateRatio
    robust: stats.RobustRateRatio
    used: frozenset
    no_follow_up: frozenset
    any: FlagChange | None
    window_months: float


def suspension_change(ctx: Context, window_months: float = 6.0) -> SuspensionChange:
    """Suspensions before vs after over the time each child was observed: the window
    before joining, and after joining up to the end of the window, ``follow_up_end`` or
    the term's last day, whichever is first."""
    if not (isinstance(window_months, int | float) and window_months > 0):
        raise ConfigError(f"suspension_window_months {window_months!r}: expected more than 0")
    data = ctx.data
    exposure = measures.exposure_months(
        data, ctx.term, start="date_joined", window_months=float(window_months)
    )
    before = data["suspensions_before"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    after = data["suspensions_after"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    months_after = exposure["months_after"].to_numpy(dtype=float)
    months_before = exposure["months_before"].to_numpy(dtype=float)
    counts = ~np.isnan(before) & ~np.isnan(after)
    observed = ~np.isnan(months_after)
    used = counts & observed
    rate = stats.rate_ratio(np.where(used, after, np.nan), months_after, before, months_before)
    robust = stats.rate_ratio_robust(
        np.where(used, after, np.nan), months_after, before, months_before
    )
    full = counts & exposure["full_window_after"].to_numpy(dtype=bool)
    any_change = None
    if full.any():
        mask = pd.Series(full, index=data.index)
        any_change = flag_change(
            ctx,
            (data["suspensions_before"] > 0).astype("boolean").where(mask),
            (data["suspensions_after"] > 0).astype("boolean").where(mask),
            f"Suspended at least once (whole {float(window_months):g} months after joining "
            "observed)",
        )
    return SuspensionChange(
        exposure,
        rate,
        robust,
        ctx.members(pd.Series(used, index=data.index)),
        ctx.members(pd.Series(~np.isnan(before) & ~observed, index=data.index)),
        any_change,
        float(window_months),
    )


def _rate_hidden(ctx: Context, s: SuspensionChange) -> bool:
    """Whether the rate figures must be withheld: too few children, their count hidden,
    or an event count small (a ratio with the child-months would give it away)."""
    r = s.rate
    return (
        ctx.too_few(len(s.used))
        or ctx.gate.count(s.used).hidden
        or ctx.gate.events(r.events_before).hidden
        or ctx.gate.events(r.events_after).hidden
    )


def _ratio(estimate: float, low: float, high: float) -> tuple[str, str]:
    est = "x" if not math.isfinite(estimate) else f"{estimate:.2f}"
    ci = f"{low:.2f} to {high:.2f}" if math.isfinite(low) and math.isfinite(high) else "x"
    return est, ci


def suspension_sentence(ctx: Context, s: SuspensionChange) -> str:
    """E.g. *The 42 children with an observed time after joining were followed for 252.0
    child-months before joining and 180.3 after; they had 20 suspensions before and 9
    after (rate ratio 0.63, 95% CI 0.26 to 1.41, exact test p = .29; allowing for children
    with several suspensions, 95% CI 0.22 to 1.80). 5 children have no follow-up yet.*"""
    r = s.rate
    if not s.used:
        text = (
            f"Suspensions: no {ctx.people} have counts before and after and an observed "
            "time after joining yet."
        )
    elif _rate_hidden(ctx, s):
        text = f"Suspensions: the numbers are too small to show without identifying {ctx.people}."
    else:
        n = ctx.gate.count(s.used)
        est, ci = _ratio(r.estimate, *r.confidence_interval())
        if r.reason:
            ratio = f"no rate ratio: {r.reason}"
        elif est == "x":
            ratio = "no rate ratio: there were no suspensions before joining"
        else:
            ratio = f"rate ratio {est}, 95% CI {ci}, exact test {fmt_p(r.pvalue)}"
            if not s.robust.reason:
                _, rci = _ratio(s.robust.estimate, *s.robust.confidence_interval())
                ratio += f"; allowing for children with several suspensions, 95% CI {rci}"
        text = (
            f"The {ctx.count_words(n)} with an observed time after joining were followed for "
            f"{r.exposure_before:,.1f} child-months before joining and {r.exposure_after:,.1f} "
            f"child-months after (up to {s.window_months:g} months each); they had "
            f"{r.events_before} suspension{'s' if r.events_before != 1 else ''} before and "
            f"{r.events_after} after ({ratio})."
        )
    return text + rp.missing_sentence(ctx, s.no_follow_up)


def suspension_table(ctx: Context, s: SuspensionChange) -> Shown:
    """Children, child-months observed, suspensions before and after, the exact rate ratio
    (R ``poisson.test``) and the per-child robust interval beside it. The ratio and
    child-months are withheld wherever a count they are built from is."""
    r, g = s.rate, s.robust
    hidden = _rate_hidden(ctx, s)
    est, ci = _ratio(r.estimate, *r.confidence_interval())
    _, rci = _ratio(g.estimate, *g.confidence_interval())
    used = s.used

    def cell(text: str) -> object:
        return disclosure.SUPPRESSED if hidden and text != "x" else Stat(text, used)

    row = {
        "n": used,
        "No follow-up yet": s.no_follow_up,
        "Child-months before": cell(f"{r.exposure_before:,.1f}"),
        "Child-months after": cell(f"{r.exposure_after:,.1f}"),
        "Suspensions before": Events(r.events_before),
        "Suspensions after": Events(r.events_after),
        "Rate ratio (after ÷ before)": cell(est),
        "95% CI (exact)": cell(ci),
        "p (exact conditional test)": cell(fmt_p(r.pvalue)),
        "95% CI (robust, per child)": cell(rci),
    }
    table = pd.DataFrame([row], index=pd.Index(["Suspensions per child-month"], name="Suspensions"))
    return gated_table(ctx, table, ["n", "No follow-up yet"])


def show_suspensions(ctx: Context, s: SuspensionChange) -> None:
    show_markdown(suspension_sentence(ctx, s))
    if not s.used and not s.no_follow_up:
        return
    show_table(ctx, suspension_table(ctx, s), "Suspensions before and after joining the group")
    if s.any is None:
        show_markdown(
            "Children suspended at least once: not compared yet — no child has been followed "
            f"for the whole {s.window_months:g} months after joining, and comparing a full "
            "window before with a shorter one after would make things look better than they "
            "are."
        )
        return
    show_markdown(
        f"Children suspended at least once are compared only for the {ctx.count(s.any.n)} "
        f"followed for the whole {s.window_months:g} months after joining (equal windows "
        "before and after)."
    )
    rp.show_flags(ctx, [s.any], "Children suspended at least once")


# ----------------------------------------------------------------------------- breakdowns


def show_breakdowns(ctx: Context, outcomes: list[PairedOutcome]) -> None:
    """Boxall change by school, nurture group, year group, SEN status and sex
    (:func:`dspl_eval.reporting.show_breakdowns`: small groups merged for commissioners,
    the nurture-group table left out where every school has one group)."""
    rp.show_breakdowns(ctx, outcomes, GROUPINGS, title="Boxall change", names=GROUPING_WORDS)


# ----------------------------------------------------------------------------- endings


def value_for_money(ctx: Context, changes: Mapping[str, ReliableChangeSummary]) -> dict:
    """The value-for-money arguments of :func:`dspl_eval.reporting.show_ending`: cost per
    child with a reliable improvement on at least one section, when a reliable-change
    index exists, else why not."""
    return {
        "outcome": reliable_improvement(ctx, changes),
        "outcome_words": "a reliable improvement",
        "reason": reliable_reason(changes),
    }


def summary_tables(
    ctx: Context,
    outcomes: list[PairedOutcome],
    flags: list[FlagChange | None],
    returned: ReturnToClass,
    suspensions: SuspensionChange,
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index page and summary.xlsx (issued by the gate)."""
    more = {
        "return to class": (
            "Return to full-time mainstream class",
            lambda: return_table(ctx, returned),
        ),
        "return by time": (
            "Share returned full time by time since joining (Kaplan–Meier)",
            lambda: km_table(ctx, returned),
        ),
        "suspensions": (
            "Suspensions before and after joining the group",
            lambda: suspension_table(ctx, suspensions),
        ),
    }
    return rp.summary_tables(ctx, outcomes, flags, more)


def methods(
    ctx: Context,
    settings: BoxallSettings,
    norms: Mapping[str, InstrumentNorm],
    persistent_absence_threshold: float,
    window_months: float,
    aim: Sequence[float],
) -> list[str]:
    """The instrument and method lines of the methods section."""
    return [
        "Boxall Profile (nurtureuk): two sections of 34 items scored 0–4 — developmental "
        "strands (clusters: organisation of experience, internalisation of controls; higher "
        "is better) and diagnostic profile (clusters: self-limiting features, undeveloped "
        "behaviour, unsupported development; lower is better). Section and cluster totals "
        "are used as the schools returned them and treated as interval scores: paired "
        "t-test and its 95% interval, with Hedges' g_av signed so that a positive value is "
        "an improvement for both sections.",
        "Not known from public sources: a norm SD and test–retest reliability of the Boxall "
        "sections (so no reliable change index is given unless both are set), and the limits "
        "of the competence range. " + settings_sentence(settings, norms),
        f"Return to class: time from joining the group to the full-time return, in terms of "
        f"{DAYS_PER_TERM:.0f} days; Kaplan–Meier share returned by "
        f"{', '.join(f'{h:g}' for h in RETURN_HORIZONS)} terms with log-transformed "
        "(Greenwood) 95% intervals, as R survfit; children still attending censored at the "
        "term's last day, children who left without returning censored at leaving. No "
        f"estimate where fewer than {ctx.threshold} are still at risk. Aim: {aim[0]:g} to "
        f"{aim[1]:g} terms (nurtureuk).",
        "Attendance: DfE, Pupil absence in schools in England, methodology (attendance = "
        "attended ÷ possible sessions); persistent absence: missing "
        f"{persistent_absence_threshold:g}% or more of sessions (DfE threshold since 2015/16).",
        f"Suspensions: counts over the time each child was observed — {window_months:g} "
        "months before joining; after joining, up to the end of the same window, the "
        "follow-up date or the term's last day, whichever is first (a child with no time "
        "observed after joining has no follow-up yet). Compared as a rate per child-month "
        "with an exact conditional rate ratio (as R poisson.test), and beside it a "
        "per-child Poisson model with a robust (sandwich) interval, so that a child with "
        "several suspensions does not make the result look more certain than it is. "
        "Children suspended at least once: McNemar's exact test, only for children followed "
        "for the whole window after joining.",
    ]
