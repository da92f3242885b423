"""EBSA support pilot: children and young people with emotionally based school avoidance."""

import dataclasses

import numpy as np

from dspl_eval.initiatives.base import (
    SESSION_RULES,
    SESSION_SETS,
    SESSIONS,
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    ItemScale,
    Outcome,
    Rule,
    attendance,
    pre_post,
    pupil_identity,
)

PASS_FACTORS = (
    "feelings_about_school",
    "perceived_learning_capability",
    "self_regard",
    "preparedness_for_learning",
    "attitudes_to_teachers",
    "general_work_ethic",
    "confidence_in_learning",
    "attitudes_to_attendance",
    "response_to_curriculum_demands",
)

_PASS = tuple(
    dataclasses.replace(col, label=label)
    for factor in PASS_FACTORS
    for col, label in zip(
        pre_post(
            f"pass_{factor}",
            "percent",
            f"PASS {factor.replace('_', ' ')} percentile",
            minimum=0,
            maximum=100,
            aliases=(f"pass {factor} {{}}",),
            higher_is_better=True,
            scale="ordinal",
        ),
        (
            f"PASS {factor.replace('_', ' ')} percentile before support (0-100)",
            f"PASS {factor.replace('_', ' ')} percentile after support (0-100)",
        ),
        strict=True,
    )
)

#: The nine PASS factors as one block of items (percentiles, higher is better); a
#: profile, not a total: the report tests each factor (Holm over the nine).
PASS = ItemScale(
    name="pass",
    label="PASS attitudes to self and school",
    items=tuple(
        (f"pass_{f}_pre", f"pass_{f}_post", f.replace("_", " ").capitalize()) for f in PASS_FACTORS
    ),
    direction="higher_is_better",
    combine="mean",
    min_answered=len(PASS_FACTORS),
)


INITIATIVE = Initiative(
    key="ebsa",
    title="EBSA support pilot",
    unit="child",
    person="young person",
    people="young people",
    short="EBSA",
    id_column="pupil_id",
    description=(
        "Children and young people with emotionally based school avoidance supported by the "
        "pilot: attendance in a window before and after support, and PASS attitudes."
    ),
    columns=(
        *pupil_identity(),
        Column(
            "referral_date",
            "date",
            "Date referred to the pilot",
            required=True,
            example="12/09/2023",
        ),
        Column(
            "referral_source",
            "category",
            "Who referred (school / parent / other)",
            allowed=("school", "parent", "other"),
            value_synonyms={
                "parent/carer": "parent",
                "carer": "parent",
                "family": "parent",
                "self": "other",
                "health": "other",
                "camhs": "other",
            },
            aliases=("referred by", "source of referral"),
            example="school",
        ),
        Column(
            "support_start",
            "date",
            "Date support started",
            aliases=("start date",),
            example="02/10/2023",
        ),
        Column(
            "support_end",
            "date",
            "Date support ended (blank if ongoing)",
            aliases=("end date",),
            example="15/12/2023",
        ),
        *SESSIONS,
        *attendance(),
        *_PASS,
    ),
    rules=(
        Rule("order", "referral_date", "support_start", "support starts before the referral"),
        Rule("order", "support_start", "support_end", "support ends before it starts"),
        *SESSION_RULES,
    ),
    session_sets=SESSION_SETS,
    item_scales=(PASS,),
    outcomes=(
        Outcome(
            "attendance",
            (
                "attendance_before",
                "attendance_after",
                "possible_sessions_before",
                "attended_sessions_before",
                "possible_sessions_after",
                "attended_sessions_after",
            ),
        ),
    ),
    uses_thresholds=(
        "persistent_absence_percent",
        "severe_absence_percent",
        "pass_concern_percentile",
    ),
    item_level=(
        "EBSA cannot use item-level answers (PASS items or SDQ items): return the nine PASS "
        "factor percentiles, pass_<factor>_pre and pass_<factor>_post"
    ),
)


# ----------------------------------------------------------------------------- demo data


def _effect(rng: np.random.Generator, row: dict) -> dict:
    """Attendance rises from about 58% to 85% (more for those lower before, some fall);
    PASS percentiles rise by about 8 ± 12 around a young person's own level."""
    before = row["attendance_before"]
    out: dict[str, object] = {"attendance_after": 85 + 0.4 * (before - 58) + rng.normal(0, 14)}
    theta = rng.normal(0, 1)
    for factor in PASS_FACTORS:
        pre = float(np.clip(round(35 + 12 * theta + rng.normal(0, 14)), 2, 99))
        out[f"pass_{factor}_pre"] = pre
        out[f"pass_{factor}_post"] = float(np.clip(round(pre + rng.normal(8, 12)), 2, 99))
    return out


_SERVICE_SCHOOLS = (
    "Highcliffe Grammar",
    "Barnwell Academy",
    "Wyvern Academy",
    "Oakfield Primary",
    "Fennick Lane Primary",
)

DEMO = DemoModel(
    effect=_effect,
    cost=CostLine("EBSA practitioners (1.6 FTE), parent workshops, travel", 31_500.0),
    returns=(
        DemoReturn("Thornbury High School", years=(7, 11), rows=(6, 9)),
        DemoReturn("Ashcombe School", years=(7, 11), rows=(6, 9)),
        DemoReturn("Riverside Community College", years=(7, 11), rows=(6, 9)),
        DemoReturn(
            "EBSA outreach service",
            years=(5, 11),
            schools=_SERVICE_SCHOOLS,
            ref_prefix="EB",
            fmt="csv",
            rows=(8, 12),
        ),
    ),
    baseline={
        "attendance_before": (58.0, 18.0),
        "referral_source": {"school": 0.6, "parent": 0.3, "other": 0.1},
    },
    follow_up=0.85,
    carry=0.05,
    sessions=8.0,
)
