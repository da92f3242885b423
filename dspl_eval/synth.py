"""Synthetic, deliberately messy termly returns for the demo, the tests and the benchmarks.

``write_demo`` writes ``raw/<term>/<initiative>/*.xlsx|csv`` the way real returns arrive
(DATA_CONTRACT): title rows and a merged "logo" title above the header, blank rows and
columns, notes columns, Total rows, extra sheets, header synonyms and odd casing, every
date, percentage, yes/no, year group and SEN style the contract allows, names and dates of
birth that ingestion must drop, and a handful of genuinely invalid and duplicate rows.
Everything it planted is listed in the returned :class:`DemoManifest`, so tests can check
ingestion row by row.

Everything comes from the initiative definitions (``dspl_eval.initiatives``): header
spellings from names, aliases and declared pairs; category values from allowed values and
synonyms; out-of-range values from the declared ranges; unreadable values from the kinds;
date-order errors from the rules. The only per-initiative code is the demo model declared
beside each definition (``DEMO = DemoModel(...)``): who returns, how values are drawn,
what changes before→after and a cost line. An initiative without one gets plain
no-change data; a broken one is a ConfigError naming what is wrong.

The data are fictional (schools, names, UPNs) and the effects are realistic rather than
real. Output is deterministic for a seed: CSV files and workbooks are byte-identical from
run to run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from stdnum.gb import upn as stdnum_upn

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import DEMOS, INITIATIVES
from dspl_eval.initiatives.base import (
    DROPPED_HEADERS,
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    normalise_header,
)
from dspl_eval.paths import DEMO_MARKER, check_term

DEMO_TERMS = ("2023-24-autumn", "2023-24-spring", "2023-24-summer")

#: Reasons a planted row should be quarantined (the DATA_CONTRACT rules).
BAD_UPN = "bad UPN check letter"
NO_IDENTIFIER = "no identifier"
OUT_OF_RANGE = "value out of range"
UNREADABLE = "unreadable value"
ATTENDED_GT_POSSIBLE = "attended > possible"
END_BEFORE_START = "end before start"
DUPLICATE = "duplicate of an earlier row"
TOTAL_ROW = "Total row"
REASONS = (
    BAD_UPN,
    NO_IDENTIFIER,
    OUT_OF_RANGE,
    UNREADABLE,
    ATTENDED_GT_POSSIBLE,
    END_BEFORE_START,
    DUPLICATE,
    TOTAL_ROW,
)

#: Pseudo-columns written beside the canonical ones (``DemoFile.headers`` meanings).
NAME, FIRST_NAME, SURNAME, DOB, NOTES, BLANK = (
    "name",
    "first_name",
    "surname",
    "date_of_birth",
    "notes",
    "",
)

CANARY = "Zebedee Quillfeather"
FIXED_TIME = dt.datetime(2024, 7, 19, 16, 0, 0)
_ZIP_TIME = (2024, 7, 19, 16, 0, 0)
_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
_WRITE_ONLY_CELLS = 20_000  # above this many cells a workbook is streamed (no merged title)

_MARKER_TEXT = """\
SYNTHETIC DEMO DATA - NOT REAL CHILDREN

Every file under this folder was written by `dspl-eval demo` (dspl_eval.synth.write_demo,
seed {seed}, scale {scale}). The schools, names, dates of birth and Unique Pupil Numbers
are invented; the UPNs have valid check letters but belong to nobody.

Ingestion pseudonymises this data with the built-in DEMO key, which is NOT secret. Never
use the demo key for real returns: set DSPL_EVAL_KEY or a key file outside the repository.
"""

# ----------------------------------------------------------------------------- fiction

_FIRST_NAMES = (
    "Alfie", "Amelia", "Archibald", "Bartholomew", "Beatrix", "Cosmo", "Clementine",
    "Dorian", "Delphine", "Ebenezer", "Elowen", "Fenwick", "Florentina", "Gideon",
    "Guinevere", "Horatio", "Hermione", "Ignatius", "Isadora", "Jethro", "Juniper",
    "Lysander", "Leocadia", "Montgomery", "Marigold", "Octavius", "Ottoline", "Peregrine",
    "Persephone", "Rufus", "Rosalind", "Septimus", "Saffron", "Thaddeus", "Tallulah",
    "Ulysses", "Wilhelmina", "Barnaby", "Cressida", "Evander", "Zoë", "Chloé", "Renée",
    "Jolyon", "Henrietta", "Caspian", "Araminta", "Lucian", "Philippa", "Crispin",
)  # fmt: skip
_SURNAMES = (
    "Quillfeather", "Thistlewood", "Marchbanks", "Pennyfeather", "Ravensworth",
    "Brackenbury", "Fairweather", "Hollowell", "Ashcroft-Lyle", "Bellweather",
    "Cobblestone", "Dunmore-Pike", "Featherstonehaugh", "Gravesend", "Hawksmoor",
    "Inglethorpe", "Jessop-Vane", "Kettleborough", "Larkspur", "Merriweather", "Nettlefold",
    "Oakenshaw", "Pettigrew", "Quenby", "Rookwood", "Sparrowhawk", "Tunnicliffe",
    "Underhill", "Vexley", "Wolstenholme", "Yarwood", "Ambridge-Coe", "Blenkinsop",
    "Crowthorne", "Dimbleby-Fox", "Elderkin", "Fotheringay", "Gostelow", "Hebblethwaite",
    "Ironmonger", "O'Flaherty", "Brontë-Hale", "Müller-Grey", "Ferrández", "Thackeray",
)  # fmt: skip
_CANARY_FIRST, _CANARY_SURNAME = CANARY.split()

_NOTES = (
    "Parent meeting held", "Part-time timetable", "CAMHS referral made", "Moved house in term",
    "Young carer", "EAL", "Open to Early Help", "Attendance improving", "Needs review",
    "Transition plan agreed", "Sibling also supported", "Awaiting EP visit",
)  # fmt: skip

# Local authority numbers stdnum knows (mostly Kent, 886, as in a DSPL area).
_LA_NUMBERS = (886, 886, 886, 886, 886, 887, 888, 212, 919)


# ----------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class PlantedRow:
    """A row written to be quarantined.

    ``row`` is the row number as Excel shows it (for a CSV: the line number). ``column`` is
    the canonical column holding the problem (``None`` for whole-row reasons), ``value`` the
    offending cell as written and ``duplicate_of`` the Excel row of the original.
    """

    row: int
    reason: str
    column: str | None = None
    value: str = ""
    duplicate_of: int | None = None


@dataclass(frozen=True)
class ExpectedRows:
    """What ingestion should count for a file.

    ``read``: non-blank rows below the header (children or teachers, planted bad rows and
    any Total row; blank rows are not read). ``read == kept + quarantined``. ``people`` is
    ``read`` without Total rows.
    """

    read: int
    kept: int
    quarantined: int
    people: int


@dataclass(frozen=True)
class DemoFile:
    """One written file and everything planted in it.

    ``headers`` pairs each header as written with its meaning: a canonical column name, one
    of the pseudo-columns ``name``/``first_name``/``surname``/``date_of_birth``/``notes``,
    or ``""`` for a blank column. ``data_rows`` are the Excel rows of every non-blank row
    below the header; ``kept_ids`` the UPNs (upper case), pupil refs or participant refs of
    the rows that should be kept, in order.
    """

    path: Path
    term: str
    initiative: str
    fmt: str
    sheet: str | None
    header_row: int
    headers: tuple[tuple[str, str], ...]
    data_rows: tuple[int, ...]
    invalid: tuple[PlantedRow, ...]
    kept_ids: tuple[str, ...]
    features: tuple[str, ...] = ()
    encoding: str = "utf-8"
    delimiter: str = ","
    sheets: tuple[str, ...] = ()

    @property
    def expected(self) -> ExpectedRows:
        read = len(self.data_rows)
        quarantined = len(self.invalid)
        totals = sum(p.reason == TOTAL_ROW for p in self.invalid)
        return ExpectedRows(read, read - quarantined, quarantined, read - totals)

    def column_of(self, canonical: str) -> str | None:
        """The header as written for ``canonical`` (``None`` when the file lacks it)."""
        return next((h for h, m in self.headers if m == canonical), None)


@dataclass
class DemoManifest:
    """Every file ``write_demo`` wrote, the rows planted as invalid, the identifying values.

    ``names`` holds every name written (full names, first names and surnames, as written);
    ``dates_of_birth`` every date of birth as written (text) and as ISO ``YYYY-MM-DD``.
    Neither may ever appear in processed data, quarantine files or reports.
    """

    data_root: Path
    seed: int
    scale: int
    terms: tuple[str, ...]
    files: list[DemoFile] = field(default_factory=list)
    costs: list[Path] = field(default_factory=list)
    marker: Path | None = None
    names: set[str] = field(default_factory=set)
    dates_of_birth: set[str] = field(default_factory=set)
    canary: str = CANARY

    def file(self, path: Path | str) -> DemoFile:
        """The record of the file at ``path`` (absolute, or relative to the data root)."""
        wanted = Path(path)
        for item in self.files:
            if item.path == wanted or item.path == self.data_root / wanted:
                return item
            if item.path.name == wanted.name and not wanted.parent.parts:
                return item
        raise KeyError(str(path))

    def expected_rows(self, file: DemoFile | Path | str) -> ExpectedRows:
        """Rows ingestion should read, keep and quarantine for one file."""
        item = file if isinstance(file, DemoFile) else self.file(file)
        return item.expected

    def select(self, term: str | None = None, initiative: str | None = None) -> list[DemoFile]:
        """The files of one term and/or initiative."""
        return [
            f
            for f in self.files
            if (term is None or f.term == term)
            and (initiative is None or f.initiative == initiative)
        ]

    @property
    def identifying_values(self) -> set[str]:
        """Names and dates of birth that must never leak."""
        return self.names | self.dates_of_birth

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (paths relative to the data root)."""
        return {
            "seed": self.seed,
            "scale": self.scale,
            "terms": list(self.terms),
            "canary": self.canary,
            "files": [
                {
                    "path": str(f.path.relative_to(self.data_root)),
                    "term": f.term,
                    "initiative": f.initiative,
                    "sheet": f.sheet,
                    "header_row": f.header_row,
                    "expected": f.expected.__dict__,
                    "features": list(f.features),
                    "invalid": [p.__dict__ for p in f.invalid],
                }
                for f in self.files
            ],
        }


