"""Trends across the terms of a year: per headline measure, each term's estimate with its
interval and n **as that term's report published it**, a chart, a table and a sentence.

Nothing is recomputed from pupil data: each figure is read from the summary payload of
the term's executed report (:func:`dspl_eval.runner.extract_summary`, its ``outcomes``
table) and parsed with :func:`dspl_eval.index.parse_figure`, so it is the term report's
figure exactly (a ``c`` stays ``c``). A term whose pack has no published page for the
initiative is left out, and said so.

Children in more than one term are a count of people: it is issued by a gate that knows
every set the term packs and the year pack published (their ledgers), like any figure.

A formal test of a difference between terms (Cochran's Q over the terms' mean changes,
with standard errors from their published t intervals) is given only when the terms'
samples are independent — no child in more than one term — and every term's n and
interval are shown. Otherwise the page says why there is none: the same children measured
in two terms make the estimates correlated, and Q would be wrong.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dspl_eval.initiatives import INITIATIVES

OUTCOMES_TABLE = "outcomes"


@dataclass(frozen=True)
class Point:
    """One period's published figure for one outcome."""

    period: str
    n: object  # int, or "c"
    change: float | None
    low: float | None
    high: float | None
    change_text: str
    interval_text: str
    before: str
    after: str
    unit: str = ""


def _label(period: str) -> str:
    return period.rsplit("-", 1)[1].capitalize() if period.count("-") == 2 else f"Year {period}"


def published_summary(reports: Path, period: str, key: str, edition: str) -> dict | None:
    """The summary payload of ``period``'s published report of ``key`` (None when the
    pack has no page for it)."""
    import nbformat

    from dspl_eval.runner import extract_summary

    if not (Path(reports) / period / edition / f"{key}.html").is_file():
        return None
    notebook = Path(reports) / period / "work" / edition / f"{key}.ipynb"
    if not notebook.is_file():
        return None
    return extract_summary(nbformat.read(notebook, as_version=4)) or None


def figures(summary: dict | None, period: str) -> dict[str, Point]:
    """``{outcome: Point}`` from a summary's outcomes table (as published)."""
    from dspl_eval.index import parse_figure

    if not summary:
        return {}
    table = next((t for t in summary.get("tables", []) if t.get("name") == OUTCOMES_TABLE), None)
    if table is None:
        return {}
    columns = table["columns"]
    out = {}
    for row in table["rows"]:
        cell = dict(zip(columns, row, strict=False))
        change = parse_figure(cell.get("Change"))
        interval = parse_figure(cell.get("95% CI"))
        value = change.numbers[0].value if change.kind == "number" else None
        unit = change.numbers[0].unit.strip() if change.kind == "number" else ""
        low, high = (
            (interval.numbers[0].value, interval.numbers[1].value)
            if interval.kind == "interval"
            else (None, None)
        )
        out[str(cell[columns[0]])] = Point(
            period,
            cell.get("n"),
            value,
            low,
            high,
            str(cell.get("Change") or "x"),
            str(cell.get("95% CI") or "x"),
            str(cell.get("Before (mean)") or "x"),
            str(cell.get("After (mean)") or "x"),
            "points" if unit.startswith("point") else unit,
        )
    return out


def trend(reports: Path, year: str, key: str, edition: str) -> dict[str, list[Point]]:
    """Per outcome, the points of each term of ``year`` (in order) and of the year."""
    from dspl_eval.year import terms_of

    periods = [*terms_of(year), year]
    found: dict[str, list[Point]] = {}
    for period in periods:
        for outcome, point in figures(
            published_summary(reports, period, key, edition), period
        ).items():
            found.setdefault(outcome, []).append(point)
    return found


def heterogeneity(points: list[Point]) -> tuple[float, int, float] | None:
    """Cochran's Q, its degrees of freedom and p-value over independent estimates, with
    standard errors from 95% t intervals (half width ÷ t(0.975, n − 1)); None when a
    term's n or interval is not shown."""
    from scipy import stats as sps

    if len(points) < 2:
        return None
    estimates, weights = [], []
    for p in points:
        if not isinstance(p.n, int) or p.n < 2 or p.low is None or p.high is None:
            return None
        if p.change is None:
            return None
        se = (p.high - p.low) / 2 / sps.t.ppf(0.975, p.n - 1)
        if not se > 0:
            return None
        estimates.append(p.change)
        weights.append(1 / se**2)
    pooled = sum(w * e for w, e in zip(weights, estimates, strict=True)) / sum(weights)
    q = sum(w * (e - pooled) ** 2 for w, e in zip(weights, estimates, strict=True))
    df = len(points) - 1
    return q, df, float(sps.chi2.sf(q, df))


def _p(p: float) -> str:
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def sentence(outcome: str, terms: list[Point], independent: bool) -> str:
    """A plain sentence about the terms' changes (from published figures only)."""
    shown = [p for p in terms if p.change is not None]
    if not terms:
        return f"{outcome}: no term report published this measure."
    parts = [f"{p.change_text} in {_label(p.period).lower()}" for p in terms]
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    text = f"{outcome}: the change was {listed}."
    if len(shown) < len(terms):
        return text + " Some terms' figures are suppressed, so the terms are not compared."
    if len(terms) < 2:
        return text + " Only one term has published this measure so far."
    if not independent:
        return text + (
            " The terms share children (some were measured in more than one term), so their "
            "estimates are not independent and no formal test of a difference between terms "
            "is given; compare the intervals instead."
        )
    test = heterogeneity(terms)
    if test is None:
        return text + " No formal test is given: a term's n or interval is not shown."
    q, df, p = test
    verdict = (
        f"similar in all {len(terms)} terms (no evidence that it differed"
        if p >= 0.05
        else f"different between the {len(terms)} terms (evidence that it differed"
    )
    return (
        f"{outcome}: the change was {verdict}: Cochran's Q = {q:.2f} on {df} degrees of "
        f"freedom, {_p(p)}); {listed}."
    )


