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

import numpy as np
import pandas as pd

from dspl_eval import blocks, measures
from dspl_eval import reporting as rp
from dspl_eval.blocks import profile, shares
from dspl_eval.blocks.items import ItemScaleBlock, Reliability
from dspl_eval.errors import ConfigError
from dspl_eval.reporting import Context, FlagChange, PairedOutcome, Shown

#: The declared item scale (``Initiative.item_scales``) the confidence items form.
SCALE_NAME = "confidence"
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
ITEMS = tuple(ITEM_LABELS)
SCALE_PRE, SCALE_POST = f"{SCALE_NAME}_score_pre", f"{SCALE_NAME}_score_post"
SCALE_LABEL = "Confidence score"
UNDERSTANDING_LABEL = "Self-rated understanding"
SATISFACTION = ("too little", "just right", "too much")
NOT_ANSWERED = "Not answered"
NOT_RECORDED = profile.NOT_RECORDED
ROLE_LABELS = {"other": "Other role"}
SHARE_COLUMN = profile.SHARE_COLUMN
#: The occasion α is worked out for ("Before the programme: α = …").
OCCASION = "the programme"

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


def confidence(ctx: Context, min_items: int | None = None) -> ItemScaleBlock:
    """The confidence block (:func:`dspl_eval.blocks.item_scale` on the declared
    ``confidence`` scale): the score is the mean of the six items, scored when at least
    ``min_items`` are answered (default the declaration's: all six), ordinal
    (:data:`SCALE_CHOICE`); the items are ordinal, Holm over the :data:`ITEM_FAMILY`."""
    return blocks.item_scale(
        ctx,
        SCALE_NAME,
        family=ITEM_FAMILY,
        labels={f"{item}_pre": label for item, label in ITEM_LABELS.items()},
        score_label=SCALE_LABEL,
        min_answered=min_items,
    )


def prepare(ctx: Context, min_items: int | None = None) -> Context:
    """The context with the confidence score before and after (``SCALE_PRE``,
    ``SCALE_POST``: :func:`confidence`) and roles labelled for reading (``other`` →
    ``Other role``). The returned context shares ``ctx``'s gate. The input is not
    changed."""
    data = ctx.data.copy()
    if "role" in data:
        data["role"] = data["role"].astype(object).replace(ROLE_LABELS)
    return confidence(ctx.with_data(data), min_items).ctx


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


def scale_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """The headline on the confidence score (:func:`dspl_eval.blocks.score_sentence`)."""
    return blocks.score_sentence(
        ctx,
        outcome,
        "Teachers' confidence across six SEND topics (the mean of six answers from 1, "
        "strongly disagree, to 5, strongly agree)",
    )


def understanding_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """The headline on self-rated understanding of the role."""
    return blocks.score_sentence(ctx, outcome, "Self-rated understanding of the role (0-100%)")


# ----------------------------------------------------------------------------- reliability


def reliability(ctx: Context) -> dict[str, Reliability]:
    """Cronbach's α of the six items before and after, from the teachers who answered all
    six both times (:func:`dspl_eval.blocks.item_alphas`)."""
    return blocks.item_alphas(ctx, blocks.scale_of(ctx, SCALE_NAME))


reliability_table = blocks.reliability_table
alpha_words = blocks.alpha_words


def reliability_sentence(ctx: Context, alphas: dict[str, Reliability]) -> str:
    return blocks.reliability_sentence(ctx, alphas, OCCASION)


def show_reliability(ctx: Context, alphas: dict[str, Reliability]) -> None:
    blocks.show_alphas(ctx, alphas, "Internal consistency of the six items", OCCASION)


# ----------------------------------------------------------------------------- items


def item_outcomes(ctx: Context) -> list[PairedOutcome]:
    """The six items as ordinal paired outcomes (Wilcoxon signed-rank, Hodges–Lehmann)."""
    return confidence(ctx).items


def item_title(outcomes: list[PairedOutcome]) -> str:
    return f"Confidence by topic (1-5): before and after, {len(outcomes)} {ITEM_FAMILY}"


def items_table(ctx: Context, outcomes: list[PairedOutcome]) -> Shown:
    """:func:`dspl_eval.reporting.change_family_table` over the items (Holm over the family,
    the column names the Wilcoxon test)."""
    return rp.change_family_table(ctx, outcomes, ITEM_FAMILY)


def items_sentence(ctx: Context, outcomes: list[PairedOutcome]) -> str:
    """How many of the six topics changed beyond chance (Wilcoxon, Holm over the items)."""
    return blocks.items_sentence(ctx, outcomes, "Confidence", "topics", ITEM_FAMILY)


def show_items(ctx: Context, outcomes: list[PairedOutcome]) -> None:
    """The sentence, the family table (Holm over the items, Bonferroni intervals) and the
    forest chart of :func:`dspl_eval.reporting.show_change_table`."""
    rp.show_markdown(items_sentence(ctx, outcomes))
    rp.show_change_table(ctx, outcomes, item_title(outcomes), family_name=ITEM_FAMILY)


