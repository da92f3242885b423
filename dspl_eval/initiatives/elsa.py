"""ELSA: children supported by an Emotional Literacy Support Assistant."""

import dataclasses
import datetime as dt

import numpy as np

from dspl_eval.initiatives.base import (
    SUSPENSIONS,
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    ItemScale,
    ItemSet,
    Outcome,
    Pair,
    Rule,
    before_after,
    pre_post,
    pupil_identity,
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
    pair = Pair(f"sdq_{item}", f"sdq_{item}_pre", f"sdq_{item}_post", SDQ_ITEM_WORDING[item],
                scale="ordinal")  # fmt: skip
    return Column(
        f"sdq_{item}_{occasion}",
        "sdq_item",
        f"SDQ item {number} ({item}) {'before' if occasion == 'pre' else 'after'} support",
        aliases=tuple(f"{stem} {{}}" for stem in stems),
        pair=pair,
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
        higher_is_better=scale == "prosocial",
        same_as_baseline=("sdq_informant",),
    )
)

#: Total difficulties: the sum of the four difficulty scales (Goodman 1997; sdqinfo.org),
#: scored only when all four are given.
SDQ_DIFFICULTIES = ItemScale(
    name="sdq_total_difficulties",
    label="SDQ total difficulties (0-40)",
    items=tuple(
        (f"sdq_{s}_pre", f"sdq_{s}_post", f"SDQ {s} scale") for s in SDQ_SCALES if s != "prosocial"
    ),
    direction="lower_is_better",
    combine="sum",
    min_answered=4,
)

INITIATIVE = Initiative(
    key="elsa",
    title="ELSA (Emotional Literacy Support Assistants)",
    instruments={"sdq": (*SDQ_SCALES, "total_difficulties", "externalising", "internalising")},
    unit="child",
    person="child",
    people="children",
    short="ELSA",
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
            higher_is_better=False,
            same_as_baseline=("sdq_informant",),
        ),
        *SUSPENSIONS,
        *(
            dataclasses.replace(col, label=label, example="yes")
            for col, label in zip(
                before_after(
                    "permanent_exclusion",
                    "yes_no",
                    "Permanently excluded in the window",
                    aliases=("pex {}", "permanent exclusion {}", "perm excl {}"),
                    higher_is_better=False,
                ),
                (
                    "Permanently excluded in the window before support",
                    "Permanently excluded in the window after support",
                ),
                strict=True,
            )
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
    item_scales=(SDQ_DIFFICULTIES,),
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


# ----------------------------------------------------------------------------- demo data

_DIFFICULTIES = ("emotional", "conduct", "hyperactivity", "peer")


def _effect(rng: np.random.Generator, row: dict) -> dict:
    """SDQ difficulty scales fall by about 0.9 each (a child-level response ± 0.8, item
    noise ± 1.1), prosocial rises by 0.6; impact falls by 1; suspensions fall by about
    half; EHCP status follows the SEN status."""
    response = rng.normal(0, 0.8)
    out: dict[str, object] = {
        f"sdq_{s}_post": row[f"sdq_{s}_pre"] - 0.9 + response + rng.normal(0, 1.1)
        for s in _DIFFICULTIES
    }
    out["sdq_prosocial_post"] = row["sdq_prosocial_pre"] + 0.6 + rng.normal(0, 1.2)
    parent = row.get("sdq_informant") == "parent"
    top = 10 if parent else 6
    impact = float(np.clip(round(rng.normal(4 if parent else 2.5, 1.6)), 0, top))
    shown = parent or rng.random() < 0.7
    out["sdq_impact_pre"] = impact if shown else None
    out["sdq_impact_post"] = (
        float(np.clip(round(impact - 1 + rng.normal(0, 1.1)), 0, top)) if shown else None
    )
    secondary = (row.get("year_group") or 0) >= 7
    before = int(rng.poisson(float(rng.gamma(0.6, 1.2)) * (1.5 if secondary else 0.6)))
    out["suspensions_before"] = before
    out["suspensions_after"] = int(rng.binomial(before, 0.45)) + int(rng.random() < 0.05)
    out["permanent_exclusion_before"] = bool(rng.random() < (0.03 if secondary else 0.005))
    out["permanent_exclusion_after"] = bool(rng.random() < (0.012 if secondary else 0.0))
    sen = row.get("sen_status")
    out["ehcp_status"] = {"EHC plan": "EHCP", "none": "none"}.get(
        sen, "awaiting assessment" if rng.random() < 0.2 else "none"
    )
    end, follow = row.get("support_end"), row.get("follow_up_end")
    out["next_suspension_date"] = None
    if end is not None and follow is not None and out["suspensions_after"] and follow > end:
        span = (follow - end).days
        out["next_suspension_date"] = end + dt.timedelta(days=int(rng.integers(1, span + 1)))
    out["window_months"] = 6
    return out


DEMO = DemoModel(
    effect=_effect,
    cost=CostLine("ELSA release time, EP supervision and ELSA network", 14_500.0),
    returns=(
        DemoReturn("Barnwell Academy", years=(7, 11)),
        DemoReturn("Kestrel Way Junior School", years=(3, 6)),
        DemoReturn("Fennick Lane Primary", years=(0, 6), fmt="csv", encoding="utf-8-sig"),
        DemoReturn("Wyvern Academy", years=(7, 11)),
        DemoReturn("Bramblecote Primary", years=(1, 6)),
    ),
    rows=(8, 12),
    baseline={
        "sdq_emotional_pre": (5.2, 2.2),
        "sdq_conduct_pre": (3.4, 2.2),
        "sdq_hyperactivity_pre": (5.6, 2.2),
        "sdq_peer_pre": (3.1, 2.2),
        "sdq_prosocial_pre": (5.5, 2.2),
        "sdq_informant": {"teacher": 0.8, "parent": 0.2},
        "sessions_attended": (9.0, 2.0),
        "window_months": (6.0, 0.0),
    },
    follow_up=0.85,
    carry=0.05,
    sessions="sessions_attended",
)
