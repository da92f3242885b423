"""Ingestion (dspl_eval.ingest) on messy returns written by the tests.

The fixtures (tests/fixtures/returns.py) are generated into ``tmp_path``; each test states
the counts and values DATA_CONTRACT says they must give. Row numbers are as Excel shows them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import string
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dspl_eval import ingest
from dspl_eval.errors import ConfigError, InputFileError
from dspl_eval.identity import Key, pseudonymise
from dspl_eval.ingest import (
    Sheet,
    find_header,
    ingest_file,
    ingest_term,
    needs_ingest,
    read_costs,
    read_sheets,
    validate_file,
)
from dspl_eval.initiatives import get


def _load_returns():
    path = Path(__file__).resolve().parent / "fixtures" / "returns.py"
    spec = importlib.util.spec_from_file_location("dspl_eval_test_returns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_returns()
EBSA = get("ebsa")
KEY = Key(b"a test key that is long enough, not secret", "the test key")
TERM = R.TERM


def _upn_id(upn: str) -> str:
    return pseudonymise(pd.Series([upn], dtype="str"), KEY, "upn").iloc[0]


@pytest.fixture
def messy(tmp_path) -> Path:
    return R.write_messy_ebsa(tmp_path / R.MESSY_FILE)


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "data"
    R.write_term(root)
    return root


# ----------------------------------------------------------------------------- messy xlsx


def test_messy_xlsx_finds_sheet_header_and_counts(messy):
    result = ingest_file(messy, EBSA, KEY)
    assert result.error is None
    assert result.sheet == "Return"  # not "Instructions" (first) nor "Lists"
    assert result.header_row == R.MESSY_HEADER_ROW
    assert result.rows_read == R.MESSY_READ  # the blank rows 13 and 19 are not read
    assert result.rows_kept == R.MESSY_KEPT
    assert result.rows_quarantined == R.MESSY_QUARANTINED
    assert result.rows_read == result.rows_kept + result.rows_quarantined
    assert len(result.sha256) == 64


def test_messy_xlsx_header_synonyms_and_dropped_columns(messy):
    result = ingest_file(messy, EBSA, KEY)
    mapping = result.header_mapping
    assert mapping["Attendance % (before)"] == "attendance_before"
    assert mapping["ATTENDANCE_POST"] == "attendance_after"
    assert mapping["School Name"] == "school"
    assert mapping["Year"] == "year_group"
    assert mapping["SEN"] == "sen_status"
    assert mapping["Gender"] == "sex"
    assert mapping["Referred by"] == "referral_source"
    assert mapping["Sessions possible (before)"] == "possible_sessions_before"
    assert mapping["UPN"] == "upn"
    assert result.dropped_columns == ["First name", "Surname", "DOB", "Home address"]
    assert result.ignored_columns == ["Notes"]


def test_messy_xlsx_kept_values_in_contract_units(messy):
    kept = ingest_file(messy, EBSA, KEY).kept.set_index("source_row")
    assert kept.index.tolist() == [5, 6, 7, 16]
    assert (kept["source_file"] == R.MESSY_FILE).all()
    assert "upn" not in kept and "pupil_ref" not in kept
    assert kept.loc[5, "pupil_id"] == _upn_id(R.UPNS[0])
    assert kept.loc[7, "pupil_id"] == _upn_id(R.UPNS[2])  # written lower-case in the return

    day = pd.Timestamp
    # row 5: dd/mm/yyyy text, "58%"/"85%", Y6, K, F
    assert kept.loc[5, "referral_date"] == day("2023-09-12")
    assert kept.loc[5, "support_start"] == day("2023-10-02")
    assert kept.loc[5, "support_end"] == day("2023-12-15")
    assert (kept.loc[5, "attendance_before"], kept.loc[5, "attendance_after"]) == (58.0, 85.0)
    assert kept.loc[5, "year_group"] == 6
    assert kept.loc[5, "sen_status"] == "SEN support"
    assert kept.loc[5, "sex"] == "female"
    assert kept.loc[5, "referral_source"] == "school"
    # row 6: d/m/yy, bare 58, "n/a" post → missing (unpaired), ongoing support
    assert kept.loc[6, "referral_date"] == day("2023-09-05")
    assert kept.loc[6, "support_start"] == day("2023-10-03")
    assert pd.isna(kept.loc[6, "support_end"])
    assert kept.loc[6, "attendance_before"] == 58.0
    assert pd.isna(kept.loc[6, "attendance_after"])
    assert kept.loc[6, "sen_status"] == "none"
    assert kept.loc[6, "sex"] == "male"
    # row 7: a real date cell, ISO text, Excel serial 45275; sessions 60 of 100 → 60%
    assert kept.loc[7, "referral_date"] == day("2023-09-20")
    assert kept.loc[7, "support_start"] == day("2023-10-02")
    assert kept.loc[7, "support_end"] == day("2023-12-15")
    assert kept.loc[7, "attendance_before"] == pytest.approx(60.0)
    assert kept.loc[7, "attendance_after"] == 90.5
    assert (kept.loc[7, "possible_sessions_before"], kept.loc[7, "attended_sessions_before"]) == (
        100,
        60,
    )
    assert kept.loc[7, "year_group"] == 5
    assert kept.loc[7, "sen_status"] == "EHC plan"
    assert kept.loc[7, "sex"] == "male"  # "Boy"
    assert kept.loc[7, "referral_source"] == "parent"  # "Parent/Carer"
    # row 16: "3 Oct 2023", Reception → 0, "72 %", CAMHS → other, blank sex
    assert kept.loc[16, "referral_date"] == day("2023-10-03")
    assert kept.loc[16, "year_group"] == 0
    assert kept.loc[16, "attendance_before"] == 72.0
    assert kept.loc[16, "referral_source"] == "other"
    assert pd.isna(kept.loc[16, "sex"])

    assert str(kept["referral_date"].dtype) == "datetime64[s]"
    assert str(kept["attendance_before"].dtype) == "float64"
    assert str(kept["year_group"].dtype) == "Int64"
    assert str(kept.index.dtype) == "Int64"  # source_row


def test_messy_xlsx_every_quarantine_reason_with_excel_row_numbers(messy):
    result = ingest_file(messy, EBSA, KEY)
    q = result.quarantine
    assert set(q["file"]) == {R.MESSY_FILE}
    assert set(q["sheet"]) == {"Return"}
    expected_rows = {row for row, (_, reasons) in R.MESSY_ROWS.items() if reasons}
    assert set(q["row"]) == expected_rows
    assert 13 not in set(q["row"])  # the blank row is not a row
    for row, (what, reasons) in R.MESSY_ROWS.items():
        lines = q[q["row"] == row]
        assert len(lines) == len(reasons), what
        for column, fragment in reasons:
            hit = lines[(lines["column"] == column) & lines["reason"].str.contains(fragment)]
            assert len(hit) == 1, f"row {row} ({what}): no {column!r} line with {fragment!r}"


def test_messy_xlsx_quarantine_values_and_headers(messy):
    q = ingest_file(messy, EBSA, KEY).quarantine.set_index(["row", "column"])
    assert q.loc[(10, "referral_date"), "value"] == "31/02/2024"
    assert q.loc[(10, "referral_date"), "header"] == "Referral date"
    assert q.loc[(9, "attendance_after"), "value"] == "130"
    assert q.loc[(9, "attendance_after"), "reason"] == "out of range: expected from 0 to 100%"
    assert q.loc[(9, "year_group"), "value"] == "Year six"
    assert q.loc[(17, "attendance_before"), "value"] == "0.5"
    assert q.loc[(11, "possible_sessions_before"), "value"] == "100"
    # the UPN itself is never written, not even a wrong one
    assert q.loc[(8, "upn"), "value"] == "(withheld: upn)"
    assert R.STDNUM_BAD_CHECK_UPN not in q.to_csv()


def test_duplicate_within_a_file_keeps_the_first(tmp_path):
    rows = [
        ["UPN", "School", "Year", "Referral date"],
        [R.UPNS[0], "Oakfield", "6", "01/09/2023"],
        [R.UPNS[1], "Oakfield", "6", "01/09/2023"],
        [R.UPNS[0].lower(), "Oakfield", "5", "02/09/2023"],  # same child, other spelling
        [" " + R.UPNS[1], "Oakfield", "6", "01/09/2023"],
    ]
    result = ingest_file(R.write_csv(tmp_path / "dups.csv", rows), EBSA, KEY)
    assert result.kept["source_row"].tolist() == [2, 3]
    reasons = dict(zip(result.quarantine["row"], result.quarantine["reason"], strict=True))
    assert reasons == {
        4: "second row for the same child: first in dups.csv, row 2",
        5: "second row for the same child: first in dups.csv, row 3",
    }


def test_pupil_ref_identity_uses_school_and_reference(tmp_path):
    rows = [
        ["Pupil reference", "School", "Year group", "Referral date"],
        ["EB-014", "Oakfield Primary", "Y6", "01/09/2023"],
        ["eb-014 ", "Oakfield  primary", "Y6", "01/09/2023"],  # the same child
        ["EB-014", "Barnwell Academy", "Y6", "01/09/2023"],  # another school's EB-014
    ]
    result = ingest_file(R.write_csv(tmp_path / "refs.csv", rows), EBSA, KEY)
    assert result.rows_kept == 2 and result.rows_quarantined == 1
    assert result.quarantine["reason"].iloc[0].endswith("first in refs.csv, row 2")
    assert result.kept["pupil_id"].nunique() == 2


# ----------------------------------------------------------------------------- CSV files


def test_cp1252_semicolon_csv_with_a_title_line(tmp_path):
    path = R.write_westmoor(tmp_path / R.WESTMOOR_FILE)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    result = ingest_file(path, EBSA, KEY)
    assert result.error is None
    assert (result.sheet, result.header_row) == ("(csv)", 2)
    assert (result.rows_read, result.rows_kept, result.rows_quarantined) == (3, 3, 0)
    assert result.header_mapping["Unique Pupil Number"] == "upn"
    assert result.header_mapping["NC Year"] == "year_group"
    assert result.dropped_columns == ["Pupil name", "Date of birth"]
    kept = result.kept
    assert set(kept["school"]) == {R.WESTMOOR_SCHOOL}
    assert kept["year_group"].tolist() == [6, 6, 4]
    assert kept["attendance_before"].tolist() == [61.0, 50.0, 45.0]
    assert kept["referral_date"].iloc[0] == pd.Timestamp("2023-09-04")


def test_utf8_bom_csv_fraction_column(tmp_path):
    path = R.write_zephyr(tmp_path / R.ZEPHYR_FILE)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = ingest_file(path, EBSA, KEY)
    assert result.error is None
    assert result.header_row == 1
    assert "UPN" in result.header_mapping  # not "\ufeffUPN"
    assert result.header_mapping["Attendance %(pre)"] == "attendance_before"
    assert result.header_mapping["Referral_Date"] == "referral_date"
    # every attendance value is 0-1, so the column is fractions: 0.40 → 40%
    assert result.kept["attendance_before"].tolist() == pytest.approx([40.0, 55.0])
    assert result.kept["attendance_after"].iloc[0] == pytest.approx(75.0)
    assert pd.isna(result.kept["attendance_after"].iloc[1])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters(tmp_path, delimiter):
    rows = [
        ["Return for Oakfield, autumn"],  # a title line with a comma in it
        ["UPN", "School", "Year", "Referral date", "Notes"],
        [R.UPNS[0], "Oakfield", "6", "01/09/2023", "moved, then came back"],
        [R.UPNS[1], "Oakfield", "5", "02/09/2023", ""],
    ]
    path = R.write_csv(tmp_path / "r.csv", rows, delimiter=delimiter)
    result = ingest_file(path, EBSA, KEY)
    assert result.error is None, result.error
    assert (result.header_row, result.rows_kept) == (2, 2)


# ----------------------------------------------------------------------------- bad files


def _bad_files(folder: Path) -> dict[str, str]:
    """File name → a fragment the one-line error must contain."""
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "blank.csv").write_text("  \r\n\r\n")
    (folder / "random.xlsx").write_bytes(np.random.default_rng(7).bytes(4096))
    (folder / "binary.csv").write_bytes(b"UPN,School\x00\x01\x02" * 50)
    # 0x81 and 0x8D are undefined in Windows-1252 and invalid as UTF-8
    (folder / "undecodable.csv").write_bytes(b"UPN,School,Year\r\n\x81\x8d\x90,\xff\xfe\x9d,6\r\n")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not really")
    R.write_csv(
        folder / "missing columns.csv",
        [["UPN", "School", "Pupil name", "Attendance before"], [R.UPNS[0], "Oakfield", "X", "5"]],
    )
    R.write_csv(folder / "no header.csv", [["a", "b"], ["1", "2"]])
    R.write_xlsx(folder / "empty sheets.xlsx", {"Sheet1": [], "Sheet2": []})
    (folder / "huge field.csv").write_text("UPN,School\n" + "x" * 200_000 + ",y\n")
    return {
        "empty.xlsx": "empty",
        "empty.csv": "empty",
        "blank.csv": "empty",
        "random.xlsx": "cannot be read as a spreadsheet",
        "binary.csv": "binary",
        "undecodable.csv": "cannot be decoded",
        "notes.docx": "not a spreadsheet",
        "missing columns.csv": "missing required column(s) year_group, referral_date",
        "no header.csv": "no header row found",
        "empty sheets.xlsx": "empty",
        "huge field.csv": "cannot be read as CSV",
    }


def test_bad_files_give_one_clear_line_each(tmp_path):
    for name, fragment in _bad_files(tmp_path).items():
        result = ingest_file(tmp_path / name, EBSA, KEY)
        assert result.error, name
        assert "\n" not in result.error and "Traceback" not in result.error
        assert result.error.startswith(name), result.error
        assert fragment in result.error, result.error
        assert (result.rows_read, result.rows_kept, result.rows_quarantined) == (0, 0, 0)


def test_missing_columns_message_names_what_was_found(tmp_path):
    _bad_files(tmp_path)
    error = ingest_file(tmp_path / "missing columns.csv", EBSA, KEY).error
    assert "found 'UPN', 'School', 'Attendance before'" in error
    assert "Pupil name" not in error.split("found")[0]
    assert "row 1" in error


def test_read_sheets_raises_input_file_error_not_anything_else(tmp_path):
    _bad_files(tmp_path)
    with pytest.raises(InputFileError):
        read_sheets(tmp_path / "random.xlsx")
    with pytest.raises(InputFileError, match="not found"):
        read_sheets(tmp_path / "absent.xlsx")


def test_a_term_with_bad_files_still_ingests_the_good_ones(data_root):
    folder = data_root / "raw" / TERM / "ebsa"
    expected = _bad_files(folder)
    result = ingest_term(data_root, TERM, KEY)
    by_name = {f.file.name: f for f in result.files}
    assert {f.file.name for f in result.failed} == set(expected)
    assert by_name[R.MESSY_FILE].rows_kept == R.MESSY_KEPT
    assert by_name[R.ZEPHYR_FILE].rows_kept == 2
    report = json.loads((data_root / "processed" / TERM / "validation.json").read_text())
    errors = {f["file"]: f["error"] for f in report["files"] if f["error"]}
    assert set(errors) == set(expected)
    assert report["totals"]["ebsa"]["files_failed"] == len(expected)
    kept = pd.read_parquet(data_root / "processed" / TERM / "ebsa.parquet")
    assert len(kept) == R.MESSY_KEPT + 2 + 2  # Westmoor loses its cross-file duplicate


# ----------------------------------------------------------------------------- a term


def test_term_cross_file_duplicate_points_to_the_first_file(data_root):
    result = ingest_term(data_root, TERM, KEY)
    counts = {f.file.name: (f.rows_read, f.rows_kept, f.rows_quarantined) for f in result.files}
    assert counts == {
        R.MESSY_FILE: (13, 4, 9),
        R.WESTMOOR_FILE: (3, 2, 1),
        R.ZEPHYR_FILE: (2, 2, 0),
    }
    quarantine = pd.read_csv(data_root / "processed" / TERM / "ebsa_quarantine.csv")
    west = quarantine[quarantine["file"] == R.WESTMOOR_FILE]
    assert west["row"].tolist() == [4]
    assert west["reason"].iloc[0] == (
        f"second row for the same child: first in {R.MESSY_FILE}, row 5"
    )
    assert list(quarantine.columns) == [
        "file",
        "sheet",
        "row",
        "column",
        "header",
        "value",
        "reason",
    ]


def test_term_outputs_add_up_and_are_written_atomically(data_root):
    ingest_term(data_root, TERM, KEY)
    out = data_root / "processed" / TERM
    assert not [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    report = json.loads((out / "validation.json").read_text())
    assert report["pseudonymisation_key"] == "the test key"
    for entry in report["files"]:
        assert entry["rows_read"] == entry["rows_kept"] + entry["rows_quarantined"]
        assert entry["initiative"] == "ebsa"
        assert entry["header_mapping"]
    totals = report["totals"]["ebsa"]
    for field in ("rows_read", "rows_kept", "rows_quarantined"):
        assert totals[field] == sum(f[field] for f in report["files"])
    assert totals["rows_read"] == totals["rows_kept"] + totals["rows_quarantined"] == 18
    kept = pd.read_parquet(out / "ebsa.parquet")
    assert len(kept) == totals["rows_kept"] == 8
    quarantine = pd.read_csv(out / "ebsa_quarantine.csv")
    assert quarantine.groupby("file")["row"].nunique().sum() == totals["rows_quarantined"]
    for other in ("elsa", "nurture", "nqt"):  # no returns: empty files with the right columns
        assert report["totals"][other]["rows_read"] == 0
        assert len(pd.read_parquet(out / f"{other}.parquet")) == 0
    raw_hash = {p.name: p.stat().st_mtime_ns for p in (data_root / "raw").rglob("*")}
    ingest_term(data_root, TERM, KEY)
    assert raw_hash == {p.name: p.stat().st_mtime_ns for p in (data_root / "raw").rglob("*")}


def test_processed_parquet_has_contract_columns_and_types(data_root):
    ingest_term(data_root, TERM, KEY)
    kept = pd.read_parquet(data_root / "processed" / TERM / "ebsa.parquet")
    expected = ["pupil_id", *(c.name for c in EBSA.columns if not c.identifying)]
    assert list(kept.columns) == [*expected, "source_file", "source_row"]
    assert kept["attendance_before"].between(0, 100).all()
    assert kept["attendance_before"].notna().all()
    assert pd.api.types.is_datetime64_any_dtype(kept["referral_date"])
    assert kept["pupil_id"].str.fullmatch(r"[0-9a-f]{20}").all()


def test_interrupted_write_leaves_the_previous_file_and_no_temporary(data_root, monkeypatch):
    ingest_term(data_root, TERM, KEY)
    out = data_root / "processed" / TERM
    before = (out / "ebsa.parquet").read_bytes()
    R.write_csv(
        data_root / "raw" / TERM / "ebsa" / "Another.csv",
        [["UPN", "School", "Year", "Referral date"], [R.UPNS[15], "X", "6", "01/09/2023"]],
    )

    def broken(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a parquet file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(KeyboardInterrupt):
        ingest_term(data_root, TERM, KEY)
    assert (out / "ebsa.parquet").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_same_child_gets_the_same_id_every_term_with_the_same_key(data_root):
    spring = "2023-24-spring"
    folder = data_root / "raw" / spring / "ebsa"
    folder.mkdir(parents=True)
    R.write_csv(
        folder / "Spring.csv",
        [["UPN", "School", "Year", "Referral date"], [R.UPNS[0], "Oakfield", "6", "01/01/2024"]],
    )
    ingest_term(data_root, TERM, KEY)
    ingest_term(data_root, spring, KEY)
    autumn_ids = pd.read_parquet(data_root / "processed" / TERM / "ebsa.parquet")
    spring_ids = pd.read_parquet(data_root / "processed" / spring / "ebsa.parquet")
    first = autumn_ids.loc[autumn_ids["source_row"] == 5, "pupil_id"].iloc[0]
    assert spring_ids["pupil_id"].tolist() == [first]
    other = Key(b"another key, also long enough!!", "other")
    ingest_term(data_root, spring, other)
    assert pd.read_parquet(data_root / "processed" / spring / "ebsa.parquet")[
        "pupil_id"
    ].tolist() != [first]


def test_ingest_term_without_returns_or_key(tmp_path, monkeypatch):
    with pytest.raises(InputFileError, match="no returns"):
        ingest_term(tmp_path, TERM, KEY)
    with pytest.raises(ConfigError):
        ingest_term(tmp_path, "autumn-2023", KEY)
    (tmp_path / "raw" / TERM).mkdir(parents=True)
    monkeypatch.delenv("DSPL_EVAL_KEY", raising=False)
    monkeypatch.delenv("DSPL_EVAL_KEY_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(ConfigError, match="no pseudonymisation key"):
        ingest_term(tmp_path, TERM)


def test_needs_ingest(data_root):
    assert needs_ingest(data_root, TERM)
    ingest_term(data_root, TERM, KEY)
    assert not needs_ingest(data_root, TERM)
    later = (data_root / "processed" / TERM / "validation.json").stat().st_mtime + 10
    os.utime(data_root / "raw" / TERM / "ebsa" / R.ZEPHYR_FILE, (later, later))
    assert needs_ingest(data_root, TERM)


def test_needs_ingest_when_a_return_is_removed(data_root):
    # deleting a return leaves every remaining file older than validation.json: the set of
    # files, not only their times, must decide whether the processed data is current
    ingest_term(data_root, TERM, KEY)
    assert not needs_ingest(data_root, TERM)
    (data_root / "raw" / TERM / "ebsa" / R.ZEPHYR_FILE).unlink()
    assert needs_ingest(data_root, TERM)


def test_an_unexpected_failure_costs_one_named_file_not_the_term(data_root, monkeypatch):
    import dspl_eval.ingest as ingest_module

    def broken(*args, **kwargs):
        raise KeyError("simulated bug")

    monkeypatch.setattr(ingest_module, "_process_rows", broken)
    result = ingest_term(data_root, TERM, KEY)
    assert result.files and all(f.error for f in result.files)
    assert all("could not be processed" in f.error and f.file.name in f.error for f in result.files)
    assert all(f.rows_read == f.rows_kept + f.rows_quarantined == 0 for f in result.files)


# ----------------------------------------------------------------------------- leaks


def _planted(data_root: Path) -> list[str]:
    upns = [*R.UPNS[:13], R.STDNUM_BAD_CHECK_UPN]
    return [
        *R.PLANTED_NAMES,
        *R.PLANTED_DOBS,
        *R.PLANTED_ADDRESSES,
        *upns,
        *(u.lower() for u in upns),
    ]


def test_names_dobs_addresses_and_upns_reach_no_processed_file(data_root):
    # the planted strings really are in the raw returns ...
    raw_text = (data_root / "raw" / TERM / "ebsa" / R.WESTMOOR_FILE).read_bytes()
    assert b"Ada Lovelace-Smith" in raw_text
    book = openpyxl.load_workbook(data_root / "raw" / TERM / "ebsa" / R.MESSY_FILE)
    cells = {str(c.value) for row in book["Return"].iter_rows() for c in row if c.value}
    assert "Zebedee" in cells and "Quillfeather" in cells and "14/03/2012" in cells
    assert any("Larkspur Lane" in c for c in cells)

    ingest_term(data_root, TERM, KEY)
    out = data_root / "processed" / TERM
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.suffix for p in files} == {".parquet", ".csv", ".json"}
    planted = _planted(data_root)
    # ... and in no processed file, read as data ...
    for path in files:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            text = frame.astype(str).to_csv() + " ".join(frame.columns)
        else:
            text = path.read_text(encoding="utf-8")
        for secret in planted:
            assert secret not in text, f"{secret!r} found in {path.name}"
        # dates of birth as the dates they are, in any format
        for dob in ("2012-03-14", "2011-01-05", "2012-07-29", "2011-07-20"):
            assert dob not in text, f"date of birth {dob} found in {path.name}"
    # ... nor as raw bytes (parquet pages are small enough here to hold plain strings)
    for path in files:
        blob = path.read_bytes()
        for secret in planted:
            assert secret.encode() not in blob, f"{secret!r} in the bytes of {path.name}"
            assert secret.encode("utf-16-le") not in blob


def test_no_identifying_column_even_when_headers_are_odd(tmp_path):
    rows = [
        ["UPN", "School", "Year", "Referral date", "Child's Full Name", "D.O.B.", "Postcode"],
        [R.UPNS[0], "Oakfield", "6", "01/09/2023", "Zebedee Quillfeather", "14/03/2012", "BW1 2ZZ"],
    ]
    result = ingest_file(R.write_csv(tmp_path / "odd.csv", rows), EBSA, KEY)
    assert result.rows_kept == 1
    text = result.kept.astype(str).to_csv() + result.quarantine.to_csv()
    assert "Zebedee" not in text and "14/03/2012" not in text and "BW1 2ZZ" not in text
    assert set(result.dropped_columns) == {"D.O.B.", "Postcode"}
    assert result.ignored_columns == ["Child's Full Name"]  # unknown: also never written


# ----------------------------------------------------------------------------- validate


def _stamp(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_validate_pinpoints_file_sheet_row_column_value(messy):
    before = _stamp(messy)
    listing = sorted(messy.parent.iterdir())
    lines, code = validate_file(messy, "ebsa")
    assert code == 1
    assert lines[-1] == f"{R.MESSY_QUARANTINED} of {R.MESSY_READ} rows need attention"
    problems = [line for line in lines if not line.startswith("note:")][:-1]
    assert len(problems) == 10  # 9 rows, row 9 with two problems
    place = re.compile(
        r"^Oakfield\.xlsx, sheet 'Return', row (\d+)(, column '([^']+)': (.+) — (.+)|: (.+))$"
    )
    rows = []
    for line in problems:
        match = place.match(line)
        assert match, line
        rows.append(int(match.group(1)))
    assert sorted(set(rows)) == [8, 9, 10, 11, 12, 14, 15, 17, 18]
    assert (
        "Oakfield.xlsx, sheet 'Return', row 10, column 'Referral date': '31/02/2024' — "
        "expected a real date, day first (dd/mm/yyyy)"
    ) in lines
    assert (
        "Oakfield.xlsx, sheet 'Return', row 9, column 'ATTENDANCE_POST': '130' — "
        "out of range: expected from 0 to 100%"
    ) in lines
    assert any(
        line.startswith("Oakfield.xlsx, sheet 'Return', row 8, column 'UPN': 'A801200005001' — ")
        for line in lines
    )  # the sender sees their own UPN; it is never written anywhere
    assert (
        "Oakfield.xlsx, sheet 'Return', row 15, column 'UPN': (blank) — no identifier"
        in " ".join(lines)
    )
    assert (
        "Oakfield.xlsx, sheet 'Return', row 14: second row for the same child: first in "
        "Oakfield.xlsx, row 5"
    ) in lines
    assert "Oakfield.xlsx, sheet 'Return', row 18: a Total or summary row, not a child" in lines
    assert any("'First name'" in line and "discarded" in line for line in lines)
    # validate never touches the file nor writes anything beside it
    assert _stamp(messy) == before
    assert sorted(messy.parent.iterdir()) == listing


def test_validate_clean_file_exits_0(tmp_path):
    path = R.write_zephyr(tmp_path / R.ZEPHYR_FILE)
    before = _stamp(path)
    lines, code = validate_file(path, "ebsa")
    assert code == 0
    assert lines[-1] == "ready to send: 2 rows checked, no problems found"
    assert _stamp(path) == before


def test_validate_unreadable_file_exits_1(tmp_path):
    _bad_files(tmp_path)
    lines, code = validate_file(tmp_path / "random.xlsx", "ebsa")
    assert code == 1
    assert lines[0].startswith("random.xlsx: cannot be read as a spreadsheet")
    assert lines[-1] == "cannot be used: fix the file and check it again"


# ----------------------------------------------------------------------------- other initiatives


def test_nqt_likert_words_and_range(tmp_path):
    rows = [
        ["Participant ID", "School", "Role", "Sessions", "Confidence autism (pre)", "autism post"],
        ["T01", "Oakfield", "ECT 1", "5", "Disagree", "Strongly agree"],
        ["T02", "Oakfield", "NQT", "7", "3", "4"],  # 7 of 6 sessions
        ["T03", "Oakfield", "ECT2", "6", "0", "6"],  # Likert outside 1-5
        ["T04", "Oakfield", "ECT2", "6", "kind of", ""],
    ]
    result = ingest_file(R.write_csv(tmp_path / "nqt.csv", rows), get("nqt"), KEY)
    assert (result.rows_read, result.rows_kept, result.rows_quarantined) == (4, 1, 3)
    kept = result.kept.iloc[0]
    assert (kept["conf_autism_pre"], kept["conf_autism_post"], kept["role"]) == (2, 5, "ECT1")
    reasons = result.quarantine.groupby("row")["reason"].apply(list).to_dict()
    assert reasons[3] == ["out of range: expected from 0 to 6"]
    assert reasons[4] == ["out of range: expected from 1 to 5"] * 2
    assert reasons[5][0].startswith("expected 1-5 or strongly disagree")
    assert "participant_id" in result.kept and "participant_ref" not in result.kept


def test_elsa_sdq_and_negative_counts(tmp_path):
    rows = [
        ["Pupil ref", "School", "Year", "Start date", "SDQ emotional pre", "Suspensions before"],
        ["E1", "Oakfield", "Y4", "18/09/2023", "7", "0"],
        ["E2", "Oakfield", "Y4", "18/09/2023", "11", "1"],
        ["E3", "Oakfield", "Y4", "18/09/2023", "5", "-1"],
    ]
    result = ingest_file(R.write_csv(tmp_path / "elsa.csv", rows), get("elsa"), KEY)
    assert (result.rows_kept, result.rows_quarantined) == (1, 2)
    q = result.quarantine.set_index("row")
    assert q.loc[3, "column"] == "sdq_emotional_pre" and "0 to 10" in q.loc[3, "reason"]
    assert q.loc[4, "column"] == "suspensions_before" and "out of range" in q.loc[4, "reason"]


# ----------------------------------------------------------------------------- costs


def test_read_costs(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text(
        "Initiative,Cost (GBP),Sessions delivered,Notes\n"
        'EBSA,"£12,500",40,two workers\n'
        "elsa,8000,,\n"
        "drama,100,,\n"
        "nqt,lots,,\n",
        encoding="utf-8",
    )
    costs, problems = read_costs(path)
    assert costs.to_dict("records") == [
        {"initiative": "ebsa", "cost_gbp": 12500.0, "sessions_delivered": 40.0},
        {
            "initiative": "elsa",
            "cost_gbp": 8000.0,
            "sessions_delivered": pytest.approx(np.nan, nan_ok=True),
        },
    ]
    assert "unknown initiative 'drama'" in problems and "row 5" in problems
    assert read_costs(tmp_path / "absent.csv") == (None, None)
    (tmp_path / "bad.csv").write_text("what,ever\n1,2\n")
    costs, problem = read_costs(tmp_path / "bad.csv")
    assert costs is None and "initiative and cost_gbp" in problem


# ----------------------------------------------------------------------------- property-based

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.sampled_from(
        ["", " ", "n/a", "N/A", "-", "Total", "TOTAL", "Y6", "R", "58%", "0.58", "31/02/2024"]
    ),
    st.sampled_from([*R.UPNS[:5], R.STDNUM_BAD_CHECK_UPN]),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2110, 1, 1)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2110, 1, 1)),
)
HEADERS = st.sampled_from(
    [
        "UPN",
        "Unique Pupil Number",
        "pupil ref",
        "School",
        "SCHOOL_NAME",
        "Year",
        "NC Year",
        "Referral date",
        "Start date",
        "End date",
        "Attendance % (before)",
        "ATTENDANCE_POST",
        "Sessions possible (before)",
        "Sessions attended (before)",
        "SEN",
        "Gender",
        "Notes",
        "First name",
        "DOB",
        "PASS self regard pre",
        "Participant ID",
        "Role",
        "Sessions",
        "Confidence autism (pre)",
        "SDQ emotional post",
        "Suspensions before",
    ]
)
#: plausible values per header, so that rows are kept as well as quarantined
GOOD = {
    "UPN": st.sampled_from(R.UPNS),
    "Unique Pupil Number": st.sampled_from(R.UPNS),
    "pupil ref": st.sampled_from(["R1", "R2", "r3", "R4 "]),
    "Participant ID": st.sampled_from(["T1", "T2", "T3"]),
    "School": st.sampled_from(["Oakfield", "Barnwell Academy", "Total"]),
    "SCHOOL_NAME": st.just("Oakfield"),
    "Year": st.sampled_from(["Y6", "6", "R", "Year 11", 3]),
    "NC Year": st.sampled_from(["Y6", 4.0]),
    "Referral date": st.sampled_from(["01/09/2023", "3 Oct 2023", 45202, dt.datetime(2023, 9, 1)]),
    "Start date": st.sampled_from(["01/10/2023", "2023-10-02"]),
    "End date": st.sampled_from(["15/12/2023", "", "01/09/2023"]),
    "Attendance % (before)": st.sampled_from(["58%", 58, 0.58, "n/a"]),
    "ATTENDANCE_POST": st.sampled_from(["85%", 85, ""]),
    "Sessions possible (before)": st.integers(0, 200),
    "Sessions attended (before)": st.integers(0, 200),
    "Role": st.sampled_from(["NQT", "ECT1", "other"]),
    "Sessions": st.integers(0, 7),
    "Confidence autism (pre)": st.sampled_from(["Agree", 3, "strongly disagree"]),
    "SDQ emotional post": st.integers(-1, 11),
    "Suspensions before": st.integers(-1, 3),
}
#: headers that make a usable file for each initiative (drawn in about half the examples)
COMPLETE = {
    "ebsa": ["UPN", "School", "Year", "Referral date"],
    "elsa": ["pupil ref", "School", "NC Year", "Start date"],
    "nqt": ["Participant ID", "School"],
}


@st.composite
def layouts(draw, initiative="ebsa"):
    """A sheet: title rows, a header of shuffled known/unknown headers, messy data rows."""
    headers = draw(st.lists(HEADERS, min_size=1, max_size=10, unique=True))
    if draw(st.booleans()):
        headers = list(dict.fromkeys([*COMPLETE[initiative], *headers]))
    headers = draw(st.permutations(headers))
    width = len(headers) + draw(st.integers(0, 2))
    blank_columns = draw(st.lists(st.integers(0, width), max_size=2))
    rows: list[list[object]] = []
    for _ in range(draw(st.integers(0, 3))):  # title rows / blank rows above the header
        rows.append(draw(st.one_of(st.just([]), st.lists(_TEXT, max_size=3))))
    header = list(headers)
    for position in blank_columns:
        header.insert(min(position, len(header)), None)
    rows.append(header)
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.integers(0, 5))
        if shape == 0:
            rows.append([])  # a blank row
        elif shape == 1:
            rows.append(draw(st.lists(CELL, min_size=0, max_size=len(header) + 2)))
        else:  # mostly plausible values, some random ones
            rows.append(
                [
                    draw(GOOD.get(h, CELL)) if draw(st.integers(0, 9)) < 8 else draw(CELL)
                    for h in header
                ]
            )
    return rows


def _sheet(name: str, rows: list[list[object]]) -> Sheet:
    width = max((len(r) for r in rows), default=0)
    padded = [list(r) + [None] * (width - len(r)) for r in rows]
    cells = pd.DataFrame(padded, dtype=object) if padded else pd.DataFrame()
    return Sheet(name, cells.mask(cells.isna() | (cells == "")) if len(cells) else cells)


def _check_counts(result) -> None:
    if result.error:
        assert "\n" not in result.error
        assert result.rows_read == result.rows_kept == result.rows_quarantined == 0
        return
    assert result.rows_read == result.rows_kept + result.rows_quarantined
    assert len(result.kept) == result.rows_kept
    assert result.kept["source_row"].is_unique
    assert not set(result.kept["source_row"]) & set(result.quarantine["row"])
    if len(result.quarantine):
        assert result.quarantine["reason"].str.len().gt(0).all()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), initiative=st.sampled_from(["ebsa", "elsa", "nqt"]))
def test_any_layout_and_any_cells_never_crash_and_counts_add_up(tmp_path_factory, data, initiative):
    sheets = data.draw(st.lists(layouts(initiative), min_size=1, max_size=3), label="sheets")
    path = tmp_path_factory.getbasetemp() / "property.xlsx"
    path.write_bytes(b"only hashed")
    built = [_sheet(f"S{i}", rows) for i, rows in enumerate(sheets)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "read_sheets", lambda _path: built)
        result = ingest_file(path, get(initiative), KEY)
    _check_counts(result)
    event("usable" if not result.error else "refused")
    if not result.error:
        event("some kept" if result.rows_kept else "none kept")
        # the rows read are exactly the non-blank rows below the header row
        cells = next(s for s in built if s.name == result.sheet).cells
        below = cells.iloc[result.header_row :]
        nonblank = below.apply(
            lambda row: any(
                not (v is None or (isinstance(v, float) and np.isnan(v)))
                and not (isinstance(v, str) and not v.strip())
                for v in row
            ),
            axis=1,
        )
        assert result.rows_read == (int(nonblank.sum()) if len(below) else 0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=layouts(),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_csv_never_crashes_and_counts_add_up(tmp_path_factory, rows, delimiter, encoding):
    path = tmp_path_factory.getbasetemp() / "property.csv"
    text_rows = [["" if v is None else str(v) for v in row] for row in rows]
    try:
        R.write_csv(path, text_rows, encoding=encoding, delimiter=delimiter)
    except UnicodeEncodeError:
        R.write_csv(path, text_rows, encoding="utf-8", delimiter=delimiter)
    result = ingest_file(path, EBSA, KEY)
    _check_counts(result)
    event("usable" if not result.error else "refused")


@settings(max_examples=40, deadline=None)
@given(header=st.lists(st.sampled_from(string.ascii_letters + " _-%()."), min_size=1, max_size=30))
def test_find_header_never_crashes_on_garbage_headers(header):
    sheet = _sheet("S", [["".join(header), "School", "Year"], ["x", "y", "z"]])
    try:
        found = find_header([sheet], EBSA, "f.xlsx")
    except InputFileError as error:
        assert str(error).startswith("f.xlsx")
    else:
        assert found.sheet is sheet


# --------------------------------------------------------------------------- issue 14.5


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_write_honours_the_umask(tmp_path, umask, mode):
    """Outputs get 0o666 less the umask (group-readable on a shared drive), not the 0600
    of the temporary file; nothing is left beside them."""
    target = tmp_path / "out.txt"
    old = os.umask(umask)
    try:
        assert ingest.current_umask() == umask
        ingest._atomic_write(target, lambda p: Path(p).write_text("x", "utf-8"))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_processed_outputs_are_group_readable(tmp_path):
    target = tmp_path / "validation.json"
    old = os.umask(0o027)
    try:
        ingest._atomic_write(target, lambda p: Path(p).write_text("{}", "utf-8"))
        ingest._atomic_write(target, lambda p: Path(p).write_text("{}", "utf-8"))  # replace
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o040  # the group may read it
