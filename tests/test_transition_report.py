"""End to end: the Year 6/7 transition report on the demo data, in both editions.

The shared demo (``conftest.demo_run``) writes and ingests the demo returns and the batch
builds every term: the analyst edition of the last term (every figure shown) and the
commissioner send pack, its index and ``summary.xlsx``, audited before it is published.
What the pages show is checked against figures worked out here, independently of
``dspl_eval``'s statistics, from the processed parquet: scipy's Wilcoxon signed-rank
test, statsmodels' exact McNemar test and Holm adjustment, and plain pandas counts.
The source of each reference value is beside it.
"""

from __future__ import annotations

import html
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from dspl_eval import audit
from dspl_eval.initiatives.transition import WORRIES
from dspl_eval.synth import DEMO_TERMS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="demo")]

THRESHOLD = 5
AREAS = [label for _, _, label in WORRIES.items]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(demo_run) -> tuple[Path, Path, str]:
    """The shared demo (``conftest.demo_run``: returns written, ingested and every term
    reported by the batch); the last demo term, which has an analyst edition too."""
    term = DEMO_TERMS[-1]
    assert (demo_run.data / "processed" / term / "transition.parquet").is_file(), (
        "the demo wrote no transition returns"
    )
    return demo_run.data.parent, demo_run.data, term


@pytest.fixture(scope="module")
def processed(demo) -> pd.DataFrame:
    _, data, term = demo
    return pd.read_parquet(data / "processed" / term / "transition.parquet")


@pytest.fixture(scope="module")
def analyst(demo_run) -> nbformat.NotebookNode:
    """The notebook as the batch executed it for analysts (nothing suppressed)."""
    assert demo_run.analyst.exit_code == 0
    path = demo_run.work(DEMO_TERMS[-1], "analyst") / "transition.ipynb"
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def pack(demo_run) -> tuple[Path, Path, Path]:
    """The commissioner send pack of the last term, built and audited by the batch;
    (pack folder, executed transition notebook, data root)."""
    term = DEMO_TERMS[-1]
    assert demo_run.outcomes[term].exit_code == 0, demo_run.outcomes[term].audit_findings
    folder = demo_run.pack(term)
    return folder, demo_run.work(term) / "transition.ipynb", demo_run.data


# ----------------------------------------------------------------------------- reading pages


class _Tables(HTMLParser):
    """Every ``<table>``: its caption and rows of cell text (stdlib parser only)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(text: str) -> dict[str, pd.DataFrame]:
    """Tables by caption (the note after the caption text left out), first column as
    the index."""
    parser = _Tables()
    parser.feed(text)
    out = {}
    for t in parser.tables:
        rows = [r for r in t["rows"] if r]
        if not rows:
            continue
        frame = pd.DataFrame(rows[1:], columns=rows[0]).set_index(rows[0][0])
        out[t["caption"]] = frame
    return out


def notebook_text(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """(markdown shown, HTML shown) of an executed notebook's outputs."""
    md, tables = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output.get("evalue")
            data = output.get("data", {})
            md.append(data.get("text/markdown", ""))
            tables.append(data.get("text/html", ""))
    return "\n".join(md), "\n".join(tables)


def table(tables: dict[str, pd.DataFrame], starts: str) -> pd.DataFrame:
    found = [t for caption, t in tables.items() if caption.startswith(starts)]
    assert len(found) == 1, f"{starts!r}: {list(tables)}"
    return found[0]


def fmt_p(p: float) -> str:
    """APA style as a reader sees it (the report's convention: ``p = .003``, ``p < .001``)."""
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


# ----------------------------------------------------------------------------- reference values


def supported_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["supported"].astype("boolean").fillna(False)]


