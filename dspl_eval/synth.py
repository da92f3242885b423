"""Synthetic, deliberately messy termly returns for the demo, the tests and the benchmarks.

``write_demo`` writes ``raw/<term>/<initiative>/*.xlsx|csv`` the way real returns arrive
(DATA_CONTRACT): title rows and a merged "logo" title above the header, blank rows and
columns, notes columns, Total rows, extra sheets, header synonyms and odd casing, every
date, percentage, yes/no, year group and SEN style the contract allows, names and dates of
birth that ingestion must drop, and a handful of genuinely invalid and duplicate rows.
Everything it planted is listed in the returned :class:`DemoManifest`, so tests can check
ingestion row by row.

The data are fictional (schools, names, UPNs) and the effects are realistic rather than
real: EBSA attendance rises from about 58% to 85%, SDQ total difficulties fall by about
3 points, Boxall developmental scores rise by about 15, teachers' confidence rises by about
one Likert point, and some children get worse. Output is deterministic for a seed: CSV
files and workbooks are byte-identical from run to run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from stdnum.gb import upn as stdnum_upn

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.initiatives.base import DROPPED_HEADERS, normalise_header
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
_TEACHER_TITLES = ("Ms", "Mr", "Mrs", "Miss", "Dr")
_CANARY_FIRST, _CANARY_SURNAME = CANARY.split()

_NOTES = (
    "Parent meeting held", "Part-time timetable", "CAMHS referral made", "Moved house in term",
    "Young carer", "EAL", "Open to Early Help", "Attendance improving", "Needs review",
    "Transition plan agreed", "Sibling also supported", "Awaiting EP visit",
)  # fmt: skip

# Local authority numbers stdnum knows (mostly Kent, 886, as in a DSPL area).
_LA_NUMBERS = (886, 886, 886, 886, 886, 887, 888, 212, 919)


@dataclass(frozen=True)
class _School:
    name: str
    phase: tuple[int, int]  # youngest, oldest year group
    file_name: str


_NURTURE_SCHOOLS = (
    _School("Oakfield Primary", (1, 4), "Oakfield Primary"),
    _School("Hollybrook Primary", (0, 3), "Hollybrook Primary"),
    _School("Larkrise Community Primary", (1, 5), "Larkrise CP"),
    _School("St Thérèse’s Catholic Primary", (1, 4), "St Therese Catholic Primary"),
    _School("Marshgate Infant School", (0, 2), "Marshgate Infants"),
)
_NURTURE_GROUPS = ("Rainbow Room", "The Nest", "Sunflower Group", "The Hive", "Acorn Room")
_NURTURE_SPW = (5, 4, 8, 2.5, 5)
_ELSA_SCHOOLS = (
    _School("Barnwell Academy", (7, 11), "Barnwell Academy"),
    _School("Kestrel Way Junior School", (3, 6), "Kestrel Way Juniors"),
    _School("Fennick Lane Primary", (0, 6), "Fennick Lane Primary"),
    _School("Wyvern Academy", (7, 11), "Wyvern Academy"),
    _School("Bramblecote Primary", (1, 6), "Bramblecote Primary"),
)
_EBSA_SCHOOLS = (
    _School("Thornbury High School", (7, 11), "Thornbury High"),
    _School("Ashcombe School", (7, 11), "Ashcombe School"),
    _School("Riverside Community College", (7, 11), "Riverside CC"),
)
_EBSA_SERVICE_SCHOOLS = (
    _School("Highcliffe Grammar", (7, 11), ""),
    _School("Barnwell Academy", (7, 11), ""),
    _School("Wyvern Academy", (7, 11), ""),
    _School("Oakfield Primary", (5, 6), ""),
    _School("Fennick Lane Primary", (5, 6), ""),
)
_ALL_SCHOOLS = tuple(
    s.name for s in (*_NURTURE_SCHOOLS, *_ELSA_SCHOOLS, *_EBSA_SCHOOLS, *_EBSA_SERVICE_SCHOOLS)
)

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


def _new_children(
    world: _World,
    rng: np.random.Generator,
    n: int,
    schools: Sequence[_School],
    term: _Term,
    ref_prefix: str | None = None,
) -> list[_Person]:
    """``n`` new children spread over ``schools`` (one school → all there)."""
    which = rng.integers(0, len(schools), n)
    sexes = rng.choice(["male", "female"], n, p=[0.6, 0.4])
    sens = rng.choice(["none", "SEN support", "EHC plan"], n, p=[0.45, 0.45, 0.10])
    firsts = rng.integers(0, len(_FIRST_NAMES), n)
    surnames = rng.integers(0, len(_SURNAMES), n)
    people = []
    for i in range(n):
        school = schools[int(which[i])]
        year = int(rng.integers(school.phase[0], school.phase[1] + 1))
        if ref_prefix:
            count = world.ref_counter.get(ref_prefix, 0) + 1
            world.ref_counter[ref_prefix] = count
            ident = f"{ref_prefix}-{count:03d}"
        else:
            ident = make_upn(rng, term.academic_year - year, world.used_ids)
        person = _Person(
            ident=ident,
            school=school.name,
            first=_FIRST_NAMES[int(firsts[i])],
            surname=_SURNAMES[int(surnames[i])],
            year_group=year,
            sex=str(sexes[i]),
            sen=str(sens[i]),
            dob=_dob(rng, year, term.academic_year),
        )
        people.append(person)
    return people


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


def _identity_record(person: _Person) -> dict[str, object]:
    return {
        "upn": person.ident if not person.ident[0].isdigit() and len(person.ident) == 13 else None,
        "school": person.school,
        "year_group": person.year_group,
        "sex": person.sex,
        "sen_status": person.sen,
        FIRST_NAME: person.first,
        SURNAME: person.surname,
        DOB: person.dob,
    }


# ----------------------------------------------------------------------------- drafts


@dataclass
class _Draft:
    """One return before styling: canonical records plus spare valid records to spoil."""

    initiative: str
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


# ----------------------------------------------------------------------------- nurture


def _nurture_child_state(rng: np.random.Generator, joined: dt.date, terms_in: int) -> dict:
    dev_pre = float(np.clip(rng.normal(70, 18), 5, 125))
    diag_pre = float(np.clip(rng.normal(55, 18), 5, 125))
    return {
        "joined": joined,
        "terms_in": terms_in,
        "placement": int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2])) + terms_in,
        "dev_pre": round(dev_pre),
        "diag_pre": round(diag_pre),
        "dev_gain": float(rng.normal(15, 12)),
        "diag_drop": float(rng.normal(12, 12)),
        "shares": (
            float(np.clip(rng.normal(18 / 34, 0.04), 0.3, 0.7)),
            *rng.dirichlet([60, 110, 170]),
        ),
        "att_rate": float(np.clip(rng.normal(87, 7), 40, 100)),
        "susp_rate": float(rng.gamma(0.5, 0.6)),
        "returns": bool(rng.random() < 0.9),
    }


def _nurture_record(
    rng: np.random.Generator, child: _Person, term: _Term, spw: float, group: str
) -> dict:
    s = child.state
    s["terms_in"] += 1
    leaving = s["terms_in"] >= s["placement"]
    factor = {1: 0.8, 2: 1.0}.get(s["terms_in"], 1.15)
    followed_up = rng.random() > 0.12
    record = _identity_record(child)
    record |= {
        "group_name": group,
        "date_joined": s["joined"],
        "date_left": None,
        "sessions_per_week": spw,
        "returned_full_time": False,
        "returned_date": None,
        "boxall_developmental_pre": s["dev_pre"],
        "boxall_diagnostic_pre": s["diag_pre"],
        "boxall_developmental_post": None,
        "boxall_diagnostic_post": None,
    }
    if followed_up:
        record["boxall_developmental_post"] = int(
            np.clip(round(s["dev_pre"] + s["dev_gain"] * factor), 0, 136)
        )
        record["boxall_diagnostic_post"] = int(
            np.clip(round(s["diag_pre"] - s["diag_drop"] * factor), 0, 136)
        )
    for when in ("pre", "post"):
        dev, diag = record[f"boxall_developmental_{when}"], record[f"boxall_diagnostic_{when}"]
        org = None if dev is None else round(dev * s["shares"][0])
        record[f"boxall_organisation_of_experience_{when}"] = org
        record[f"boxall_internalisation_of_controls_{when}"] = None if dev is None else dev - org
        parts = None if diag is None else _split(diag, s["shares"][1:])
        for i, name in enumerate(
            ("self_limiting_features", "undeveloped_behaviour", "unsupported_development")
        ):
            record[f"boxall_{name}_{when}"] = None if parts is None else parts[i]
    if leaving:
        left = term.end - _days(rng, 5, 30)
        record["date_left"] = max(left, s["joined"] + dt.timedelta(days=14))
        if s["returns"]:
            record["returned_full_time"] = True
            record["returned_date"] = record["date_left"] + _days(rng, 0, 3)
    pb, ab = _sessions(rng, s["att_rate"] + rng.normal(0, 4))
    record |= {"possible_sessions_before": pb, "attended_sessions_before": ab}
    after_rate = s["att_rate"] + rng.normal(3, 6)
    pa, aa = _sessions(rng, after_rate) if followed_up else (None, None)
    record |= {"possible_sessions_after": pa, "attended_sessions_after": aa}
    record["attendance_before"] = _percent(pb, ab)
    record["attendance_after"] = _percent(pa, aa)
    record["suspensions_before"] = int(rng.poisson(s["susp_rate"]))
    record["suspensions_after"] = int(rng.poisson(0.5 * s["susp_rate"])) if followed_up else None
    record["_id"] = child.ident
    record["_leaving"] = leaving
    return record


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``shares`` (largest remainders), summing exactly."""
    raw = np.asarray(shares, dtype=float) / sum(shares) * total
    parts = np.floor(raw).astype(int)
    for i in np.argsort(raw - parts)[::-1][: total - int(parts.sum())]:
        parts[i] += 1
    return [int(p) for p in parts]


