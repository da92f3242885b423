"""Tests for ``dspl_eval.template``: the school-facing data-capture workbooks.

(a) The validations read back with openpyxl match the initiative definitions, checked
    against the definitions directly (not against ``column_spec``), so a template that
    drifts from ingestion fails here.
(b) Round trip: fill each template as a school would (typing into the table rows, values
    that the template's own validations accept), then ``ingest_file`` keeps every row and
    ``validate_file`` says "ready to send"; one impossible value makes it name the row,
    column and value and exit 1. Validation never changes the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from stdnum.gb import upn as stdnum_upn

from dspl_eval import ingest
from dspl_eval.clean import parser_for
from dspl_eval.errors import ConfigError
from dspl_eval.identity import Key
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.initiatives.base import DROPPED_HEADERS, normalise_header
from dspl_eval.template import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    MESSAGE_LIMIT,
    RETURN_SHEET,
    TITLE_LIMIT,
    column_spec,
    template_filename,
    term_window,
    write_template,
)

KEYS = sorted(INITIATIVES)
TERM = "2023-24-spring"
SCHOOL = "Oakfield Primary"
ROWS = 500
# Accepted dates for TERM: 1 Sep two years before the academic year to its last day.
EARLIEST, LATEST = dt.date(2021, 9, 1), dt.date(2024, 8, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)
# School census SEN provision codes (DfE) → the definition's words.
CENSUS_SEN = {"N": "none", "K": "SEN support", "E": "EHC plan"}
YEAR_GROUPS = ["R", *map(str, range(1, 14))]
FILLED = 12  # children (or teachers) typed into each template
# One impossible value per initiative: (column, value); typed into Excel row BAD_ROW.
BAD_ROW = 5
IMPOSSIBLE = {
    "ebsa": ("attendance_after", 187),
    "elsa": ("sdq_emotional_pre", 14),
    "nurture": ("boxall_developmental_pre", 150),
    "nqt": ("conf_autism_pre", 7),
    "transition": ("worry_bullying_before", "terrified"),
}


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("templates")
    return {key: write_template(key, folder, school=SCHOOL, term=TERM) for key in KEYS}


# --------------------------------------------------------------------------- helpers


def _serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def _validation_for(ws, letter: str):
    """The one DataValidation covering the column's data cells (rows 2 to 501)."""
    found = [
        dv
        for dv in ws.data_validations.dataValidation
        if f"{letter}2" in dv.sqref and f"{letter}{ROWS + 1}" in dv.sqref
    ]
    assert len(found) == 1, f"column {letter}: {len(found)} validations cover its data cells"
    return found[0]


