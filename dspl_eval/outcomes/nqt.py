"""Early-career teacher SEND programme report: confidence, understanding, reactions.

One row per teacher, no pupil data. The questionnaire has six confidence items (1 strongly
disagree … 5 strongly agree) before and after the programme, a self-rated understanding of
the role (0-100%), the amount of content (too little / just right / too much), whether the
practical information was satisfactory, and the sessions attended (MEASURES.md).

Everything here is **ordinal or bounded** (``scale="ordinal"``): the six items, the
confidence score (the mean of the six items, 1-5) and self-rated understanding (0-100%) are
tested with the Wilcoxon signed-rank test (R's exact rule) with the Hodges–Lehmann median
change and its interval beside the mean change; the items are one family (Holm over the
six, named in the column). The share agreeing (4-5 by default) before and after is compared
with McNemar's exact test, Holm-adjusted over the six items. Cronbach's α of the six items
is reported before and after. Results are framed with Guskey's five levels of
professional-development evaluation: a questionnaire reaches levels 1 and 2 only.

Every number a reader sees is issued by the report's gate (``ctx.gate``) **as the set of
teachers it counts**: tables through :func:`dspl_eval.reporting.gated_table`, sentences
through :meth:`~dspl_eval.reporting.Context.count` or the gate itself. A share is shown only
when both ``k`` and ``n − k`` may be (:meth:`dspl_eval.gate.Gate.share`), an exact p-value
only with its discordant sets (:class:`~dspl_eval.reporting.PValue`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval import disclosure, measures, plots, stats
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.gate import PROTECTS
from dspl_eval.initiatives.nqt import CONFIDENCE_TOPICS
from dspl_eval.reporting import Context, FlagChange, PairedOutcome, PValue, Share, Shown, Stat

ITEMS = tuple(f"conf_{topic}" for topic in CONFIDENCE_TOPICS)
ITEM_LABELS = {
    "conf_learning_environment": "Creating a good learning environment",
    "conf_low_level_behaviour": "Managing low-level behaviour",
    "conf_visual_support": "Using visual support",
    "conf_autism": "Supporting autistic pupils",
    "conf_adapting_environment": "Adapting the environment",
    "conf_challenging_behaviour": "Responding to challenging behaviour",
}
#: The family the items' p-values are adjusted over (named in the column headings).
ITEM_FAMILY = "confidence items"
SCALE_PRE, SCALE_POST = "confidence_scale_pre", "confidence_scale_post"
SCALE_LABEL = "Confidence score"
UNDERSTANDING_LABEL = "Self-rated understanding"
SATISFACTION = ("too little", "just right", "too much")
NOT_ANSWERED = "Not answered"
NOT_RECORDED = "Not recorded"
TOTAL = "Total (in the returns)"
ROLE_LABELS = {"other": "Other role"}
SIGNIFICANCE = 0.05
SHARE_COLUMN = "% of those who answered (95% CI)"

#: Why the report has no "cost per teacher with a reliable improvement".
NO_RELIABLE_CHANGE = (
    "the confidence items have no published reliability (test-retest or α from a norming "
    "sample) to set the measurement error a reliable-change index needs, and the α worked "
    "out from this one small group is too imprecise to stand in for it, so no teacher is "
    "counted as reliably improved"
)

#: Why the confidence score is treated as ordinal (printed in the methods).
SCALE_CHOICE = (
    "The confidence score is treated as ordinal, like the items it is made of: it is the "
    "mean of six answers on a 1-5 agreement scale, so it is bounded, takes only a few "
    "dozen values (many teachers tie) and its steps are not known to be equal (the gap "
    "between 'disagree' and 'neutral' need not be the gap between 'agree' and 'strongly "
    "agree'). Its primary test is therefore the Wilcoxon signed-rank test with the "
    "Hodges–Lehmann median change; the mean change with its t-based 95% interval and the "
    "effect size are shown beside it to give the size of the change on the 1-5 scale."
)

#: What the signed-rank test uses (replaces the old, wrong "only the order of the answers").
SIGNED_RANK_WORDS = (
    "The Wilcoxon signed-rank test ranks the sizes of the teachers' changes (after minus "
    "before) and compares the ranks of the rises with those of the falls. It does not "
    "assume the changes follow a normal curve, but it does use their sizes: it treats a "
    "rise of two steps as bigger than a rise of one, which is itself an assumption for "
    "answers such as 'agree' and 'strongly agree'. Teachers whose answer did not change "
    "are left out of the test, as R's wilcox.test does."
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


# ----------------------------------------------------------------------------- data


def _items(when: str) -> list[str]:
    return [f"{item}_{when}" for item in ITEMS]


def prepare(ctx: Context, min_items: int | None = None) -> Context:
    """The context with the confidence scale score before and after (``SCALE_PRE``,
    ``SCALE_POST``: the mean of the six items, :func:`dspl_eval.measures.likert_scale_score`,
    scored when at least ``min_items`` are answered, default all six) and roles labelled for
    reading (``other`` → ``Other role``). The returned context shares ``ctx``'s gate. The
    input is not changed."""
    data = ctx.data.copy()
    data[SCALE_PRE] = measures.likert_scale_score(data, _items("pre"), min_items)
    data[SCALE_POST] = measures.likert_scale_score(data, _items("post"), min_items)
    if "role" in data:
        data["role"] = data["role"].astype(object).replace(ROLE_LABELS)
    return ctx.with_data(data)


def scale_outcome(ctx: Context) -> PairedOutcome:
    """Paired change in the confidence score (``ctx`` from :func:`prepare`); ordinal
    (:data:`SCALE_CHOICE`)."""
    return rp.paired_outcome(ctx, SCALE_PRE, SCALE_POST, SCALE_LABEL, decimals=1, scale="ordinal")


def understanding_outcome(ctx: Context) -> PairedOutcome:
    """Paired change in self-rated understanding of the role (0-100%, bounded: ordinal)."""
    return rp.paired_outcome(
        ctx,
        "understanding_pre",
        "understanding_post",
        UNDERSTANDING_LABEL,
        unit="%",
        decimals=0,
        scale="ordinal",
    )


# ----------------------------------------------------------------------------- sentences


def _withheld(ctx: Context, members: frozenset, what: str) -> str | None:
    """Why figures computed from ``members`` are not shown, or None when they may be."""
    if not members:
        return f"{what}: no {ctx.people} have answers before and after yet."
    issued = ctx.gate.count(members)
    if issued.hidden and issued.reason == PROTECTS and not ctx.too_few(len(members)):
        return (
            f"{what}: not shown, because the number of {ctx.people} with answers before and "
            "after would let a smaller group be worked out from another figure in this report."
        )
    if issued.hidden or ctx.too_few(len(members)):
        return (
            f"{what}: fewer than {ctx.threshold} {ctx.people} have answers before and after, "
            "so no figures are shown."
        )
    return None


def change_sentence(ctx: Context, outcome: PairedOutcome, what: str) -> str:
    """One sentence on an ordinal before/after measure: means, mean change with its 95% CI,
    the Hodges–Lehmann median change with its interval, the Wilcoxon p and g_av, e.g.
    *Self-rated understanding rose from 45% to 71% for the 24 teachers with answers before
    and after (mean change +26 points, 95% CI +21 to +31; median change +25 points, 95% CI
    +20 to +30; Wilcoxon signed-rank p < .001; effect size g_av 1.90, 1.30 to 2.50).*"""
    withheld = _withheld(ctx, outcome.both, what)
    if withheld:
        return withheld
    r = outcome.result
    unit, dp = outcome.unit, outcome.decimals
    low, high = r.confidence_interval()
    mean_ci = f", 95% CI {rp.fmt_interval(low, high, '', dp)}" if math.isfinite(low) else ""
    parts = [f"mean change {rp.fmt_change(r.mean_diff, unit, dp)}{mean_ci}"]
    median = rp.median_change_text(outcome)
    if median != "x":
        parts.append(f"median change (Hodges–Lehmann) {median.replace(' (', ', 95% CI ', 1)}")
        parts[-1] = parts[-1].removesuffix(")")
    if math.isfinite(outcome.primary_pvalue):
        parts.append(f"Wilcoxon signed-rank {rp.fmt_p(outcome.primary_pvalue)}")
    effect = rp.effect_text(outcome)
    if effect != "x":
        parts.append(f"effect size g_av {effect.replace(' (', ', 95% CI ', 1).removesuffix(')')}")
    n = ctx.gate.count(outcome.both)
    text = (
        f"{what} {rp.direction_word(r.mean_diff)} from {rp.fmt(r.mean_pre, unit, dp)} to "
        f"{rp.fmt(r.mean_post, unit, dp)} for the {ctx.count_words(n)} with answers before "
        f"and after ({'; '.join(parts)})."
    )
    return text + rp.missing_sentence(ctx, outcome.without_follow_up, "no after answers yet")


def scale_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """The headline on the confidence score (:func:`change_sentence`)."""
    return change_sentence(
        ctx,
        outcome,
        "Teachers' confidence across six SEND topics (the mean of six answers from 1, "
        "strongly disagree, to 5, strongly agree)",
    )


def understanding_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """The headline on self-rated understanding of the role (:func:`change_sentence`)."""
    return change_sentence(ctx, outcome, "Self-rated understanding of the role (0-100%)")


# ----------------------------------------------------------------------------- reliability


@dataclass(frozen=True)
class Reliability:
    """Cronbach's α of the six items at one time point and the teachers it is computed
    from."""

    alpha: measures.CronbachAlpha
    members: frozenset


def reliability(ctx: Context) -> dict[str, Reliability]:
    """Cronbach's α of the six items before and after, both from the same teachers: those
    who answered all six items both times (so the two values compare like with like, and
    their n is the n of the before/after comparison)."""
    pre, post = ctx.data[_items("pre")], ctx.data[_items("post")]
    complete = pre.notna().all(axis=1) & post.notna().all(axis=1)
    members = ctx.members(complete)
    return {
        "Before": Reliability(measures.cronbach_alpha(pre[complete]), members),
        "After": Reliability(measures.cronbach_alpha(post[complete]), members),
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


def reliability_table(ctx: Context, alphas: dict[str, Reliability]) -> Shown:
    """α before and after with the teachers answering every item and a one-word reading."""
    rows = []
    for when, r in alphas.items():
        a = r.alpha
        rows.append(
            {
                "Questionnaire": when,
                "n": r.members,
                "Cronbach's α": Stat(rp.fmt(a.alpha, "", 2), r.members),
                "Reading": Stat(alpha_words(a.alpha).split(":")[0] if not a.reason else "x",
                                r.members),
            }
        )  # fmt: skip
    return rp.gated_table(ctx, pd.DataFrame(rows).set_index("Questionnaire"), ["n"])


def reliability_sentence(ctx: Context, alphas: dict[str, Reliability]) -> str:
    """Plain-words summary of α before and after (one line each, markdown bullets)."""
    lines = []
    for when, r in alphas.items():
        a = r.alpha
        if not r.members or ctx.too_few(len(r.members)) or ctx.gate.count(r.members).hidden:
            lines.append(f"- {when} the programme: not shown (too few {ctx.people}, or a number "
                         "that would let a small group be worked out).")  # fmt: skip
        elif not math.isfinite(a.alpha):
            lines.append(f"- {when} the programme: α cannot be worked out ({a.reason}).")
        else:
            lines.append(
                f"- {when} the programme: α = {rp.fmt(a.alpha, '', 2)}, {alpha_words(a.alpha)}."
            )
    return "\n".join(lines)


def show_reliability(ctx: Context, alphas: dict[str, Reliability]) -> None:
    rp.show_markdown(reliability_sentence(ctx, alphas))
    rp.show_table(ctx, reliability_table(ctx, alphas), "Internal consistency of the six items")


# ----------------------------------------------------------------------------- items


def item_outcomes(ctx: Context) -> list[PairedOutcome]:
    """The six items as ordinal paired outcomes (Wilcoxon signed-rank, Hodges–Lehmann)."""
    return [
        rp.paired_outcome(
            ctx, f"{item}_pre", f"{item}_post", ITEM_LABELS[item], decimals=1, scale="ordinal"
        )
        for item in ITEMS
    ]


def item_title(outcomes: list[PairedOutcome]) -> str:
    return f"Confidence by topic (1-5): before and after, {len(outcomes)} {ITEM_FAMILY}"


def items_table(ctx: Context, outcomes: list[PairedOutcome]) -> Shown:
    """:func:`dspl_eval.reporting.change_family_table` over the items (Holm over the family,
    the column names the Wilcoxon test)."""
    return rp.change_family_table(ctx, outcomes, ITEM_FAMILY)


def _shown(ctx: Context, outcome: PairedOutcome) -> bool:
    return bool(outcome.both) and _withheld(ctx, outcome.both, outcome.label) is None


def _direction(outcome: PairedOutcome) -> float:
    """The sign of the change: the Hodges–Lehmann median change, else the mean change."""
    s = outcome.signed_rank
    if s is not None and math.isfinite(s.estimate) and s.estimate != 0:
        return s.estimate
    return outcome.result.mean_diff


def significant_items(ctx: Context, outcomes: list[PairedOutcome]) -> tuple[list[str], list[str]]:
    """Items (among those shown) that rose / fell with a Holm-adjusted Wilcoxon p < .05."""
    adjusted = rp.family(ctx, outcomes)
    up, down = [], []
    for o, p in zip(outcomes, adjusted, strict=True):
        if not _shown(ctx, o) or not (math.isfinite(p) and p < SIGNIFICANCE):
            continue
        (up if _direction(o) > 0 else down).append(o.label)
    return up, down


def items_sentence(ctx: Context, outcomes: list[PairedOutcome]) -> str:
    """How many of the six topics changed beyond chance (Wilcoxon, Holm over the items)."""
    shown = [o for o in outcomes if _shown(ctx, o)]
    k = len(outcomes)
    if not shown:
        return (
            "Confidence by topic: not shown (too few teachers with answers before and after, "
            "or a number that would let a small group be worked out)."
        )
    up, down = significant_items(ctx, outcomes)
    test = f"Wilcoxon signed-rank test, Holm-adjusted over the {k} {ITEM_FAMILY}"
    hidden = "" if len(shown) == k else f" ({k - len(shown)} of the {k} topics are not shown)"
    if not up and not down:
        return (
            f"Confidence did not change on any of the {k} topics by more than chance would "
            f"explain ({test}){hidden}."
        )
    parts = []
    if up:
        parts.append(f"rose on {'all' if len(up) == k else f'{len(up)} of the'} {k} topics")
    if down:
        parts.append(f"fell on {len(down)} ({'; '.join(d.lower() for d in down)})")
    return (
        f"Confidence {' and '.join(parts)} by more than chance would explain "
        f"({test}, p < .05){hidden}."
    )


def show_items(ctx: Context, outcomes: list[PairedOutcome]) -> None:
    """The sentence, the family table (Holm over the items, Bonferroni intervals) and the
    forest chart of :func:`dspl_eval.reporting.show_change_table`."""
    rp.show_markdown(items_sentence(ctx, outcomes))
    rp.show_change_table(ctx, outcomes, item_title(outcomes), family_name=ITEM_FAMILY)


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


def holm_with_source(pvalues: list[float]) -> tuple[list[float], list[int | None]]:
    """Holm-adjusted p-values (NaN left out of the family, as
    :func:`dspl_eval.reporting.family`) and, for each, the position of the raw p-value that
    sets it: Holm's ``p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j))`` equals one scaled raw
    p-value (or 1), so publishing it publishes that p-value too. ``None`` where the value
    is 1 or NaN (it then pins no other item)."""
    finite = [i for i, p in enumerate(pvalues) if math.isfinite(p)]
    m = len(finite)
    adjusted: list[float] = [math.nan] * len(pvalues)
    source: list[int | None] = [None] * len(pvalues)
    order = sorted(finite, key=lambda i: pvalues[i])
    best, best_at = -1.0, None
    for rank, i in enumerate(order):
        scaled = (m - rank) * pvalues[i]
        if scaled > best:
            best, best_at = scaled, i
        adjusted[i] = min(1.0, best)
        source[i] = best_at if best < 1 else None
    return adjusted, source


def _agreement_p(changes: list[FlagChange]) -> list[PValue]:
    """Each item's Holm-adjusted McNemar p with the sets it pins: its own discordant cells
    and those of the item whose p sets the adjusted value."""
    raw = [c.result.pvalue if c.n else math.nan for c in changes]
    adjusted, source = holm_with_source(raw)
    out = []
    for i, (c, p) in enumerate(zip(changes, adjusted, strict=True)):
        pinned = [c.better, c.worse]
        j = source[i]
        if j is not None and j != i:
            pinned += [changes[j].better, changes[j].worse]
        out.append(PValue(p, tuple(pinned)))
    return out


def agreement_p_column(changes: list[FlagChange]) -> str:
    m = sum(1 for c in changes if c.n and math.isfinite(c.result.pvalue))
    return f"p (McNemar exact, Holm over {m} {ITEM_FAMILY})"


def agreement_table(ctx: Context, changes: list[FlagChange]) -> Shown:
    """Per item: teachers with both answers, agreeing before and after, the shares with
    Wilson intervals and McNemar's exact p, Holm-adjusted over the items (shown only when
    every discordant count it pins may be)."""
    pvalues = _agreement_p(changes)
    column = agreement_p_column(changes)
    rows = [
        {
            "Topic": c.label,
            "n": c.n,
            "Agreeing before": c.before,
            "Agreeing after": c.after,
            "% agreeing before (95% CI)": Share(c.before, c.n),
            "% agreeing after (95% CI)": Share(c.after, c.n),
            column: p,
        }
        for c, p in zip(changes, pvalues, strict=True)
    ]
    return rp.gated_table(
        ctx, pd.DataFrame(rows).set_index("Topic"), ["n", "Agreeing before", "Agreeing after"]
    )


def agreement_sentence(ctx: Context, changes: list[FlagChange], threshold: int = 4) -> str:
    """The topic whose share agreeing rose most (among those the gate lets be shown), with
    McNemar (Holm-adjusted over the items)."""
    words = _agree_words(threshold)
    pvalues = dict(zip([c.label for c in changes], _agreement_p(changes), strict=True))
    showable = []
    for c in changes:
        if not c.n:
            continue
        _, before = ctx.gate.share(c.before, c.n)
        _, after = ctx.gate.share(c.after, c.n)
        if not (before.hidden or after.hidden):
            showable.append((c, before.value, after.value))
    if not showable:
        return (
            f"The share of {ctx.people} who {words} cannot be shown by topic: a group would be "
            f"too small to show without identifying {ctx.people}."
        )
    best, before, after = max(showable, key=lambda t: t[2] - t[1])
    p = pvalues[best.label]
    issued = ctx.gate.pvalue(p.p, p.counts)
    test = (
        f"McNemar exact test, Holm-adjusted over the {ITEM_FAMILY}, {rp.fmt_p(p.p)}"
        if not issued.hidden and math.isfinite(p.p)
        else "the exact test is not shown: it would reveal how many changed, a small number"
    )
    share = (
        f"from {100 * before:.0f}% to {100 * after:.0f}% of the {ctx.count(best.n)} who "
        f"answered both times ({test})"
    )
    if after > before:
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
    """The agreement table and before/after bars drawn from the same issued table."""
    rp.show_markdown(agreement_sentence(ctx, changes, threshold))
    table = agreement_table(ctx, changes)
    rp.show_table(ctx, table, f"{ctx.people.capitalize()} who {_agree_words(threshold)}")
    if all(not c.n or ctx.too_few(len(c.n)) for c in changes):
        return
    bars = table.frame[["Agreeing before", "Agreeing after"]].rename(
        columns={"Agreeing before": "Before", "Agreeing after": "After"}
    )
    plots.display(
        plots.category_bars(
            bars,
            "teachers who felt confident on each topic",
            noun=ctx.people,
            suppression_threshold=ctx.threshold,
        )
    )


# ----------------------------------------------------------------------------- reactions


def _answers_table(
    ctx: Context, answers: dict[str, frozenset], heading: str, missing_label: str = NOT_ANSWERED
) -> Shown:
    """Teachers per answer, those without one and everyone in the returns, decided by the
    gate together; each answer's share of those who answered (shown only when the answer's
    count and the rest of those who answered may both be)."""
    answered = frozenset().union(*answers.values())
    everyone = ctx.members()
    people = ctx.people.capitalize()
    rows = [
        {heading: label, people: members, SHARE_COLUMN: Share(members, answered)}
        for label, members in answers.items()
    ]
    rows.append({heading: missing_label, people: everyone - answered,
                 SHARE_COLUMN: disclosure.NOT_APPLICABLE})  # fmt: skip
    rows.append({heading: TOTAL, people: everyone, SHARE_COLUMN: disclosure.NOT_APPLICABLE})
    return rp.gated_table(ctx, pd.DataFrame(rows).set_index(heading), [people])


def _answer_sentence(
    ctx: Context, k: frozenset, answered: frozenset, words: str, what: str, missing: str
) -> str:
    """``k`` of those who answered, with the share and its Wilson interval, when the gate
    lets the share be shown (``k`` and ``answered − k`` both 0 or at least the threshold);
    else ``k`` of everyone in the returns when that may be shown; else why not."""
    if not answered:
        return f"No {ctx.people} have {what} yet."
    k_issued, share = ctx.gate.share(k, answered)
    if not share.hidden:
        low, high = stats.proportion_ci(len(k), len(answered))
        text = (
            f"{k_issued} of the {ctx.count(answered)} who answered ({100 * share.value:.0f}%, "
            f"95% CI {100 * low:.0f}% to {100 * high:.0f}%) {words}"
        )
        rest = ctx.members() - answered
        if rest:
            issued = ctx.gate.count(rest)
            verb = "does" if not issued.hidden and issued.value == 1 else "do"
            text += f"; {ctx.count_words(issued)} in the returns {verb} not have {missing}"
        return text + "."
    everyone = ctx.members()
    issued = ctx.gate.counts({"k": k, "all": everyone})
    if not (issued["k"].hidden or issued["all"].hidden):
        return (
            f"{issued['k']} of the {ctx.count_words(issued['all'])} in the returns {words}. "
            "The share of those who answered is not shown: the rest of them are too few to "
            "show without identifying teachers."
        )
    return (
        f"How many {words} cannot be shown: the group, or the rest of those who answered, "
        f"is too small to show without identifying {ctx.people} (or would let such a group "
        "be worked out from another figure)."
    )


def satisfaction_sets(ctx: Context) -> dict[str, frozenset]:
    """Teachers per answer to "amount of content" (too little / just right / too much)."""
    values = ctx.data["satisfaction"].astype("string").str.lower()
    return {rp.capital(s): ctx.members(values == s) for s in SATISFACTION}


def satisfaction_table(ctx: Context) -> Shown:
    """Teachers per answer, not answered and in the returns, with shares of those who
    answered (all decided by the gate)."""
    return _answers_table(ctx, satisfaction_sets(ctx), "Amount of content")


def satisfaction_sentence(ctx: Context) -> str:
    """How many found the amount of content just right."""
    answers = satisfaction_sets(ctx)
    answered = frozenset().union(*answers.values())
    return _answer_sentence(
        ctx,
        answers["Just right"],
        answered,
        "found the amount of content just right",
        "rated the amount of content",
        "an answer",
    )


def practical_info_sets(ctx: Context) -> dict[str, frozenset]:
    """Teachers satisfied (Yes) and not (No) with the practical information."""
    values = ctx.data["practical_info_satisfied"].astype("boolean")
    return {"Yes": ctx.members(values.eq(True)), "No": ctx.members(values.eq(False))}


def practical_info_table(ctx: Context) -> Shown:
    """Yes / No / not answered / in the returns, with the shares of those who answered and
    their 95% Wilson intervals."""
    return _answers_table(ctx, practical_info_sets(ctx), "Satisfied with the practical information")


def practical_info_sentence(ctx: Context) -> str:
    """Share satisfied with the practical information, with its Wilson interval."""
    answers = practical_info_sets(ctx)
    return _answer_sentence(
        ctx,
        answers["Yes"],
        answers["Yes"] | answers["No"],
        "were satisfied with the practical information",
        "rated the practical information",
        "an answer",
    )


def reactions_sentence(ctx: Context) -> str:
    """The headline on reactions: amount of content and practical information."""
    return f"{satisfaction_sentence(ctx)} {practical_info_sentence(ctx)}"


def show_reactions(ctx: Context) -> None:
    rp.show_markdown(satisfaction_sentence(ctx))
    rp.show_table(ctx, satisfaction_table(ctx), "Amount of content")
    rp.show_markdown(practical_info_sentence(ctx))
    rp.show_table(ctx, practical_info_table(ctx), "Satisfied with the practical information")


# ----------------------------------------------------------------------------- sessions


def _check_offered(ctx: Context, offered: int) -> pd.Series:
    if isinstance(offered, bool) or not isinstance(offered, int | np.integer) or offered < 1:
        raise ConfigError(f"sessions_offered {offered!r}: expected a whole number ≥ 1")
    values = ctx.data["sessions_attended"].astype("Float64")
    if (values.dropna() > offered).any():
        raise ConfigError(
            f"sessions_offered {offered}: some teachers attended more sessions than that; "
            "raise sessions_offered"
        )
    return values


def sessions_sets(ctx: Context, offered: int = 6) -> dict[str, frozenset]:
    """Teachers by sessions attended: half or fewer (0 to ``offered // 2``) as one row, then
    each number above it up to ``offered``."""
    values = _check_offered(ctx, offered)
    half = offered // 2
    out = {f"0 to {half} of {offered} (half or fewer)": ctx.members(values <= half)}
    for k in range(half + 1, offered + 1):
        out[f"{k} of {offered}"] = ctx.members(values == k)
    return out


def sessions_table(ctx: Context, offered: int = 6) -> Shown:
    """Sessions attended, not recorded and in the returns (gate), with shares."""
    return _answers_table(ctx, sessions_sets(ctx, offered), "Sessions attended", NOT_RECORDED)


def sessions_sentence(ctx: Context, offered: int = 6) -> str:
    """How many attended every session and how many attended half or fewer."""
    sets = sessions_sets(ctx, offered)
    recorded = frozenset().union(*sets.values())
    if not recorded:
        return f"No {ctx.people} have their sessions attended recorded."
    parts = []
    for k, words in (
        (sets[f"{offered} of {offered}"], f"attended all {offered} sessions"),
        (next(iter(sets.values())), "attended half or fewer"),
    ):
        k_issued, share = ctx.gate.share(k, recorded)
        if share.hidden:
            parts.append(f"the number who {words} cannot be shown (a group would be too small)")
        else:
            parts.append(f"{k_issued} of {ctx.count(recorded)} ({100 * share.value:.0f}%) {words}")
    return rp.capital("; ".join(parts)) + "."


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


# ----------------------------------------------------------------------------- endings


def methods(scale_min_items: int, agree_threshold: int) -> list[str]:
    """The NQT lines of the methods section (before the general ones)."""
    return [
        "For this programme the design caveat above applies differently: teachers join at a "
        "stage of their career rather than at a low point, so regression to the mean matters "
        "less, but maturation matters more, because early-career teachers gain confidence "
        "with classroom experience whether or not they attend a programme. A comparison with "
        "early-career teachers not (yet) on the programme would separate the two.",
        "Everything in this report is self-reported by the teachers. Confidence and "
        "self-rated understanding can rise because teachers know more, but also because they "
        "feel they ought to after training (social desirability) or judge themselves "
        "differently once they know more (response shift).",
        "Confidence items: six Likert statements scored 1 (strongly disagree) to 5 (strongly "
        "agree). Likert answers are ordinal: each item's change is tested with the Wilcoxon "
        "signed-rank test (R's wilcox.test rule: exact with fewer than 50 pairs and no ties "
        "or zeros, otherwise the normal approximation with continuity correction), with the "
        "Hodges–Lehmann median change and its 95% interval; the six p-values are "
        f"Holm-adjusted over the six {ITEM_FAMILY} (Holm 1979), and simultaneous "
        "(Bonferroni) intervals for the mean changes are given beside the unadjusted ones. "
        + SIGNED_RANK_WORDS,
        f"Confidence score: the mean of the six items, scored when at least "
        f"{scale_min_items} of the six are answered. " + SCALE_CHOICE + " Internal "
        "consistency: Cronbach's α (Cronbach 1951) before and after, from the teachers who "
        "answered every item both times; 0.70 is the usual minimum, 0.80 good, 0.90 very "
        "high (George & Mallery 2003 rule of thumb).",
        "Self-rated understanding of the role (0-100%): a bounded self-rating, treated as "
        "ordinal in the same way (Wilcoxon signed-rank test and Hodges–Lehmann median "
        "change, with the mean change beside it).",
        f"Agreeing: answering {agree_threshold} or above on the 1-5 scale. Before vs after: "
        "McNemar's exact test on the teachers who answered both times, Holm-adjusted over "
        f"the six {ITEM_FAMILY}; shares with Wilson score intervals. An exact p-value is "
        "shown only when the numbers of teachers who changed each way may be shown.",
        "Guskey's five levels of professional-development evaluation: participants' "
        "reactions; participants' learning; organisation support and change; participants' "
        "use of new knowledge and skills; pupil learning outcomes (Guskey 2000, Evaluating "
        "Professional Development, Corwin; Guskey 2002, Educational Leadership 59(6), "
        "45-51). This questionnaire covers levels 1 and 2 only.",
        "No reliable-change index: " + NO_RELIABLE_CHANGE + "; so no cost per teacher with "
        "a reliable improvement is reported.",
    ]


def summary_tables(
    ctx: Context,
    outcomes: list[PairedOutcome],
    items: list[PairedOutcome],
    agreement: list[FlagChange],
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index and summary.xlsx (all issued by the gate)."""
    tables = rp.summary_tables(ctx, outcomes)
    tables["confidence items"] = (item_title(items), items_table(ctx, items))
    tables["agreement"] = ("Teachers who felt confident, by topic", agreement_table(ctx, agreement))
    tables["amount of content"] = ("Amount of content", satisfaction_table(ctx))
    tables["practical information"] = (
        "Satisfied with the practical information",
        practical_info_table(ctx),
    )
    return tables


# ----------------------------------------------------------------------------- helpers


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
