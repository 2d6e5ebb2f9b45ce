"""The global shortcut: the recall form, from anywhere in Slack; the result goes to the DM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.slack.listeners.forms import open_recall_form
from bot.slack.listeners.replies import via_origin
from bot.slack.modals import Origin


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    async def shortcut(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = str(shortcut["user"]["id"])
        origin = Origin(channel="", user=user)
        reply = via_origin(svc, "", user, None)
        open_recall_form(svc, client, str(shortcut["trigger_id"]), origin, reply)

    return shortcut