def _list_values(wb, formula: str) -> list[object]:
    """The cells a list validation's ``Lists!$A$2:$A$3`` points at."""
    sheet, ref = formula.lstrip("=").split("!")
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    ws = wb[sheet.strip("'")]
    return [
        ws.cell(row=r, column=c).value
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def _accepts(wb, dv, value: object) -> bool:
    """Would Excel let a school enter ``value`` into a cell with validation ``dv``?"""
    if value is None or dv.type is None:
        return True
    if dv.type == "list":
        return str(value) in [str(v) for v in _list_values(wb, dv.formula1)]
    if dv.type == "textLength":
        return isinstance(value, str) and len(value) == int(dv.formula1)
    if dv.type == "date":
        if not isinstance(value, dt.date):
            return False
        number = _serial(value)
    elif dv.type == "whole":
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        number = value
    elif dv.type == "decimal":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        number = value
    else:  # pragma: no cover - a type this helper does not know
        raise AssertionError(f"unexpected validation type {dv.type}")
    low = float(dv.formula1)
    match dv.operator:
        case "between" | None:
            return low <= number <= float(dv.formula2)
        case "greaterThanOrEqual":
            return number >= low
        case "lessThanOrEqual":
            return number <= low
    raise AssertionError(f"unexpected operator {dv.operator}")  # pragma: no cover


def _upn(serial: int) -> str:
    """A valid UPN: Bristol (LA 801), establishment 2000, issued 2023."""
    body = f"8012000230{serial:02d}"
    return stdnum_upn.calc_check_digit(body) + body


def _row_values(initiative, wb, ws, i: int) -> dict[str, object]:
    """Row ``i`` as a school would type it: dropdown words, real dates, plain numbers."""
    row: dict[str, object] = {}
    day = dt.date(2023, 9, 4) + dt.timedelta(days=i)
    for k, col in enumerate(initiative.columns):
        letter = get_column_letter(k + 1)
        dv = _validation_for(ws, letter)
        match col.kind:
            case "upn":
                row[col.name] = _upn(i) if i % 3 else None
            case "ref":
                has_upn = "upn" in initiative.names and i % 3
                row[col.name] = None if has_upn and i % 3 == 1 else f"R-{i:03d}"
            case "text":
                row[col.name] = SCHOOL if col.name == "school" else col.example or "some text"
            case "category" | "sex" | "yes_no" | "year_group" | "sen_status":
                choices = _list_values(wb, dv.formula1)
                row[col.name] = choices[(i + k) % len(choices)]
            case "date":
                row[col.name] = day
                day += dt.timedelta(days=21)  # later columns get later dates (order rules)
            case "integer" | "likert":
                low, high = int(col.minimum), int(col.maximum)
                row[col.name] = low + (i + k) % (min(high - low, 6) + 1)
            case "ordinal":
                choices = _list_values(wb, dv.formula1)
                row[col.name] = choices[(i + k) % len(choices)]
            case "multi":
                row[col.name] = "; ".join(col.allowed[(i + k) % 3 : (i + k) % 3 + 1 + i % 2])
            case "number":
                low = col.minimum or 0
                span = int(col.maximum - low) if col.maximum is not None else 30
                row[col.name] = low + (i * 7 + k) % span + 0.5
            case "percent":
                row[col.name] = 40 + (i * 3 + k) % 60
    for rule in initiative.rules:
        first, second = row[rule.first], row[rule.second]
        if rule.kind == "not_more" and first is not None and first > second:
            row[rule.first], row[rule.second] = second, first
    for possible, attended, percent in initiative.session_sets:
        if i % 2:  # odd rows give percentages, even rows give sessions
            row[possible] = row[attended] = None
        else:
            row[percent] = None
    if i % 4 == 3:  # not yet followed up: post scores blank
        for pair in initiative.pairs:
            if pair.name.startswith(("possible_", "attended_")):
                continue
            if pair.after.endswith("_post") or initiative.column(pair.after).kind == "ordinal":
                row[pair.after] = None
    return row


def _fill(template: Path, out: Path, key: str, bad: bool = False) -> Path:
    """Type FILLED rows into the template's table (only values its validations accept)."""
    initiative = INITIATIVES[key]
    wb = load_workbook(template)
    ws = wb[RETURN_SHEET]
    for i in range(FILLED):
        values = _row_values(initiative, wb, ws, i)
        for k, col in enumerate(initiative.columns, start=1):
            value = values[col.name]
            dv = _validation_for(ws, get_column_letter(k))
            assert _accepts(wb, dv, value), f"{col.name}: the template rejects {value!r}"
            ws.cell(row=i + 2, column=k, value=value)
    if bad:
        name, value = IMPOSSIBLE[key]
        ws.cell(row=BAD_ROW, column=initiative.names.index(name) + 1, value=value)
    wb.save(out)
    return out


# --------------------------------------------------------------------------- (a) structure


@pytest.mark.parametrize("key", KEYS)
def test_sheets_lists_and_protection(templates, key):
    wb = load_workbook(templates[key])
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, RETURN_SHEET, LISTS_SHEET]
    assert wb.active.title == INSTRUCTIONS_SHEET
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    assert lists.protection.sheet
    assert wb.security.lockStructure  # so the Lists sheet cannot be unhidden or renamed
    ws = wb[RETURN_SHEET]
    assert ws.protection.sheet
    assert ws.protection.password is None  # documented: protected without a password
    assert not ws.protection.formatColumns  # widths may still be changed


