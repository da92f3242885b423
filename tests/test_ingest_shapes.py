"""Issue 12 (items 1-3): every cell read from what Excel shows, or refused by name.

Each test writes a return the way a school makes it — openpyxl with number formats,
merged cells and two-row headers; CSVs with decimal commas and SIMS datetimes — and checks
the kept values exactly (85.3, not 0.853 or 853), the reasons of what was refused, and
that read = kept + quarantined. Row numbers are as Excel shows them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dspl_eval.clean import parse_column
from dspl_eval.identity import Key
from dspl_eval.ingest import ingest_file, ingest_term, validate_file
from dspl_eval.initiatives import get
from dspl_eval.initiatives.elsa import SDQ_ITEM_WORDING


def _load_returns():
    path = Path(__file__).resolve().parent / "fixtures" / "returns.py"
    spec = importlib.util.spec_from_file_location("dspl_eval_test_returns_shapes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_returns()
KEY = Key(b"a test key that is long enough, not secret", "the test key")
EBSA, ELSA, NURTURE = get("ebsa"), get("elsa"), get("nurture")
U = R.UPNS


def _counts_add_up(result) -> None:
    assert result.error is None, result.error
    assert result.rows_read == result.rows_kept + result.rows_quarantined


def _reasons(result) -> dict[tuple[int, str], str]:
    return {(int(r.row), r.column): r.reason for r in result.quarantine.itertuples()}


def _kept(result, column: str) -> list[object]:
    return [None if pd.isna(v) else v for v in result.kept[column]]


# ----------------------------------------------------------------------------- number formats


def _percent_formatted_ebsa(path: Path) -> Path:
    """Attendance typed as 85.3% in Excel: the cell holds 0.853, formatted ``0.0%``."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet.append(
        ["UPN", "School", "Year", "Referral date", "Attendance before", "Attendance after"]
    )
    rows = [
        (U[0], 0.853, 0.9),  # 85.3% and 90%
        (U[1], 0.6, 1),  # 60% and 100%
        (U[2], 85.3, 0.95),  # shows 8530%: out of range, refused
        (U[3], 0, None),  # 0% and not yet followed up
    ]
    for upn, before, after in rows:
        sheet.append([upn, "Oakfield Primary", "Y6", "12/09/2023", before, after])
    for row in range(2, 2 + len(rows)):
        sheet.cell(row, 5).number_format = "0.0%"
        sheet.cell(row, 6).number_format = "0%"
    book.save(path)
    return path


def test_percentage_formatted_cells_are_read_as_excel_shows_them(tmp_path):
    result = ingest_file(_percent_formatted_ebsa(tmp_path / "pct.xlsx"), EBSA, KEY)
    _counts_add_up(result)
    assert result.rows_read == 4 and result.rows_kept == 3
    assert _kept(result, "attendance_before") == [85.3, 60.0, 0.0]
    assert _kept(result, "attendance_after") == [90.0, 100.0, None]
    assert _reasons(result) == {(4, "attendance_before"): "out of range: expected from 0 to 100%"}
    assert result.quarantine.loc[0, "value"] == "8530%"  # what the school sees


def test_percent_format_is_read_only_where_the_file_has_one(tmp_path):
    """Without a format, 0.853 among whole percentages stays ambiguous, as before."""
    path = _percent_formatted_ebsa(tmp_path / "pct.xlsx")
    book = openpyxl.load_workbook(path)
    for row in range(2, 6):
        book.active.cell(row, 5).number_format = "General"
    book.active.cell(4, 5).value = 70  # no 8530% any more
    book.save(path)
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert _reasons(result)[(2, "attendance_before")].startswith("expected a percentage: 0.853")
    assert _kept(result, "attendance_before") == [70.0, 0.0]


# ----------------------------------------------------------------------------- decimal commas


def _nurture_csv(path: Path, rows: list[list[str]]) -> Path:
    header = ["UPN", "School", "Year", "Date joined", "Sessions per week", "Attendance before"]
    return R.write_csv(path, [header, *rows], delimiter=";")


