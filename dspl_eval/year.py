"""The academic year as one dataset: each person once, followed across the year's terms.

``build(data_dir, "2023-24")`` reads ``processed/<term>/`` of each term of the year
(``2023-24-autumn``, ``-spring``, ``-summer``; a term not ingested is left out and said so)
and writes ``processed/2023-24/`` **in the term schema**, so the same notebooks run on it:

``<key>.parquet``
    One row per person (the initiative's ``id_column``: ``pupil_id`` or
    ``participant_id``). For each before/after pair the *before* values come from the
    earliest term with a baseline and the *after* values from the latest term, not earlier
    than that one, with a follow-up. A pair's companions travel with it (the possible and
    attended sessions of an attendance percentage; for ELSA's SDQ the informant: a
    follow-up is only taken from a term where the same informant rated the child). Every
    other column comes from the person's latest term, except the start of support
    (:data:`FROM_FIRST`), which comes from the earliest. Extra columns: ``gate_id`` (the
    person's id: the disclosure gate counts people, not rows, so a child seen in three
    terms is one person), ``first_term``, ``last_term`` and ``terms_seen``.
    ``source_file`` is ``<term>:<file>`` of the latest row and ``source_row`` its row.
``<key>_quarantine.csv``
    Every term's quarantined rows, ``file`` written ``<term>:<file>`` (so that a
    quarantined row's id, ``<term>:<file>#<row>``, is the same in the year and in the
    translated term ledgers).
``validation.json``
    ``"kind": "year"``, the terms used and, per return (``<term>:<file>``), the term's own
    counts (``term_rows_read/kept/quarantined``) and the year's: ``rows_kept`` = people
    whose year row comes from that return, ``rows_quarantined`` = its quarantined rows,
    ``rows_read`` = their sum. Per initiative, ``totals`` say how the terms add up:
    rows read in the terms = kept + quarantined, and rows kept in the terms = people in
    the year + rows of people already counted from a later term (``rows_merged``).
``costs.parquet``
    The terms' cost lines with a ``term`` column, so a report's total cost is the year's.

Disclosure across packs. A term pack published its counts; the year pack must not let an
intruder subtract a year figure from a term figure. The term runs write each report's gate
ledger (every published set of people ids, ``source_file#source_row``) to the work folder;
:func:`known_sets` translates those ids into year ids (the person's id for a kept row,
``<term>:<file>#<row>`` for a quarantined one) so the year report's gate starts from them
(``Gate.known``). :func:`write_sets` / :func:`read_sets` are the one file format for both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.initiatives import INITIATIVES, Initiative, get
from dspl_eval.initiatives.base import Pair

YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
SEASONS = ("autumn", "spring", "summer")
#: columns that describe the start of support: taken from the person's earliest term
FROM_FIRST = ("support_start", "date_joined", "referral_date", "referral_source")
YEAR_COLUMNS = ("gate_id", "first_term", "last_term", "terms_seen")


def check_year(year: str) -> str:
    """Return ``year`` if it is named ``YYYY-YY`` (e.g. ``2023-24``); else raise ConfigError."""
    match = YEAR_PATTERN.match(year or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ConfigError(f"year {year!r} is not of the form YYYY-YY (e.g. 2023-24)")
    return year


def is_year(name: str) -> bool:
    try:
        check_year(name)
    except ConfigError:
        return False
    return True


def terms_of(year: str) -> tuple[str, ...]:
    """The terms of an academic year, in order: autumn, spring, summer."""
    return tuple(f"{check_year(year)}-{s}" for s in SEASONS)


def year_of(term: str) -> str:
    """``2023-24-spring`` → ``2023-24``."""
    from dspl_eval.paths import check_term

    return check_term(term).rsplit("-", 1)[0]


def season(term: str) -> str:
    return term.rsplit("-", 1)[1]


def year_processed(data: Path, year: str) -> Path:
    return Path(data) / "processed" / check_year(year)


# ----------------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class Unit:
    """Columns taken from one term together: ``before`` columns (the first is the one
    that says a baseline is there) and ``after`` columns (likewise), plus the baseline's
    columns a follow-up must agree with (``same``)."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    same: tuple[str, ...] = ()


def pairs(initiative: Initiative, columns: Iterable[str]) -> list[Pair]:
    """The initiative's declared before/after pairs (``Initiative.pairs``) whose two
    columns are both in ``columns``; nothing is guessed from column names."""
    present = set(columns)
    return [p for p in initiative.pairs if p.before in present and p.after in present]


