"""EBSA report: attendance, persistent and severe absence, PASS attitudes."""

from __future__ import annotations

import pandas as pd

from dspl_eval import measures
from dspl_eval.reporting import Context, FlagChange, flag_change, show_flags

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


def absence_changes(ctx: Context, thresholds) -> list[FlagChange]:
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


def pass_change(ctx: Context) -> pd.DataFrame:
    """``measures.pass_change`` (Holm across the nine factors)."""
    return measures.pass_change(ctx.data)


def pass_sentence(ctx: Context, table: pd.DataFrame, concern: float) -> str:
    """How many PASS factors changed reliably after Holm, in words."""
    n = int(table["n"].max()) if len(table) else 0
    if n == 0:
        return "PASS: no young people have PASS scores before and after support yet."
    if ctx.too_few(n):
        return (
            f"PASS: fewer than {ctx.threshold} young people have PASS scores before and "
            "after, so no figures are shown."
        )
    significant = table[table["pvalue_holm"] < 0.05]
    up = [PASS_LABELS[m].lower() for m in significant[significant["mean_diff"] > 0]["measure"]]
    down = [PASS_LABELS[m].lower() for m in significant[significant["mean_diff"] < 0]["measure"]]
    text = f"PASS attitudes of the {ctx.count(n)} with scores before and after: "
    if not up and not down:
        return text + "no factor changed by more than chance would explain (Holm-adjusted)."
    parts = []
    if up:
        parts.append(f"{len(up)} of 9 factors rose ({', '.join(up)})")
    if down:
        parts.append(f"{len(down)} fell ({', '.join(down)})")
    return text + "; ".join(parts) + " (Holm-adjusted p < .05)."


def show_pass_concern(ctx: Context, concern: float) -> None:
    """Young people with each PASS factor below the concern threshold, before and after."""
    before = measures.pass_concern(ctx.data, "pre", concern)
    after = measures.pass_concern(ctx.data, "post", concern)
    changes = [flag_change(ctx, before[f], after[f], label) for f, label in PASS_LABELS.items()]
    show_flags(ctx, changes, f"PASS factors below the concern threshold ({concern:g})")