def _nurture_drafts(world: _World, terms: list[_Term]) -> list[_Draft]:
    sizes = world.rng("layout", "nurture", "sizes").integers(
        6, 13, (len(_NURTURE_SCHOOLS), len(terms))
    )
    groups: dict[int, list[_Person]] = {i: [] for i in range(len(_NURTURE_SCHOOLS))}
    drafts = []
    for term in terms:
        rng = world.rng("nurture", term.index)
        for i, school in enumerate(_NURTURE_SCHOOLS):
            target = int(sizes[i, term.index]) * world.scale
            staying = [c for c in groups[i] if c.state["terms_in"] < c.state["placement"]][:target]
            fresh = _new_children(world, rng, target - len(staying) + 4, [school], term)
            for child in fresh:
                earlier = term.index == 0 and rng.random() < 0.4
                joined = (
                    dt.date(term.academic_year, int(rng.integers(1, 7)), int(rng.integers(1, 28)))
                    if earlier
                    else term.start + _days(rng, 0, 28)
                )
                child.state = _nurture_child_state(rng, joined, int(earlier))
            new, spare = fresh[: target - len(staying)], fresh[target - len(staying) :]
            groups[i] = staying + new
            records = [
                _nurture_record(rng, c, term, _NURTURE_SPW[i], _NURTURE_GROUPS[i])
                for c in groups[i]
            ]
            spares = [
                _nurture_record(rng, c, term, _NURTURE_SPW[i], _NURTURE_GROUPS[i]) for c in spare
            ]
            columns = _nurture_columns(i, term)
            csv_file = school.name.startswith("St ")
            drafts.append(
                _Draft(
                    "nurture",
                    term,
                    f"{school.file_name} - nurture group return - {term.label}",
                    "csv" if csv_file else "xlsx",
                    columns,
                    records,
                    spares,
                    f"{school.name}: {_NURTURE_GROUPS[i]} nurture group - {term.label}",
                    encoding="cp1252" if csv_file else "utf-8",
                    delimiter=";" if csv_file else ",",
                    position=i,
                )
            )
    return drafts


def _nurture_columns(i: int, term: _Term) -> list[str]:
    boxall = [f"boxall_{s}_{w}" for s in ("developmental", "diagnostic") for w in ("pre", "post")]
    clusters = [
        f"boxall_{c}_{w}"
        for c in (
            "organisation_of_experience",
            "internalisation_of_controls",
            "self_limiting_features",
            "undeveloped_behaviour",
            "unsupported_development",
        )
        for w in ("pre", "post")
    ]
    sessions = [
        "possible_sessions_before",
        "attended_sessions_before",
        "possible_sessions_after",
        "attended_sessions_after",
    ]
    attendance = sessions if (i + term.index) % 2 else ["attendance_before", "attendance_after"]
    names = [NAME] if i % 2 else [FIRST_NAME, SURNAME]
    return [
        *names,
        "upn",
        DOB,
        "school",
        "year_group",
        "sex",
        "sen_status",
        "group_name",
        "date_joined",
        "date_left",
        "sessions_per_week",
        *boxall,
        *(clusters if i in (0, 3) else []),
        "returned_full_time",
        "returned_date",
        *attendance,
        "suspensions_before",
        "suspensions_after",
        NOTES,
    ]


