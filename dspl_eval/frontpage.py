"""The front page across terms: ``reports/index.html``.

It lists every term and year pack under ``reports/`` with its status, read from what the
run left: **ready** (the commissioner pack's index says "Ready to send"), **not ready**
(published, but its index lists why not), **failed** (the audit stopped it: only an
``unpublished-commissioner`` folder), with each initiative's headline figures as that pack
published them (its ``outcomes`` table, via :mod:`dspl_eval.trends`), and for each term
"what changed since last term": children new and children who finished (counts of people,
issued by a gate that knows every set the term and year packs published) and each
headline's change last term and this term, with its interval.

The page is the commissioner edition; it is audited (:mod:`dspl_eval.audit`) in a staging
folder and only then renamed into place. When the audit fails it is left as
``reports/unpublished-index.html`` and the old front page stays.
"""

from __future__ import annotations

import html
import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dspl_eval.initiatives import INITIATIVES


@dataclass(frozen=True)
class Pack:
    period: str
    status: str  # "ready" | "not ready" | "failed" | "none"
    link: str | None


def pack_status(reports: Path, period: str) -> Pack:
    """What the run left for ``period``'s commissioner pack."""
    folder = Path(reports) / period / "commissioner"
    index = folder / "index.html"
    if index.is_file():
        text = index.read_text("utf-8", errors="replace")
        ready = 'class="status ok"' in text and "Ready to send" in text
        return Pack(period, "ready" if ready else "not ready", f"{period}/commissioner/index.html")
    if (Path(reports) / period / "unpublished-commissioner").is_dir():
        return Pack(period, "failed", None)
    return Pack(period, "none", None)


def periods(reports: Path) -> list[str]:
    """Terms and years with a pack folder, oldest first (a year after its summer term)."""
    from dspl_eval.paths import TERM_PATTERN
    from dspl_eval.year import SEASONS, is_year

    found = []
    for child in Path(reports).iterdir() if Path(reports).is_dir() else []:
        if not child.is_dir():
            continue
        if TERM_PATTERN.match(child.name):
            year, season = child.name.rsplit("-", 1)
            found.append(((year, SEASONS.index(season)), child.name))
        elif is_year(child.name):
            found.append(((child.name, 9), child.name))
    return [name for _, name in sorted(found)]


def _people_sets(data: Path, term: str, key: str) -> frozenset:
    path = Path(data) / "processed" / term / f"{key}.parquet"
    if not path.is_file():
        return frozenset()
    column = INITIATIVES[key].id_column
    return frozenset(pd.read_parquet(path, columns=[column])[column].astype(str))


def changes(
    data: Path, reports: Path, previous: str, term: str, key: str, threshold: int
) -> tuple[object, object]:
    """``(new, finished)`` children between two terms, as issued by a gate told every set
    the two term packs (and the year pack) published. Each is an ``Issued``."""
    from dspl_eval.gate import Gate
    from dspl_eval.year import known_sets, ledger_path, read_sets, tell_gate, year_of

    before, now = _people_sets(data, previous, key), _people_sets(data, term, key)
    gate = Gate(threshold, "commissioner")
    found = known_sets(data, reports, [previous, term], key)
    if found.missing:  # a term pack's published sets are not known: nothing can be checked
        return None, None
    known = found.sets
    year = year_of(term)
    own = ledger_path(reports, year, "commissioner", key)
    if own.is_file():
        known += read_sets(own)
    tell_gate(gate, known)
    issued = gate.counts({"new": now - before, "finished": before - now})
    return issued["new"], issued["finished"]


def _words(issued, people: str) -> str:
    if issued is None:
        return f"a number of {people} not shown (the term reports' figures could not be checked)"
    if issued.hidden:
        return f"a suppressed number of {people}"
    return f"{int(issued.value):,} {people}"


def _returns(data: Path, period: str) -> str:
    """The tracker's lines for a term ("ELSA: 17 of 30 schools returned": schools), and
    once, not on every line, which initiatives have no list of expected schools."""
    from dspl_eval.tracker import NO_LIST, term_status
    from dspl_eval.year import is_year

    if is_year(period) or not (Path(data) / "processed" / period).is_dir():
        return ""
    shown = [s for s in term_status(data, period).values() if s.files or s.expected]
    lines = [s.headline(why=False) for s in shown]
    listless = [INITIATIVES[s.initiative].title for s in shown if not s.expected]
    page = "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
    if listless:
        which = "every initiative" if len(listless) == len(shown) else ", ".join(listless)
        page += (
            f"<p>{html.escape(NO_LIST[0].upper() + NO_LIST[1:])} for {html.escape(which)}, so "
            "the returns received are counted but missing ones cannot be named (the "
            "settings' <code>[expected]</code> list).</p>"
        )
    return page


