"""Cell parsers (dspl_eval.clean): the nasty cases DATA_CONTRACT lists, one by one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.gb import upn as stdnum_upn

from dspl_eval.clean import (
    MISSING_WORDS,
    CellError,
    _valid_upns,
    dtype_for,
    empty_column,
    is_missing,
    parse_column,
    parse_date,
    parse_integer,
    parse_likert,
    parse_percent,
    parse_sen_status,
    parse_upn,
    parse_year_group,
    parse_yes_no,
    show_value,
)
from dspl_eval.initiatives import get

EBSA = get("ebsa")
NQT = get("nqt")
ELSA = get("elsa")

# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("03/10/2023", dt.date(2023, 10, 3)),  # dd/mm/yyyy: day first, not 10 March
        ("12/01/2024", dt.date(2024, 1, 12)),
        ("3/10/23", dt.date(2023, 10, 3)),  # d/m/yy
        ("5/9/23", dt.date(2023, 9, 5)),
        ("03-10-2023", dt.date(2023, 10, 3)),
        ("03.10.2023", dt.date(2023, 10, 3)),
        ("2023-10-03", dt.date(2023, 10, 3)),  # ISO
        ("2023-10-03 00:00:00", dt.date(2023, 10, 3)),  # a date written out by pandas
        (" 2023-10-03T00:00 ", dt.date(2023, 10, 3)),
        ("3 Oct 2023", dt.date(2023, 10, 3)),
        ("3 October 2023", dt.date(2023, 10, 3)),
        ("3rd Oct 2023", dt.date(2023, 10, 3)),
        ("3-Oct-23", dt.date(2023, 10, 3)),
        ("29 Sept 2023", dt.date(2023, 9, 29)),
        ("29/02/2024", dt.date(2024, 2, 29)),  # a real leap day
        (45202, dt.date(2023, 10, 3)),  # Excel serial (1899-12-30 origin)
        (45202.0, dt.date(2023, 10, 3)),
        (np.int64(45202), dt.date(2023, 10, 3)),
        ("45202", dt.date(2023, 10, 3)),
        (45275, dt.date(2023, 12, 15)),
        (dt.datetime(2023, 10, 3), dt.date(2023, 10, 3)),  # a real Excel date cell
        (dt.datetime(2023, 10, 3, 0, 0), dt.date(2023, 10, 3)),  # a midnight time of day
        (dt.date(2023, 10, 3), dt.date(2023, 10, 3)),
        (pd.Timestamp("2023-10-03"), dt.date(2023, 10, 3)),
    ],
)
def test_parse_date_accepts_contract_styles_day_first(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("31/02/2024", "real date"),  # impossible day
        ("29/02/2023", "real date"),  # not a leap year
        ("13/13/2023", "real date"),
        ("32/01/2024", "real date"),
        ("3 Foo 2023", "real date"),
        ("next Tuesday", "a date"),
        ("2023/10", "a date"),
        (True, "a date"),  # a TRUE cell is not a date (bool is an int in Python)
        (45202.5, "a date"),  # a serial with a time part is not a plain date
        (-5, "a date"),
        ("1/1/1999", "between 2000 and 2099"),
        (dt.datetime(1899, 12, 31), "between 2000 and 2099"),
        (100, "between 2000 and 2099"),  # serial 100 = 1900
    ],
)
def test_parse_date_refuses_impossible_or_unreadable(cell, says):
    with pytest.raises(CellError, match=says):
        parse_date(cell)


def test_parse_column_dates_mixed_styles_and_missing():
    readable = ["03/10/2023", "3/10/23", "2023-10-03", 45202, dt.datetime(2023, 10, 3)]
    raw = pd.Series([*readable, "3 Oct 2023", "", "n/a", None, "31/02/2024"], dtype=object)
    out = parse_column(raw, EBSA.column("referral_date"))
    assert str(out.values.dtype) == "datetime64[s]"
    assert (out.values.iloc[:6] == pd.Timestamp("2023-10-03")).all()
    assert out.values.iloc[6:].isna().all()
    assert out.errors.iloc[:9].isna().all()  # missing is not an error
    assert "real date" in out.errors.iloc[9]


# ----------------------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("58%", (58.0, True)),
        (" 58 % ", (58.0, True)),
        ("58.5%", (58.5, True)),
        ("0.5%", (0.5, True)),  # an explicit % is never a fraction
        (58, (58.0, True)),
        ("58", (58.0, True)),
        (0, (0.0, True)),
        (0.58, (0.58, False)),  # fraction or a tiny percentage: the column decides
        ("0.58", (0.58, False)),
        (1, (1.0, False)),  # 100% as a fraction, or 1%?
    ],
)
def test_parse_percent_styles(cell, expected):
    assert parse_percent(cell) == expected


@pytest.mark.parametrize("cell", ["fifty", "58%%", True, "", dt.datetime(2023, 1, 1)])
def test_parse_percent_refuses(cell):
    with pytest.raises(CellError):
        parse_percent(cell)


def _percent(cells):
    return parse_column(pd.Series(cells, dtype=object), EBSA.column("attendance_before"))


def test_percent_column_of_whole_percentages():
    out = _percent(["58%", 58, "58", 72.5, "100%", None, "n/a"])
    assert out.values.tolist()[:5] == [58.0, 58.0, 58.0, 72.5, 100.0]
    assert out.values.iloc[5:].isna().all()
    assert out.errors.isna().all()
    assert str(out.values.dtype) == "float64"


def test_percent_column_of_fractions_is_scaled_to_0_100():
    # Excel cells formatted as % arrive as fractions: every value 0-1 → a fraction column
    out = _percent([0.58, "0.6", 0.755, 1, 0, None])
    assert out.values.iloc[:5].tolist() == pytest.approx([58.0, 60.0, 75.5, 100.0, 0.0])
    assert out.errors.isna().all()


def test_percent_column_mixing_fractions_with_whole_percentages_is_ambiguous():
    out = _percent(["58%", 0.58, 85, 1, 0])
    assert out.values.tolist()[0] == 58.0 and out.values.tolist()[2] == 85.0
    assert out.values.iloc[[1, 3]].isna().all()
    assert out.errors.iloc[[0, 2, 4]].isna().all()  # 0 is 0 in every style
    assert "ambiguous" in out.errors.iloc[1] and "0.58" in out.errors.iloc[1]
    assert "(0.58% or 58%?)" in out.errors.iloc[1]  # the value seen, not a fixed example
    assert "ambiguous" in out.errors.iloc[3]  # 1 beside 0.58: 1% or 100%?
    assert out.values.iloc[4] == 0.0


def test_a_bare_1_among_whole_percentages_is_1_percent():
    # PASS percentiles and attendance are whole numbers; with no 0-1 fraction in the
    # column, 1 can only mean 1% (a percentile of 1 must not quarantine a child)
    out = _percent([58, 1, "85%", 100])
    assert out.values.tolist() == [58.0, 1.0, 85.0, 100.0]
    assert out.errors.isna().all()


# ----------------------------------------------------------------------------- yes / no


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Y", True),
        ("y", True),
        ("Yes", True),
        ("YES", True),
        ("TRUE", True),
        ("true", True),
        ("1", True),
        (1, True),
        (1.0, True),
        (True, True),
        (np.True_, True),
        ("N", False),
        ("no", False),
        ("FALSE", False),
        ("0", False),
        (0, False),
        (False, False),
    ],
)
def test_parse_yes_no(cell, expected):
    assert parse_yes_no(cell) is expected


@pytest.mark.parametrize("cell", ["maybe", "2", 2, "yes please", "ok"])
def test_parse_yes_no_refuses(cell):
    with pytest.raises(CellError, match="yes or no"):
        parse_yes_no(cell)


def test_yes_no_column_missing_words_are_not_no():
    column = ELSA.column("permanent_exclusion_before")
    out = parse_column(
        pd.Series(["Y", "n/a", "N/A", "-", "N", "unknown", ""], dtype=object), column
    )
    assert str(out.values.dtype) == "boolean"
    assert out.values.tolist() == [True, pd.NA, pd.NA, pd.NA, False, pd.NA, pd.NA]
    assert out.errors.isna().all()


# ----------------------------------------------------------------------------- missing


@pytest.mark.parametrize("cell", ["", "  ", "N/A", "n/a", "-", "unknown", "Not known", None])
def test_contract_missing_words_are_missing(cell):
    assert is_missing(cell)
    assert is_missing(float("nan")) and is_missing(pd.NA) and is_missing(pd.NaT)


@pytest.mark.parametrize("cell", ["none", "0", 0, "N", "no", "nil"])
def test_words_that_are_values_are_not_missing(cell):
    assert not is_missing(cell)  # "none" is a SEN status, "N" a census code, 0 a count


def test_n_a_in_a_text_column_is_missing_not_the_text_n_a():
    # pandas' defaults would do this silently; here it is a decision, so check both ways
    school = EBSA.column("school")
    out = parse_column(pd.Series(["n/a", "N/A", "NA", "Oakfield"], dtype=object), school)
    assert out.values.isna().tolist() == [True, True, True, False]
    assert out.values.iloc[3] == "Oakfield"
    assert out.errors.isna().all()
    assert {"n/a", "-", "unknown", "not known", ""} <= MISSING_WORDS


def test_missing_words_in_every_kind_of_column_are_na_without_error():
    words = ["", "N/A", "n/a", "-", "unknown", "not known", None, np.nan]
    for column in EBSA.columns + NQT.columns + ELSA.columns:
        out = parse_column(pd.Series(words, dtype=object), column)
        assert out.values.isna().all(), column.name
        assert out.errors.isna().all(), column.name


# ----------------------------------------------------------------------------- year groups


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (6, 6),
        (6.0, 6),
        ("6", 6),
        ("Y6", 6),
        ("y6", 6),
        ("Y 6", 6),
        ("Year 6", 6),
        ("year6", 6),
        ("Yr 6", 6),
        ("Yr. 6", 6),
        ("NC Year 6", 6),
        ("Year 11", 11),
        ("R", 0),
        ("r", 0),
        ("Reception", 0),
        ("Year R", 0),
        ("Nursery", -1),
    ],
)
def test_parse_year_group(cell, expected):
    assert parse_year_group(cell) == expected


@pytest.mark.parametrize("cell", ["Year six", "6.5", 6.5, "Y6/7", "KS2", True, "123"])
def test_parse_year_group_refuses(cell):
    # "6.5" once became 65 (full stops were stripped before matching)
    with pytest.raises(CellError, match="year group"):
        parse_year_group(cell)


# ----------------------------------------------------------------------------- SEN


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("N", "none"),
        ("n", "none"),
        ("K", "SEN support"),
        ("k", "SEN support"),
        ("E", "EHC plan"),
        ("None", "none"),
        ("No SEN", "none"),
        ("SEN Support", "SEN support"),
        ("EHCP", "EHC plan"),
        ("EHC Plan", "EHC plan"),
        ("Statement", "EHC plan"),
    ],
)
def test_parse_sen_status_codes_and_words(cell, expected):
    assert parse_sen_status(cell) == expected


@pytest.mark.parametrize("cell", ["X", "maybe", 3])
def test_parse_sen_status_refuses(cell):
    with pytest.raises(CellError, match="SEN status"):
        parse_sen_status(cell)


# ----------------------------------------------------------------------------- Likert


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Strongly disagree", 1),
        ("disagree", 2),
        ("Neither agree nor disagree", 3),
        ("Agree ", 4),
        ("STRONGLY AGREE", 5),
        (3, 3),
        ("4", 4),
        (5.0, 5),
    ],
)
def test_parse_likert(cell, expected):
    assert parse_likert(cell) == expected


@pytest.mark.parametrize("cell", ["kind of", 3.5, "agree strongly", True])
def test_parse_likert_refuses(cell):
    with pytest.raises(CellError, match="strongly disagree"):
        parse_likert(cell)


def test_likert_column_is_integer_and_out_of_range_is_left_to_validation():
    column = NQT.column("conf_autism_pre")
    out = parse_column(pd.Series(["Agree", 5, "1", 6, "n/a"], dtype=object), column)
    assert str(out.values.dtype) == "Int64"
    assert out.values.tolist() == [4, 5, 1, 6, pd.NA]
    assert (column.minimum, column.maximum) == (1, 5)


# ----------------------------------------------------------------------------- UPN


def test_parse_upn_stdnum_reference_examples():
    # python-stdnum, stdnum/gb/upn.py doctest: validate('B801200005001') is valid,
    # 'A801200005001' has the wrong check letter, 'X80120000A001' a letter in the middle,
    # 'E000200005001' an unknown LA number.
    assert parse_upn("B801200005001") == "B801200005001"
    assert parse_upn(" b801 2000 05001 ") == "B801200005001"  # case and spaces normalised
    with pytest.raises(CellError, match="check letter"):
        parse_upn("A801200005001")
    with pytest.raises(CellError, match="13 characters"):
        parse_upn("X80120000A001")
    with pytest.raises(CellError, match="local authority"):
        parse_upn("E000200005001")


@pytest.mark.parametrize("cell", ["B80120000500", "B8012000050011", 801200005001, "hello"])
def test_parse_upn_refuses_wrong_shapes(cell):
    with pytest.raises(CellError, match="UPN"):
        parse_upn(cell)


# ----------------------------------------------------------------------------- others


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(3, 3), (3.0, 3), ("3", 3), (" 12 ", 12), ("1,200", 1200)],
)
def test_parse_integer(cell, expected):
    assert parse_integer(cell) == expected


@pytest.mark.parametrize("cell", [3.5, "3.5", "three", True, float("inf"), "nan", 1e20, "-1E+19"])
def test_parse_integer_refuses(cell):
    # 1e20 once reached Int64 and crashed the whole file with an OverflowError
    with pytest.raises(CellError):
        parse_integer(cell)


def test_category_with_synonyms_and_odd_case():
    column = EBSA.column("referral_source")
    out = parse_column(
        pd.Series(["School", " PARENT ", "Parent/Carer", "CAMHS", "teacher"], dtype=object), column
    )
    assert out.values.tolist()[:4] == ["school", "parent", "parent", "other"]
    assert out.errors.iloc[:4].isna().all()
    assert "one of: school / parent / other" in out.errors.iloc[4]


def test_sex_synonyms():
    column = EBSA.column("sex")
    out = parse_column(pd.Series(["F", "m", "Girl", "Boy", "Female", "x"], dtype=object), column)
    assert out.values.tolist()[:5] == ["female", "male", "female", "male", "female"]
    assert out.errors.iloc[5].startswith("expected one of")


def test_true_in_a_count_column_does_not_poison_the_ones():
    # True == 1 and hash(True) == hash(1): pandas.factorize merges them, and whichever
    # came first used to speak for both (here: every 1 rejected as "expected a number").
    column = EBSA.column("possible_sessions_before")
    out = parse_column(pd.Series([True, 1, 1.0, False, 0, 2], dtype=object), column)
    assert out.values.tolist() == [pd.NA, 1, 1, pd.NA, 0, 2]
    assert out.errors.notna().tolist() == [True, False, False, True, False, False]
    flipped = parse_column(pd.Series([1, True, 0, False], dtype=object), column)
    assert flipped.values.tolist() == [1, pd.NA, 0, pd.NA]


def test_yes_no_column_with_true_and_1_reads_both():
    column = ELSA.column("permanent_exclusion_after")
    out = parse_column(pd.Series([1, True, "Y", 0, False], dtype=object), column)
    assert out.values.tolist() == [True, True, True, False, False]


def test_parse_column_keeps_index_and_does_not_mutate_input():
    raw = pd.Series(["Y6", "R", "bad"], index=[10, 11, 12], dtype=object)
    before = raw.copy()
    out = parse_column(raw, EBSA.column("year_group"))
    pd.testing.assert_series_equal(raw, before)
    assert out.values.index.tolist() == [10, 11, 12]
    assert out.errors.index.tolist() == [10, 11, 12]
    assert out.values.tolist()[:2] == [6, 0]


def test_show_value_as_the_spreadsheet_shows_it():
    assert show_value(True) == "TRUE"
    assert show_value(12.0) == "12"
    assert show_value(12.5) == "12.5"
    assert show_value(dt.datetime(2024, 2, 31 - 2)) == "29/02/2024"
    assert show_value(dt.date(2023, 10, 3)) == "03/10/2023"
    assert show_value("  padded ") == "padded"


def test_empty_column_dtypes():
    for column in EBSA.columns:
        empty = empty_column(column, 3)
        assert len(empty) == 3 and empty.isna().all()
        assert str(empty.dtype) == dtype_for(column) or dtype_for(column) == "str"


# ----------------------------------------------------------------------------- property

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["58%", "0.58", "Y6", "Reception", "N/A", "n/a", "31/02/2024", "3 Oct 2023"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
)
KINDS = {c.kind: c for c in EBSA.columns + NQT.columns + ELSA.columns}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(CELLS, max_size=25), kind=st.sampled_from(sorted(KINDS)))
def test_parse_column_never_raises_and_every_cell_is_value_error_or_missing(cells, kind):
    column = KINDS[kind]
    raw = pd.Series(cells, dtype=object)
    out = parse_column(raw, column)
    assert len(out.values) == len(out.errors) == len(raw)
    both = out.values.notna().to_numpy() & out.errors.notna().to_numpy()
    assert not both.any()  # never a value and an error for the same cell
    for cell, value, error in zip(cells, out.values, out.errors, strict=True):
        if is_missing(cell):
            assert pd.isna(value) and pd.isna(error)
        elif pd.isna(value):
            assert isinstance(error, str) and error.startswith("expected")


@st.composite
def upn_like(draw):
    """Strings near a UPN: right or wrong check letter, known or unknown LA, odd spacing."""
    la = draw(st.sampled_from([801, 201, 938, 0, 999, 420]))
    middle = draw(st.text("0123456789", min_size=8, max_size=8))
    last = draw(st.sampled_from("0123456789ABZIOS"))
    body = f"{la:03d}{middle}{last}"
    if draw(st.booleans()) and last not in "IOS":
        letter = stdnum_upn.calc_check_digit(body)
    else:
        letter = draw(st.sampled_from("ABCHIOSZ0"))
    text = letter + body
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from([" ", "  ", "", "\t", "-", "x"])) + text[cut:]
    return text


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(upn_like(), st.text(max_size=14), st.integers()), max_size=20))
def test_bulk_upn_check_agrees_with_stdnum(values):
    # parse_column checks UPNs in bulk with numpy (clean._valid_upns) for speed; it must
    # accept exactly what stdnum.gb.upn.validate accepts, normalised the same way.
    expected = []
    for value in values:
        try:
            expected.append(stdnum_upn.validate(value) if isinstance(value, str) else None)
        except ValidationError:
            expected.append(None)
    assert _valid_upns(values) == expected
    parsed = parse_column(pd.Series(values, dtype=object), EBSA.column("upn"))
    for value, got, want in zip(values, parsed.values, expected, strict=True):
        if want is not None:
            assert got == want
        elif not is_missing(value):
            assert pd.isna(got)


def test_ambiguous_percent_message_uses_the_value_seen():
    out = _percent(["85%", 0.25, 70])
    assert "0.25 is ambiguous here (0.25% or 25%?)" in out.errors.iloc[1]
    assert "write it as 25 or 25%" in out.errors.iloc[1]
    assert "58" not in out.errors.iloc[1]
