"""Building blocks the report notebooks call: load a term, describe an outcome, show it safely.

Every figure comes from :mod:`dspl_eval.stats` or :mod:`dspl_eval.measures`; every table a
reader sees passes through :mod:`dspl_eval.disclosure` for the report's audience; every
sentence is generated from the numbers it states. Notebooks hold narrative, parameters
and calls to these functions, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dspl_eval import __version__, disclosure, stats
from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.initiatives import Initiative, get
from dspl_eval.paths import check_term
from dspl_eval.summary import Summary, SummaryTable, publish

PEOPLE = {"ebsa": "young people", "elsa": "children", "nurture": "children", "nqt": "teachers"}
PERSON = {"ebsa": "young person", "elsa": "child", "nurture": "child", "nqt": "teacher"}
DESIGN_CAVEAT = (
    "This is a before-and-after comparison of the same {people} with no comparison group. "
    "It cannot separate the effect of the {title} from regression to the mean ({people} are "
    "usually referred when things are at their worst, and extreme scores tend to move back "
    "towards the average anyway), from maturation (they grow older and change regardless) "
    "or from seasonal effects (attendance and behaviour vary across the school year). "
    "The figures describe what changed for these {n} {people}; they do not prove the "
    "{title} caused it."
)


# ----------------------------------------------------------------------------- context


@dataclass
class Context:
    """One report's inputs: the initiative, the term's processed data and the settings."""

    initiative: Initiative
    term: str
    data_dir: Path
    audience: str
    threshold: int
    data: pd.DataFrame
    quarantine: pd.DataFrame
    validation: dict
    costs: pd.DataFrame | None
    settings: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.initiative.key

    @property
    def people(self) -> str:
        return PEOPLE[self.key]

    @property
    def commissioner(self) -> bool:
        return self.audience == "commissioner"

    def count(self, n: int) -> str:
        """``"24 young people"``, ``"1 child"``; ``"fewer than 5 children"`` when suppressed."""
        if self.hide(n):
            return f"fewer than {self.threshold} {self.people}"
        return f"{n} {PERSON[self.key] if n == 1 else self.people}"

    def hide(self, n: int) -> bool:
        """Whether a count (or a figure computed from ``n`` people) is suppressed."""
        return self.commissioner and 0 < n < self.threshold

    def too_few(self, n: int) -> bool:
        """Whether a statistic computed from ``n`` people may be shown at all."""
        return self.commissioner and n < self.threshold


def load(
    key: str,
    term: str,
    data_dir: str | Path,
    audience: str = "commissioner",
    threshold: int = 5,
    **settings: object,
) -> Context:
    """Read the processed data of one initiative and term (run ``dspl-eval ingest`` first)."""
    check_term(term)
    if audience not in ("commissioner", "analyst"):
        raise ConfigError(f"audience {audience!r}: expected commissioner or analyst")
    if int(threshold) < 1:
        raise ConfigError(f"suppression_threshold {threshold!r}: expected a whole number ≥ 1")
    initiative = get(key)
    folder = Path(data_dir) / "processed" / term
    parquet = folder / f"{key}.parquet"
    if not parquet.is_file():
        raise DsplEvalError(
            f"no processed {key} data for {term} in {folder}: run "
            f"`dspl-eval ingest --term {term} --data {data_dir}` first (for the demo data: "
            "`make report` or `dspl-eval demo` from the project folder)"
        )
    validation = json.loads((folder / "validation.json").read_text("utf-8"))
    quarantine_file = folder / f"{key}_quarantine.csv"
    quarantine = (
        pd.read_csv(quarantine_file, dtype=str, keep_default_na=False)
        if quarantine_file.is_file()
        else pd.DataFrame(columns=["file", "row", "reason"])
    )
    costs_file = folder / "costs.parquet"
    costs = pd.read_parquet(costs_file) if costs_file.is_file() else None
    return Context(
        initiative,
        term,
        Path(data_dir),
        audience,
        int(threshold),
        pd.read_parquet(parquet),
        quarantine,
        validation,
        costs,
        dict(settings),
    )


def from_frame(
    key: str,
    data: pd.DataFrame,
    audience: str = "commissioner",
    threshold: int = 5,
    term: str = "2023-24-autumn",
) -> Context:
    """A context for processed-style data held in memory (no validation, quarantine or
    costs): for tests and for analysts trying a report section on a subset."""
    return Context(
        get(key),
        check_term(term),
        Path("."),
        audience,
        int(threshold),
        data,
        pd.DataFrame(columns=["file", "row", "reason"]),
        {"files": []},
        None,
    )


# ----------------------------------------------------------------------------- numbers


def fmt(value: float, unit: str = "", decimals: int = 1, sign: bool = False) -> str:
    """A number as a reader wants it: ``58%``, ``+27 points``, ``14.2``; NaN → ``x``."""
    if value is None or not math.isfinite(value):
        return "x"
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return f"{text}%" if unit == "%" and not sign else text


def fmt_change(value: float, unit: str = "", decimals: int = 1) -> str:
    """A change: ``+27 points`` for percentages, ``+14.2`` for scores."""
    if value is None or not math.isfinite(value):
        return "x"
    text = f"{value:+.{decimals}f}".replace("-", "−")
    if unit != "%":
        return text
    return f"{text} point" if text.lstrip("+−") in ("1", "1.0") else f"{text} points"


def fmt_p(p: float) -> str:
    """p-values as APA style: ``p = .003``, ``p < .001``; NaN → ``x``."""
    if p is None or not math.isfinite(p):
        return "x"
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


# ----------------------------------------------------------------------------- outcomes


@dataclass
class PairedOutcome:
    """A before/after measure: the paired statistics plus what is needed to describe it."""

    label: str
    unit: str
    higher_is_better: bool
    decimals: int
    result: stats.PairedChange
    pre: np.ndarray  # complete pairs only (for charts)
    post: np.ndarray
    n_with_pre: int

    @property
    def n(self) -> int:
        return self.result.n

    @property
    def n_without_follow_up(self) -> int:
        return self.n_with_pre - self.result.n


def paired_outcome(
    ctx: Context,
    pre: str,
    post: str,
    label: str,
    unit: str = "",
    higher_is_better: bool = True,
    decimals: int = 1,
    data: pd.DataFrame | None = None,
) -> PairedOutcome:
    """:func:`dspl_eval.stats.paired_change` on two processed columns, kept with its label."""
    frame = ctx.data if data is None else data
    a = frame[pre].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    b = frame[post].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    result = stats.paired_change(a, b)
    both = ~np.isnan(a) & ~np.isnan(b)
    return PairedOutcome(
        label, unit, higher_is_better, decimals, result, a[both], b[both], int((~np.isnan(a)).sum())
    )


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: ``Attendance`` → ``attendance``; acronyms
    (``SDQ total``, ``PASS``) stay as they are."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def direction_word(change: float, higher_is_better: bool) -> str:
    if not math.isfinite(change) or change == 0:
        return "did not change on average"
    return "rose" if change > 0 else "fell"


def outcome_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """One plain-English headline, e.g. *Attendance of the 24 young people with a follow-up
    rose from 58% to 85% (+27 points, 95% CI +19 to +35).*"""
    r = outcome.result
    if r.n == 0:
        return f"{outcome.label}: no {ctx.people} have a before and an after measure yet."
    if ctx.too_few(r.n):
        return (
            f"{outcome.label}: fewer than {ctx.threshold} {ctx.people} have a before and an "
            "after measure, so no figures are shown."
        )
    low, high = r.confidence_interval()
    ci = (
        f", 95% CI {fmt_change(low, outcome.unit, outcome.decimals)} to "
        f"{fmt_change(high, outcome.unit, outcome.decimals)}".replace(" points to", " to")
        if math.isfinite(low)
        else ""
    )
    text = (
        f"{outcome.label} of the {ctx.count(r.n)} with a follow-up "
        f"{direction_word(r.mean_diff, outcome.higher_is_better)} from "
        f"{fmt(r.mean_pre, outcome.unit, outcome.decimals)} to "
        f"{fmt(r.mean_post, outcome.unit, outcome.decimals)} "
        f"({fmt_change(r.mean_diff, outcome.unit, outcome.decimals)}{ci})."
    )
    missing = outcome.n_without_follow_up
    if missing:
        verb = "has" if missing == 1 and not ctx.hide(missing) else "have"
        text += f" {ctx.count(missing).capitalize()} {verb} no follow-up yet."
    return text


def outcome_table(ctx: Context, outcomes: list[PairedOutcome]) -> Shown:
    """One row per outcome: n, n without follow-up, means, change with CI, effect size,
    Wilcoxon p; figures from fewer than the threshold shown as ``c``."""
    rows = []
    for o in outcomes:
        r = o.result
        low, high = r.confidence_interval()
        rows.append(
            {
                "Outcome": o.label,
                "n": r.n,
                "n without follow-up": o.n_without_follow_up,
                "Before (mean)": fmt(r.mean_pre, o.unit, o.decimals),
                "After (mean)": fmt(r.mean_post, o.unit, o.decimals),
                "Change": fmt_change(r.mean_diff, o.unit, o.decimals),
                "95% CI": f"{fmt_change(low, '', o.decimals)} to {fmt_change(high, '', o.decimals)}"
                if math.isfinite(low)
                else "x",
                "Effect size (d_z)": fmt(r.d_z, "", 2),
                "Wilcoxon": fmt_p(r.wilcoxon_pvalue),
            }
        )
    table = pd.DataFrame(rows).set_index("Outcome")
    return protect(ctx, table, ["n", "n without follow-up"])


@dataclass(frozen=True)
class Shown:
    """A table as a reader may see it (``c`` already in place) and which columns are counts."""

    frame: pd.DataFrame
    counts: tuple[str, ...] = ()
    note: str = ""

    def __len__(self) -> int:
        return len(self.frame)


def protect(
    ctx: Context,
    table: pd.DataFrame,
    count_columns: list[str],
    margins: bool | list[str] = False,
    n_column: str | None = "n",
) -> Shown:
    """Disclosure control for a mixed table: the count columns get primary and secondary
    suppression (:func:`dspl_eval.disclosure.suppress_counts`); every other column is a
    statistic, suppressed where its row's ``n`` is below the threshold or its ``n`` cell
    was suppressed (:func:`dspl_eval.disclosure.suppress_statistics`). Analysts see all."""
    counts = disclosure.suppress_counts(
        table[count_columns],
        threshold=ctx.threshold,
        margins=margins,
        audience=ctx.audience,
        people=ctx.people,
    )
    shown = table.astype(object).copy()
    shown[count_columns] = counts.display.astype(object)
    others = [c for c in table.columns if c not in count_columns]
    if others:
        n = table[n_column] if n_column else pd.Series(ctx.threshold, index=table.index)
        hidden = (
            counts.mask[n_column]
            if n_column in counts.mask
            else pd.Series(False, index=table.index)
        )
        also = np.repeat(hidden.to_numpy()[:, None], len(others), axis=1)
        statistics = disclosure.suppress_statistics(
            table[others],
            n.astype(float),
            threshold=ctx.threshold,
            audience=ctx.audience,
            also=also,
            people=ctx.people,
        )
        shown[others] = statistics.display.astype(object)
    note = disclosure.footnote(
        disclosure.symbols_in(shown), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(shown, tuple(count_columns), note)


@dataclass
class FlagChange:
    """A yes/no condition before and after (e.g. persistent absence), paired per person."""

    label: str
    before: int  # people with the condition before (complete pairs)
    after: int
    n: int
    result: stats.McNemarResult


def flag_change(ctx: Context, before: pd.Series, after: pd.Series, label: str) -> FlagChange:
    """Counts with the condition before and after, and McNemar's exact test on the pairs."""
    both = before.notna() & after.notna()
    b = before[both].astype(bool)
    a = after[both].astype(bool)
    result = stats.mcnemar(b.to_numpy(), a.to_numpy())
    return FlagChange(label, int(b.sum()), int(a.sum()), int(both.sum()), result)


