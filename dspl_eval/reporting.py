"""Building blocks the report notebooks call: load a term, describe an outcome, show it safely.

Every figure comes from :mod:`dspl_eval.stats` or :mod:`dspl_eval.measures`. Every number a
reader sees is issued by the report's :class:`~dspl_eval.gate.Gate`, asked **as the set of
people it counts** (``ctx.members(mask)``), so the gate knows how the populations nest and
can refuse a figure that would let a small group be worked out. Tables are built from
cells that say what they are — a set of people (:class:`frozenset`), a statistic with the
people behind it (:class:`Stat`), a share (:class:`Share`), an exact p-value and the counts
it pins (:class:`PValue`), a count of events (:class:`Events`), a ratio that reveals a count
(:class:`Money`) or plain text — and :func:`gated_table` turns them into what may be shown.
A bare number in a table is refused. Notebooks hold narrative, parameters and calls.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dspl_eval import __version__, disclosure, stats
from dspl_eval.errors import ConfigError, DisclosureError, DsplEvalError
from dspl_eval.gate import PROTECTS, SMALL, WITHHELD, Gate, Issued
from dspl_eval.initiatives import Initiative, get
from dspl_eval.paths import check_term
from dspl_eval.summary import Summary, SummaryTable, publish

#: An academic year, the period of a year pack (``2023-24``).
YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")

DESIGN_CAVEAT = (
    "This is a before-and-after comparison of the same {people} with no comparison group. "
    "It cannot separate the effect of the {title} from regression to the mean ({people} are "
    "usually referred when things are at their worst, and extreme scores tend to move back "
    "towards the average anyway), from maturation (they grow older and change regardless) "
    "or from seasonal effects (attendance and behaviour vary across the school year). "
    "The figures describe what changed for these {n} {people}; they do not prove the "
    "{title} caused it."
)
#: The sentence a report prints where the rules hide more than a small count itself.
PROTECTED_WORDS = "a suppressed number of"  # ... children (hidden to protect another figure)
WITHHELD_TABLE = (
    "This table is not shown: no part of it could be shown without letting a small group "
    "of {people} be worked out from the other figures in this report."
)


# ----------------------------------------------------------------------------- context


@dataclass
class Context:
    """One report's inputs: the initiative, the term's processed data, the settings and the
    gate that issues every published number."""

    initiative: Initiative
    term: str
    data_dir: Path
    audience: str
    threshold: int
    data: pd.DataFrame
    quarantine: pd.DataFrame
    validation: dict
    costs: pd.DataFrame | None
    settings: object = None
    ledger_path: str = ""
    gate: Gate = field(init=False)
    ids: pd.Series = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.settings is None or isinstance(self.settings, dict):
            self.settings = settings_from_parameters(self.settings or {})
        self.gate = Gate(self.threshold, self.audience, self.people)
        self.ids = _row_ids(self.data)

    @property
    def key(self) -> str:
        return self.initiative.key

    @property
    def people(self) -> str:
        """The plural noun of the definition (``Initiative.people``: "children", "young
        people", "teachers"), else the plural of its unit."""
        return getattr(self.initiative, "people", None) or _plural(self.person)

    @property
    def person(self) -> str:
        """The singular noun of the definition (``Initiative.person``), else its unit."""
        return getattr(self.initiative, "person", None) or self.initiative.unit or "person"

    @property
    def short(self) -> str:
        """The initiative's short label (``Initiative.short``, e.g. "ELSA"), else its title."""
        return getattr(self.initiative, "short", None) or self.initiative.title

    @property
    def is_year(self) -> bool:
        """Whether this report covers an academic year (``2023-24``) rather than a term."""
        return YEAR_PATTERN.match(self.term) is not None

    @property
    def period_words(self) -> str:
        """``this term`` or ``this year`` (a year pack's report)."""
        return "this year" if self.is_year else "this term"

    @property
    def other_packs_words(self) -> str:
        """Why a figure hidden only because of the other packs is hidden (it completes
        "suppressed ..."): a year's figures differ from its terms' by the children
        counted in more than one term, and a term's from the year's other terms by the
        children who carried on; when that is a few, it can be worked out."""
        if self.is_year:
            return (
                "because, with the term reports already published, it would let a small "
                f"group be worked out (such as the few {self.people} counted in more than "
                "one term)"
            )
        return (
            "because, with the year's other term reports already published, it would let "
            f"a small group be worked out (such as the few {self.people} in both terms)"
        )

    def setting(self, group: str, name: str, fallback: object) -> object:
        """A threshold, reliability or other value of the partnership's settings
        (``ctx.settings.<group>[name]``, e.g. ``group="thresholds"``), when the settings
        file or a flag set it; else ``fallback`` (the notebook's parameter, which carries
        the documented default). A value whose source is ``"default"`` never overrides the
        notebook's parameter, so a report without a settings file shows what it always
        showed."""
        values = getattr(self.settings, group, None) or {}
        if name not in values:
            return fallback
        source = (getattr(self.settings, "sources", None) or {}).get(f"{group}.{name}", "")
        return fallback if source in ("", "default") else values[name]

    @property
    def commissioner(self) -> bool:
        return self.audience == "commissioner"

    # -- sets of people

    def members(self, which: object = None) -> frozenset:
        """The set of people a mask, index or row selection picks out of ``ctx.data``.

        ``None``: everyone in this term's returns. A boolean Series (on ``ctx.data``'s
        index) or array: the rows where it is true (missing counts as false). An Index or
        list of labels of ``ctx.data``: those rows. A frozenset passes through.
        """
        if which is None:
            return frozenset(self.ids.to_numpy())
        if isinstance(which, frozenset):
            return which
        if isinstance(which, pd.Series) and _is_boolish(which):
            picked = which.reindex(self.ids.index).fillna(False).astype(bool).to_numpy()
            return frozenset(self.ids.to_numpy()[picked])
        if isinstance(which, np.ndarray) and which.dtype == bool:
            return frozenset(self.ids.to_numpy()[which])
        labels = which.index if isinstance(which, pd.Series | pd.DataFrame) else which
        return frozenset(self.ids.loc[list(labels)].to_numpy())

    def issue(self, which: object) -> Issued:
        """The gate's decision on the size of a set of people."""
        return self.gate.count(self.members(which))

    def count(self, which: object) -> str:
        """``"24 young people"``, ``"1 child"``, ``"fewer than 5 children"`` (small), or
        ``"a number suppressed to protect another figure"`` — from the gate."""
        if isinstance(which, int | np.integer | float):
            raise DisclosureError("ctx.count takes the set of people, not a number")
        issued = which if isinstance(which, Issued) else self.issue(which)
        return self.count_words(issued)

    def count_words(self, issued: Issued) -> str:
        """Words for an issued count: ``24 children``; ``fewer than 5 children`` (small);
        ``a suppressed number of children`` (hidden to protect another figure)."""
        if issued.hidden:
            if issued.reason in (PROTECTS, WITHHELD):
                return f"{PROTECTED_WORDS} {self.people}"
            return f"fewer than {self.threshold} {self.people}"
        n = int(issued.value)
        return f"{n:,} {self.person if n == 1 else self.people}"

    def with_data(self, data: pd.DataFrame) -> Context:
        """The same report (same gate, same people ids) over other columns or a subset of
        ``ctx.data``'s rows (its index must be a subset of ``ctx.data``'s)."""
        if not data.index.isin(self.data.index).all():
            raise ConfigError("with_data: the rows must come from ctx.data (same index)")
        clone = copy.copy(self)
        clone.data = data
        clone.ids = self.ids.loc[data.index]
        return clone

    def hide(self, n: int) -> bool:
        """Whether ``n`` people is a small, non-zero group (1 to threshold − 1)."""
        return self.commissioner and 0 < n < self.threshold

    def too_few(self, n: int) -> bool:
        """Whether a statistic computed from ``n`` people may not be shown."""
        return self.commissioner and n < self.threshold


def _row_ids(data: pd.DataFrame) -> pd.Series:
    """One identifier per row: the ``gate_id`` column when the data has one (a year pack's
    data, whose rows come from several terms' returns and are named once for all of them),
    else ``file#row`` of the return it came from (the same keys the quarantine uses), else
    the row's position."""
    if "gate_id" in data.columns:
        ids = data["gate_id"].astype(str)
    elif {"source_file", "source_row"} <= set(data.columns):
        ids = data["source_file"].astype(str) + "#" + data["source_row"].astype(str)
    else:
        ids = pd.Series([f"row#{i}" for i in range(len(data))], index=data.index)
    return pd.Series(ids.to_numpy(dtype=object), index=data.index)


def _plural(noun: str) -> str:
    """``child`` → ``children``, ``young person`` → ``young people``, ``teacher`` →
    ``teachers`` (the definition's ``people`` wins where it is declared)."""
    irregular = {"child": "children", "person": "people"}
    head, _, last = noun.rpartition(" ")
    plural = irregular.get(last, last + "s")
    return f"{head} {plural}" if head else plural


def _is_boolish(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or (
        series.dtype == object and series.dropna().map(type).isin([bool, np.bool_]).all()
    )


def check_period(term: str) -> str:
    """``term`` if it names a term (``2023-24-summer``) or an academic year (``2023-24``,
    a year pack); else :class:`~dspl_eval.errors.ConfigError`. Nothing else in this module
    reads the shape of the name."""
    match = YEAR_PATTERN.match(term or "")
    if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
        return term
    try:
        return check_term(term)
    except ConfigError:
        raise ConfigError(
            f"term {term!r} is not of the form YYYY-YY-autumn|spring|summer (e.g. "
            "2023-24-spring) or YYYY-YY for an academic year (e.g. 2023-24)"
        ) from None


def settings_from_parameters(parameters: dict | None) -> object:
    """The partnership's settings from the notebook's ``settings`` parameter
    (:meth:`dspl_eval.settings.Settings.from_parameters`; ``{}`` gives the defaults).
    While :mod:`dspl_eval.settings` does not exist, :class:`DefaultSettings` (nothing set)."""
    try:
        from dspl_eval.settings import Settings
    except ImportError:
        return DefaultSettings()
    return Settings.from_parameters(dict(parameters or {}))


@dataclass(frozen=True)
class DefaultSettings:
    """Stand-in for :class:`dspl_eval.settings.Settings` with nothing set (used only while
    that module is missing): every value falls back to the notebook's parameters."""

    partnership: str = ""
    threshold: int = 5
    thresholds: dict = field(default_factory=dict)
    reliabilities: dict = field(default_factory=dict)
    costs: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def about_rows(self, initiative: str | None = None) -> list[tuple[str, str, str]]:
        return []


def read_known_sets(path: str | Path) -> list[frozenset]:
    """The sets of people an intruder already knows the size of (another pack's ledger):
    a JSON list of lists of ids, as :func:`write_ledger` writes it."""
    try:
        loaded = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"known_sets_path {str(path)!r}: cannot be read ({error})") from None
    if not isinstance(loaded, list) or not all(isinstance(ids, list) for ids in loaded):
        raise ConfigError(f"known_sets_path {str(path)!r}: expected a JSON list of id lists")
    return [frozenset(str(i) for i in ids) for ids in loaded]


def write_ledger(gate: Gate, path: str | Path) -> None:
    """Every set of people the gate published, as a JSON list of sorted id lists (sorted),
    for the private work folder (:meth:`dspl_eval.gate.Gate.ledger`)."""
    if not hasattr(gate, "ledger"):  # until the gate has Gate.ledger (issue 15)
        raise ConfigError("ledger_path is set but this version of the gate keeps no ledger")
    sets = sorted(sorted(str(i) for i in s) for s in gate.ledger())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(sets) + "\n", "utf-8")


