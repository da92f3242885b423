"""How an initiative is described: its columns, their types and ranges, and its row rules.

One description drives ingestion (header matching, parsing, validation), the school
templates (headers, dropdowns, ranges) and the synthetic demo data, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

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
    "likert",  # the ordinal case with AGREE_LEVELS scored 1-5 (kept as a name)
    "ordinal",  # one of `levels` (words, in order) or its score; processed as the score
    "multi",  # several of `allowed` in one cell (";", ",", "/", "and"); canonical, "; "-joined
    "year_group",  # -1 nursery, 0 reception, 1-14
    "sen_status",  # none / SEN support / EHC plan; read from census codes N/K/E or words
    "sex",  # female / male / other
    "sdq_item",  # an SDQ item answer 0-2, or not true / somewhat true / certainly true
]

PRE_WORDS = ("pre", "before", "baseline", "start")
POST_WORDS = ("post", "after", "followup", "end")

#: The five agree words of a Likert item, in order (scored 1-5).
AGREE_LEVELS = (
    "strongly disagree",
    "disagree",
    "neither agree nor disagree",
    "agree",
    "strongly agree",
)
AGREE_SYNONYMS = {"neither": "neither agree nor disagree", "neutral": "neither agree nor disagree",
                  "not sure": "neither agree nor disagree"}  # fmt: skip
AGREE_SCORES = (1, 2, 3, 4, 5)

Scale = Literal["interval", "ordinal"]
Direction = Literal["higher_is_better", "lower_is_better"]


@dataclass(frozen=True)
class Pair:
    """A measure taken before and after support: the two columns that hold it.

    Pairs are declared (``pre_post``/``before_after`` make them, or a definition lists
    them); nothing guesses a pair from a column name's suffix, so ``looked_after`` is never
    half of one.

    Attributes
    ----------
    name : str
        The pair's stem (``boxall_developmental``); headers such as ``Developmental (pre)``
        are matched through it and the columns' ``{}`` aliases.
    before, after : str
        Canonical column names.
    label : str
        What is measured, in words ("Boxall developmental section total (0-136)").
    higher_is_better : bool or None
        None where a direction means nothing (possible sessions).
    scale : "interval" or "ordinal"
        How reports treat the change (``reporting.paired_outcome(scale=...)``).
    same_as_baseline : tuple of str
        Columns a follow-up must share with its baseline to be compared with it (the SDQ
        informant: a parent's rating is not a follow-up of a teacher's); a year pack pairs
        terms only where these agree.
    """

    name: str
    before: str
    after: str
    label: str
    higher_is_better: bool | None = None
    scale: Scale = "interval"
    same_as_baseline: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, str]:
        return (self.before, self.after)


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
    # ordinal kinds: the word levels in order and their scores (default 0..n-1)
    levels: tuple[str, ...] = ()
    scores: tuple[int, ...] = ()
    # the declared pair this column is one half of (set by pre_post/before_after)
    pair: Pair | None = None

    def __post_init__(self) -> None:
        if self.kind == "likert" and not self.levels:
            object.__setattr__(self, "levels", AGREE_LEVELS)
            object.__setattr__(self, "scores", self.scores or AGREE_SCORES)
            synonyms = {**AGREE_SYNONYMS, **self.value_synonyms}
            object.__setattr__(self, "value_synonyms", synonyms)
        if self.kind in ("ordinal", "likert"):
            if not self.levels:
                raise ValueError(f"column {self.name!r}: an ordinal column needs its levels")
            if not self.scores:
                object.__setattr__(self, "scores", tuple(range(len(self.levels))))
            if len(self.scores) != len(self.levels):
                raise ValueError(f"column {self.name!r}: one score per level")
            if self.minimum is None:
                object.__setattr__(self, "minimum", float(min(self.scores)))
            if self.maximum is None:
                object.__setattr__(self, "maximum", float(max(self.scores)))
        if self.kind == "multi" and not self.allowed:
            raise ValueError(f"column {self.name!r}: a multi column needs its allowed values")

    @property
    def occasion(self) -> str:
        """``"before"`` or ``"after"`` for half of a declared pair, else ``""``."""
        if self.pair is None:
            return ""
        return "before" if self.pair.before == self.name else "after"

    def level_scores(self) -> dict[str, int]:
        """Word (lower case, single spaces) → score, synonyms included, for ordinal kinds."""
        found = {
            " ".join(w.lower().split()): s for w, s in zip(self.levels, self.scores, strict=True)
        }
        for word, level in self.value_synonyms.items():
            key = " ".join(level.lower().split())
            if key in found:
                found.setdefault(" ".join(word.lower().split()), found[key])
        return found

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

        Aliases containing ``{}`` are stems for a declared pair (:attr:`pair`): ``"fte {}"``
        matches ``FTE before``, ``before FTE``, ``FTE (post)`` ... for the right member of
        the pair. A column that is not half of a declared pair gets no such keys, whatever
        its name ends in.
        """
        keys = {normalise_header(self.name), normalise_header(self.header)}
        keys |= {normalise_header(a) for a in self.aliases if "{}" not in a}
        if self.pair is not None:
            words = PRE_WORDS if self.occasion == "before" else POST_WORDS
            stems = {normalise_header(self.pair.name)}
            stems |= {normalise_header(a) for a in self.aliases if "{}" in a}
            keys |= {s + w for s in stems for w in words}
            keys |= {w + s for s in stems for w in words}
        return keys

    def pair_stems(self) -> tuple[str, ...]:
        """The words a header may put beside before/after for this column (its pair's
        name in words, then each ``{}`` alias), in declared order; empty off a pair."""
        if self.pair is None:
            return ()
        stems = [self.pair.name.replace("_", " ")]
        stems += [" ".join(a.replace("{}", " ").split()) for a in self.aliases if "{}" in a]
        return tuple(dict.fromkeys(stems))


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
class ItemScale:
    """A questionnaire block: items answered before and after, combined into one score.

    Attributes
    ----------
    name, label : str
        ``"worries"``, ``"Worries about moving to secondary school"``.
    items : tuple of (before column, after column, item label)
    levels : tuple of str
        The answer words in order (empty for numeric items such as percentiles).
    direction : "higher_is_better" or "lower_is_better"
    combine : "sum" or "mean"
        How answered items make the score.
    min_answered : int
        The fewest answered items for a score (fewer gives none).
    """

    name: str
    label: str
    items: tuple[tuple[str, str, str], ...]
    levels: tuple[str, ...] = ()
    direction: Direction = "higher_is_better"
    combine: Literal["sum", "mean"] = "mean"
    min_answered: int = 1

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError(f"item scale {self.name!r} has no items")
        if not 1 <= self.min_answered <= len(self.items):
            raise ValueError(
                f"item scale {self.name!r}: min_answered must be 1 to {len(self.items)}, "
                f"not {self.min_answered}"
            )

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    @property
    def before(self) -> tuple[str, ...]:
        return tuple(b for b, _, _ in self.items)

    @property
    def after(self) -> tuple[str, ...]:
        return tuple(a for _, a, _ in self.items)