# ----------------------------------------------------------------------------- people


@dataclass
class _Person:
    """A child or teacher who may appear in several terms' returns."""

    ident: str  # UPN, pupil ref or participant ref
    school: str
    first: str
    surname: str
    year_group: int = 0
    sex: str = "female"
    sen: str = "none"
    dob: dt.date | None = None
    state: dict = field(default_factory=dict)


@dataclass
class _World:
    """Random streams and bookkeeping shared by every generator."""

    seed: int
    scale: int
    used_ids: set[str] = field(default_factory=set)
    canary_used: bool = False
    ref_counter: dict[str, int] = field(default_factory=dict)

    def rng(self, *parts: int | str) -> np.random.Generator:
        """An independent stream for ``parts`` (strings hashed stably)."""
        words = [p if isinstance(p, int) else _stable_int(p) for p in parts]
        return np.random.default_rng([self.seed, *words])


def _stable_int(text: str) -> int:
    return int.from_bytes(text.encode("utf-8")[:16].ljust(16, b"\0"), "little") % (2**63)


@dataclass(frozen=True)
class _Term:
    name: str
    index: int
    start: dt.date
    end: dt.date
    label: str
    academic_year: int


def _term(name: str, index: int) -> _Term:
    year = int(check_term(name)[:4])
    season = name.rsplit("-", 1)[1]
    start, end, label = {
        "autumn": (dt.date(year, 9, 4), dt.date(year, 12, 20), f"Autumn {year}"),
        "spring": (dt.date(year + 1, 1, 3), dt.date(year + 1, 3, 27), f"Spring {year + 1}"),
        "summer": (dt.date(year + 1, 4, 15), dt.date(year + 1, 7, 19), f"Summer {year + 1}"),
    }[season]
    return _Term(name, index, start, end, label, year)


def make_upn(rng: np.random.Generator, entry_year: int, used: set[str]) -> str:
    """A fictional UPN with a correct check letter: letter + LA (3) + estab (4) + year (2) + 3.

    >>> from stdnum.gb import upn
    >>> upn.is_valid(make_upn(np.random.default_rng(1), 2019, set()))
    True
    """
    while True:
        la = int(rng.choice(_LA_NUMBERS))
        body = f"{la:03d}{int(rng.integers(1000, 8000)):04d}{entry_year % 100:02d}"
        body += f"{int(rng.integers(0, 1000)):03d}"
        upn = stdnum_upn.calc_check_digit(body) + body
        if upn not in used:
            used.add(upn)
            return upn


def bad_upn(upn: str) -> str:
    """``upn`` with a wrong check letter (the next letter of the alphabet stdnum uses)."""
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    return letters[(letters.index(upn[0]) + 7) % len(letters)] + upn[1:]


def _dob(rng: np.random.Generator, year_group: int, academic_year: int) -> dt.date:
    """A date of birth that puts a child in ``year_group`` in ``academic_year``."""
    first = dt.date(academic_year - 5 - year_group, 9, 1)
    return first + dt.timedelta(days=int(rng.integers(0, 365)))


def _days(rng: np.random.Generator, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=int(rng.integers(low, high + 1)))


def _clip_round(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(values), low, high).astype(int)


def _sessions(rng: np.random.Generator, rate: float) -> tuple[int, int]:
    """Possible sessions in a 30-60 day window (two a day) and attended at ``rate`` %."""
    possible = 2 * int(rng.integers(30, 61))
    attended = round(possible * float(np.clip(rate, 0, 100)) / 100)
    if 0 < 100 * attended / possible <= 1:  # "1" would be ambiguous (1% or 100%?)
        attended = 0
    return possible, attended


def _percent(possible: int | None, attended: int | None) -> float | None:
    if possible is None or attended is None or possible == 0:
        return None
    return round(100 * attended / possible, 1)


def _identity_record(person: _Person, ini: Initiative) -> dict[str, object]:
    """The identity columns of ``ini`` for ``person`` (and the names written beside them)."""
    names = set(ini.names)
    is_upn = len(person.ident) == 13 and not person.ident[0].isdigit() and "-" not in person.ident
    record: dict[str, object] = {}
    if "upn" in names:
        record["upn"] = person.ident if is_upn else None
    for ref in (n for n in ini.identifiers if n != "upn" and n in names):
        record[ref] = None if is_upn else person.ident
    values = {"school": person.school, "year_group": person.year_group, "sex": person.sex,
              "sen_status": person.sen}  # fmt: skip
    record |= {k: v for k, v in values.items() if k in names}
    record |= {FIRST_NAME: person.first, SURNAME: person.surname, DOB: person.dob}
    return record


# ----------------------------------------------------------------------------- drafts


@dataclass
class _Draft:
    """One return before styling: canonical records plus spare valid records to spoil."""

    ini: Initiative
    term: _Term
    stem: str
    fmt: str  # xlsx | csv
    columns: list[str]
    records: list[dict]
    spares: list[dict]
    title: str
    id_column: str = "upn"
    encoding: str = "utf-8"
    delimiter: str = ","
    position: int = 0  # which file of the initiative this is (drives layout variety)

    @property
    def initiative(self) -> str:
        return self.ini.key

    def kind(self, meaning: str) -> str | None:
        """The kind of a canonical column (None for pseudo-columns)."""
        return _kinds(self.ini).get(meaning)


_MEMO: dict[tuple[int, str], tuple[object, object]] = {}


def _memo(owner: object, name: str, make: Callable[[], object]) -> object:
    """``make()`` once per (owner object, name): definitions are frozen, so whatever is
    derived from one stays true while the object lives (it is kept alive here)."""
    found = _MEMO.get((id(owner), name))
    if found is None or found[0] is not owner:
        found = (owner, make())
        _MEMO[(id(owner), name)] = found
    return found[1]


def _kinds(ini: Initiative) -> dict[str, str]:
    return _memo(ini, "kinds", lambda: {c.name: c.kind for c in ini.columns})  # type: ignore[return-value]


# ----------------------------------------------------------------------------- the model

#: The returns of an initiative whose demo model names none.
_DEFAULT_RETURNS = (
    DemoReturn("Greenhollow Primary", years=(1, 6)),
    DemoReturn("Ashdown Academy", years=(7, 11)),
)
_FOLLOW_UP_AGAIN = 0.8  # a row waiting for follow-up is followed up the next term


def _model(ini: Initiative, model: object) -> DemoModel:
    """The demo model of ``ini`` (a no-change one for None), checked; ConfigError if bad."""
    where = f"the demo model of {ini.key!r} (DEMO in its module)"
    if model is None:
        return DemoModel()
    if not isinstance(model, DemoModel):
        raise ConfigError(f"{where} must be a DemoModel, not {type(model).__name__}")
    if model.effect is not None and not callable(model.effect):
        raise ConfigError(f"{where}: effect must be a function (rng, row) -> dict, or None")
    if model.cost is not None and not isinstance(model.cost, CostLine):
        raise ConfigError(f"{where}: cost must be a CostLine, not {model.cost!r}")
    if model.cost is not None and model.cost.per not in ("term", "year", "session", "person"):
        raise ConfigError(
            f"{where}: cost per {model.cost.per!r}: expected term/year/session/person"
        )
    if not all(isinstance(r, DemoReturn) for r in model.returns):
        raise ConfigError(f"{where}: returns must be DemoReturn items")
    for low, high in [model.rows, *(r.rows for r in model.returns if r.rows)]:
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
            raise ConfigError(f"{where}: rows must be (low, high) whole numbers, 1 <= low <= high")
    for name in ("follow_up", "carry"):
        value = getattr(model, name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"{where}: {name} must be a share from 0 to 1, not {value!r}")
    unknown = sorted(set(model.baseline) - set(ini.names))
    if unknown:
        raise ConfigError(f"{where}: baseline names no column {', '.join(unknown)}")
    if isinstance(model.sessions, str) and model.sessions not in ini.names:
        raise ConfigError(f"{where}: sessions names no column {model.sessions!r}")
    return model


