"""Nurture-group report: Boxall Profile change, return to full-time mainstream class,
attendance and suspensions.

The Boxall Profile has two sections of 34 items scored 0-4 (totals 0-136): the
*developmental strands*, where a higher score is better, and the *diagnostic profile*,
where a lower score is better (MEASURES.md). Every sentence here says "improved" for a
change in the better direction, whichever way the score moved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval import disclosure, measures, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.measures import BOXALL_HIGHER_IS_BETTER, BoxallSettings, ReliableChangeSummary
from dspl_eval.reporting import (
    OTHER_GROUPS,
    Context,
    FlagChange,
    PairedOutcome,
    Shown,
    flag_change,
    fmt,
    fmt_change,
    fmt_p,
    merge_small_groups,
    outcome_table,
    paired_outcome,
    protect,
    show_markdown,
    show_table,
)

SECTIONS = ("developmental", "diagnostic")
CLUSTERS = tuple(m for m in BOXALL_HIGHER_IS_BETTER if m not in SECTIONS)
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
DAYS_PER_TERM = 365.25 / 3

#: The aim of a nurture-group placement: back full time in the mainstream class within
#: 2 to 4 terms (nurtureuk; MEASURES.md).
RETURN_AIM_TERMS = (2.0, 4.0)

GROUPINGS = ("school", "group_name", "year_group", "sen_status", "sex")
GROUPING_LABELS = {
    "school": "School",
    "group_name": "Nurture group",
    "year_group": "Year group",
    "sen_status": "SEN status",
    "sex": "Sex",
}
GROUPING_WORDS = {
    "school": "school",
    "group_name": "nurture group",
    "year_group": "year group",
    "sen_status": "SEN status",
    "sex": "sex",
}


# ----------------------------------------------------------------------------- settings


def boxall_settings(
    reliability: Mapping[str, float] | None = None,
    competence_range: Mapping[str, Sequence[float]] | None = None,
) -> BoxallSettings:
    """:class:`dspl_eval.measures.BoxallSettings` from the notebook's parameters.

    ``None`` means not set (the default: no public reliability coefficients or
    competence-range limits exist). Ranges may be given as ``[low, high]`` lists, as
    papermill passes them.
    """
    ranges = {
        str(k): (float(v[0]), float(v[1]))
        for k, v in (competence_range or {}).items()
        if v is not None
    }
    return BoxallSettings(
        reliability={str(k): float(v) for k, v in (reliability or {}).items() if v is not None},
        competence_range=ranges,
    )


def settings_sentence(settings: BoxallSettings) -> str:
    """What the Boxall settings of this report are, including what is *not* set."""
    if settings.reliability:
        rel = "reliability set for " + ", ".join(
            f"{LABELS[m]} ({r:.2f})" for m, r in settings.reliability.items()
        )
    else:
        rel = "reliability: not set (no public coefficients), so no reliable-change index"
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


def boxall_outcomes(ctx: Context) -> list[PairedOutcome]:
    """Paired change (``stats.paired_change``) in each Boxall section total, with its
    direction: developmental strands higher is better, diagnostic profile lower."""
    out = []
    for section in SECTIONS:
        if f"boxall_{section}_pre" not in ctx.data:
            continue
        measures.boxall_scores(ctx.data, "pre")  # range checks (0 to 4 × items)
        measures.boxall_scores(ctx.data, "post")
        out.append(
            paired_outcome(
                ctx,
                f"boxall_{section}_pre",
                f"boxall_{section}_post",
                LABELS[section],
                unit="",
                higher_is_better=BOXALL_HIGHER_IS_BETTER[section],
                decimals=1,
            )
        )
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
    better)``; with ``gerund``, ``rising from ...`` (``subject`` is then ignored)."""
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
    return (
        f"{subject}{word} from {fmt(r.mean_pre, '', outcome.decimals)} to "
        f"{fmt(r.mean_post, '', outcome.decimals)} "
        f"({fmt_change(r.mean_diff, '', outcome.decimals)}{ci}; "
        f"{'higher' if outcome.higher_is_better else 'lower'} is better)"
    )


