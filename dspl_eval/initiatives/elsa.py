"""ELSA: children supported by an Emotional Literacy Support Assistant."""

from dspl_eval.initiatives.base import (
    SUSPENSIONS,
    Column,
    Initiative,
    Rule,
    pre_post,
    pupil_identity,
    yes_no,
)

SDQ_SCALES = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")

_SDQ = tuple(
    col
    for scale in SDQ_SCALES
    for col in pre_post(
        f"sdq_{scale}",
        "integer",
        f"SDQ {scale} scale score (0-10)",
        minimum=0,
        maximum=10,
        aliases=(f"sdq {scale} {{}}", f"{scale} {{}}"),
    )
)

INITIATIVE = Initiative(
    key="elsa",
    title="ELSA (Emotional Literacy Support Assistants)",
    unit="child",
    id_column="pupil_id",
    description=(
        "Children supported by an ELSA: SDQ scores before and after support, suspensions and "
        "permanent exclusions in equal windows before and after, EHCP status."
    ),
    columns=(
        *pupil_identity(),
        Column(
            "ehcp_status",
            "category",
            "EHCP status (EHCP / awaiting assessment / none)",
            aliases=("ehcp", "ehc plan", "ehcp status"),
            allowed=("EHCP", "awaiting assessment", "none"),
            value_synonyms={
                "ehc plan": "EHCP",
                "yes": "EHCP",
                "y": "EHCP",
                "e": "EHCP",
                "awaiting": "awaiting assessment",
                "in assessment": "awaiting assessment",
                "applied": "awaiting assessment",
                "no": "none",
                "n": "none",
                "no ehcp": "none",
            },
            example="none",
        ),
        Column(
            "support_start",
            "date",
            "Date ELSA support started",
            required=True,
            aliases=("start date",),
            example="18/09/2023",
        ),
        Column(
            "support_end",
            "date",
            "Date ELSA support ended (blank if ongoing)",
            aliases=("end date",),
            example="08/12/2023",
        ),
        Column(
            "sessions_attended",
            "integer",
            "ELSA sessions attended",
            minimum=0,
            maximum=60,
            aliases=("sessions", "number of sessions"),
            example="10",
        ),
        Column(
            "sdq_informant",
            "category",
            "Who completed the SDQ (teacher / parent / self)",
            allowed=("teacher", "parent", "self"),
            value_synonyms={
                "t": "teacher",
                "p": "parent",
                "s": "self",
                "carer": "parent",
                "parent/carer": "parent",
                "pupil": "self",
                "child": "self",
                "young person": "self",
                "ta": "teacher",
                "elsa": "teacher",
            },
            aliases=("informant", "sdq completed by", "completed by"),
            example="teacher",
        ),
        *_SDQ,
        *pre_post(
            "sdq_impact",
            "integer",
            "SDQ impact score (teacher 0-6, parent/self 0-10)",
            minimum=0,
            maximum=10,
            aliases=("sdq impact {}", "impact {}"),
        ),
        *SUSPENSIONS,
        yes_no(
            "permanent_exclusion_before",
            "Permanently excluded in the window before support",
            aliases=("pex {}", "permanent exclusion {}", "perm excl {}"),
        ),
        yes_no(
            "permanent_exclusion_after",
            "Permanently excluded in the window after support",
            aliases=("pex {}", "permanent exclusion {}", "perm excl {}"),
        ),
        Column(
            "window_months",
            "integer",
            "Length of each before/after window in months (default 6)",
            minimum=1,
            maximum=24,
            example="6",
        ),
        Column(
            "next_suspension_date",
            "date",
            "Date of the next suspension after support ended, if any",
            aliases=("next suspension",),
            example="",
        ),
        Column(
            "follow_up_end",
            "date",
            "Date follow-up ended (last date we know about)",
            aliases=("follow up date", "followed up to"),
            example="31/03/2024",
        ),
    ),
    rules=(
        Rule("order", "support_start", "support_end", "support ends before it starts"),
        Rule(
            "order",
            "support_end",
            "next_suspension_date",
            "next suspension is dated before support ended",
        ),
        Rule("order", "support_end", "follow_up_end", "follow-up ends before support ended"),
    ),
)
