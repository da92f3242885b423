"""Tests for ``dspl_eval.synth``: the synthetic, deliberately messy demo returns.

Everything is checked by reading the written files back (calamine for workbooks, the csv
module for CSVs), not by trusting the generator's own arrays: headers map to the intended
canonical columns, UPNs pass or fail their check letter as planted, the manifest's row
counts match the files, and the planted effects point the right way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.gb import upn as stdnum_upn

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.initiatives.base import DROPPED_HEADERS, normalise_header
from dspl_eval.paths import DEMO_MARKER, is_demo
from dspl_eval.synth import (
    BAD_UPN,
    BLANK,
    CANARY,
    DEMO_TERMS,
    DOB,
    DUPLICATE,
    FIRST_NAME,
    NAME,
    NOTES,
    REASONS,
    SURNAME,
    TOTAL_ROW,
    DemoFile,
    DemoManifest,
    category_spellings,
    write_demo,
)

_LIKERT = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "agree": 4,
    "strongly agree": 5,
}


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoManifest]:
    root = tmp_path_factory.mktemp("synth")
    return {
        "a": write_demo(root / "a", seed=1),
        "b": write_demo(root / "b", seed=1),
        "other": write_demo(root / "other", seed=2),
        "double": write_demo(root / "double", seed=1, scale=2),
    }


@pytest.fixture(scope="module")
def demo(demos: dict[str, DemoManifest]) -> DemoManifest:
    return demos["a"]


# ----------------------------------------------------------------------------- reading back


_CELLS: dict[tuple[Path, int], pd.DataFrame] = {}


def cells(file: DemoFile) -> pd.DataFrame:
    """Every cell of the data sheet as read; row i is Excel row i + 1 (cached per file)."""
    stamp = (file.path, file.path.stat().st_mtime_ns)
    if stamp not in _CELLS:
        _CELLS[stamp] = _read_cells(file)
    return _CELLS[stamp].copy()


def _read_cells(file: DemoFile) -> pd.DataFrame:
    if file.fmt == "csv":
        text = file.path.read_bytes().decode(file.encoding)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=file.delimiter))
        frame = pd.DataFrame(rows, dtype=object)
        return frame.mask(frame == "")
    return pd.read_excel(
        file.path, sheet_name=file.sheet, header=None, engine="calamine", dtype=object
    )


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def table(file: DemoFile, planted: bool = False) -> pd.DataFrame:
    """The data rows (planted rows dropped unless ``planted``), columns named by meaning."""
    grid = cells(file)
    header = [None if blank(v) else str(v) for v in grid.iloc[file.header_row - 1]]
    positions = {}
    for text, meaning in file.headers:
        if meaning:
            positions[meaning] = header.index(text)
    skip = set() if planted else {p.row for p in file.invalid}
    rows = [r for r in file.data_rows if r not in skip]
    data = grid.iloc[[r - 1 for r in rows], list(positions.values())]
    data.columns = list(positions)
    data.index = rows
    return data


def number(value: object) -> float:
    """A number from a cell as written: 58, "58%", "Agree", missing words → NaN."""
    if blank(value):
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().lower()
    if text in _LIKERT:
        return float(_LIKERT[text])
    try:
        return float(text.rstrip("%"))
    except ValueError:
        return math.nan


def numbers(frame: pd.DataFrame, column: str, percent: bool = False) -> pd.Series:
    values = frame[column].map(number).astype(float) if column in frame else pd.Series(dtype=float)
    if percent and values.notna().any() and values.dropna().le(1).all():
        values = values * 100  # a column written as fractions (0.58)
    return values


def gather(demo: DemoManifest, key: str, columns: dict[str, bool]) -> pd.DataFrame:
    """Numeric columns of every kept row of an initiative, read back from the files."""
    frames = []
    for file in demo.select(initiative=key):
        data = table(file)
        frames.append(pd.DataFrame({c: numbers(data, c, p) for c, p in columns.items()}))
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- layout


def test_writes_every_term_initiative_costs_and_marker(demo: DemoManifest) -> None:
    raw = demo.data_root / "raw"
    for term in DEMO_TERMS:
        for key in INITIATIVES:
            files = demo.select(term, key)
            assert files, (term, key)
            assert all(f.path.parent == raw / term / key and f.path.is_file() for f in files)
        costs = pd.read_csv(raw / term / "costs.csv")
        assert list(costs.columns) == ["initiative", "cost_gbp", "sessions_delivered", "notes"]
        assert set(costs["initiative"]) == set(INITIATIVES)
        assert costs["cost_gbp"].between(1_000, 200_000).all()
    marker = (raw / DEMO_MARKER).read_text(encoding="utf-8")
    assert "SYNTHETIC" in marker and "NOT secret" in marker
    assert is_demo(demo.data_root)
    written = {p for p in raw.rglob("*") if p.is_file()}
    assert written == {f.path for f in demo.files} | set(demo.costs) | {raw / DEMO_MARKER}


def test_realistic_sizes_at_scale_one(demo: DemoManifest) -> None:
    for term in DEMO_TERMS:
        kept = {k: sum(f.expected.kept for f in demo.select(term, k)) for k in INITIATIVES}
        assert 30 <= kept["nurture"] <= 60
        assert 40 <= kept["elsa"] <= 60
        assert 25 <= kept["ebsa"] <= 40
        assert 20 <= kept["nqt"] <= 30
        assert 36 <= kept["transition"] <= 56  # about 46 referrals a term
        sizes = [f.expected.kept for f in demo.select(term, "nurture")]
        assert min(sizes) >= 6 and max(sizes) <= 12


def test_same_seed_same_bytes(demos: dict[str, DemoManifest]) -> None:
    a, b = demos["a"], demos["b"]
    for file_a, file_b in zip(a.files, b.files, strict=True):
        assert file_a.path.relative_to(a.data_root) == file_b.path.relative_to(b.data_root)
        assert file_a.path.read_bytes() == file_b.path.read_bytes(), file_a.path.name
        if file_a.fmt == "xlsx":
            assert cells(file_a).equals(cells(file_b))
    for costs_a, costs_b in zip(a.costs, b.costs, strict=True):
        assert costs_a.read_bytes() == costs_b.read_bytes()
    assert a.to_dict() == b.to_dict()
    assert a.names == b.names and a.dates_of_birth == b.dates_of_birth


def test_different_seeds_differ(demos: dict[str, DemoManifest]) -> None:
    a, other = demos["a"], demos["other"]
    differ = [not cells(f).equals(cells(g)) for f, g in zip(a.files, other.files, strict=True)]
    assert all(differ)
    assert a.names != other.names


def test_scale_multiplies_children_not_planted_rows(demos: dict[str, DemoManifest]) -> None:
    one, two = demos["a"], demos["double"]
    for term in DEMO_TERMS:
        for key in INITIATIVES:
            kept_one = sum(f.expected.kept for f in one.select(term, key))
            kept_two = sum(f.expected.kept for f in two.select(term, key))
            assert kept_two == 2 * kept_one, (term, key)
            planted = [len(f.invalid) for f in one.select(term, key)]
            assert planted == [len(f.invalid) for f in two.select(term, key)]


def test_every_header_maps_to_its_intended_column(demo: DemoManifest) -> None:
    for file in demo.files:
        lookup = INITIATIVES[file.initiative].header_lookup()
        grid = cells(file)
        written = [str(v) for v in grid.iloc[file.header_row - 1] if not blank(v)]
        assert written == [h for h, _ in file.headers if h], file.path.name
        for header, meaning in file.headers:
            key = normalise_header(header)
            if meaning == BLANK:
                assert header == ""
            elif meaning in (NAME, FIRST_NAME, SURNAME):
                assert DROPPED_HEADERS.get(key) == "name", header
            elif meaning == DOB:
                assert DROPPED_HEADERS.get(key) == "date_of_birth", header
            elif meaning == NOTES:
                assert key not in lookup and key not in DROPPED_HEADERS, header
            else:
                assert lookup.get(key) == meaning, (file.path.name, header, meaning)


def test_header_spellings_vary(demo: DemoManifest) -> None:
    spellings = {h for f in demo.files for h, m in f.headers if m == "attendance_before"}
    assert len(spellings) >= 2
    upn = {h for f in demo.files for h, m in f.headers if m == "upn"}
    assert len(upn) >= 2


def test_category_values_are_ones_ingestion_knows() -> None:
    from dspl_eval.clean import parser_for

    checked = 0
    for initiative in INITIATIVES.values():
        for column in initiative.columns:
            if column.kind not in ("category", "sex"):
                continue
            parse = parser_for(column)
            for style in category_spellings(column):
                assert set(style) == set(column.allowed), column.name
                for value, written in style.items():
                    assert parse(written) == value, (column.name, written)
                    checked += 1
    assert checked > 50


# ----------------------------------------------------------------------------- rows


def test_expected_rows_match_the_files(demo: DemoManifest) -> None:
    for file in demo.files:
        grid = cells(file).iloc[file.header_row :]
        nonblank = [i + 1 for i, row in grid.iterrows() if not all(blank(v) for v in row)]
        assert nonblank == list(file.data_rows), file.path.name
        expected = demo.expected_rows(file.path)
        assert expected == demo.expected_rows(file.path.relative_to(demo.data_root))
        assert expected.read == len(nonblank) == expected.kept + expected.quarantined
        assert expected.kept == len(file.kept_ids)


def test_valid_upns_pass_and_planted_ones_fail(demo: DemoManifest) -> None:
    checked = planted = 0
    for file in demo.files:
        if "upn" not in dict((m, h) for h, m in file.headers):
            continue
        kept = table(file)["upn"].map(str)
        assert kept.map(stdnum_upn.is_valid).all(), file.path.name
        assert [u.upper() for u in kept] == list(file.kept_ids)
        checked += len(kept)
        written = table(file, planted=True)["upn"]
        for row in file.invalid:
            if row.reason == BAD_UPN:
                assert written[row.row] == row.value
                assert not stdnum_upn.is_valid(row.value)
                planted += 1
    assert checked > 300 and planted >= 2


def test_planted_rows_per_initiative_and_term(demo: DemoManifest) -> None:
    seen = set()
    for term in DEMO_TERMS:
        for key in INITIATIVES:
            rows = [p for f in demo.select(term, key) for p in f.invalid]
            seen |= {p.reason for p in rows}
            invalid = [p for p in rows if p.reason not in (DUPLICATE, TOTAL_ROW)]
            duplicates = [p for p in rows if p.reason == DUPLICATE]
            assert 2 <= len(invalid) <= 5 and 1 <= len(duplicates) <= 2, (term, key)
    assert seen == set(REASONS)


def test_duplicates_repeat_an_earlier_child(demo: DemoManifest) -> None:
    for file in demo.files:
        ident = next(m for _, m in file.headers if m in ("upn", "pupil_ref", "participant_ref"))
        data = table(file, planted=True)
        for row in file.invalid:
            if row.reason == DUPLICATE:
                assert row.duplicate_of < row.row
                assert (
                    str(data.at[row.row, ident]).upper()
                    == str(data.at[row.duplicate_of, ident]).upper()
                )


def test_planted_values_are_in_the_cells(demo: DemoManifest) -> None:
    for file in demo.files:
        data = table(file, planted=True)
        for row in file.invalid:
            if row.column and row.value:
                cell = data.at[row.row, row.column]
                if isinstance(cell, dt.datetime):
                    cell = cell.strftime("%d/%m/%Y")
                assert str(cell).removesuffix(".0") == row.value, (file.path.name, row)
            elif row.reason == TOTAL_ROW:
                assert "Total" in [str(v) for v in data.loc[row.row] if not blank(v)]


def test_percent_columns_never_mix_fractions_with_whole_percentages(demo: DemoManifest) -> None:
    styles = set()
    for file in demo.files:
        kinds = {c.name: c.kind for c in INITIATIVES[file.initiative].columns}
        data = table(file, planted=True)
        for column in (c for c in data if kinds.get(c) == "percent"):
            texts = [v for v in data[column] if not blank(v)]
            values = [number(v) for v in texts if not math.isnan(number(v)) and number(v) != 0]
            fractions = [v for v, t in zip(values, texts, strict=False) if 0 < v <= 1]
            assert not fractions or len(fractions) == len(values), (file.path.name, column)
            styles.add("fraction" if fractions else "whole")
    assert styles == {"fraction", "whole"}


# ----------------------------------------------------------------------------- messiness


def test_messy_features_are_spread_across_files(demo: DemoManifest) -> None:
    features = {f for file in demo.files for f in file.features}
    for wanted in (
        "title rows", "merged title", "blank rows", "blank column", "leading blank column",
        "Total row", "extra sheets before data", "names", "date of birth", "notes column",
        "sessions", "likert words", "xlsx", "csv (cp1252, ';')", "csv (utf-8-sig, ',')",
    ):  # fmt: skip
        assert wanted in features, wanted
    assert any(f.header_row > 3 for f in demo.files)
    before = [f for f in demo.files if f.sheets and f.sheets[0] != f.sheet]
    assert before and all({"Instructions", "Lists"} <= set(f.sheets) for f in before)


def test_csv_encodings_are_real(demo: DemoManifest) -> None:
    cp1252 = [f for f in demo.files if f.encoding == "cp1252"]
    assert cp1252 and all(f.delimiter == ";" for f in cp1252)
    for file in cp1252:
        data = file.path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert "Thérèse" in data.decode("cp1252")
    bom = [f for f in demo.files if f.encoding == "utf-8-sig" and f.fmt == "csv"]
    assert bom and all(f.path.read_bytes().startswith(b"\xef\xbb\xbf") for f in bom)


def test_value_styles_cover_the_contract(demo: DemoManifest) -> None:
    texts: set[str] = set()
    kinds: set[type] = set()
    for file in demo.files:
        grid = cells(file)
        for value in grid.to_numpy().ravel():
            if not blank(value):
                kinds.add(type(value))
                texts.add(str(value))
    for wanted in ("Y", "N", "Yes", "No", "TRUE", "R", "Reception", "N/A", "Agree"):
        assert wanted in texts, wanted
    assert any(t.startswith("Year ") for t in texts) and any(t.startswith("Yr ") for t in texts)
    assert any(t.endswith("%") for t in texts)
    assert any(len(t) == 10 and t[4] == "-" and t[7] == "-" for t in texts)  # ISO dates
    assert any(" Oct " in t or " Jan " in t or " Apr " in t for t in texts)  # 3 Oct 2023
    assert {dt.datetime, int, float, str} <= kinds


def test_identifying_values_and_canary(demo: DemoManifest) -> None:
    assert CANARY in demo.names and demo.canary == CANARY
    assert len(demo.dates_of_birth) > 100
    holding = []
    for file in demo.files:
        text = file.path.read_bytes().decode(file.encoding) if file.fmt == "csv" else ""
        if file.fmt == "xlsx":
            text = " ".join(str(v) for v in cells(file).to_numpy().ravel() if not blank(v))
        if CANARY in text:
            holding.append(file)
    assert len(holding) == 1


def test_missing_post_and_children_carried_over(demo: DemoManifest) -> None:
    elsa = gather(demo, "elsa", {"sdq_emotional_pre": False, "sdq_emotional_post": False})
    share = elsa["sdq_emotional_post"].isna().mean()
    assert 0.05 <= share <= 0.3
    for key in ("nurture", "elsa", "ebsa", "transition"):
        autumn = {i for f in demo.select(DEMO_TERMS[0], key) for i in f.kept_ids}
        spring = {i for f in demo.select(DEMO_TERMS[1], key) for i in f.kept_ids}
        assert autumn & spring, key
        for term in DEMO_TERMS:  # never the same child in two files of one term
            ids = [i for f in demo.select(term, key) for i in f.kept_ids]
            assert len(ids) == len(set(ids))


# ----------------------------------------------------------------------------- effects


def test_ebsa_attendance_rises_with_spread(demo: DemoManifest) -> None:
    data = gather(
        demo,
        "ebsa",
        {
            "attendance_before": True,
            "attendance_after": True,
            "possible_sessions_before": False,
            "attended_sessions_before": False,
            "possible_sessions_after": False,
            "attended_sessions_after": False,
            "pass_self_regard_pre": True,
            "pass_self_regard_post": True,
        },
    )
    before = data["attendance_before"].fillna(
        100 * data["attended_sessions_before"] / data["possible_sessions_before"]
    )
    after = data["attendance_after"].fillna(
        100 * data["attended_sessions_after"] / data["possible_sessions_after"]
    )
    assert 50 <= before.mean() <= 66 and 78 <= after.mean() <= 92
    assert 10 <= before.std() <= 25
    change = (after - before).dropna()
    assert (change < 0).sum() >= 1
    assert data["pass_self_regard_post"].mean() > data["pass_self_regard_pre"].mean()


def test_elsa_sdq_falls_and_suspensions_fall(demo: DemoManifest) -> None:
    scales = ("emotional", "conduct", "hyperactivity", "peer")
    columns = {f"sdq_{s}_{w}": False for s in (*scales, "prosocial") for w in ("pre", "post")}
    columns |= {"suspensions_before": False, "suspensions_after": False}
    data = gather(demo, "elsa", columns)
    pre = data[[f"sdq_{s}_pre" for s in scales]].sum(axis=1, min_count=4)
    post = data[[f"sdq_{s}_post" for s in scales]].sum(axis=1, min_count=4)
    assert 14 <= pre.mean() <= 20
    change = (post - pre).dropna()
    assert -4.5 <= change.mean() <= -1.5 and (change > 0).sum() >= 1
    assert data["sdq_prosocial_post"].mean() > data["sdq_prosocial_pre"].mean()
    assert data["suspensions_after"].mean() < data["suspensions_before"].mean()


def test_nurture_boxall_improves(demo: DemoManifest) -> None:
    data = gather(
        demo,
        "nurture",
        {
            "boxall_developmental_pre": False,
            "boxall_developmental_post": False,
            "boxall_diagnostic_pre": False,
            "boxall_diagnostic_post": False,
        },
    )
    developmental = data["boxall_developmental_post"] - data["boxall_developmental_pre"]
    diagnostic = data["boxall_diagnostic_post"] - data["boxall_diagnostic_pre"]
    assert 60 <= data["boxall_developmental_pre"].mean() <= 80
    assert 8 <= developmental.mean() <= 22 and (developmental < 0).sum() >= 1
    assert -20 <= diagnostic.mean() <= -5


def test_nurture_returns_full_time_read_from_a_workbook(demo: DemoManifest) -> None:
    returned = []
    for file in demo.select(initiative="nurture"):
        column = table(file)["returned_full_time"]
        returned += [str(v).strip().lower() in {"y", "yes", "true", "1"} for v in column]
    assert 0.2 <= np.mean(returned) <= 0.7


def test_nqt_confidence_and_understanding_rise(demo: DemoManifest) -> None:
    from dspl_eval.initiatives.nqt import CONFIDENCE_TOPICS

    columns = {f"conf_{t}_{w}": False for t in CONFIDENCE_TOPICS for w in ("pre", "post")}
    columns |= {"understanding_pre": True, "understanding_post": True}
    data = gather(demo, "nqt", columns)
    pre = data[[f"conf_{t}_pre" for t in CONFIDENCE_TOPICS]].mean(axis=1)
    post = data[[f"conf_{t}_post" for t in CONFIDENCE_TOPICS]].mean(axis=1)
    assert 0.6 <= (post - pre).mean() <= 1.4
    assert 38 <= data["understanding_pre"].mean() <= 52
    assert 68 <= data["understanding_post"].mean() <= 82


# ----------------------------------------------------------------------------- safety


def test_bad_scale_and_real_data_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        write_demo(tmp_path, scale=0)
    real = tmp_path / "raw" / DEMO_TERMS[0] / "elsa"
    real.mkdir(parents=True)
    (real / "school.xlsx").write_bytes(b"real")
    with pytest.raises(ConfigError):
        write_demo(tmp_path, terms=DEMO_TERMS[:1])
    assert (real / "school.xlsx").read_bytes() == b"real"


def test_rewriting_replaces_earlier_demo_output(tmp_path: Path) -> None:
    first = write_demo(tmp_path, seed=3, terms=DEMO_TERMS[:1])
    second = write_demo(tmp_path, seed=4, terms=DEMO_TERMS[:1])
    assert [f.path for f in first.files] == [f.path for f in second.files]
    written = {p for p in (tmp_path / "raw").rglob("*") if p.is_file()}
    assert written == {f.path for f in second.files} | set(second.costs) | {second.marker}