def section_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """E.g. *Boxall diagnostic profile of the 42 children with a review improved: the mean
    score fell from 60.2 to 45.1 (−15.1, 95% CI −18.0 to −12.2; lower is better).*"""
    r = outcome.result
    if r.n == 0:
        return f"{outcome.label}: no {ctx.people} have a score on entry and at review yet."
    if ctx.too_few(r.n):
        return (
            f"{outcome.label}: fewer than {ctx.threshold} {ctx.people} have a score on entry "
            "and at review, so no figures are shown."
        )
    text = f"{outcome.label} of the {ctx.count(r.n)} with a review {verdict(outcome)}: "
    text += _moved(outcome) + "."
    if outcome.n_without_follow_up:
        text += f" {ctx.count(outcome.n_without_follow_up).capitalize()} have no review yet."
    return text


def boxall_sentence(
    ctx: Context,
    outcomes: list[PairedOutcome],
    reliable: Mapping[str, ReliableChangeSummary] | None = None,
) -> str:
    """One headline for both Boxall sections, with reliable improvement when computed."""
    shown = [o for o in outcomes if o.n and not ctx.too_few(o.n)]
    if not shown:
        return (
            f"Boxall Profile: fewer than {ctx.threshold} {ctx.people} have scores on entry "
            "and at review, so no figures are shown."
            if outcomes and any(o.n for o in outcomes)
            else f"Boxall Profile: no {ctx.people} have scores on entry and at review yet."
        )
    same_n = len({o.n for o in shown}) == 1
    parts = []
    for o in shown:
        name = o.label.removeprefix("Boxall ")
        who = "" if same_n else f" (n = {o.n})"
        parts.append(f"the {name}{who} {verdict(o)}, {_moved(o, gerund=True)}")
    head = (
        f"Boxall Profile of the {ctx.count(shown[0].n)} with scores on entry and at review"
        if same_n
        else "Boxall Profile"
    )
    text = head + ": " + "; ".join(parts) + "."
    n_rel = n_reliable_improvement(reliable or {})
    if n_rel is not None:
        n_any = n_reliable_assessed(reliable or {})
        if ctx.hide(n_rel) or ctx.hide(n_any - n_rel):
            text += " The number who improved by more than measurement error is too small to show."
        else:
            text += (
                f" {n_rel} of {n_any} improved by more than measurement error on at least "
                "one section."
            )
    return text


def show_section(ctx: Context, outcome: PairedOutcome) -> None:
    """A Boxall section: the sentence, the table and two charts (slope, change histogram)
    drawn in the section's direction."""
    from dspl_eval import plots

    show_markdown(section_sentence(ctx, outcome))
    show_table(ctx, outcome_table(ctx, [outcome]), f"{outcome.label}: on entry and at review")
    if outcome.n == 0 or ctx.too_few(outcome.n):
        return
    plots.display(
        plots.before_after(
            outcome.pre,
            outcome.post,
            outcome.label,
            unit="points",
            noun=ctx.people,
            higher_is_better=outcome.higher_is_better,
        )
    )
    plots.display(
        plots.change_distribution(
            outcome.post - outcome.pre,
            outcome.label,
            unit="points",
            noun=ctx.people,
            higher_is_better=outcome.higher_is_better,
        )
    )


def cluster_change(ctx: Context) -> pd.DataFrame:
    """``measures.boxall_change`` for the clusters that have any before/after pair, with
    Holm-adjusted p-values across them (``stats.holm``). Empty when none were returned."""
    present = [c for c in CLUSTERS if _pairs(ctx, c) > 0]
    if not present:
        return pd.DataFrame()
    table = measures.boxall_change(ctx.data, present)
    table["pvalue_holm"] = stats.holm(table["pvalue"].to_numpy(dtype=float))
    return table


def cluster_table(ctx: Context, table: pd.DataFrame) -> Shown:
    """One row per cluster: direction, n, means, change with CI, d_z, Holm p (protected)."""
    rows = []
    for row in table.itertuples(index=False):
        better = "higher" if bool(row.higher_is_better) else "lower"
        rows.append(
            {
                "Cluster": f"{LABELS[row.measure][:-1]}; {better} is better)",
                "n": int(row.n),
                "On entry (mean)": fmt(row.mean_pre),
                "At review (mean)": fmt(row.mean_post),
                "Change": fmt_change(row.mean_diff),
                "95% CI": f"{fmt_change(row.lower_ci)} to {fmt_change(row.upper_ci)}"
                if math.isfinite(row.lower_ci)
                else "x",
                "Effect size (d_z)": fmt(row.d_z, "", 2),
                "p (Holm)": fmt_p(row.pvalue_holm),
            }
        )
    frame = pd.DataFrame(rows).set_index("Cluster")
    return protect(ctx, frame, ["n"])


