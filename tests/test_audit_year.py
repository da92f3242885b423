"""The audit covers year packs (issue 15): a year page is checked against the names and
file names of every term of the year, not only ``raw/<year>`` (which does not exist)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dspl_eval.audit import audit_reports


def _year_data(root: Path) -> str:
    raw = root / "raw" / "2023-24-spring" / "elsa"
    raw.mkdir(parents=True)
    (raw / "ELSA return Quillsby Primary spring.csv").write_text(
        "Name,UPN,School\nZebedee Quartermaine,,Quillsby Primary\n", "utf-8"
    )
    processed = root / "processed" / "2023-24"
    processed.mkdir(parents=True)
    (processed / "validation.json").write_text('{"term": "2023-24", "files": []}', "utf-8")
    return hashlib.sha256((processed / "validation.json").read_bytes()).hexdigest()


def _page(folder: Path, fingerprint: str, text: str) -> None:
    folder.mkdir(parents=True)
    meta = "".join(
        f'<meta name="dspl-eval-{k}" content="{v}">'
        for k, v in {
            "edition": "commissioner",
            "term": "2023-24",
            "threshold": 5,
            "initiative": "elsa",
            "data-fingerprint": fingerprint,
        }.items()
    )
    (folder / "elsa.html").write_text(
        f"<!DOCTYPE html><html><head>{meta}</head><body><p>{text}</p></body></html>", "utf-8"
    )


def test_a_name_from_a_terms_return_is_caught_in_a_year_page(tmp_path):
    fingerprint = _year_data(tmp_path / "data")
    _page(tmp_path / "pack", fingerprint, "A note about Zebedee Quartermaine this year.")
    result = audit_reports(tmp_path / "pack", tmp_path / "data")
    assert any(f.kind == "name" for f in result.findings), result.lines()


def test_a_clean_year_page_passes(tmp_path):
    fingerprint = _year_data(tmp_path / "data")
    _page(tmp_path / "pack", fingerprint, "Attendance rose this year.")
    result = audit_reports(tmp_path / "pack", tmp_path / "data")
    assert result.passed, result.lines()