CostPer = Literal["term", "year", "session", "person"]


@dataclass(frozen=True)
class CostLine:
    """One line of what an initiative costs: ``CostLine("ELSA supervision", 2900, "term")``."""

    label: str
    amount_gbp: float
    per: CostPer = "term"


@dataclass(frozen=True)
class DemoReturn:
    """One school's or service's return in the demo data, each term.

    ``schools`` are the schools its rows belong to (default: ``name`` itself; a service or
    an area coordinator covers several); ``ref_prefix`` gives the rows the return's own
    references (``EB-014``) instead of UPNs; ``years`` the youngest and oldest year group.
    """

    name: str
    years: tuple[int, int] = (1, 6)
    schools: tuple[str, ...] = ()
    ref_prefix: str = ""
    fmt: Literal["xlsx", "csv"] = "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    rows: tuple[int, int] | None = None  # rows a term (default: the model's ``rows``)


#: A demo effect model: given a random generator and one row's values (before values
#: drawn, after values equal to them), the values that change (column name → value).
Effect = Callable[[np.random.Generator, dict], Mapping[str, object]]


@dataclass(frozen=True)
class DemoModel:
    """The only per-initiative code of the demo data (``dspl_eval.synth``).

    Everything else (headers, value spellings, planted errors) comes from the definition.

    Attributes
    ----------
    effect : callable or None
        ``effect(rng, row) -> {column: value}``, called for each row that has a follow-up:
        ``row`` holds the drawn values, after values equal to the before values. None: no
        change at all.
    cost : CostLine or None
        The demo's line in ``costs.csv``.
    returns : tuple of DemoReturn
        Who returns each term (default: two fictional schools).
    rows : (low, high)
        Rows per return per term.
    baseline : dict
        How values are drawn, per column: ``(mean, sd)`` a normal clipped to the column's
        range; a number: the chance of yes (yes/no) or a Poisson mean (integers); a dict:
        weights of categories (or, for ordinal columns, of levels).
    follow_up : float
        The share of rows with after values (the rest are waiting for follow-up).
    carry : float
        The share of a return's people who appear again the next term (same identifier).
    sessions : str, float or None
        ``costs.csv`` sessions delivered: a column to add up, or sessions per person.
    """

    effect: Effect | None = None
    cost: CostLine | None = None
    returns: tuple[DemoReturn, ...] = ()
    rows: tuple[int, int] = (6, 10)
    baseline: Mapping[str, object] = field(default_factory=dict)
    follow_up: float = 0.85
    carry: float = 0.15
    sessions: str | float | None = None


