"""Early-career teacher SEND programme report: confidence, understanding, reactions.

One row per teacher, no pupil data. The questionnaire has six confidence items (1 strongly
disagree … 5 strongly agree) before and after the programme, a self-rated understanding of
the role (0-100%), the amount of content (too little / just right / too much), whether the
practical information was satisfactory, and the sessions attended (MEASURES.md).

Likert items are ordinal, so each item's change is tested with the Wilcoxon signed-rank
test, Holm-adjusted across the six items; the scale score (mean of the items) is reported
with Cronbach's α before and after; the share agreeing (4-5 by default) before and after
is compared with McNemar's exact test. Results are framed with Guskey's five levels of
professional-development evaluation: a questionnaire reaches levels 1 and 2 only.

Every figure comes from :mod:`dspl_eval.stats` or :mod:`dspl_eval.measures`; every table
goes through :mod:`dspl_eval.disclosure` for the report's audience.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval import disclosure, measures, plots, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives.nqt import CONFIDENCE_TOPICS
from dspl_eval.reporting import (
    OTHER_GROUPS,
    Context,
    FlagChange,
    PairedOutcome,
    Shown,
    fmt,
    fmt_change,
    fmt_p,
    merge_small_groups,
)

ITEMS = tuple(f"conf_{topic}" for topic in CONFIDENCE_TOPICS)
ITEM_LABELS = {
    "conf_learning_environment": "Creating a good learning environment",
    "conf_low_level_behaviour": "Managing low-level behaviour",
    "conf_visual_support": "Using visual support",
    "conf_autism": "Supporting autistic pupils",
    "conf_adapting_environment": "Adapting the environment",
    "conf_challenging_behaviour": "Responding to challenging behaviour",
}
SCALE_PRE, SCALE_POST = "confidence_scale_pre", "confidence_scale_post"
SCALE_LABEL = "Confidence score"
UNDERSTANDING_LABEL = "Self-rated understanding"
SATISFACTION = ("too little", "just right", "too much")
NOT_ANSWERED = "Not answered"
BREAKDOWN_LABELS = {"role": "Role", "school": "School"}
SIGNIFICANCE = 0.05

#: Why the report has no "cost per teacher with a reliable improvement".
NO_RELIABLE_CHANGE = (
    "the confidence items have no published reliability (test-retest or α from a norming "
    "sample) to set the measurement error a reliable-change index needs, and the α worked "
    "out from this one small group is too imprecise to stand in for it"
)

#: Guskey's five levels (Guskey 2000, *Evaluating professional development*; 2002,
#: Educational Leadership 59(6)): what each asks, whether this questionnaire reaches it,
#: and what data would.
GUSKEY_LEVELS = (
    (
        "1. Participants' reactions",
        "Did the teachers find the programme useful, well paced and well run?",
        "amount of content (too little / just right / too much), satisfaction with the "
        "practical information, sessions attended.",
        "",
    ),
    (
        "2. Participants' learning",
        "Did the teachers gain the intended knowledge, skills and confidence?",
        "partly: confidence in six SEND topics and understanding of the role, both "
        "self-rated before and after.",
        "A short knowledge check or case-based task before and after, marked the same "
        "way each time, would measure learning rather than self-belief.",
    ),
    (
        "3. Organisation support and change",
        "Did the schools make time, mentoring and resources available to use it?",
        "No.",
        "A termly return from each school's SENCo or ECT induction tutor: mentor time "
        "given, release time, resources bought, whether SEND practice is on the ECT's "
        "development plan.",
    ),
    (
        "4. Participants' use of new knowledge and skills",
        "Are the teachers doing things differently in their classrooms?",
        "No.",
        "Structured lesson observations or learning walks with a SEND-practice checklist "
        "(e.g. visual timetables in use, adapted tasks) before and 3-6 months after, and "
        "a follow-up questionnaire on what they have tried.",
    ),
    (
        "5. Pupil learning outcomes",
        "Did it make a difference for pupils with SEND in their classes?",
        "No.",
        "Outcomes of pupils with SEND taught by programme teachers (attendance, "
        "suspensions, progress, pupil voice) against a comparison group, which needs "
        "teacher-to-class links and a data-sharing agreement.",
    ),
)


# ----------------------------------------------------------------------------- scale


def _items(when: str) -> list[str]:
    return [f"{item}_{when}" for item in ITEMS]


def with_scale_scores(ctx: Context, min_items: int | None = None) -> Context:
    """The context with the confidence scale score before and after (``SCALE_PRE``,
    ``SCALE_POST``): the mean of the six items (:func:`dspl_eval.measures.likert_scale_score`),
    scored when at least ``min_items`` are answered (default: all six). The input is not
    changed."""
    data = ctx.data.copy()
    data[SCALE_PRE] = measures.likert_scale_score(data, _items("pre"), min_items)
    data[SCALE_POST] = measures.likert_scale_score(data, _items("post"), min_items)
    return dataclasses.replace(ctx, data=data)


def scale_outcome(ctx: Context) -> PairedOutcome:
    """Paired change in the confidence scale score (``ctx`` from :func:`with_scale_scores`)."""
    return rp.paired_outcome(ctx, SCALE_PRE, SCALE_POST, SCALE_LABEL, decimals=1)


def understanding_outcome(ctx: Context) -> PairedOutcome:
    """Paired change in self-rated understanding of the role (0-100%)."""
    return rp.paired_outcome(
        ctx, "understanding_pre", "understanding_post", UNDERSTANDING_LABEL, unit="%", decimals=0
    )


def _withheld(ctx: Context, n: int, what: str) -> str | None:
    if n == 0:
        return f"{what}: no {ctx.people} have answers before and after yet."
    if ctx.too_few(n):
        return (
            f"{what}: fewer than {ctx.threshold} {ctx.people} have answers before and after, "
            "so no figures are shown."
        )
    return None


def scale_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """E.g. *Teachers' confidence across six SEND topics (the mean of six answers from 1,
    strongly disagree, to 5, strongly agree) rose from 2.3 to 3.6 for the 22 teachers with both
    questionnaires (+1.3, 95% CI +1.0 to +1.6; Wilcoxon p < .001).*"""
    r = outcome.result
    withheld = _withheld(ctx, r.n, "Confidence across the six SEND topics")
    if withheld:
        return withheld
    low, high = r.confidence_interval()
    ci = f", 95% CI {fmt_change(low)} to {fmt_change(high)}" if math.isfinite(low) else ""
    test = f"; Wilcoxon {fmt_p(r.wilcoxon_pvalue)}" if math.isfinite(r.wilcoxon_pvalue) else ""
    text = (
        "Teachers' confidence across six SEND topics (the mean of six answers from 1, strongly "
        f"disagree, to 5, strongly agree) {rp.direction_word(r.mean_diff, True)} from "
        f"{fmt(r.mean_pre)} to {fmt(r.mean_post)} for the {ctx.count(r.n)} with both "
        f"questionnaires ({fmt_change(r.mean_diff)}{ci}{test})."
    )
    missing = outcome.n_without_follow_up
    if missing:
        text += (
            f" {ctx.count(missing).capitalize()} {_has(ctx, missing)} no after questionnaire yet."
        )
    return text


# ----------------------------------------------------------------------------- reliability


def reliability(ctx: Context) -> dict[str, measures.CronbachAlpha]:
    """Cronbach's α of the six items before and after (people answering all six)."""
    return {
        "Before": measures.cronbach_alpha(ctx.data[_items("pre")]),
        "After": measures.cronbach_alpha(ctx.data[_items("post")]),
    }