def load(
    key: str,
    term: str,
    data_dir: str | Path,
    audience: str = "commissioner",
    threshold: int = 5,
    settings: dict | None = None,
    ledger_path: str = "",
    known_sets_path: str = "",
) -> Context:
    """Read the processed data of one initiative and term (run ``dspl-eval ingest`` first).

    Parameters
    ----------
    key, term, data_dir, audience, threshold
        The notebook's parameters; ``term`` is a term (``2023-24-summer``) or, for a year
        pack, an academic year (``2023-24``): the data is read from
        ``<data_dir>/processed/<term>/``.
    settings : dict
        The notebook's ``settings`` parameter (``Settings.to_parameters()``); ``{}`` or
        None: the defaults. Kept as ``ctx.settings``.
    ledger_path : str
        Where :func:`finish` writes every set of people the gate published ("" : nowhere).
    known_sets_path : str
        A JSON list of id lists whose sizes a reader already knows from another pack; the
        gate is told before anything is published (:meth:`dspl_eval.gate.Gate.known`).
    """
    check_period(term)
    if audience not in ("commissioner", "analyst"):
        raise ConfigError(f"audience {audience!r}: expected commissioner or analyst")
    if int(threshold) < 1:
        raise ConfigError(f"suppression_threshold {threshold!r}: expected a whole number ≥ 1")
    initiative = get(key)
    folder = Path(data_dir) / "processed" / term
    parquet = folder / f"{key}.parquet"
    if not parquet.is_file():
        raise DsplEvalError(
            f"no processed {key} data for {term}: run `dspl-eval ingest --term {term}` "
            "first (for the demo data: `make report` or `dspl-eval demo`)"
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
    ctx = Context(
        initiative,
        term,
        Path(data_dir),
        audience,
        int(threshold),
        pd.read_parquet(parquet),
        quarantine,
        validation,
        costs,
        settings_from_parameters(settings),
        str(ledger_path or ""),
    )
    if known_sets_path:
        known = read_known_sets(known_sets_path)
        if not hasattr(ctx.gate, "known"):  # until the gate has Gate.known (issue 15)
            raise ConfigError(
                "known_sets_path is set but this version of the gate cannot take known sets"
            )
        ctx.gate.known(known)
    return ctx


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
        check_period(term),
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


def fmt_interval(low: float, high: float, unit: str = "", decimals: int = 1) -> str:
    """``+19 to +35`` (a change's interval); ``x`` when not available."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "x"
    return f"{fmt_change(low, '', decimals)} to {fmt_change(high, '', decimals)}"


def fmt_p(p: float) -> str:
    """p-values as APA style: ``p = .003``, ``p < .001``; NaN → ``x``."""
    if p is None or not math.isfinite(p):
        return "x"
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


# ----------------------------------------------------------------------------- gated cells


@dataclass(frozen=True)
class Stat:
    """A statistic (already formatted) and the people it was computed from."""

    text: str
    members: frozenset


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` as a percentage, with its Wilson interval when ``ci``."""

    k: frozenset
    n: frozenset
    ci: bool = True


@dataclass(frozen=True)
class PValue:
    """An exact p-value and the counts it pins down given its n (McNemar: the discordant
    cells)."""

    p: float
    counts: tuple[frozenset, ...]


@dataclass(frozen=True)
class Events:
    """A count of events (suspensions), not of people."""

    n: float


@dataclass(frozen=True)
class Money:
    """A cost divided by a number of people (it reveals that number)."""

    total: float
    members: frozenset


@dataclass(frozen=True)
class Shown:
    """A table as a reader may see it (``c`` already in place) and which columns are counts.

    Build it with :func:`gated_table` (or :func:`text_table` for a table with no numbers);
    :func:`show_table` refuses anything else in the commissioner edition.
    """

    frame: pd.DataFrame
    counts: tuple[str, ...] = ()
    note: str = ""
    gated: bool = False

    def __len__(self) -> int:
        return len(self.frame)


def text_table(frame: pd.DataFrame) -> Shown:
    """A table of words only (labels, notes): refused if any cell is a number."""
    for value in frame.to_numpy(dtype=object).ravel():
        if isinstance(value, int | float | np.number) and not isinstance(value, bool):
            raise DisclosureError("a text table holds a number: build it with gated_table")
    return Shown(frame.astype(object), (), "", True)


def gated_table(ctx: Context, cells: pd.DataFrame, counts: Sequence[str] = ()) -> Shown:
    """Issue every cell of a table through the gate.

    ``cells`` holds, per cell, a frozenset of people (in the ``counts`` columns), a
    :class:`Stat`, :class:`Share`, :class:`PValue`, :class:`Events`, :class:`Money`, an
    :class:`~dspl_eval.gate.Issued` value, text, or None (``x``). All counts of the table
    are decided together; a statistic is shown only when its people may be. A bare number
    raises :class:`~dspl_eval.errors.DisclosureError`.
    """
    counts = tuple(counts)
    frame = cells.astype(object)
    count_cells = {}
    for column in counts:
        for label, value in frame[column].items():
            if isinstance(value, frozenset):
                count_cells[(label, column)] = value
            elif not isinstance(value, Issued | str) and value is not None:
                raise DisclosureError(
                    f"count column {column!r}, row {label!r}: expected the set of people, "
                    f"got {type(value).__name__}"
                )
    issued = ctx.gate.counts(count_cells) if count_cells else {}
    if any(v.reason == WITHHELD for v in issued.values()):
        message = pd.DataFrame(
            {"Note": [WITHHELD_TABLE.format(people=ctx.people)]}, index=pd.Index([""])
        )
        return Shown(message.astype(object), (), "", True)
    shown = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=object)
    for column in frame.columns:
        for label, value in frame[column].items():
            if (label, column) in issued:
                shown.loc[label, column] = issued[(label, column)].shown
            else:
                shown.loc[label, column] = _cell(ctx, value, f"{column!r}, row {label!r}")
    note = disclosure.footnote(
        disclosure.symbols_in(shown), ctx.threshold, ctx.audience, ctx.people
    )
    if (shown == disclosure.SUPPRESSED).any().any() and any(
        v.hidden and v.reason == PROTECTS for v in issued.values()
    ):
        where = (
            " (here or in the other reports of the year already published)"
            if ctx.gate.knows_other_packs
            else ""
        )
        note += (
            f" Some cells are suppressed only to protect another figure{where} (they are "
            "not themselves small)."
        )
    return Shown(shown, counts, note.strip(), True)


