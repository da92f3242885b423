"""ELSA: children supported by an Emotional Literacy Support Assistant."""

from dspl_eval.initiatives.base import (
    SUSPENSIONS,
    Column,
    Initiative,
    ItemSet,
    Outcome,
    Rule,
    pre_post,
    pupil_identity,
    yes_no,
)

SDQ_SCALES = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")

#: The 25 SDQ items in questionnaire order (item 1 … 25), by the variable names of the
#: official scoring syntax (sdqinfo.org; the same names as ``measures.SDQ_ITEMS``), with
#: the wording of the teacher and parent forms for 4-17 year olds.
SDQ_ITEM_WORDING = {
    "consid": "Considerate of other people's feelings",
    "restles": "Restless, overactive, cannot stay still for long",
    "somatic": "Often complains of headaches, stomach-aches or sickness",
    "shares": "Shares readily with other children",
    "tantrum": "Often has temper tantrums or hot tempers",
    "loner": "Rather solitary, tends to play alone",
    "obeys": "Generally obedient, usually does what adults request",
    "worries": "Many worries, often seems worried",
    "caring": "Helpful if someone is hurt, upset or feeling ill",
    "fidgety": "Constantly fidgeting or squirming",
    "friend": "Has at least one good friend",
    "fights": "Often fights with other children or bullies them",
    "unhappy": "Often unhappy, down-hearted or tearful",
    "popular": "Generally liked by other children",
    "distrac": "Easily distracted, concentration wanders",
    "clingy": "Nervous or clingy in new situations, easily loses confidence",
    "kind": "Kind to younger children",
    "lies": "Often lies or cheats",
    "bullied": "Picked on or bullied by other children",
    "helpout": "Often volunteers to help others",
    "reflect": "Thinks things out before acting",
    "steals": "Steals from home, school or elsewhere",
    "oldbest": "Gets on better with adults than with other children",
    "afraid": "Many fears, easily scared",
    "attends": "Sees tasks through to the end, good attention span",
}


def _sdq_item_column(number: int, item: str, occasion: str) -> Column:
    """The column an SDQ item answer is read into, with the names schools give it:
    ``somatic pre``, ``SDQ somatic (pre)``, ``tsomatic_pre`` (teacher/parent/self prefix),
    ``SDQ 3 pre``, ``SDQ item 3 pre``, ``Q3 pre`` or the item's wording."""
    stems = (
        item,
        f"sdq {item}",
        f"t{item}",
        f"p{item}",
        f"s{item}",
        f"sdq {number}",
        f"sdq item {number}",
        f"sdq q{number}",
        f"q{number}",
        SDQ_ITEM_WORDING[item],
    )
    return Column(
        f"sdq_{item}_{occasion}",
        "sdq_item",
        f"SDQ item {number} ({item}) {'before' if occasion == 'pre' else 'after'} support",
        aliases=tuple(f"{stem} {{}}" for stem in stems),
    )


SDQ_ITEM_SETS = tuple(
    ItemSet(
        questionnaire="SDQ",
        occasion=occasion,
        items={
            item: _sdq_item_column(number, item, occasion)
            for number, item in enumerate(SDQ_ITEM_WORDING, start=1)
        },
        scales={scale: f"sdq_{scale}_{occasion}" for scale in SDQ_SCALES},
    )
    for occasion in ("pre", "post")
)

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
    outcomes=(
        Outcome("SDQ scores", tuple(f"sdq_{s}_{w}" for s in SDQ_SCALES for w in ("pre", "post"))),
        Outcome("suspensions", ("suspensions_before", "suspensions_after")),
    ),
    item_sets=SDQ_ITEM_SETS,
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
