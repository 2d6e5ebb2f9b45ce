"""`motive-bot --help` names every command, and each command's help every option with its
help text and its default."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse offers no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {k}": v for k, v in _commands(sub).items()})
    return found


COMMANDS = _commands(build_parser())


def test_the_top_help_lists_every_command_with_what_it_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    top = [name for name in COMMANDS if " " not in name]
    assert top == ["serve", "console", "simulator", "migrate", "audit", "policy", "doctor"]
    listed = "\n" + text.split("\n  COMMAND\n", 1)[1]  # below the heading
    for name in top:
        assert f"\n    {name} " in listed or f"\n    {name}\n" in listed, name
    # The description named four of the seven as if they were all there is.
    description = build_parser().description or ""
    named = [name for name in top if name in description]
    assert named in ([], top), named


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help_and_its_default(name: str) -> None:
    parser = COMMANDS[name]
    assert parser.description, name
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        assert action.help, f"{name} {action.dest} has no help"
        shown = action.default not in (None, False, [])
        if action.option_strings and shown:
            assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)


def test_the_options_people_asked_about_say_what_they_do() -> None:
    serve = " ".join(COMMANDS["serve"].format_help().split())
    assert "--role {all,web,worker} web answers Slack and webhooks, worker runs the poller" in serve
    assert "(default: all)" in serve
    sim = " ".join(COMMANDS["simulator"].format_help().split())
    assert "--port PORT the port to listen on (default: 8787)" in sim
