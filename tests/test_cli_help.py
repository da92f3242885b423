"""Every option of every subcommand has help text with an example, and every subcommand's
help ends with examples (issue 14.5)."""

from __future__ import annotations

import argparse

import pytest

from dspl_eval import cli


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


COMMANDS = sorted(_subcommands())


def test_every_command_is_there():
    assert set(COMMANDS) - {"year"} == {  # year: issue 15, added beside these
        "init",
        "demo",
        "ingest",
        "run",
        "template",
        "validate",
        "audit",
        "lab",
    }


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_with_an_example(name):
    parser = _subcommands()[name]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        label = "/".join(action.option_strings) or action.dest
        assert action.help, f"dspl-eval {name} {label} has no help text"
        assert "e.g." in action.help, f"dspl-eval {name} {label}: no example in {action.help!r}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_ends_with_examples(name, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main([name, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    examples = out.split("examples:", 1)[1].strip().splitlines()
    assert examples and all(line.strip().startswith("dspl-eval ") or "dspl-eval" in line
                            for line in examples)  # fmt: skip
    # the help shows every option's text (argparse expands %(default)s without error)
    assert "%(" not in out


def test_top_level_help_lists_the_commands_with_examples(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"    {name}" in out
    assert "examples:" in out and "dspl-eval run --term 2024-25-autumn" in out


def test_the_term_help_explains_the_name():
    run = _subcommands()["run"]
    (term,) = [a for a in run._actions if "--term" in a.option_strings]
    assert "YYYY-YY-autumn|spring|summer" in term.help and "2024-25-autumn" in term.help