def _cell(ctx: Context, value: object, where: str) -> object:
    gate = ctx.gate
    if value is None:
        return disclosure.NOT_AVAILABLE
    if isinstance(value, Issued):
        return value.shown
    if isinstance(value, str):
        return value
    if isinstance(value, Stat):
        hidden = gate.statistic(0.0, value.members).hidden
        return disclosure.SUPPRESSED if hidden and value.text != "x" else value.text
    if isinstance(value, Share):
        return share_text(ctx, value)
    if isinstance(value, PValue):
        p = gate.pvalue(value.p, value.counts)
        return disclosure.SUPPRESSED if p.hidden and math.isfinite(value.p) else fmt_p(value.p)
    if isinstance(value, Events):
        return gate.events(value.n).shown
    if isinstance(value, Money):
        m = gate.per_outcome(value.total, value.members)
        if not math.isfinite(m.value):
            return disclosure.NOT_AVAILABLE
        return disclosure.SUPPRESSED if m.hidden else f"£{m.value:,.0f}"
    if isinstance(value, frozenset):
        raise DisclosureError(f"{where}: a set of people outside the table's count columns")
    raise DisclosureError(f"{where}: a bare {type(value).__name__} cannot be published")


def share_text(ctx: Context, share: Share, decimals: int = 0) -> str:
    """``58% (45% to 70%)`` when the gate lets the share be shown, else ``c``."""
    if not share.n:
        return disclosure.NOT_AVAILABLE
    _, issued = ctx.gate.share(share.k, share.n)
    if issued.hidden:
        return disclosure.SUPPRESSED
    k, n = len(share.k), len(share.n)
    text = f"{100 * k / n:.{decimals}f}%"
    if share.ci:
        low, high = stats.proportion_ci(k, n)
        text += f" ({100 * low:.{decimals}f}% to {100 * high:.{decimals}f}%)"
    return text


# ----------------------------------------------------------------------------- outcomes


@dataclass
class PairedOutcome:
    """A before/after measure: the paired statistics plus what is needed to describe it.

    ``scale`` is ``"interval"`` (totals such as Boxall or SDQ: paired t and its interval
    are primary) or ``"ordinal"`` (percentiles, Likert items, bounded ratings: the Wilcoxon
    signed-rank test and the Hodges–Lehmann median change are primary).
    """

    label: str
    unit: str
    higher_is_better: bool
    decimals: int
    result: stats.PairedChange
    pre: np.ndarray  # complete pairs only (analyst charts)
    post: np.ndarray
    with_pre: frozenset
    both: frozenset
    scale: str = "interval"
    effect: stats.PairedEffectSize | None = None
    signed_rank: stats.SignedRank | None = None
    both_index: pd.Index | None = None

    @property
    def n(self) -> int:
        return self.result.n

    @property
    def n_with_pre(self) -> int:
        return len(self.with_pre)

    @property
    def without_follow_up(self) -> frozenset:
        return self.with_pre - self.both

    @property
    def n_without_follow_up(self) -> int:
        return len(self.without_follow_up)

    @property
    def primary_pvalue(self) -> float:
        if self.scale == "ordinal" and self.signed_rank is not None:
            return self.signed_rank.pvalue
        return self.result.pvalue

    @property
    def primary_test(self) -> str:
        return "Wilcoxon" if self.scale == "ordinal" else "paired t"


SCALES = ("interval", "ordinal")


def paired_outcome(
    ctx: Context,
    pre: str,
    post: str,
    label: str,
    unit: str = "",
    higher_is_better: bool = True,
    decimals: int = 1,
    data: pd.DataFrame | None = None,
    scale: str = "interval",
) -> PairedOutcome:
    """:func:`dspl_eval.stats.paired_change` (plus d_av with its interval and the Wilcoxon
    signed-rank test with the Hodges–Lehmann median change) on two processed columns."""
    if scale not in SCALES:
        raise ConfigError(f"scale {scale!r}: expected one of {', '.join(SCALES)}")
    frame = ctx.data if data is None else data
    a_series = frame[pre].astype("Float64")
    b_series = frame[post].astype("Float64")
    a = a_series.to_numpy(dtype=float, na_value=np.nan)
    b = b_series.to_numpy(dtype=float, na_value=np.nan)
    result = stats.paired_change(a, b)
    both = ~np.isnan(a) & ~np.isnan(b)
    effect = (
        stats.paired_effect_size(a, b, higher_is_better=higher_is_better)
        if both.sum() > 2
        else None
    )
    signed = stats.signed_rank(a, b) if both.any() else None
    return PairedOutcome(
        label,
        unit,
        higher_is_better,
        decimals,
        result,
        a[both],
        b[both],
        ctx.members(frame.index[~np.isnan(a)]),
        ctx.members(frame.index[both]),
        scale,
        effect,
        signed,
        frame.index[both],
    )


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: ``Attendance`` → ``attendance``; acronyms
    (``SDQ total``, ``PASS``) stay as they are."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def direction_word(change: float, higher_is_better: bool = True) -> str:
    if not math.isfinite(change) or change == 0:
        return "did not change on average"
    return "rose" if change > 0 else "fell"


def outcome_sentence(ctx: Context, outcome: PairedOutcome) -> str:
    """One plain-English headline, e.g. *Attendance of the 24 young people with a follow-up
    rose from 58% to 85% (+27 points, 95% CI +19 to +35).*"""
    r = outcome.result
    n = ctx.gate.count(outcome.both)
    if r.n == 0:
        return f"{outcome.label}: no {ctx.people} have a before and an after measure yet."
    if ctx.too_few(r.n) or (n.hidden and n.reason == SMALL):
        return (
            f"{outcome.label}: fewer than {ctx.threshold} {ctx.people} have a before and an "
            "after measure, so no figures are shown."
        )
    if n.hidden:
        why = (
            ctx.other_packs_words
            if ctx.gate.hidden_for_other_packs(outcome.both)
            else "to protect another figure in this report"
        )
        return (
            f"{outcome.label}: the number of {ctx.people} with a before and an after measure "
            f"is suppressed {why}, so no figures are shown."
        )
    low, high = r.confidence_interval()
    ci = (
        f", 95% CI {fmt_change(low, outcome.unit, outcome.decimals)} to "
        f"{fmt_change(high, outcome.unit, outcome.decimals)}".replace(" points to", " to")
        if math.isfinite(low)
        else ""
    )
    text = (
        f"{outcome.label} of the {ctx.count_words(n)} with a follow-up "
        f"{direction_word(r.mean_diff)} from "
        f"{fmt(r.mean_pre, outcome.unit, outcome.decimals)} to "
        f"{fmt(r.mean_post, outcome.unit, outcome.decimals)} "
        f"({fmt_change(r.mean_diff, outcome.unit, outcome.decimals)}{ci})."
    )
    return text + missing_sentence(ctx, outcome.without_follow_up)


