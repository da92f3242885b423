"""The fast paths of ingestion (issue 12, speed) give exactly what the cell-by-cell code gave.

``benchmarks/ingest.py`` measures the speed; these tests pin that the vectorised versions
of the per-cell steps change no value and no type: calamine's cells (whole floats → int,
``""`` → NaN, dates → datetimes), the non-blank row test, the Total-row test, the
percentage texts and the all-missing columns.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from dspl_eval import ingest
from dspl_eval.clean import empty_column
from dspl_eval.initiatives import INITIATIVES

TRICKY = [
    0.0,
    -0.0,
    1.0,
    -3.0,
    2.5,
    0.853,
    1e300,  # whole, but beyond int64: still a Python int
    -(2.0**62),
    2.0**62,
    2.0**63,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    " ",
    "0,5",
    "Total",
    7,
    True,
    False,
    dt.date(2023, 9, 4),
    dt.datetime(2023, 9, 4, 0, 0),
    dt.datetime(2023, 9, 4, 13, 30),
    dt.time(9, 30),
    dt.timedelta(hours=1),
    None,
]


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _cell_by_cell(rows: list[list[object]]) -> list[list[object]]:
    """What ``_read_workbook`` built before it was vectorised: one call per cell."""
    return [[ingest._calamine_cell(c) for c in row] for row in rows]


def test_calamine_frame_converts_every_kind_of_cell_as_the_per_cell_code():
    rng = np.random.default_rng(12)
    cells = [TRICKY[i] for i in rng.integers(0, len(TRICKY), size=40 * 7)]
    rows = [cells[r * 7 : (r + 1) * 7] for r in range(40)]
    rows[0] = TRICKY[:7]  # every kind at least once, in known places
    rows[1] = TRICKY[7:14]
    rows[2] = TRICKY[14:21]
    rows[3] = TRICKY[21:] + TRICKY[:2]
    frame = ingest._calamine_frame(rows)
    expected = _cell_by_cell(rows)
    assert frame.shape == (40, 7)
    assert list(frame.dtypes.unique()) == [np.dtype(object)]
    assert frame.columns.equals(pd.RangeIndex(7)) and frame.index.equals(pd.RangeIndex(40))
    for r in range(40):
        for c in range(7):
            got, want = frame.iat[r, c], expected[r][c]
            assert _same(got, want), (r, c, rows[r][c], got, want)
    assert frame.iat[0, 0] == 0 and type(frame.iat[0, 0]) is int
    assert type(frame.iat[0, 6]) is int and frame.iat[0, 6] == int(1e300)
    assert type(frame.iat[0, 4]) is float and frame.iat[0, 4] == 2.5
    assert type(frame.iat[2, 6]) is dt.datetime  # a date became a datetime
    assert type(frame.iat[1, 6]) is float and math.isnan(frame.iat[1, 6])  # "" is blank


def test_calamine_frame_of_ragged_or_empty_rows_falls_back_to_the_per_cell_code():
    assert ingest._calamine_frame([]).shape == (0, 0)
    frame = ingest._calamine_frame([[1.0, "a"], [""]])
    assert frame.shape == (2, 2) and frame.iat[0, 1] == "a"
    assert frame.iat[0, 0] == 1 and type(frame.iat[0, 0]) is int
    assert pd.isna(frame.iat[1, 0]) and pd.isna(frame.iat[1, 1])


def test_calamine_frame_can_be_written_to_as_the_cell_facts_do():
    frame = ingest._calamine_frame([[0.5, "#"], [1.0, ""]])
    frame.iat[1, 1] = "#DIV/0!"
    frame[0] = np.array(["50%", 1], dtype=object)
    assert frame.iat[1, 1] == "#DIV/0!" and frame.iat[0, 0] == "50%"


def _nonblank_by_unique(cells: pd.DataFrame, skip: set[object]) -> np.ndarray:
    """The row test before it was vectorised: every column, every distinct value."""
    filled = np.zeros(len(cells), dtype=bool)
    for name, column in cells.items():
        if name in skip:
            continue
        present = column.notna().to_numpy()
        if column.dtype == object:
            blank = np.array(
                [isinstance(v, str) and not v.strip() for v in column.to_numpy(dtype=object)],
                dtype=bool,
            )
            present = present & ~blank
        filled |= present
    return filled


@pytest.mark.parametrize("seed", range(8))
def test_nonblank_rows_match_the_column_by_column_test(seed):
    rng = np.random.default_rng(seed)
    choices = [None, np.nan, "", " ", "\t\u00a0", "x", 0, 0.0, False, dt.datetime(2024, 1, 1)]
    weights = np.array([8, 8, 3, 3, 2, 1, 1, 1, 1, 1], dtype=float)
    picks = rng.choice(len(choices), size=(60, 5), p=weights / weights.sum())
    cells = pd.DataFrame([[choices[i] for i in row] for row in picks], dtype=object)
    cells[4] = pd.Series(["  " if i % 3 else None for i in range(60)], dtype="str")
    for skip in (set(), {0}, {1, 3}):
        got = ingest._nonblank_rows(cells, skip=skip).to_numpy()
        assert (got == _nonblank_by_unique(cells, skip)).all()
    # a whitespace cell in a str-dtype column counts as filled, as it always did
    assert ingest._nonblank_rows(cells[[4]]).to_numpy().tolist() == [bool(i % 3) for i in range(60)]


def test_total_mask_is_the_total_pattern_of_each_text_cell():
    values = ["Total", " grand total", "TOTALS", "Summary", "Averages", "all pupils", "Totally"]
    values += ["Oakfield", "", None, np.nan, 3, True, "mean", "Overall", "\u00a0Total", "sum:"]
    got = ingest._total_mask(pd.Series(values, dtype=object))
    want = [isinstance(v, str) and bool(ingest._TOTAL.match(v)) for v in values]
    assert got.tolist() == want
    assert got[:6].all() and not got[6] and not got[7]  # "Totally" is not a Total row


def test_percent_texts_are_the_per_value_texts_with_true_never_taken_for_one():
    values = np.array([0.853, 0.853, 1, 1.0, True, "58%", np.nan, None, 0.5, 0], dtype=object)
    got = ingest._percent_texts(values)
    want = [ingest._percent_text(v) for v in values]
    assert len(got) == len(want)
    assert all(_same(a, b) or (a is None and b is None) for a, b in zip(got, want, strict=True))
    assert got[:5] == ["85.3%", "85.3%", "100%", "100%", True]


def test_missing_columns_are_the_empty_columns_of_every_kind():
    index = pd.Index(np.arange(5, 25))
    kinds = {}
    for initiative in INITIATIVES.values():
        for column in initiative.columns:
            kinds.setdefault(column.kind, column)
        for item_set in initiative.item_sets:
            for column in item_set.items.values():
                kinds.setdefault(column.kind, column)
    assert {"date", "percent", "yes_no", "integer", "text"} <= set(kinds)
    for column in kinds.values():
        pd.testing.assert_series_equal(
            ingest._missing_column(column, index),
            empty_column(column, len(index), index),
            check_exact=True,
        )


def test_percent_cells_are_found_only_in_cell_tags_with_the_style():
    xml = (
        b'<sheetData><row r="1" s="3"><c r="A1" s="3"><v>0.5</v></c>'
        b'<c r="B1" s="33"><v>0.25</v></c><c r="C1" t="n" s="3"><v>0.1</v></c></row>'
        b'<row r="2"><x:c r="A2" s="3"><v>1</v></x:c></row></sheetData>'
    )
    cells = pd.DataFrame([[0.5, 0.25, 0.1], [1, None, None]], dtype=object)
    sheet = ingest.Sheet("S", cells)
    ingest._mark_percent_cells(sheet, xml, {3})
    assert sheet.cells.iat[0, 0] == "50%" and sheet.cells.iat[1, 0] == "100%"
    assert sheet.cells.iat[0, 1] == 0.25  # style 33 is not style 3
    assert sheet.cells.iat[0, 2] == 0.1  # t="n" before s=: not the layout looked for
    assert re.fullmatch(r"\d+%", sheet.cells.iat[1, 0])