def _headlines(reports: Path, period: str, key: str) -> dict:
    from dspl_eval.trends import figures, published_summary

    return figures(published_summary(reports, period, key, "commissioner"), period)


def build_page(data: Path, reports: Path, threshold: int = 5) -> tuple[str, str]:
    """``(html, meta term)`` of the front page."""
    from dspl_eval.disclosure import to_html
    from dspl_eval.export import meta_tags, report_css
    from dspl_eval.year import fingerprint, is_year, year_of

    listed = periods(reports)
    years = [p for p in listed if is_year(p)]
    terms = [p for p in listed if not is_year(p)]
    meta_year = years[-1] if years else (year_of(terms[-1]) if terms else "")
    rows = []
    for period in reversed(listed):
        pack = pack_status(reports, period)
        rows.append(
            f"<li><strong>{html.escape(period)}</strong>: {html.escape(pack.status)}"
            + (f' — <a href="{html.escape(pack.link)}">open the pack</a>' if pack.link else "")
            + _returns(data, period)
            + "</li>"
        )
    sections = []
    for key, initiative in INITIATIVES.items():
        people = "teachers" if initiative.unit == "teacher" else "children"
        body = []
        for period in reversed(listed):
            if pack_status(reports, period).status == "none":
                continue
            found = _headlines(reports, period, key)
            if not found:
                continue
            frame = pd.DataFrame(
                {
                    "Measure": [f"{o}, {period}" for o in found],
                    "n": [p.n for p in found.values()],
                    "Change": [p.change_text for p in found.values()],
                    "95% CI": [p.interval_text for p in found.values()],
                }
            ).set_index("Measure")
            body.append(to_html(frame.astype(object), caption=f"Headlines, {period}", counts=["n"]))
        for previous, term in itertools.pairwise(terms):
            if year_of(previous) != year_of(term):
                continue
            if not (Path(data) / "processed" / term / f"{key}.parquet").is_file():
                continue
            new, finished = changes(data, reports, previous, term, key, threshold)
            was, now = _headlines(reports, previous, key), _headlines(reports, term, key)
            moves = [
                f"{o}: {was[o].change_text} ({was[o].interval_text}) last term, "
                f"{now[o].change_text} ({now[o].interval_text}) this term"
                for o in now
                if o in was
            ]
            body.append(
                f"<h3>What changed in {html.escape(term)} since last term</h3><ul>"
                f"<li>{html.escape(_words(new, people))} new this term; "
                f"{html.escape(_words(finished, people))} in last term's returns and not in "
                "this term's.</li>" + "".join(f"<li>{html.escape(m)}</li>" for m in moves) + "</ul>"
            )
        if body:
            sections.append(
                f'<section data-dspl-initiative="{html.escape(key)}"><h2>'
                f"{html.escape(initiative.title)}</h2>{''.join(body)}</section>"
            )
    meta = {
        "edition": "commissioner",
        "term": meta_year,
        "threshold": threshold,
        "initiative": "index",
        "data_fingerprint": fingerprint(data, meta_year) if meta_year else "",
    }
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta_tags(meta)}
<title>SEND partnership evaluation: every term and year</title>
<style>{report_css()}</style>
</head>
<body>
<main id="main-content">
<h1>SEND partnership evaluation: every term and year</h1>
<p>Status of each pack: ready (sent after the privacy audit), not ready (its index says
why), failed (not published).</p>
<p class="note">c = suppressed: fewer than {threshold} people, or a figure that would let
such a group be worked out; x = not available.</p>
<ul>{"".join(rows)}</ul>
{"".join(sections)}
</main>
</body>
</html>
"""
    return page, meta_year


def write(data: Path, reports: Path, threshold: int = 5) -> tuple[Path | None, list[str]]:
    """Build, audit and publish ``reports/index.html``. Returns ``(path, findings)``:
    the published page (None when the audit failed) and the audit's findings."""
    from dspl_eval.audit import audit_reports

    page, year = build_page(data, reports, threshold)
    staging = Path(reports) / f".staging-frontpage-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        (staging / "index.html").write_text(page, encoding="utf-8")
        result = audit_reports(staging, data, terms=(year,) if year else (), threshold=threshold)
        findings = [str(f) for f in result.findings]
        if not result.passed and not findings:
            findings = ["the audit did not pass: " + "; ".join(map(str, result.notes))]
        if findings:
            os.replace(staging / "index.html", Path(reports) / "unpublished-index.html")
            return None, findings
        target = Path(reports) / "index.html"
        os.replace(staging / "index.html", target)
        (Path(reports) / "unpublished-index.html").unlink(missing_ok=True)
        return target, []
    finally:
        shutil.rmtree(staging, ignore_errors=True)
