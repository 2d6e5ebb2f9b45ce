from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.options import targets


def register(app: AsyncApp, svc: Services) -> None:
    app.options(ids.TARGET_SELECT)(targets.handler(svc))
