"""Payloads as Slack sends them, for every kind of request the bot receives.

Written by us from Slack's reference pages (docs.slack.dev/reference/interaction-payloads:
block_actions, view_submission, block_suggestion, shortcut and message_action payloads; the
slash-command reference; the Events API envelope and app_home_opened; "Apps for Enterprise
organizations" for org-wide installs) and checked against the shapes in bolt-python's own test
fixtures. Every field Slack sends is here, in three variants of where the request comes from:

- `workspace`: an ordinary workspace. Interactions carry `"enterprise": null` and
  `"is_enterprise_install": false`; events carry `authorizations` with `"enterprise_id": null`.
- `grid`: a workspace of an Enterprise Grid org, the app installed on that workspace: the team
  names its org (`enterprise_id`, `enterprise_name`) and `enterprise` is the org.
- `org`: an org-wide install: `"is_enterprise_install": true`, and where Slack says the team
  can be null (modals and the Home tab of an org-wide app; bolt-python reads the team from
  `user.team_id` or `view.team_id` then) it is null.

Nothing here reads the bot's code: ids are written as Slack would echo them back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TEAM = "T0FLEET"
ORG = "E0FLEET"
APP_ID = "A0MOTIVE"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
DISPATCHER = "U0DISPATCH"
CHANNEL = "C0DISPATCH"
INSTALLS = ("workspace", "grid", "org")


@dataclass(frozen=True)
class Install:
    """Where a request comes from: an ordinary workspace, a Grid workspace, an org-wide install."""

    name: str
    team_id: str = TEAM
    enterprise_id: str = ORG
    user: str = DISPATCHER

    @property
    def grid(self) -> bool:
        return self.name != "workspace"

    @property
    def org_wide(self) -> bool:
        return self.name == "org"

    def team(self, *, may_be_null: bool = False) -> dict[str, Any] | None:
        if self.org_wide and may_be_null:
            return None
        team: dict[str, Any] = {"id": self.team_id, "domain": "fleet"}
        if self.grid:
            team.update(enterprise_id=self.enterprise_id, enterprise_name="Fleet Org")
        return team

    def enterprise(self) -> dict[str, Any] | None:
        return {"id": self.enterprise_id, "name": "Fleet Org"} if self.grid else None

    def user_object(self) -> dict[str, Any]:
        return {
            "id": self.user,
            "username": "dispatcher",
            "name": "dispatcher",
            "team_id": self.team_id,
        }

    def interaction(self, kind: str, *, team_may_be_null: bool = False) -> dict[str, Any]:
        """The fields every interaction payload carries."""
        return {
            "type": kind,
            "token": "legacy-verification-token",
            "api_app_id": APP_ID,
            "team": self.team(may_be_null=team_may_be_null),
            "user": self.user_object(),
            "enterprise": self.enterprise(),
            "is_enterprise_install": self.org_wide,
        }

    def authorization(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id if self.grid else None,
            "team_id": None if self.org_wide else self.team_id,
            "user_id": BOT_USER,
            "is_bot": True,
            "is_enterprise_install": self.org_wide,
        }


def install(name: str, **fields: str) -> Install:
    return Install(name, **fields)


# --- slash commands ---------------------------------------------------------------------------


def command_fields(
    where: Install, command: str, text: str, *, response_url: str, trigger_id: str
) -> dict[str, str]:
    """A slash command's form fields (the slash-command reference's list, in its order)."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": where.team_id,
        "team_domain": "fleet",
    }
    if where.grid:
        fields.update(enterprise_id=where.enterprise_id, enterprise_name="Fleet Org")
    fields.update(
        {
            "channel_id": CHANNEL,
            "channel_name": "dispatch",
            "user_id": where.user,
            "user_name": "dispatcher",
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "true" if where.org_wide else "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )
    return fields


def command_body(fields: dict[str, str]) -> str:
    return urlencode(fields)


def interaction_body(payload: dict[str, Any]) -> str:
    """An interaction as Slack posts it: the JSON in a `payload` form field."""
    return urlencode({"payload": json.dumps(payload)})


# --- views as Slack echoes them back ------------------------------------------------------------


def view_as_sent(
    where: Install, opened: dict[str, Any], values: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A view the bot opened, as Slack puts it in a payload: Slack's own fields around it, and
    the state of its inputs (`values`: block id -> action id -> element state)."""
    view_id = str(opened.get("id", "V0VIEW"))
    return {
        "id": view_id,
        "team_id": where.team_id,
        "type": opened.get("type", "modal"),
        "blocks": opened.get("blocks", []),
        "private_metadata": opened.get("private_metadata", ""),
        "callback_id": opened.get("callback_id", ""),
        "state": {"values": values or {}},
        "hash": opened.get("hash", "1700000000.abcdef"),
        "title": opened.get("title", {"type": "plain_text", "text": "View", "emoji": True}),
        "clear_on_close": False,
        "notify_on_close": False,
        "close": opened.get("close"),
        "submit": opened.get("submit"),
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": where.team_id,
        "bot_id": BOT_ID,
    }


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": option(value)}


def static(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": option(value)}


def external(value: str) -> dict[str, Any]:
    return {"type": "external_select", "selected_option": option(value)}


def datetime_picked(stamp: int) -> dict[str, Any]:
    # An integer: Slack's datetimepicker state is seconds since the epoch, not a string.
    return {"type": "datetimepicker", "selected_date_time": stamp}


def checkboxes(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [option(v) for v in values]}


def text_input(value: str | None) -> dict[str, Any]:
    # An input left empty is sent with a null value.
    return {"type": "plain_text_input", "value": value}


# --- interactions -----------------------------------------------------------------------------


def view_action(
    where: Install, view: dict[str, Any], action: dict[str, Any], *, trigger_id: str
) -> dict[str, Any]:
    """block_actions from an input in a modal (dispatch_action) or a button on the Home tab."""
    payload = where.interaction("block_actions", team_may_be_null=True)
    payload.update(
        container={"type": "view", "view_id": view["id"]},
        trigger_id=trigger_id,
        view=view,
        actions=[{**action, "action_ts": "1763740800.123456"}],
    )
    return payload


def message_action_payload(
    where: Install,
    message: dict[str, Any],
    action: dict[str, Any],
    *,
    response_url: str,
    trigger_id: str,
    channel: str = CHANNEL,
) -> dict[str, Any]:
    """block_actions from a button on a message the bot posted."""
    payload = where.interaction("block_actions")
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    payload.update(
        container=container,
        trigger_id=trigger_id,
        channel={"id": channel, "name": "dispatch"},
        message=message,
        state={"values": {}},
        response_url=response_url,
        actions=[{**action, "action_ts": "1763740800.123456"}],
    )
    return payload


def button(action_id: str, value: str, block_id: str, text: str) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "type": "button",
    }


def view_submission(where: Install, view: dict[str, Any], *, trigger_id: str) -> dict[str, Any]:
    payload = where.interaction("view_submission", team_may_be_null=True)
    payload.update(trigger_id=trigger_id, view=view, response_urls=[])
    return payload


def block_suggestion(
    where: Install, view: dict[str, Any], *, action_id: str, block_id: str, value: str
) -> dict[str, Any]:
    payload = where.interaction("block_suggestion", team_may_be_null=True)
    payload.update(
        container={"type": "view", "view_id": view["id"]},
        action_id=action_id,
        block_id=block_id,
        value=value,
        view=view,
    )
    return payload


def global_shortcut(where: Install, callback_id: str, *, trigger_id: str) -> dict[str, Any]:
    payload = where.interaction("shortcut")
    payload.update(callback_id=callback_id, trigger_id=trigger_id, action_ts="1763740800.123456")
    return payload


def message_shortcut(
    where: Install,
    callback_id: str,
    message: dict[str, Any],
    *,
    response_url: str,
    trigger_id: str,
    channel: str = CHANNEL,
) -> dict[str, Any]:
    payload = where.interaction("message_action")
    payload.update(
        callback_id=callback_id,
        trigger_id=trigger_id,
        action_ts="1763740800.123456",
        response_url=response_url,
        channel={"id": channel, "name": "dispatch"},
        message_ts=message["ts"],
        message=message,
    )
    return payload


# Messages as a message shortcut carries them: the shapes a dispatcher's ⋮ menu meets.


def plain_message(where: Install, text: str, ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "user": "U0ALERTS",
        "text": text,
        "ts": ts,
        "team": where.team_id,
        "client_msg_id": "8d4f1e0e-6a7b-4a1d-9a51-2d1b1c0e7f00",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "b1Xy",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ],
    }


def thread_reply(where: Install, text: str, ts: str, parent_ts: str) -> dict[str, Any]:
    return {
        **plain_message(where, text, ts),
        "thread_ts": parent_ts,
        "parent_user_id": "U0ALERTS",
    }


def edited_message(where: Install, text: str, ts: str) -> dict[str, Any]:
    return {**plain_message(where, text, ts), "edited": {"user": "U0ALERTS", "ts": ts[:-3] + "999"}}


def message_with_files(where: Install, text: str, ts: str) -> dict[str, Any]:
    return {
        **plain_message(where, text, ts),
        "upload": True,
        "display_as_bot": False,
        "files": [
            {
                "id": "F0PHOTO",
                "created": int(float(ts)),
                "timestamp": int(float(ts)),
                "name": "dent.jpg",
                "title": "dent.jpg",
                "mimetype": "image/jpeg",
                "filetype": "jpg",
                "pretty_type": "JPEG",
                "user": "U0ALERTS",
                "user_team": where.team_id,
                "editable": False,
                "size": 2059,
                "mode": "hosted",
                "is_external": False,
                "external_type": "",
                "is_public": True,
                "public_url_shared": False,
                "display_as_bot": False,
                "username": "",
                "url_private": "https://files.slack.com/files-pri/T0FLEET-F0PHOTO/dent.jpg",
                "permalink": "https://fleet.slack.com/files/U0ALERTS/F0PHOTO/dent.jpg",
            }
        ],
    }


def bot_message(where: Install, text: str, ts: str) -> dict[str, Any]:
    """A message another integration posted (a telematics alert): no `user`, a `bot_id`."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "ts": ts,
        "bot_id": "B0ALERTS",
        "username": "Fleet alerts",
        "icons": {"emoji": ":rotating_light:"},
        "bot_profile": {
            "id": "B0ALERTS",
            "deleted": False,
            "name": "Fleet alerts",
            "updated": 1700000000,
            "app_id": "A0ALERTS",
            "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
            "team_id": where.team_id,
        },
        "blocks": [],
    }


MESSAGE_SHAPES = {
    "plain": plain_message,
    "edited": edited_message,
    "files": message_with_files,
    "bot": bot_message,
}


# --- events -----------------------------------------------------------------------------------


def event_callback(
    where: Install,
    event: dict[str, Any],
    *,
    event_id: str,
    event_time: int,
    authorizations: bool = True,
) -> dict[str, Any]:
    """The Events API envelope around `event`."""
    body: dict[str, Any] = {
        "token": "legacy-verification-token",
        "team_id": where.team_id,
        "context_team_id": where.team_id,
        "context_enterprise_id": where.enterprise_id if where.grid else None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6ImFwcF9ob21lX29wZW5lZCIsInRpZCI6IlQwRkxFRVQifQ",
    }
    if where.grid:
        body["enterprise_id"] = where.enterprise_id
    if authorizations:
        body["authorizations"] = [where.authorization()]
    return body


def app_home_opened(
    where: Install, *, tab: str, event_ts: str, view: dict[str, Any] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": where.user,
        "channel": "D0DISPATCH",
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:  # a Home tab published before comes back with the event
        event["view"] = view
    return event