def show_clusters(ctx: Context, table: pd.DataFrame) -> None:
    """Cluster change table and a forest chart of the *improvement* (change signed so that
    right is better for every cluster)."""
    from dspl_eval import plots

    if table.empty:
        show_markdown(
            "No school returned Boxall cluster totals this term, so only the two section "
            "totals are reported."
        )
        return
    n_max = int(table["n"].max())
    show_markdown(
        f"Cluster totals were returned for {ctx.count(n_max)} (not every school returns "
        "them). Five clusters are tested at once, so the p-values are Holm-adjusted."
    )
    show_table(ctx, cluster_table(ctx, table), "Boxall clusters: change from entry to review")
    ok = [int(v) > 0 and not ctx.too_few(int(v)) for v in table["n"]]
    if not any(ok):
        return
    sign = np.where(table["higher_is_better"], 1.0, -1.0)
    lower = np.where(sign > 0, table["lower_ci"], -table["upper_ci"])
    upper = np.where(sign > 0, table["upper_ci"], -table["lower_ci"])
    forest = pd.DataFrame(
        {
            "outcome": [LABELS[m] for m in table["measure"]],
            "estimate": sign * table["mean_diff"],
            "lower_ci": lower,
            "upper_ci": upper,
        }
    )[ok]
    plots.display(
        plots.estimate_forest(
            forest.reset_index(drop=True),
            "improvement in Boxall clusters",
            unit="points",
            suppression_threshold=ctx.threshold,
        )
    )


# ----------------------------------------------------------------------------- reliable change


def reliable_changes(ctx: Context, settings: BoxallSettings) -> dict[str, ReliableChangeSummary]:
    """``measures.boxall_reliable_change`` for both sections and any cluster with a
    reliability set; each summary carries a ``reason`` when it was not computed."""
    wanted = [*SECTIONS, *(m for m in settings.reliability if m not in SECTIONS)]
    out = {}
    for measure in wanted:
        if _pairs(ctx, measure) == 0 and measure not in settings.reliability:
            continue
        out[measure] = measures.boxall_reliable_change(ctx.data, measure, settings)
    return out


def _computed_sections(
    changes: Mapping[str, ReliableChangeSummary],
) -> list[ReliableChangeSummary]:
    return [
        s for m, s in changes.items() if m in SECTIONS and s.reason is None and not s.table.empty
    ]


def n_reliable_assessed(changes: Mapping[str, ReliableChangeSummary]) -> int:
    """Children with both scores on at least one section where the index was computed."""
    computed = _computed_sections(changes)
    if not computed:
        return 0
    present = pd.concat([s.table["category"].notna() for s in computed], axis=1)
    return int(present.any(axis=1).sum())


def n_reliable_improvement(changes: Mapping[str, ReliableChangeSummary]) -> int | None:
    """Children with a reliable improvement on at least one Boxall *section* (developmental
    or diagnostic) where the index was computed; ``None`` when it was computed for none."""
    computed = _computed_sections(changes)
    if not computed:
        return None
    improved = pd.concat(
        [s.table["category"].astype(object) == "improved" for s in computed], axis=1
    )
    return int(improved.any(axis=1).sum())


def reliable_reason(changes: Mapping[str, ReliableChangeSummary]) -> str | None:
    """Why no reliable-change figure exists (for value for money), or ``None``."""
    if n_reliable_improvement(changes) is not None:
        return None
    return (
        "no Boxall reliability is set (no public coefficients exist), so reliable change "
        "was not computed"
    )