# ----------------------------------------------------------------------------- ELSA


def _elsa_state(rng: np.random.Generator, child: _Person, term: _Term, secondary: bool) -> dict:
    start = term.start + _days(rng, 0, 28)
    end = min(start + dt.timedelta(weeks=int(rng.integers(6, 10))), term.end - _days(rng, 7, 14))
    ongoing = rng.random() < 0.07
    pending = ongoing or rng.random() < 0.08
    informant = "parent" if rng.random() < 0.2 else "teacher"
    means = {"emotional": 5.2, "conduct": 3.4, "hyperactivity": 5.6, "peer": 3.1}
    pre = {k: int(np.clip(round(rng.normal(m, 2.2)), 0, 10)) for k, m in means.items()}
    pre["prosocial"] = int(np.clip(round(rng.normal(5.5, 2.2)), 0, 10))
    response = rng.normal(0, 0.8)
    post = {
        k: int(np.clip(round(v - 0.9 + response + rng.normal(0, 1.1)), 0, 10))
        for k, v in pre.items()
        if k != "prosocial"
    }
    post["prosocial"] = int(np.clip(round(pre["prosocial"] + 0.6 + rng.normal(0, 1.2)), 0, 10))
    top = 10 if informant == "parent" else 6
    impact_pre = int(np.clip(round(rng.normal(4 if top == 10 else 2.5, 1.6)), 0, top))
    impact_post = int(np.clip(round(impact_pre - 1 + rng.normal(0, 1.1)), 0, top))
    rate = float(rng.gamma(0.6, 1.2)) * (1.5 if secondary else 0.6)
    ehcp = {"EHC plan": "EHCP", "none": "none"}.get(child.sen)
    if ehcp is None:
        ehcp = "awaiting assessment" if rng.random() < 0.2 else "none"
    return {
        "start": start,
        "end": None if ongoing else end,
        "planned_end": end,
        "pending": pending,
        "informant": informant,
        "pre": pre,
        "post": post,
        "impact": (impact_pre, impact_post),
        "teacher_impact": informant == "parent" or rng.random() < 0.7,
        "rate": rate,
        "ehcp": ehcp,
        "sessions": int(rng.integers(6, 13)),
        "pex_before": bool(rng.random() < (0.03 if secondary else 0.005)),
        "pex_after": bool(rng.random() < (0.012 if secondary else 0.0)),
    }