def missing_sentence(ctx: Context, members: frozenset, what: str = "no follow-up yet") -> str:
    """`` 5 children have no follow-up yet.`` (leading space; issued by the gate), or ``""``
    when nobody is missing."""
    if not members:
        return ""
    missing = ctx.gate.count(members)
    verb = "has" if not missing.hidden and missing.value == 1 else "have"
    return f" {capital(ctx.count_words(missing))} {verb} {what}."


def capital(text: str) -> str:
    """The text with its first letter in capitals."""
    return text[:1].upper() + text[1:]


def join_words(parts: Sequence[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"`` (``""`` for none)."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def effect_text(outcome: PairedOutcome) -> str:
    """``0.62 (0.31 to 0.93)``: Hedges' g_av, signed so that positive is an improvement."""
    e = outcome.effect
    if e is None or not math.isfinite(e.g):
        return "x"
    low, high = (e.to_frame()[["g_lower_ci", "g_upper_ci"]].iloc[0]).tolist()

    def signed(v: float) -> str:
        return f"{v:.2f}".replace("-", "−")

    return f"{signed(e.g)} ({signed(low)} to {signed(high)})" if math.isfinite(low) else signed(e.g)


def median_change_text(outcome: PairedOutcome) -> str:
    """Hodges–Lehmann median change with its interval (R ``wilcox.test(conf.int = TRUE)``)."""
    s = outcome.signed_rank
    if s is None or not math.isfinite(s.estimate):
        return "x"
    low, high = s.confidence_interval()
    text = fmt_change(s.estimate, outcome.unit, outcome.decimals)
    if math.isfinite(low):
        text += f" ({fmt_interval(low, high, '', outcome.decimals)})"
    return text


EFFECT_COLUMN = "Effect size g_av (95% CI; + = improvement)"


def outcome_table(ctx: Context, outcomes: list[PairedOutcome]) -> Shown:
    """One row per outcome: n, n without follow-up, means, change with CI, the headline
    effect size (g_av with its interval, positive = improvement), the primary test's p;
    the Hodges–Lehmann median change for ordinal measures; d_z for analysts."""
    rows = []
    for o in outcomes:
        r = o.result
        low, high = r.confidence_interval()
        both = o.both
        row = {
            "Outcome": o.label,
            "n": both,
            "n without follow-up": o.without_follow_up,
            "Before (mean)": Stat(fmt(r.mean_pre, o.unit, o.decimals), both),
            "After (mean)": Stat(fmt(r.mean_post, o.unit, o.decimals), both),
            "Change": Stat(fmt_change(r.mean_diff, o.unit, o.decimals), both),
            "95% CI": Stat(fmt_interval(low, high, o.unit, o.decimals), both),
            "Median change (Hodges–Lehmann, 95% CI)": Stat(median_change_text(o), both),
            EFFECT_COLUMN: Stat(effect_text(o), both),
            "Test": o.primary_test,
            "p": Stat(fmt_p(o.primary_pvalue), both),
        }
        if not ctx.commissioner:
            row["d_z (analyst)"] = fmt(r.d_z, "", 2)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("Outcome")
    if all(o.scale == "interval" for o in outcomes):
        table = table.drop(columns="Median change (Hodges–Lehmann, 95% CI)")
    return gated_table(ctx, table, ["n", "n without follow-up"])


def protect(
    ctx: Context,
    table: pd.DataFrame,
    count_columns: list[str],
    margins: bool | list[str] = False,
    n_column: str | None = "n",
) -> Shown:
    """Old entry point, kept only to refuse: tables of bare counts cannot be protected
    across the report. Build the cells as sets of people and call :func:`gated_table`."""
    raise DisclosureError(
        "reporting.protect is gone: pass sets of people to reporting.gated_table so the "
        "gate can check them against everything else the report publishes"
    )


@dataclass
class FlagChange:
    """A yes/no condition before and after (e.g. persistent absence), paired per person,
    as sets of people."""

    label: str
    n: frozenset  # complete pairs
    before: frozenset  # with the condition before
    after: frozenset
    result: stats.McNemarResult

    @property
    def worse(self) -> frozenset:  # without before, with after
        return self.after - self.before

    @property
    def better(self) -> frozenset:
        return self.before - self.after


def flag_change(ctx: Context, before: pd.Series, after: pd.Series, label: str) -> FlagChange:
    """People with the condition before and after, and McNemar's exact test on the pairs."""
    both = before.notna() & after.notna()
    b = before[both].astype(bool)
    a = after[both].astype(bool)
    result = stats.mcnemar(b.to_numpy(), a.to_numpy())
    return FlagChange(
        label, ctx.members(both), ctx.members(b[b].index), ctx.members(a[a].index), result
    )


def flag_sentence(ctx: Context, change: FlagChange, noun: str) -> str:
    """E.g. *16 of 24 young people were persistently absent before support and 6 after
    (McNemar exact test p = .002).*"""
    if not change.n:
        return f"{change.label}: no {ctx.people} have both measures yet."
    _, before = ctx.gate.share(change.before, change.n)
    _, after = ctx.gate.share(change.after, change.n)
    if before.hidden or after.hidden:
        return (
            f"{change.label}: the numbers are too small to show without identifying "
            f"{ctx.people} (fewer than {ctx.threshold} in a group, or a group that could be "
            "worked out from the others)."
        )
    p = ctx.gate.pvalue(change.result.pvalue, (change.better, change.worse))
    test = (
        f" (McNemar exact test {fmt_p(change.result.pvalue)})"
        if not p.hidden
        else " (the exact test is not shown: it would reveal how many changed, a small number)"
    )
    return (
        f"{len(change.before)} of {len(change.n)} {ctx.people} were {noun} before support "
        f"and {len(change.after)} after{test}."
    )


def flag_table(ctx: Context, changes: list[FlagChange], **options: object) -> Shown:
    """People with each condition before and after, the shares with Wilson intervals, and
    McNemar's exact p (shown only when the discordant counts may be): the threshold-share
    block's table, :func:`dspl_eval.blocks.shares.share_table` (``options``: its
    ``family`` — Holm over the conditions —, ``heading`` and ``counted``)."""
    from dspl_eval.blocks.shares import share_table

    return share_table(ctx, changes, **options)


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


def group_labels(ctx: Context, values: pd.Series, by: str = "") -> pd.Series:
    """Group labels for a breakdown (missing → ``Not recorded``; year groups in words);
    for commissioners, small groups merged (:func:`merge_small_groups`)."""
    groups = values.astype(object).where(values.notna(), "Not recorded")
    if by == "year_group":
        groups = groups.map(_year_label)
    groups = groups.astype(str)
    if ctx.commissioner:
        groups = groups.map(merge_small_groups(groups.value_counts(), ctx.threshold))
    return groups


def breakdown(
    ctx: Context,
    outcomes: PairedOutcome | Sequence[PairedOutcome],
    by: str,
) -> Shown:
    """n and mean change of one or more outcomes by group (school, year group, SEN status,
    sex). For commissioners every group shown has at least the threshold number of people
    (small groups are merged), and the gate decides the n cells with the outcome's total."""
    outcomes = [outcomes] if isinstance(outcomes, PairedOutcome) else list(outcomes)
    rows: dict[str, dict] = {}
    for o in outcomes:
        if o.both_index is None or not len(o.both_index):
            continue
        data = ctx.data.loc[o.both_index]
        change = pd.Series(o.post - o.pre, index=o.both_index)
        groups = group_labels(ctx, data[by], by)
        order = [g for g in groups.value_counts().sort_index().index if g != OTHER_GROUPS]
        order += [OTHER_GROUPS] if OTHER_GROUPS in set(groups) else []
        suffix = f" ({o.label})" if len(outcomes) > 1 else ""
        for g in [*order, "Total"]:
            picked = groups.index if g == "Total" else groups.index[groups == g]
            members = ctx.members(picked)
            row = rows.setdefault(g, {_label(by): g})
            row[f"n{suffix}"] = members
            row[f"Mean change{suffix}"] = Stat(
                fmt_change(change.loc[picked].mean(), o.unit, o.decimals), members
            )
    if not rows:
        return text_table(pd.DataFrame(columns=["n", "Mean change"]))
    table = pd.DataFrame(list(rows.values())).set_index(_label(by))
    counts = [c for c in table.columns if c.startswith("n")]
    for column in table.columns:  # a group missing for one outcome holds nobody there
        if column in counts:
            table[column] = [v if isinstance(v, frozenset) else frozenset() for v in table[column]]
        else:  # ... and has no mean change there (x)
            table[column] = [v if isinstance(v, Stat | str) else None for v in table[column]]
    return gated_table(ctx, table, counts)


def _year_label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
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


#: Terms in one report's period, by how often a cost line is paid.
TERMS_PER_YEAR = 3


def cost_row(ctx: Context) -> pd.Series | None:
    """This initiative's cost for the report's period: ``cost_gbp``, ``sessions_delivered``
    and ``source``.

    From the cost lines of the partnership's settings (``ctx.settings.costs[key]``,
    :class:`~dspl_eval.initiatives.base.CostLine`) when the settings file sets them, else
    this initiative's line of ``costs.csv`` (summed if given more than once). A cost line
    counts ``amount_gbp`` once per term (×3 for a year report), per year (÷3 for a term
    report), per person supported (everyone in the returns) or per session delivered
    (``costs.csv``'s sessions; the total is not available without them)."""
    row = None
    if ctx.costs is not None:
        rows = ctx.costs[ctx.costs["initiative"] == ctx.key]
        if not rows.empty:
            sessions = rows["sessions_delivered"]
            row = pd.Series(
                {
                    "cost_gbp": float(rows["cost_gbp"].sum()),
                    "sessions_delivered": float(sessions.sum())
                    if sessions.notna().any()
                    else np.nan,
                    "source": f"costs.csv for {ctx.term}",
                }
            )
    lines = (getattr(ctx.settings, "costs", None) or {}).get(ctx.key, ())
    source = (getattr(ctx.settings, "sources", None) or {}).get(f"costs.{ctx.key}", "default")
    if not lines or source == "default":
        return row
    sessions = np.nan if row is None else float(row["sessions_delivered"])
    terms = TERMS_PER_YEAR if ctx.is_year else 1
    each = {
        "term": terms,
        "year": terms / TERMS_PER_YEAR,
        "person": len(ctx.members()),
        "session": sessions,
    }
    total = float(sum(line.amount_gbp * each[line.per] for line in lines))
    return pd.Series(
        {"cost_gbp": total, "sessions_delivered": sessions, "source": "the settings' cost lines"}
    )


def return_labels(ctx: Context) -> dict[str, str]:
    """What each return is called in the report: its file name for analysts; for
    commissioners ``Return 1``, ``Return 2`` … (schools name their files, often with
    the school's or a child's name in them)."""
    files = sorted(f["file"] for f in ctx.validation["files"] if f["initiative"] == ctx.key)
    if not ctx.commissioner:
        return {f: f for f in files}
    return {f: f"Return {i}" for i, f in enumerate(files, start=1)}


def _quarantined_ids(ctx: Context, file: str, count: int) -> frozenset:
    rows = ctx.quarantine.loc[ctx.quarantine["file"] == file, "row"] if len(ctx.quarantine) else []
    ids = {f"{file}#{r}" for r in rows}
    ids |= {f"{file}#quarantined{i}" for i in range(max(0, count - len(ids)))}
    return frozenset(ids)


def file_rows(ctx: Context) -> dict[str, dict[str, frozenset]]:
    """Per return: the sets of rows read, kept and quarantined (read = kept + quarantined)."""
    out = {}
    for f in ctx.validation["files"]:
        if f["initiative"] != ctx.key:
            continue
        if "source_file" in ctx.data:
            kept = ctx.members(ctx.data["source_file"].astype(str) == f["file"])
        else:
            kept = frozenset()
        quarantined = _quarantined_ids(ctx, f["file"], int(f["rows_quarantined"]))
        out[f["file"]] = {"read": kept | quarantined, "kept": kept, "quarantined": quarantined}
    return out


def data_quality_table(ctx: Context) -> Shown:
    """Per return: rows read / kept / quarantined, with a total row (read = kept +
    quarantined is known to the gate through the sets)."""
    labels = return_labels(ctx)
    rows = file_rows(ctx)
    notes = {f["file"]: _file_note(ctx, f) for f in ctx.validation["files"]}
    records = []
    for file in sorted(rows):
        r = rows[file]
        records.append(
            {
                "Return": labels[file],
                "Rows read": r["read"],
                "Rows kept": r["kept"],
                "Rows quarantined": r["quarantined"],
                "Note": notes.get(file, ""),
            }
        )
    total = {
        key: frozenset().union(*(r[key] for r in rows.values())) if rows else frozenset()
        for key in ("read", "kept", "quarantined")
    }
    records.append(
        {
            "Return": "Total",
            "Rows read": total["read"],
            "Rows kept": total["kept"],
            "Rows quarantined": total["quarantined"],
            "Note": "",
        }
    )
    table = pd.DataFrame(records).set_index("Return")
    return gated_table(ctx, table, ["Rows read", "Rows kept", "Rows quarantined"])


def _file_note(ctx: Context, f: dict) -> str:
    if not f.get("error"):
        return ""
    if ctx.commissioner:
        return "could not be read (the analyst has the details)"
    return str(f["error"])


def top_reasons(ctx: Context, limit: int = 5) -> Shown:
    """The most common quarantine reasons (pointers to other rows removed), with rows."""
    if ctx.quarantine.empty:
        return text_table(pd.DataFrame(columns=["Rows"]))
    reasons = ctx.quarantine["reason"].str.replace(r": first in .*$", "", regex=True)
    keyed = pd.DataFrame(
        {"row": ctx.quarantine["file"] + "#" + ctx.quarantine["row"], "reason": reasons}
    ).drop_duplicates()
    top = keyed["reason"].value_counts().head(limit).index
    table = pd.DataFrame(
        {"Rows": [frozenset(keyed.loc[keyed["reason"] == r, "row"]) for r in top]},
        index=pd.Index(list(top), name="Reason"),
    )
    if ctx.commissioner:
        table.index = pd.Index([_generic_reason(r) for r in top], name="Reason")
        table = table.groupby(level=0, sort=False).agg(lambda s: frozenset().union(*s))
    return gated_table(ctx, table, ["Rows"])


def _generic_reason(reason: str) -> str:
    """A quarantine reason without the value a school typed (it may identify a child)."""
    return reason.split(":", 1)[0].strip()


def about_table(ctx: Context, parameters: dict[str, object]) -> Shown:
    """Term, edition, threshold, parameters, the settings in force (``Setting: <name>`` —
    value and where it came from, :meth:`dspl_eval.settings.Settings.about_rows`), the
    returns used, version and run date. For commissioners the returns are numbered, never
    named or hashed, and a setting's source names the settings file without its folder."""
    rows = [
        ("Term", ctx.term),
        ("Edition", ctx.audience),
        (
            "Suppression threshold",
            f"{ctx.threshold} (counts of 1 to {ctx.threshold - 1} are shown as c)",
        ),
    ]
    rows += [
        (f"Parameter: {k}", str(v))
        for k, v in parameters.items()
        if k not in {"term", "audience", "suppression_threshold", "data_dir"}
    ]
    about_rows = getattr(ctx.settings, "about_rows", None)
    for setting, value, source in about_rows(ctx.key) if about_rows else []:
        rows.append((f"Setting: {setting}", f"{value} ({_source_words(ctx, source)})"))
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    if ctx.commissioner:
        rows.append(("Returns used", f"{len(files)} (numbered Return 1, 2, … in this report)"))
    else:
        for f in files:
            rows.append((f"Input file: {f['file']}", f"SHA-256 {f['sha256'] or 'x (not read)'}"))
        rows.append(("Pseudonymisation key", str(ctx.validation.get("pseudonymisation_key", "x"))))
    rows += [
        ("dspl_eval version", __version__),
        ("Run date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    return text_table(pd.DataFrame(rows, columns=["Item", "Value"]).set_index("Item"))


def _source_words(ctx: Context, source: str) -> str:
    """Where a setting came from, without any folder for commissioners (no server path in
    a commissioner page): ``dspl-eval.toml (/srv/la/data/dspl-eval.toml)`` →
    ``dspl-eval.toml``."""
    if not ctx.commissioner:
        return str(source)
    return re.sub(r"\s*\([^)]*[/\\][^)]*\)", "", str(source)).strip() or "settings file"


def design_caveat(ctx: Context, outcome_n: object, caveat: str = DESIGN_CAVEAT) -> str:
    """The pre/post design caveat, always printed, with the n (``caveat`` may be an
    initiative's own wording with the same ``{people}``, ``{title}``, ``{n}`` fields).
    ``outcome_n`` is the set of people (or an outcome) the figures describe."""
    members = outcome_n.both if isinstance(outcome_n, PairedOutcome) else ctx.members(outcome_n)
    issued = ctx.gate.count(members)
    n = (
        f"fewer than {ctx.threshold}"
        if issued.hidden and issued.reason == SMALL
        else "(suppressed)"
        if issued.hidden
        else f"{int(issued.value):,}"
    )
    return caveat.format(people=ctx.people, title=in_sentence(ctx.initiative.title), n=n)


# ----------------------------------------------------------------------------- display


def show_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_table(ctx: Context, table: Shown, caption: str) -> None:
    """Display a gated table as accessible HTML. Anything not built by
    :func:`gated_table` or :func:`text_table` is refused."""
    from IPython.display import HTML, display

    if not isinstance(table, Shown) or not table.gated:
        raise DisclosureError(
            f"table {caption!r}: only tables issued by the gate (reporting.gated_table) "
            "can be shown"
        )
    display(
        HTML(
            disclosure.to_html(
                table.frame, caption=caption, counts=list(table.counts), note=table.note or None
            )
        )
    )


def show_headlines(sentences: list[str]) -> None:
    show_markdown("\n".join(f"- {s}" for s in sentences))


def data_quality_counts(ctx: Context) -> dict[str, object]:
    """Returns, rows read, kept and quarantined for the index, as issued by the gate."""
    rows = file_rows(ctx)
    total = {
        key: frozenset().union(*(r[key] for r in rows.values())) if rows else frozenset()
        for key in ("read", "kept", "quarantined")
    }
    issued = ctx.gate.counts(total)
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    return {
        "files": len(files),
        "files_not_read": sum(1 for f in files if f.get("error")),
        "rows_read": issued["read"].shown,
        "rows_kept": issued["kept"].shown,
        "rows_quarantined": issued["quarantined"].shown,
    }


def finish(
    ctx: Context,
    headlines: list[str],
    tables: dict[str, tuple[str, Shown]],
    ledger_path: str | None = None,
) -> None:
    """Hand the headlines and tables to the batch (index page and summary.xlsx): only
    values the gate issued. With a ledger path (``ledger_path``, else the one given to
    :func:`load`) every set of people the gate published is written there as JSON
    (:func:`write_ledger`; the private work folder, never the pack)."""
    summary = Summary(
        ctx.key,
        ctx.initiative.title,
        headlines,
        [
            SummaryTable(name, title, shown.frame.reset_index(), shown.counts, shown.note)
            for name, (title, shown) in tables.items()
        ],
        data_quality_counts(ctx),
        ctx.audience,
    )
    publish(summary)
    path = ctx.ledger_path if ledger_path is None else ledger_path
    if path:
        write_ledger(ctx.gate, path)


# ----------------------------------------------------------------------------- sections


def means_table(ctx: Context, outcome: PairedOutcome) -> pd.DataFrame:
    """Before and after means with 95% intervals (one-sample t) of the complete pairs,
    as the means chart draws them (n as issued)."""
    from scipy import stats as sps

    n = ctx.gate.count(outcome.both)
    rows = []
    for when, values in (("Before", outcome.pre), ("After", outcome.post)):
        if len(values) > 1 and np.std(values) > 0:
            low, high = sps.ttest_1samp(values, 0).confidence_interval(0.95)
        else:
            low = high = float(np.mean(values)) if len(values) else math.nan
        rows.append(
            {"when": when, "mean": float(np.mean(values)), "lower_ci": low, "upper_ci": high,
             "n": n.shown}
        )  # fmt: skip
    return pd.DataFrame(rows)


def change_bins(ctx: Context, outcome: PairedOutcome) -> pd.DataFrame:
    """Bins of the change in which every bin holds 0 or at least the threshold (merged
    as needed), with their counts issued by the gate together with the outcome's n."""
    from dspl_eval import plots

    change = pd.Series(outcome.post - outcome.pre, index=outcome.both_index)
    edges = plots.merge_bins(change.to_numpy(), ctx.threshold if ctx.commissioner else 1)
    cells = {}
    for i, (low, high) in enumerate(edges):
        last = i == len(edges) - 1
        inside = (change >= low) & ((change <= high) if last else (change < high))
        cells[i] = ctx.members(change.index[inside])
    issued = ctx.gate.counts(cells)
    return pd.DataFrame(
        {
            "bin_low": [e[0] for e in edges],
            "bin_high": [e[1] for e in edges],
            "n": [issued[i].shown for i in range(len(edges))],
        }
    )


def show_outcome(
    ctx: Context,
    outcome: PairedOutcome,
    charts: tuple[str, ...] = ("before_after", "change_distribution"),
) -> None:
    """A before/after section: the sentence, the table and its charts
    (:func:`show_outcome_charts`)."""
    show_markdown(outcome_sentence(ctx, outcome))
    show_table(ctx, outcome_table(ctx, [outcome]), f"{outcome.label}: before and after support")
    show_outcome_charts(ctx, outcome, charts)


def show_outcome_charts(
    ctx: Context,
    outcome: PairedOutcome,
    charts: tuple[str, ...] = ("before_after", "change_distribution"),
    unit: str | None = None,
) -> None:
    """The charts of a before/after measure — for commissioners the means with their
    intervals and a histogram whose bins are merged until each holds 0 or at least the
    threshold (both drawn from issued tables); for analysts the per-person slope chart
    and histogram. Nothing when the outcome's people may not be shown. ``unit``: the
    axis unit (default the outcome's, e.g. ``"points"`` for a total score)."""
    from dspl_eval import plots

    if outcome.n == 0 or ctx.too_few(outcome.n) or ctx.gate.count(outcome.both).hidden:
        return
    label = in_sentence(outcome.label)
    unit = outcome.unit if unit is None else unit
    for chart in charts:
        if chart not in ("before_after", "change_distribution"):
            raise ConfigError(f"unknown chart {chart!r}: before_after or change_distribution")
        if not ctx.commissioner:
            drawn = (
                plots.before_after(outcome.pre, outcome.post, label, unit=unit,
                                   noun=ctx.people, higher_is_better=outcome.higher_is_better)
                if chart == "before_after"
                else plots.change_distribution(outcome.post - outcome.pre, label, unit=unit,
                                               noun=ctx.people,
                                               higher_is_better=outcome.higher_is_better)
            )  # fmt: skip
        elif chart == "before_after":
            drawn = plots.means_chart(
                means_table(ctx, outcome), label, unit=unit,
                higher_is_better=outcome.higher_is_better, noun=ctx.people,
                suppression_threshold=ctx.threshold,
            )  # fmt: skip
        else:
            drawn = plots.binned_histogram(
                change_bins(ctx, outcome), label, unit=unit,
                higher_is_better=outcome.higher_is_better, noun=ctx.people,
                suppression_threshold=ctx.threshold,
            )  # fmt: skip
        plots.display(drawn)


def reliable_sets(ctx: Context, summary) -> dict[str, frozenset]:
    """Improved / no reliable change / deteriorated / Total as sets of people, from a
    :class:`dspl_eval.measures.ReliableChangeSummary` whose table is indexed like the data."""
    table = summary.table[summary.table["category"].notna()]
    out = {}
    for category, label in (
        ("improved", "Improved"),
        ("no reliable change", "No reliable change"),
        ("deteriorated", "Deteriorated"),
    ):
        out[label] = ctx.members(table.index[table["category"] == category])
    out["Total"] = ctx.members(table.index)
    return out


def reliable_table(ctx: Context, summary) -> Shown:
    """Improved / no reliable change / deteriorated / Total, decided together by the gate."""
    sets = reliable_sets(ctx, summary)
    table = pd.DataFrame(
        {ctx.people.capitalize(): list(sets.values())},
        index=pd.Index(list(sets), name="Category"),
    )
    return gated_table(ctx, table, [ctx.people.capitalize()])


def show_reliable_change(
    ctx: Context, summary, label: str, instrument: str = "the questionnaire"
) -> None:
    """Counts improved / no reliable change / deteriorated, with bars of the same table for
    commissioners (the per-person scatter for analysts)."""
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
    if ctx.commissioner:
        bars = shown.frame.drop(index="Total")
        plots.display(
            plots.category_bars(bars, f"{label}: reliable change", noun=ctx.people,
                                suppression_threshold=ctx.threshold)
        )  # fmt: skip
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


def show_flags(
    ctx: Context, changes: list[FlagChange], title: str, family: str | None = None
) -> None:
    """Yes/no conditions before and after: table with McNemar (Holm over the conditions
    when ``family`` names them), and category bars drawn from the same issued table
    (:func:`dspl_eval.blocks.shares.show_shares`)."""
    from dspl_eval.blocks.shares import show_shares

    show_shares(ctx, changes, title, family)


def family(ctx: Context, outcomes: list[PairedOutcome]) -> list[float]:
    """Holm-adjusted p-values of the outcomes' primary tests (one family)."""
    ps = [o.primary_pvalue for o in outcomes]
    finite = [i for i, p in enumerate(ps) if math.isfinite(p)]
    adjusted = [math.nan] * len(ps)
    if finite:
        for i, p in zip(finite, stats.holm([ps[i] for i in finite]), strict=True):
            adjusted[i] = float(p)
    return adjusted


def change_family_table(ctx: Context, outcomes: list[PairedOutcome], family_name: str) -> Shown:
    """Several measures of one family: n, means, change with its unadjusted 95% interval
    and its simultaneous (Bonferroni) interval, the median change for ordinal measures,
    g_av, and the primary test's p adjusted by Holm over the family — the column says
    which test and which family."""
    m = len(outcomes)
    level = stats.bonferroni_level(m) if m else 0.95
    adjusted = family(ctx, outcomes)
    tests = {o.primary_test for o in outcomes}
    test = tests.pop() if len(tests) == 1 else "primary test"
    p_column = f"p ({test}, Holm over {m} {family_name})"
    rows = []
    for o, p in zip(outcomes, adjusted, strict=True):
        r = o.result
        low, high = r.confidence_interval()
        s_low, s_high = r.confidence_interval(level)
        row = {
            "Measure": o.label,
            "n": o.both,
            "Before (mean)": Stat(fmt(r.mean_pre, o.unit), o.both),
            "After (mean)": Stat(fmt(r.mean_post, o.unit), o.both),
            "Change": Stat(fmt_change(r.mean_diff, o.unit), o.both),
            "95% CI (not adjusted)": Stat(fmt_interval(low, high), o.both),
            "Simultaneous 95% CI (Bonferroni)": Stat(fmt_interval(s_low, s_high), o.both),
        }
        if o.scale == "ordinal":
            row["Median change (Hodges–Lehmann, 95% CI)"] = Stat(median_change_text(o), o.both)
        row[EFFECT_COLUMN] = Stat(effect_text(o), o.both)
        row[p_column] = Stat(fmt_p(p), o.both)
        rows.append(row)
    return gated_table(ctx, pd.DataFrame(rows).set_index("Measure"), ["n"])


def show_change_table(
    ctx: Context, outcomes: list[PairedOutcome], title: str, family_name: str
) -> None:
    """:func:`change_family_table` and a forest chart of the changes with their
    (unadjusted) intervals, for the measures with enough people."""
    from dspl_eval import plots

    shown = change_family_table(ctx, outcomes, family_name)
    show_table(ctx, shown, title)
    ordinal = all(o.scale == "ordinal" and o.signed_rank is not None for o in outcomes)
    rows = []
    for o in outcomes:
        if ctx.too_few(o.n) or ctx.gate.count(o.both).hidden or o.n == 0:
            continue
        if ordinal:  # the estimate that goes with the test: the Hodges–Lehmann median
            estimate = o.signed_rank.estimate
            low, high = o.signed_rank.confidence_interval()
        else:
            estimate = o.result.mean_diff
            low, high = o.result.confidence_interval()
        rows.append({"outcome": o.label, "estimate": estimate, "lower_ci": low, "upper_ci": high})
    if rows:
        label = f"{title} ({'median' if ordinal else 'mean'} change, 95% CI)"
        plots.display(plots.estimate_forest(pd.DataFrame(rows), label))


def group_words(ctx: Context, column: str, names: Mapping[str, str] | None = None) -> str:
    """A grouping in words, as it reads after "by": ``names[column]`` when given, else the
    column's label (:func:`_label`) as it reads inside a sentence (``school``,
    ``year group``, ``SEN status``)."""
    if names and column in names:
        return names[column]
    return in_sentence(_label(column))


def breakdown_columns(ctx: Context, by: Sequence[str]) -> tuple[str, ...]:
    """The groupings of ``by`` worth a table: present and not empty, and not one-to-one
    with an earlier grouping (e.g. a nurture group per school: the table would repeat the
    school table)."""
    out: list[str] = []
    for column in by:
        if column not in ctx.data or ctx.data[column].isna().all():
            continue
        if any(_one_to_one(ctx.data, earlier, column) for earlier in out):
            continue
        out.append(column)
    return tuple(out)


def _one_to_one(data: pd.DataFrame, a: str, b: str) -> bool:
    pairs = data[[a, b]].dropna().drop_duplicates()
    return bool(len(pairs)) and pairs[a].is_unique and pairs[b].is_unique


def show_breakdowns(
    ctx: Context,
    outcomes: PairedOutcome | Sequence[PairedOutcome],
    by: tuple[str, ...] = ("school", "year_group", "sen_status", "sex"),
    title: str | None = None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Mean change of one or more outcomes by each grouping (:func:`breakdown`; small
    groups merged for commissioners), captioned ``"<title> by <grouping>"``.

    ``title`` defaults to ``"<label>: change"`` for one outcome, ``"Change"`` for several;
    ``names`` gives a grouping's words (default :func:`group_words`). Groupings that are
    missing, empty or one-to-one with an earlier one are left out
    (:func:`breakdown_columns`)."""
    outcomes = [outcomes] if isinstance(outcomes, PairedOutcome) else list(outcomes)
    if not outcomes:
        show_markdown(
            "No before-and-after measures were returned, so there is nothing to break down."
        )
        return
    if title is None:
        title = f"{outcomes[0].label}: change" if len(outcomes) == 1 else "Change"
    for column in breakdown_columns(ctx, by):
        caption = f"{title} by {group_words(ctx, column, names)}"
        show_table(ctx, breakdown(ctx, outcomes, column), caption)


def value_for_money_table(
    ctx: Context, supported: frozenset, outcome: frozenset | None, outcome_words: str
) -> tuple[float, Shown] | None:
    """Total cost, and cost per person supported, per session and per person with the
    outcome (``outcome`` people; None when there is no such outcome)."""
    row = cost_row(ctx)
    if row is None:
        return None
    cost = row["cost_gbp"]
    sessions = row["sessions_delivered"]
    per_session = f"£{cost / sessions:,.0f}" if math.isfinite(sessions) and sessions > 0 else "x"
    records = [
        {"Measure": f"Cost per {ctx.person} supported", "Value": Money(cost, supported),
         "Note": ""},
        {"Measure": "Cost per session delivered", "Value": per_session,
         "Note": "" if per_session != "x" else "not available: no sessions recorded"},
    ]  # fmt: skip
    if outcome is not None:
        records.append(
            {"Measure": f"Cost per {ctx.person} with {outcome_words}",
             "Value": Money(cost, outcome) if outcome else "x",
             "Note": "" if outcome else f"not available: no {ctx.people} with {outcome_words}"}
        )  # fmt: skip
    return cost, gated_table(ctx, pd.DataFrame(records).set_index("Measure"), [])


def show_value_for_money(
    ctx: Context,
    supported: frozenset | None = None,
    outcome: frozenset | None = None,
    outcome_words: str = "a reliable improvement",
    reason: str | None = None,
) -> None:
    """Cost per person, per session and per person with the outcome (costs.csv). A cost
    per outcome is hidden whenever that outcome's count is."""
    built = value_for_money_table(
        ctx, ctx.members() if supported is None else supported, outcome, outcome_words
    )
    if built is None:
        show_markdown(
            "Value for money: not available — no cost was supplied for this "
            f"initiative in costs.csv for {ctx.term}."
        )
        return
    cost, table = built
    source = cost_row(ctx).get("source", "")
    if not math.isfinite(cost):
        show_markdown(
            f"Total cost for {ctx.term}: not available — {source} price some lines per "
            "session, and no sessions delivered were reported."
        )
        return
    if source.startswith("costs.csv"):
        show_markdown(f"Total cost reported for {ctx.term}: £{cost:,.0f}.")
    else:
        show_markdown(f"Total cost for {ctx.term} from {source}: £{cost:,.0f}.")
    if reason:
        show_markdown(f"Cost per {ctx.person} with {outcome_words}: not available — {reason}.")
    if (table.frame["Value"] == disclosure.SUPPRESSED).any():
        show_markdown(
            "A cost per person is suppressed where it would reveal how many people it is "
            "divided by (a small or protected number)."
        )
    show_table(ctx, table, "Value for money")


def show_data_quality(ctx: Context) -> None:
    """Rows read, kept and quarantined per return; the most common quarantine reasons
    (left out, with a sentence saying why, when the gate cannot publish them); returns
    that could not be read."""
    show_table(
        ctx,
        data_quality_table(ctx),
        "Rows read, kept and quarantined per return (read = kept + quarantined)",
    )
    try:
        reasons = top_reasons(ctx)
    except DisclosureError:  # every reason a small count whose sum is the published total
        show_markdown(
            "The reasons rows were set aside are not listed: each reason covers too few rows "
            "to show without letting a small number be worked out from the total."
        )
    else:
        if len(reasons):
            show_table(ctx, reasons, "Most common reasons rows were quarantined")
    failed = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key and f["error"]]
    if failed:
        labels = return_labels(ctx)
        lines = [
            f"- {labels.get(f['file'], f['file'])}: "
            + ("could not be read; the analyst has the details" if ctx.commissioner else f["error"])
            for f in failed
        ]
        show_markdown("Returns that could not be read:\n\n" + "\n".join(lines))


METHODS = (
    "Interval-scaled totals (Boxall, SDQ, attendance): paired t-test with a 95% confidence "
    "interval for the mean change. Percentiles, ratings and other ordinal scores: Wilcoxon "
    "signed-rank test (exact as R does it: fewer than 50 pairs and no ties or zeros), with "
    "the Hodges–Lehmann median change and its interval. Several measures in one family: "
    "Holm's adjustment of the named test; the 95% intervals beside it are not adjusted, and "
    "simultaneous (Bonferroni) intervals are given beside them.",
    "Effect size: Hedges' g_av, the mean change divided by the average of the before and "
    "after SDs with Hedges' correction (Lakens 2013, Front Psychol 4:863), with a 95% "
    "interval by Bonett (2008, Psychol Methods 13:99–109), signed so that a positive value "
    "is an improvement.",
    "Proportions: Wilson score intervals. The same people before and after: McNemar's exact test.",
    "Disclosure control: any count from 1 to {small}, and any figure computed from fewer than "
    "{threshold} {people}, is shown as c; other figures are suppressed where they would let "
    "a small group be worked out from anything else in this pack (a total minus its parts, "
    "a complement, a share, an exact p-value or a cost per person). DfE symbols: c "
    "suppressed, x not available, z not applicable.",
)


def show_methods(
    ctx: Context, outcome_n: object, instruments: list[str], caveat: str = DESIGN_CAVEAT
) -> None:
    """The design caveat (always), and the instruments and thresholds used, with sources."""
    show_markdown(design_caveat(ctx, outcome_n, caveat))
    general = [
        m.format(small=ctx.threshold - 1, threshold=ctx.threshold, people=ctx.people)
        for m in METHODS
    ]
    show_markdown("\n".join(f"- {line}" for line in [*instruments, *general]))


def show_about(ctx: Context, parameters: dict[str, object]) -> None:
    show_table(ctx, about_table(ctx, parameters), "About this report")


def show_ending(
    ctx: Context,
    outcome_n: object,
    instruments: list[str],
    parameters: dict[str, object],
    supported: frozenset | None = None,
    outcome: frozenset | None = None,
    outcome_words: str = "a reliable improvement",
    reason: str | None = None,
    caveat: str = DESIGN_CAVEAT,
) -> None:
    """The standard ending of a report, headings included, in this order:

    - **Value for money** — :func:`show_value_for_money` (``supported``: default everyone;
      ``outcome``: the people with the outcome a cost is divided by, or None with the
      ``reason`` there is none; ``outcome_words`` names it);
    - **Data quality** — :func:`show_data_quality`;
    - **Methods and caveats** — :func:`show_methods` (``outcome_n``: the outcome or set of
      people the design caveat's n counts; ``instruments``: the report's own method lines;
      ``caveat``: the design caveat's wording);
    - **About this report** — :func:`show_about` (``parameters``: the notebook's own
      parameters; the settings in force are added).
    """
    show_markdown("## Value for money")
    show_value_for_money(ctx, supported, outcome, outcome_words, reason)
    show_markdown("## Data quality")
    show_data_quality(ctx)
    show_markdown("## Methods and caveats")
    show_methods(ctx, outcome_n, instruments, caveat)
    show_markdown("## About this report")
    show_about(ctx, parameters)


def coverage_sentence(ctx: Context) -> str:
    """How many were supported this term, and how many returns rows were set aside."""
    files = [f for f in ctx.validation["files"] if f["initiative"] == ctx.key]
    schools = ctx.data["school"].nunique() if "school" in ctx.data else 0
    quarantined = frozenset().union(*(r["quarantined"] for r in file_rows(ctx).values()))
    failed = sum(1 for f in files if f["error"])
    text = (
        f"{capital(ctx.count(ctx.members()))} from {schools} school"
        f"{'s' if schools != 1 else ''} are in {ctx.period_words}'s returns"
    )
    if quarantined:
        rows = ctx.gate.count(quarantined)
        words = (
            f"{int(rows.value):,} rows were"
            if not rows.hidden
            else f"fewer than {ctx.threshold} rows were"
            if rows.reason == SMALL
            else "a suppressed number of rows were"
        )
        if not rows.hidden and rows.value == 1:
            words = "1 row was"
        text += f"; {words} set aside for data problems"
    else:
        text += "; no rows were set aside for data problems"
    if failed:
        text += f" and {failed} return{'s' if failed != 1 else ''} could not be read"
    return text + "."


def summary_tables(
    ctx: Context,
    outcomes: list[PairedOutcome],
    flags: Sequence[FlagChange | None] | None = None,
    more: Mapping[str, tuple[str, Callable[[], Shown]] | None] | None = None,
) -> dict[str, tuple[str, Shown]]:
    """The headline tables for the index and summary.xlsx (already issued by the gate):
    the outcomes, the conditions (``flags``; None entries left out), the data quality, then
    ``more`` — sheet name → (title, a function building the table), or None to leave it
    out — in their order."""
    tables = {"outcomes": ("Before and after support", outcome_table(ctx, outcomes))}
    flags = [f for f in flags or () if f is not None]
    if flags:
        tables["conditions"] = ("Conditions before and after support", flag_table(ctx, flags))
    tables["data quality"] = ("Rows read, kept and quarantined per return", data_quality_table(ctx))
    for name, entry in (more or {}).items():
        if entry is not None:
            tables[name] = (entry[0], entry[1]())
    return tables


def members_of_rows(ctx: Context, rows: Iterable) -> frozenset:
    """Sugar for outcome modules: the people at these index labels of ``ctx.data``."""
    return ctx.members(list(rows))