def show_reliable_changes(ctx: Context, changes: Mapping[str, ReliableChangeSummary]) -> None:
    """The reliable-change sections that were computed, and plainly why the others were not."""
    skipped = [m for m, s in changes.items() if s.reason is not None]
    if skipped and len(skipped) == len(changes):
        show_markdown(
            "Reliable change was **not computed**. The reliable change index (Jacobson & "
            "Truax 1991) needs the reliability of the measure, and no reliability "
            "coefficients for the Boxall Profile are published. If your service holds a "
            "reliability figure for the sections you use, set `boxall_reliability` in the "
            'report\'s parameters (for example `{"developmental": r, "diagnostic": r}`) '
            "and this section will show how many children improved by more than "
            "measurement error."
        )
        return
    for measure, summary in changes.items():
        if summary.reason is None:
            show_reliable(ctx, summary, LABELS[measure])
        else:
            show_markdown(f"{LABELS[measure]}: reliable change not computed — {summary.reason}.")


reliable_table = rp.reliable_table


def show_reliable(ctx: Context, summary: ReliableChangeSummary, label: str) -> None:
    """:func:`dspl_eval.reporting.show_reliable_change` worded for the Boxall Profile."""
    rp.show_reliable_change(ctx, summary, label, instrument="the Boxall Profile")


# ----------------------------------------------------------------------------- competence


def competence_changes(ctx: Context, settings: BoxallSettings) -> list[FlagChange]:
    """Children within the configured competence range on entry and at review, per
    measure (``measures.boxall_competence``; McNemar on the pairs). Empty when no range
    is set."""
    out = []
    for measure, (low, high) in settings.competence_range.items():
        if f"boxall_{measure}_pre" not in ctx.data:
            continue
        before = measures.boxall_competence(ctx.data, measure, "pre", settings)
        after = measures.boxall_competence(ctx.data, measure, "post", settings)
        name = LABELS[measure].removeprefix("Boxall ")
        label = f"{name[:1].upper()}{name[1:]} ({low:g} to {high:g})"
        out.append(flag_change(ctx, before, after, label))
    return out


def competence_not_set_sentence() -> str:
    return (
        "The share of children within the Boxall *competence range* is **not shown**: the "
        "numerical limits of the range are not public, and none were set in this report's "
        'parameters (`boxall_competence_range`, for example `{"developmental": [low, high]}` '
        "from your Boxall handbook)."
    )


# ----------------------------------------------------------------------------- return to class


@dataclass(frozen=True)
class ReturnToClass:
    """Return to full-time mainstream class.

    Attributes
    ----------
    n : int
        Children with a yes/no answer to "returned full time".
    returned : int
        Of those, how many have returned.
    n_still_in_group : int
        Children not returned and with no leaving date (still attending a group).
    low, high : float
        Wilson 95% interval of ``returned / n`` (``stats.proportion_ci``); NaN when n = 0.
    terms : pandas.Series
        Per child with a return date: time from joining to the return, in terms
        (days / :data:`DAYS_PER_TERM`).
    aim : tuple of float
        The aim, in terms (default 2 to 4).
    """

    n: int
    returned: int
    n_still_in_group: int
    low: float
    high: float
    terms: pd.Series
    aim: tuple[float, float]

    @property
    def share(self) -> float:
        return self.returned / self.n if self.n else math.nan

    @property
    def n_dated(self) -> int:
        return len(self.terms)

    def bands(self) -> pd.Series:
        """Children with a return date by time taken: under / within / over the aim."""
        low, high = self.aim
        t = self.terms
        return pd.Series(
            {
                f"Under {low:g} terms": int((t < low).sum()),
                f"{low:g} to {high:g} terms": int(((t >= low) & (t <= high)).sum()),
                f"Over {high:g} terms": int((t > high).sum()),
            }
        )

    @property
    def within_aim(self) -> int:
        """Returned within the upper end of the aim (sooner than the aim counts too)."""
        return int((self.terms <= self.aim[1]).sum())


