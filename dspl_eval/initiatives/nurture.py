"""Nurture groups: children placed in a nurture group, assessed with the Boxall Profile."""

from dspl_eval.initiatives.base import (
    SESSION_RULES,
    SESSION_SETS,
    SESSIONS,
    SUSPENSIONS,
    Column,
    Initiative,
    Outcome,
    Rule,
    before_after,
    pre_post,
    pupil_identity,
    yes_no,
)

# Boxall sections: 34 items each scored 0-4 (MEASURES.md), so a section total is 0-136.
BOXALL_SECTIONS = {"developmental": True, "diagnostic": False}  # higher is better?
BOXALL_CLUSTERS = {
    "organisation_of_experience": True,
    "internalisation_of_controls": True,
    "self_limiting_features": False,
    "undeveloped_behaviour": False,
    "unsupported_development": False,
}

_BOXALL = tuple(
    col
    for section in BOXALL_SECTIONS
    for col in pre_post(
        f"boxall_{section}",
        "number",
        f"Boxall {section} section total (0-136)",
        minimum=0,
        maximum=136,
        aliases=(
            f"boxall {section} {{}}",
            f"{section} {{}}",
            f"{section} strands {{}}",
            f"{section} profile {{}}",
        ),
    )
) + tuple(
    col
    for cluster in BOXALL_CLUSTERS
    for col in pre_post(
        f"boxall_{cluster}",
        "number",
        f"Boxall {cluster.replace('_', ' ')} cluster total",
        minimum=0,
        aliases=(f"{cluster} {{}}",),
    )
)


INITIATIVE = Initiative(
    key="nurture",
    title="Nurture groups",
    unit="child",
    id_column="pupil_id",
    description=(
        "Children placed in a nurture group: Boxall Profile on entry and at review, "
        "return to full-time mainstream class, attendance and suspensions."
    ),
    columns=(
        *pupil_identity(),
        Column(
            "group_name",
            "text",
            "Name of the nurture group",
            aliases=("group", "nurture group"),
            example="Rainbow Room",
        ),
        Column(
            "date_joined",
            "date",
            "Date the child joined the group",
            required=True,
            aliases=("joined", "start date", "date started"),
            example="11/09/2023",
        ),
        Column(
            "date_left",
            "date",
            "Date the child left the group (blank while attending)",
            aliases=("left", "end date", "date ended"),
            example="",
        ),
        Column(
            "sessions_per_week",
            "number",
            "Nurture sessions per week",
            minimum=0,
            maximum=10,
            aliases=("sessions a week",),
            example="5",
        ),
        *_BOXALL,
        yes_no(
            "returned_full_time",
            "Returned full time to the mainstream class",
            aliases=("returned to class", "returned full time to class", "full time return"),
        ),
        Column(
            "returned_date",
            "date",
            "Date of the full-time return, if any",
            aliases=("date returned",),
            example="",
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
        *SUSPENSIONS,
    ),
    rules=(
        Rule("order", "date_joined", "date_left", "left the group before joining it"),
        Rule("order", "date_joined", "returned_date", "returned to class before joining the group"),
        *SESSION_RULES,
    ),
    session_sets=SESSION_SETS,
    outcomes=(
        Outcome(
            "Boxall Profile",
            tuple(f"boxall_{s}_{w}" for s in BOXALL_SECTIONS for w in ("pre", "post")),
        ),
    ),
    item_level=(
        "Nurture groups cannot use item-level answers (Boxall Profile items or SDQ items): "
        "return the Boxall section totals, boxall_developmental_pre/_post and "
        "boxall_diagnostic_pre/_post"
    ),
)