def _elsa_record(rng: np.random.Generator, child: _Person, term: _Term) -> dict:
    s = child.state
    followed = not s["pending"]
    end = s["end"]
    record = _identity_record(child)
    record |= {
        "ehcp_status": s["ehcp"],
        "support_start": s["start"],
        "support_end": end,
        "sessions_attended": s["sessions"] if end else max(2, s["sessions"] // 2),
        "sdq_informant": s["informant"],
        "window_months": 6,
        "suspensions_before": int(rng.poisson(s["rate"])),
        "permanent_exclusion_before": s["pex_before"],
    }
    show_impact = s["teacher_impact"]
    for scale in ("emotional", "conduct", "hyperactivity", "peer", "prosocial"):
        record[f"sdq_{scale}_pre"] = s["pre"][scale]
        record[f"sdq_{scale}_post"] = s["post"][scale] if followed else None
    record["sdq_impact_pre"] = s["impact"][0] if show_impact else None
    record["sdq_impact_post"] = s["impact"][1] if show_impact and followed else None
    record["suspensions_after"] = int(rng.poisson(0.45 * s["rate"])) if followed else None
    record["permanent_exclusion_after"] = s["pex_after"] if followed else None
    record["follow_up_end"] = term.end if followed else None
    record["next_suspension_date"] = None
    if followed and record["suspensions_after"]:
        span = max((term.end - end).days, 1)
        record["next_suspension_date"] = end + dt.timedelta(days=int(rng.integers(1, span + 1)))
    record["_id"] = child.ident
    return record


def _elsa_drafts(world: _World, terms: list[_Term]) -> list[_Draft]:
    sizes = world.rng("layout", "elsa", "sizes").integers(8, 13, (len(_ELSA_SCHOOLS), len(terms)))
    waiting: dict[int, list[_Person]] = {i: [] for i in range(len(_ELSA_SCHOOLS))}
    drafts = []
    for term in terms:
        rng = world.rng("elsa", term.index)
        for i, school in enumerate(_ELSA_SCHOOLS):
            target = int(sizes[i, term.index]) * world.scale
            carried = waiting[i][:target]
            for child in carried:  # followed up this term
                child.state["pending"] = False
                child.state["end"] = child.state["end"] or term.start + _days(rng, 5, 25)
            fresh = _new_children(world, rng, target - len(carried) + 4, [school], term)
            secondary = school.phase[0] >= 7
            for child in fresh:
                child.state = _elsa_state(rng, child, term, secondary)
            if not world.canary_used and fresh:
                fresh[0].first, fresh[0].surname = _CANARY_FIRST, _CANARY_SURNAME
                world.canary_used = True
            cohort = carried + fresh[: target - len(carried)]
            records = [_elsa_record(rng, c, term) for c in cohort]
            spares = [_elsa_record(rng, c, term) for c in fresh[target - len(carried) :]]
            for spare in spares:  # spoil-able rows need both dates and a follow-up
                spare["support_end"] = spare["support_end"] or spare[
                    "support_start"
                ] + dt.timedelta(weeks=6)
            waiting[i] = [c for c in cohort if c.state["pending"]]
            fmt = "csv" if i == 2 else "xlsx"
            drafts.append(
                _Draft(
                    "elsa",
                    term,
                    f"ELSA return {school.file_name} {term.label}",
                    fmt,
                    _elsa_columns(i),
                    records,
                    spares,
                    f"ELSA termly return - {school.name} - {term.label}",
                    encoding="utf-8-sig" if fmt == "csv" else "utf-8",
                    position=i,
                )
            )
    return drafts


def _elsa_columns(i: int) -> list[str]:
    sdq = [
        f"sdq_{s}_{w}"
        for w in ("pre", "post")
        for s in ("emotional", "conduct", "hyperactivity", "peer", "prosocial")
    ]
    names = [NAME] if i % 2 == 0 else [FIRST_NAME, SURNAME]
    extra = ["window_months", "next_suspension_date", "follow_up_end"] if i != 4 else []
    return [
        "upn",
        *names,
        DOB,
        "school",
        "year_group",
        "sex",
        "sen_status",
        "ehcp_status",
        "support_start",
        "support_end",
        "sessions_attended",
        "sdq_informant",
        *sdq,
        "sdq_impact_pre",
        "sdq_impact_post",
        "suspensions_before",
        "suspensions_after",
        "permanent_exclusion_before",
        "permanent_exclusion_after",
        *extra,
        *([NOTES] if i in (0, 3) else []),
    ]


# ----------------------------------------------------------------------------- EBSA


def _ebsa_state(rng: np.random.Generator, term: _Term) -> dict:
    referral = term.start + _days(rng, -40, 14)
    start = max(referral + _days(rng, 7, 28), term.start + _days(rng, 0, 10))
    end = min(start + dt.timedelta(weeks=int(rng.integers(6, 11))), term.end - _days(rng, 7, 14))
    ongoing = rng.random() < 0.08
    before = float(np.clip(rng.normal(58, 18), 0, 100))
    after = float(np.clip(85 + 0.4 * (before - 58) + rng.normal(0, 14), 0, 100))
    theta = rng.normal(0, 1)
    pass_pre = _clip_round(35 + 12 * theta + rng.normal(0, 14, 9), 2, 99)
    pass_post = _clip_round(pass_pre + rng.normal(8, 12, 9), 2, 99)
    source = str(rng.choice(["school", "parent", "other"], p=[0.6, 0.3, 0.1]))
    return {
        "referral": referral,
        "source": source,
        "start": start,
        "end": None if ongoing else end,
        "pending": ongoing or rng.random() < 0.08,
        "before": before,
        "after": after,
        "pass": (pass_pre, pass_post),
    }


def _ebsa_record(rng: np.random.Generator, child: _Person, term: _Term) -> dict:
    from dspl_eval.initiatives.ebsa import PASS_FACTORS

    s = child.state
    followed = not s["pending"]
    record = _identity_record(child)
    record |= {
        "pupil_ref": child.ident if record["upn"] is None else None,
        "referral_date": s["referral"],
        "referral_source": s["source"],
        "support_start": s["start"],
        "support_end": s["end"],
    }
    pb, ab = _sessions(rng, s["before"])
    pa, aa = _sessions(rng, s["after"]) if followed else (None, None)
    record |= {
        "possible_sessions_before": pb,
        "attended_sessions_before": ab,
        "possible_sessions_after": pa,
        "attended_sessions_after": aa,
        "attendance_before": _percent(pb, ab),
        "attendance_after": _percent(pa, aa),
    }
    for k, factor in enumerate(PASS_FACTORS):
        record[f"pass_{factor}_pre"] = int(s["pass"][0][k])
        record[f"pass_{factor}_post"] = int(s["pass"][1][k]) if followed else None
    record["_id"] = child.ident
    return record


def _ebsa_drafts(world: _World, terms: list[_Term]) -> list[_Draft]:
    layout = world.rng("layout", "ebsa", "sizes")
    sizes = np.column_stack(
        [layout.integers(6, 10, (3, len(terms))).T, layout.integers(8, 13, len(terms))]
    ).T
    units: list[tuple[Sequence[_School], str | None, str]] = [
        *(([s], None, s.file_name) for s in _EBSA_SCHOOLS),
        (_EBSA_SERVICE_SCHOOLS, "EB", "EBSA outreach service"),
    ]
    waiting: dict[int, list[_Person]] = {i: [] for i in range(len(units))}
    drafts = []
    for term in terms:
        rng = world.rng("ebsa", term.index)
        for i, (schools, prefix, label) in enumerate(units):
            target = int(sizes[i, term.index]) * world.scale
            carried = waiting[i][:target]
            for child in carried:
                child.state["pending"] = False
                child.state["end"] = child.state["end"] or term.start + _days(rng, 5, 25)
            fresh = _new_children(world, rng, target - len(carried) + 4, schools, term, prefix)
            for child in fresh:
                child.state = _ebsa_state(rng, term)
            cohort = carried + fresh[: target - len(carried)]
            records = [_ebsa_record(rng, c, term) for c in cohort]
            spares = [_ebsa_record(rng, c, term) for c in fresh[target - len(carried) :]]
            for spare in spares:
                spare["support_end"] = spare["support_end"] or spare[
                    "support_start"
                ] + dt.timedelta(weeks=6)
            waiting[i] = [c for c in cohort if c.state["pending"]]
            drafts.append(
                _Draft(
                    "ebsa",
                    term,
                    f"EBSA pilot - {label} - {term.label}",
                    "csv" if prefix else "xlsx",
                    _ebsa_columns(i, prefix is not None),
                    records,
                    spares,
                    f"EBSA support pilot return: {label} ({term.label})",
                    id_column="pupil_ref" if prefix else "upn",
                    position=i,
                )
            )
    return drafts


def _ebsa_columns(i: int, service: bool) -> list[str]:
    from dspl_eval.initiatives.ebsa import PASS_FACTORS

    sessions = [
        "possible_sessions_before",
        "attended_sessions_before",
        "possible_sessions_after",
        "attended_sessions_after",
    ]
    attendance = ["attendance_before", "attendance_after"] if i in (2, 3) else sessions
    pass_cols = [f"pass_{f}_{w}" for w in ("pre", "post") for f in PASS_FACTORS]
    ident = ["pupil_ref", NAME] if service else ["upn", FIRST_NAME, SURNAME, DOB]
    return [
        *ident,
        "school",
        "year_group",
        "sex",
        "sen_status",
        "referral_date",
        "referral_source",
        "support_start",
        "support_end",
        *attendance,
        *(pass_cols if i in (0, 3) else []),
        *([NOTES] if i != 1 else []),
    ]


# ----------------------------------------------------------------------------- NQT


def _nqt_teacher(world: _World, rng: np.random.Generator, term: _Term, cohort: str) -> _Person:
    count = world.ref_counter.get("ECT", 0) + 1
    world.ref_counter["ECT"] = count
    person = _Person(
        ident=f"ECT{term.academic_year % 100}-{count:03d}",
        school=str(rng.choice(_ALL_SCHOOLS)),
        first=_FIRST_NAMES[int(rng.integers(0, len(_FIRST_NAMES)))],
        surname=_SURNAMES[int(rng.integers(0, len(_SURNAMES)))],
    )
    theta, gain = rng.normal(0, 1), rng.normal(1.0, 0.55)
    noise = rng.normal(0, 0.55, (2, 6))
    understanding = float(np.clip(rng.normal(45, 15), 5, 95))
    person.state = {
        "title": str(rng.choice(_TEACHER_TITLES)),
        "role": str(rng.choice(["ECT1", "ECT2", "NQT", "other"], p=[0.5, 0.3, 0.1, 0.1])),
        "sessions": int(np.clip(rng.binomial(6, 0.82), 0, 6)),
        "pre": _clip_round(2.8 + 0.7 * theta + noise[0], 1, 5),
        "post": _clip_round(2.8 + 0.7 * theta + gain + noise[1], 1, 5),
        "u_pre": round(understanding),
        "u_post": round(
            float(np.clip(75 + 0.5 * (understanding - 45) + rng.normal(0, 11), 5, 100))
        ),
        "satisfaction": str(
            rng.choice(["just right", "too much", "too little"], p=[0.75, 0.12, 0.13])
        ),
        "practical": bool(rng.random() < 0.85),
        "pending": bool(rng.random() < 0.15),
        "cohort": cohort,
    }
    return person


def _nqt_record(teacher: _Person) -> dict:
    from dspl_eval.initiatives.nqt import CONFIDENCE_TOPICS

    s = teacher.state
    followed = not s["pending"]
    record: dict[str, object] = {
        "participant_ref": teacher.ident,
        "school": teacher.school,
        "role": s["role"],
        "sessions_attended": s["sessions"],
        "understanding_pre": s["u_pre"],
        "understanding_post": s["u_post"] if followed else None,
        "satisfaction": s["satisfaction"] if followed else None,
        "practical_info_satisfied": s["practical"] if followed else None,
        NAME: f"{s['title']} {teacher.first} {teacher.surname}",
        FIRST_NAME: teacher.first,
        SURNAME: teacher.surname,
        "_id": teacher.ident,
    }
    for k, topic in enumerate(CONFIDENCE_TOPICS):
        record[f"conf_{topic}_pre"] = int(s["pre"][k])
        record[f"conf_{topic}_post"] = int(s["post"][k]) if followed else None
    return record


def _nqt_drafts(world: _World, terms: list[_Term]) -> list[_Draft]:
    from dspl_eval.initiatives.nqt import CONFIDENCE_TOPICS

    sizes = world.rng("layout", "nqt", "sizes").integers(10, 16, (2, len(terms)))
    conf = [f"conf_{t}_{w}" for t in CONFIDENCE_TOPICS for w in ("pre", "post")]
    drafts = []
    for term in terms:
        rng = world.rng("nqt", term.index)
        for i, cohort in enumerate(("A", "B")):
            n = int(sizes[i, term.index]) * world.scale
            teachers = [_nqt_teacher(world, rng, term, cohort) for _ in range(n + 4)]
            columns = [
                "participant_ref",
                *([NAME] if i == 0 else []),
                "school",
                "role",
                "sessions_attended",
                *conf,
                "understanding_pre",
                "understanding_post",
                "satisfaction",
                "practical_info_satisfied",
                *([NOTES] if i == 1 else []),
            ]
            drafts.append(
                _Draft(
                    "nqt",
                    term,
                    f"ECT SEND programme - cohort {cohort} - {term.label}",
                    "xlsx" if i == 0 else "csv",
                    columns,
                    [_nqt_record(t) for t in teachers[:n]],
                    [_nqt_record(t) for t in teachers[n:]],
                    f"Early-career teacher SEND programme, cohort {cohort}: pre/post questionnaire",
                    id_column="participant_ref",
                    encoding="utf-8-sig" if i == 1 and term.index % 2 else "utf-8",
                    position=i,
                )
            )
    return drafts


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
    percent = {g: str(rng.choice(percent_styles)) for g in ("attendance", "pass", "understanding")}
    if draft.initiative == "ebsa" and draft.position == 2:
        percent["attendance"] = "fraction"  # a school that formats attendance cells as 0%
    if draft.initiative == "nqt" and not xlsx and draft.term.index == 1:
        percent["understanding"] = "fraction"  # 0.45-style, but the whole column
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

_SINGLE_HEADERS: dict[str, tuple[str, ...]] = {
    "upn": ("UPN", "Unique Pupil Number", "upn", "U.P.N."),
    "pupil_ref": ("YP Ref", "Pupil ref", "Child ID", "Reference"),
    "participant_ref": ("Participant ref", "Teacher ref", "Participant ID", "Ref"),
    "school": ("School", "School Name", "SCHOOL", "School name "),
    "year_group": ("NC Year", "Year group", "Year", "YEAR_GROUP", "NCY", "Yr"),
    "sex": ("Gender", "Sex", "GENDER"),
    "sen_status": ("SEN", "SEN status", "SEND status", "SEN provision"),
    "group_name": ("Group", "Nurture group", "Group name"),
    "date_joined": ("Date joined", "Joined", "Start date", "DATE_JOINED"),
    "date_left": ("Date left", "Left", "End date", "Date ended"),
    "sessions_per_week": ("Sessions per week", "Sessions a week"),
    "returned_full_time": (
        "Returned full time",
        "Returned to class",
        "Full time return",
        "Returned full time to class",
    ),
    "returned_date": ("Date returned", "Returned date"),
    "ehcp_status": ("EHCP status", "EHC Plan", "EHCP"),
    "support_start": ("Support start", "Start date", "SUPPORT_START"),
    "support_end": ("Support end", "End date", "SUPPORT_END"),
    "sessions_attended": ("Sessions attended", "Number of sessions", "Sessions"),
    "sdq_informant": ("SDQ informant", "Informant", "SDQ completed by", "Completed by"),
    "window_months": ("Window months", "WINDOW_MONTHS", "Window (months)"),
    "next_suspension_date": ("Next suspension date", "Next suspension"),
    "follow_up_end": ("Follow up end", "Follow-up date", "Followed up to"),
    "referral_date": ("Referral date", "REFERRAL_DATE", "Referral Date"),
    "referral_source": ("Referral source", "Referred by", "Source of referral"),
    "role": ("Role", "ROLE"),
    "satisfaction": ("Satisfaction", "SATISFACTION"),
    "practical_info_satisfied": (
        "Practical info satisfied",
        "Practical information satisfied",
        "Practical info",
    ),
    NAME: ("Name", "Pupil name", "Child name"),
    DOB: ("DOB", "Date of birth", "D.O.B"),
    NOTES: ("Notes", "Comments", "Additional information"),
}
_NQT_HEADERS = {
    "school": ("School", "School name", "SCHOOL NAME"),
    NAME: ("Teacher name", "Participant name", "Name"),
}
_SPLIT_NAMES = (
    ("First name", "Surname"),
    ("Forename", "Surname"),
    ("Legal forename", "Legal surname"),
    ("First Name", "Last name"),
)

_PAIR_STEMS: dict[str, tuple[str, ...]] = {
    "attendance": ("Attendance %", "Attendance", "Att %", "Attendance rate"),
    "possible_sessions": ("Possible sessions", "Sessions possible"),
    "attended_sessions": ("Attended sessions", "Sessions attended"),
    "suspensions": ("Suspensions", "Fixed term exclusions", "FTE"),
    "permanent_exclusion": ("Permanent exclusion", "PEx", "Perm excl"),
    "sdq_impact": ("SDQ impact", "Impact"),
    "boxall_developmental": ("Boxall developmental", "Developmental strands", "Developmental"),
    "boxall_diagnostic": ("Boxall diagnostic", "Diagnostic profile", "Diagnostic"),
    "understanding": ("Understanding", "Understanding of role"),
}
_PAIR_PATTERNS = (
    ("{s} pre", "{s} post"),
    ("{s} (before)", "{s} (after)"),
    ("Baseline {s}", "Follow up {s}"),
    ("{S}_PRE", "{S}_POST"),
    ("{s} - start", "{s} - end"),
    ("{s} (pre)", "{s} (end)"),
)


def _stems(stem: str) -> tuple[str, ...]:
    if stem in _PAIR_STEMS:
        return _PAIR_STEMS[stem]
    words = stem.split("_", 1)[1].replace("_", " ")
    if stem.startswith("sdq_"):
        return (f"SDQ {words.capitalize()}", words.capitalize())
    if stem.startswith("pass_"):
        return (f"PASS {words}",)
    if stem.startswith("conf_"):
        return (f"Confidence {words}", words.capitalize())
    return (stem.split("_", 1)[1].replace("_", " ").capitalize(),)  # boxall clusters


def header_for(initiative: str, meaning: str, style: _Style, salt: int = 0) -> str:
    """The header a file writes for ``meaning`` (a canonical column or a pseudo-column).

    Only spellings that the initiative's ``header_lookup()`` maps back to ``meaning`` (or
    that ingestion drops, for names and dates of birth) are ever chosen.
    """
    options = [
        t for t in _header_options(initiative, meaning, style) if _means(initiative, t, meaning)
    ]
    text = options[(style.header_pick + salt) % len(options)] if options else meaning
    if style.casing == "upper":
        return text.upper()
    if style.casing == "lower":
        return text.lower()
    return text


def _header_options(initiative: str, meaning: str, style: _Style) -> list[str]:
    table = _NQT_HEADERS if initiative == "nqt" and meaning in _NQT_HEADERS else _SINGLE_HEADERS
    if meaning in table:
        return list(table[meaning])
    if meaning in (FIRST_NAME, SURNAME):
        return [_SPLIT_NAMES[style.header_pick % len(_SPLIT_NAMES)][meaning == SURNAME]]
    stem, _, suffix = meaning.rpartition("_")
    pattern = _PAIR_PATTERNS[style.pair][suffix in ("post", "after")]
    stems = _stems(stem)
    chosen = stems[style.header_pick % len(stems)]
    ordered = [chosen, *(s for s in stems if s != chosen)]
    return [
        pattern.format(s=s, S=s.replace("%", "").strip().upper().replace(" ", "_")) for s in ordered
    ][:1]


def _means(initiative: str, header: str, meaning: str) -> bool:
    """True when ingestion reads ``header`` as ``meaning`` (or drops it, or ignores notes)."""
    key = normalise_header(header)
    lookup = _LOOKUPS[initiative]
    if meaning in (NAME, FIRST_NAME, SURNAME, DOB):
        return DROPPED_HEADERS.get(key) == ("date_of_birth" if meaning == DOB else "name")
    if meaning == NOTES:
        return key not in lookup and key not in DROPPED_HEADERS
    return lookup.get(key) == meaning


# ----------------------------------------------------------------------------- values

_SEX = (("F", "M"), ("Female", "Male"), ("Girl", "Boy"), ("female", "male"))
_SEN = {
    "codes": {"none": "N", "SEN support": "K", "EHC plan": "E"},
    "words": {"none": "None", "SEN support": "SEN support", "EHC plan": "EHC plan"},
    "words2": {"none": "No SEN", "SEN support": "SEN Support", "EHC plan": "EHCP"},
}
_YES_NO = {"YN": ("Y", "N"), "yesno": ("Yes", "No"), "TF": (True, False), "10": (1, 0)}
_LIKERT = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
#: Category values as schools write them (each style maps onto allowed values or synonyms).
CATEGORY_STYLES: dict[str, tuple[dict[str, str], ...]] = {
    "referral_source": (
        {"school": "School", "parent": "Parent", "other": "Other"},
        {"school": "school", "parent": "Parent/Carer", "other": "CAMHS"},
        {"school": "School", "parent": "Family", "other": "Health"},
    ),
    "ehcp_status": (
        {"EHCP": "EHCP", "awaiting assessment": "Awaiting assessment", "none": "None"},
        {"EHCP": "Y", "awaiting assessment": "Awaiting", "none": "N"},
        {"EHCP": "EHC plan", "awaiting assessment": "In assessment", "none": "No"},
    ),
    "sdq_informant": (
        {"teacher": "Teacher", "parent": "Parent"},
        {"teacher": "T", "parent": "P"},
        {"teacher": "TA", "parent": "Parent/carer"},
    ),
    "role": (
        {"NQT": "NQT", "ECT1": "ECT1", "ECT2": "ECT2", "other": "Other"},
        {"NQT": "Newly qualified teacher", "ECT1": "ECT 1", "ECT2": "ECT year 2", "other": "other"},
        {"NQT": "nqt", "ECT1": "ECT year 1", "ECT2": "ECT 2", "other": "Other"},
    ),
    "satisfaction": (
        {"just right": "Just right", "too much": "Too much", "too little": "Too little"},
        {"just right": "About right", "too much": "too much", "too little": "too little"},
        {"just right": "just right", "too much": "Too Much", "too little": "Too Little"},
    ),
}
_LOOKUPS = {key: ini.header_lookup() for key, ini in INITIATIVES.items()}
_KIND = {c.name: c.kind for ini in INITIATIVES.values() for c in ini.columns}


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
    meaning: str, value: object, record: dict, style: _Style, rng: np.random.Generator
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
    kind = _KIND.get(meaning, "text")
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
    if kind == "sex":
        return _SEX[style.sex][value == "male"]
    if kind == "likert":
        in_scale = 1 <= value <= 5  # type: ignore[operator]
        return _LIKERT[value - 1] if style.likert == "words" and in_scale else value  # type: ignore[operator]
    if kind == "category":
        return CATEGORY_STYLES[meaning][style.category][value]  # type: ignore[index]
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


_OUT_OF_RANGE = {
    "nurture": (
        ("boxall_developmental_pre", 152),
        ("boxall_diagnostic_post", -4),
        ("suspensions_before", -1),
        ("sessions_per_week", 14),
        ("attendance_before", 104.5),
    ),
    "elsa": (
        ("sdq_emotional_pre", 14),
        ("sdq_conduct_post", 11),
        ("suspensions_after", -2),
        ("sessions_attended", 75),
        ("sdq_impact_pre", 12),
    ),
    "ebsa": (
        ("attendance_before", 112),
        ("attendance_after", 130),
        ("pass_self_regard_pre", 104),
        ("possible_sessions_before", 450),
    ),
    "nqt": (
        ("conf_autism_pre", 7),
        ("conf_visual_support_post", 0),
        ("sessions_attended", 9),
        ("understanding_post", 120),
    ),
}
_UNREADABLE = {
    "nurture": (
        ("boxall_developmental_post", "not done yet"),
        ("year_group", "Y2/3"),
        ("date_joined", "{bad_date}"),
    ),
    "elsa": (
        ("sdq_hyperactivity_pre", "5 or 6"),
        ("permanent_exclusion_before", "maybe"),
        ("support_start", "{bad_date}"),
    ),
    "ebsa": (
        ("attendance_after", "about 60"),
        ("possible_sessions_before", "approx 100"),
        ("referral_date", "{bad_date}"),
    ),
    "nqt": (
        ("conf_autism_post", "maybe"),
        ("understanding_pre", "about half"),
        ("sessions_attended", "most"),
    ),
}
_END_BEFORE_START = {
    "nurture": ("date_joined", "date_left"),
    "elsa": ("support_start", "support_end"),
    "ebsa": ("support_start", "support_end"),
}


def _impossible_date(term: _Term) -> str:
    """A day that does not exist, in the term's months (31 September, 30 February ...)."""
    month = {9: "31/09", 1: "30/02", 4: "31/04"}[term.start.month]
    return f"{month}/{term.start.year}"


def _spoilers(draft: _Draft, style: _Style) -> list[tuple[str, str | None, Callable]]:
    """Every way this file can spoil a spare record: (reason, column, mutate)."""
    cols, key = set(draft.columns), draft.initiative
    found: list[tuple[str, str | None, Callable]] = []
    if "upn" in cols:
        found.append((BAD_UPN, "upn", lambda r, g: _put(r, "upn", bad_upn(r["upn"]))))
    found.append((NO_IDENTIFIER, draft.id_column, lambda r, g: _put(r, draft.id_column, "")))
    for column, value in _OUT_OF_RANGE[key]:
        kind = _KIND[column]
        if column not in cols or (
            kind == "percent" and style.percent[_percent_group(column)] == "fraction"
        ):
            continue
        written = (
            _percent_cell(value, style.percent[_percent_group(column)], np.random.default_rng(0))
            if kind == "percent"
            else value
        )
        found.append((OUT_OF_RANGE, column, lambda r, g, c=column, w=written: _put(r, c, w)))
    for column, text in _UNREADABLE[key]:
        if column in cols:
            text = text.replace("{bad_date}", _impossible_date(draft.term))
            found.append((UNREADABLE, column, lambda r, g, c=column, t=text: _put(r, c, t)))
    if "attended_sessions_before" in cols:
        found.append((ATTENDED_GT_POSSIBLE, "attended_sessions_before", _attended_too_many))
    if key in _END_BEFORE_START and set(_END_BEFORE_START[key]) <= cols:
        found.append((END_BEFORE_START, _END_BEFORE_START[key][1], _end_before_start(key)))
    return found


def _put(record: dict, column: str, value: object) -> str:
    record[column] = _Verbatim(value if value != "" else None)
    return "" if value == "" else str(value)


def _attended_too_many(record: dict, rng: np.random.Generator) -> str:
    record["attended_sessions_before"] = record["possible_sessions_before"] + int(
        rng.integers(2, 11)
    )
    return str(record["attended_sessions_before"])


def _end_before_start(key: str) -> Callable[[dict, np.random.Generator], str]:
    start, end = _END_BEFORE_START[key]

    def spoil(record: dict, rng: np.random.Generator) -> str:
        record[end] = record[start] - _days(rng, 7, 30)
        if key == "nurture":
            record["returned_full_time"], record["returned_date"] = False, None
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
        i = int(rng.choice(options))
        spoilers = _spoilers(drafts[i], styles[i])
        fresh = [s for s in spoilers if s[0] not in used] or spoilers
        reason, column, mutate = fresh[int(rng.integers(0, len(fresh)))]
        used.add(reason)
        record = dict(drafts[i].spares.pop())
        value = mutate(record, rng)
        blocks[i].insert(
            int(rng.integers(0, len(blocks[i]) + 1)),
            _Entry("invalid", record, reason, column, value),
        )
    for _ in range(n_dup):
        i = int(rng.integers(0, len(drafts)))
        children = [e for e in blocks[i] if e.kind == "child"]
        original = children[int(rng.integers(0, len(children)))]
        at = blocks[i].index(original) + 1
        entry = _Entry("duplicate", dict(original.record), DUPLICATE, None, "", original)
        blocks[i].insert(int(rng.integers(at, len(blocks[i]) + 1)), entry)
    for block, style in zip(blocks, styles, strict=True):
        for _ in range(style.blank_rows):
            block.insert(int(rng.integers(1, len(block))), _Entry("blank"))
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
    columns: list[str], records: list[dict], style: _Style, label_at: int
) -> list[object]:
    """A "Total" row: the label, column sums of counts and mean percentages, nothing else."""
    cells: list[object] = []
    for position, meaning in enumerate(columns):
        kind = _KIND.get(meaning)
        values = [
            r[meaning]
            for r in records
            if isinstance(r.get(meaning), int | float) and not isinstance(r.get(meaning), bool)
        ]
        if position == label_at:
            cells.append("Total")
        elif kind in ("integer", "number") and values and not meaning.startswith(("sdq_", "conf_")):
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
        header_for(draft.initiative, m, style, salt=i) if m != BLANK else ""
        for i, m in enumerate(columns)
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
            rows.append([*lead, *_total_cells(columns, records, style, label_at)])
            planted.append(PlantedRow(excel_row, TOTAL_ROW))
            continue
        record = entry.record or {}
        where[id(entry)] = excel_row
        rows.append([*lead, *(_format_cell(m, record.get(m), record, style, rng) for m in columns)])
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
        "likert words": style.likert == "words" and draft.initiative == "nqt",
    }
    found += [name for name, on in flags.items() if on]
    found += [
        f"{g} percentages: {s}"
        for g, s in style.percent.items()
        if any(
            c.startswith(g) or c.startswith(f"{g}_")
            for c in draft.columns
            if _KIND.get(c) == "percent"
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

_COSTS = {
    "nurture": (
        9_200.0,
        "Nurture staffing (teacher + TA) for 5 groups, resources, Boxall training",
    ),
    "elsa": (2_900.0, "ELSA release time, EP supervision and ELSA network"),
    "ebsa": (31_500.0, "EBSA practitioners (1.6 FTE), parent workshops, travel"),
    "nqt": (6_400.0, "Trainer fees, venue and supply cover for 2 cohorts"),
}


def _write_costs(root: Path, term: _Term, drafts: list[_Draft], world: _World) -> Path:
    """``raw/<term>/costs.csv``: initiative, cost_gbp, sessions_delivered, notes."""
    rng = world.rng("costs", term.index)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["initiative", "cost_gbp", "sessions_delivered", "notes"])
    for key, (base, notes) in _COSTS.items():
        mine = [d for d in drafts if d.initiative == key and d.term == term]
        units = len(mine) if key != "ebsa" else 1
        cost = base * units * world.scale * float(rng.uniform(0.92, 1.08))
        if key == "nurture":
            sessions = (
                sum(r["sessions_per_week"] * 12 for d in mine for r in d.records[:1]) * world.scale
            )
        elif key == "elsa":
            sessions = sum(int(r["sessions_attended"]) for d in mine for r in d.records)
        elif key == "ebsa":
            sessions = 8 * sum(len(d.records) for d in mine)
        else:
            sessions = 6 * len(mine) * world.scale
        writer.writerow([key, f"{cost:.2f}", _number(sessions), notes])
    path = root / "raw" / term.name / "costs.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


# ----------------------------------------------------------------------------- entry point


def _prepare(raw: Path, terms: Iterable[str]) -> None:
    """Clear earlier demo output for ``terms``; refuse to write beside real returns."""
    is_demo = (raw / DEMO_MARKER).is_file()
    for term in terms:
        folder = raw / term
        if not folder.exists():
            continue
        if not is_demo and any(p.is_file() for p in folder.rglob("*")):
            raise ConfigError(
                f"{folder} holds returns that are not demo data: write the demo to another "
                "--data folder (e.g. data/demo)"
            )
        shutil.rmtree(folder)


def write_demo(
    data_root: Path, seed: int = 1, scale: int = 1, terms: Sequence[str] = DEMO_TERMS
) -> DemoManifest:
    """Write synthetic, deliberately messy returns for ``terms`` under ``data_root/raw``.

    Parameters
    ----------
    data_root : Path
        The data root; files go to ``raw/<term>/<initiative>/`` and ``raw/<term>/costs.csv``,
        with the marker ``raw/DEMO_DATA.txt``. Earlier demo output for these terms is
        replaced; a folder holding real returns is refused (ConfigError).
    seed : int
        Same seed, same bytes.
    scale : int
        Multiplies the number of children and teachers (1 is realistic; benchmarks use 100+).
        Planted invalid rows, duplicates and layouts do not change with ``scale``.
    terms : sequence of str
        Terms in order, ``YYYY-YY-autumn|spring|summer``; children carry over between them.

    Returns
    -------
    DemoManifest
        Every file written, its planted invalid rows and the names and dates of birth used.
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ConfigError(f"scale must be a whole number of at least 1, not {scale!r}")
    terms = tuple(terms)
    if not terms:
        raise ConfigError("write_demo needs at least one term")
    term_objs = [_term(t, i) for i, t in enumerate(terms)]
    root = Path(data_root)
    raw = root / "raw"
    _prepare(raw, terms)
    raw.mkdir(parents=True, exist_ok=True)
    world = _World(int(seed), int(scale))
    manifest = DemoManifest(root, int(seed), int(scale), terms)
    drafts = [
        *_nurture_drafts(world, term_objs),
        *_elsa_drafts(world, term_objs),
        *_ebsa_drafts(world, term_objs),
        *_nqt_drafts(world, term_objs),
    ]
    for key in INITIATIVES:
        for term in term_objs:
            group = [d for d in drafts if d.initiative == key and d.term == term]
            styles = [_choose_style(world, d) for d in group]
            blocks = _plan_rows(world, group, styles)
            for draft, style, block in zip(group, styles, blocks, strict=True):
                manifest.files.append(_write_draft(root, draft, style, block, world, manifest))
    manifest.costs = [_write_costs(root, t, drafts, world) for t in term_objs]
    manifest.marker = raw / DEMO_MARKER
    manifest.marker.write_text(_MARKER_TEXT.format(seed=seed, scale=scale), encoding="utf-8")
    return manifest