def return_to_class(ctx: Context, aim: Sequence[float] = RETURN_AIM_TERMS) -> ReturnToClass:
    """Share returned full time (Wilson CI) and time to return in terms."""
    low_aim, high_aim = float(aim[0]), float(aim[1])
    if not 0 <= low_aim <= high_aim:
        raise ConfigError(f"return_aim_terms {list(aim)!r}: expected [low, high] with low ≤ high")
    data = ctx.data
    answered = data["returned_full_time"].notna()
    flags = data.loc[answered, "returned_full_time"].astype(bool)
    n, k = int(answered.sum()), int(flags.sum())
    low, high = stats.proportion_ci(k, n) if n else (math.nan, math.nan)
    still = answered & ~data["returned_full_time"].fillna(False).astype(bool)
    if "date_left" in data:
        still &= data["date_left"].isna()
    dated = data["returned_date"].notna() & data["date_joined"].notna()
    if "returned_full_time" in data:
        dated &= data["returned_full_time"].fillna(True).astype(bool)
    days = (data.loc[dated, "returned_date"] - data.loc[dated, "date_joined"]).dt.days
    terms = (days / DAYS_PER_TERM).astype(float).rename("terms")
    return ReturnToClass(n, k, int(still.sum()), low, high, terms, (low_aim, high_aim))


def _share_text(k: int, n: int, low: float, high: float) -> str:
    return f"{100 * k / n:.0f}%, 95% CI {100 * low:.0f}% to {100 * high:.0f}%"


def return_sentence(ctx: Context, r: ReturnToClass) -> str:
    """E.g. *11 of 47 children (23%, 95% CI 14% to 37%) have returned full time to their
    mainstream class; 34 are still in a group. Of the 11 with a return date, 9 returned
    within 4 terms of joining (the aim is 2 to 4 terms).*"""
    if r.n == 0:
        return "Return to class: no school said whether its children have returned full time."
    if ctx.too_few(r.n) or ctx.hide(r.returned) or ctx.hide(r.n - r.returned):
        return (
            "Return to full-time mainstream class: the numbers are too small to show without "
            f"identifying {ctx.people} (fewer than {ctx.threshold})."
        )
    text = (
        f"{r.returned} of {r.n} {ctx.people} ({_share_text(r.returned, r.n, r.low, r.high)}) "
        "have returned full time to their mainstream class"
    )
    if r.n_still_in_group:
        text += f"; {ctx.count(r.n_still_in_group)} are still attending a group"
    text += "."
    if r.n_dated and not ctx.too_few(r.n_dated):
        within = r.within_aim
        if ctx.hide(within) or ctx.hide(r.n_dated - within):
            text += (
                f" For the {ctx.count(r.n_dated)} with a return date, the median time from "
                f"joining to return was {float(r.terms.median()):.1f} terms (the aim is "
                f"{r.aim[0]:g} to {r.aim[1]:g} terms)."
            )
        else:
            who = f"all {within}" if within == r.n_dated else str(within)
            text += (
                f" Of the {ctx.count(r.n_dated)} with a return date, {who} returned within "
                f"{r.aim[1]:g} terms of joining (median {float(r.terms.median()):.1f} terms; "
                f"the aim is {r.aim[0]:g} to {r.aim[1]:g} terms)."
            )
    return text