@dataclass(frozen=True)
class Initiative:
    """An initiative: the unit of a row, its columns, rules, pairs, item scales and nouns."""

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
    # nouns and a short label for reports ("young person"/"young people", "EBSA")
    person: str = ""
    people: str = ""
    short: str = ""
    # declared before/after pairs; by default those of the columns (``Column.pair``)
    pairs: tuple[Pair, ...] = ()
    # questionnaire blocks whose items are scored into one score
    item_scales: tuple[ItemScale, ...] = ()
    # the settings-file thresholds its report uses (``settings.THRESHOLDS`` keys), shown
    # in its "About this report"
    uses_thresholds: tuple[str, ...] = ()
    # instruments with published norms it uses: instrument → its scales, e.g.
    # {"sdq": ("emotional", ...)}; reliabilities and norm SDs may be set for these
    instruments: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.pairs:
            found = {c.pair.name: c.pair for c in self.columns if c.pair is not None}
            object.__setattr__(self, "pairs", tuple(found.values()))
        object.__setattr__(self, "person", self.person or self.unit)
        object.__setattr__(self, "people", self.people or _plural(self.person))
        object.__setattr__(self, "short", self.short or self.title)
        names = set(self.names)
        for pair in self.pairs:
            missing = [c for c in pair.columns if c not in names]
            if missing:
                raise ValueError(f"{self.key}: pair {pair.name!r} names no column {missing}")
        for scale in self.item_scales:
            missing = [c for b, a, _ in scale.items for c in (b, a) if c not in names]
            if missing:
                raise ValueError(f"{self.key}: item scale {scale.name!r} names no column {missing}")

    def pair(self, name: str) -> Pair:
        """The declared pair called ``name`` (KeyError naming the declared ones)."""
        for pair in self.pairs:
            if pair.name == name:
                return pair
        raise KeyError(f"{self.key} declares no pair {name!r}: {', '.join(self.pair_names)}")

    @property
    def pair_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pairs)

    def pair_of(self, column: str) -> Pair | None:
        """The declared pair ``column`` is half of, or None."""
        return next((p for p in self.pairs if column in p.columns), None)

    def item_scale(self, name: str) -> ItemScale:
        for scale in self.item_scales:
            if scale.name == name:
                return scale
        raise KeyError(f"{self.key} declares no item scale {name!r}")

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


def _plural(noun: str) -> str:
    irregular = {"child": "children", "person": "people", "young person": "young people"}
    if noun in irregular:
        return irregular[noun]
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def yes_no(name: str, label: str, **kw) -> Column:
    kw.setdefault("example", "yes")
    return Column(name, "yes_no", label, **kw)


def _pair_columns(
    stem: str,
    words: tuple[str, str],
    kind: Kind,
    label: str,
    blank: str,
    higher_is_better: bool | None,
    scale: Scale | None,
    kw: dict,
) -> tuple[Column, Column]:
    before, after = f"{stem}_{words[0]}", f"{stem}_{words[1]}"
    if scale is None:
        scale = "ordinal" if kind in ("ordinal", "likert") else "interval"
    same = tuple(kw.pop("same_as_baseline", ()))
    pair = Pair(stem, before, after, label, higher_is_better, scale, same)
    return (
        Column(before, kind, f"{label} before support", pair=pair, **kw),
        Column(after, kind, f"{label} after support ({blank})", pair=pair, **kw),
    )


def pre_post(
    stem: str,
    kind: Kind,
    label: str,
    *,
    higher_is_better: bool | None = None,
    scale: Scale | None = None,
    **kw,
) -> tuple[Column, Column]:
    """The ``<stem>_pre`` and ``<stem>_post`` columns of a measure, declared as a
    :class:`Pair` (``Column.pair``; the initiative collects it into ``pairs``)."""
    blank = "blank if not yet followed up"
    return _pair_columns(stem, ("pre", "post"), kind, label, blank, higher_is_better, scale, kw)


def before_after(
    stem: str,
    kind: Kind,
    label: str,
    *,
    higher_is_better: bool | None = None,
    scale: Scale | None = None,
    **kw,
) -> tuple[Column, Column]:
    """The ``<stem>_before`` and ``<stem>_after`` columns of a measure, declared as a
    :class:`Pair`."""
    blank = "blank if not yet known"
    return _pair_columns(stem, ("before", "after"), kind, label, blank, higher_is_better, scale, kw)


def attendance(**kw) -> tuple[Column, Column]:
    """``attendance_before``/``attendance_after`` (percent; higher is better)."""
    return before_after(
        "attendance",
        "percent",
        "Attendance % in the window",
        minimum=0,
        maximum=100,
        aliases=("attendance rate {}", "att {}"),
        higher_is_better=True,
        **kw,
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
            higher_is_better=False,
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