def flag_sentence(ctx: Context, change: FlagChange, noun: str) -> str:
    """E.g. *16 of 24 were persistently absent before support and 6 after (McNemar p = .002).*"""
    if change.n == 0:
        return f"{change.label}: no {ctx.people} have both measures yet."
    counts = (change.before, change.after, change.n - change.before, change.n - change.after)
    if ctx.too_few(change.n) or any(ctx.hide(k) for k in counts):
        return (
            f"{change.label}: the numbers are too small to show without identifying "
            f"{ctx.people} (fewer than {ctx.threshold})."
        )
    return (
        f"{change.before} of {change.n} {ctx.people} were {noun} before support and "
        f"{change.after} after (McNemar exact test {fmt_p(change.result.pvalue)})."
    )


def flag_table(ctx: Context, changes: list[FlagChange]) -> Shown:
    """Counts before/after per condition (suppressed), with the share and its Wilson CI."""
    rows = []
    for c in changes:
        low_b, high_b = stats.proportion_ci(c.before, c.n) if c.n else (np.nan, np.nan)
        low_a, high_a = stats.proportion_ci(c.after, c.n) if c.n else (np.nan, np.nan)
        rows.append(
            {
                "Measure": c.label,
                "n": c.n,
                "Before": c.before,
                "After": c.after,
                "% before (95% CI)": _pct_ci(c.before, c.n, low_b, high_b),
                "% after (95% CI)": _pct_ci(c.after, c.n, low_a, high_a),
                "McNemar p": fmt_p(c.result.pvalue),
            }
        )
    table = pd.DataFrame(rows).set_index("Measure")
    shown = protect(ctx, table, ["n"], n_column="n")
    frame = shown.frame
    for c in changes:  # a count is hidden when it, or its complement n - count, is small
        for column, k, share in (
            ("Before", c.before, "% before (95% CI)"),
            ("After", c.after, "% after (95% CI)"),
        ):
            if ctx.hide(k) or ctx.hide(c.n - k) or ctx.too_few(c.n):
                # the exact p-value, with n, would narrow down the hidden count too
                frame.loc[c.label, [column, share, "McNemar p"]] = disclosure.SUPPRESSED
    note = disclosure.footnote(
        disclosure.symbols_in(frame), ctx.threshold, ctx.audience, ctx.people
    )
    return Shown(frame, ("n", "Before", "After"), note)