def overlap(data: Path, reports: Path, year: str, key: str, edition: str, threshold: int):
    """Children in more than one term of the year, as a gate issues it (knowing every set
    the term packs and the year pack published). Returns ``(Issued, independent)``."""
    from dspl_eval.gate import Gate
    from dspl_eval.year import known_sets, ledger_path, read_sets, tell_gate, terms_of

    frame = pd.read_parquet(Path(data) / "processed" / year / f"{key}.parquet")
    people = INITIATIVES[key].unit
    gate = Gate(threshold, edition, "people" if people == "person" else f"{people}s")
    if edition == "commissioner":
        known = known_sets(data, reports, terms_of(year), key, edition)
        sets = list(known.sets)
        own = ledger_path(reports, year, edition, key)
        if own.is_file():
            sets += read_sets(own)
        tell_gate(gate, sets)
    shared = frozenset(frame.loc[frame["terms_seen"] > 1, "gate_id"])
    return gate.count(shared), not shared


def chart(outcome: str, points: list[Point], threshold: int):
    """A forest chart of the terms' (and the year's) published changes."""
    from dspl_eval import plots

    table = pd.DataFrame(
        {
            "outcome": [_label(p.period) for p in points],
            "estimate": [p.change if p.change is not None else "c" for p in points],
            "lower_ci": [p.low if p.low is not None else "c" for p in points],
            "upper_ci": [p.high if p.high is not None else "c" for p in points],
            "n": [p.n if isinstance(p.n, int) or p.n == "c" else "c" for p in points],
        }
    )
    unit = points[0].unit if points else ""
    return plots.estimate_forest(
        table,
        f"change in {outcome.lower()}",
        unit="%" if unit == "points" else unit,
        suppression_threshold=threshold,
    )


def _image(chart) -> str:
    from dspl_eval import plots
    from dspl_eval.export import chart_attribute

    png = base64.b64encode(plots.to_png(chart)).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{png}" alt="{html.escape(chart.alt, quote=True)}"'
        f"{chart_attribute(plots.chart_metadata(chart))}>"
    )


def write_page(
    path: Path, year: str, data: Path, reports: Path, edition: str, threshold: int
) -> Path:
    """``trends.html`` for the year pack of ``edition``."""
    from dspl_eval.disclosure import to_html
    from dspl_eval.export import meta_tags, report_css
    from dspl_eval.ingest import _atomic_write
    from dspl_eval.year import fingerprint, terms_of

    sections = []
    for key, initiative in INITIATIVES.items():
        if not (Path(data) / "processed" / year / f"{key}.parquet").is_file():
            continue
        found = trend(reports, year, key, edition)
        issued, independent = overlap(data, reports, year, key, edition, threshold)
        people = "teachers" if initiative.unit == "teacher" else "children"
        if issued.hidden:
            shared = f"The number of {people} in more than one term is suppressed."
        elif int(issued.value) == 0:
            shared = (
                f"No {people[:-1] if people == 'teachers' else 'child'} is in more than one term."
            )
        else:
            shared = f"{int(issued.value):,} {people} are in more than one term's returns."
        body = [f"<p>{html.escape(shared)}</p>"]
        if not found:
            body.append("<p>No term report of this initiative has been published yet.</p>")
        for outcome, points in found.items():
            terms = [p for p in points if p.period != year]
            body.append(f"<h3>{html.escape(outcome)}</h3>")
            body.append(f"<p>{html.escape(sentence(outcome, terms, independent))}</p>")
            frame = pd.DataFrame(
                {
                    "Measure and period": [
                        f"{outcome}, {_label(p.period).lower()}" for p in points
                    ],
                    "n": [p.n for p in points],
                    "Before (mean)": [p.before for p in points],
                    "After (mean)": [p.after for p in points],
                    "Change": [p.change_text for p in points],
                    "95% CI": [p.interval_text for p in points],
                }
            ).set_index("Measure and period")
            body.append(
                to_html(frame.astype(object), caption=f"{outcome}: change by term", counts=["n"])
            )
            try:
                body.append(_image(chart(outcome, points, threshold)))
            except ValueError as error:  # a figure the chart cannot draw: the table stands
                body.append(f"<p>No chart: {html.escape(str(error))}</p>")
        sections.append(
            f'<section data-dspl-initiative="{html.escape(key)}"><h2>'
            f"{html.escape(initiative.title)}</h2>{''.join(body)}</section>"
        )
    meta = {
        "edition": edition,
        "term": year,
        "threshold": threshold,
        "initiative": "trends",
        "data_fingerprint": fingerprint(data, year),
    }
    terms = ", ".join(terms_of(year))
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta_tags(meta)}
<title>Trends across the terms of {html.escape(year)}</title>
<style>{report_css()}</style>
</head>
<body>
<main id="main-content">
<h1>Trends across the terms of {html.escape(year)}</h1>
<p>Each term's figure is the one its own report published ({html.escape(terms)}); the
year's row follows each child from their earliest baseline to their latest follow-up.</p>
{"".join(sections)}
</main>
</body>
</html>
"""
    _atomic_write(Path(path), lambda p: Path(p).write_text(page, encoding="utf-8"))
    return Path(path)