def _ref_prefix(ini: Initiative, ret: DemoReturn) -> str:
    if ret.ref_prefix:
        return ret.ref_prefix
    words = re.findall(r"[A-Za-z]+", ini.short or ini.key)
    return "".join(w[0] for w in words).upper()[:3] or "REF"


def _uses_upn(ini: Initiative, ret: DemoReturn) -> bool:
    return "upn" in ini.identifiers and "upn" in ini.names and not ret.ref_prefix


def _ref_column(ini: Initiative) -> str:
    refs = [n for n in ini.identifiers if n != "upn" and n in ini.names]
    if not refs:
        raise ConfigError(f"{ini.key}: the demo needs a UPN or a reference identifier column")
    return refs[0]


def _new_people(
    world: _World,
    rng: np.random.Generator,
    ini: Initiative,
    model: DemoModel,
    ret: DemoReturn,
    n: int,
    term: _Term,
) -> list[_Person]:
    """``n`` new people of one return (its schools, year groups and identifiers)."""
    schools = ret.schools or (ret.name,)
    which = rng.integers(0, len(schools), n)
    sex_weights = model.baseline.get("sex")
    if isinstance(sex_weights, Mapping):
        sexes = [_weighted(rng, sex_weights) for _ in range(n)]
    else:
        sexes = list(rng.choice(["male", "female"], n, p=[0.6, 0.4]))
    sens = rng.choice(["none", "SEN support", "EHC plan"], n, p=[0.45, 0.45, 0.10])
    firsts = rng.integers(0, len(_FIRST_NAMES), n)
    surnames = rng.integers(0, len(_SURNAMES), n)
    people = []
    for i in range(n):
        year = int(rng.integers(ret.years[0], ret.years[1] + 1))
        if _uses_upn(ini, ret):
            ident = make_upn(rng, term.academic_year - year, world.used_ids)
        else:
            prefix = _ref_prefix(ini, ret)
            count = world.ref_counter.get(prefix, 0) + 1
            world.ref_counter[prefix] = count
            ident = f"{prefix}-{count:03d}"
        people.append(
            _Person(
                ident=ident,
                school=schools[int(which[i])],
                first=_FIRST_NAMES[int(firsts[i])],
                surname=_SURNAMES[int(surnames[i])],
                year_group=year,
                sex=str(sexes[i]),
                sen=str(sens[i]),
                dob=_dob(rng, year, term.academic_year),
            )
        )
    return people


