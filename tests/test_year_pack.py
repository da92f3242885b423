"""The year pack end to end (issue 15, done-when): n per initiative, trends equal to the
term reports, and the audit over the year pack and the front page."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from dspl_eval import frontpage, trends
from dspl_eval import year as years
from dspl_eval.audit import audit_reports
from dspl_eval.initiatives import get
from dspl_eval.runner import run_year

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]
YEAR = "2023-24"
HEADLINE = {  # the first row of each report's outcomes table, and its pair
    "ebsa": ("Attendance", "attendance_before", "attendance_after"),
    "nurture": ("Boxall developmental strands", "boxall_developmental_pre",
                "boxall_developmental_post"),
    "nqt": ("Self-rated understanding", "understanding_pre", "understanding_post"),
}  # fmt: skip


@pytest.fixture(scope="module")
def year_run(demo_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("year-pack")
    data, reports = root / "data", root / "reports"
    shutil.copytree(demo_run.data, data)
    shutil.copytree(demo_run.reports, reports)
    analyst = run_year(YEAR, data, reports, jobs=2, audience="analyst")
    commissioner = run_year(YEAR, data, reports, jobs=2)
    return data, reports, analyst, commissioner


def _both(data, key, before, after) -> int:
    """Independently: people with a baseline in some term and a follow-up then or later."""
    ini = get(key)
    first, last = {}, {}
    for i, term in enumerate(years.terms_of(YEAR)):
        frame = pd.read_parquet(data / "processed" / term / f"{key}.parquet")
        for pid, b, a in zip(frame[ini.id_column], frame[before], frame[after], strict=True):
            if not pd.isna(b):
                first.setdefault(pid, i)
            if not pd.isna(a):
                last[pid] = i
    return sum(1 for p, i in first.items() if last.get(p, -1) >= i)


@pytest.mark.parametrize("key", sorted(HEADLINE))
def test_year_n_is_the_children_with_both_measures(year_run, key):
    data, _reports, analyst, _ = year_run
    outcome, before, after = HEADLINE[key]
    result = next(r for r in analyst.results if r.initiative == key)
    assert result.ok, result.error
    points = trends.figures(result.summary, YEAR)
    assert points[outcome].n == _both(data, key, before, after)


@pytest.mark.parametrize("key", sorted(HEADLINE))
def test_each_terms_trend_figure_is_that_terms_report(year_run, key):
    _data, reports, _, _ = year_run
    for outcome, points in trends.trend(reports, YEAR, key, "commissioner").items():
        for point in points:
            if point.period == YEAR:
                continue
            own = trends.published_summary(reports, point.period, key, "commissioner")
            row = next(r for t in own["tables"] if t["name"] == "outcomes" for r in t["rows"]
                       if r[0] == outcome)  # fmt: skip
            table = next(t for t in own["tables"] if t["name"] == "outcomes")
            cell = dict(zip(table["columns"], row, strict=True))
            assert (point.n, point.change_text, point.interval_text) == (
                cell["n"],
                cell["Change"],
                cell["95% CI"],
            )


def test_the_audit_covers_the_year_pack_and_the_front_page(year_run):
    data, reports, _, commissioner = year_run
    assert commissioner.audit_passed is not None  # the year pack was audited
    if commissioner.pack is not None:
        assert audit_reports(commissioner.pack, data).passed
    front, findings = frontpage.write(data, reports)
    if front is not None:
        folder = front.parent / "front-audit"
        folder.mkdir()
        shutil.copy(front, folder / "index.html")
        assert audit_reports(folder, data).passed
    else:
        assert findings