def _pct_ci(k: int, n: int, low: float, high: float) -> str:
    if not n:
        return "x"
    return f"{100 * k / n:.0f}% ({100 * low:.0f}% to {100 * high:.0f}%)"


OTHER_GROUPS = "Other groups (merged: each too small to show)"


def merge_small_groups(sizes: pd.Series, threshold: int) -> dict[object, object]:
    """Which groups to merge so that every group shown has at least ``threshold`` people.

    Groups below the threshold go into one "other" group; if that is still below the
    threshold (but not empty), the smallest remaining groups join it until it is not.
    Returns ``{group: shown label}``; a group keeps its own label unless merged.
    """
    sizes = sizes.sort_values(kind="stable")
    merged = list(sizes.index[sizes < threshold])
    kept = [g for g in sizes.index if g not in merged]
    while merged and sizes[merged].sum() < threshold and kept:
        merged.append(kept.pop(0))
    label = {g: g for g in kept}
    label.update({g: OTHER_GROUPS for g in merged})
    return label


def breakdown(ctx: Context, outcome: PairedOutcome, pre: str, post: str, by: str) -> Shown:
    """n and mean change by group (school, year group, SEN status, sex). For commissioners
    every group shown has at least the threshold number of people: small groups are merged
    (:func:`merge_small_groups`), and the counts get secondary suppression along the total."""
    frame = ctx.data[[by, pre, post]].copy()
    frame[by] = frame[by].astype(object).where(frame[by].notna(), "Not recorded")
    if by == "year_group":
        frame[by] = frame[by].map(_year_label)
    frame = frame.dropna(subset=[pre, post])
    if frame.empty:
        return pd.DataFrame(columns=["n", "Mean change"])
    change = frame[post].astype(float) - frame[pre].astype(float)
    groups = frame[by].astype(str)
    if ctx.commissioner:
        groups = groups.map(merge_small_groups(groups.value_counts(), ctx.threshold))
    grouped = change.groupby(groups).agg(["size", "mean"])
    if OTHER_GROUPS in grouped.index:  # the merged row goes last
        grouped = pd.concat([grouped.drop(OTHER_GROUPS), grouped.loc[[OTHER_GROUPS]]])
    grouped.loc["Total"] = [len(change), change.mean()]
    table = pd.DataFrame(
        {
            "n": grouped["size"].astype(int),
            "Mean change": [fmt_change(v, outcome.unit, outcome.decimals) for v in grouped["mean"]],
        },
        index=grouped.index.astype(str),
    )
    table.index.name = _label(by)
    return protect(ctx, table, ["n"], margins=True)