def alpha_words(alpha: float) -> str:
    """α in plain words (George & Mallery 2003 rule of thumb; .70 is the usual minimum)."""
    if not math.isfinite(alpha):
        return "cannot be worked out"
    if alpha >= 0.9:
        return (
            "very high: the items hang together very closely, and some may ask nearly "
            "the same thing"
        )
    if alpha >= 0.8:
        return "good: the items hang together well, so one score summarises them fairly"
    if alpha >= 0.7:
        return "acceptable: the items hang together well enough to add up into one score"
    if alpha >= 0.6:
        return "questionable: read the score alongside the separate items"
    return (
        "low: the items do not hang together, so the score mixes different things; read "
        "the items one by one"
    )


def reliability_table(ctx: Context, alphas: dict[str, measures.CronbachAlpha]) -> Shown:
    """α before and after with the number answering every item and a one-word reading
    (:func:`alpha_words`)."""
    rows = [
        {
            "Questionnaire": when,
            "n": a.n,
            "Cronbach's α": fmt(a.alpha, "", 2),
            "Reading": alpha_words(a.alpha).split(":")[0] if not a.reason else "x",
        }
        for when, a in alphas.items()
    ]
    return rp.protect(ctx, pd.DataFrame(rows).set_index("Questionnaire"), ["n"])


