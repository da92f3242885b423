"""``dspl-eval ingest`` and ``dspl-eval validate``: exit codes, one clear line, no traceback.

A few tests run the installed entry point in a subprocess (what an analyst types); the
rest call ``cli.main`` in-process, which is the same code without the start-up cost.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dspl_eval import cli


def _load_returns():
    path = Path(__file__).resolve().parent / "fixtures" / "returns.py"
    spec = importlib.util.spec_from_file_location("dspl_eval_test_returns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_returns()
TERM = R.TERM
SECRET = "a test key that is long enough, not secret"
EXE = Path(sys.executable).with_name("dspl-eval")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A key in the environment and an empty home (no key file), here and for subprocesses."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DSPL_EVAL_KEY", SECRET)
    monkeypatch.delenv("DSPL_EVAL_KEY_FILE", raising=False)
    return dict(os.environ)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    assert EXE.is_file(), f"the dspl-eval entry point is not installed next to {sys.executable}"
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _bad_files(folder: Path) -> dict[str, str]:
    (folder / "empty.csv").write_bytes(b"")
    (folder / "random.xlsx").write_bytes(np.random.default_rng(3).bytes(2048))
    (folder / "undecodable.csv").write_bytes(b"UPN,School,Year\r\n\x81\x8d\x90,\x9d,6\r\n")
    R.write_csv(
        folder / "missing columns.csv",
        [["UPN", "School", "Pupil name"], [R.UPNS[0], "Oakfield", "X"]],
    )
    return {
        "empty.csv": "empty.csv: the file is empty",
        "random.xlsx": "random.xlsx: cannot be read as a spreadsheet",
        "undecodable.csv": "undecodable.csv: cannot be decoded",
        # identifying headers (names) are dropped on receipt, so they are not "found"
        "missing columns.csv": "missing required column(s) year_group, referral_date "
        "(found 'UPN', 'School')",
    }


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# ----------------------------------------------------------------------------- validate


def test_validate_messy_return_subprocess(tmp_path, env):
    path = R.write_messy_ebsa(tmp_path / R.MESSY_FILE)
    before = _digest(path)
    done = _run("validate", str(path), "--initiative", "ebsa", env=env)
    assert done.returncode == 1
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[-1] == "9 of 13 rows need attention"
    assert (
        "Oakfield.xlsx, sheet 'Return', row 10, column 'Referral date': '31/02/2024' — "
        "expected a real date, day first (dd/mm/yyyy)"
    ) in lines
    assert _digest(path) == before  # validate never modifies the return
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([R.MESSY_FILE, "home"])


def test_validate_clean_return_subprocess(tmp_path, env):
    path = R.write_zephyr(tmp_path / R.ZEPHYR_FILE)
    done = _run("validate", str(path), "--initiative", "ebsa", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1].startswith("ready to send: 2 rows checked")


def test_validate_unreadable_return_subprocess(tmp_path, env):
    _bad_files(tmp_path)
    done = _run("validate", str(tmp_path / "random.xlsx"), "--initiative", "ebsa", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout.splitlines()[0].startswith("random.xlsx: cannot be read as a spreadsheet")


def test_validate_every_bad_file_one_line_exit_1(tmp_path, env, capsys):
    expected = _bad_files(tmp_path)
    (tmp_path / "missing.xlsx").unlink(missing_ok=True)
    expected["missing.xlsx"] = "missing.xlsx: file not found"
    for name, message in expected.items():
        code = cli.main(["validate", str(tmp_path / name), "--initiative", "ebsa"])
        out = capsys.readouterr()
        assert code == 1, name
        assert "Traceback" not in out.out + out.err
        first, verdict = out.out.splitlines()
        assert message in first, first
        assert verdict == "cannot be used: fix the file and check it again"


def test_validate_unknown_initiative_is_a_usage_error(tmp_path, env, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["validate", str(tmp_path / "x.xlsx"), "--initiative", "drama"])
    assert caught.value.code == 2
    assert "invalid choice: 'drama'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- ingest


def test_ingest_term_with_bad_files_subprocess(tmp_path, env):
    data = tmp_path / "data"
    folder = R.write_term(data)
    expected = _bad_files(folder)
    done = _run("ingest", "--term", TERM, "--data", str(data), env=env)
    assert done.returncode == 1  # some files could not be read ...
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == f"{TERM}: pseudonymised with the DSPL_EVAL_KEY environment variable"
    for name, message in expected.items():
        mine = [line for line in lines if f" {name}: " in line]
        assert len(mine) == 1, (name, lines)
        assert "NOT READ — " in mine[0] and message in mine[0]
    # ... and the other files of the term were still ingested
    assert (
        f"  ebsa     {R.MESSY_FILE}: read 13, kept 4, quarantined 9 (sheet 'Return', header row 4)"
    ) in lines
    assert (
        f"  ebsa     {R.WESTMOOR_FILE}: read 3, kept 2, quarantined 1 (sheet '(csv)', header row 2)"
    ) in lines
    assert lines[-1] == f"written to {data / 'processed' / TERM}"
    report = json.loads((data / "processed" / TERM / "validation.json").read_text())
    assert report["totals"]["ebsa"]["rows_kept"] == 8
    assert report["totals"]["ebsa"]["files_failed"] == len(expected)
    assert (data / "processed" / TERM / "ebsa.parquet").is_file()


def test_ingest_clean_term_exits_0(tmp_path, env, capsys):
    data = tmp_path / "data"
    R.write_term(data)
    assert cli.main(["ingest", "--term", TERM, "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"{R.ZEPHYR_FILE}: read 2, kept 2, quarantined 0" in out
    assert "NOT READ" not in out


def test_ingest_without_a_key_subprocess(tmp_path, env):
    data = tmp_path / "data"
    R.write_term(data)
    del env["DSPL_EVAL_KEY"]
    done = _run("ingest", "--term", TERM, "--data", str(data), env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("dspl-eval ingest: no pseudonymisation key: run `dspl-eval init`")
    assert not (data / "processed" / TERM / "ebsa.parquet").exists()


@pytest.mark.parametrize(
    ("term", "message", "code"),
    [
        ("autumn-2023", "is not of the form YYYY-YY-autumn|spring|summer", 2),  # usage error
        ("2023-25-autumn", "is not of the form", 2),
        ("2022-23-summer", "no returns for 2022-23-summer", 1),
    ],
)
def test_ingest_bad_term_one_line(tmp_path, env, capsys, term, message, code):
    data = tmp_path / "data"
    R.write_term(data)
    assert cli.main(["ingest", "--term", term, "--data", str(data)]) == code
    out = capsys.readouterr()
    (line,) = out.err.splitlines()
    assert line.startswith("dspl-eval ingest: ") and message in line
    assert "Traceback" not in out.err + out.out


def test_ingest_with_demo_marker_says_demo_key(tmp_path, env, capsys, monkeypatch):
    monkeypatch.delenv("DSPL_EVAL_KEY")
    data = tmp_path / "data"
    R.write_term(data)
    (data / "raw" / "DEMO_DATA.txt").write_text("synthetic")
    assert cli.main(["ingest", "--term", TERM, "--data", str(data)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "DEMO" in first
    report = json.loads((data / "processed" / TERM / "validation.json").read_text())
    assert "DEMO" in report["pseudonymisation_key"]
