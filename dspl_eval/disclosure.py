"""Disclosure control: what a commissioner may see of counts about a few dozen children.

Every table a commissioner sees passes through this module (DESIGN "Rules of the house";
MEASURES "Disclosure control"). The rules, with the DfE's symbols:

- **Primary suppression.** A count of 1 to ``threshold - 1`` (default 1–4) is shown as
  ``c``; so is any percentage, mean, rate or other statistic computed from fewer than
  ``threshold`` people. Zeros are shown.
- **Secondary (complementary) suppression.** Where a suppressed cell could be worked out
  from a published total and the other cells of its row or column, the smallest
  *non-zero* unsuppressed cell of that row or column is suppressed too (preferring one
  whose own column or row already needs a complement, so that one suppression protects
  two lines); if only zeros are left, the total is suppressed instead. This repeats
  until no row or column has a single suppressed member, and is then checked by solving:
  for every suppressed cell a linear programme finds the smallest and largest value it
  could take given everything published (each ``c`` ≥ 1, see below). Any cell whose
  value is pinned down gets a further complementary suppression, and the check runs again.
- **Why zeros are never used as complements.** Zeros are published, so a reader knows
  that a ``c`` never hides a zero: every ``c`` is at least 1. Suppressing a zero would
  protect nothing (a reader who knows the rule still reads it as zero) and would break
  that guarantee, so a zero is never suppressed. The solver check uses the stronger
  bound (every ``c`` ≥ 1), which also catches two 1s suppressed in a row whose total is 2.
- **Audience.** ``"commissioner"`` gets suppressed aggregates; ``"analyst"`` gets the
  same aggregates unsuppressed (still never pupil-level rows). Anything else raises
  :class:`~dspl_eval.errors.ConfigError`.

Public API
----------
``suppress_counts(table, threshold=5, margins=True, audience="commissioner")``
    counts (with or without a totals row/column) → :class:`SuppressedTable`.
``suppress_statistics(values, n, threshold=5, audience="commissioner", also=None)``
    percentages/means/rates and the ``n`` each came from → :class:`SuppressedTable`.
``suppress_for_audience(table, audience, threshold=5, margins=False)``
    shortcut: the display DataFrame of :func:`suppress_counts`.
``SuppressedTable``
    ``.display`` (object DataFrame with ``c``/``x``), ``.mask``, ``.primary``,
    ``.footnote``, ``.to_html(caption=...)``, ``.to_excel_rows()``; shows itself in Jupyter.
``to_html(frame, ...)``, ``to_excel_rows(frame, ...)``, ``footnote(...)``
    the same renderers for any already-suppressed display frame.
``is_count_header(text)``
    the column-header convention the privacy audit uses to find counts in a spreadsheet.

HTML markup convention (the audit relies on it): a ``<table>`` whose every body cell is
a count of people carries the attribute ``data-dspl-counts``; in a mixed table, the
``<th scope="col">`` of each count column carries it instead. Suppressed cells are
``<td class="num suppressed" data-suppressed>c</td>``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dspl_eval.errors import ConfigError, DisclosureError

SUPPRESSED = "c"
NOT_AVAILABLE = "x"
NOT_APPLICABLE = "z"
SYMBOLS = {
    SUPPRESSED: "confidential: suppressed to protect the people in it",
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
}
AUDIENCES = ("commissioner", "analyst")
DEFAULT_THRESHOLD = 5
COUNTS_ATTRIBUTE = "data-dspl-counts"
#: Row or column labels that ``margins=True`` recognises as totals (case-insensitive);
#: ``pandas.crosstab(..., margins=True)`` writes ``All``.
TOTAL_LABELS = frozenset({"total", "totals", "all", "overall", "grand total"})

_COUNT_WORDS = frozenset(
    {"count", "children", "teachers", "young people", "pupils", "participants"}
)
_N_HEADER = re.compile(r"^n(?:$|[\s_(=:\-])")
_TOLERANCE = 1e-6


# ----------------------------------------------------------------------------- checks


def check_audience(audience: str) -> str:
    """Return ``audience`` if it is ``"commissioner"`` or ``"analyst"``; else raise ConfigError."""
    if audience not in AUDIENCES:
        raise ConfigError(f"audience {audience!r}: expected one of {', '.join(AUDIENCES)}")
    return audience


def check_threshold(threshold: object) -> int:
    """Return ``threshold`` as an int ≥ 1; else raise ConfigError."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise ConfigError(f"threshold {threshold!r}: expected a whole number ≥ 1")
    if threshold < 1:
        raise ConfigError(f"threshold {threshold!r}: expected a whole number ≥ 1")
    return int(threshold)


