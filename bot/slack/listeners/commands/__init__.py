from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.listeners.commands import recall, snapshot


def register(app: AsyncApp, svc: Services) -> None:
    app.command("/recall")(recall.handler(svc))
    app.command("/snapshot")(snapshot.handler(svc))
