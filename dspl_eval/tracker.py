"""The returns tracker: per term and initiative, which schools sent their return, which
are missing, and how many rows each return had set aside.

The list of schools expected to return each initiative comes from the settings file
(``Settings.expected``); names in the returns are matched to it through the declared
spellings (``Settings.school_name``). A return (or a row) naming a school that is not on
the list is **shown for the analyst to check**, never dropped.

Which schools sent a return: the schools its kept rows name (a service's return may cover
several schools). Rows set aside are counted per return (the quarantine list), and put
against the school when the return's rows name one school only; otherwise against
"several schools (one return)".

Two kinds of count, kept apart:

- counts of **schools** ("17 of 30 schools returned"): not counts of people, safe on any
  page (:func:`headline`);
- rows kept and rows set aside per school: counts of **children** — analyst pack only
  (:func:`write_page` refuses the commissioner edition).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES

SEVERAL = "several schools (one return)"


def _settings(data: Path, settings=None):
    if settings is not None:
        return settings
    try:
        from dspl_eval.settings import load
    except ImportError:  # pragma: no cover - settings.py is part of the package
        return None
    return load(Path(data))


def _normalise(name: object) -> str:
    try:
        from dspl_eval.settings import normalise_school
    except ImportError:  # pragma: no cover
        return " ".join(str(name).split()).casefold()
    return normalise_school(name)


def canonical(settings, spelt: object) -> tuple[str, bool]:
    """``(name, known)``: the declared school ``spelt`` names, or the name as spelt (its
    spacing tidied) and False when no declared school matches."""
    if spelt is None or (isinstance(spelt, float) and spelt != spelt) or not str(spelt).strip():
        return "(no school given)", False
    name = settings.school_name(spelt) if settings is not None else None
    if name:
        return name, True
    return " ".join(str(spelt).split()), False


NO_LIST = "no list of expected schools in the settings file"


@dataclass
class Status:
    """One initiative in one term."""

    initiative: str
    term: str
    expected: list[str]  # canonical names, in the settings' order
    returned: list[str]  # expected schools that sent a return
    missing: list[str]  # expected schools with no return
    unexpected: list[str]  # schools in the returns that are not on the list (to check)
    files: int  # returns received (files in validation.json)
    rows: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def headline(self, why: bool = True) -> str:
        """``17 of 30 schools returned`` (counts of schools, not of people). With no list
        of expected schools, the returns received, and (``why``) that there is no list."""
        title = INITIATIVES[self.initiative].title
        if not self.expected:
            received = f"{title}: {self.files} return{'s' if self.files != 1 else ''} received"
            return f"{received}; {NO_LIST}" if why else received
        extra = f"; {len(self.unexpected)} not on the list" if self.unexpected else ""
        return f"{title}: {len(self.returned)} of {len(self.expected)} schools returned{extra}"


def _read(folder: Path, key: str) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    parquet = folder / f"{key}.parquet"
    frame = (
        pd.read_parquet(parquet, columns=["school", "source_file"]) if parquet.is_file() else None
    )
    path = folder / f"{key}_quarantine.csv"
    quarantine = (
        pd.read_csv(path, dtype=str, keep_default_na=False)
        if path.is_file()
        else pd.DataFrame(columns=["file", "row"])
    )
    return frame, quarantine


def term_status(data: Path, term: str, settings=None) -> dict[str, Status]:
    """Every initiative's tracker for one term (from ``processed/<term>/``)."""
    settings = _settings(data, settings)
    folder = Path(data) / "processed" / term
    try:
        document = json.loads((folder / "validation.json").read_text("utf-8"))
    except (OSError, ValueError):
        document = {}
    expected_all = dict(getattr(settings, "expected", {}) or {})
    out = {}
    for key in INITIATIVES:
        files = [f for f in document.get("files") or [] if f.get("initiative") == key]
        frame, quarantine = _read(folder, key)
        records = []
        for f in files:
            name = str(f["file"])
            kept = frame[frame["source_file"] == name] if frame is not None else frame
            schools = kept["school"] if kept is not None else pd.Series(dtype=object)
            named = [canonical(settings, s) for s in schools]
            counts: dict[tuple[str, bool], int] = {}
            for item in named:
                counts[item] = counts.get(item, 0) + 1
            set_aside = int(quarantine.loc[quarantine["file"] == name, "row"].nunique())
            if not counts:  # nothing kept: who sent it is not known from the rows
                counts = {("(no rows kept)", False): 0}
            single = len(counts) == 1
            for (school, known), n in counts.items():
                records.append(
                    {
                        "file": name,
                        "school": school,
                        "on_list": known and school in expected_all.get(key, ()),
                        "declared": known,
                        "rows_kept": n,
                        "rows_set_aside": set_aside if single else 0,
                        "not_read": bool(f.get("error")),
                    }
                )
            if not single and set_aside:
                records.append(
                    {
                        "file": name,
                        "school": SEVERAL,
                        "on_list": False,
                        "declared": False,
                        "rows_kept": 0,
                        "rows_set_aside": set_aside,
                        "not_read": bool(f.get("error")),
                    }
                )
        rows = pd.DataFrame(
            records,
            columns=[
                "file", "school", "on_list", "declared", "rows_kept", "rows_set_aside",
                "not_read",
            ],
        )  # fmt: skip
        expected = list(expected_all.get(key, ()))
        sent = set(rows.loc[rows["rows_kept"] > 0, "school"])
        returned = [s for s in expected if s in sent]
        missing = [s for s in expected if s not in sent]
        unexpected = sorted(
            {
                s
                for s in rows["school"]
                if s not in expected and s not in (SEVERAL, "(no rows kept)")
            }
        )
        out[key] = Status(key, term, expected, returned, missing, unexpected, len(files), rows)
    return out