def is_count_header(text: object) -> bool:
    """Whether a spreadsheet column header marks a column of counts of people.

    The convention (shared with :mod:`dspl_eval.audit`): the header is ``n`` or starts
    with ``n`` followed by a space, ``_``, ``(``, ``=``, ``:`` or ``-`` (``n``,
    ``n_children``, ``n without follow-up``), ends with ``(n)`` (``Improved (n)``), or is
    one of ``count``, ``children``, ``teachers``, ``young people``, ``pupils``,
    ``participants``. Case and surrounding spaces are ignored.

    >>> [is_count_header(h) for h in ("n", "N pairs", "Improved (n)", "Name", "Children")]
    [True, True, True, False, True]
    """
    if not isinstance(text, str):
        return False
    header = " ".join(text.strip().lower().split())
    return bool(_N_HEADER.match(header)) or header.endswith("(n)") or header in _COUNT_WORDS


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SuppressedTable:
    """A table after disclosure control, ready to show.

    Attributes
    ----------
    values : DataFrame
        The table as given (unsuppressed; keep it inside the analysis).
    mask : DataFrame of bool
        True where a cell is shown as ``c`` (primary or secondary suppression).
    primary : DataFrame of bool
        True where a cell is suppressed in its own right (small count or small ``n``).
    threshold : int
        Counts below this (and statistics from fewer people) are suppressed.
    audience : str
        ``"commissioner"`` (suppressed) or ``"analyst"`` (nothing suppressed).
    counts : bool
        True when every cell is a count of people (the HTML carries ``data-dspl-counts``).
    people : str
        What is counted, for the footnote (``"children"``, ``"teachers"``).
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    threshold: int
    audience: str
    counts: bool
    people: str = "children"

    @property
    def display(self) -> pd.DataFrame:
        """Object DataFrame as shown: ``c`` where suppressed, ``x`` where missing, else values."""
        shown = self.values.astype(object).map(_plain)
        shown = shown.mask(self.values.isna(), NOT_AVAILABLE)
        return shown.mask(self.mask, SUPPRESSED)

    @property
    def n_suppressed(self) -> int:
        """How many cells are shown as ``c``."""
        return int(self.mask.to_numpy().sum())

    @property
    def symbols(self) -> tuple[str, ...]:
        """The DfE symbols this table uses, in the order ``c``, ``x``, ``z``."""
        return symbols_in(self.display)

    @property
    def footnote(self) -> str:
        """The note explaining the symbols used (empty when there is nothing to explain)."""
        return footnote(self.symbols, self.threshold, self.audience, self.people)

    def to_html(
        self,
        caption: str | None = None,
        *,
        include_footnote: bool = True,
        decimals: int = 1,
        table_id: str | None = None,
    ) -> str:
        """Accessible HTML (see :func:`to_html`); count tables carry ``data-dspl-counts``."""
        return to_html(
            self.display,
            caption=caption,
            counts=self.counts,
            note=self.footnote if include_footnote else None,
            decimals=decimals,
            table_id=table_id,
        )

    def to_excel_rows(self, *, index: bool = True) -> list[list[object]]:
        """Header row then one row per table row (see :func:`to_excel_rows`)."""
        return to_excel_rows(self.display, index=index, counts=self.counts)

    def _repr_html_(self) -> str:  # Jupyter shows the suppressed table, never the values
        return self.to_html()


# ----------------------------------------------------------------------------- counts


def suppress_counts(
    table: pd.DataFrame | pd.Series,
    threshold: int = DEFAULT_THRESHOLD,
    margins: bool | Iterable[Hashable] = True,
    audience: str = "commissioner",
    *,
    people: str = "children",
) -> SuppressedTable:
    """Primary and secondary suppression of a table of counts of people.

    Parameters
    ----------
    table : DataFrame or Series
        Whole, non-negative counts. A Series is treated as a one-column table.
    threshold : int, default 5
        Counts from 1 to ``threshold - 1`` are suppressed; zeros are shown.
    margins : bool or iterable of labels, default True
        Where the table's totals are. ``True``: the row and/or column labelled ``Total``,
        ``Totals``, ``All``, ``Overall`` or ``Grand total`` (as ``pandas.crosstab(...,
        margins=True)`` writes; at least one must exist). A list of labels: exactly those
        rows/columns are totals (``["Rows read"]`` when ``read = kept + quarantined``).
        ``False``: the table holds no totals and none are published elsewhere, so only
        primary suppression applies.
    audience : {"commissioner", "analyst"}
        ``"analyst"`` suppresses nothing.
    people : str
        What is counted, for the footnote.

    Returns
    -------
    SuppressedTable

    Raises
    ------
    ConfigError
        Bad ``threshold``, ``audience`` or ``margins`` (no such label, two totals rows).
    DisclosureError
        A cell is not a whole number ≥ 0, or a total differs from the sum of its cells
        (the difference would be a published, unsuppressed count).

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3, 10, 8, 21]}, index=["A", "B", "C", "Total"])
    >>> suppress_counts(t).display["n"].tolist()
    ['c', 10, 'c', 21]
    """
    check_audience(audience)
    threshold = check_threshold(threshold)
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    values = _count_values(frame)
    total_row, total_col = _find_margins(frame, margins)
    lines = _lines(values.shape, total_row, total_col)
    _check_totals(frame, values, lines)
    if audience == "analyst":
        primary = np.zeros(values.shape, dtype=bool)
        mask = primary
    else:
        primary = (values >= 1) & (values < threshold)
        mask = _secondary(values, primary, lines)
    return SuppressedTable(
        values=frame,
        mask=pd.DataFrame(mask, index=frame.index, columns=frame.columns),
        primary=pd.DataFrame(primary, index=frame.index, columns=frame.columns),
        threshold=threshold,
        audience=audience,
        counts=True,
        people=people,
    )


def suppress_for_audience(
    table: pd.DataFrame | pd.Series,
    audience: str = "commissioner",
    threshold: int = DEFAULT_THRESHOLD,
    margins: bool | Iterable[Hashable] = False,
) -> pd.DataFrame:
    """The display frame of :func:`suppress_counts`: ``c`` for commissioners, as-is for analysts."""
    return suppress_counts(table, threshold=threshold, margins=margins, audience=audience).display


def _count_values(frame: pd.DataFrame) -> np.ndarray:
    """The counts as an int64 array; DisclosureError naming the first cell that is not one."""
    raw = frame.to_numpy(dtype=object)
    out = np.zeros(raw.shape, dtype=np.int64)
    for (i, j), value in np.ndenumerate(raw):
        number = _as_count(value)
        if number is None:
            raise DisclosureError(
                f"cannot suppress this table: row {frame.index[i]!r}, column "
                f"{frame.columns[j]!r} holds {value!r}; expected a whole number ≥ 0"
            )
        out[i, j] = number
    return out


def _as_count(value: object) -> int | None:
    if isinstance(value, bool | np.bool_) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        return None
    return int(number)


def _find_margins(
    frame: pd.DataFrame, margins: bool | Iterable[Hashable]
) -> tuple[int | None, int | None]:
    """Positions of the totals row and totals column (None where there is none)."""
    if margins is False or margins is None:
        return None, None
    if margins is True:
        rows = [i for i, label in enumerate(frame.index) if _is_total_label(label)]
        cols = [j for j, label in enumerate(frame.columns) if _is_total_label(label)]
        if not rows and not cols:
            raise ConfigError(
                "margins=True but no row or column is labelled Total or All; pass "
                "margins=False for a table without totals, or the totals' labels"
            )
    else:
        labels = list(margins)
        missing = [x for x in labels if x not in frame.index and x not in frame.columns]
        if missing:
            raise ConfigError(f"margins: no row or column labelled {missing[0]!r}")
        rows = [i for i, label in enumerate(frame.index) if label in labels]
        cols = [j for j, label in enumerate(frame.columns) if label in labels]
    if len(rows) > 1 or len(cols) > 1:
        raise ConfigError("margins: a table may have one totals row and one totals column")
    return (rows[0] if rows else None), (cols[0] if cols else None)


def _is_total_label(label: object) -> bool:
    return isinstance(label, str) and " ".join(label.lower().split()) in TOTAL_LABELS


Cell = tuple[int, int]
Line = tuple[tuple[Cell, ...], Cell]  # (member cells, the total they add up to)


def _lines(shape: tuple[int, int], total_row: int | None, total_col: int | None) -> list[Line]:
    """Every published equation ``sum(members) == total`` (one per row and per column)."""
    n_rows, n_cols = shape
    lines: list[Line] = []
    if total_col is not None:
        for i in range(n_rows):
            members = tuple((i, j) for j in range(n_cols) if j != total_col)
            lines.append((members, (i, total_col)))
    if total_row is not None:
        for j in range(n_cols):
            members = tuple((i, j) for i in range(n_rows) if i != total_row)
            lines.append((members, (total_row, j)))
    return [line for line in lines if line[0]]


def _check_totals(frame: pd.DataFrame, values: np.ndarray, lines: list[Line]) -> None:
    for members, total in lines:
        added = sum(int(values[c]) for c in members)
        if added != values[total]:
            raise DisclosureError(
                f"cannot suppress this table: the total at row {frame.index[total[0]]!r}, "
                f"column {frame.columns[total[1]]!r} is {values[total]} but its cells add up "
                f"to {added}; show the difference as its own row or column (e.g. 'Not known')"
            )


def _secondary(values: np.ndarray, primary: np.ndarray, lines: list[Line]) -> np.ndarray:
    """Add complementary suppressions until no suppressed cell can be worked out."""
    mask = primary.copy()
    if not lines or not mask.any():
        return mask
    while True:
        while _protect_lines(values, mask, lines):
            pass
        exposed = _exposed_cells(values, mask, lines)
        if not exposed:
            return mask
        # one complement at a time: it often protects the other exposed cells as well
        mask[_complement_for(exposed[0], values, mask, lines)] = True


def _protect_lines(values: np.ndarray, mask: np.ndarray, lines: list[Line]) -> bool:
    """One pass: a row or column with exactly one suppressed member gets a complement."""
    changed = False
    for line in lines:
        members, total = line
        if sum(bool(mask[c]) for c in (*members, total)) == 1:
            candidates = [c for c in members if not mask[c] and values[c] > 0]
            if candidates:
                chosen = min(candidates, key=lambda c: _preference(c, line, values, mask, lines))
            elif not mask[total] and values[total] > 0:
                chosen = total  # only zeros left: suppressing one would protect nothing
            else:  # cannot happen: a suppressed member makes the total ≥ 1
                raise DisclosureError("secondary suppression found no cell to suppress")
            mask[chosen] = True
            changed = True
    return changed


def _preference(
    cell: Cell, line: Line | None, values: np.ndarray, mask: np.ndarray, lines: list[Line]
) -> tuple[int, int, Cell]:
    """Sort key for complements: a cell whose other row/column already holds exactly one
    suppression comes first (one complement then protects two lines), then one whose other
    line holds several (no new exposure), then the rest; within each, the smallest value."""
    ranks = []
    for other in lines:
        members, total = other
        if other is line or (cell not in members and cell != total):
            continue
        hidden = sum(bool(mask[c]) for c in (*members, total))
        ranks.append(0 if hidden == 1 else 1 if hidden > 1 else 2)
    return (max(ranks, default=1), int(values[cell]), cell)


def _complement_for(cell: Cell, values: np.ndarray, mask: np.ndarray, lines: list[Line]) -> Cell:
    """For a cell the solver pinned down: a non-zero unsuppressed cell that shares a row or
    column with it (inner cells before totals; see :func:`_preference`), else the smallest
    non-zero unsuppressed cell anywhere."""
    inner, totals = [], []
    for members, total in lines:
        if cell in members or cell == total:
            inner += [c for c in members if not mask[c] and values[c] > 0]
            if not mask[total] and values[total] > 0:
                totals.append(total)
    candidates = inner or totals
    if not candidates:
        candidates = [c for c, v in np.ndenumerate(values) if v > 0 and not mask[c]]
    if not candidates:
        raise DisclosureError(
            "secondary suppression ran out of cells to suppress; please report this table"
        )
    return min(candidates, key=lambda c: _preference(c, None, values, mask, lines))


def _exposed_cells(values: np.ndarray, mask: np.ndarray, lines: list[Line]) -> list[Cell]:
    """Suppressed cells whose value the published cells and totals pin down exactly.

    Solves, for each suppressed cell, min and max of its value subject to every line's
    equation, the published values and each suppressed cell ≥ 1 (zeros are shown, so a
    ``c`` is never 0). Bounds at a vertex are whole numbers (the constraint matrix is a
    network matrix), so a cell is pinned down when max − min < 1.
    """
    from scipy.optimize import linprog

    cells = [c for c, hidden in np.ndenumerate(mask) if hidden]
    position = {c: k for k, c in enumerate(cells)}
    rows, rhs = [], []
    for members, total in lines:
        row = np.zeros(len(cells))
        known = 0
        for c in members:
            if mask[c]:
                row[position[c]] += 1
            else:
                known += values[c]
        if mask[total]:
            row[position[total]] -= 1
        else:
            known -= values[total]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    if not rows:
        return []
    a_eq, b_eq = np.array(rows), np.array(rhs, dtype=float)
    exposed = []
    for k, cell in enumerate(cells):
        objective = np.zeros(len(cells))
        objective[k] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(1, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(1, None), method="highs")
        if high.status == 3:  # unbounded above: protected
            continue
        if low.status != 0 or high.status != 0:
            raise DisclosureError(f"secondary suppression check failed: {low.message}")
        if -high.fun - low.fun < 1 - _TOLERANCE:
            exposed.append(cell)
    return exposed


# ----------------------------------------------------------------------------- statistics


def suppress_statistics(
    values: pd.DataFrame | pd.Series,
    n: pd.DataFrame | pd.Series | np.ndarray | int,
    threshold: int = DEFAULT_THRESHOLD,
    audience: str = "commissioner",
    *,
    also: SuppressedTable | pd.DataFrame | np.ndarray | None = None,
    people: str = "children",
) -> SuppressedTable:
    """Suppress percentages, means, rates or other statistics computed from too few people.

    Parameters
    ----------
    values : DataFrame or Series
        The statistics (numbers or already-formatted strings such as ``"58.0%"``).
    n : DataFrame, Series, array or int
        How many people each value was computed from: same shape as ``values``; or a
        Series on the same index as a DataFrame's rows (one ``n`` per row); or one number.
        A missing ``n`` counts as too few.
    threshold : int, default 5
        Values from fewer than ``threshold`` people are shown as ``c``.
    audience : {"commissioner", "analyst"}
    also : SuppressedTable or bool mask, optional
        Suppress these cells too — pass the counts a percentage was computed from, so a
        percentage is hidden wherever its count is (``25%`` of a published 8 is a 2).
    people : str
        What was counted, for the footnote.

    Returns
    -------
    SuppressedTable
        ``counts`` is False: statistics carry no ``data-dspl-counts`` marker. Missing
        values (NaN) show as ``x``.
    """
    check_audience(audience)
    threshold = check_threshold(threshold)
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    sizes = _broadcast_n(frame, n)
    primary = ~(sizes >= threshold)  # NaN n → suppressed
    if also is not None:
        extra = also.mask if isinstance(also, SuppressedTable) else also
        extra = np.asarray(extra, dtype=bool).reshape(frame.shape)
        primary = primary | extra
    if audience == "analyst":
        primary = np.zeros(frame.shape, dtype=bool)
    primary = primary & ~frame.isna().to_numpy()
    as_frame = pd.DataFrame(primary, index=frame.index, columns=frame.columns)
    return SuppressedTable(frame, as_frame, as_frame, threshold, audience, False, people)


def _broadcast_n(frame: pd.DataFrame, n: object) -> np.ndarray:
    """``n`` as a float array the shape of ``frame`` (ConfigError when it cannot be)."""
    if isinstance(n, pd.DataFrame):
        sizes = n.to_numpy(dtype=float)
    elif isinstance(n, pd.Series):
        if n.index.equals(frame.index) or frame.index.isin(n.index).all():
            sizes = n.reindex(frame.index).to_numpy(dtype=float)[:, None]
        else:
            sizes = n.to_numpy(dtype=float)[:, None]
    else:
        sizes = np.asarray(n, dtype=float)
        if sizes.ndim == 1:
            sizes = sizes[:, None]
    try:
        return np.broadcast_to(sizes, frame.shape)
    except ValueError:
        raise ConfigError(
            f"n has shape {sizes.shape} but the values have shape {frame.shape}"
        ) from None


# ----------------------------------------------------------------------------- rendering


def symbols_in(display: pd.DataFrame) -> tuple[str, ...]:
    """The DfE symbols (``c``, ``x``, ``z``) that occur as whole cells of ``display``."""
    cells = {v for v in display.to_numpy(dtype=object).ravel() if isinstance(v, str)}
    return tuple(s for s in (SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE) if s in cells)


def footnote(
    symbols: Iterable[str] = (SUPPRESSED,),
    threshold: int = DEFAULT_THRESHOLD,
    audience: str = "commissioner",
    people: str = "children",
) -> str:
    """The sentence explaining the symbols a table uses (DfE conventions).

    >>> footnote(["c", "x"], threshold=5)  # doctest: +NORMALIZE_WHITESPACE
    'c = suppressed to protect confidentiality: a count of 1 to 4 children, a figure
    calculated from fewer than 5 children, or a figure that would let one of those be
    worked out from the totals. Zeros are shown. x = not available.'
    """
    check_audience(audience)
    used = set(symbols)
    parts = []
    if SUPPRESSED in used:
        small = f"1 to {threshold - 1}" if threshold > 2 else "1"
        parts.append(
            f"c = suppressed to protect confidentiality: a count of {small} {people}, a "
            f"figure calculated from fewer than {threshold} {people}, or a figure that "
            "would let one of those be worked out from the totals. Zeros are shown."
        )
    if NOT_AVAILABLE in used:
        parts.append("x = not available.")
    if NOT_APPLICABLE in used:
        parts.append("z = not applicable.")
    if audience == "analyst":
        parts.append(
            "Analyst edition: small numbers are not suppressed; not for circulation "
            "outside the analytical team."
        )
    return " ".join(parts)


def to_html(
    display: pd.DataFrame,
    caption: str | None = None,
    *,
    counts: bool | Iterable[Hashable] = False,
    note: str | None = None,
    decimals: int = 1,
    table_id: str | None = None,
) -> str:
    """Accessible HTML for a display frame (cells already suppressed).

    Column headers are ``<th scope="col">``, row labels ``<th scope="row">``, the caption
    a ``<caption>``; suppressed cells are ``<td class="num suppressed" data-suppressed>c</td>``
    and numbers right-aligned (``class="num"``) with thousands separators. ``counts=True``
    marks the whole table ``data-dspl-counts``; a list of column labels marks only those
    columns' header cells. ``note`` (e.g. a footnote) follows in ``<p class="table-note">``.
    """
    marked = set() if isinstance(counts, bool) else set(counts)
    attrs = ' class="dspl-table"'
    if table_id:
        attrs += f' id="{html.escape(table_id)}"'
    if counts is True:
        attrs += f" {COUNTS_ATTRIBUTE}"
    parts = [f"<table{attrs}>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(_html_head(display, marked))
    parts.append("<tbody>")
    for label, row in zip(display.index, display.itertuples(index=False), strict=True):
        total = ' class="total"' if _is_total_label(label) else ""
        cells = "".join(_html_cell(v, decimals) for v in row)
        parts.append(f'<tr{total}><th scope="row">{_esc(_label(label))}</th>{cells}</tr>')
    parts.append("</tbody></table>")
    if note:
        parts.append(f'<p class="table-note">{html.escape(note)}</p>')
    return "".join(parts)


def _html_head(display: pd.DataFrame, marked: set) -> str:
    corner = _esc(_label(display.index.name)) if display.index.name is not None else ""
    heads = [f'<th scope="col">{corner}</th>']
    for column in display.columns:
        mark = f" {COUNTS_ATTRIBUTE}" if column in marked else ""
        heads.append(f'<th scope="col"{mark}>{_esc(_label(column))}</th>')
    return f"<thead><tr>{''.join(heads)}</tr></thead>"


def _html_cell(value: object, decimals: int) -> str:
    if value == SUPPRESSED:
        return f'<td class="num suppressed" data-suppressed>{SUPPRESSED}</td>'
    text = _format(value, decimals)
    numeric = isinstance(value, int | float | np.number) or value in (NOT_AVAILABLE, NOT_APPLICABLE)
    return f'<td class="num">{_esc(text)}</td>' if numeric else f"<td>{_esc(text)}</td>"


def _format(value: object, decimals: int) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return NOT_AVAILABLE
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,.{decimals}f}"
    return "" if value is None else str(value)


def to_excel_rows(
    display: pd.DataFrame, *, index: bool = True, counts: bool | Iterable[Hashable] = False
) -> list[list[object]]:
    """A display frame as rows for ``openpyxl`` (``for row in rows: sheet.append(row)``).

    The first row is the header; symbols stay strings (``"c"``), numbers stay numbers
    (``int``/``float``), missing values become ``"x"``. Headers of count columns
    (``counts=True``: every column; or a list of labels) are suffixed ``" (n)"`` unless
    :func:`is_count_header` already recognises them, so the privacy audit can find them.
    """
    marked = set(display.columns) if counts is True else set() if counts is False else set(counts)
    header = []
    for column in display.columns:
        text = _label(column)
        if column in marked and not is_count_header(text):
            text = f"{text} (n)"
        header.append(text)
    rows: list[list[object]] = [[_label(display.index.name), *header] if index else header]
    for label, row in zip(display.index, display.itertuples(index=False), strict=True):
        cells = [_excel_value(v) for v in row]
        rows.append([_label(label), *cells] if index else cells)
    return rows


def _excel_value(value: object) -> object:
    value = _plain(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_AVAILABLE
    return value


def _plain(value: object) -> object:
    """numpy scalars → Python scalars (so openpyxl and JSON take them)."""
    return value.item() if isinstance(value, np.generic) else value


def _label(label: object) -> str:
    if label is None:
        return ""
    if isinstance(label, tuple):
        return " / ".join(_label(x) for x in label)
    return str(_plain(label))


def _esc(text: str) -> str:
    return html.escape(text, quote=False)
