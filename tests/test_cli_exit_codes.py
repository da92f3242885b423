"""Exit statuses follow the CLI contract (DESIGN.md): 2 for a usage or settings error,
1 for a data problem, 130 when interrupted, and each error is one line on stderr
(issue 14.5: ``template --out x.csv`` is a usage error, not a failure)."""

from __future__ import annotations

import pytest

from dspl_eval import cli, runner

TERM = "2023-24-autumn"


def _one_line(capsys, command: str) -> str:
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    (line,) = out.err.splitlines()
    assert line.startswith(f"dspl-eval {command}: "), line
    return line


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["template", "ebsa", "--out", "{tmp}/x.csv"], "--out x.csv: a template is an Excel"),
        (["template", "ebsa", "--out", "{tmp}/x"], "--out x: a template is an Excel"),
        (["template", "ebsa", "--out", "{tmp}/x.xlsx", "--term", "autumn"], "is not of the form"),
        (
            ["run", "--term", TERM, "--threshold", "1"],
            "--threshold '1': expected a whole number ≥ 2",
        ),
        (["run", "--term", TERM, "--jobs", "many"], "--jobs 'many'"),
    ],
)
def test_bad_argument_values_exit_2_and_do_nothing(argv, words, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(argv) == 2
    assert words in _one_line(capsys, argv[0])
    assert list(tmp_path.iterdir()) == []  # no file written


def test_a_template_into_a_folder_is_fine(tmp_path, capsys):
    assert cli.main(["template", "ebsa", "--out", str(tmp_path)]) == 0
    assert [p.suffix for p in tmp_path.iterdir()] == [".xlsx"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["validate", "x.xlsx", "--initiative", "drama"], "invalid choice: 'drama'"),
        (["run", "--term", TERM, "--colour", "red"], "unrecognized arguments: --colour red"),
        (["run"], "the following arguments are required: --term"),
        (["template", "ebsa"], "the following arguments are required: --out"),
        (["audit"], "the following arguments are required: report_dir"),
    ],
)
def test_argparse_errors_exit_2_in_one_line(argv, words, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    line = _one_line(capsys, argv[0])
    assert words in line and line.endswith(f"(see dspl-eval {argv[0]} --help)")


def test_no_command_exits_2(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main([])
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("dspl-eval: ") and "required: command" in line


def test_a_data_problem_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DSPL_EVAL_KEY", "a test key that is long enough")
    (tmp_path / "raw").mkdir()
    assert cli.main(["ingest", "--term", TERM, "--data", str(tmp_path)]) == 1
    assert f"no returns for {TERM}" in _one_line(capsys, "ingest")
    assert cli.main(["validate", str(tmp_path / "missing.xlsx"), "--initiative", "ebsa"]) == 1


def test_an_interrupt_exits_130_with_one_line(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_term", interrupted)
    assert (
        cli.main(["run", "--term", TERM, "--data", str(tmp_path), "--reports", str(tmp_path)])
        == 130
    )
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"interrupted: nothing of {TERM}'s commissioner edition was published; it had no pack yet"
    )
    monkeypatch.setattr(runner, "run_demo", interrupted)
    assert cli.main(["demo", "--data", str(tmp_path), "--reports", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted: nothing was published"


def test_a_terminal_that_cannot_show_the_message_still_gets_one_line(tmp_path):
    """Windows: stderr redirected to a cp1252 file cannot encode ≥; the program must not
    die of a UnicodeEncodeError instead of saying what was wrong."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from dspl_eval.cli import console; sys.exit(console())",
         "run", "--term", TERM, "--threshold", "1", "--data", str(tmp_path)],
        capture_output=True, env={**os.environ, "PYTHONIOENCODING": "cp1252"}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    (line,) = done.stderr.decode("cp1252").splitlines()
    assert line == "dspl-eval run: --threshold '1': expected a whole number ? 2"