def headline(data: Path, term: str, settings=None) -> list[str]:
    """One line per initiative: ``ELSA: 17 of 30 schools returned`` (schools, not people)."""
    return [
        s.headline() for s in term_status(data, term, settings).values() if s.files or s.expected
    ]


def table(statuses: dict[str, Status]) -> pd.DataFrame:
    """The analyst's table: per initiative and school, whether it was expected and sent a
    return, its returns, rows kept and rows set aside (counts of children)."""
    records = []
    for key, status in statuses.items():
        title = INITIATIVES[key].title
        by_school = status.rows.groupby("school", sort=False) if len(status.rows) else None
        schools = list(dict.fromkeys([*status.expected, *status.rows["school"]]))
        for school in schools:
            rows = (
                by_school.get_group(school)
                if by_school is not None and school in by_school.groups
                else None
            )
            expected = school in status.expected
            sent = rows is not None and int(rows["rows_kept"].sum()) > 0
            if expected:
                state = "returned" if sent else "missing"
            elif school in (SEVERAL, "(no rows kept)"):
                state = "rows not put against one school"
            else:
                state = "not on the list: check"
            records.append(
                {
                    "Initiative": title,
                    "School": school,
                    "Status": state,
                    "Returns": 0 if rows is None else rows["file"].nunique(),
                    "Rows kept": 0 if rows is None else int(rows["rows_kept"].sum()),
                    "Rows set aside": 0 if rows is None else int(rows["rows_set_aside"].sum()),
                }
            )
    return pd.DataFrame(
        records,
        columns=["Initiative", "School", "Status", "Returns", "Rows kept", "Rows set aside"],
    )


def write_page(
    path: Path, data: Path, terms: list[str], edition: str, threshold: int, meta_term: str,
    fingerprint: str = "", settings=None,
) -> Path:  # fmt: skip
    """``tracker.html`` for an analyst pack: per term, the headline line per initiative
    and the table of schools. Refuses the commissioner edition (rows per school are counts
    of children)."""
    from dspl_eval.disclosure import to_html
    from dspl_eval.export import meta_tags, report_css
    from dspl_eval.ingest import _atomic_write

    if edition != "analyst":
        raise ConfigError("the returns tracker with rows per school is for the analyst pack only")
    settings = _settings(data, settings)
    sections = []
    for term in terms:
        statuses = term_status(data, term, settings)
        lines = "".join(
            f"<li>{html.escape(s.headline())}</li>"
            for s in statuses.values()
            if s.files or s.expected
        )
        frame = table(statuses).set_index(["Initiative", "School"]).reset_index(level=1)
        shown = to_html(
            frame.astype(object),
            caption=f"Returns by school, {term}",
            counts=["Rows kept", "Rows set aside"],
        )
        sections.append(f"<section><h2>{html.escape(term)}</h2><ul>{lines}</ul>{shown}</section>")
    meta = {
        "edition": edition,
        "term": meta_term,
        "threshold": threshold,
        "initiative": "tracker",
        "data_fingerprint": fingerprint,
    }
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta_tags(meta)}
<title>Returns tracker: {html.escape(meta_term)}</title>
<style>{report_css()}</style>
</head>
<body>
<main id="main-content">
<h1>Returns tracker: {html.escape(meta_term)}</h1>
<p>Analyst edition: not for circulation. Schools expected to return each initiative come
from the settings file; names are matched through their declared spellings. A school not
on the list is shown to check, not dropped. Rows kept and set aside are counts of
children.</p>
{"".join(sections)}
</main>
</body>
</html>
"""
    _atomic_write(Path(path), lambda p: Path(p).write_text(page, encoding="utf-8"))
    return Path(path)