def test_decimal_commas_are_read_in_a_column_that_uses_them(tmp_path):
    path = _nurture_csv(
        tmp_path / "komma.csv",
        [
            [U[0], "Hillside", "3", "11/09/2023", "0,5", "85,3"],
            [U[1], "Hillside", "4", "11/09/2023", "2,5", "85,3%"],
            [U[2], "Hillside", "5", "11/09/2023", "5", "90"],
            [U[3], "Hillside", "5", "11/09/2023", "1,5", "100,0"],
        ],
    )
    result = ingest_file(path, NURTURE, KEY)
    _counts_add_up(result)
    assert result.rows_kept == 4
    assert _kept(result, "sessions_per_week") == [0.5, 2.5, 5.0, 1.5]  # not 5.0, 25.0, 15.0
    assert _kept(result, "attendance_before") == [85.3, 85.3, 90.0, 100.0]  # not 853


def test_a_comma_that_could_be_either_is_refused_with_the_reason(tmp_path):
    """1,250 with no decimal comma or point anywhere in the file: 1250 or 1.25? Refused."""
    path = _nurture_csv(
        tmp_path / "either.csv",
        [
            [U[0], "Hillside", "3", "11/09/2023", "1,250", "85"],
            [U[1], "Hillside", "4", "11/09/2023", "2", "70"],
        ],
    )
    result = ingest_file(path, NURTURE, KEY)
    _counts_add_up(result)
    reason = _reasons(result)[(2, "sessions_per_week")]
    assert "1,250 is ambiguous (1250 or 1.25?)" in reason  # the value seen
    assert _kept(result, "sessions_per_week") == [2.0]


def test_the_file_decides_a_column_that_shows_no_separator_itself(tmp_path):
    """'0,5' sessions a week says this file uses decimal commas, so '1,500' means 1.5."""
    path = _nurture_csv(
        tmp_path / "file.csv",
        [
            [U[0], "Hillside", "3", "11/09/2023", "0,5", "66,667"],
            [U[1], "Hillside", "4", "11/09/2023", "1", "85,3"],
        ],
    )
    result = ingest_file(path, NURTURE, KEY)
    _counts_add_up(result)
    assert _kept(result, "attendance_before") == [66.667, 85.3]


def test_decimal_separator_per_column_in_clean():
    column = NURTURE.column("sessions_per_week")
    raw = pd.Series(["0,5", "1,250", "1.5", "2"])
    assert parse_column(raw, column, ",").values.tolist() == [0.5, 1.25, 1.5, 2.0]
    with_points = parse_column(raw, column, ".")
    assert with_points.values.tolist()[1:] == [1250.0, 1.5, 2.0]
    undecided = parse_column(raw, column, None)
    assert pd.isna(undecided.values[1]) and "ambiguous" in undecided.errors[1]
    assert undecided.values[0] == 0.5  # 0,5 can only be a half


# ----------------------------------------------------------------------------- Excel errors


def test_excel_error_cells_are_quarantined_naming_column_and_error(tmp_path):
    path = tmp_path / "errors.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["UPN", "School", "Year", "Referral date", "Attendance before", "Attendance after"]
    )
    sheet.append([U[0], "Oakfield Primary", "Y6", "12/09/2023", "58%", "#DIV/0!"])
    sheet.append([U[1], "#REF!", "Y6", "12/09/2023", "61%", "80%"])
    sheet.append([U[2], "Oakfield Primary", "#N/A", "12/09/2023", "#VALUE!", "75%"])
    sheet.append([U[3], "Oakfield Primary", "Y5", "12/09/2023", "70%", "72%"])
    book.save(path)
    assert book.active["F2"].data_type == "e"  # stored as Excel stores an error, not as text
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert result.rows_read == 4 and result.rows_kept == 1
    reasons = _reasons(result)
    assert reasons[(2, "attendance_after")].startswith("Excel error #DIV/0! in this cell")
    assert reasons[(3, "school")].startswith("Excel error #REF!")
    assert reasons[(4, "year_group")].startswith("Excel error #N/A")
    assert reasons[(4, "attendance_before")].startswith("Excel error #VALUE!")
    assert _kept(result, "attendance_before") == [70.0]
    assert _kept(result, "attendance_after") == [72.0]
    lines, code = validate_file(path, "ebsa")
    assert code == 1
    assert "errors.xlsx, sheet 'Sheet', row 2, column 'Attendance after': '#DIV/0!'" in lines[0]