def reliability_sentence(ctx: Context, alphas: dict[str, measures.CronbachAlpha]) -> str:
    """Plain-words summary of α before and after (one line each, markdown bullets)."""
    lines = []
    for when, a in alphas.items():
        if a.n == 0 or ctx.too_few(a.n):
            lines.append(f"- {when} the programme: not shown (too few {ctx.people}).")
        elif not math.isfinite(a.alpha):
            lines.append(f"- {when} the programme: α cannot be worked out ({a.reason}).")
        else:
            lines.append(
                f"- {when} the programme: α = {fmt(a.alpha, '', 2)}, {alpha_words(a.alpha)}."
            )
    return "\n".join(lines)


def show_reliability(ctx: Context, alphas: dict[str, measures.CronbachAlpha]) -> None:
    rp.show_markdown(reliability_sentence(ctx, alphas))
    rp.show_table(ctx, reliability_table(ctx, alphas), "Internal consistency of the six items")


# ----------------------------------------------------------------------------- items


def item_change(ctx: Context) -> pd.DataFrame:
    """:func:`dspl_eval.measures.change_table` for the six items, Holm across the six
    (``wilcoxon_pvalue_holm`` is the primary test: the items are ordinal)."""
    return measures.change_table(
        ctx.data, ITEMS, higher_is_better=dict.fromkeys(ITEMS, True), adjust=True
    )


def item_table(ctx: Context, table: pd.DataFrame) -> Shown:
    """One row per item: n, mean before/after, mean change with its CI, Wilcoxon p (raw and
    Holm-adjusted)."""
    rows = []
    for row in table.itertuples(index=False):
        rows.append(
            {
                "Topic": ITEM_LABELS.get(row.measure, row.measure),
                "n": int(row.n),
                "Before (mean)": fmt(row.mean_pre),
                "After (mean)": fmt(row.mean_post),
                "Change": fmt_change(row.mean_diff),
                "95% CI": f"{fmt_change(row.lower_ci)} to {fmt_change(row.upper_ci)}"
                if math.isfinite(row.lower_ci)
                else "x",
                "Wilcoxon p": fmt_p(row.wilcoxon_pvalue),
                "Wilcoxon p (Holm)": fmt_p(row.wilcoxon_pvalue_holm),
            }
        )
    return rp.protect(ctx, pd.DataFrame(rows).set_index("Topic"), ["n"])