def _year_label(value: object) -> str:
    if not isinstance(value, int | np.integer):
        return str(value)
    return {-1: "Nursery", 0: "Reception"}.get(int(value), f"Year {int(value)}")


def _label(column: str) -> str:
    return {
        "school": "School",
        "year_group": "Year group",
        "sen_status": "SEN status",
        "sex": "Sex",
        "ehcp_status": "EHCP status",
    }.get(column, column.replace("_", " ").capitalize())


# ----------------------------------------------------------------------------- endings


def cost_row(ctx: Context) -> pd.Series | None:
    """This initiative's line of ``costs.csv`` (summed if given more than once)."""
    if ctx.costs is None:
        return None
    rows = ctx.costs[ctx.costs["initiative"] == ctx.key]
    if rows.empty:
        return None
    sessions = rows["sessions_delivered"]
    return pd.Series(
        {
            "cost_gbp": float(rows["cost_gbp"].sum()),
            "sessions_delivered": float(sessions.sum()) if sessions.notna().any() else np.nan,
        }
    )


def data_quality_table(ctx: Context) -> Shown:
    """Per source file: rows read / kept / quarantined, with a total row. Read = kept +
    quarantined, so small counts get secondary suppression along that line too."""
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    counts = ["Rows read", "Rows kept", "Rows quarantined"]
    table = pd.DataFrame(
        [[f["file"], f["rows_read"], f["rows_kept"], f["rows_quarantined"]] for f in files],
        columns=["File", *counts],
    ).set_index("File")
    table.loc["Total"] = table.sum()
    shown = disclosure.suppress_counts(
        table.astype(int),
        threshold=ctx.threshold,
        margins=["Rows read", "Total"],
        audience=ctx.audience,
        people=ctx.people,
    )
    frame = shown.display
    frame["Note"] = [f["error"] or "" for f in files] + [""]
    return Shown(frame, tuple(counts), shown.footnote)