@pytest.mark.parametrize("key", KEYS)
def test_return_sheet_header_table_and_locking(templates, key):
    initiative = INITIATIVES[key]
    wb = load_workbook(templates[key])
    ws = wb[RETURN_SHEET]
    last = get_column_letter(len(initiative.columns))
    headers = [c.value for c in ws[1]][: len(initiative.columns)]
    assert headers == [c.header for c in initiative.columns]  # plain English
    assert ws.cell(row=1, column=len(initiative.columns) + 1).value is None
    table = ws.tables[f"{key}_return"]
    assert table.ref == f"A1:{last}{ROWS + 1}"  # exactly the header and the data rows
    assert ws.freeze_panes.endswith("2")  # header row frozen (and the identifier columns)
    leading_ids = initiative.names.index(next(n for n in initiative.names if n not in
                                              initiative.identifiers))  # fmt: skip
    assert ws.freeze_panes == f"{get_column_letter(leading_ids + 1)}2"
    for k, col in enumerate(initiative.columns, start=1):
        header = ws.cell(row=1, column=k)
        assert header.protection.locked
        assert col.label in header.comment.text
        assert 12 <= ws.column_dimensions[get_column_letter(k)].width <= 45
        for row in (2, ROWS + 1):
            assert not ws.cell(row=row, column=k).protection.locked
        assert ws.cell(row=ROWS + 2, column=k).protection.locked  # outside the table


@pytest.mark.parametrize("key", KEYS)
def test_no_name_column(templates, key):
    ws = load_workbook(templates[key])[RETURN_SHEET]
    headers = {normalise_header(c.value) for c in ws[1] if c.value}
    assert not headers & set(DROPPED_HEADERS)


@pytest.mark.parametrize("key", KEYS)
def test_validations_match_the_definition(templates, key):
    initiative = INITIATIVES[key]
    wb = load_workbook(templates[key])
    ws = wb[RETURN_SHEET]
    for k, col in enumerate(initiative.columns, start=1):
        letter = get_column_letter(k)
        dv = _validation_for(ws, letter)
        cell = ws[f"{letter}2"]
        assert dv.prompt and dv.promptTitle, col.name
        assert len(dv.promptTitle) <= TITLE_LIMIT and len(dv.prompt) <= MESSAGE_LIMIT
        if col.kind in ("text", "ref", "multi"):
            assert dv.type is None, col.name  # free text: an input message only
            if col.kind == "multi":
                assert all(value in dv.prompt for value in col.allowed[:3]), col.name
            continue
        assert dv.showErrorMessage and dv.errorStyle == "stop", col.name
        assert dv.error and dv.errorTitle, col.name
        assert len(dv.errorTitle) <= TITLE_LIMIT and len(dv.error) <= MESSAGE_LIMIT
        assert dv.allow_blank
        match col.kind:
            case "category" | "sex":
                assert dv.type == "list"
                assert _list_values(wb, dv.formula1) == list(col.allowed)
            case "yes_no":
                assert _list_values(wb, dv.formula1) == ["yes", "no"]
            case "ordinal":
                assert dv.type == "list"
                assert _list_values(wb, dv.formula1) == list(col.levels)
            case "year_group":
                low, high = col.minimum, col.maximum  # a narrower range narrows the list
                wanted = [y for y in YEAR_GROUPS if low <= (0 if y == "R" else int(y)) <= high]
                assert _list_values(wb, dv.formula1) == wanted
            case "sen_status":
                codes = _list_values(wb, dv.formula1)
                assert [CENSUS_SEN[c] for c in codes] == list(col.allowed)
            case "integer" | "likert":
                assert (dv.type, dv.operator) == ("whole", "between")
                assert float(dv.formula1) == col.minimum and float(dv.formula2) == col.maximum
            case "number" | "percent":
                assert dv.type == "decimal"
                assert float(dv.formula1) == col.minimum
                if col.maximum is None:
                    assert dv.operator == "greaterThanOrEqual" and dv.formula2 is None
                else:
                    assert dv.operator == "between" and float(dv.formula2) == col.maximum
            case "date":
                assert (dv.type, dv.operator) == ("date", "between")
                assert int(dv.formula1) == _serial(EARLIEST)
                assert int(dv.formula2) == _serial(LATEST)
                assert cell.number_format == "dd/mm/yyyy"
            case "upn":
                assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "13")
            case _:
                pytest.fail(f"{col.name}: kind {col.kind!r} has no expected validation")
        if dv.type == "list":
            assert not dv.showDropDown  # True would *hide* the arrow
            assert dv.formula1.startswith(f"{LISTS_SHEET}!")
        if col.kind == "percent":
            assert "%" not in cell.number_format  # 87 must not show as 8700%
            assert "from 0 to 100, e.g. 87" in dv.error