def _with_formulas(path: Path, cached: dict[str, str]) -> Path:
    """Rewrite error cells as Excel saves a failed formula: ``<f>`` then the cached ``<v>``."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, formula in cached.items():
        xml, found = re.subn(
            rf'<c r="{ref}"( s="\d+")? t="e"><v>([^<]*)</v></c>',
            rf'<c r="{ref}"\1 t="e"><f>{formula}</f><v>\2</v></c>',
            xml,
        )
        assert found == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_failed_formulas_saved_by_excel_are_quarantined_with_their_error(tmp_path):
    path = tmp_path / "formulas.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["UPN", "School", "Year", "Referral date", "Attendance % (before)", "Att after"])
    sheet.append([U[0], "Oakfield Primary", "Y6", "12/09/2023", "#DIV/0!", 0.9])
    sheet.append([U[1], "Oakfield Primary", "Y6", "12/09/2023", 0.8, 0.85])
    sheet.append([U[2], "Oakfield Primary", "Y6", "12/09/2023", "#N/A", 0.7])
    for row in (2, 3, 4):
        sheet.cell(row, 5).number_format = "0%"
        sheet.cell(row, 6).number_format = "0%"
    book.save(path)
    _with_formulas(path, {"E2": "F9/E9", "E4": "VLOOKUP(A4,Lists!A:B,2,FALSE)"})
    assert openpyxl.load_workbook(path).active["E2"].value == "=F9/E9"  # a formula now
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    reasons = _reasons(result)
    assert set(reasons) == {(2, "attendance_before"), (4, "attendance_before")}
    assert reasons[(2, "attendance_before")].startswith("Excel error #DIV/0!")
    assert reasons[(4, "attendance_before")].startswith("Excel error #N/A")
    assert _kept(result, "attendance_before") == [80.0]
    assert _kept(result, "attendance_after") == [85.0]


def test_excel_errors_written_into_a_csv_are_quarantined_too(tmp_path):
    path = R.write_csv(
        tmp_path / "export.csv",
        [
            ["UPN", "School", "Year", "Referral date", "Attendance before", "Attendance after"],
            [U[0], "Oakfield Primary", "6", "12/09/2023", "#NUM!", "80%"],
            [U[1], "Oakfield Primary", "6", "12/09/2023", "60%", "#NAME?"],
            [U[2], "Oakfield Primary", "6", "12/09/2023", "50%", "#NULL!"],
            [U[3], "Oakfield Primary", "6", "12/09/2023", "40%", "45%"],
        ],
    )
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert set(_reasons(result)) == {
        (2, "attendance_before"),
        (3, "attendance_after"),
        (4, "attendance_after"),
    }
    assert all(r.startswith("Excel error #") for r in _reasons(result).values())
    assert _kept(result, "attendance_before") == [40.0]


# ----------------------------------------------------------------------------- SIMS datetimes


def test_sims_midnight_datetimes_are_dates_and_other_times_are_refused(tmp_path):
    path = R.write_csv(
        tmp_path / "sims.csv",
        [
            ["UPN", "School", "Year", "Referral date", "Start date", "Attendance before"],
            [U[0], "Oakfield Primary", "6", "06/09/2023 00:00", "06/09/2032 00:00", "60%"],
            [U[1], "Oakfield Primary", "6", "2023-09-07 00:00:00", "08/09/2023 00:00:00", "70%"],
            [U[2], "Oakfield Primary", "6", "06/09/2023 14:30", "08/09/2023", "80%"],
        ],
    )
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert [d.date().isoformat() for d in result.kept["referral_date"]] == [
        "2023-09-06",
        "2023-09-07",
    ]
    assert [d.date().isoformat() for d in result.kept["support_start"]] == [
        "2032-09-06",
        "2023-09-08",
    ]
    reason = _reasons(result)[(4, "referral_date")]
    assert "without a time of day" in reason and "14:30" in reason


# ----------------------------------------------------------------------------- headers


def _two_row_header_workbook(path: Path) -> Path:
    """Identity headings merged down two rows; "Before support" merged over
    "Possible | Attended" and "After support" over the same."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "EBSA"
    sheet.append(
        ["UPN", "School", "Year", "Referral date", "Before support", None, "After support"]
    )
    sheet.append([None, None, None, None, "Possible", "Attended", "Possible", "Attended"])
    for column in "ABCD":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("E1:F1")
    sheet.merge_cells("G1:H1")
    sheet.append([U[0], "Oakfield Primary", "Y6", "12/09/2023", 100, 60, 50, 45])
    sheet.append([U[1], "Oakfield Primary", "Y5", "12/09/2023", 120, 90, None, None])
    book.save(path)
    return path


