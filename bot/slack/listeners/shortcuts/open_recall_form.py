"""The global shortcut: the recall form, from anywhere in Slack; the result goes to the DM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.listeners.forms import open_form_for_dm

if TYPE_CHECKING:
    from bot.services import Services


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(shortcut_used, svc)


async def shortcut_used(
    svc: Services, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    open_form_for_dm(svc, client, shortcut, "recall")
