"""Year 6/7 transition: Year 6 children vulnerable at the move to secondary school.

Primary schools refer children in Year 6 (or early in Year 7, after the move); a few local
services support those they can take. Each child rates eleven common worries about the
move before and after support, each as no worry / a little / a lot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from dspl_eval.initiatives.base import (
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    ItemScale,
    Outcome,
    Rule,
    before_after,
    pupil_identity,
    yes_no,
)

#: The services that support referred children (edit to match the partnership's own).
SERVICES = (
    "Educational psychology",
    "STLS",
    "Inclusion team",
    "Mental health support team",
    "Young carers",
    "Early help",
    "Speech and language therapy",
    "Secondary SENCo transition visits",
)
SERVICE_SYNONYMS = {
    "ep": "Educational psychology",
    "eps": "Educational psychology",
    "educational psychologist": "Educational psychology",
    "ep service": "Educational psychology",
    "specialist teaching and learning service": "STLS",
    "specialist teaching": "STLS",
    "inclusion": "Inclusion team",
    "inclusion service": "Inclusion team",
    "mhst": "Mental health support team",
    "mental health support": "Mental health support team",
    "young carers service": "Young carers",
    "early help service": "Early help",
    "salt": "Speech and language therapy",
    "slt": "Speech and language therapy",
    "speech and language": "Speech and language therapy",
    "senco visits": "Secondary SENCo transition visits",
    "transition visits": "Secondary SENCo transition visits",
    "senco transition visits": "Secondary SENCo transition visits",
}

NEEDS = (
    "SEMH",
    "autism",
    "anxiety",
    "speech, language and communication",
    "learning",
    "physical/sensory",
    "other",
)
NEED_SYNONYMS = {
    "social emotional and mental health": "SEMH",
    "social, emotional and mental health": "SEMH",
    "emotional": "SEMH",
    "asd": "autism",
    "asc": "autism",
    "autistic spectrum": "autism",
    "autistic": "autism",
    "anxious": "anxiety",
    "slcn": "speech, language and communication",
    "speech language and communication": "speech, language and communication",
    "speech and language": "speech, language and communication",
    "communication": "speech, language and communication",
    "mld": "learning",
    "sld": "learning",
    "cognition and learning": "learning",
    "learning difficulty": "learning",
    "physical": "physical/sensory",
    "sensory": "physical/sensory",
    "physical and sensory": "physical/sensory",
    "hi": "physical/sensory",
    "vi": "physical/sensory",
    "pd": "physical/sensory",
}

#: The eleven worry areas (column stem → what the child is asked about).
WORRY_AREAS = {
    "getting_lost": "getting lost",
    "homework": "homework",
    "making_friends": "making friends",
    "bullying": "bullying",
    "older_pupils": "older pupils",
    "new_teachers": "new teachers",
    "timetable": "the timetable",
    "travel": "travel to school",
    "lunch": "lunch",
    "pe_changing": "PE and changing",
    "being_late": "being late",
}
WORRY_LEVELS = ("no worry", "a little", "a lot")
WORRY_SCORES = (0, 1, 2)
WORRY_SYNONYMS = {
    "none": "no worry",
    "no": "no worry",
    "not worried": "no worry",
    "no worries": "no worry",
    "not at all": "no worry",
    "a bit": "a little",
    "little": "a little",
    "bit": "a little",
    "some": "a little",
    "a little worried": "a little",
    "lots": "a lot",
    "alot": "a lot",
    "very": "a lot",
    "very worried": "a lot",
    "a lot of worry": "a lot",
}

_WORRIES = tuple(
    col
    for stem, words in WORRY_AREAS.items()
    for col in before_after(
        f"worry_{stem}",
        "ordinal",
        f"Worry about {words} (no worry / a little / a lot)",
        levels=WORRY_LEVELS,
        scores=WORRY_SCORES,
        value_synonyms=WORRY_SYNONYMS,
        aliases=(f"worry {stem.replace('_', ' ')} {{}}", f"{words} {{}}"),
        higher_is_better=False,
        example="a little",
    )
)

#: The total worry score: the sum of the eleven answers (0-22, lower is better), scored
#: when at least nine are answered.
WORRIES = ItemScale(
    name="worries",
    label="Worries about moving to secondary school (0-22)",
    items=tuple(
        (f"worry_{stem}_before", f"worry_{stem}_after", words.capitalize())
        for stem, words in WORRY_AREAS.items()
    ),
    levels=WORRY_LEVELS,
    direction="lower_is_better",
    combine="sum",
    min_answered=9,
)


def _identity() -> tuple[Column, ...]:
    year = Column(
        "year_group",
        "year_group",
        "Year group (6, or 7 after the move)",
        required=True,
        aliases=("year", "nc year", "ncy", "yr", "year group"),
        minimum=6,
        maximum=7,
        example="6",
    )
    columns = list(pupil_identity())
    columns[[c.name for c in columns].index("year_group")] = year
    school = columns[[c.name for c in columns].index("school")]
    columns[columns.index(school)] = dataclasses.replace(
        school,
        label="Referring (primary) school",
        aliases=(*school.aliases, "referring school", "primary school"),
    )
    return tuple(columns)


INITIATIVE = Initiative(
    key="transition",
    title="Year 6/7 transition support",
    unit="child",
    person="child",
    people="children",
    short="Transition",
    id_column="pupil_id",
    description=(
        "Year 6 children referred by their primary school as vulnerable at the move to "
        "secondary school: who was referred and why, who was supported and by which "
        "service, and their worries about the move before and after support."
    ),
    columns=(
        *_identity(),
        Column(
            "referral_date",
            "date",
            "Date the school referred the child",
            required=True,
            aliases=("referred", "date referred", "referral"),
            example="02/10/2023",
        ),
        yes_no(
            "supported",
            "Supported by a service (yes / no)",
            aliases=("support given", "received support", "supported by a service"),
        ),
        Column(
            "services",
            "multi",
            "Services that supported the child (one or more, separated by ;)",
            allowed=SERVICES,
            value_synonyms=SERVICE_SYNONYMS,
            aliases=("service", "supported by", "services involved", "support services"),
            example="Inclusion team; Secondary SENCo transition visits",
        ),
        Column(
            "support_start",
            "date",
            "Date support started",
            aliases=("start date",),
            example="06/11/2023",
        ),
        Column(
            "support_end",
            "date",
            "Date support ended (blank if ongoing)",
            aliases=("end date",),
            example="",
        ),
        yes_no("ehcp", "Has an EHC plan", aliases=("ehc plan", "ehcp status", "has ehcp")),
        yes_no(
            "looked_after",
            "Looked after child",
            aliases=("looked after child", "child looked after", "lac", "cla"),
            example="no",
        ),
        yes_no(
            "other_agencies",
            "Working with other agencies",
            aliases=("working with other agencies", "other agencies", "multi agency"),
            example="no",
        ),
        yes_no(
            "previously_supported",
            "Supported by a service before this referral",
            aliases=("previously supported", "previous support", "known to services"),
            example="no",
        ),
        Column(
            "main_need",
            "category",
            "Main presenting need",
            allowed=NEEDS,
            value_synonyms=NEED_SYNONYMS,
            aliases=("presenting need", "primary need", "need", "main need"),
            example="anxiety",
        ),
        *_WORRIES,
    ),
    rules=(
        Rule("order", "referral_date", "support_start", "support starts before the referral"),
        Rule("order", "support_start", "support_end", "support ends before it starts"),
    ),
    outcomes=(Outcome("worries", tuple(c for b, a, _ in WORRIES.items for c in (b, a))),),
    item_scales=(WORRIES,),
    item_level=(
        "Transition support takes one answer per worry area "
        "(worry_<area>_before/_after); questionnaire item answers such as SDQ items cannot "
        "be used"
    ),
)

#: The primary schools eligible to refer (25 of the 28 did, in the year the plan
#: describes); the demo's referring schools are the first 25.
ELIGIBLE_SCHOOLS = (
    "Abbotsmead Primary", "Beechcroft Primary", "Birchfield CE Primary", "Brookside Primary",
    "Castlegate Junior School", "Cherry Tree Primary", "Copperfield Primary",
    "Dovecote Primary", "Elmstead Junior School", "Fairfield Primary", "Foxhill Primary",
    "Glebe Lane Primary", "Hawthorn Primary", "Heron Way Primary", "Ivybridge Junior School",
    "Kingsmead Primary", "Lavender Hill Primary", "Maple Grove Primary",
    "Meadowbank Primary", "Nightingale Primary", "Orchard Vale Primary",
    "Pennywell Primary", "Quarry Bank Primary", "Redwing Primary", "St Aidan's CE Primary",
    "Sandpiper Primary", "Thornfield Junior School", "Willowbrook Primary",
)  # fmt: skip

_AREAS = ("North", "East", "South", "West")


def _effect(rng: np.random.Generator, row: dict) -> dict:
    """Worries fall for supported children (more often from "a lot"); the others have no
    support, no services and no second rating."""
    out: dict[str, object] = {}
    if not row.get("supported"):
        out |= {"services": None, "support_start": None, "support_end": None}
        out |= {f"worry_{s}_after": None for s in WORRY_AREAS}
        return out
    if not row.get("support_start"):
        out["support_start"] = row["referral_date"] + dt.timedelta(days=int(rng.integers(7, 35)))
    for stem in WORRY_AREAS:
        before = row[f"worry_{stem}_before"]
        if before is None:
            continue
        drop = {2: (0.25, 0.45), 1: (0.45, 0.0), 0: (0.0, 0.0)}[int(before)]
        u = rng.random()
        after = before - 1 if u < drop[0] else before - 2 if u < drop[0] + drop[1] else before
        if before < 2 and rng.random() < 0.07:  # some worry more after the move is near
            after = before + 1
        out[f"worry_{stem}_after"] = int(after)
    return out


_WORRY_BASELINE = {
    "getting_lost": (0.3, 0.4, 0.3),
    "homework": (0.35, 0.4, 0.25),
    "making_friends": (0.3, 0.35, 0.35),
    "bullying": (0.3, 0.35, 0.35),
    "older_pupils": (0.3, 0.4, 0.3),
    "new_teachers": (0.45, 0.4, 0.15),
    "timetable": (0.45, 0.4, 0.15),
    "travel": (0.45, 0.35, 0.2),
    "lunch": (0.5, 0.35, 0.15),
    "pe_changing": (0.4, 0.35, 0.25),
    "being_late": (0.4, 0.4, 0.2),
}

DEMO = DemoModel(
    effect=_effect,
    cost=CostLine(
        "Transition support: service time from 8 services, SENCo transition visits, coordinator",
        63_000.0,
        "year",
    ),
    returns=tuple(
        DemoReturn(
            f"{area} area transition referrals",
            years=(6, 6),
            schools=ELIGIBLE_SCHOOLS[i:25:4],
            fmt="csv" if i == 3 else "xlsx",
        )
        for i, area in enumerate(_AREAS)
    ),
    rows=(9, 14),
    baseline={
        "supported": 0.68,
        "ehcp": 0.12,
        "looked_after": 0.06,
        "other_agencies": 0.35,
        "previously_supported": 0.3,
        "sex": {"male": 0.55, "female": 0.45},
        "main_need": {
            "SEMH": 0.28,
            "autism": 0.2,
            "anxiety": 0.22,
            "speech, language and communication": 0.1,
            "learning": 0.1,
            "physical/sensory": 0.04,
            "other": 0.06,
        },
        "services": {
            "Educational psychology": 0.1,
            "STLS": 0.15,
            "Inclusion team": 0.2,
            "Mental health support team": 0.15,
            "Young carers": 0.04,
            "Early help": 0.08,
            "Speech and language therapy": 0.08,
            "Secondary SENCo transition visits": 0.2,
        },
        **{
            f"worry_{stem}_before": dict(zip(WORRY_LEVELS, weights, strict=True))
            for stem, weights in _WORRY_BASELINE.items()
        },
    },
    follow_up=0.88,
    carry=0.1,
    sessions=6.0,
)
