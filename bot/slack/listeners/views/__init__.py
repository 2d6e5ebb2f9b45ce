from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.render.modals import RECALL_CALLBACK, SNAPSHOT_CALLBACK
from bot.slack.listeners.views import recall_submit, snapshot_submit

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.view(RECALL_CALLBACK)(recall_submit.handler(svc))
    app.view(SNAPSHOT_CALLBACK)(snapshot_submit.handler(svc))
