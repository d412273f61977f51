"""Every command documents itself and every option."""

from __future__ import annotations

import pytest
import typer.main
from _cli_support import invoke

from hopfield_cli import __version__
from hopfield_cli.cli import app

COMMANDS = [command.name or command.callback.__name__ for command in app.registered_commands]


def test_top_level_help_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("train", "corrupt", "recall"):
        assert name in result.stdout


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hopfield-cli {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_for_every_option(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    assert click_command.help
    for param in click_command.params:
        assert param.help, f"{command}: {param.name} has no help text"


def test_no_arguments_shows_help() -> None:
    result = invoke()
    # Click's no_args_is_help: the help on stderr and the usage-error exit code.
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage: hopfield" in result.stderr and "Commands" in result.stderr


def test_entry_point_builds_only_the_named_command() -> None:
    from hopfield_cli.cli import _app_for

    single = _app_for(["recall", "model.npz"])
    assert [c.callback.__name__ for c in single.registered_commands] == ["recall"]
    assert len(app.registered_commands) == len(COMMANDS)  # the shared app is untouched
    assert _app_for(["--help"]) is app and _app_for([]) is app and _app_for(["recal"]) is app


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "hopfield_cli", "recall", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "recall [OPTIONS] {MODEL} {INPUT...}" in done.stdout.splitlines()[0]


def _help(*args: str) -> str:
    from _cli_support import runner

    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_top_level_help_shows_whole_command_lines() -> None:
    from hopfield_cli.cli import _SHORT_HELP

    text = _help()
    commands = text.split("Commands:")[1]
    assert "..." not in commands and "…" not in commands
    for command in COMMANDS:
        assert f"  {command:<8}  {_SHORT_HELP[command]}" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_help_uses_word_metavars_and_one_default_style(command: str) -> None:
    text = _help(command)
    import re

    assert re.search(r"<[a-z]", text) is None  # no <path>, <float>: words
    assert "(default" not in text and "[default: (" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    for param in click_command.params:
        if param.param_type_name == "option" and not param.is_flag:
            assert param.metavar and param.metavar.upper() == param.metavar, (command, param.name)


def test_metavars_name_what_goes_there() -> None:
    text = _help("train")
    for fragment in ("--size SIZE", "--binarize METHOD", "--fit FIT", "--rule RULE", "--limit K"):
        assert fragment in text
    assert "[default: 64]" in text and "[default: exponential]" in text
    assert "One of: hebbian, storkey," in " ".join(text.split())  # choices behind a word metavar stay visible


def test_short_version_flag() -> None:
    result = invoke("-V")
    assert result.exit_code == 0 and result.stdout.strip() == f"hopfield-cli {__version__}"


def test_shell_completion_is_offered() -> None:
    text = _help()
    assert "--install-completion" in text and "--show-completion" in text
    result = invoke("--show-completion", "bash")
    assert result.exit_code == 0
    assert "_HOPFIELD_COMPLETE=complete_bash" in result.stdout


def test_completion_answers_the_shell() -> None:
    import os
    import subprocess
    import sys

    def complete(words: str) -> list[str]:
        env = os.environ | {
            "_HOPFIELD_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
        }
        code = "import sys; sys.argv[0] = 'hopfield'; from hopfield_cli._entry import main; main()"
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("hopfield tr") == ["train"]
    assert complete("hopfield train --fit ") == ["crop", "pad", "stretch"]
