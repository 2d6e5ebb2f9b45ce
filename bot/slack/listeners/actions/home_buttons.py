"""The Home tab's buttons: open the recall or the snapshot form."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.home import HOME_OPEN_RECALL, HOME_OPEN_SNAPSHOT
from bot.slack.listeners.forms import open_form_for_dm

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.action(HOME_OPEN_RECALL)(partial(clicked, svc, "recall"))
    app.action(HOME_OPEN_SNAPSHOT)(partial(clicked, svc, "snapshot"))


async def clicked(
    svc: Services,
    form: Literal["recall", "snapshot"],
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
) -> None:
    await ack()
    open_form_for_dm(svc, client, body, form)