def _weighted(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    values = list(weights)
    p = np.asarray([float(weights[v]) for v in values], dtype=float)
    return str(values[int(rng.choice(len(values), p=p / p.sum()))])


def _drafts(world: _World, ini: Initiative, model: DemoModel, terms: list[_Term]) -> list[_Draft]:
    """Every return of one initiative for every term: people, their rows, spare rows."""
    returns = model.returns or _DEFAULT_RETURNS
    layout = world.rng("layout", ini.key, "sizes")
    sizes = [
        layout.integers((r.rows or model.rows)[0], (r.rows or model.rows)[1] + 1, len(terms))
        for r in returns
    ]
    cohorts: dict[int, list[_Person]] = {i: [] for i in range(len(returns))}
    drafts = []
    for term in terms:
        rng = world.rng(ini.key, term.index)
        for i, ret in enumerate(returns):
            target = int(sizes[i][term.index]) * world.scale
            carried = [
                p
                for p in cohorts[i]
                if rng.random() < (_FOLLOW_UP_AGAIN if p.state["pending"] else model.carry)
            ][:target]
            fresh = _new_people(world, rng, ini, model, ret, target - len(carried) + 4, term)
            cohort = carried + fresh[: target - len(carried)]
            records = [_record(rng, ini, model, p, term) for p in cohort]
            spares = [
                _record(rng, ini, model, p, term, spare=True)
                for p in fresh[len(cohort) - len(carried) :]
            ]
            cohorts[i] = cohort
            uses_upn = _uses_upn(ini, ret)
            drafts.append(
                _Draft(
                    ini,
                    term,
                    f"{ini.short} return - {ret.name} - {term.label}",
                    ret.fmt,
                    _file_columns(world, ini, model, ret, i, term),
                    records,
                    spares,
                    f"{ini.title}: {ret.name} - {term.label}",
                    id_column="upn" if uses_upn else _ref_column(ini),
                    encoding=ret.encoding,
                    delimiter=ret.delimiter,
                    position=i,
                )
            )
    return drafts


# ----------------------------------------------------------------------------- one row


def _date_order(ini: Initiative) -> list[tuple[Column, list[str]]]:
    """Date columns in an order that puts each after the dates it must follow (its
    predecessors by the order rules)."""
    return _memo(ini, "date order", lambda: _make_date_order(ini))  # type: ignore[return-value]


def _make_date_order(ini: Initiative) -> list[tuple[Column, list[str]]]:
    dates = [c for c in ini.columns if c.kind == "date"]
    names = {c.name for c in dates}
    before = {c.name: [r.first for r in ini.rules if r.kind == "order" and r.second == c.name
                       and r.first in names] for c in dates}  # fmt: skip
    ordered: list[Column] = []
    placed: set[str] = set()
    while len(ordered) < len(dates):
        ready = [c for c in dates if c.name not in placed and set(before[c.name]) <= placed]
        if not ready:
            raise ConfigError(f"{ini.key}: its date order rules go round in a circle")
        for column in ready:
            ordered.append(column)
            placed.add(column.name)
    return [(c, before[c.name]) for c in ordered]


def _draw(rng: np.random.Generator, column: Column, spec: object) -> object:
    """One value of ``column`` drawn as the demo model's ``baseline`` says (or plainly)."""
    kind = column.kind
    low, high = column.minimum, column.maximum
    if kind == "yes_no":
        return bool(rng.random() < (float(spec) if isinstance(spec, int | float) else 0.5))
    if kind in ("category", "sex"):
        return (
            _weighted(rng, spec) if isinstance(spec, Mapping) else str(rng.choice(column.allowed))
        )
    if kind == "multi":
        weights = spec if isinstance(spec, Mapping) else dict.fromkeys(column.allowed, 1.0)
        first = _weighted(rng, weights)
        chosen = {first}
        if rng.random() < 0.3 and len(weights) > 1:
            chosen.add(_weighted(rng, {k: v for k, v in weights.items() if k != first}))
        return "; ".join(v for v in column.allowed if v in chosen)
    if kind in ("ordinal", "likert"):
        if isinstance(spec, Mapping):
            return column.level_scores()[_words(_weighted(rng, spec))]
        if isinstance(spec, tuple):
            return _nearest(float(rng.normal(*spec)), column.scores)
        return int(rng.choice(column.scores))
    if kind in ("integer", "number", "percent"):
        if isinstance(spec, tuple):
            value = float(rng.normal(*spec))
        elif isinstance(spec, int | float) and not isinstance(spec, bool):
            value = float(rng.poisson(float(spec)))
        elif low is not None and high is not None:
            value = float(rng.normal((low + high) / 2, (high - low) / 6))
        else:
            value = (low or 0) + float(rng.gamma(2, 3))
        return value
    if kind in ("text", "ref"):
        return spec if isinstance(spec, str) else (column.example or column.header)
    return None


def _words(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _nearest(value: float, scores: Sequence[int]) -> int:
    return int(min(scores, key=lambda s: (abs(s - value), s)))


def _settle(ini: Initiative, column: Column, value: object) -> object:
    """``value`` in the column's own terms: rounded, clipped to its range, checked."""
    where = f"demo data for {ini.key}, column {column.name}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    kind = column.kind
    try:
        if kind == "yes_no":
            if not isinstance(value, bool | int | np.bool_ | np.integer):
                raise TypeError
            return bool(value)
        if kind in ("integer", "number", "percent", "ordinal", "likert"):
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise TypeError from None
            if isinstance(value, bool) or not math.isfinite(number):
                raise TypeError
            if column.minimum is not None:
                number = max(number, column.minimum)
            if column.maximum is not None:
                number = min(number, column.maximum)
            if kind in ("ordinal", "likert"):
                return _nearest(number, column.scores)
            if kind == "integer":
                return round(number)
            if kind == "percent":
                return round(number, 1)
            span = (column.maximum or 100) - (column.minimum or 0)
            return round(number, 1) if span <= 20 else round(number)
        if kind == "date":
            if isinstance(value, dt.datetime):
                return value.date()
            if not isinstance(value, dt.date):
                raise TypeError
            return value
        if kind in ("category", "sex"):
            if value not in column.allowed:
                raise ValueError(f"{value!r} is not one of {', '.join(column.allowed)}")
            return value
        if kind == "multi":
            values = (
                [v.strip() for v in value.split(";")] if isinstance(value, str) else list(value)
            )  # type: ignore[arg-type]
            unknown = [v for v in values if v not in column.allowed]
            if unknown:
                raise ValueError(f"{unknown} not among {', '.join(column.allowed)}")
            return "; ".join(v for v in column.allowed if v in values) or None
        if kind in ("text", "ref"):
            return str(value)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    except TypeError:
        raise ConfigError(f"{where}: {value!r} is not a value of kind {kind}") from None
    return value


def _record(
    rng: np.random.Generator,
    ini: Initiative,
    model: DemoModel,
    person: _Person,
    term: _Term,
    spare: bool = False,
) -> dict:
    """One row for ``person`` this term: drawn values, the model's effect, checked."""
    state = person.state
    carried = bool(state)
    if not carried:
        state["base"] = {}
    base: dict = state["base"]
    record = _identity_record(person, ini)
    after_of = {p.after: p.before for p in ini.pairs}
    for column in ini.columns:
        if column.name in record or column.kind == "date" or column.name in after_of:
            continue
        if column.name not in base:
            base[column.name] = _settle(
                ini, column, _draw(rng, column, model.baseline.get(column.name))
            )
        record[column.name] = base[column.name]
    for column, previous in _date_order(ini):
        known = [record[p] for p in previous if record.get(p) is not None]
        if not previous and column.name in base:
            record[column.name] = base[column.name]
            continue
        if not previous:
            value = term.start + _days(rng, -21, 21)
            base[column.name] = value
        elif not known or (not column.required and rng.random() < 0.1):
            value = None
        else:
            start = max(max(known), term.start - dt.timedelta(days=14))
            latest = max(start, term.end - dt.timedelta(days=3))
            value = min(start + _days(rng, 7, 63), latest)
        record[column.name] = value
    for after, before in after_of.items():
        record[after] = record.get(before)
    for possible, attended, percent in ini.session_sets:
        _session_pair(rng, ini, record, possible, attended, percent)
    followed = spare or (rng.random() < model.follow_up)
    if model.effect is not None:
        _apply(rng, ini, model, record)
    for possible, attended, percent in ini.session_sets:
        _session_pair(rng, ini, record, possible, attended, percent)
    if not followed:
        for after in after_of:
            record[after] = None
    for possible, attended, percent in ini.session_sets:
        if record.get(percent) is None:
            record[possible] = record[attended] = None
    _check_rules(ini, record)
    state["pending"] = not followed
    record["_id"] = person.ident
    return record


def _session_pair(
    rng, ini: Initiative, record: dict, possible: str, attended: str, percent: str
) -> None:
    """Sessions possible and attended that give the row's percentage (two a day)."""
    rate = record.get(percent)
    if rate is None:
        record[possible] = record[attended] = None
        return
    if record.get(possible) is not None and record.get("_rate_" + percent) == rate:
        return
    pb, ab = _sessions(rng, float(rate))
    record[possible], record[attended] = pb, ab
    record[percent] = _percent(pb, ab)
    record["_rate_" + percent] = record[percent]


def _apply(rng: np.random.Generator, ini: Initiative, model: DemoModel, record: dict) -> None:
    """Run the model's effect on one row; a broken model is a ConfigError, never a crash."""
    where = f"the demo model of {ini.key!r}"
    try:
        changes = model.effect(rng, dict(record))  # type: ignore[misc]
    except Exception as error:  # a model's bug is reported as configuration
        raise ConfigError(f"{where}: its effect failed ({type(error).__name__}: {error})") from None
    if changes is None:
        return
    if not isinstance(changes, Mapping):
        raise ConfigError(
            f"{where}: its effect must return a dict of column -> value, not {changes!r}"
        )
    names = set(ini.names)
    unknown = sorted(str(k) for k in changes if k not in names)
    if unknown:
        raise ConfigError(f"{where}: its effect names no column {', '.join(unknown)}")
    for name, value in changes.items():
        record[name] = _settle(ini, ini.column(name), value)


def _check_rules(ini: Initiative, record: dict) -> None:
    """Refuse rows that break the definition's own rules (a model that would plant errors
    nobody asked for)."""
    for rule in ini.rules:
        first, second = record.get(rule.first), record.get(rule.second)
        if first is not None and second is not None and first > second:
            if rule.kind == "not_more":
                record[rule.first] = second
                continue
            raise ConfigError(
                f"the demo model of {ini.key!r} gives rows that break a rule: {rule.message} "
                f"({rule.first} {first} after {rule.second} {second})"
            )


def _file_columns(
    world: _World, ini: Initiative, model: DemoModel, ret: DemoReturn, position: int, term: _Term
) -> list[str]:
    """Which columns one file has, in order: identity, names, then the definition's."""
    rng = world.rng("columns", ini.key, position, term.index)
    k = position + term.index
    pupils = "upn" in ini.identifiers
    ident = ["upn"] if _uses_upn(ini, ret) else [_ref_column(ini)]
    if pupils:
        names = [NAME] if k % 2 else [FIRST_NAME, SURNAME]
        names += [DOB] if k % 3 != 1 else []
    else:
        names = [NAME] if position == 0 else []
    sessions = {n for triple in ini.session_sets for n in triple[:2]}
    percents = {triple[2] for triple in ini.session_sets}
    drop = percents if k % 2 else sessions
    needed = {c for o in ini.outcomes for c in o.columns} | {
        c for s in ini.item_scales for b, a, _ in s.items for c in (b, a)
    }
    needed |= {r.first for r in ini.rules} | {r.second for r in ini.rules}
    pair_in = {p.name: p.before in needed or rng.random() < 0.6 for p in ini.pairs}
    chosen = []
    for column in ini.columns:
        name = column.name
        if name in ident or column.identifying or name in drop:
            continue
        if column.required or name in needed or name in sessions | percents or name == "school":
            chosen.append(name)
        elif column.pair is not None:
            if pair_in.get(column.pair.name, True):
                chosen.append(name)
        elif column.kind not in ("text", "integer", "number") or rng.random() < 0.9:
            chosen.append(name)  # only plain extras are sometimes left out
    notes = [NOTES] if k % 2 == 0 else []
    return [*ident, *names, *chosen, *notes]


# ----------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class _Verbatim:
    """A cell written exactly as given (planted bad values)."""

    value: object


@dataclass(frozen=True)
class _Formatted:
    """A workbook cell with a number format (dates, fractions shown as %)."""

    value: object
    number_format: str


@dataclass(frozen=True)
class _Style:
    """How one file writes its values and lays out its sheet."""

    date: str
    date_alt: str
    dob: str
    percent: dict[str, str]
    yes_no: str
    year: str
    reception: str
    sen: str
    sex: int
    likert: str
    category: int
    missing: tuple[str | None, ...]
    pair: int
    casing: str
    header_pick: int
    title_rows: tuple[str, ...]
    merged: bool
    leading_blank_col: bool
    blank_col: bool
    blank_rows: int
    total: bool
    extra_sheets: str | None
    sheet: str


_XLSX_DATES = ("datetime", "datetime", "datetime", "dmy", "serial", "iso", "d_mon_y")
_CSV_DATES = ("dmy", "dmy", "dmy_short", "iso", "d_mon_y", "serial")
_MISSING_SETS = ((None,), (None, "N/A"), (None, "n/a", "-"), (None, "unknown", "not known"))


def _choose_style(world: _World, draft: _Draft) -> _Style:
    """Layout and value styles for one file (independent of ``scale``)."""
    rng = world.rng("layout", draft.initiative, draft.term.index, draft.position)
    k = draft.position + draft.term.index
    xlsx = draft.fmt == "xlsx"
    dates = _XLSX_DATES if xlsx else _CSV_DATES
    percent_styles = ("fraction", "whole", "sign", "mixed") if xlsx else ("whole", "sign", "mixed")
    groups = sorted({_percent_group(c.name) for c in draft.ini.columns if c.kind == "percent"})
    percent = {g: str(rng.choice(percent_styles)) for g in groups}
    if xlsx and draft.position == 2 and groups:
        percent[groups[0]] = "fraction"  # a school that formats percentage cells as 0%
    date = str(rng.choice(dates))
    title = draft.title
    extra = f"Completed by: {rng.choice(['SENCo', 'Inclusion lead', 'Service manager'])}"
    return _Style(
        date=date,
        date_alt=str(rng.choice([d for d in dates if d != date])),
        dob=str(rng.choice(("datetime", "dmy", "d_mon_y") if xlsx else ("dmy", "iso", "d_mon_y"))),
        percent=percent,
        yes_no=str(rng.choice(("YN", "yesno", "TF", "10"))),
        year=str(rng.choice(("int", "Y", "Year", "Yr"))),
        reception=str(rng.choice(("R", "Reception"))),
        sen=str(rng.choice(("codes", "words", "words2"))),
        sex=int(rng.integers(0, 4)),
        likert="words" if draft.position == 0 and draft.term.index != 1 else "numbers",
        category=int(rng.integers(0, 3)),
        missing=_MISSING_SETS[int(rng.integers(0, len(_MISSING_SETS)))],
        pair=int(rng.integers(0, 6)),
        casing=str(rng.choice(("as is", "as is", "upper", "lower"))),
        header_pick=int(rng.integers(0, 1000)),
        title_rows=() if k % 3 == 2 else (title, f"Term: {draft.term.label}", extra)[: 1 + k % 3],
        merged=xlsx and k % 2 == 0,
        leading_blank_col=k % 4 == 2,
        blank_col=k % 2 == 1,
        blank_rows=(1 + k % 2) if k % 3 != 0 else 0,
        total=k % 3 == 1,
        extra_sheets=(("before", "after", None)[k % 3]) if xlsx else None,
        sheet=str(rng.choice(("Data", "Return", draft.term.label, "Sheet1", "Pupils"))),
    )


# ----------------------------------------------------------------------------- headers

_SPLIT_NAMES = (
    ("First name", "Surname"),
    ("Forename", "Surname"),
    ("Legal forename", "Legal surname"),
    ("First Name", "Last name"),
)
_DOB_HEADERS = ("DOB", "Date of birth", "D.O.B")
_NOTES_HEADERS = ("Notes", "Comments", "Additional information")
_PAIR_PATTERNS = (
    ("{s} pre", "{s} post"),
    ("{s} (before)", "{s} (after)"),
    ("Baseline {s}", "Follow up {s}"),
    ("{S}_PRE", "{S}_POST"),
    ("{s} - start", "{s} - end"),
    ("{s} (pre)", "{s} (end)"),
)


def _spelling(text: str) -> str:
    """A header word as a person types it: first letter capital, known acronyms kept."""
    words = text.split()
    shout = {"sdq", "pass", "upn", "sen", "send", "ehcp", "ehc", "fte", "pe", "nc", "ncy"}
    words = [w.upper() if w.lower() in shout else w for w in words]
    out = " ".join(words)
    return out[:1].upper() + out[1:]


def header_for(ini: Initiative, meaning: str, style: _Style, salt: int = 0) -> str:
    """The header a file writes for ``meaning`` (a canonical column or a pseudo-column).

    Spellings come from the definition (the column's plain-English header, its name, its
    aliases; for half of a declared pair, its pair's stems in a before/after pattern).
    Only spellings that the initiative's ``header_lookup()`` maps back to ``meaning`` (or
    that ingestion drops, for names and dates of birth) are ever chosen.
    """
    options = [t for t in _header_options(ini, meaning, style) if _means(ini, t, meaning)]
    text = options[(style.header_pick + salt) % len(options)] if options else meaning
    if style.casing == "upper":
        return text.upper()
    if style.casing == "lower":
        return text.lower()
    return text


def _header_options(ini: Initiative, meaning: str, style: _Style) -> list[str]:
    if meaning in (FIRST_NAME, SURNAME):
        return [_SPLIT_NAMES[style.header_pick % len(_SPLIT_NAMES)][meaning == SURNAME]]
    if meaning == NAME:
        return ["Name", f"{ini.person.capitalize()} name", "Full name", "Pupil name"]
    if meaning == DOB:
        return list(_DOB_HEADERS)
    if meaning == NOTES:
        return list(_NOTES_HEADERS)
    column = ini.column(meaning)
    if column.pair is not None:
        before = column.occasion == "before"
        pattern = _PAIR_PATTERNS[style.pair][0 if before else 1]
        stems = [_spelling(s) for s in column.pair_stems()]
        chosen = stems[style.header_pick % len(stems)]
        return [
            pattern.format(s=chosen, S=chosen.replace("%", "").strip().upper().replace(" ", "_"))
        ]
    plain = [a for a in column.aliases if "{}" not in a]
    return list(
        dict.fromkeys(
            [column.header, column.name.upper(), *(_spelling(a) for a in plain), column.name]
        )
    )


def _means(ini: Initiative, header: str, meaning: str) -> bool:
    """True when ingestion reads ``header`` as ``meaning`` (or drops it, or ignores notes)."""
    key = normalise_header(header)
    lookup = _lookup(ini)
    if meaning in (NAME, FIRST_NAME, SURNAME, DOB):
        return DROPPED_HEADERS.get(key) == ("date_of_birth" if meaning == DOB else "name")
    if meaning == NOTES:
        return key not in lookup and key not in DROPPED_HEADERS and key not in _items(ini)
    return lookup.get(key) == meaning


def _lookup(ini: Initiative) -> dict[str, str]:
    return _memo(ini, "lookup", ini.header_lookup)  # type: ignore[return-value]


def _items(ini: Initiative) -> dict:
    return _memo(ini, "items", ini.item_lookup)  # type: ignore[return-value]


# ----------------------------------------------------------------------------- values

_SEN = {
    "codes": {"none": "N", "SEN support": "K", "EHC plan": "E"},
    "words": {"none": "None", "SEN support": "SEN support", "EHC plan": "EHC plan"},
    "words2": {"none": "No SEN", "SEN support": "SEN Support", "EHC plan": "EHCP"},
}
_YES_NO = {"YN": ("Y", "N"), "yesno": ("Yes", "No"), "TF": (True, False), "10": (1, 0)}
_MULTI_SEPARATORS = ("; ", ", ", " and ", " / ")


def category_spellings(column: Column) -> tuple[dict[str, str], ...]:
    """Three ways a school writes each allowed value of a category (or sex) column, from
    the definition: the value itself (capitalised), then its synonyms in turn.

    >>> from dspl_eval.initiatives.base import Column
    >>> col = Column("c", "category", "C", allowed=("school", "other"),
    ...              value_synonyms={"sch": "school"})
    >>> [s["school"] for s in category_spellings(col)]
    ['School', 'sch', 'SCHOOL']
    """
    styles = []
    for k in range(3):
        style = {}
        for value in column.allowed:
            synonyms = [s for s, v in column.value_synonyms.items() if v == value]
            options = [_spelling(value) if value.islower() else value, *synonyms]
            fallback = value.upper() if k == 2 else value.lower()
            style[value] = options[k] if k < len(options) else fallback
        styles.append(style)
    return tuple(styles)


def _level_text(column: Column, score: int, style_index: int) -> str:
    """An ordinal answer in words: the level (capitalised), or a synonym of it."""
    level = column.levels[column.scores.index(score)]
    synonyms = [s for s, v in column.value_synonyms.items() if v == level]
    options = [_spelling(level), level, *synonyms[:1]]
    return options[style_index % len(options)]


def _multi_text(column: Column, value: str, style_index: int) -> str:
    """A multi cell as written: canonical values or synonyms, with one of the separators.
    Checked against ingestion's own parser; any doubt falls back to ``"; "``."""
    from dspl_eval.clean import parser_for

    values = [v.strip() for v in value.split(";") if v.strip()]
    spelt = []
    for v in values:
        synonyms = [s for s, c in column.value_synonyms.items() if c == v]
        spelt.append(synonyms[0] if synonyms and style_index % 2 else v)
    text = _MULTI_SEPARATORS[style_index % len(_MULTI_SEPARATORS)].join(spelt)
    try:
        if parser_for(column)(text) == value:
            return text
    except ValueError:
        pass
    return "; ".join(values)


def _date_cell(value: dt.date, style: str) -> object:
    if style == "datetime":
        return _Formatted(dt.datetime(value.year, value.month, value.day), "dd/mm/yyyy")
    if style == "serial":
        return (value - dt.date(1899, 12, 30)).days
    if style == "iso":
        return value.isoformat()
    if style == "dmy_short":
        return f"{value.day}/{value.month}/{value.year % 100:02d}"
    if style == "d_mon_y":
        return f"{value.day} {value.strftime('%b')} {value.year}"
    return value.strftime("%d/%m/%Y")


def _number(value: float) -> int | float:
    value = round(float(value), 3)
    return int(value) if value.is_integer() else value


def _percent_cell(value: float, style: str, rng: np.random.Generator) -> object:
    if style == "fraction":
        return _Formatted(round(value / 100, 4), "0.0%")
    if style == "sign" or (style == "mixed" and rng.random() < 0.5):
        return f"{_number(value)}%"
    return _number(value)


def _percent_group(meaning: str) -> str:
    return "pass" if meaning.startswith("pass_") else meaning.split("_")[0]


def _format_cell(
    draft: _Draft,
    meaning: str,
    value: object,
    record: dict,
    style: _Style,
    rng: np.random.Generator,
) -> object:
    """One canonical value as this file writes it."""
    if isinstance(value, _Verbatim):
        return value.value
    if meaning == BLANK:
        return None
    if meaning == NAME:
        return record.get(NAME) or f"{record[FIRST_NAME]} {record[SURNAME]}"
    if meaning == NOTES:
        return str(rng.choice(_NOTES)) if rng.random() < 0.2 else None
    if value is None:
        return style.missing[int(rng.integers(0, len(style.missing)))]
    if meaning == DOB:
        return _date_cell(value, style.dob)  # type: ignore[arg-type]
    if meaning in (FIRST_NAME, SURNAME):
        return value
    kind = draft.kind(meaning) or "text"
    if kind == "date":
        return _date_cell(value, style.date_alt if rng.random() < 0.1 else style.date)  # type: ignore[arg-type]
    if kind == "percent":
        return _percent_cell(float(value), style.percent[_percent_group(meaning)], rng)  # type: ignore[arg-type]
    if kind == "yes_no":
        return _YES_NO[style.yes_no][0 if value else 1]
    if kind == "year_group":
        if value == 0:
            return style.reception
        return value if style.year == "int" else f"{style.year} {value}".replace("Y ", "Y")
    if kind == "sen_status":
        return _SEN[style.sen][value]  # type: ignore[index]
    column = draft.ini.column(meaning)
    if kind in ("sex", "category"):
        which = style.sex if kind == "sex" else style.category
        return category_spellings(column)[which % 3][value]  # type: ignore[index]
    if kind in ("likert", "ordinal"):
        if style.likert == "words" and value in column.scores:
            return _level_text(column, int(value), style.category)  # type: ignore[arg-type]
        return value
    if kind == "multi":
        return _multi_text(column, str(value), style.category)
    if kind == "upn":
        return value.lower() if rng.random() < 0.04 else value  # type: ignore[union-attr]
    if kind in ("integer", "number"):
        return _number(value)  # type: ignore[arg-type]
    return value


# ----------------------------------------------------------------------------- planting


@dataclass
class _Entry:
    """A row of the data block: a record, a blank row or the Total row."""

    kind: str  # child | invalid | duplicate | blank | total
    record: dict | None = None
    reason: str = ""
    column: str | None = None
    value: str = ""
    original: _Entry | None = None


#: Texts no parser of the kind reads (each is checked against ``clean`` before use).
_UNREADABLE_TEXTS = {
    "date": ("{bad_date}",),
    "integer": ("approx 100", "most", "5 or 6"),
    "number": ("not done yet", "about 60"),
    "percent": ("about 60", "approx 90"),
    "yes_no": ("maybe", "sometimes"),
    "likert": ("maybe", "sort of"),
    "ordinal": ("sort of", "maybe"),
    "year_group": ("Y2/3", "Y6/7"),
    "category": ("see notes", "ask office"),
    "sex": ("see notes",),
    "multi": ("see notes", "ask office"),
    "sen_status": ("pending",),
}


def _impossible_date(term: _Term) -> str:
    """A day that does not exist, in the term's months (31 September, 30 February ...)."""
    month = {9: "31/09", 1: "30/02", 4: "31/04"}[term.start.month]
    return f"{month}/{term.start.year}"


def _unreadable(column: Column, term: _Term) -> list[str]:
    """The texts of :data:`_UNREADABLE_TEXTS` that ingestion really cannot read."""
    return _memo(column, f"unreadable {term.name}", lambda: _find_unreadable(column, term))  # type: ignore[return-value]


def _find_unreadable(column: Column, term: _Term) -> list[str]:
    from dspl_eval.clean import CellError, is_missing, parser_for

    found = []
    for text in _UNREADABLE_TEXTS.get(column.kind, ()):
        text = text.replace("{bad_date}", _impossible_date(term))
        if is_missing(text):
            continue
        try:
            parser_for(column)(text)
        except CellError:
            found.append(text)
    return found


def _out_of_range(column: Column) -> list[float]:
    """Values just outside the column's declared range (and readable as its kind)."""
    kind, low, high = column.kind, column.minimum, column.maximum
    if kind not in ("integer", "number", "percent", "likert", "ordinal", "year_group"):
        return []
    if kind == "year_group":
        return [high + 2] if high is not None and high < 13 else []
    step = {"percent": 12, "number": 4}.get(kind, 2 if (high or 0) > 10 else 1)
    values = []
    if high is not None:
        values.append(high + step)
    if low is not None:
        values.append(low - step)
    return [_number(v) for v in values]


def _spoilers(draft: _Draft, style: _Style) -> dict[str, list[tuple[str | None, Callable]]]:
    """Every way this file can spoil a spare record, by reason: (column, mutate)."""
    cols, ini = set(draft.columns), draft.ini
    found: dict[str, list[tuple[str | None, Callable]]] = {}

    def add(reason: str, column: str | None, mutate: Callable) -> None:
        found.setdefault(reason, []).append((column, mutate))

    if "upn" in cols:
        add(BAD_UPN, "upn", lambda r, g: _put(r, "upn", bad_upn(r["upn"])))
    add(NO_IDENTIFIER, draft.id_column, lambda r, g: _put(r, draft.id_column, ""))
    for column in ini.columns:
        if column.name not in cols or column.identifying:
            continue
        fraction = (
            column.kind == "percent" and style.percent[_percent_group(column.name)] == "fraction"
        )
        for value in [] if fraction else _out_of_range(column):
            written = (
                _percent_cell(
                    value, style.percent[_percent_group(column.name)], np.random.default_rng(0)
                )
                if column.kind == "percent"
                else value
            )
            add(OUT_OF_RANGE, column.name, lambda r, g, c=column.name, w=written: _put(r, c, w))
        for text in _unreadable(column, draft.term):
            add(UNREADABLE, column.name, lambda r, g, c=column.name, t=text: _put(r, c, t))
    for rule in ini.rules:
        if not {rule.first, rule.second} <= cols:
            continue
        if rule.kind == "not_more":
            add(ATTENDED_GT_POSSIBLE, rule.first, _more_than(rule.first, rule.second))
        elif draft.kind(rule.first) == draft.kind(rule.second) == "date":
            add(END_BEFORE_START, rule.second, _end_before_start(rule.first, rule.second))
    return found


def _put(record: dict, column: str, value: object) -> str:
    record[column] = _Verbatim(value if value != "" else None)
    return "" if value == "" else str(value)


def _more_than(first: str, second: str) -> Callable[[dict, np.random.Generator], str]:
    def spoil(record: dict, rng: np.random.Generator) -> str:
        if record.get(second) is None:
            record[second] = 100
        record[first] = record[second] + int(rng.integers(2, 11))
        return str(record[first])

    return spoil


def _end_before_start(start: str, end: str) -> Callable[[dict, np.random.Generator], str]:
    def spoil(record: dict, rng: np.random.Generator) -> str:
        if record.get(start) is None:  # e.g. no support: give it a start, then an earlier end
            dates = [v for v in record.values() if isinstance(v, dt.date)]
            record[start] = max(dates) + dt.timedelta(days=7) if dates else FIXED_TIME.date()
        record[end] = record[start] - _days(rng, 7, 30)
        return record[end].strftime("%d/%m/%Y")

    return spoil


def _plan_rows(world: _World, drafts: list[_Draft], styles: list[_Style]) -> list[list[_Entry]]:
    """The data block of each draft of one initiative and term, with planted rows."""
    rng = world.rng("plant", drafts[0].initiative, drafts[0].term.index)
    blocks = [[_Entry("child", r) for r in d.records] for d in drafts]
    n_invalid, n_dup = int(rng.integers(2, 6)), int(rng.integers(1, 3))
    used: set[str] = set()
    for _ in range(n_invalid):
        options = [i for i, d in enumerate(drafts) if d.spares]
        if not options:
            break
        i = int(rng.choice(options))
        spoilers = _spoilers(drafts[i], styles[i])
        record = dict(drafts[i].spares.pop())
        reasons = [r for r in REASONS if r in spoilers]
        fresh = [r for r in reasons if r not in used] or reasons
        reason = fresh[int(rng.integers(0, len(fresh)))]
        ways = spoilers[reason]
        column, mutate = ways[int(rng.integers(0, len(ways)))]
        value = mutate(record, rng)
        used.add(reason)
        blocks[i].insert(
            int(rng.integers(0, len(blocks[i]) + 1)),
            _Entry("invalid", record, reason, column, value),
        )
    for _ in range(n_dup):
        choices = [i for i, b in enumerate(blocks) if any(e.kind == "child" for e in b)]
        if not choices:
            break
        i = int(rng.choice(choices))
        children = [e for e in blocks[i] if e.kind == "child"]
        original = children[int(rng.integers(0, len(children)))]
        at = blocks[i].index(original) + 1
        entry = _Entry("duplicate", dict(original.record), DUPLICATE, None, "", original)
        blocks[i].insert(int(rng.integers(at, len(blocks[i]) + 1)), entry)
    for block, style in zip(blocks, styles, strict=True):
        for _ in range(style.blank_rows):
            block.insert(int(rng.integers(1, max(len(block), 2))), _Entry("blank"))
        if style.total:
            block.append(_Entry("total", reason=TOTAL_ROW))
    return blocks


# ----------------------------------------------------------------------------- rendering


@dataclass
class _Sheet:
    """Rows of cells as they go into a sheet (or CSV), plus where the header sits."""

    rows: list[list[object]]
    header_row: int  # 1-based
    width: int


def _total_cells(
    draft: _Draft, columns: list[str], records: list[dict], style: _Style, label_at: int
) -> list[object]:
    """A "Total" row: the label, column sums of counts and mean percentages, nothing else."""
    cells: list[object] = []
    in_scale = {c for s in draft.ini.item_scales for b, a, _ in s.items for c in (b, a)}
    for position, meaning in enumerate(columns):
        kind = draft.kind(meaning)
        values = [
            r[meaning]
            for r in records
            if isinstance(r.get(meaning), int | float) and not isinstance(r.get(meaning), bool)
        ]
        if position == label_at:
            cells.append("Total")
        elif kind in ("integer", "number") and values and meaning not in in_scale:
            cells.append(_number(sum(values)))
        elif kind == "percent" and values:
            cells.append(
                _percent_cell(
                    sum(values) / len(values),
                    style.percent[_percent_group(meaning)],
                    np.random.default_rng(0),
                )
            )
        else:
            cells.append(None)
    return cells


def _render(
    draft: _Draft, style: _Style, block: list[_Entry], world: _World, manifest: DemoManifest
) -> tuple[_Sheet, list[tuple[str, str]], list[PlantedRow], list[str], list[int]]:
    """Cells of the data sheet, headers, planted rows (Excel numbers), kept ids, data rows."""
    rng = world.rng("cells", draft.initiative, draft.term.index, draft.position)
    columns = list(draft.columns)
    if style.blank_col:
        columns.insert(len(columns) // 2, BLANK)
    headers = [
        header_for(draft.ini, m, style, salt=i) if m != BLANK else "" for i, m in enumerate(columns)
    ]
    lead = [None] if style.leading_blank_col else []
    top: list[list[object]] = []
    if style.merged:
        top.append([*lead, draft.title])
        top.append([])  # the merged title spans two rows
        top.extend([[*lead, t] for t in style.title_rows[1:]])
    else:
        top.extend([[*lead, t] for t in style.title_rows])
    if top:
        top.append([])
    header_row = len(top) + 1
    rows = [*top, [*lead, *headers]]
    planted: list[PlantedRow] = []
    kept: list[str] = []
    data_rows: list[int] = []
    where: dict[int, int] = {}
    label_at = next(
        i for i, m in enumerate(columns) if m in ("upn", "pupil_ref", "participant_ref", "school")
    )
    records = [e.record for e in block if e.kind == "child" and e.record is not None]
    for entry in block:
        excel_row = len(rows) + 1
        if entry.kind == "blank":
            rows.append([])
            continue
        data_rows.append(excel_row)
        if entry.kind == "total":
            rows.append([*lead, *_total_cells(draft, columns, records, style, label_at)])
            planted.append(PlantedRow(excel_row, TOTAL_ROW))
            continue
        record = entry.record or {}
        where[id(entry)] = excel_row
        rows.append(
            [*lead, *(_format_cell(draft, m, record.get(m), record, style, rng) for m in columns)]
        )
        _remember_identity(manifest, columns, record, rows[-1][len(lead) :])
        if entry.kind == "child":
            kept.append(str(record["_id"]).upper())
        elif entry.kind == "duplicate":
            original = where[id(entry.original)]
            planted.append(PlantedRow(excel_row, DUPLICATE, None, "", original))
        else:
            cell = rows[-1][len(lead) + columns.index(entry.column)] if entry.column else None
            planted.append(PlantedRow(excel_row, entry.reason, entry.column, _csv_text(cell)))
    width = len(lead) + len(columns)
    return (
        _Sheet(rows, header_row, width),
        list(zip(headers, columns, strict=True)),
        planted,
        kept,
        data_rows,
    )


def _remember_identity(
    manifest: DemoManifest, columns: list[str], record: dict, cells: list[object]
) -> None:
    for meaning, cell in zip(columns, cells, strict=True):
        if meaning in (NAME, FIRST_NAME, SURNAME) and cell:
            manifest.names.add(str(cell))
        elif meaning == DOB and record.get(DOB):
            value = cell.value if isinstance(cell, _Formatted) else cell
            manifest.dates_of_birth.add(record[DOB].isoformat())
            if isinstance(value, str):
                manifest.dates_of_birth.add(value)
    if NAME in columns and FIRST_NAME in record:
        manifest.names.update((record[FIRST_NAME], record[SURNAME]))


# ----------------------------------------------------------------------------- writing

_INSTRUCTIONS = (
    ("How to complete this return",),
    (),
    ("1. One row for each child (or teacher). Please do not change the column headings.",),
    ("2. Dates as dd/mm/yyyy. Leave a cell blank if you do not know.",),
    ("3. Save the file and send it to the DSPL data team by the last week of term.",),
)
_LISTS = (
    ("Year groups", "SEN codes", "Yes/No", "Sex"),
    ("R", "N", "Y", "F"),
    *(
        (str(y), c, yn, s)
        for y, c, yn, s in zip(range(1, 12), ("K", "E"), ("N",), ("M",), strict=False)
    ),
    *((str(y),) for y in range(2, 12)),
)


def _write_csv(path: Path, sheet: _Sheet, encoding: str, delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in sheet.rows:
        cells = [_csv_text(c) for c in row]
        writer.writerow(cells + [""] * (sheet.width - len(cells)))
    path.write_bytes(buffer.getvalue().encode(encoding))


def _csv_text(cell: object) -> str:
    if isinstance(cell, _Formatted):
        cell = cell.value
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, dt.datetime):
        return cell.strftime("%d/%m/%Y")
    return str(cell)


def _write_xlsx(path: Path, sheet: _Sheet, style: _Style, title: str) -> tuple[str, ...]:
    """A workbook with the data sheet (and any extra sheets), byte-stable for a seed."""
    stream = sum(len(r) for r in sheet.rows) > _WRITE_ONLY_CELLS
    book = Workbook(write_only=stream)
    book.properties.created = book.properties.modified = FIXED_TIME
    book.properties.creator = book.properties.lastModifiedBy = "dspl-eval demo"
    names: list[str] = []
    if not stream:
        book.remove(book.active)
    if style.extra_sheets == "before":
        _extra_sheets(book, names)
    data = book.create_sheet(style.sheet)
    names.append(style.sheet)
    if stream:
        for row in sheet.rows:
            data.append([_stream_cell(data, c) for c in row])
    else:
        _fill_sheet(data, sheet, style)
    if style.extra_sheets == "after":
        _extra_sheets(book, names)
    buffer = io.BytesIO()
    book.save(buffer)
    _stable_zip(buffer, path)
    return tuple(names)


def _extra_sheets(book: Workbook, names: list[str]) -> None:
    for title, rows in (("Instructions", _INSTRUCTIONS), ("Lists", _LISTS)):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        names.append(title)


def _stream_cell(sheet, cell: object) -> object:
    if isinstance(cell, _Formatted):
        written = WriteOnlyCell(sheet, value=cell.value)
        written.number_format = cell.number_format
        return written
    return cell


def _fill_sheet(data, sheet: _Sheet, style: _Style) -> None:
    for row in sheet.rows:
        data.append([c.value if isinstance(c, _Formatted) else c for c in row])
    for r, row in enumerate(sheet.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if isinstance(cell, _Formatted):
                data.cell(r, c).number_format = cell.number_format
    first = 2 if style.leading_blank_col else 1
    if style.merged:
        data.merge_cells(start_row=1, start_column=first, end_row=2, end_column=first + 7)
        data.cell(1, first).font = Font(bold=True, size=16)
    for c in range(first, sheet.width + 1):
        data.cell(sheet.header_row, c).font = Font(bold=True)


def _stable_zip(buffer: io.BytesIO, path: Path) -> None:
    """Rewrite the workbook's zip with fixed timestamps so equal content is equal bytes."""
    buffer.seek(0)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + _STAMP, data)
            target.writestr(fixed, data)


def _features(draft: _Draft, style: _Style, planted: list[PlantedRow]) -> tuple[str, ...]:
    found = [
        f"{draft.fmt} ({draft.encoding}, '{draft.delimiter}')" if draft.fmt == "csv" else "xlsx"
    ]
    flags = {
        "title rows": bool(style.title_rows) or style.merged,
        "merged title": style.merged,
        "leading blank column": style.leading_blank_col,
        "blank column": style.blank_col,
        "blank rows": style.blank_rows > 0,
        "Total row": style.total,
        f"extra sheets {style.extra_sheets} data": style.extra_sheets is not None,
        "names": any(c in draft.columns for c in (NAME, FIRST_NAME)),
        "date of birth": DOB in draft.columns,
        "notes column": NOTES in draft.columns,
        "sessions": "possible_sessions_before" in draft.columns,
        "likert words": style.likert == "words"
        and any(draft.kind(c) == "likert" for c in draft.columns),
        "ordinal words": style.likert == "words"
        and any(draft.kind(c) == "ordinal" for c in draft.columns),
    }
    found += [name for name, on in flags.items() if on]
    found += [
        f"{g} percentages: {s}"
        for g, s in style.percent.items()
        if any(
            c.startswith(g) or c.startswith(f"{g}_")
            for c in draft.columns
            if draft.kind(c) == "percent"
        )
    ]
    found += [
        f"dates: {style.date} (+{style.date_alt})",
        f"yes/no: {style.yes_no}",
        f"year groups: {style.year}",
        f"SEN: {style.sen}",
        f"header pairs: {style.pair}",
        f"header casing: {style.casing}",
    ]
    found += sorted({p.reason for p in planted})
    return tuple(found)


def _write_draft(
    root: Path,
    draft: _Draft,
    style: _Style,
    block: list[_Entry],
    world: _World,
    manifest: DemoManifest,
) -> DemoFile:
    sheet, headers, planted, kept, data_rows = _render(draft, style, block, world, manifest)
    folder = root / "raw" / draft.term.name / draft.initiative
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{draft.stem}.{draft.fmt}"
    if draft.fmt == "csv":
        _write_csv(path, sheet, draft.encoding, draft.delimiter)
        sheets: tuple[str, ...] = ()
    else:
        sheets = _write_xlsx(path, sheet, style, draft.title)
    return DemoFile(
        path=path,
        term=draft.term.name,
        initiative=draft.initiative,
        fmt=draft.fmt,
        sheet=style.sheet if draft.fmt == "xlsx" else None,
        header_row=sheet.header_row,
        headers=tuple(headers),
        data_rows=tuple(data_rows),
        invalid=tuple(sorted(planted, key=lambda p: p.row)),
        kept_ids=tuple(kept),
        features=_features(draft, style, planted),
        encoding=draft.encoding,
        delimiter=draft.delimiter,
        sheets=sheets,
    )


# ----------------------------------------------------------------------------- costs


def _write_costs(
    root: Path,
    term: _Term,
    drafts: list[_Draft],
    world: _World,
    models: Mapping[str, DemoModel],
) -> Path:
    """``raw/<term>/costs.csv``: initiative, cost_gbp, sessions_delivered, notes — one line
    per initiative whose demo model has a :class:`CostLine`."""
    rng = world.rng("costs", term.index)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["initiative", "cost_gbp", "sessions_delivered", "notes"])
    terms_a_year = 3
    for key, model in models.items():
        line = model.cost
        if line is None:
            continue
        mine = [d for d in drafts if d.initiative == key and d.term == term]
        people = sum(len(d.records) for d in mine)
        if isinstance(model.sessions, str):
            sessions: float | None = float(
                sum(float(r[model.sessions] or 0) for d in mine for r in d.records)
            )
        elif model.sessions is not None:
            sessions = float(model.sessions) * people
        else:
            sessions = None
        jitter = float(rng.uniform(0.92, 1.08))
        cost = {
            "term": line.amount_gbp * world.scale,
            "year": line.amount_gbp / terms_a_year * world.scale,
            "person": line.amount_gbp * people,
            "session": line.amount_gbp * (sessions or 0),
        }[line.per] * jitter
        shown = "" if sessions is None else _number(round(sessions))
        writer.writerow([key, f"{cost:.2f}", shown, line.label])
    path = root / "raw" / term.name / "costs.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


# ----------------------------------------------------------------------------- entry point


def _prepare(raw: Path, terms: Iterable[str]) -> None:
    """Clear earlier demo output for ``terms``; refuse to write beside real returns.

    Without the demo marker, any file under ``raw`` is taken for a real return: the
    marker is written next (before anything else), so it must never mark real data."""
    is_demo = (raw / DEMO_MARKER).is_file()
    if not is_demo and raw.is_dir():
        real = next((p for p in sorted(raw.rglob("*")) if p.is_file()), None)
        if real is not None:
            folder = next((raw / t for t in terms if (raw / t) in real.parents), real.parent)
            raise ConfigError(
                f"{folder} holds returns that are not demo data: write the demo to another "
                "--data folder (e.g. data/demo)"
            )
    for term in terms:
        folder = raw / term
        if folder.exists():
            shutil.rmtree(folder)


def write_demo(
    data_root: Path,
    seed: int = 1,
    scale: int = 1,
    terms: Sequence[str] = DEMO_TERMS,
    *,
    initiatives: Mapping[str, Initiative] | None = None,
    models: Mapping[str, DemoModel | None] | None = None,
) -> DemoManifest:
    """Write synthetic, deliberately messy returns for ``terms`` under ``data_root/raw``.

    Parameters
    ----------
    data_root : Path
        The data root; files go to ``raw/<term>/<initiative>/`` and ``raw/<term>/costs.csv``,
        with the marker ``raw/DEMO_DATA.txt`` (written first, so a demo that fails part way
        can simply be run again). Earlier demo output for these terms is replaced; a
        folder holding real returns is refused (ConfigError).
    seed : int
        Same seed, same bytes.
    scale : int
        Multiplies the number of children and teachers (1 is realistic; benchmarks use 100+).
        Planted invalid rows, duplicates and layouts do not change with ``scale``.
    terms : sequence of str
        Terms in order, ``YYYY-YY-autumn|spring|summer``; children carry over between them.
    initiatives, models : mapping, optional
        The initiatives to write (default: every discovered one) and their demo models
        (default: each module's ``DEMO``; a missing model gives no-change data).

    Returns
    -------
    DemoManifest
        Every file written, its planted invalid rows and the names and dates of birth used.

    Raises
    ------
    ConfigError
        A bad scale or term, a folder of real returns, or a demo model that cannot work
        (named, with what is wrong).
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ConfigError(f"scale must be a whole number of at least 1, not {scale!r}")
    terms = tuple(terms)
    if not terms:
        raise ConfigError("write_demo needs at least one term")
    term_objs = [_term(t, i) for i, t in enumerate(terms)]
    chosen = dict(INITIATIVES if initiatives is None else initiatives)
    given = DEMOS if models is None else models
    checked = {key: _model(ini, given.get(key)) for key, ini in sorted(chosen.items())}
    root = Path(data_root)
    raw = root / "raw"
    _prepare(raw, terms)
    raw.mkdir(parents=True, exist_ok=True)
    marker = raw / DEMO_MARKER
    marker.write_text(_MARKER_TEXT.format(seed=seed, scale=scale), encoding="utf-8")
    world = _World(int(seed), int(scale))
    manifest = DemoManifest(root, int(seed), int(scale), terms)
    manifest.marker = marker
    drafts = [
        d for key, model in checked.items() for d in _drafts(world, chosen[key], model, term_objs)
    ]
    _plant_canary(drafts, term_objs[-1])
    for key in checked:
        for term in term_objs:
            group = [d for d in drafts if d.initiative == key and d.term == term]
            if not group:
                continue
            styles = [_choose_style(world, d) for d in group]
            blocks = _plan_rows(world, group, styles)
            for draft, style, block in zip(group, styles, blocks, strict=True):
                manifest.files.append(_write_draft(root, draft, style, block, world, manifest))
    manifest.costs = [_write_costs(root, t, drafts, world, checked) for t in term_objs]
    return manifest


def _plant_canary(drafts: list[_Draft], last: _Term) -> None:
    """Give one kept row of the last term (so it is in exactly one file) the canary name,
    in a file with a full-name column (so the whole name is written in one cell)."""
    for draft in drafts:
        if draft.term == last and draft.records and NAME in draft.columns:
            record = draft.records[0]
            record[FIRST_NAME], record[SURNAME] = _CANARY_FIRST, _CANARY_SURNAME
            record.pop(NAME, None)
            return
