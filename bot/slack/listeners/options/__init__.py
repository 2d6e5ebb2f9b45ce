from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.render import ids
from bot.slack.listeners.options import targets

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.options(ids.TARGET_SELECT)(targets.handler(svc))
