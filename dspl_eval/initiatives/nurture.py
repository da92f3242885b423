"""Nurture groups: children placed in a nurture group, assessed with the Boxall Profile."""

import datetime as dt

import numpy as np

from dspl_eval.initiatives.base import (
    SESSION_RULES,
    SESSION_SETS,
    SESSIONS,
    SUSPENSIONS,
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    Outcome,
    Rule,
    attendance,
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
    for section, better in BOXALL_SECTIONS.items()
    for col in pre_post(
        f"boxall_{section}",
        "number",
        f"Boxall {section} section total (0-136)",
        minimum=0,
        maximum=136,
        higher_is_better=better,
        aliases=(
            f"boxall {section} {{}}",
            f"{section} {{}}",
            f"{section} strands {{}}",
            f"{section} profile {{}}",
        ),
    )
) + tuple(
    col
    for cluster, better in BOXALL_CLUSTERS.items()
    for col in pre_post(
        f"boxall_{cluster}",
        "number",
        f"Boxall {cluster.replace('_', ' ')} cluster total",
        minimum=0,
        higher_is_better=better,
        aliases=(f"{cluster} {{}}",),
    )
)


INITIATIVE = Initiative(
    key="nurture",
    title="Nurture groups",
    unit="child",
    person="child",
    people="children",
    short="Nurture groups",
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
        *attendance(),
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
    uses_thresholds=("persistent_absence_percent",),
    instruments={"boxall": (*BOXALL_SECTIONS, *BOXALL_CLUSTERS)},
    item_level=(
        "Nurture groups cannot use item-level answers (Boxall Profile items or SDQ items): "
        "return the Boxall section totals, boxall_developmental_pre/_post and "
        "boxall_diagnostic_pre/_post"
    ),
)


# ----------------------------------------------------------------------------- demo data

_CLUSTER_SHARES = {  # a section total split into its clusters (demo data only)
    "developmental": {
        "organisation_of_experience": 18 / 34,
        "internalisation_of_controls": 16 / 34,
    },
    "diagnostic": {
        "self_limiting_features": 60 / 340,
        "undeveloped_behaviour": 110 / 340,
        "unsupported_development": 170 / 340,
    },
}


def _split(total: float | None, shares: dict[str, float]) -> dict[str, int | None]:
    """``total`` split in proportion to ``shares`` (largest remainders), summing exactly."""
    if total is None:
        return dict.fromkeys(shares)
    total = round(total)
    raw = {k: total * v / sum(shares.values()) for k, v in shares.items()}
    parts = {k: int(np.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: parts[k] - raw[k])[: total - sum(parts.values())]:
        parts[k] += 1
    return parts


def _effect(rng: np.random.Generator, row: dict) -> dict:
    """Boxall developmental +15 ± 12, diagnostic −12 ± 12, attendance +3 ± 6, suspensions
    about halved; about half leave the group this term and most of those return full time."""
    out: dict[str, object] = {
        "boxall_developmental_post": row["boxall_developmental_pre"] + rng.normal(15, 12),
        "boxall_diagnostic_post": row["boxall_diagnostic_pre"] - rng.normal(12, 12),
        "attendance_after": row["attendance_before"] + rng.normal(3, 6),
        "suspensions_after": int(rng.binomial(row["suspensions_before"] or 0, 0.5)),
        "date_left": None,
        "group_name": _GROUP_OF.get(row["school"], row.get("group_name")),
        "sessions_per_week": _SPW_OF.get(row["school"], row.get("sessions_per_week")),
        "returned_full_time": False,
        "returned_date": None,
    }
    for section, shares in _CLUSTER_SHARES.items():
        for when, total in (("pre", row[f"boxall_{section}_pre"]), ("post", None)):
            if when == "post":
                total = float(np.clip(round(out[f"boxall_{section}_post"]), 0, 136))
            for cluster, part in _split(total, shares).items():
                out[f"boxall_{cluster}_{when}"] = part
    if row.get("date_left") is not None and rng.random() < 0.5:
        out["date_left"] = row["date_left"]
        if rng.random() < 0.85:
            out["returned_full_time"] = True
            out["returned_date"] = row["date_left"] + dt.timedelta(days=int(rng.integers(0, 4)))
    return out


_GROUPS = (
    ("Oakfield Primary", (1, 4), "Rainbow Room"),
    ("Hollybrook Primary", (0, 3), "The Nest"),
    ("Larkrise Community Primary", (1, 5), "Sunflower Group"),
    ("St Thérèse’s Catholic Primary", (1, 4), "The Hive"),
    ("Marshgate Infant School", (0, 2), "Acorn Room"),
)
_GROUP_OF = {name: group for name, _, group in _GROUPS}
_SPW_OF = dict(zip(_GROUP_OF, (5, 4, 8, 2.5, 5), strict=True))

DEMO = DemoModel(
    effect=_effect,
    cost=CostLine(
        "Nurture staffing (teacher + TA) for 5 groups, resources, Boxall training", 46_000.0
    ),
    returns=tuple(
        DemoReturn(
            name,
            years=years,
            fmt="csv" if name.startswith("St ") else "xlsx",
            encoding="cp1252" if name.startswith("St ") else "utf-8",
            delimiter=";" if name.startswith("St ") else ",",
        )
        for name, years, _ in _GROUPS
    ),
    rows=(6, 12),
    baseline={
        "group_name": "Nurture group",
        "sessions_per_week": (5.0, 1.5),
        "boxall_developmental_pre": (70.0, 18.0),
        "boxall_diagnostic_pre": (55.0, 18.0),
        "attendance_before": (87.0, 7.0),
        "suspensions_before": 0.3,
        "returned_full_time": 0.0,
    },
    follow_up=0.88,
    carry=0.55,
    sessions=12.0,
)
