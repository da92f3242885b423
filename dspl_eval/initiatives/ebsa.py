"""EBSA support pilot: children and young people with emotionally based school avoidance."""

from dspl_eval.initiatives.base import (
    SESSION_RULES,
    SESSION_SETS,
    SESSIONS,
    Column,
    Initiative,
    Outcome,
    Rule,
    before_after,
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
    col
    for factor in PASS_FACTORS
    for col in (
        Column(
            f"pass_{factor}_pre",
            "percent",
            f"PASS {factor.replace('_', ' ')} percentile before support (0-100)",
            minimum=0,
            maximum=100,
            aliases=(f"pass {factor} {{}}",),
        ),
        Column(
            f"pass_{factor}_post",
            "percent",
            f"PASS {factor.replace('_', ' ')} percentile after support (0-100)",
            minimum=0,
            maximum=100,
            aliases=(f"pass {factor} {{}}",),
        ),
    )
)


INITIATIVE = Initiative(
    key="ebsa",
    title="EBSA support pilot",
    unit="child",
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
        *before_after(
            "attendance",
            "percent",
            "Attendance % in the window",
            minimum=0,
            maximum=100,
            aliases=("attendance rate {}", "att {}"),
        ),
        *_PASS,
    ),
    rules=(
        Rule("order", "referral_date", "support_start", "support starts before the referral"),
        Rule("order", "support_start", "support_end", "support ends before it starts"),
        *SESSION_RULES,
    ),
    session_sets=SESSION_SETS,
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
    item_level=(
        "EBSA cannot use item-level answers (PASS items or SDQ items): return the nine PASS "
        "factor percentiles, pass_<factor>_pre and pass_<factor>_post"
    ),
)
