"""What each `motive-bot serve --role` cannot start without is declared by the settings model
(`Settings.for_role`): the settings are read from the environment as the process reads them,
and a role missing something is refused with the one line naming every variable to set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import NEEDS, ROLES, MissingSettings, Settings, SettingsError, load_settings

BOT_TOKEN = "SLACK_BOT_TOKEN"
INBOUND = "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN"
MOTIVE_KEY = "MOTIVE_API_KEY"
EVERYTHING = f"needs {BOT_TOKEN}, {INBOUND}, {MOTIVE_KEY} (see README.md)"


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """The process's environment with no Slack or Motive setting, in a folder with no .env."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "MOTIVE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def _read(environ: pytest.MonkeyPatch, **values: str) -> Settings:
    for name, value in values.items():
        environ.setenv(name, value)
    return load_settings()  # as `motive-bot serve` reads them: the environment, then .env


def test_every_role_is_declared_and_needs_the_same_three_as_before() -> None:
    declared = {role: [need.names for need in NEEDS if role in need.roles] for role in ROLES}
    assert declared == {
        "all": [BOT_TOKEN, INBOUND, MOTIVE_KEY],
        "web": [BOT_TOKEN, INBOUND, MOTIVE_KEY],
        "worker": [BOT_TOKEN, INBOUND, MOTIVE_KEY],
    }


def test_the_roles_are_the_ones_serve_offers() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    serve = sub.choices["serve"]
    role = next(a for a in serve._actions if a.dest == "role")
    assert tuple(role.choices) == ROLES


@pytest.mark.parametrize("role", ROLES)
def test_nothing_set_names_every_variable_in_one_line(
    environ: pytest.MonkeyPatch, role: str
) -> None:
    settings = _read(environ)
    with pytest.raises(MissingSettings) as refused:
        settings.for_role(role)
    assert str(refused.value) == EVERYTHING
    assert (refused.value.role, refused.value.missing) == (role, (BOT_TOKEN, INBOUND, MOTIVE_KEY))
    assert isinstance(refused.value, SettingsError)  # settings that cannot be used, like the rest


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "inbound", ["SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"], ids=["http", "socket-mode"]
)
def test_a_role_with_what_it_needs_gets_its_settings_back(
    environ: pytest.MonkeyPatch, role: str, inbound: str
) -> None:
    settings = _read(
        environ, SLACK_BOT_TOKEN="xoxb-role", **{inbound: "role-secret"}, MOTIVE_API_KEY="key"
    )
    assert settings.for_role(role) is settings


MISSING_ONE = [
    ("SLACK_BOT_TOKEN", BOT_TOKEN),
    ("SLACK_SIGNING_SECRET", INBOUND),
    ("MOTIVE_API_KEY", MOTIVE_KEY),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("unset", "named"), MISSING_ONE, ids=[u for u, _ in MISSING_ONE])
def test_one_missing_is_named_alone(
    environ: pytest.MonkeyPatch, role: str, unset: str, named: str
) -> None:
    values = {"SLACK_BOT_TOKEN": "xoxb-role", "SLACK_SIGNING_SECRET": "s", "MOTIVE_API_KEY": "k"}
    del values[unset]
    settings = _read(environ, **values)
    with pytest.raises(MissingSettings) as refused:
        settings.for_role(role)
    assert str(refused.value) == f"needs {named} (see README.md)"
    assert refused.value.missing == (named,)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_real_motive_needs_a_key(environ: pytest.MonkeyPatch, role: str) -> None:
    slack = {"SLACK_BOT_TOKEN": "xoxb-role", "SLACK_SIGNING_SECRET": "s"}
    simulator = _read(environ, **slack, MOTIVE_API_URL="http://127.0.0.1:8787")
    assert simulator.for_role(role) is simulator
    for real in ("https://api.gomotive.com", "https://api.gomotive.com/v1"):
        settings = _read(environ, MOTIVE_API_URL=real)  # the Slack settings are still set
        with pytest.raises(MissingSettings) as refused:
            settings.for_role(role)
        assert refused.value.missing == (MOTIVE_KEY,), real


def test_a_role_serve_does_not_offer_is_an_error(environ: pytest.MonkeyPatch) -> None:
    settings = _read(environ, SLACK_BOT_TOKEN="xoxb-role", SLACK_APP_TOKEN="a", MOTIVE_API_KEY="k")
    with pytest.raises(ValueError, match="'scheduler' is not a role: one of all, web, worker"):
        settings.for_role("scheduler")


def test_a_dotenv_file_counts_as_the_process_reads_it(environ: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nMOTIVE_API_KEY=k\n")
    settings = _read(environ, SLACK_APP_TOKEN="xapp-role")
    assert settings.for_role("web") is settings
    Path(".env").write_text("MOTIVE_API_KEY=k\n")
    environ.delenv("SLACK_APP_TOKEN")
    with pytest.raises(MissingSettings) as refused:
        _read(environ).for_role("worker")
    assert refused.value.missing == (BOT_TOKEN, INBOUND)