def top_reasons(ctx: Context, limit: int = 5) -> Shown:
    """The most common quarantine reasons (pointers to other rows removed), with row counts."""
    if ctx.quarantine.empty:
        return Shown(pd.DataFrame(columns=["Rows"]), ("Rows",))
    reasons = ctx.quarantine["reason"].str.replace(r": first in .*$", "", regex=True)
    keyed = pd.DataFrame(
        {"row": ctx.quarantine["file"] + ":" + ctx.quarantine["row"], "reason": reasons}
    ).drop_duplicates()
    counts = keyed["reason"].value_counts().head(limit)
    table = pd.DataFrame({"Rows": counts.astype(int)})
    table.index.name = "Reason"
    shown = disclosure.suppress_counts(
        table, threshold=ctx.threshold, margins=False, audience=ctx.audience, people=ctx.people
    )
    return Shown(shown.display, ("Rows",), shown.footnote)


def about_table(ctx: Context, parameters: dict[str, object]) -> pd.DataFrame:
    """Term, parameters, input files with SHA-256, dspl_eval version and run date."""
    rows = [
        ("Term", ctx.term),
        ("Audience", ctx.audience),
        ("Suppression threshold", str(ctx.threshold)),
    ]
    rows += [
        (f"Parameter: {k}", str(v))
        for k, v in parameters.items()
        if k not in {"term", "audience", "suppression_threshold", "data_dir"}
    ]
    for f in ctx.validation["files"]:
        if f["initiative"] == ctx.key:
            rows.append((f"Input file: {f['file']}", f"SHA-256 {f['sha256'] or 'x (not read)'}"))
    rows += [
        ("Pseudonymisation key", ctx.validation.get("pseudonymisation_key", "x")),
        ("dspl_eval version", __version__),
        ("Run date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"]).set_index("Item")


def design_caveat(ctx: Context, n: int, caveat: str = DESIGN_CAVEAT) -> str:
    """The pre/post design caveat, always printed, with the n (``caveat`` may be an
    initiative's own wording with the same ``{people}``, ``{title}``, ``{n}`` fields)."""
    return caveat.format(
        people=ctx.people,
        title=in_sentence(ctx.initiative.title),
        n=ctx.count(n).split(" ", 1)[0] if not ctx.hide(n) else f"fewer than {ctx.threshold}",
    )