def return_table(ctx: Context, r: ReturnToClass) -> Shown:
    """Returned / not returned / total, with shares and Wilson CIs (protected: a share is
    hidden wherever its count is)."""
    not_returned = r.n - r.returned
    rows = {
        "Returned full time to mainstream class": r.returned,
        "Not (yet) returned": not_returned,
        "Total": r.n,
    }
    counts = pd.DataFrame({ctx.people.capitalize(): pd.Series(rows, dtype=int)})
    counts.index.name = "Return to class"
    shown = disclosure.suppress_counts(
        counts, threshold=ctx.threshold, margins=True, audience=ctx.audience, people=ctx.people
    )
    frame = shown.display.astype(object)
    shares = []
    for k in (r.returned, not_returned):
        if r.n == 0:
            shares.append(disclosure.NOT_AVAILABLE)
            continue
        low, high = stats.proportion_ci(k, r.n)
        shares.append(f"{100 * k / r.n:.0f}% ({100 * low:.0f}% to {100 * high:.0f}%)")
    shares.append("100%" if r.n else disclosure.NOT_AVAILABLE)
    hidden = shown.mask.iloc[:, 0].to_numpy() | ctx.too_few(r.n)
    if ctx.commissioner:
        shares = [disclosure.SUPPRESSED if h else s for s, h in zip(shares, hidden, strict=True)]
    frame["% (95% CI)"] = shares
    note = disclosure.footnote(
        disclosure.symbols_in(frame), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(frame, (ctx.people.capitalize(),), note)


def time_to_return_table(ctx: Context, r: ReturnToClass) -> Shown:
    """Children with a return date by time from joining to return (protected counts)."""
    bands = r.bands()
    bands.loc["Total"] = r.n_dated
    table = pd.DataFrame({ctx.people.capitalize(): bands.astype(int)})
    table.index.name = "Time from joining to full-time return"
    shown = disclosure.suppress_counts(
        table, threshold=ctx.threshold, margins=True, audience=ctx.audience, people=ctx.people
    )
    return Shown(shown.display, (ctx.people.capitalize(),), shown.footnote)


def show_return_to_class(ctx: Context, r: ReturnToClass) -> None:
    show_markdown(return_sentence(ctx, r))
    show_table(ctx, return_table(ctx, r), "Return to full-time mainstream class")
    if not r.n_dated:
        show_markdown("No return dates were given, so the time taken to return cannot be shown.")
        return
    show_markdown(
        f"Time to return is counted from the date the child joined the group to the date of "
        f"the full-time return, in terms of {DAYS_PER_TERM:.0f} days (a third of a year, "
        f"holidays included). The aim of a placement is {r.aim[0]:g} to {r.aim[1]:g} terms; "
        "children still in a group have not yet had the chance to return, so these figures "
        "describe only those who have."
    )
    timing = time_to_return_table(ctx, r)
    show_table(ctx, timing, "Time from joining the group to the full-time return")
    bands = timing.frame.drop(index="Total").iloc[:, 0]
    visible = [v for v in bands if not isinstance(v, str) and v > 0]
    if ctx.too_few(r.n_dated) or len(visible) < 2:
        return  # one visible bar (or none) says nothing the table does not
    from dspl_eval import plots

    plots.display(return_chart(bands, r.aim, ctx))


def return_chart(counts: pd.Series, aim: tuple[float, float], ctx: Context):
    """Horizontal bars: children by time taken to return (a ``c`` cell is drawn as no bar
    and labelled ``c``), the bar for the aim in the highlight colour; alt text from the
    same (already suppressed) numbers."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from dspl_eval import plots

    title = "Time from joining the group to the full-time return"
    aim_label = f"{aim[0]:g} to {aim[1]:g} terms"
    with mpl.rc_context(plots.HOUSE_STYLE):
        figure = Figure(figsize=(7.0, 0.8 + 0.55 * len(counts)), layout="constrained")
        ax = figure.subplots()
        numbers = [0.0 if isinstance(v, str) else float(v) for v in counts]
        top = max(numbers, default=0.0) or 1.0
        for i, (label, value) in enumerate(counts.items()):
            colour = plots.DARK_BLUE if label == aim_label else plots.TURQUOISE
            drawn = numbers[i]
            if drawn:
                ax.barh(i, drawn, height=0.6, color=colour)
            text = "c" if isinstance(value, str) else f"{int(value)}"
            ax.text(drawn + top * 0.015, i, text, va="center", ha="left", color=plots.TEXT)
        ax.set_yticks(range(len(counts)), [str(x) for x in counts.index])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlim(0, top * 1.2)
        ax.set_xlabel(f"Number of {ctx.people} who have returned")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title)
    parts = [
        f"{label}: "
        + (f"suppressed (fewer than {ctx.threshold})" if isinstance(v, str) else f"{int(v)}")
        for label, v in counts.items()
    ]
    alt = (
        f"Bar chart of the {ctx.people} who have returned full time to their mainstream class, "
        f"by time from joining the group to the return (the aim is {aim_label}). "
        + "; ".join(parts)
        + "."
    )
    return plots.Chart(figure=figure, alt=alt, title=title)


# ----------------------------------------------------------------------------- attendance


def absence_change(ctx: Context, thresholds: measures.AbsenceThresholds) -> FlagChange:
    """Persistent absence before vs after (``measures.attendance`` flags, McNemar)."""
    before = measures.attendance(ctx.data, "before", thresholds)
    after = measures.attendance(ctx.data, "after", thresholds)
    return flag_change(
        ctx,
        before["persistent_absence"],
        after["persistent_absence"],
        f"Persistent absence (missing {thresholds.persistent:g}% or more)",
    )


# ----------------------------------------------------------------------------- suspensions


@dataclass(frozen=True)
class SuspensionChange:
    """Suspensions in equal windows before joining and after.

    Attributes
    ----------
    rate : stats.RateRatio
        Exact conditional rate ratio, after vs before; exposure is ``window_months`` per
        child with both counts (so equal windows make it total after / total before).
    any : FlagChange
        Children with at least one suspension before vs after (McNemar).
    window_months : float
    """

    rate: stats.RateRatio
    any: FlagChange
    window_months: float


def suspension_change(ctx: Context, window_months: float = 6.0) -> SuspensionChange:
    """Suspensions before vs after over equal windows of ``window_months`` per child."""
    if not window_months > 0:
        raise ConfigError(f"suspension_window_months {window_months!r}: expected more than 0")
    before = ctx.data["suspensions_before"].astype("Float64")
    after = ctx.data["suspensions_after"].astype("Float64")
    both = (before.notna() & after.notna()).to_numpy()
    exposure = np.where(both, float(window_months), np.nan)
    rate = stats.rate_ratio(
        after.to_numpy(dtype=float, na_value=np.nan),
        exposure,
        before.to_numpy(dtype=float, na_value=np.nan),
        exposure,
    )
    any_change = flag_change(
        ctx,
        (before > 0).astype("boolean"),
        (after > 0).astype("boolean"),
        "Suspended at least once",
    )
    return SuspensionChange(rate, any_change, float(window_months))


def _rate_hidden(ctx: Context, s: SuspensionChange) -> bool:
    r = s.rate
    return ctx.too_few(r.n) or ctx.hide(r.events_before) or ctx.hide(r.events_after)


def _ratio_text(r: stats.RateRatio) -> str:
    if r.reason:
        return f"rate ratio not available: {r.reason}"
    low, high = r.confidence_interval()
    est = "x (no suspensions before)" if math.isinf(r.estimate) else f"{r.estimate:.2f}"
    ci = f", 95% CI {low:.2f} to {high:.2f}" if math.isfinite(low) and math.isfinite(high) else ""
    return f"rate ratio {est}{ci}, exact test {fmt_p(r.pvalue)}"


def suspension_sentence(ctx: Context, s: SuspensionChange) -> str:
    """E.g. *The 42 children with both windows had 20 suspensions in the 6 months before
    joining and 9 in the 6 months after (rate ratio 0.45, 95% CI 0.19 to 0.99, exact test
    p = .04).*"""
    r = s.rate
    if r.n == 0:
        return f"Suspensions: no {ctx.people} have counts before and after yet."
    if _rate_hidden(ctx, s):
        return (
            "Suspensions: the numbers are too small to show without identifying "
            f"{ctx.people} (fewer than {ctx.threshold})."
        )
    months = f"{s.window_months:g} months"
    return (
        f"The {ctx.count(r.n)} with suspension counts before and after had "
        f"{r.events_before} suspension{'s' if r.events_before != 1 else ''} in the {months} "
        f"before joining the group and {r.events_after} in the {months} after "
        f"({_ratio_text(r)})."
    )


def suspension_table(ctx: Context, s: SuspensionChange) -> Shown:
    """n, suspensions before and after, rate ratio with CI and p (protected: the ratio is
    hidden wherever a count it is built from is)."""
    r = s.rate
    low, high = r.confidence_interval()
    finite = math.isfinite(r.estimate)
    table = pd.DataFrame(
        {
            "n": [r.n],
            "Suspensions before": [r.events_before],
            "Suspensions after": [r.events_after],
            "Rate ratio (after ÷ before)": [f"{r.estimate:.2f}" if finite else "x"],
            "95% CI": [f"{low:.2f} to {high:.2f}" if finite and math.isfinite(high) else "x"],
            "Exact test": [fmt_p(r.pvalue)],
        },
        index=pd.Index([f"Equal windows of {s.window_months:g} months"], name="Suspensions"),
    )
    shown = protect(ctx, table, ["n", "Suspensions before", "Suspensions after"])
    frame = shown.frame
    if ctx.commissioner and _rate_hidden(ctx, s):
        frame.iloc[0, :] = disclosure.SUPPRESSED
    note = disclosure.footnote(
        disclosure.symbols_in(frame), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(frame, shown.counts, note)


def show_suspensions(ctx: Context, s: SuspensionChange) -> None:
    from dspl_eval.reporting import show_flags

    show_markdown(suspension_sentence(ctx, s))
    if s.rate.n == 0:
        return
    show_table(ctx, suspension_table(ctx, s), "Suspensions before and after joining the group")
    show_flags(ctx, [s.any], "Children suspended at least once")


# ----------------------------------------------------------------------------- breakdowns


def _group_values(ctx: Context, by: str) -> pd.Series:
    values = ctx.data[by].astype(object).where(ctx.data[by].notna(), "Not recorded")
    if by == "year_group":
        names = {-1: "Nursery", 0: "Reception"}
        values = values.map(
            lambda v: v if isinstance(v, str) else names.get(int(v), f"Year {int(v)}")
        )
    values = values.astype(str)
    if by in ("sex", "sen_status"):
        values = values.map(lambda v: v[:1].upper() + v[1:])
    return values


def breakdown_table(ctx: Context, outcomes: list[PairedOutcome], by: str) -> Shown | None:
    """Mean change in each Boxall section by group, for the children with both sections
    on entry and at review. For commissioners every row shown holds at least the
    threshold number of children (small groups merged, see :func:`merge_small_groups`), so
    no school row carries a suppressed cell. ``None`` when there is nothing safe to show."""
    if by not in ctx.data or ctx.data[by].isna().all() or not outcomes:
        return None
    columns = [
        (f"boxall_{s}_pre", f"boxall_{s}_post") for s in SECTIONS if f"boxall_{s}_pre" in ctx.data
    ]
    complete = np.logical_and.reduce(
        [ctx.data[c].notna().to_numpy() for pair in columns for c in pair]
    )
    data = ctx.data[complete]
    if data.empty or ctx.too_few(len(data)):
        return None
    groups = _group_values(ctx, by)[complete]
    if ctx.commissioner:
        mapping = merge_small_groups(groups.value_counts(), ctx.threshold)
        groups = groups.map(mapping)
        if groups.nunique() < 2:
            return None
    rows = {}
    order = [g for g in groups.value_counts().sort_index().index if g != OTHER_GROUPS]
    if OTHER_GROUPS in set(groups):
        order.append(OTHER_GROUPS)
    for name, index in [*((g, groups.index[groups == g]) for g in order), ("Total", groups.index)]:
        row = {"n": len(index)}
        for section, (pre, post) in zip(SECTIONS, columns, strict=False):
            change = data.loc[index, post].astype(float) - data.loc[index, pre].astype(float)
            row[f"{LABELS[section].removeprefix('Boxall ').capitalize()}: mean change"] = (
                fmt_change(change.mean())
            )
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = GROUPING_LABELS.get(by, by)
    return protect(ctx, table, ["n"], margins=True)


def show_breakdowns(
    ctx: Context, outcomes: list[PairedOutcome], by: Sequence[str] = GROUPINGS
) -> None:
    """Boxall change by school, nurture group, year group, SEN status and sex. The group
    breakdown is left out when every school has a single group (it would repeat the
    school table)."""
    shown_any = False
    for column in by:
        if column == "group_name" and "school" in ctx.data and column in ctx.data:
            pairs = ctx.data[["school", column]].dropna().drop_duplicates()
            if pairs["school"].is_unique and pairs[column].is_unique:
                continue
        table = breakdown_table(ctx, outcomes, column)
        if table is None:
            continue
        shown_any = True
        show_table(ctx, table, f"Boxall change by {GROUPING_WORDS.get(column, column)}")
    if not shown_any:
        show_markdown(
            f"No breakdown can be shown: the groups are too small to show without "
            f"identifying {ctx.people}."
        )


# ----------------------------------------------------------------------------- endings


def summary_tables(
    ctx: Context,
    outcomes: list[PairedOutcome],
    flags: list[FlagChange],
    returned: ReturnToClass,
    suspensions: SuspensionChange,
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index page and summary.xlsx (already protected)."""
    from dspl_eval.reporting import summary_tables as common

    tables = common(ctx, outcomes, flags)
    tables["return to class"] = (
        "Return to full-time mainstream class",
        return_table(ctx, returned),
    )
    tables["suspensions"] = (
        "Suspensions before and after joining the group",
        suspension_table(ctx, suspensions),
    )
    return tables