def test_a_two_row_header_is_combined_and_mapped(tmp_path):
    result = ingest_file(_two_row_header_workbook(tmp_path / "two.xlsx"), EBSA, KEY)
    _counts_add_up(result)
    assert result.header_row == 2
    assert result.rows_read == 2 and result.rows_kept == 2  # the sub-header is not a child
    assert result.header_mapping["Before support / Possible"] == "possible_sessions_before"
    assert result.header_mapping["Before support / Attended"] == "attended_sessions_before"
    assert result.header_mapping["After support / Possible"] == "possible_sessions_after"
    assert result.header_mapping["After support / Attended"] == "attended_sessions_after"
    assert _kept(result, "attended_sessions_before") == [60, 90]
    assert _kept(result, "attendance_before") == [60.0, 75.0]
    assert _kept(result, "attendance_after") == [90.0, None]
    assert any("two-row header" in n for n in result.notes)


def test_a_two_row_header_in_a_csv_spreads_the_group_heading(tmp_path):
    path = R.write_csv(
        tmp_path / "two.csv",
        [
            ["", "", "", "", "Before support", "", "After support", ""],
            [
                "UPN",
                "School",
                "Year",
                "Referral date",
                "Possible",
                "Attended",
                "Possible",
                "Attended",
            ],
            [U[0], "Oakfield Primary", "6", "12/09/2023", "100", "60", "50", "45"],
        ],
    )
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert result.rows_read == 1
    assert _kept(result, "possible_sessions_after") == [50]
    assert _kept(result, "attendance_after") == [90.0]


def test_merged_body_cells_are_filled_down_and_noted(tmp_path):
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["UPN", "School", "Year", "Referral date", "Attendance before"])
    for i in range(10):
        sheet.append([U[i], "Riverside Academy" if i == 0 else None, "Y6", "12/09/2023", 50 + i])
    sheet.merge_cells("B2:B11")
    book.save(path)
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    assert result.rows_kept == 10
    assert _kept(result, "school") == ["Riverside Academy"] * 10
    assert _kept(result, "attendance_before") == [float(50 + i) for i in range(10)]
    assert result.merged_cells_filled == ["B2:B11"]
    assert "'School'" in result.notes[0] and "filled from their top cell B2" in result.notes[0]