# ----------------------------------------------------------------------------- display


def show_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_table(ctx: Context, table: Shown | pd.DataFrame, caption: str) -> None:
    """Display a protected table as accessible HTML (a plain DataFrame holds no counts)."""
    from IPython.display import HTML, display

    shown = table if isinstance(table, Shown) else Shown(table)
    display(
        HTML(
            disclosure.to_html(
                shown.frame, caption=caption, counts=list(shown.counts), note=shown.note or None
            )
        )
    )


def show_headlines(sentences: list[str]) -> None:
    show_markdown("\n".join(f"- {s}" for s in sentences))


def finish(ctx: Context, headlines: list[str], tables: dict[str, tuple[str, Shown]]) -> None:
    """Hand the headlines and tables to the batch (index page and summary.xlsx)."""
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    summary = Summary(
        ctx.key,
        ctx.initiative.title,
        headlines,
        [
            SummaryTable(name, title, shown.frame.reset_index(), shown.counts, shown.note)
            for name, (title, shown) in tables.items()
        ],
        {
            "files": len(files),
            "rows_read": sum(f["rows_read"] for f in files),
            "rows_kept": sum(f["rows_kept"] for f in files),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
        },
        ctx.audience,
    )
    publish(summary)


# ----------------------------------------------------------------------------- sections

_CHART_WITHHELD = (
    "The chart of individual {people} is not shown: it labels how many rose, fell or did "
    "not change, and one of those groups has fewer than {threshold} {people}."
)


def _small_groups(ctx: Context, *counts: int) -> bool:
    """Whether a chart that labels these counts would print one from 1 to threshold - 1."""
    return any(ctx.hide(int(k)) for k in counts)


def show_outcome(
    ctx: Context,
    outcome: PairedOutcome,
    charts: tuple[str, ...] = ("before_after", "change_distribution"),
) -> None:
    """A before/after section: the sentence, the table (n, n without follow-up, estimate,
    CI, effect size) and its charts (``before_after`` slope chart, ``change_distribution``
    histogram); no chart when the figures are suppressed."""
    from dspl_eval import plots

    show_markdown(outcome_sentence(ctx, outcome))
    show_table(ctx, outcome_table(ctx, [outcome]), f"{outcome.label}: before and after support")
    if outcome.n == 0 or ctx.too_few(outcome.n):
        return
    change = outcome.post - outcome.pre
    if charts and _small_groups(ctx, (change > 0).sum(), (change < 0).sum(), (change == 0).sum()):
        show_markdown(_CHART_WITHHELD.format(people=ctx.people, threshold=ctx.threshold))
        return
    for chart in charts:
        if chart == "before_after":
            drawn = plots.before_after(
                outcome.pre,
                outcome.post,
                in_sentence(outcome.label),
                unit=outcome.unit,
                noun=ctx.people,
                higher_is_better=outcome.higher_is_better,
            )
        elif chart == "change_distribution":
            drawn = plots.change_distribution(
                outcome.post - outcome.pre,
                in_sentence(outcome.label),
                unit=outcome.unit,
                noun=ctx.people,
                higher_is_better=outcome.higher_is_better,
            )
        else:
            raise ConfigError(f"unknown chart {chart!r}: before_after or change_distribution")
        plots.display(drawn)


def reliable_table(ctx: Context, summary) -> Shown:
    """Improved / no reliable change / deteriorated / Total for a
    :class:`dspl_eval.measures.ReliableChangeSummary`, suppressed along the total."""
    table = pd.DataFrame(
        {
            ctx.people.capitalize(): [
                summary.n_improved,
                summary.n_no_reliable_change,
                summary.n_deteriorated,
                summary.n,
            ]
        },
        index=pd.Index(
            ["Improved", "No reliable change", "Deteriorated", "Total"], name="Category"
        ),
    )
    counted = disclosure.suppress_counts(
        table, threshold=ctx.threshold, margins=True, audience=ctx.audience, people=ctx.people
    )
    return Shown(counted.display, tuple(table.columns), counted.footnote)


