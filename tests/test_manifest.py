"""manifest.yml against Slack's own JSON schema, and against what the code uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.offline.fakeslack import SLACK_SPEC
from bot.slack.listeners import commands, shortcuts

ROOT = Path(__file__).resolve().parents[1]


def _schema() -> dict[str, object]:
    path = SLACK_SPEC / "manifest-schema" / "manifest.schema.1.0.0.json"
    return dict(json.loads(path.read_text()))


def _manifest() -> dict[str, object]:
    return dict(yaml.safe_load((ROOT / "manifest.yml").read_text()))


def test_manifest_is_valid_for_slack() -> None:
    jsonschema.validate(_manifest(), _schema())


def test_schema_catches_a_broken_manifest() -> None:
    broken = _manifest()
    broken["display_information"] = {"name": ""}
    try:
        jsonschema.validate(broken, _schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("an empty app name should not validate")


def test_manifest_matches_the_code() -> None:
    m = _manifest()
    features = m["features"]
    assert isinstance(features, dict)
    commands = {c["command"] for c in features["slash_commands"]}
    assert commands == {"/recall", "/snapshot"}
    assert all(
        c["url"].endswith("/slack/events") and c["usage_hint"] for c in features["slash_commands"]
    )
    scopes = set(m["oauth_config"]["scopes"]["bot"])  # type: ignore[index]
    assert {
        "commands",
        "chat:write",
        "chat:write.public",
        "files:write",
        "users:read",
        "im:write",
    } <= scopes
    interactivity = m["settings"]["interactivity"]  # type: ignore[index]
    assert interactivity["message_menu_options_url"].endswith("/slack/events")


def test_what_the_app_listens_for_is_what_the_manifest_sends() -> None:
    """The commands and shortcuts the app registers are the ones the manifest makes Slack send."""
    features = _manifest()["features"]
    assert isinstance(features, dict)
    assert {c["command"] for c in features["slash_commands"]} == commands.COMMANDS
    assert {s["callback_id"] for s in features["shortcuts"]} == shortcuts.CALLBACK_IDS