def units(initiative: Initiative, columns: Iterable[str]) -> list[Unit]:
    """The pairs grouped so that values that belong together come from one term: a
    session set's possible, attended and percentage columns move with the percentage."""
    present = list(columns)
    found = pairs(initiative, present)
    # (possible, attended, percent): the percentage is there whenever either was returned
    sets = [s for s in initiative.session_sets if all(c in present for c in s)]
    grouped: list[Unit] = []
    used: set[str] = set()
    for pair in found:
        before, after = pair.before, pair.after
        if before in used or after in used:
            continue
        group_before = next((s for s in sets if before in s), (before,))
        group_after = next((s for s in sets if after in s), (after,))
        # the column that says the value is there first: the percentage of a session set
        first_b = group_before[-1] if len(group_before) == 3 else before
        first_a = group_after[-1] if len(group_after) == 3 else after
        b = (first_b, *[c for c in group_before if c != first_b])
        a = (first_a, *[c for c in group_after if c != first_a])
        same = tuple(c for c in pair.same_as_baseline if c in present)
        grouped.append(Unit(b, a, same))
        used |= set(b) | set(a)
    return grouped


# ----------------------------------------------------------------------------- the year frame


def year_frame(initiative: Initiative, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per person from the terms' processed frames (``{term: frame}``, any
    order): see the module docstring. Pure: nothing is read or written."""
    idc = initiative.id_column
    terms = sorted(frames, key=_term_order)
    usable = {t: frames[t] for t in terms if len(frames[t])}
    if not usable:
        base = next(iter(frames.values())) if frames else pd.DataFrame({idc: []})
        out = base.iloc[0:0].copy()
        for column in YEAR_COLUMNS:
            out[column] = pd.Series(dtype="Int64" if column == "terms_seen" else "str")
        return out
    parts = []
    for i, term in enumerate(terms):
        if term not in usable:
            continue
        frame = usable[term].copy()
        frame["_t"] = i
        frame["source_file"] = term + ":" + frame["source_file"].astype(str)
        parts.append(frame)
    long = pd.concat(parts, ignore_index=True)
    long = long[long[idc].notna()]
    # one row per person and term (ingest already sets aside a second row in a term)
    long = long.drop_duplicates([idc, "_t"], keep="first")
    long = long.set_index([idc, "_t"]).sort_index()
    people = long.index.get_level_values(0)
    order = long.index.get_level_values(1).to_numpy()
    latest = pd.Series(order, index=people).groupby(level=0).max()
    earliest = pd.Series(order, index=people).groupby(level=0).min()
    seen = pd.Series(order, index=people).groupby(level=0).size()
    ids = latest.index
    out = long.loc[list(zip(ids, latest.to_numpy(), strict=True))].reset_index()
    out.index = pd.Index(ids)
    first_rows = long.loc[list(zip(ids, earliest.to_numpy(), strict=True))]
    first_rows.index = ids
    for column in FROM_FIRST:
        if column in out:
            out[column] = first_rows[column]
    columns = [c for c in long.columns if c not in ("source_file", "source_row")]
    for unit in units(initiative, columns):
        _take_unit(long, out, unit, ids)
    out["gate_id"] = out[idc].astype(str)
    names = np.array(terms, dtype=object)
    out["first_term"] = names[earliest.reindex(ids).to_numpy()]
    out["last_term"] = names[latest.reindex(ids).to_numpy()]
    out["terms_seen"] = pd.array(seen.reindex(ids).to_numpy(), dtype="Int64")
    out = out.drop(columns=["_t"]).reset_index(drop=True)
    ordered = [c for c in parts[0].columns if c in out and c != "_t"]
    return out[ordered + [c for c in YEAR_COLUMNS if c not in ordered]]


def _take_unit(long: pd.DataFrame, out: pd.DataFrame, unit: Unit, ids: pd.Index) -> None:
    """Set ``out``'s before columns from each person's earliest term with a baseline and
    the after columns from the latest term (not earlier) with a follow-up."""
    has_before = long[unit.before[0]].notna()
    base = long[has_before].reset_index()[[long.index.names[0], "_t", *unit.same]]
    idc = long.index.names[0]
    base = base.sort_values("_t").drop_duplicates(idc, keep="first").set_index(idc)
    before_t = base["_t"].reindex(ids)
    for column in unit.before:
        out[column] = _values(long, column, ids, before_t)
    candidates = long[long[unit.after[0]].notna()].reset_index()[[idc, "_t", *unit.same]]
    start = before_t.reindex(candidates[idc]).to_numpy()
    keep = np.isnan(start.astype(float)) | (candidates["_t"].to_numpy() >= np.nan_to_num(start))
    for column in unit.same:
        wanted = base[column].reindex(candidates[idc]).reset_index(drop=True)
        has_base = ~np.isnan(start.astype(float))
        same = candidates[column].reset_index(drop=True).eq(wanted).fillna(False)
        keep &= ~has_base | same.to_numpy(dtype=bool)
    chosen = candidates[keep].sort_values("_t").drop_duplicates(idc, keep="last").set_index(idc)
    after_t = chosen["_t"].reindex(ids)
    for column in unit.after:
        out[column] = _values(long, column, ids, after_t)
    chosen_t = before_t.fillna(after_t)
    mask = chosen_t.notna().to_numpy()
    for column in unit.same:  # the pair is described by its baseline's informant
        values = _values(long, column, ids, chosen_t)
        out[column] = out[column].where(~mask, values.to_numpy())


def _values(long: pd.DataFrame, column: str, ids: pd.Index, term_index: pd.Series) -> pd.Series:
    """``long[column]`` at (person, term) for each person; missing where the term is NaN."""
    series = long[column]
    where = term_index.reindex(ids).fillna(-1).astype(int).to_numpy()
    values = series.reindex(pd.MultiIndex.from_arrays([ids, where], names=long.index.names))
    return pd.Series(values.to_numpy(), index=ids, dtype=series.dtype)


def _term_order(term: str) -> tuple[str, int]:
    year, name = term.rsplit("-", 1)
    return year, SEASONS.index(name) if name in SEASONS else 99


# ----------------------------------------------------------------------------- build


@dataclass
class YearBuild:
    """What :func:`build` wrote: the year, the terms found and missing, the folder."""

    year: str
    terms: list[str]
    missing: list[str]
    folder: Path
    people: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _term_frame(folder: Path, key: str) -> pd.DataFrame | None:
    path = folder / f"{key}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def _term_quarantine(folder: Path, key: str) -> pd.DataFrame | None:
    path = folder / f"{key}_quarantine.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def build(data_dir: Path, year: str, initiatives: Iterable[str] | None = None) -> YearBuild:
    """Write ``processed/<year>/`` from the year's ingested terms (see the module
    docstring). Raises DsplEvalError when no term of the year has been ingested."""
    from dspl_eval.ingest import _atomic_write

    data_dir = Path(data_dir)
    check_year(year)
    keys = list(initiatives or INITIATIVES)
    folders = {t: Path(data_dir) / "processed" / t for t in terms_of(year)}
    found = [t for t, f in folders.items() if (f / "validation.json").is_file()]
    missing = [t for t in folders if t not in found]
    if not found:
        raise DsplEvalError(
            f"no term of {year} has been ingested under {data_dir / 'processed'}: run "
            f"`dspl-eval ingest --term {year}-autumn` (and the other terms) first"
        )
    target = year_processed(data_dir, year)
    target.mkdir(parents=True, exist_ok=True)
    result = YearBuild(year, found, missing, target)
    validations = {t: _read_json(folders[t] / "validation.json") for t in found}
    files_out: list[dict] = []
    totals: dict[str, dict] = {}
    for key in keys:
        initiative = get(key)
        frames = {t: f for t in found if (f := _term_frame(folders[t], key)) is not None}
        if not frames:  # no term has this initiative's data
            for stale in (f"{key}.parquet", f"{key}_quarantine.csv"):
                (target / stale).unlink(missing_ok=True)
            continue
        frame = year_frame(initiative, frames)
        _atomic_write(target / f"{key}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        quarantines = []
        for t in found:
            q = _term_quarantine(folders[t], key)
            if q is not None and len(q):
                q = q.copy()
                q["file"] = t + ":" + q["file"]
                quarantines.append(q)
        columns = ["file", "sheet", "row", "column", "header", "value", "reason"]
        quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else None
        if quarantine is None:
            quarantine = pd.DataFrame(columns=columns)
        _atomic_write(
            target / f"{key}_quarantine.csv",
            lambda p, q=quarantine: q.to_csv(p, index=False, encoding="utf-8"),
        )
        attributed = frame["source_file"].value_counts().to_dict() if len(frame) else {}
        entries = []
        for t in found:
            for f in validations[t].get("files") or []:
                if f.get("initiative") != key:
                    continue
                name = f"{t}:{f['file']}"
                kept = int(attributed.get(name, 0))
                quarantined = int(f.get("rows_quarantined") or 0)
                entries.append(
                    {
                        **{k: v for k, v in f.items() if k not in ("file",)},
                        "file": name,
                        "term": t,
                        "term_file": f["file"],
                        "term_rows_read": int(f.get("rows_read") or 0),
                        "term_rows_kept": int(f.get("rows_kept") or 0),
                        "term_rows_quarantined": quarantined,
                        "rows_kept": kept,
                        "rows_quarantined": quarantined,
                        "rows_read": kept + quarantined,
                    }
                )
        files_out += entries
        term_kept = sum(e["term_rows_kept"] for e in entries)
        totals[key] = {
            "files": len(entries),
            "files_failed": sum(1 for e in entries if e.get("error")),
            "term_rows_read": sum(e["term_rows_read"] for e in entries),
            "term_rows_kept": term_kept,
            "rows_quarantined": sum(e["rows_quarantined"] for e in entries),
            "people": len(frame),
            "rows_merged": term_kept - len(frame),
            "rows_kept": sum(e["rows_kept"] for e in entries),
            "rows_read": sum(e["rows_read"] for e in entries),
        }
        result.people[key] = len(frame)
    costs = []
    for t in found:
        path = folders[t] / "costs.parquet"
        if path.is_file():
            c = pd.read_parquet(path)
            c.insert(0, "term", t)
            costs.append(c)
    if costs:
        table = pd.concat(costs, ignore_index=True)
        _atomic_write(target / "costs.parquet", lambda p: table.to_parquet(p, index=False))
    else:
        (target / "costs.parquet").unlink(missing_ok=True)
    if missing:
        result.notes.append(f"{year}: not ingested, so not in the year: {', '.join(missing)}")
    keys_seen = {v.get("pseudonymisation_key") for v in validations.values()}
    document = {
        "term": year,
        "kind": "year",
        "year": year,
        "terms": found,
        "terms_missing": missing,
        "term_fingerprints": {
            t: hashlib.sha256((folders[t] / "validation.json").read_bytes()).hexdigest()
            for t in found
        },
        "pseudonymisation_key": next(iter(keys_seen)) if len(keys_seen) == 1 else "mixed",
        "files": files_out,
        "totals": totals,
        "costs": {
            "rows": sum(len(c) for c in costs),
            "error": "; ".join(
                str(e) for t in found if (e := (validations[t].get("costs") or {}).get("error"))
            )
            or None,
        },
    }
    if len(keys_seen) > 1:
        result.notes.append(
            f"{year}: the terms were pseudonymised with different keys, so the same child "
            "has different ids in different terms and cannot be followed"
        )
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    _atomic_write(target / "validation.json", lambda p: Path(p).write_text(text, "utf-8"))
    return result


def fingerprint(data_dir: Path, year: str) -> str:
    """SHA-256 of ``processed/<year>/validation.json`` ("" when there is none)."""
    try:
        return hashlib.sha256(
            (year_processed(data_dir, year) / "validation.json").read_bytes()
        ).hexdigest()
    except OSError:
        return ""


# ----------------------------------------------------------------------------- sets of people


def write_sets(path: Path, sets: Iterable[Iterable[object]]) -> Path:
    """Write sets of people ids as a JSON list of sorted id lists (the format of
    ``reporting.write_ledger`` and ``reporting.read_known_sets``). Private: these files
    live in the work folder, never in a pack."""
    from dspl_eval.ingest import _atomic_write

    listed = sorted(sorted(str(i) for i in s) for s in sets)
    text = json.dumps(listed) + "\n"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(Path(path), lambda p: Path(p).write_text(text, "utf-8"))
    return Path(path)


def read_sets(path: Path) -> list[frozenset[str]]:
    """The sets in a file written by :func:`write_sets` or ``reporting.write_ledger`` (a
    bad file raises DsplEvalError)."""
    try:
        loaded = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise DsplEvalError(f"{path}: not a readable file of sets of people ({error})") from None
    if not isinstance(loaded, list) or not all(isinstance(s, list) for s in loaded):
        raise DsplEvalError(f"{path}: expected a JSON list of id lists")
    return [frozenset(str(i) for i in s) for s in loaded]


def term_id_map(data_dir: Path, term: str, key: str) -> dict[str, str]:
    """``{source_file#source_row: person id}`` for the kept rows of one term."""
    frame = _term_frame(Path(data_dir) / "processed" / term, key)
    if frame is None or not len(frame):
        return {}
    idc = get(key).id_column
    rows = frame["source_file"].astype(str) + "#" + frame["source_row"].astype(str)
    return dict(zip(rows, frame[idc].astype(str), strict=True))


def translate(sets: Iterable[frozenset], mapping: dict[str, str], term: str) -> list[frozenset]:
    """Term ids → year ids: a kept row becomes its person's id; anything else (a
    quarantined row ``file#row``, ``file#quarantined<i>``) becomes ``<term>:<id>``."""
    return [frozenset(mapping.get(i) or f"{term}:{i}" for i in s) for s in sets]


def ledger_path(reports: Path, term: str, edition: str, key: str) -> Path:
    """Where a term report's gate ledger is written: ``reports/<term>/work/<edition>/``."""
    return Path(reports) / term / "work" / edition / f"{key}.ledger.json"


@dataclass
class Known:
    """The term packs' published sets in year ids, and what could not be found."""

    sets: list[frozenset[str]]
    missing: list[str]  # terms whose pack was built but whose ledger is gone or unmatchable


def known_sets(
    data_dir: Path, reports: Path, terms: Iterable[str], key: str, edition: str = "commissioner"
) -> Known:
    """Every set of people the term reports of ``key`` published (their gates' ledgers),
    in year ids. A term with a published pack but no ledger, or a ledger whose people
    cannot be matched any more (the term's processed data gone, or ingested again after
    the pack was built), is listed in ``missing``: nothing can then be protected against
    differencing with it."""
    sets: list[frozenset[str]] = []
    missing = []
    for term in terms:
        path = ledger_path(reports, term, edition, key)
        if path.is_file():
            ledger = read_sets(path)
            if not _ledger_readable(ledger, data_dir, term, path):
                missing.append(term)
                continue
            sets += translate(ledger, term_id_map(data_dir, term, key), term)
        elif (Path(reports) / term / edition / f"{key}.html").is_file():
            missing.append(term)
    return Known(list(dict.fromkeys(s for s in sets if s)), missing)


def _ledger_readable(ledger: list[frozenset[str]], data_dir: Path, term: str, path: Path) -> bool:
    """Whether a term's ledger (ids ``file#row``) can still be put in year ids: the
    term's processed data is there and is the data the pack was built from (not
    ingested again since, when rows may have moved). Otherwise its people cannot be
    matched, and a check against that term would be silently weaker. (A term whose
    rows were all quarantined has no kept rows to match, and is readable.)"""
    if not any(ledger):
        return True
    processed = Path(data_dir) / "processed" / term / "validation.json"
    try:
        return processed.stat().st_mtime <= path.stat().st_mtime
    except OSError:
        return False


def term_known_sets(
    data_dir: Path, reports: Path, term: str, key: str, edition: str = "commissioner"
) -> Known:
    """What the *other* term packs of ``term``'s academic year published for ``key`` (their
    ledgers), in the ids of ``term``'s own gate: a person of this term's returns gets the
    ``file#row`` of their row here, anyone else a token made from their year id (so no
    pupil id is written to the work folder). A commissioner reads
    every term's pack, so a term figure must not be subtractable from another term's
    (children carry on from one term to the next) any more than from the year's: each
    term's gate starts from the others' sets, and so, term by term, no set of packs of
    the year lets a small group be worked out, and the year pack can start from them all."""
    others = [t for t in terms_of(year_of(term)) if t != term]
    known = known_sets(data_dir, reports, others, key, edition)
    here = {person: row for row, person in term_id_map(data_dir, term, key).items()}

    def elsewhere(i: str) -> str:  # not in this term: a token, not the person's id
        return "other:" + hashlib.sha256(i.encode("utf-8")).hexdigest()[:16]

    sets = [frozenset(here.get(i) or elsewhere(i) for i in s) for s in known.sets]
    return Known(list(dict.fromkeys(sets)), known.missing)


def tell_gate(gate, sets: Iterable[frozenset]) -> None:
    """Tell a gate the sets an intruder already knows the sizes of (``Gate.known``)."""
    sets = [frozenset(s) for s in sets if s]
    if hasattr(gate, "known"):
        gate.known(sets)
        return
    # until Gate.known lands: the sets are as good as published in this gate
    for s in sets:
        if s not in gate._ledger.published:
            gate._ledger.published.append(s)


__all__ = [
    "Known",
    "Unit",
    "YearBuild",
    "build",
    "check_year",
    "is_year",
    "known_sets",
    "ledger_path",
    "pairs",
    "read_sets",
    "term_id_map",
    "term_known_sets",
    "terms_of",
    "translate",
    "units",
    "write_sets",
    "year_frame",
    "year_of",
]
