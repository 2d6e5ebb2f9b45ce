"""Requests as Slack sends them: slash-command and interaction bodies, signed with the app's
signing secret (`X-Slack-Signature`, `X-Slack-Request-Timestamp`).

The one signer for the console, the tests and the benchmarks. Bodies and headers are separate
steps so that a load generator can build and sign its requests before the clock starts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM = "T0FLEET"
APP_ID = "A0MOTIVE"
DISPATCHER = "U0DISPATCH"
DISPATCH_CHANNEL = "C0DISPATCH"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Signer:
    secret: str

    def headers(
        self, body: str, *, timestamp: int | None = None, content_type: str = FORM
    ) -> dict[str, str]:
        """Slack's signature headers for `body`, stamped now (Bolt refuses a stamp over 5 minutes
        old, so this is the wall clock, as Slack's own is) unless `timestamp` is given."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": str(signature),
            "Content-Type": content_type,
        }

    def sign(self, body: str) -> tuple[str, dict[str, str]]:
        return body, self.headers(body)


def command_body(
    command: str,
    text: str,
    *,
    response_url: str,
    trigger_id: str,
    user: str = DISPATCHER,
    channel: str = DISPATCH_CHANNEL,
    channel_name: str = "dispatch",
) -> str:
    """A slash command's form body, with the fields Slack sends."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "fleet",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": "dispatcher",
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": trigger_id,
            "api_app_id": APP_ID,
        }
    )


def interaction_body(payload: dict[str, Any], *, user: str = DISPATCHER) -> str:
    """An interaction (block_actions, view_submission, block_suggestion) as Slack posts it: the
    JSON payload in a `payload` form field, with the team, user and app filled in if absent."""
    full = {"team": {"id": TEAM}, "user": {"id": user}, "api_app_id": APP_ID, "token": "legacy"}
    full.update(payload)
    return urlencode({"payload": json.dumps(full)})


def event_body(event: dict[str, Any], *, event_id: str, event_time: int) -> str:
    """An Events API delivery (`event_callback`), JSON as Slack posts it."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": event_time,
            "event": event,
        }
    )