# ----------------------------------------------------------------------------- agreement


def _check_agree(threshold: object) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise ConfigError(f"agree_threshold {threshold!r}: expected a whole number from 2 to 5")
    if not 2 <= threshold <= 5:
        raise ConfigError(f"agree_threshold {threshold!r}: expected a whole number from 2 to 5")
    return int(threshold)


def agrees(ctx: Context, when: str, threshold: int = 4) -> pd.DataFrame:
    """Per item, whether the answer is ``threshold`` or above (nullable booleans; missing
    answers stay missing). With the default 4 it equals
    :func:`dspl_eval.measures.likert_agrees` (agree or strongly agree)."""
    threshold = _check_agree(threshold)
    columns = _items(when)
    measures.likert_agrees(ctx.data, columns)  # the checks: present, answers 1-5
    flags = pd.DataFrame(
        {c: ctx.data[c].astype("Float64").ge(threshold).astype("boolean") for c in columns}
    )
    flags.columns = list(ITEMS)
    return flags


def agreement_changes(ctx: Context, threshold: int = 4) -> list[FlagChange]:
    """Teachers agreeing (``threshold`` or above) per item before vs after, with McNemar
    (:func:`dspl_eval.blocks.condition_changes`)."""
    threshold = _check_agree(threshold)
    measures.likert_agrees(ctx.data, [*_items("pre"), *_items("post")])  # present, 1-5
    items = [(f"{i}_pre", f"{i}_post", label) for i, label in ITEM_LABELS.items()]
    return blocks.condition_changes(ctx, items, lambda answers: answers >= threshold)


holm_with_source = shares.holm_with_source


def agreement_p_column(changes: list[FlagChange]) -> str:
    return shares.p_column(changes, ITEM_FAMILY)


def agreement_table(ctx: Context, changes: list[FlagChange]) -> Shown:
    """Per item: teachers with both answers, agreeing before and after, the shares with
    Wilson intervals and McNemar's exact p, Holm-adjusted over the items
    (:func:`dspl_eval.blocks.share_table`)."""
    return blocks.share_table(ctx, changes, ITEM_FAMILY, heading="Topic", counted="Agreeing")


def agreement_sentence(ctx: Context, changes: list[FlagChange], threshold: int = 4) -> str:
    """The topic whose share agreeing rose most (:func:`dspl_eval.blocks.share_sentence`)."""
    return blocks.share_sentence(ctx, changes, _agree_words(threshold), ITEM_FAMILY)


def _agree_words(threshold: int) -> str:
    if threshold == 4:
        return "felt confident (agree or strongly agree)"
    if threshold == 5:
        return "felt confident (strongly agree)"
    return f"felt confident (answer {threshold} or above on the 1-5 scale)"


def show_agreement(ctx: Context, changes: list[FlagChange], threshold: int = 4) -> None:
    """The sentence, the agreement table and before/after bars drawn from the same issued
    table."""
    blocks.show_shares(
        ctx,
        changes,
        f"{ctx.people.capitalize()} who {_agree_words(threshold)}",
        ITEM_FAMILY,
        heading="Topic",
        counted="Agreeing",
        chart_label="teachers who felt confident on each topic",
        sentence=agreement_sentence(ctx, changes, threshold),
    )


# ----------------------------------------------------------------------------- reactions


def _answers_table(
    ctx: Context, answers: dict[str, frozenset], heading: str, missing_label: str = NOT_ANSWERED
) -> Shown:
    return blocks.profile_table(ctx, answers, heading, missing_label)


def satisfaction_sets(ctx: Context) -> dict[str, frozenset]:
    """Teachers per answer to "amount of content" (too little / just right / too much)."""
    return blocks.category_sets(ctx, "satisfaction", order=SATISFACTION)


def satisfaction_table(ctx: Context) -> Shown:
    """Teachers per answer, not answered and in the returns, with shares of those who
    answered (all decided by the gate)."""
    return _answers_table(ctx, satisfaction_sets(ctx), "Amount of content")


def satisfaction_sentence(ctx: Context) -> str:
    """How many found the amount of content just right."""
    answers = satisfaction_sets(ctx)
    answered = frozenset().union(*answers.values())
    return blocks.answer_sentence(
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
    return blocks.answer_sentence(
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
    more = {
        "confidence items": (item_title(items), lambda: items_table(ctx, items)),
        "agreement": (
            "Teachers who felt confident, by topic",
            lambda: agreement_table(ctx, agreement),
        ),
        "amount of content": ("Amount of content", lambda: satisfaction_table(ctx)),
        "practical information": (
            "Satisfied with the practical information",
            lambda: practical_info_table(ctx),
        ),
    }
    return rp.summary_tables(ctx, outcomes, more=more)


# ----------------------------------------------------------------------------- helpers


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
