"""NQT / early-career teacher SEND programme: one row per teacher, no pupil data."""

from dspl_eval.initiatives.base import Column, Initiative, Outcome, pre_post, yes_no

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
    )
)

INITIATIVE = Initiative(
    key="nqt",
    title="Early-career teacher SEND programme",
    unit="teacher",
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
    outcomes=(
        Outcome(
            "confidence",
            tuple(f"conf_{t}_{w}" for t in CONFIDENCE_TOPICS for w in ("pre", "post")),
        ),
    ),
    item_level=(
        "The early-career teacher programme takes one answer per confidence item "
        "(conf_<topic>_pre/_post); questionnaire item answers such as SDQ items cannot be used"
    ),
)
