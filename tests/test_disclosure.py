"""Disclosure control: hand-worked tables, recovery attacks, and a solver-checked property.

Expected outputs are written out in full; every secondary pattern below was worked by hand
from the rule in ``dspl_eval.disclosure`` (smallest non-zero complement, preferring a cell
whose other row/column already needs one; zeros never suppressed; only zeros left → the
total). The property test does not trust the algorithm: for every suppressed cell it solves
for the least and greatest value consistent with everything published.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from dspl_eval.disclosure import (
    COUNTS_ATTRIBUTE,
    SUPPRESSED,
    SuppressedTable,
    footnote,
    is_count_header,
    suppress_counts,
    suppress_for_audience,
    suppress_statistics,
    to_excel_rows,
    to_html,
)
from dspl_eval.errors import ConfigError, DisclosureError

c = SUPPRESSED


def with_margins(inner: list[list[int]], rows: bool = True, cols: bool = True) -> pd.DataFrame:
    """An inner table plus a totals column and/or a totals row labelled ``Total``."""
    frame = pd.DataFrame(
        inner,
        index=[f"r{i}" for i in range(len(inner))],
        columns=[f"c{j}" for j in range(len(inner[0]))],
    )
    if cols:
        frame["Total"] = frame.sum(axis=1)
    if rows:
        frame.loc["Total"] = frame.sum(axis=0)
    return frame


def shown(result: SuppressedTable) -> list[list[object]]:
    return result.display.to_numpy(dtype=object).tolist()


# ----------------------------------------------------------------------------- primary


def test_primary_suppresses_one_to_four_and_shows_zeros():
    table = pd.DataFrame({"n": [0, 1, 4, 5, 12]}, index=list("abcde"))
    result = suppress_counts(table, margins=False)
    assert shown(result) == [[0], [c], [c], [5], [12]]
    assert result.primary["n"].tolist() == [False, True, True, False, False]


def test_threshold_is_configurable():
    table = pd.DataFrame({"n": [2, 3, 9, 10]}, index=list("abcd"))
    assert shown(suppress_counts(table, threshold=3, margins=False)) == [[c], [3], [9], [10]]
    assert shown(suppress_counts(table, threshold=10, margins=False)) == [[c], [c], [c], [10]]


# ----------------------------------------------------------------------------- recovery attacks


def test_one_suppressed_cell_with_a_published_total_gets_a_complement():
    # Attack: with only the 3 hidden, 21 - 10 - 8 = 3 gives it away.
    # Defence: hide the smallest other non-zero cell (8): now c + c = 11, c ≥ 1.
    table = pd.DataFrame({"n": [3, 10, 8, 21]}, index=["A", "B", "C", "Total"])
    assert shown(suppress_counts(table)) == [[c], [10], [c], [21]]


def test_one_suppressed_cell_in_a_row_with_a_totals_column():
    table = with_margins([[3, 10, 8]], rows=False)
    assert shown(suppress_counts(table)) == [[c, 10, c, 21]]


def test_two_way_table_with_margins():
    # Primary: 3 (A,x) and 2 (B,y). Row A needs a complement: 10 (A,y) is chosen over the
    # smaller 8 because column y already holds one suppression; row B then takes 6 (B,x)
    # for the same reason. The four cells form a rectangle: every row and column with a
    # c has two, and (x ± t, y ∓ t) keeps every total, so none can be recovered.
    table = with_margins([[3, 10, 8], [6, 2, 9], [12, 14, 7]])
    assert shown(suppress_counts(table)) == [
        [c, c, 8, 21],
        [c, c, 9, 17],
        [12, 14, 7, 33],
        [21, 26, 24, 71],
    ]


def test_two_way_table_where_a_total_is_itself_small():
    # Row r0 is 1 + 3 = 4, all primary. Column c0 (1, 6 | 7) needs a complement: 6;
    # column c1 (3, 8 | 11): 8; the totals column (4, 14 | 18): 14, else 18 - 14 = 4.
    table = with_margins([[1, 3], [6, 8]])
    assert shown(suppress_counts(table)) == [
        [c, c, c],
        [c, c, c],
        [7, 11, 18],
    ]


def test_only_zeros_left_suppresses_the_total():
    # A suppressed zero would protect nothing (zeros are published), so the total goes.
    table = pd.DataFrame({"n": [3, 0, 0, 3]}, index=["A", "B", "C", "Total"])
    assert shown(suppress_counts(table)) == [[c], [0], [0], [c]]


def test_two_ones_in_a_row_are_not_left_alone():
    # c + c = 2 with each c ≥ 1 (zeros are shown) pins both to 1: a third cell must go.
    table = with_margins([[1, 1, 5]], rows=False)
    assert shown(suppress_counts(table)) == [[c, c, c, 7]]


def test_bridge_between_two_rectangles_is_caught_by_the_solver():
    # Two 2×2 blocks of suppressions joined by one cell: every row and column holds two
    # c's, yet the joining cell is determined by the block sums. The solver finds it.
    inner = [
        [2, 3, 20, 20],
        [3, 2, 4, 20],
        [20, 20, 2, 3],
        [20, 20, 3, 2],
    ]
    result = suppress_counts(with_margins(inner))
    assert all(
        lp_range(with_margins(inner), result.mask.to_numpy(), k) > 0
        for k in np.argwhere(result.mask.to_numpy())
    )


def test_crosstab_all_margins_are_recognised():
    data = pd.DataFrame({"school": list("AAAABBBBBBB"), "band": list("xxxyxyyyyyx")})
    table = pd.crosstab(data["school"], data["band"], margins=True)
    assert table.index[-1] == "All"
    result = suppress_counts(table)
    # A: 3 + 1 = 4 (all primary); B: 2 (primary) takes 5 as its complement (column y
    # already has one); the All column (4, 7 | 11) then needs 7 hidden too.
    assert shown(result) == [[c, c, c], [c, c, c], [5, 6, 11]]


def test_margins_can_name_the_total_column():
    # read = kept + quarantined: "Rows read" is a totals column.
    table = pd.DataFrame(
        {"Rows read": [50, 30], "Rows kept": [47, 30], "Rows quarantined": [3, 0]},
        index=["EBSA", "ELSA"],
    )
    assert shown(suppress_counts(table, margins=["Rows read"])) == [[50, c, c], [30, 30, 0]]


def test_without_margins_only_primary_applies():
    table = with_margins([[3, 10, 8]], rows=False).drop(columns="Total")
    assert shown(suppress_counts(table, margins=False)) == [[c, 10, 8]]


def test_suppress_for_audience_returns_the_display_frame():
    table = pd.DataFrame({"n": [3, 10]}, index=["a", "b"])
    assert suppress_for_audience(table, "commissioner")["n"].tolist() == [c, 10]
    assert suppress_for_audience(table, "analyst")["n"].tolist() == [3, 10]


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"n": [3, 10, 14]}, index=["a", "b", "Total"]), "add up to 13"),
        (pd.DataFrame({"n": [3, -1]}, index=["a", "b"]), "whole number"),
        (pd.DataFrame({"n": [3, 2.5]}, index=["a", "b"]), "whole number"),
        (pd.DataFrame({"n": [3, None]}, index=["a", "b"]), "whole number"),
    ],
)
def test_bad_tables_raise_disclosure_error(table, message):
    margins = "Total" in table.index
    with pytest.raises(DisclosureError, match=message):
        suppress_counts(table, margins=margins)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"audience": "public"},
        {"threshold": 0},
        {"threshold": 2.5},
        {"margins": True},  # no row or column called Total/All
        {"margins": ["Grand"]},
    ],
)
def test_bad_arguments_raise_config_error(kwargs):
    table = pd.DataFrame({"n": [3, 10]}, index=["a", "b"])
    kwargs = {"margins": False} | kwargs
    with pytest.raises(ConfigError):
        suppress_counts(table, **kwargs)


def test_invalid_audience_for_statistics_and_footnote():
    with pytest.raises(ConfigError, match="audience 'everyone'"):
        suppress_statistics(pd.Series([1.0]), 10, audience="everyone")
    with pytest.raises(ConfigError):
        footnote(audience="everyone")


# ----------------------------------------------------------------------------- audience


def test_analyst_sees_unsuppressed_aggregates():
    table = with_margins([[3, 10], [6, 2]])
    result = suppress_counts(table, audience="analyst")
    assert shown(result) == table.to_numpy().tolist()
    assert result.n_suppressed == 0
    assert "Analyst edition" in result.footnote


# ----------------------------------------------------------------------------- statistics


def test_statistics_from_fewer_than_the_threshold_are_suppressed():
    values = pd.DataFrame(
        {"mean change": [1.5, 2.25, np.nan], "% improved": ["50%", "20%", "x"]},
        index=["Boxall", "SDQ", "PASS"],
    )
    n = pd.Series({"Boxall": 4, "SDQ": 10, "PASS": 0})
    result = suppress_statistics(values, n)
    assert shown(result) == [[c, c], [2.25, "20%"], ["x", c]]
    assert not result.counts
    assert result.symbols == ("c", "x")


def test_statistics_follow_their_suppressed_counts():
    # 2 of 8 improved: the count is suppressed, so 25% (which gives it away) must be too.
    counts = pd.DataFrame({"improved": [2, 6]}, index=["a", "b"])
    suppressed_counts = suppress_counts(counts, margins=False)
    pct = pd.DataFrame({"improved": [25.0, 60.0]}, index=["a", "b"])
    result = suppress_statistics(
        pct, n=pd.Series([8, 10], index=["a", "b"]), also=suppressed_counts
    )
    assert shown(result) == [[c], [60.0]]


def test_statistics_n_as_scalar_and_array():
    values = pd.Series([0.4, 0.7], index=["a", "b"], name="d")
    assert shown(suppress_statistics(values, 3)) == [[c], [c]]
    assert shown(suppress_statistics(values, np.array([3, 12]))) == [[c], [0.7]]
    with pytest.raises(ConfigError, match="shape"):
        suppress_statistics(values, np.array([3, 12, 4]))


# ----------------------------------------------------------------------------- rendering


def test_html_is_accessible_and_marked_as_counts():
    result = suppress_counts(pd.DataFrame({"n": [3, 10, 8, 21]}, index=["A", "B", "C", "Total"]))
    page = result.to_html(caption="Children by school")
    assert page.startswith(f'<table class="dspl-table" {COUNTS_ATTRIBUTE}>')
    assert "<caption>Children by school</caption>" in page
    assert '<th scope="col">n</th>' in page
    assert '<th scope="row">A</th>' in page
    assert '<td class="num suppressed" data-suppressed>c</td>' in page
    assert '<tr class="total">' in page
    assert "c = suppressed" in page  # the footnote follows the table
    assert result._repr_html_() == result.to_html()


def test_html_marks_only_the_count_columns_of_a_mixed_table():
    display = pd.DataFrame({"n": [12, c], "mean": [1.25, c]}, index=["a", "b"])
    page = to_html(display, counts=["n"])
    assert f'<th scope="col" {COUNTS_ATTRIBUTE}>n</th>' in page
    assert '<th scope="col">mean</th>' in page
    assert f'<table class="dspl-table" {COUNTS_ATTRIBUTE}' not in page
    assert '<td class="num">1.2</td>' in page or '<td class="num">1.3</td>' in page


def test_html_escapes_labels():
    display = pd.DataFrame({"<b>n</b>": [12]}, index=["A & B"])
    page = to_html(display, caption="x < y")
    assert "<b>" not in page and "A &amp; B" in page and "x &lt; y" in page


def test_excel_rows_keep_symbols_as_strings_and_numbers_as_numbers():
    table = with_margins([[3, 10, 8]], rows=False)
    rows = suppress_counts(table).to_excel_rows()
    assert rows == [["", "c0 (n)", "c1 (n)", "c2 (n)", "Total (n)"], ["r0", "c", 10, "c", 21]]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [cell.data_type for cell in sheet[2]] == ["s", "s", "n", "s", "n"]
    assert all(is_count_header(h) for h in rows[0][1:])


def test_excel_rows_write_missing_as_x():
    rows = to_excel_rows(pd.DataFrame({"mean": [np.nan, 2.5]}, index=["a", "b"]))
    assert rows[1:] == [["a", "x"], ["b", 2.5]]


def test_footnote_explains_each_symbol_used():
    note = footnote(["c", "x", "z"], threshold=5, people="teachers")
    assert "a count of 1 to 4 teachers" in note
    assert "fewer than 5 teachers" in note
    assert "Zeros are shown" in note
    assert "x = not available" in note and "z = not applicable" in note
    assert footnote([]) == ""


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("n", True),
        ("n_children", True),
        ("n without follow-up", True),
        ("Improved (n)", True),
        ("Count", True),
        ("children", True),
        ("Teachers", True),
        ("Name", False),
        ("Notes", False),
        ("Mean", False),
        (3, False),
    ],
)
def test_count_header_convention(header, expected):
    assert is_count_header(header) is expected


# ----------------------------------------------------------------------------- property


def lp_range(table: pd.DataFrame, mask: np.ndarray, cell, lower: float = 0.0) -> float:
    """max − min of one suppressed cell given everything published (independent of the
    module: every cell is a variable; published cells are fixed by their bounds; every
    row and column with a total must add up)."""
    values = table.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    total_row = "Total" in table.index
    total_col = "Total" in table.columns
    index = lambda i, j: i * n_cols + j  # noqa: E731
    equations = []
    if total_col:
        for i in range(n_rows):
            row = np.zeros(values.size)
            for j in range(n_cols - 1):
                row[index(i, j)] = 1
            row[index(i, n_cols - 1)] = -1
            equations.append(row)
    if total_row:
        for j in range(n_cols):
            row = np.zeros(values.size)
            for i in range(n_rows - 1):
                row[index(i, j)] = 1
            row[index(n_rows - 1, j)] = -1
            equations.append(row)
    bounds = [
        (lower, None) if mask[i, j] else (values[i, j], values[i, j])
        for i in range(n_rows)
        for j in range(n_cols)
    ]
    objective = np.zeros(values.size)
    objective[index(*cell)] = 1
    a_eq = np.array(equations) if equations else None
    b_eq = np.zeros(len(equations)) if equations else None
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == 0, low.message  # the true table is always feasible
    if high.status == 3:
        return np.inf
    assert high.status == 0, high.message
    return -high.fun - low.fun


cells = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 15))
tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda cols: st.lists(
            st.lists(cells, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inner=tables, layout=st.sampled_from(["both", "row", "column"]))
def test_no_suppressed_value_can_be_recovered(inner, layout):
    table = with_margins(inner, rows=layout != "column", cols=layout != "row")
    result = suppress_counts(table)
    values = table.to_numpy()
    mask = result.mask.to_numpy()
    # primary cells are all suppressed; zeros are never suppressed; the rest is as given
    assert (mask[(values >= 1) & (values < 5)]).all()
    assert not mask[values == 0].any()
    assert (result.display.to_numpy(dtype=object)[~mask] == values[~mask]).all()
    for cell in np.argwhere(mask):
        # the brief's check (non-negativity) and the stronger one (a c is never 0)
        assert lp_range(table, mask, tuple(cell)) > 1e-6, f"cell {tuple(cell)} is recoverable"
        assert lp_range(table, mask, tuple(cell), lower=1) > 1e-6
