"""How an initiative is described: its columns, their types and ranges, and its row rules.

One description drives ingestion (header matching, parsing, validation), the school
templates (headers, dropdowns, ranges) and the synthetic demo data, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "text",  # free text (school name, group name)
    "ref",  # an identifier kept as text (pupil_ref, participant_ref)
    "upn",  # Unique Pupil Number, 13 characters with a check letter
    "category",  # one of `allowed` (with `value_synonyms`)
    "integer",  # a whole number (counts, sessions)
    "number",  # a real number (scores)
    "percent",  # 0-100; read from 58%, 58 or 0.58
    "yes_no",  # boolean; read from Y/N, yes/no, TRUE/FALSE, 1/0
    "date",  # day-first dates, ISO dates, Excel serials
    "likert",  # 1-5; read from numbers or strongly disagree ... strongly agree
    "year_group",  # -1 nursery, 0 reception, 1-14
    "sen_status",  # none / SEN support / EHC plan; read from census codes N/K/E or words
    "sex",  # female / male / other
    "sdq_item",  # an SDQ item answer 0-2, or not true / somewhat true / certainly true
]

PRE_WORDS = ("pre", "before", "baseline", "start")
POST_WORDS = ("post", "after", "followup", "end")


def normalise_header(text: object) -> str:
    """Lower-case a header and drop spaces, underscores, hyphens, full stops, %, brackets.

    >>> normalise_header("Attendance % (before)")
    'attendancebefore'
    """
    return re.sub(r"[\s_\-.%()\[\]{}/:#*'’\"]+", "", str(text).strip().lower())


@dataclass(frozen=True)
class Column:
    """One canonical column of a return.

    ``minimum``/``maximum`` are inclusive and in the processed unit (percent 0-100).
    ``identifying`` columns help link a child but are never written out as they are.
    """

    name: str
    kind: Kind
    label: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    value_synonyms: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    identifying: bool = False
    example: str = ""
    note: str = ""  # what a school must know to fill it in (template instructions)

    @property
    def header(self) -> str:
        """The plain-English heading a template writes for this column: its label without
        bracketed asides, first letter in capitals ("Attendance % in the window before
        support"). Ingestion reads it back as this column (:meth:`header_keys`).

        >>> Column("attendance_before", "percent", "Attendance % (of sessions) before").header
        'Attendance % before'
        """
        text = " ".join(re.sub(r"\s*\([^)]*\)", "", self.label).split())
        return text[:1].upper() + text[1:]

    def header_keys(self) -> set[str]:
        """Every normalised header that means this column (contract synonyms included, and
        the plain-English :attr:`header` of the templates).

        Aliases containing ``{}`` are stems for a pre/post pair: ``"fte {}"`` matches
        ``FTE before``, ``before FTE``, ``FTE (post)`` ... for the right member of the pair.
        """
        keys = {normalise_header(self.name), normalise_header(self.header)}
        keys |= {normalise_header(a) for a in self.aliases if "{}" not in a}
        stem, _, suffix = self.name.rpartition("_")
        words = {"pre": PRE_WORDS, "before": PRE_WORDS, "post": POST_WORDS, "after": POST_WORDS}
        if stem and suffix in words:
            stems = {normalise_header(stem)}
            stems |= {normalise_header(a) for a in self.aliases if "{}" in a}
            keys |= {s + w for s in stems for w in words[suffix]}
            keys |= {w + s for s in stems for w in words[suffix]}
        return keys


@dataclass(frozen=True)
class Rule:
    """A rule across columns. ``kind``: ``order`` (a <= b) or ``not_more`` (a <= b, counts)."""

    kind: Literal["order", "not_more"]
    first: str
    second: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """An outcome the report needs, and the columns any one of which can give it.

    A return with none of ``columns`` (nor, for ELSA, item answers scored into them) cannot
    give the outcome at all, so it is not ready to send.
    """

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ItemSet:
    """Questionnaire item answers a return may give instead of the scale totals.

    ``items`` maps the item's name in the published scoring (``measures``) to the column
    the answers are read into; ``scales`` maps each scored scale to the canonical column
    it fills. ``questionnaire`` names the scoring used (``"SDQ"``).
    """

    questionnaire: str
    occasion: str  # "pre" or "post"
    items: dict[str, Column]
    scales: dict[str, str]


@dataclass(frozen=True)
class Initiative:
    """An initiative: the unit of a row, its columns, rules and what pairs are pre/post."""

    key: str
    title: str
    unit: str  # "child" / "teacher"
    id_column: str  # pupil_id or participant_id in processed data
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    # columns of which at least one must be present (header) and filled (row)
    identifiers: tuple[str, ...] = ("upn", "pupil_ref")
    # (possible, attended, percent) triples: percent derived from sessions when returned
    session_sets: tuple[tuple[str, str, str], ...] = ()
    description: str = ""
    # outcomes the report needs: a return with no column for one is not ready to send
    outcomes: tuple[Outcome, ...] = ()
    # item answers that are scored into scale totals on ingestion (ELSA's SDQ)
    item_sets: tuple[ItemSet, ...] = ()
    # what to say when a return gives item answers this initiative cannot score
    item_level: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def header_lookup(self) -> dict[str, str]:
        """Normalised header → canonical name, including the identifying drop-list."""
        lookup: dict[str, str] = {}
        for col in self.columns:
            for key in col.header_keys():
                lookup.setdefault(key, col.name)
        return lookup

    def item_lookup(self) -> dict[str, tuple[ItemSet, str]]:
        """Normalised header → (item set, item name) for the item answers it can score."""
        lookup: dict[str, tuple[ItemSet, str]] = {}
        for item_set in self.item_sets:
            for item, col in item_set.items.items():
                for key in col.header_keys():
                    lookup.setdefault(key, (item_set, item))
        return lookup


# Columns that identify a person directly: recognised so they can be dropped on receipt.
DROPPED_HEADERS: dict[str, str] = {
    normalise_header(h): "name"
    for h in (
        "name",
        "first name",
        "firstname",
        "forename",
        "forenames",
        "given name",
        "surname",
        "last name",
        "family name",
        "pupil name",
        "child name",
        "full name",
        "legal surname",
        "legal forename",
        "preferred name",
        "teacher name",
        "participant name",
        "student name",
    )
}
DROPPED_HEADERS |= {
    normalise_header(h): "date_of_birth"
    for h in ("date of birth", "dob", "d.o.b", "birth date", "birthdate", "date_of_birth")
}
DROPPED_HEADERS |= {
    normalise_header(h): "address"
    for h in (
        "address",
        "home address",
        "postcode",
        "post code",
        "address line 1",
        "email",
        "parent email",
        "phone",
        "telephone",
        "contact number",
    )
}


def yes_no(name: str, label: str, **kw) -> Column:
    return Column(name, "yes_no", label, example="yes", **kw)


def pre_post(stem: str, kind: Kind, label: str, **kw) -> tuple[Column, Column]:
    """The ``<stem>_pre`` and ``<stem>_post`` pair of a measure."""
    return (
        Column(f"{stem}_pre", kind, f"{label} before support", **kw),
        Column(f"{stem}_post", kind, f"{label} after support (blank if not yet followed up)", **kw),
    )


def before_after(stem: str, kind: Kind, label: str, **kw) -> tuple[Column, Column]:
    """The ``<stem>_before`` and ``<stem>_after`` pair of a measure."""
    return (
        Column(f"{stem}_before", kind, f"{label} before support", **kw),
        Column(f"{stem}_after", kind, f"{label} after support (blank if not yet known)", **kw),
    )


def pupil_identity() -> tuple[Column, ...]:
    """The identity columns every pupil-level return shares (DATA_CONTRACT: Identity)."""
    return (
        Column(
            "upn",
            "upn",
            "Unique Pupil Number (13 characters, starts with a letter)",
            aliases=("unique pupil number",),
            identifying=True,
            example="A123456789012",
        ),
        Column(
            "pupil_ref",
            "ref",
            "Your own reference for the child, if no UPN",
            aliases=(
                "pupil reference",
                "child ref",
                "reference",
                "ref",
                "pupil id",
                "child id",
                "young person ref",
                "yp ref",
            ),
            identifying=True,
            example="EB-014",
        ),
        Column(
            "school",
            "text",
            "School name",
            required=True,
            aliases=("school name", "setting", "school/setting"),
            example="Oakfield Primary",
        ),
        Column(
            "year_group",
            "year_group",
            "National curriculum year group (R, 1-13)",
            required=True,
            aliases=("year", "nc year", "ncy", "yr", "year group"),
            minimum=-1,
            maximum=14,
            example="6",
        ),
        Column(
            "sex",
            "sex",
            "Sex (female / male / other)",
            aliases=("gender",),
            allowed=("female", "male", "other"),
            value_synonyms={"f": "female", "girl": "female", "m": "male", "boy": "male"},
            example="female",
        ),
        Column(
            "sen_status",
            "sen_status",
            "SEN status (N none, K SEN support, E EHC plan)",
            aliases=("sen", "send status", "send", "sen provision"),
            allowed=("none", "SEN support", "EHC plan"),
            example="K",
        ),
    )


SUSPENSIONS = tuple(
    dataclasses.replace(column, note=note)
    for column, note in zip(
        before_after(
            "suspensions",
            "integer",
            "Number of suspensions in the window",
            minimum=0,
            maximum=45,
            aliases=("fixed term exclusions {}", "fixed period exclusions {}", "fte {}"),
        ),
        (
            "count the suspensions in the window before support started (the window is "
            "6 months unless the return gives another length).",
            "count only the suspensions from the end of support (or joining the group) up "
            "to the follow-up date, if the return has one, and never beyond the window; "
            "leave it blank if there has been no follow-up yet. We compare rates over the "
            "time each child was actually followed, so a short follow-up is not a problem.",
        ),
        strict=True,
    )
)


#: Attendance as session counts in equal windows before and after support (DfE: two
#: possible sessions a day); attendance % is derived from them where they are returned.
SESSIONS = (
    *before_after(
        "possible_sessions",
        "integer",
        "Possible sessions (two a day) in the window",
        minimum=0,
        maximum=400,
        aliases=("sessions possible {}", "possible {}"),
    ),
    *before_after(
        "attended_sessions",
        "integer",
        "Sessions attended in the window",
        minimum=0,
        maximum=400,
        aliases=("sessions attended {}", "attended {}"),
    ),
)
SESSION_RULES = (
    Rule(
        "not_more",
        "attended_sessions_before",
        "possible_sessions_before",
        "attended sessions exceed possible sessions (before)",
    ),
    Rule(
        "not_more",
        "attended_sessions_after",
        "possible_sessions_after",
        "attended sessions exceed possible sessions (after)",
    ),
)
SESSION_SETS = (
    ("possible_sessions_before", "attended_sessions_before", "attendance_before"),
    ("possible_sessions_after", "attended_sessions_after", "attendance_after"),
)
