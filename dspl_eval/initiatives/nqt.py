"""NQT / early-career teacher SEND programme: one row per teacher, no pupil data."""

import numpy as np

from dspl_eval.initiatives.base import (
    AGREE_LEVELS,
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    ItemScale,
    Outcome,
    pre_post,
    yes_no,
)

CONFIDENCE_TOPICS = (
    "learning_environment",
    "low_level_behaviour",
    "visual_support",
    "autism",
    "adapting_environment",
    "challenging_behaviour",
)

_CONF = tuple(
    col
    for topic in CONFIDENCE_TOPICS
    for col in pre_post(
        f"conf_{topic}",
        "likert",
        f"Confidence: {topic.replace('_', ' ')} (1 strongly disagree - 5 strongly agree)",
        minimum=1,
        maximum=5,
        aliases=(f"confidence {topic} {{}}", f"{topic} {{}}"),
        higher_is_better=True,
    )
)

#: The confidence statements as one agreement scale (mean of the items answered, at
#: all six, as the report scores it).
CONFIDENCE = ItemScale(
    name="confidence",
    label="Confidence in supporting pupils with SEND",
    items=tuple(
        (f"conf_{t}_pre", f"conf_{t}_post", t.replace("_", " ").capitalize())
        for t in CONFIDENCE_TOPICS
    ),
    levels=AGREE_LEVELS,
    direction="higher_is_better",
    combine="mean",
    min_answered=6,
)

INITIATIVE = Initiative(
    key="nqt",
    title="Early-career teacher SEND programme",
    unit="teacher",
    person="teacher",
    people="teachers",
    short="ECT SEND programme",
    id_column="participant_id",
    identifiers=("participant_ref",),
    description=(
        "Newly qualified and early-career teachers on the SEND programme: confidence and "
        "understanding before and after, satisfaction and attendance."
    ),
    columns=(
        Column(
            "participant_ref",
            "ref",
            "Your reference for the teacher (not their name)",
            aliases=("participant", "teacher ref", "participant id", "ref", "reference"),
            identifying=True,
            example="T07",
        ),
        Column(
            "school",
            "text",
            "School name",
            required=True,
            aliases=("school name",),
            example="Oakfield Primary",
        ),
        Column(
            "role",
            "category",
            "Role (NQT / ECT1 / ECT2 / other)",
            allowed=("NQT", "ECT1", "ECT2", "other"),
            value_synonyms={
                "ect 1": "ECT1",
                "ect year 1": "ECT1",
                "ect 2": "ECT2",
                "ect year 2": "ECT2",
                "newly qualified teacher": "NQT",
            },
            example="ECT1",
        ),
        Column(
            "sessions_attended",
            "integer",
            "Programme sessions attended (0-6)",
            minimum=0,
            maximum=6,
            aliases=("sessions",),
            example="5",
        ),
        *_CONF,
        *pre_post(
            "understanding",
            "percent",
            "Self-rated understanding of the role (0-100%)",
            minimum=0,
            maximum=100,
            aliases=("understanding {}", "understanding of role {}"),
            higher_is_better=True,
            scale="ordinal",
        ),
        Column(
            "satisfaction",
            "category",
            "Amount of content (too little / just right / too much)",
            allowed=("too little", "just right", "too much"),
            value_synonyms={"about right": "just right", "right": "just right"},
            example="just right",
        ),
        yes_no(
            "practical_info_satisfied",
            "Satisfied with the practical information",
            aliases=("practical information satisfied", "practical info"),
        ),
    ),
    item_scales=(CONFIDENCE,),
    outcomes=(
        Outcome(
            "confidence",
            tuple(f"conf_{t}_{w}" for t in CONFIDENCE_TOPICS for w in ("pre", "post")),
        ),
    ),
    uses_thresholds=("likert_agree_level",),
    item_level=(
        "The early-career teacher programme takes one answer per confidence item "
        "(conf_<topic>_pre/_post); questionnaire item answers such as SDQ items cannot be used"
    ),
)


# ----------------------------------------------------------------------------- demo data


def _effect(rng: np.random.Generator, row: dict) -> dict:
    """Confidence rises by about one point on every item (a teacher-level gain ± 0.55),
    understanding from about 45% to 75%."""
    theta, gain = rng.normal(0, 1), rng.normal(1.0, 0.55)
    out: dict[str, object] = {}
    for topic in CONFIDENCE_TOPICS:
        pre = 2.8 + 0.7 * theta + rng.normal(0, 0.55)
        out[f"conf_{topic}_pre"] = pre
        out[f"conf_{topic}_post"] = 2.8 + 0.7 * theta + gain + rng.normal(0, 0.55)
    understanding = row["understanding_pre"]
    out["understanding_post"] = 75 + 0.5 * (understanding - 45) + rng.normal(0, 11)
    return out


#: The schools the demo's teachers work in.
_DEMO_SCHOOLS = (
    "Oakfield Primary", "Hollybrook Primary", "Larkrise Community Primary",
    "St Thérèse’s Catholic Primary", "Marshgate Infant School", "Barnwell Academy",
    "Kestrel Way Junior School", "Fennick Lane Primary", "Wyvern Academy",
    "Bramblecote Primary", "Thornbury High School", "Ashcombe School",
    "Riverside Community College", "Highcliffe Grammar",
)  # fmt: skip

DEMO = DemoModel(
    effect=_effect,
    cost=CostLine("Trainer fees, venue and supply cover for 2 cohorts", 12_800.0),
    returns=(
        DemoReturn("cohort A", schools=_DEMO_SCHOOLS, ref_prefix="ECT"),
        DemoReturn(
            "cohort B", schools=_DEMO_SCHOOLS, ref_prefix="ECT", fmt="csv", encoding="utf-8-sig"
        ),
    ),
    rows=(10, 15),
    baseline={
        "role": {"ECT1": 0.5, "ECT2": 0.3, "NQT": 0.1, "other": 0.1},
        "sessions_attended": (5.0, 1.0),
        "understanding_pre": (45.0, 15.0),
        "satisfaction": {"just right": 0.75, "too much": 0.12, "too little": 0.13},
        "practical_info_satisfied": 0.85,
    },
    follow_up=0.85,
    carry=0.0,
    sessions=6.0,
)