def significant_items(ctx: Context, table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Items that rose / fell with a Holm-adjusted Wilcoxon p below .05 (shown rows only)."""
    shown = table[[not ctx.too_few(int(n)) and int(n) > 0 for n in table["n"]]]
    significant = shown[shown["wilcoxon_pvalue_holm"] < SIGNIFICANCE]
    up = [ITEM_LABELS[m] for m in significant[significant["mean_diff"] > 0]["measure"]]
    down = [ITEM_LABELS[m] for m in significant[significant["mean_diff"] < 0]["measure"]]
    return up, down


def items_sentence(ctx: Context, table: pd.DataFrame) -> str:
    """How many of the six topics changed beyond chance (Wilcoxon, Holm-adjusted)."""
    n = int(table["n"].max()) if len(table) else 0
    withheld = _withheld(ctx, n, "Confidence by topic")
    if withheld:
        return withheld
    up, down = significant_items(ctx, table)
    k = len(table)
    if not up and not down:
        return (
            f"Confidence did not change on any of the {k} topics by more than chance would "
            "explain (Wilcoxon signed-rank test, Holm-adjusted)."
        )
    parts = []
    if up:
        parts.append(f"rose on {'all' if len(up) == k else f'{len(up)} of the'} {k} topics")
    if down:
        parts.append(f"fell on {len(down)} ({_join([d.lower() for d in down])})")
    text = "Confidence " + " and ".join(parts)
    return (
        text
        + " by more than chance would explain (Wilcoxon signed-rank test, Holm-adjusted p < .05)."
    )


def show_items(ctx: Context, table: pd.DataFrame) -> None:
    """The item table and a forest chart of the mean changes with their CIs."""
    rp.show_markdown(items_sentence(ctx, table))
    rp.show_table(ctx, item_table(ctx, table), "Confidence by topic (1-5): before and after")
    ok = [not ctx.too_few(int(n)) and int(n) > 0 for n in table["n"]]
    if not any(ok):
        return
    forest = pd.DataFrame(
        {
            "outcome": [ITEM_LABELS.get(m, m) for m in table["measure"]],
            "estimate": table["mean_diff"],
            "lower_ci": table["lower_ci"],
            "upper_ci": table["upper_ci"],
            "confidence_level": table["confidence_level"],
        }
    )[ok]
    plots.display(
        plots.estimate_forest(
            forest.reset_index(drop=True),
            "change in confidence by topic (1-5 scale)",
            suppression_threshold=ctx.threshold,
        )
    )


# ----------------------------------------------------------------------------- agreement


def agrees(ctx: Context, when: str, threshold: int = 4) -> pd.DataFrame:
    """Per item, whether the answer is ``threshold`` or above (nullable booleans; missing
    answers stay missing). With the default 4 it equals
    :func:`dspl_eval.measures.likert_agrees` (agree or strongly agree)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise ConfigError(f"agree_threshold {threshold!r}: expected a whole number from 2 to 5")
    if not 2 <= threshold <= 5:
        raise ConfigError(f"agree_threshold {threshold!r}: expected a whole number from 2 to 5")
    columns = _items(when)
    if threshold == 4:
        flags = measures.likert_agrees(ctx.data, columns)
    else:
        measures.likert_agrees(ctx.data, columns)  # the same checks (present, 1-5)
        flags = pd.DataFrame(
            {c: ctx.data[c].astype("Float64").ge(threshold).astype("boolean") for c in columns}
        )
    flags.columns = list(ITEMS)
    return flags


def agreement_changes(ctx: Context, threshold: int = 4) -> list[FlagChange]:
    """Teachers agreeing (``threshold`` or above) per item before vs after, with McNemar."""
    before, after = agrees(ctx, "pre", threshold), agrees(ctx, "post", threshold)
    return [rp.flag_change(ctx, before[i], after[i], ITEM_LABELS[i]) for i in ITEMS]


def agreement_table(ctx: Context, changes: list[FlagChange]) -> Shown:
    """:func:`dspl_eval.reporting.flag_table` with the McNemar p-values Holm-adjusted across
    the items; columns renamed for agreement."""
    shown = rp.flag_table(ctx, changes)
    frame = shown.frame.copy()
    pvalues = np.array([c.result.pvalue if c.n else np.nan for c in changes], dtype=float)
    holm = stats.holm(pvalues)
    frame["McNemar p (Holm)"] = [
        disclosure.SUPPRESSED if frame.iloc[i]["McNemar p"] == disclosure.SUPPRESSED else fmt_p(p)
        for i, p in enumerate(holm)
    ]
    frame = frame.rename(
        columns={
            "Before": "Agreeing before",
            "After": "Agreeing after",
            "% before (95% CI)": "% agreeing before (95% CI)",
            "% after (95% CI)": "% agreeing after (95% CI)",
        }
    )
    frame.index.name = "Topic"
    return Shown(frame, ("n", "Agreeing before", "Agreeing after"), shown.note)


def _agreement_hidden(ctx: Context, c: FlagChange) -> bool:
    counts = (c.before, c.after, c.n - c.before, c.n - c.after)
    return c.n == 0 or ctx.too_few(c.n) or any(ctx.hide(k) for k in counts)


def agreement_sentence(ctx: Context, changes: list[FlagChange], threshold: int = 4) -> str:
    """The topic whose share agreeing rose most (among those safe to show), with McNemar
    (Holm-adjusted across the topics)."""
    words = _agree_words(threshold)
    showable = [c for c in changes if not _agreement_hidden(ctx, c)]
    if not showable:
        return (
            f"The share of {ctx.people} who {words} cannot be shown by topic: the numbers are "
            f"too small to show without identifying {ctx.people}."
        )
    pvalues = np.array([c.result.pvalue if c.n else np.nan for c in changes], dtype=float)
    adjusted = dict(zip([c.label for c in changes], stats.holm(pvalues), strict=True))
    best = max(showable, key=lambda c: (c.after - c.before) / c.n)
    share = (
        f"from {100 * best.before / best.n:.0f}% to {100 * best.after / best.n:.0f}% of the "
        f"{ctx.count(best.n)} who answered both times (McNemar exact test, Holm-adjusted "
        f"{fmt_p(adjusted[best.label])})"
    )
    if best.after > best.before:
        return f"The share who {words} rose most for {best.label.lower()}: {share}."
    return (
        f"The share who {words} rose on none of the topics that can be shown; "
        f"for {best.label.lower()} it went {share}."
    )


def _agree_words(threshold: int) -> str:
    if threshold == 4:
        return "felt confident (agree or strongly agree)"
    if threshold == 5:
        return "felt confident (strongly agree)"
    return f"felt confident (answer {threshold} or above on the 1-5 scale)"


def show_agreement(ctx: Context, changes: list[FlagChange], threshold: int = 4) -> None:
    """The agreement table and before/after bars of the number agreeing per topic."""
    rp.show_markdown(agreement_sentence(ctx, changes, threshold))
    table = agreement_table(ctx, changes)
    rp.show_table(ctx, table, f"{ctx.people.capitalize()} who {_agree_words(threshold)}")
    if all(c.n == 0 or ctx.too_few(c.n) for c in changes):
        return
    bars = table.frame[["Agreeing before", "Agreeing after"]].rename(
        columns={"Agreeing before": "Before", "Agreeing after": "After"}
    )
    plots.display(
        plots.category_bars(
            bars,
            f"{ctx.people} who felt confident on each topic",
            noun=ctx.people,
            suppression_threshold=ctx.threshold,
        )
    )


# ----------------------------------------------------------------------------- reactions


def _counts_with_share(ctx: Context, counts: pd.Series, column: str) -> Shown:
    """Counts of people per category with a Total row (primary and secondary suppression)
    and each category's share of the total; a share is hidden wherever its count is, so
    it never tells more than the counts shown."""
    table = pd.DataFrame({column: counts.astype(int)})
    table.loc["Total"] = int(counts.sum())
    counted = disclosure.suppress_counts(
        table, threshold=ctx.threshold, margins=True, audience=ctx.audience, people=ctx.people
    )
    frame = counted.display.copy()
    total = int(counts.sum())
    shares = []
    for label, value in table[column].items():
        if counted.mask.loc[label, column] or ctx.too_few(total):
            shares.append(disclosure.SUPPRESSED)
        elif total == 0:
            shares.append(disclosure.NOT_AVAILABLE)
        else:
            shares.append(f"{100 * value / total:.0f}%")
    frame["%"] = shares
    note = disclosure.footnote(
        disclosure.symbols_in(frame), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(frame, (column,), note)


def satisfaction_counts(ctx: Context) -> pd.Series:
    """Teachers who answered "amount of content", per answer (too little / just right /
    too much; zeros kept). Those who did not answer are counted by
    :func:`not_answered`."""
    values = ctx.data["satisfaction"].astype("string").str.lower().dropna()
    counts = values.value_counts().reindex(list(SATISFACTION), fill_value=0)
    counts.index = pd.Index([_sentence_start(s) for s in SATISFACTION], name="Amount of content")
    return counts.astype(int)


def not_answered(ctx: Context, column: str) -> int:
    """Teachers in the returns with no answer in ``column``."""
    return int(ctx.data[column].isna().sum())


def satisfaction_table(ctx: Context) -> Shown:
    """Counts per answer with a Total (those who answered), suppressed, and shares."""
    return _counts_with_share(ctx, satisfaction_counts(ctx), ctx.people.capitalize())


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` with a Wilson score interval (:func:`dspl_eval.stats.proportion_ci`)."""

    k: int
    n: int
    n_missing: int
    lower_ci: float
    upper_ci: float

    @property
    def proportion(self) -> float:
        return self.k / self.n if self.n else math.nan


def practical_info(ctx: Context) -> Share:
    """Teachers satisfied with the practical information, of those who answered."""
    values = ctx.data["practical_info_satisfied"].astype("boolean")
    answered = values.dropna()
    k, n = int(answered.sum()), int(answered.size)
    low, high = stats.proportion_ci(k, n) if n else (math.nan, math.nan)
    return Share(k, n, int(values.isna().sum()), low, high)


def practical_info_hidden(ctx: Context, share: Share) -> bool:
    """Whether the share may not be shown (too few answered, or yes or no is small)."""
    return ctx.too_few(share.n) or ctx.hide(share.k) or ctx.hide(share.n - share.k)


def practical_info_table(ctx: Context, share: Share) -> Shown:
    """Yes / No with a Total (those who answered), suppressed, and the share satisfied
    with its 95% Wilson interval."""
    counts = pd.Series(
        [share.k, share.n - share.k],
        index=pd.Index(["Yes", "No"], name="Satisfied with the practical information"),
    )
    shown = _counts_with_share(ctx, counts, ctx.people.capitalize())
    column = "% (95% CI)"
    frame = shown.frame.rename(columns={"%": column})
    if share.n and not practical_info_hidden(ctx, share):
        frame.loc["Yes", column] = (
            f"{100 * share.proportion:.0f}% ({100 * share.lower_ci:.0f}% to "
            f"{100 * share.upper_ci:.0f}%)"
        )
    return Shown(frame, shown.counts, shown.note)


def _missing_text(ctx: Context, missing: int, what: str) -> str:
    if not missing:
        return ""
    verb = "does" if missing == 1 and not ctx.hide(missing) else "do"
    return f"; {ctx.count(missing)} in the returns {verb} not have {what}"


def satisfaction_sentence(ctx: Context) -> str:
    """How many found the amount of content just right."""
    counts = satisfaction_counts(ctx)
    answered, right = int(counts.sum()), int(counts["Just right"])
    if answered == 0:
        return f"No {ctx.people} rated the amount of content yet."
    shown = satisfaction_table(ctx).frame  # the sentence tells no more than the table
    column = ctx.people.capitalize()
    if disclosure.SUPPRESSED in (shown.loc["Just right", column], shown.loc["Total", column]):
        return (
            "How many found the amount of content just right cannot be shown: a group is too "
            f"small to show without identifying {ctx.people}."
        )
    return (
        f"{right} of the {ctx.count(answered)} who answered ({100 * right / answered:.0f}%) "
        "found the amount of content just right"
        + _missing_text(ctx, not_answered(ctx, "satisfaction"), "an answer")
        + "."
    )


def practical_info_sentence(ctx: Context, share: Share) -> str:
    """Share satisfied with the practical information, with its Wilson interval."""
    if share.n == 0:
        return f"No {ctx.people} have rated the practical information yet."
    if practical_info_hidden(ctx, share):
        return (
            "Satisfaction with the practical information cannot be shown: a group is too "
            f"small to show without identifying {ctx.people}."
        )
    return (
        f"{share.k} of the {ctx.count(share.n)} who answered ({100 * share.proportion:.0f}%, "
        f"95% CI {100 * share.lower_ci:.0f}% to {100 * share.upper_ci:.0f}%) were satisfied "
        "with the practical information" + _missing_text(ctx, share.n_missing, "an answer") + "."
    )


def reactions_sentence(ctx: Context, share: Share) -> str:
    """The headline on reactions: amount of content and practical information."""
    return f"{satisfaction_sentence(ctx)} {practical_info_sentence(ctx, share)}"


def show_reactions(ctx: Context, share: Share) -> None:
    rp.show_markdown(satisfaction_sentence(ctx))
    rp.show_table(ctx, satisfaction_table(ctx), "Amount of content")
    rp.show_markdown(practical_info_sentence(ctx, share))
    rp.show_table(ctx, practical_info_table(ctx, share), "Satisfied with the practical information")


# ----------------------------------------------------------------------------- sessions


def sessions_counts(ctx: Context, offered: int = 6) -> pd.Series:
    """Teachers with sessions attended recorded, by sessions attended, 0 to ``offered``
    (zeros kept)."""
    if isinstance(offered, bool) or not isinstance(offered, int | np.integer) or offered < 1:
        raise ConfigError(f"sessions_offered {offered!r}: expected a whole number ≥ 1")
    values = ctx.data["sessions_attended"].astype("Float64").dropna()
    if (values > offered).any():
        raise ConfigError(
            f"sessions_offered {offered}: {int((values > offered).sum())} teacher(s) attended "
            f"more sessions (up to {int(values.max())}); raise sessions_offered"
        )
    counts = values.astype(int).value_counts().reindex(range(offered + 1), fill_value=0)
    counts.index = pd.Index([f"{k} of {offered}" for k in counts.index], name="Sessions attended")
    return counts.astype(int)


def sessions_table(ctx: Context, offered: int = 6) -> Shown:
    """Distribution of sessions attended with a Total (suppressed) and shares."""
    return _counts_with_share(ctx, sessions_counts(ctx, offered), ctx.people.capitalize())


def sessions_sentence(ctx: Context, offered: int = 6) -> str:
    """How many attended every session and how many attended half or fewer."""
    counts = sessions_counts(ctx, offered)
    n = int(counts.sum())
    if n == 0:
        return f"No {ctx.people} have their sessions attended recorded."
    if ctx.too_few(n):
        return f"Fewer than {ctx.threshold} {ctx.people} have their sessions attended recorded."
    all_of = int(counts.iloc[-1])
    half = int(counts[np.arange(offered + 1) <= offered / 2].sum())
    parts = []
    for k, words in (
        (all_of, f"attended all {offered} sessions"),
        (half, "attended half or fewer"),
    ):
        if ctx.hide(k) or ctx.hide(n - k):
            parts.append(f"the number who {words} is too small to show")
        else:
            parts.append(f"{k} of {n} ({100 * k / n:.0f}%) {words}")
    missing = not_answered(ctx, "sessions_attended")
    return (
        _sentence_start("; ".join(parts))
        + _missing_text(ctx, missing, "their sessions recorded")
        + "."
    )


def show_sessions(ctx: Context, offered: int = 6) -> None:
    rp.show_markdown(sessions_sentence(ctx, offered))
    rp.show_table(ctx, sessions_table(ctx, offered), "Sessions attended")


# ----------------------------------------------------------------------------- Guskey


def guskey_sentence() -> str:
    """What a before/after questionnaire can and cannot show, in Guskey's terms."""
    return (
        "This questionnaire reaches only the first two of Guskey's five levels of evaluating "
        "professional development: teachers' reactions and their (self-rated) learning. It "
        "cannot show whether schools supported them, whether they teach differently, or "
        "whether pupils with SEND are doing better."
    )


def guskey_markdown() -> str:
    """Guskey's five levels as a list: what each asks, whether this report reaches it and
    what data would (a list, not a table: it holds no figures and reads better)."""
    lines = []
    for level, question, covered, would in GUSKEY_LEVELS:
        text = f"- **Level {level}.** *{question}* "
        if covered == "No.":
            text += f"**Not in this report.** Data that would reach it: {_lower_first(would)}"
        else:
            text += f"**In this report:** {covered}"
            if would:
                text += f" To go further: {_lower_first(would)}"
        lines.append(text)
    return "\n".join(lines)


def show_guskey() -> None:
    rp.show_markdown(guskey_sentence())
    rp.show_markdown(guskey_markdown())


# ----------------------------------------------------------------------------- breakdowns


def breakdown_table(
    ctx: Context, by: str, columns: Sequence[tuple[str, str, str, str]] | None = None
) -> Shown | None:
    """Mean change by group for the teachers with the confidence score and understanding
    both before and after. For commissioners every row shown holds at least the threshold
    number of teachers (small groups merged); ``None`` when nothing is safe to show.

    ``columns``: (heading, pre column, post column, unit); default the confidence score
    and self-rated understanding (``ctx`` from :func:`with_scale_scores`)."""
    columns = columns or (
        (f"{SCALE_LABEL}: mean change", SCALE_PRE, SCALE_POST, ""),
        (f"{UNDERSTANDING_LABEL}: mean change", "understanding_pre", "understanding_post", "%"),
    )
    if by not in ctx.data or ctx.data[by].isna().all():
        return None
    needed = [c for _, pre, post, _ in columns for c in (pre, post)]
    data = ctx.data.dropna(subset=needed)
    if data.empty or ctx.too_few(len(data)):
        return None
    groups = data[by].astype(object).where(data[by].notna(), "Not recorded").astype(str)
    groups = groups.replace({"other": "Other role"}) if by == "role" else groups
    if ctx.commissioner:
        groups = groups.map(merge_small_groups(groups.value_counts(), ctx.threshold))
        if groups.nunique() < 2:
            return None
    order = [g for g in sorted(groups.unique()) if g != OTHER_GROUPS]
    if OTHER_GROUPS in set(groups):
        order.append(OTHER_GROUPS)
    rows = {}
    for name, index in [*((g, groups.index[groups == g]) for g in order), ("Total", groups.index)]:
        row: dict[str, object] = {"n": len(index)}
        for heading, pre, post, unit in columns:
            outcome = rp.paired_outcome(ctx, pre, post, heading, unit=unit, data=data.loc[index])
            row[heading] = fmt_change(outcome.result.mean_diff, unit, 0 if unit == "%" else 1)
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = BREAKDOWN_LABELS.get(by, by.replace("_", " ").capitalize())
    return rp.protect(ctx, table, ["n"], margins=True)


def show_breakdowns(ctx: Context, by: Sequence[str] = ("role", "school")) -> None:
    """Change in confidence and understanding by role and by school."""
    withheld = []
    for column in by:
        table = breakdown_table(ctx, column)
        label = BREAKDOWN_LABELS.get(column, column).lower()
        if table is None:
            withheld.append(label)
            continue
        rp.show_table(ctx, table, f"Change in confidence and understanding by {label}")
    if withheld:
        rp.show_markdown(
            f"Not shown by {_join(withheld)}: the groups are too small to show without "
            f"identifying {ctx.people} (fewer than {ctx.threshold})."
        )


# ----------------------------------------------------------------------------- endings


def value_for_money(ctx: Context) -> None:
    """Cost per teacher and per session; per teacher with a reliable improvement is not
    available (:data:`NO_RELIABLE_CHANGE`)."""
    rp.show_value_for_money(ctx, len(ctx.data), None, NO_RELIABLE_CHANGE)


def summary_tables(
    ctx: Context,
    outcomes: list[PairedOutcome],
    items: pd.DataFrame,
    agreement: list[FlagChange],
    share: Share,
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index and summary.xlsx (already suppressed)."""
    tables = rp.summary_tables(ctx, outcomes)
    tables["confidence items"] = ("Confidence by topic (1-5)", item_table(ctx, items))
    tables["agreement"] = ("Teachers who felt confident, by topic", agreement_table(ctx, agreement))
    tables["amount of content"] = ("Amount of content", satisfaction_table(ctx))
    tables["practical information"] = (
        "Satisfied with the practical information",
        practical_info_table(ctx, share),
    )
    return tables


# ----------------------------------------------------------------------------- helpers


def _has(ctx: Context, n: int) -> str:
    """The verb after :meth:`Context.count`: ``1 teacher has``, ``fewer than 5 teachers have``."""
    return "has" if n == 1 and not ctx.hide(n) else "have"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
