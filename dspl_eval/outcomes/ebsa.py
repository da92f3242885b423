"""EBSA report: attendance, persistent and severe absence, PASS attitudes.

PASS factors are national percentiles (bounded, ordinal): the primary test is the Wilcoxon
signed-rank test with the Hodges–Lehmann median change, Holm-adjusted over the nine factors.
"""

from __future__ import annotations

from dspl_eval import measures
from dspl_eval.reporting import (
    Context,
    FlagChange,
    PairedOutcome,
    family,
    flag_change,
    paired_outcome,
    show_flags,
)

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


def absence_changes(ctx: Context, thresholds: measures.AbsenceThresholds) -> list[FlagChange]:
    """Persistent and severe absence before vs after (``measures.attendance`` flags)."""
    before = measures.attendance(ctx.data, "before", thresholds)
    after = measures.attendance(ctx.data, "after", thresholds)
    return [
        flag_change(
            ctx,
            before["persistent_absence"],
            after["persistent_absence"],
            f"Persistent absence (missing {thresholds.persistent:g}% or more)",
        ),
        flag_change(
            ctx,
            before["severe_absence"],
            after["severe_absence"],
            f"Severe absence (missing {thresholds.severe:g}% or more)",
        ),
    ]


def pass_outcomes(ctx: Context) -> list[PairedOutcome]:
    """One ordinal paired outcome per PASS factor (percentiles, higher is better)."""
    measures.pass_scores(ctx.data, "pre")  # checks the columns and ranges
    measures.pass_scores(ctx.data, "post")
    return [
        paired_outcome(ctx, f"pass_{f}_pre", f"pass_{f}_post", label, decimals=1, scale="ordinal")
        for f, label in PASS_LABELS.items()
    ]


def pass_sentence(ctx: Context, outcomes: list[PairedOutcome]) -> str:
    """How many PASS factors changed after Holm (Wilcoxon), in words."""
    largest = max(outcomes, key=lambda o: o.n) if outcomes else None
    if largest is None or largest.n == 0:
        return "PASS: no young people have PASS scores before and after support yet."
    n = ctx.gate.count(largest.both)
    if ctx.too_few(largest.n) or n.hidden:
        return (
            f"PASS: fewer than {ctx.threshold} young people have PASS scores before and "
            "after, so no figures are shown."
        )
    adjusted = family(ctx, outcomes)
    changed = [(o, p) for o, p in zip(outcomes, adjusted, strict=True) if p < 0.05]
    up = [o.label.lower() for o, _ in changed if o.signed_rank.estimate > 0]
    down = [o.label.lower() for o, _ in changed if o.signed_rank.estimate < 0]
    text = f"PASS attitudes of the {ctx.count_words(n)} with scores before and after: "
    if not up and not down:
        return text + (
            "no factor changed by more than chance would explain (Wilcoxon signed-rank "
            f"test, Holm-adjusted over the {len(outcomes)} {PASS_FAMILY})."
        )
    parts = []
    if up:
        parts.append(f"{len(up)} of {len(outcomes)} factors rose ({', '.join(up)})")
    if down:
        parts.append(f"{len(down)} fell ({', '.join(down)})")
    return (
        text
        + "; ".join(parts)
        + f" (Wilcoxon, Holm-adjusted over the {len(outcomes)} {PASS_FAMILY}, p < .05)."
    )


def show_pass_concern(ctx: Context, concern: float) -> None:
    """Young people with each PASS factor below the concern threshold, before and after."""
    before = measures.pass_concern(ctx.data, "pre", concern)
    after = measures.pass_concern(ctx.data, "post", concern)
    changes = [flag_change(ctx, before[f], after[f], label) for f, label in PASS_LABELS.items()]
    show_flags(ctx, changes, f"PASS factors below the concern threshold ({concern:g})")
