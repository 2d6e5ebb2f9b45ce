from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.listeners.views import recall_submit, snapshot_submit
from bot.slack.modals import RECALL_CALLBACK, SNAPSHOT_CALLBACK


def register(app: AsyncApp, svc: Services) -> None:
    app.view(RECALL_CALLBACK)(recall_submit.handler(svc))
    app.view(SNAPSHOT_CALLBACK)(snapshot_submit.handler(svc))
