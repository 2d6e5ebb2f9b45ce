"""The Home tab's buttons: open the recall or the snapshot form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.home import HOME_OPEN_RECALL, HOME_OPEN_SNAPSHOT
from bot.slack.listeners.forms import open_form_for_dm

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.action(HOME_OPEN_RECALL)(open_recall(svc))
    app.action(HOME_OPEN_SNAPSHOT)(open_snapshot(svc))


def open_recall(svc: Services) -> Callable[..., Awaitable[None]]:
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        open_form_for_dm(svc, client, body, "recall")

    return clicked


def open_snapshot(svc: Services) -> Callable[..., Awaitable[None]]:
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        open_form_for_dm(svc, client, body, "snapshot")

    return clicked