def show_reliable_change(
    ctx: Context, summary, label: str, instrument: str = "the questionnaire"
) -> None:
    """Counts improved / no reliable change / deteriorated, and the scatter with its
    no-change band — the scatter only when the table hides none of the counts it labels."""
    from dspl_eval import plots

    if summary.reason:
        show_markdown(f"Reliable change for {label} was not computed: {summary.reason}.")
        return
    show_markdown(
        f"A change of more than {summary.threshold:.1f} points is needed before it is larger "
        f"than the measurement error of {instrument} (reliable change index, Jacobson & "
        f"Truax 1991, reliability {summary.reliability:.2f})."
    )
    shown = reliable_table(ctx, summary)
    show_table(ctx, shown, f"{label}: reliable change")
    if summary.n == 0 or ctx.too_few(summary.n):
        return
    if shown.frame.eq(disclosure.SUPPRESSED).any().any():
        show_markdown(_CHART_WITHHELD.format(people=ctx.people, threshold=ctx.threshold))
        return
    plots.display(
        plots.reliable_change_scatter(
            summary.table["pre"].to_numpy(),
            summary.table["post"].to_numpy(),
            summary.threshold,
            label,
            higher_is_better=summary.higher_is_better,
            noun=ctx.people,
        )
    )


def show_flags(ctx: Context, changes: list[FlagChange], title: str) -> None:
    """Yes/no conditions before and after: table with McNemar, and category bars."""
    from dspl_eval import plots

    table = flag_table(ctx, changes)
    show_table(ctx, table, title)
    if all(c.n == 0 or ctx.too_few(c.n) for c in changes):
        return
    bars = table.frame[["Before", "After"]]
    label = title.removesuffix(" before and after support")  # the chart adds its own
    plots.display(
        plots.category_bars(bars, label, noun=ctx.people, suppression_threshold=ctx.threshold)
    )


def show_change_table(
    ctx: Context, table: pd.DataFrame, labels: dict[str, str], title: str, unit: str = ""
) -> None:
    """Several measures (``measures.change_table`` output) with Holm-adjusted p-values, and a
    forest chart of the changes with their CIs."""
    from dspl_eval import plots

    rows = []
    for row in table.itertuples(index=False):
        rows.append(
            {
                "Measure": labels.get(row.measure, row.measure),
                "n": int(row.n),
                "Before (mean)": fmt(row.mean_pre, unit),
                "After (mean)": fmt(row.mean_post, unit),
                "Change": fmt_change(row.mean_diff, unit),
                "95% CI": f"{fmt_change(row.lower_ci)} to {fmt_change(row.upper_ci)}"
                if math.isfinite(row.lower_ci)
                else "x",
                "Effect size (d_z)": fmt(row.d_z, "", 2),
                "p (Holm)": fmt_p(getattr(row, "pvalue_holm", row.pvalue)),
            }
        )
    shown = pd.DataFrame(rows).set_index("Measure")
    show_table(ctx, protect(ctx, shown, ["n"]), title)
    ok = [not ctx.too_few(int(v)) and int(v) > 0 for v in table["n"]]
    if any(ok):
        forest = pd.DataFrame(
            {
                "outcome": [labels.get(m, m) for m in table["measure"]],
                "estimate": table["mean_diff"],
                "lower_ci": table["lower_ci"],
                "upper_ci": table["upper_ci"],
            }
        )[ok]
        plots.display(plots.estimate_forest(forest.reset_index(drop=True), title))


def show_breakdowns(
    ctx: Context,
    outcome: PairedOutcome,
    pre: str,
    post: str,
    by: tuple[str, ...] = ("school", "year_group", "sen_status", "sex"),
) -> None:
    """Mean change by school, year group, SEN status and sex (small groups merged/suppressed)."""
    for column in by:
        if column not in ctx.data or ctx.data[column].isna().all():
            continue
        show_table(
            ctx,
            breakdown(ctx, outcome, pre, post, column),
            f"{outcome.label}: change by {_label(column).lower()}",
        )


