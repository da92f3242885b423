"""EBSA report: the wording of the PASS questionnaire (everything else is a block).

PASS factors are national percentiles (bounded, ordinal): the item-scale block
(:func:`dspl_eval.blocks.item_scale` on the declared ``pass`` scale, no total) tests each
with the Wilcoxon signed-rank test and the Hodges–Lehmann median change, Holm-adjusted
over the nine factors; the threshold-share block (:func:`dspl_eval.blocks.condition_changes`)
gives the factors below the concern threshold before and after (McNemar, Holm over the
nine).
"""

from __future__ import annotations

from dspl_eval import blocks, measures
from dspl_eval.blocks.items import ItemScaleBlock
from dspl_eval.initiatives.ebsa import PASS_FACTORS
from dspl_eval.reporting import Context, FlagChange, PairedOutcome

PASS_LABELS = {
    "feelings_about_school": "Feelings about school",
    "perceived_learning_capability": "Perceived learning capability",
    "self_regard": "Self-regard as a learner",
    "preparedness_for_learning": "Preparedness for learning",
    "attitudes_to_teachers": "Attitudes to teachers",
    "general_work_ethic": "General work ethic",
    "confidence_in_learning": "Confidence in learning",
    "attitudes_to_attendance": "Attitudes to attendance",
    "response_to_curriculum_demands": "Response to curriculum demands",
}
PASS_FAMILY = "PASS factors"


def pass_block(ctx: Context) -> ItemScaleBlock:
    """The nine PASS factors as an item block without a total (percentiles, higher is
    better; ordinal: Wilcoxon, Holm over the :data:`PASS_FAMILY`). The columns and
    ranges (0-100) are checked first (:func:`dspl_eval.measures.pass_scores`)."""
    for when in ("pre", "post"):
        measures.pass_scores(ctx.data, when, factors=PASS_FACTORS)
    labels = {f"pass_{f}_pre": label for f, label in PASS_LABELS.items()}
    return blocks.item_scale(ctx, "pass", family=PASS_FAMILY, labels=labels, score=False)


def pass_outcomes(ctx: Context) -> list[PairedOutcome]:
    """One ordinal paired outcome per PASS factor (percentiles, higher is better)."""
    return pass_block(ctx).items


def pass_sentence(ctx: Context, outcomes: list[PairedOutcome]) -> str:
    """How many PASS factors changed after Holm (Wilcoxon), in words."""
    return blocks.items_sentence(ctx, outcomes, "PASS attitudes", "factors", PASS_FAMILY)


def pass_concern_changes(ctx: Context, concern: float) -> list[FlagChange]:
    """Young people with each PASS factor below ``concern`` before and after (McNemar)."""
    items = [(f"pass_{f}_pre", f"pass_{f}_post", label) for f, label in PASS_LABELS.items()]
    return blocks.condition_changes(ctx, items, lambda percentile: percentile < concern)


def show_pass_concern(ctx: Context, concern: float) -> None:
    """Young people with each PASS factor below the concern threshold, before and after:
    the table (McNemar, Holm over the nine factors) and bars of the same issued table."""
    blocks.show_shares(
        ctx,
        pass_concern_changes(ctx, concern),
        f"PASS factors below the concern threshold ({concern:g})",
        PASS_FAMILY,
    )
