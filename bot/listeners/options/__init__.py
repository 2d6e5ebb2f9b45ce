from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners.options import targets
from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.options("target_select")(targets.handler(svc))