def test_merged_school_gives_every_row_the_same_pupil_ids_as_typed_out(tmp_path):
    """Filled-down school names feed the pupil_ref hash exactly as typed-out ones would."""
    rows = [["Pupil ref", "School", "Year", "Referral date", "Attendance before"]]
    rows += [[f"EB-{i}", "Riverside Academy", "Y6", "12/09/2023", 50] for i in range(3)]
    typed = R.write_xlsx(tmp_path / "typed.xlsx", {"Sheet": rows})
    merged = R.write_xlsx(
        tmp_path / "merged.xlsx",
        {"Sheet": [rows[0], rows[1], *[[r[0], None, *r[2:]] for r in rows[2:]]]},
    )
    book = openpyxl.load_workbook(merged)
    book.active.merge_cells("B2:B4")
    book.save(merged)
    first, second = ingest_file(typed, EBSA, KEY), ingest_file(merged, EBSA, KEY)
    assert second.rows_kept == 3
    assert second.kept["pupil_id"].tolist() == first.kept["pupil_id"].tolist()


def _misspelt(path: Path, after: str) -> Path:
    return R.write_xlsx(
        path,
        {
            "Return": [
                ["UPN", "School", "Year", "Referral date", "Attendence % before", after, "Notes"],
                [U[0], "Oakfield Primary", "Y6", "12/09/2023", "60%", "80%", "fine"],
            ]
        },
    )


def test_unmapped_headers_are_listed_with_did_you_mean(tmp_path):
    path = _misspelt(tmp_path / "typo.xlsx", "Attendance after")
    result = ingest_file(path, EBSA, KEY)
    assert result.unmapped_columns == [
        {"header": "Attendence % before", "did_you_mean": "attendance_before"},
        {"header": "Notes", "did_you_mean": None},
    ]
    lines, code = validate_file(path, "ebsa")
    assert code == 0  # attendance after is there: the outcome can be reported
    assert (
        "note: typo.xlsx, sheet 'Return', row 1: column 'Attendence % before' is not used "
        "— did you mean 'attendance_before'?"
    ) in lines
    assert "note: typo.xlsx, sheet 'Return', row 1: column 'Notes' is not used" in lines


def test_a_return_with_no_column_for_an_outcome_is_not_ready(tmp_path):
    path = _misspelt(tmp_path / "typo.xlsx", "Attendence % after")
    lines, code = validate_file(path, "ebsa")
    assert code == 1
    assert any(
        line.startswith("typo.xlsx, sheet 'Return': no column for attendance")
        and "attendance_before, attendance_after, possible_sessions_before" in line
        for line in lines
    )
    assert lines[-1] == "not ready to send: the return has no columns for attendance"
    assert not any("ready to send:" in line and "no problems" in line for line in lines)


def test_unmapped_and_missing_outcomes_reach_validation_json(tmp_path):
    root = tmp_path / "data"
    folder = root / "raw" / R.TERM / "ebsa"
    folder.mkdir(parents=True)
    _misspelt(folder / "typo.xlsx", "Attendence % after")
    _two_row_header_workbook(folder / "two.xlsx")
    ingest_term(root, R.TERM, KEY)
    report = json.loads((root / "processed" / R.TERM / "validation.json").read_text("utf-8"))
    files = {f["file"]: f for f in report["files"]}
    typo = files["typo.xlsx"]
    assert typo["unmapped_columns"][0] == {
        "header": "Attendence % before",
        "did_you_mean": "attendance_before",
    }
    assert typo["missing_outcomes"][0]["outcome"] == "attendance"
    assert files["two.xlsx"]["header_mapping"]["Before support / Attended"] == (
        "attended_sessions_before"
    )
    for entry in report["files"]:
        assert entry["rows_read"] == entry["rows_kept"] + entry["rows_quarantined"]


# ----------------------------------------------------------------------------- SDQ items

ITEMS = list(SDQ_ITEM_WORDING)  # questionnaire order: item 1 consid … item 25 attends
WORDS = {0: "not true", 1: "somewhat true", 2: "certainly true"}


def _answers(default: int | None, **given: int | None) -> list[int | None]:
    return [given.get(item, default) for item in ITEMS]