def show_value_for_money(
    ctx: Context, n_children: int, n_reliable: int | None, reliable_reason: str | None = None
) -> None:
    """Cost per child, per session and per child with a reliable improvement (costs.csv)."""
    from dspl_eval import measures

    row = cost_row(ctx)
    if row is None:
        show_markdown(
            "Value for money: not available — no cost was supplied for this "
            f"initiative in costs.csv for {ctx.term}."
        )
        return
    result = measures.cost_summary(
        row["cost_gbp"],
        n_children,
        None if math.isnan(row["sessions_delivered"]) else row["sessions_delivered"],
        n_reliable,
    )
    labels = {
        "per_child": f"Cost per {PERSON[ctx.key]} supported",
        "per_session": "Cost per session delivered",
        "per_reliable_improvement": f"Cost per {PERSON[ctx.key]} with a reliable improvement",
    }
    rows = []
    for key, label in labels.items():
        value = getattr(result, key)
        reason = result.reasons.get(key) or ""
        if key == "per_reliable_improvement" and reliable_reason:
            reason = reliable_reason
        hidden = (
            ctx.commissioner
            and key != "per_session"
            and (
                (key == "per_child" and ctx.hide(n_children))
                or (
                    key == "per_reliable_improvement"
                    and n_reliable is not None
                    and ctx.hide(n_reliable)
                )
            )
        )
        rows.append(
            {
                "Measure": label,
                "Value": disclosure.SUPPRESSED
                if hidden
                else (f"£{value:,.0f}" if math.isfinite(value) else "x"),
                "Note": "" if math.isfinite(value) else f"not available: {reason}",
            }
        )
    show_markdown(f"Total cost reported for {ctx.term}: £{row['cost_gbp']:,.0f}.")
    show_table(ctx, pd.DataFrame(rows).set_index("Measure"), "Value for money")


def show_data_quality(ctx: Context) -> None:
    files = data_quality_table(ctx)
    show_table(ctx, files, "Rows read, kept and quarantined per return (read = kept + quarantined)")
    reasons = top_reasons(ctx)
    if len(reasons):
        show_table(ctx, reasons, "Most common reasons rows were quarantined")
    failed = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key and f["error"]]
    if failed:
        show_markdown(
            "Returns that could not be read:\n\n" + "\n".join(f"- {f['error']}" for f in failed)
        )


METHODS = (
    "Paired t-test with a 95% confidence interval for the mean change, and the Wilcoxon "
    "signed-rank test beside it for small or skewed samples; effect size d_z = mean change / "
    "SD of the changes (Lakens 2013, Front Psychol 4:863).",
    "Proportions: Wilson score intervals. The same people before and after: McNemar's exact "
    "test. Several outcomes in one family: Holm's adjustment.",
    "Disclosure control: any count from 1 to {small}, and any figure computed from fewer than "
    "{threshold} {people}, is shown as c; other cells are suppressed where they would let a c "
    "be worked out (DfE symbols: c suppressed, x not available, z not applicable).",
)


def show_methods(ctx: Context, n: int, instruments: list[str], caveat: str = DESIGN_CAVEAT) -> None:
    """The design caveat (always), and the instruments and thresholds used, with sources."""
    show_markdown(design_caveat(ctx, n, caveat))
    general = [
        m.format(small=ctx.threshold - 1, threshold=ctx.threshold, people=ctx.people)
        for m in METHODS
    ]
    show_markdown("\n".join(f"- {line}" for line in [*instruments, *general]))


def show_about(ctx: Context, parameters: dict[str, object]) -> None:
    show_table(ctx, about_table(ctx, parameters), "About this report")


def coverage_sentence(ctx: Context) -> str:
    """How many were supported this term, and how many returns rows were set aside."""
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    schools = ctx.data["school"].nunique() if "school" in ctx.data else 0
    quarantined = sum(f["rows_quarantined"] for f in files)
    failed = sum(1 for f in files if f["error"])
    text = (
        f"{ctx.count(len(ctx.data)).capitalize()} from {schools} school"
        f"{'s' if schools != 1 else ''} are in this term's returns"
    )
    text += (
        f"; {ctx.count(quarantined) if quarantined else 'no'} rows were set aside for data problems"
    )
    if failed:
        text += f" and {failed} return{'s' if failed != 1 else ''} could not be read"
    return text.replace(f"{ctx.people} rows", "rows") + "."


def summary_tables(
    ctx: Context, outcomes: list[PairedOutcome], flags: list[FlagChange] | None = None
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index and summary.xlsx (already suppressed)."""
    tables = {"outcomes": ("Before and after support", outcome_table(ctx, outcomes))}
    if flags:
        tables["conditions"] = ("Conditions before and after support", flag_table(ctx, flags))
    tables["data quality"] = ("Rows read, kept and quarantined per return", data_quality_table(ctx))
    return tables
