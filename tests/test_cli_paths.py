"""Path arguments work the same from Windows' cmd and PowerShell, which leave ``~`` to the
program (issue 14.1, Windows)."""

from __future__ import annotations

from pathlib import Path

from dspl_eval import cli


def test_a_tilde_is_expanded_by_the_program(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # what Windows' expanduser reads
    args = cli._parser().parse_args(
        ["run", "--term", "2023-24-autumn", "--data", "~/send-data", "--settings", "~/s.toml"]
    )
    assert args.data == tmp_path / "send-data"
    assert args.settings == tmp_path / "s.toml"
    args = cli._parser().parse_args(["init", "--data", "~/send-data"])
    assert args.data == tmp_path / "send-data"


def test_a_plain_relative_path_stays_relative():
    args = cli._parser().parse_args(["ingest", "--term", "2023-24-autumn", "--data", "data"])
    assert args.data == Path("data")