def _elsa_items_workbook(path: Path) -> Path:
    """Pre answers as numbers under ``<item>_pre``; post answers as words under
    ``SDQ <n> post`` (the item's number on the form)."""
    header = ["UPN", "School", "Year", "Start date", "Suspensions before", "Suspensions after"]
    header += [f"{item}_pre" for item in ITEMS]
    header += [f"SDQ {n} post" for n in range(1, 26)]
    children = [
        (U[0], _answers(1), _answers(0)),
        (U[1], _answers(0), _answers(None)),
        # the scoring document's example: three emotional items, raw sum 4 → 6.67 → 7;
        # conduct with two answers is not scored
        (
            U[2],
            _answers(
                0,
                somatic=2,
                worries=1,
                unhappy=1,
                clingy=None,
                afraid=None,
                tantrum=1,
                obeys=None,
                fights=None,
                lies=None,
                steals=1,
            ),
            _answers(2),
        ),
        (U[3], _answers(0, worries=3), _answers(0)),  # 3 is no SDQ answer
    ]
    rows = [header]
    for upn, pre, post in children:
        rows.append(
            [upn, "Oakfield Primary", "Y4", "18/09/2023", 1, 0]
            + pre
            + [None if a is None else WORDS[a] for a in post]
        )
    return R.write_xlsx(path, {"ELSA": rows})


def test_sdq_item_answers_are_scored_into_the_scales(tmp_path):
    result = ingest_file(_elsa_items_workbook(tmp_path / "items.xlsx"), ELSA, KEY)
    _counts_add_up(result)
    assert result.rows_read == 4 and result.rows_kept == 3
    assert _reasons(result) == {
        (5, "sdq_worries_pre"): (
            "expected an SDQ answer: 0, 1, 2 or not true / somewhat true / certainly true"
        )
    }
    # all 1s: every scale 5 (reversed items 2 - 1 = 1); all 0s: reversed items give 2 each
    assert _kept(result, "sdq_emotional_pre") == [5, 0, 7]
    assert _kept(result, "sdq_conduct_pre") == [5, 2, None]
    assert _kept(result, "sdq_hyperactivity_pre") == [5, 4, 4]
    assert _kept(result, "sdq_peer_pre") == [5, 4, 4]
    assert _kept(result, "sdq_prosocial_pre") == [5, 0, 0]
    # post as words: all "not true"; no answers; all "certainly true"
    assert _kept(result, "sdq_emotional_post") == [0, None, 10]
    assert _kept(result, "sdq_conduct_post") == [2, None, 8]
    assert _kept(result, "sdq_hyperactivity_post") == [4, None, 6]
    assert _kept(result, "sdq_peer_post") == [4, None, 6]
    assert _kept(result, "sdq_prosocial_post") == [0, None, 10]
    assert not result.missing_outcomes
    scored = {s["occasion"]: s for s in result.scored_items}
    assert scored["pre"]["questionnaire"] == "SDQ" and scored["pre"]["items_found"] == 25
    assert scored["post"]["items_found"] == 25
    assert any(n.startswith("SDQ pre: 25 of 25 item answers were scored") for n in result.notes)
    assert "sdq_worries_pre" not in result.kept.columns  # items are not kept, the scales are


def test_sdq_scored_items_reach_validation_json_and_validate(tmp_path):
    root = tmp_path / "data"
    folder = root / "raw" / R.TERM / "elsa"
    folder.mkdir(parents=True)
    path = _elsa_items_workbook(folder / "items.xlsx")
    ingest_term(root, R.TERM, KEY)
    report = json.loads((root / "processed" / R.TERM / "validation.json").read_text("utf-8"))
    (entry,) = report["files"]
    assert [s["occasion"] for s in entry["scored_items"]] == ["pre", "post"]
    assert entry["header_mapping"]["somatic_pre"] == "sdq_somatic_pre"
    assert entry["header_mapping"]["SDQ 3 post"] == "sdq_somatic_post"
    kept = pd.read_parquet(root / "processed" / R.TERM / "elsa.parquet")
    assert kept["sdq_emotional_pre"].tolist() == [5, 0, 7]
    lines, code = validate_file(path, "elsa")
    assert code == 1  # row 5's answer of 3
    assert any("note: SDQ post: 25 of 25 item answers were scored" in line for line in lines)


