"""Answer a well-signed but malformed interaction payload with a quiet ack, not a 500.

Bolt's matchers read a few payload fields assuming Slack's shapes (`view` a dict, `actions` a
non-empty list of dicts): a payload with `view: null` makes them raise before any listener runs, and even
Bolt's error handler fails on it. Slack never sends such payloads, so this only guards against
broken proxies and hostile senders who hold the signing secret; they get a 200 that does nothing
and one log line.

What Slack documents always passes (tests/support/slack_corpus.py is the test): a null is refused
only where Slack never sends one. Every interaction from an ordinary workspace carries
`"enterprise": null`, and an org-wide install's modals and Home tab carry `"team": null`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

DICT_FIELDS = ("view", "container", "message", "channel", "user", "state")
# Objects Slack sends as null in documented payloads (see the module's docstring); Bolt reads
# both with a null in mind.
NULLABLE_DICT_FIELDS = ("team", "enterprise")
STR_FIELDS = ("type", "action_id", "block_id", "callback_id", "value", "trigger_id", "api_app_id")


def malformed_fields(body: dict[str, Any]) -> list[str]:
    bad = [k for k in DICT_FIELDS if k in body and not isinstance(body[k], dict)]
    bad += [
        k for k in NULLABLE_DICT_FIELDS if body.get(k) is not None and not isinstance(body[k], dict)
    ]
    bad += [k for k in STR_FIELDS if k in body and not isinstance(body[k], str)]
    actions = body.get("actions")
    if "actions" in body and not (
        isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    ):
        bad.append("actions")
    elif body.get("type") == "block_actions" and (
        not actions or not all(isinstance(a.get("action_id"), str) for a in actions)
    ):
        bad.append("actions")  # Bolt reads the first action's id
    view = body.get("view")
    kind = body.get("type")
    if kind in ("view_submission", "view_closed") and not (
        isinstance(view, dict)
        and isinstance(view.get("callback_id"), str)
        and isinstance(view.get("type"), str)
    ):
        bad.append("view")  # Bolt matches views by callback_id and reads their type
    if kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        bad.append("action_id")
    if isinstance(view, dict) and "state" in view and not isinstance(view["state"], dict):
        bad.append("view.state")
    return bad


class PayloadGuard(AsyncMiddleware):
    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        bad = malformed_fields(req.body) if isinstance(req.body, dict) else ["body"]
        if bad:
            # Each field named once, whichever checks it failed.
            log.warning("ignored a Slack payload with malformed %s", ", ".join(dict.fromkeys(bad)))
            return BoltResponse(status=200, body="")
        return await next()