def total_score(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The declared worry total (``WORRIES``: sum of 0/1/2 answers, at least
    ``min_answered`` answered, pro-rated over the answered areas), worked out by hand."""
    block = df[list(columns)].astype(float)
    answered = block.notna().sum(axis=1)
    return (block.mean(axis=1) * len(columns)).where(answered >= WORRIES.min_answered)


def total_pairs(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    s = supported_rows(df)
    pre, post = total_score(s, WORRIES.before), total_score(s, WORRIES.after)
    both = pre.notna() & post.notna()
    return pre[both].to_numpy(), post[both].to_numpy()


def area_mcnemar(df: pd.DataFrame, before: str, after: str) -> tuple[int, int, int, float]:
    """(n, no worry before, no worry after, exact McNemar p) for one area, from
    statsmodels ``mcnemar(exact=True)`` (binomial test on the discordant pairs)."""
    s = supported_rows(df)
    pair = s[[before, after]].dropna().astype(int)
    b0, a0 = pair[before].eq(0), pair[after].eq(0)
    cells = [[int((b0 & a0).sum()), int((b0 & ~a0).sum())],
             [int((~b0 & a0).sum()), int((~b0 & ~a0).sum())]]  # fmt: skip
    p = mcnemar(np.array(cells), exact=True).pvalue if cells[0][1] + cells[1][0] else math.nan
    return len(pair), int(b0.sum()), int(a0.sum()), float(p)


# ----------------------------------------------------------------------------- tests


def test_the_counts_of_referrals_schools_and_supported_children(analyst, processed):
    md, shown = notebook_text(analyst)
    tables = tables_of(shown)
    referrals = len(processed)  # one row per referred child in the processed parquet
    schools = processed["school"].nunique()  # distinct referring schools
    supported = int(processed["supported"].astype("boolean").fillna(False).sum())
    assert f"{referrals:,} children were referred" in md
    assert f"by {schools} primary schools" in md
    assert (
        table(tables, "Referrals by main presenting need").loc["Total (in the returns)", "Children"]
        == f"{referrals:,}"
    )
    profile = table(tables, "Referrals: supported by a service")
    assert profile.loc["Supported by a service", "Children"] == f"{supported:,}"
    services = table(tables, "Supported children by service")
    assert services.loc["Total (supported children)", "Children"] == f"{supported:,}"
    # one service's count: rows naming it in the processed "; "-joined multi column
    named = processed["services"].dropna().str.split("; ").map(lambda v: "STLS" in v)
    assert services.loc["STLS", "Children"] == str(int(named.sum()))


def test_the_total_worry_change_matches_scipy(analyst, processed):
    pre, post = total_pairs(processed)
    diff = post - pre
    # scipy.stats.wilcoxon: zeros dropped ("wilcox", as R's wilcox.test), normal
    # approximation with continuity correction (ties and zeros make R do the same)
    reference = sps.wilcoxon(diff, zero_method="wilcox", correction=True, method="approx")
    _, shown = notebook_text(analyst)
    row = table(tables_of(shown), "Total worry score (0-22): before and after").iloc[0]
    assert row["n"] == str(len(diff))
    assert row["Before (mean)"] == f"{pre.mean():.1f}"
    assert row["After (mean)"] == f"{post.mean():.1f}"
    assert row["Change"] == f"{diff.mean():+.1f}".replace("-", "−")
    assert row["Test"] == "Wilcoxon"
    assert row["p"] == fmt_p(reference.pvalue)


def test_the_area_table_is_wilcoxon_with_holm_over_the_eleven_areas(analyst, processed):
    s = supported_rows(processed)
    raw = []
    for before, after, _ in WORRIES.items:
        pair = s[[before, after]].dropna().astype(float)
        diff = (pair[after] - pair[before]).to_numpy()
        # scipy.stats.wilcoxon as above; statsmodels multipletests(method="holm") below
        raw.append(sps.wilcoxon(diff, zero_method="wilcox", correction=True,
                                method="approx").pvalue)  # fmt: skip
    adjusted = multipletests(raw, method="holm")[1]
    _, shown = notebook_text(analyst)
    areas = table(tables_of(shown), "Worry by area")
    column = "p (Wilcoxon, Holm over 11 worry areas)"
    assert list(areas.index) == AREAS
    assert [areas.loc[a, column] for a in AREAS] == [fmt_p(p) for p in adjusted]


def test_no_worry_per_area_is_mcnemar_exact_with_holm(analyst, processed):
    results = [area_mcnemar(processed, b, a) for b, a, _ in WORRIES.items]
    adjusted = multipletests([r[3] for r in results], method="holm")[1]
    _, shown = notebook_text(analyst)
    shares = table(tables_of(shown), "Children with no worry, by area")
    column = "p (McNemar exact, Holm over 11 worry areas)"
    first = AREAS[0]  # one area in full: counts and the exact p
    n, before, after, _ = results[0]
    assert shares.loc[first, "n"] == str(n)
    assert shares.loc[first, "With no worry before"] == str(before)
    assert shares.loc[first, "With no worry after"] == str(after)
    assert shares.loc[first, column] == fmt_p(adjusted[0])
    assert [shares.loc[a, column] for a in AREAS] == [fmt_p(p) for p in adjusted]


def test_the_commissioner_pack_passes_the_audit_and_shows_no_small_count(pack):
    folder, _, data = pack
    assert (folder / "transition.html").is_file(), "the pack was not published"
    result = audit.audit_reports(folder, data)
    assert result.findings == [], "\n".join(result.lines())
    page = (folder / "transition.html").read_text("utf-8")
    meta = re.search(r'<meta[^>]*name="dspl-eval-edition"[^>]*>', page)
    assert meta and 'content="commissioner"' in meta.group(0)
    # every count cell of the page: 0, c, or at least the threshold
    counted = 0
    for caption, frame in tables_of(page).items():
        for column in frame.columns:
            if column in ("n", "Children", "Rows read", "Rows kept", "Rows quarantined") or (
                column.startswith(("n (", "With no worry")) and "%" not in column
            ):
                for value in frame[column]:
                    if re.fullmatch(r"[\d,]+", value):
                        counted += 1
                        number = int(value.replace(",", ""))
                        assert number == 0 or number >= THRESHOLD, (caption, column, value)
    assert counted > 20  # the check looked at the report's count columns
    for chart in re.findall(r'data-dspl-chart="([^"]*)"', page):
        assert '"per_person": true' not in html.unescape(chart)


def test_the_commissioner_edition_suppresses_what_the_analyst_edition_shows(pack, analyst):
    _, executed, _ = pack
    _, shown_c = notebook_text(nbformat.read(executed, as_version=4))
    _, shown_a = notebook_text(analyst)
    compared = 0
    for caption in ("Referrals by main presenting need", "Supported children by service"):
        c_table = table(tables_of(shown_c), caption)
        a = table(tables_of(shown_a), caption)["Children"]
        if "Children" not in c_table.columns:
            # withheld whole: the term's gate is told what the year's other term packs
            # published, and every way of showing it let a small group be worked out
            assert list(c_table.columns) == ["Note"], (caption, c_table)
            assert "This table is not shown" in c_table.iloc[0, 0], (caption, c_table)
            continue
        c = c_table["Children"]
        compared += 1
        assert list(c.index) == list(a.index)
        for label in a.index:  # small counts become c; others are shown as they are, or c
            if a[label].isdigit() and 0 < int(a[label]) < THRESHOLD:
                assert c[label] == "c", (caption, label)
            else:
                assert c[label] in (a[label], "c"), (caption, label)
    assert compared, "at least one of the tables is shown, so the test compares something"


def test_the_index_and_summary_include_transition(pack):
    folder, _, _ = pack
    index = (folder / "index.html").read_text("utf-8")
    assert '<section data-dspl-initiative="transition">' in index
    assert "Year 6/7 transition support" in index
    book = openpyxl.load_workbook(folder / "summary.xlsx", read_only=True)
    # the tables the notebook hands to rp.finish, one sheet each, named by initiative key
    sheets = {"transition outcomes", "transition areas", "transition no worry",
              "transition services", "transition data quality"}  # fmt: skip
    assert sheets <= set(book.sheetnames), book.sheetnames
    rows = list(book["transition outcomes"].iter_rows(values_only=True))
    assert any("Total worry score (0-22)" in [str(v) for v in row] for row in rows), rows