def test_every_kind_with_a_range_or_set_gets_a_rule():
    window = term_window(TERM)
    for initiative in INITIATIVES.values():
        for col in initiative.columns:
            spec = column_spec(col, window)
            if col.kind not in ("text", "ref", "multi"):  # multi: one or more, typed
                assert spec.validation is not None, (initiative.key, col.name)


def test_every_choice_and_example_is_read_by_ingestion():
    """Each dropdown word and each example the template shows parses as ingestion reads it."""
    window = term_window(TERM)
    for initiative in INITIATIVES.values():
        for col in initiative.columns:
            spec = column_spec(col, window, SCHOOL, initiative.identifiers)
            parse = parser_for(col)
            for choice in spec.choices:
                parse(choice)  # raises CellError if ingestion would not read it
            if spec.choices and col.kind == "multi":
                assert parse(spec.example), (col.name, spec.example)
            elif spec.choices:
                assert spec.example in spec.choices, (col.name, spec.example)
            # the UPN example (A123456789012) is not a real UPN, and should not be one
            if spec.example and col.kind != "upn":
                parse(spec.example)


def test_examples_follow_the_dropdowns():
    window = term_window(TERM)
    ebsa = INITIATIVES["ebsa"]
    examples = {c.name: column_spec(c, window).example for c in ebsa.columns}
    assert examples["year_group"] == "6"  # the definition says "Y6"; the list offers "6"
    assert examples["sex"] == "female"  # the definition says "F"
    assert examples["sen_status"] == "K"
    assert examples["referral_date"] == "11/01/2024"  # inside the term, not 2023's example


def test_percent_error_is_plain_english():
    col = INITIATIVES["ebsa"].column("attendance_before")
    spec = column_spec(col, term_window(TERM))
    assert spec.error.startswith("Attendance % in the window before support must be a "
                                 "percentage from 0 to 100, e.g. 87")  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