def test_an_initiative_that_cannot_use_item_answers_says_so_by_name(tmp_path):
    rows = [
        ["UPN", "School", "Year", "Referral date", "Attendance before", "SDQ 1 pre", "somatic pre"],
        [U[0], "Oakfield Primary", "Y6", "12/09/2023", "60%", 1, 2],
    ]
    path = R.write_xlsx(tmp_path / "ebsa_items.xlsx", {"Return": rows})
    result = ingest_file(path, EBSA, KEY)
    _counts_add_up(result)
    (note,) = [n for n in result.notes if "item-level" in n]
    assert "'SDQ 1 pre', 'somatic pre'" in note and note.endswith(
        "EBSA cannot use item-level answers (PASS items or SDQ items): return the nine PASS "
        "factor percentiles, pass_<factor>_pre and pass_<factor>_post"
    )
    assert _kept(result, "attendance_before") == [60.0]


@pytest.mark.parametrize("informant", ["t", "p", "s"])
def test_sdq_items_with_an_informant_prefix(tmp_path, informant):
    header = ["UPN", "School", "Year", "Start date", "Suspensions before"]
    header += [f"{informant}{item} (pre)" for item in ITEMS]
    rows = [header, [U[0], "Oakfield Primary", "Y4", "18/09/2023", 0, *_answers(2)]]
    result = ingest_file(R.write_xlsx(tmp_path / "p.xlsx", {"S": rows}), ELSA, KEY)
    _counts_add_up(result)
    assert _kept(result, "sdq_emotional_pre") == [10]
    assert _kept(result, "sdq_conduct_pre") == [8]


@pytest.mark.parametrize(
    ("cell", "decimal", "expected"),
    [
        ("0,5", None, 0.5),
        ("85,3", None, 85.3),
        ("1.234,5", None, 1234.5),  # decimal comma, dots group thousands
        ("1,234.5", None, 1234.5),  # decimal point, commas group thousands
        ("1,234,567", ".", 1234567.0),
        ("1,234", ".", 1234.0),
        ("1,234", ",", 1.234),
        ("1.234", ".", 1.234),
        ("1.234", None, 1.234),  # the UK reading when nothing says otherwise
        (" 12 ", None, 12.0),
        ("5.", None, 5.0),
    ],
)
def test_numbers_written_as_text_keep_their_value(cell, decimal, expected):
    from dspl_eval.clean import parse_number

    assert parse_number(cell, decimal) == expected


@pytest.mark.parametrize(
    ("cell", "decimal", "says"),
    [
        ("1,234", None, "ambiguous (1234 or 1.234?)"),
        ("1.234", ",", "ambiguous in a file that uses decimal commas"),
        ("1,234.5", ",", "the other decimal separator"),
        ("1.234,5", ".", "the other decimal separator"),
        ("1,2,3", None, "a number"),
    ],
)
def test_numbers_that_could_mean_two_things_are_refused(cell, decimal, says):
    from dspl_eval.clean import CellError, parse_number

    with pytest.raises(CellError, match=re.escape(says)):
        parse_number(cell, decimal)


@pytest.mark.parametrize(
    ("cell", "ok"),
    [
        ("06/09/2032 00:00", True),
        ("6/9/32 00:00:00", True),
        ("2032-09-06T00:00:00.000", True),
        (45202.0, True),
        (45202.5, False),  # an Excel serial at noon
        ("06/09/2032 09:15", False),
        ("06/09/2032 00:00:30", False),
    ],
)
def test_a_time_of_day_must_be_midnight(cell, ok):
    from dspl_eval.clean import CellError, parse_date

    if ok:
        assert parse_date(cell).year in (2023, 2032)
    else:
        with pytest.raises(CellError, match="without a time of day"):
            parse_date(cell)