def test_instructions_cover_every_column_and_names(templates, key):
    initiative = INITIATIVES[key]
    ws = load_workbook(templates[key])[INSTRUCTIONS_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert SCHOOL in text and "spring term 2023-24" in text
    assert "31 March 2024" in text  # the deadline, from the term name
    assert "names" in text.lower() and "deleted when we receive it" in text
    column_a = [row[0].value for row in ws.iter_rows()]
    for col in initiative.columns:
        assert col.header in column_a
        assert col.label in text and col.name in text  # the canonical name, for analysts


def test_term_windows():
    autumn, spring, summer = (term_window(f"2023-24-{s}") for s in ("autumn", "spring", "summer"))
    assert (autumn.first_day, autumn.last_day) == (dt.date(2023, 9, 1), dt.date(2023, 12, 31))
    assert (spring.first_day, spring.last_day) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert (summer.first_day, summer.last_day) == (dt.date(2024, 4, 1), dt.date(2024, 8, 31))
    assert {(w.earliest, w.latest) for w in (autumn, spring, summer)} == {(EARLIEST, LATEST)}
    assert term_window(None).term is None
    with pytest.raises(ConfigError, match="2023-24-spring"):
        term_window("spring 2024")


def test_file_names_and_unknown_initiative(tmp_path):
    assert template_filename("ebsa") == "ebsa_return.xlsx"
    assert (
        template_filename("ebsa", "St. Mary's C of E Primary", TERM)
        == "ebsa_return_st-mary-s-c-of-e-primary_2023-24-spring.xlsx"
    )
    out = write_template("nqt", tmp_path / "sub" / "mine.xlsx")
    assert out == tmp_path / "sub" / "mine.xlsx" and out.is_file()
    wb = load_workbook(out)
    assert wb.properties.title == "Early-career teacher SEND programme: termly return"
    small = load_workbook(write_template("ebsa", tmp_path / "small.xlsx", rows=20))
    assert small[RETURN_SHEET].tables["ebsa_return"].ref.endswith("21")
    with pytest.raises(ConfigError, match="unknown initiative"):
        write_template("nope", tmp_path / "x.xlsx")


def test_without_a_term_any_real_date_is_accepted(tmp_path):
    wb = load_workbook(write_template("elsa", tmp_path / "elsa.xlsx"))
    ws = wb[RETURN_SHEET]
    letter = get_column_letter(INITIATIVES["elsa"].names.index("support_start") + 1)
    dv = _validation_for(ws, letter)
    assert int(dv.formula1) == _serial(dt.date(2000, 1, 1))
    assert int(dv.formula2) == _serial(dt.date(2099, 12, 31))


# --------------------------------------------------------------------------- (b) round trip


def _test_key() -> Key:
    return Key(b"template round-trip test key, not secret", "tests")


@pytest.mark.parametrize("key", KEYS)
def test_round_trip_every_row_kept(templates, tmp_path, key):
    filled = _fill(templates[key], tmp_path / f"{key}_filled.xlsx", key)
    result = ingest.ingest_file(filled, INITIATIVES[key], _test_key())
    assert result.error is None
    assert result.sheet == RETURN_SHEET and result.header_row == 1
    assert result.quarantine.empty, result.quarantine.to_string()
    assert (result.rows_read, result.rows_kept, result.rows_quarantined) == (FILLED, FILLED, 0)
    assert set(result.header_mapping.values()) == set(INITIATIVES[key].names)
    assert result.kept["school"].eq(SCHOOL).all()
    messages, code = ingest.validate_file(filled, key)
    assert code == 0, messages
    assert messages[-1].startswith("ready to send")


@pytest.mark.parametrize("key", KEYS)
def test_round_trip_values_arrive_as_typed(templates, tmp_path, key):
    filled = _fill(templates[key], tmp_path / f"{key}_filled.xlsx", key)
    kept = ingest.ingest_file(filled, INITIATIVES[key], _test_key()).kept
    wb = load_workbook(templates[key])
    first = _row_values(INITIATIVES[key], wb, wb[RETURN_SHEET], 0)
    row = kept.iloc[0]
    for col in INITIATIVES[key].columns:
        typed = first[col.name]
        if col.identifying or typed is None:
            continue
        got = row[col.name]
        match col.kind:
            case "date":
                assert got.date() == typed, col.name
            case "year_group":
                assert got == (0 if typed == "R" else int(typed)), col.name
            case "sen_status":
                assert got == CENSUS_SEN[typed], col.name
            case "yes_no":
                assert got == (typed == "yes"), col.name
            case "ordinal":
                assert got == col.level_scores()[typed], col.name
            case _:
                assert got == typed, col.name


@pytest.mark.parametrize("key", KEYS)
def test_one_impossible_value_is_named(templates, tmp_path, key):
    bad = _fill(templates[key], tmp_path / f"{key}_bad.xlsx", key, bad=True)
    column, value = IMPOSSIBLE[key]
    messages, code = ingest.validate_file(bad, key)
    assert code == 1
    problems = [m for m in messages if f"row {BAD_ROW}," in m]
    assert len(problems) == 1, messages
    header = INITIATIVES[key].column(column).header
    assert f"column '{header}'" in problems[0] and f"'{value}'" in problems[0]
    assert messages[-1] == f"1 of {FILLED} rows need attention"
    result = ingest.ingest_file(bad, INITIATIVES[key], _test_key())
    assert (result.rows_kept, result.rows_quarantined) == (FILLED - 1, 1)


def test_validate_leaves_the_file_untouched(templates, tmp_path):
    filled = _fill(templates["ebsa"], tmp_path / "ebsa_filled.xlsx", "ebsa")
    os.utime(filled, (1_600_000_000, 1_600_000_000))
    before = hashlib.sha256(filled.read_bytes()).hexdigest(), filled.stat().st_mtime_ns
    ingest.validate_file(filled, "ebsa")
    ingest.ingest_file(filled, INITIATIVES["ebsa"], _test_key())
    assert (hashlib.sha256(filled.read_bytes()).hexdigest(), filled.stat().st_mtime_ns) == before


def _cli() -> Path:
    path = Path(sys.executable).with_name("dspl-eval")
    if not path.is_file():
        pytest.skip("the dspl-eval command is not installed in this environment")
    return path


def test_cli_template_then_validate(tmp_path):
    cli = _cli()
    made = subprocess.run(
        [cli, "template", "nqt", "--out", tmp_path, "--school", SCHOOL, "--term", TERM],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    template = tmp_path / "nqt_return_oakfield-primary_2023-24-spring.xlsx"
    assert template.is_file()
    good = _fill(template, tmp_path / "good.xlsx", "nqt")
    ok = subprocess.run(
        [cli, "validate", good, "--initiative", "nqt"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1].startswith("ready to send")
    bad = _fill(template, tmp_path / "bad.xlsx", "nqt", bad=True)
    failed = subprocess.run(
        [cli, "validate", bad, "--initiative", "nqt"], capture_output=True, text=True
    )
    assert failed.returncode == 1
    header = INITIATIVES["nqt"].column("conf_autism_pre").header
    assert f"row {BAD_ROW}, column '{header}': '7'" in failed.stdout
    assert failed.stdout.strip().splitlines()[-1] == f"1 of {FILLED} rows need attention"


# --------------------------------------------------------------------------- issue 14.5


@pytest.mark.parametrize("key", KEYS)
def test_plain_english_headers_map_back_to_canonical_names(templates, tmp_path, key):
    """Write the template, fill rows with openpyxl, ingest: canonical columns, values kept."""
    initiative = INITIATIVES[key]
    ws = load_workbook(templates[key])[RETURN_SHEET]
    headers = [c.value for c in ws[1]][: len(initiative.columns)]
    assert all(h != c.name for h, c in zip(headers, initiative.columns, strict=True)
               if "_" in c.name)  # fmt: skip
    assert not any("_" in h for h in headers)
    filled = _fill(templates[key], tmp_path / f"{key}_filled.xlsx", key)
    result = ingest.ingest_file(filled, initiative, _test_key())
    assert result.header_mapping == {c.header: c.name for c in initiative.columns}
    kept = [c for c in initiative.columns if not c.identifying]
    assert [c.name for c in kept] == [n for n in result.kept.columns if n in initiative.names]
    wb = load_workbook(filled)
    first = _row_values(initiative, wb, wb[RETURN_SHEET], 0)
    numbers = [c for c in kept if c.kind in ("integer", "number", "percent", "likert")]
    for col in numbers:
        if first[col.name] is not None:
            assert result.kept.iloc[0][col.name] == first[col.name], col.name


@pytest.mark.parametrize("key", KEYS)
def test_school_is_prefilled_and_validation_still_covers_it(tmp_path, key):
    initiative = INITIATIVES[key]
    path = write_template(key, tmp_path / "t.xlsx", school="  Oakfield   Primary ", rows=20)
    wb = load_workbook(path)
    ws = wb[RETURN_SHEET]
    k = initiative.names.index("school") + 1
    assert [ws.cell(row=r, column=k).value for r in range(2, 22)] == [SCHOOL] * 20
    assert ws.cell(row=22, column=k).value is None  # only the table's rows
    assert not ws.cell(row=2, column=k).protection.locked  # a trust can change it
    letter = get_column_letter(k)
    assert any(f"{letter}2" in dv.sqref for dv in ws.data_validations.dataValidation)
    assert len(ws.data_validations.dataValidation) == len(initiative.columns)
    # an untouched pre-filled template is an empty return, not 20 rows without a child
    result = ingest.ingest_file(path, initiative, _test_key())
    assert result.error is None and result.rows_read == 0


def test_prefilled_school_kept_on_filled_rows(tmp_path):
    path = write_template("ebsa", tmp_path / "t.xlsx", school=SCHOOL, term=TERM)
    filled = _fill(path, tmp_path / "filled.xlsx", "ebsa")
    result = ingest.ingest_file(filled, INITIATIVES["ebsa"], _test_key())
    assert (result.rows_read, result.rows_kept) == (FILLED, FILLED)


@pytest.mark.parametrize("name", ["x.csv", "return", "x.xls", "x.xlsx.bak"])
def test_out_must_end_in_xlsx(tmp_path, name):
    with pytest.raises(ConfigError, match=r"must end in \.xlsx"):
        write_template("ebsa", tmp_path / name)
    assert not (tmp_path / name).exists()
    assert write_template("ebsa", tmp_path / "UPPER.XLSX", rows=5).is_file()


def test_cli_out_not_xlsx_is_one_clear_line(tmp_path):
    cli = _cli()
    made = subprocess.run(
        [cli, "template", "ebsa", "--out", tmp_path / "x.csv"], capture_output=True, text=True
    )
    assert made.returncode in (1, 2)
    assert "must end in .xlsx" in made.stderr and "Traceback" not in made.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("key", KEYS)
def test_validate_says_an_empty_return_is_empty(tmp_path, key):
    path = write_template(key, tmp_path / "empty.xlsx", school=SCHOOL, rows=10)
    messages, code = ingest.validate_file(path, key)
    assert code == 1
    assert "this return has no rows" in messages[0]
    assert messages[-1] == "not ready to send: the return is empty"


@pytest.mark.parametrize(("written", "asked"), [("ebsa", "elsa"), ("elsa", "ebsa"),
                         ("nurture", "ebsa"), ("nqt", "elsa"), ("ebsa", "nqt")])  # fmt: skip
def test_validate_spots_a_return_for_another_initiative(templates, tmp_path, written, asked):
    filled = _fill(templates[written], tmp_path / "filled.xlsx", written)
    messages, code = ingest.validate_file(filled, asked)
    assert code == 1
    short = {"ebsa": "an EBSA", "elsa": "an ELSA", "nurture": "a nurture groups",
             "nqt": "an early-career teacher SEND programme"}  # fmt: skip
    assert f"this looks like {short[written]} return" in messages[0], messages
    assert f"--initiative {written}" in messages[0]
    ok, code = ingest.validate_file(filled, written)
    assert code == 0 and not any("looks like" in m for m in ok)


def test_instructions_say_suspensions_after_count_only_up_to_follow_up(tmp_path):
    """Issue 11: schools must know that ``suspensions_after`` counts only up to the
    follow-up date (rates use the time actually observed)."""
    import openpyxl

    from dspl_eval.template import write_template

    path = write_template("elsa", tmp_path / "elsa.xlsx")
    sheet = openpyxl.load_workbook(path)["Instructions"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "up to the follow-up date" in text
    assert "never beyond the window" in text
