"""Events API listeners. Events are acked by Bolt when their listener returns, so a listener here
hands anything slow to `after_ack` and returns at once, like every other listener.

Listeners for specific events go before `ignore_the_rest`: Bolt runs the first that matches."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.events import app_home_opened

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


async def ignore_the_rest(event: dict[str, Any]) -> None:
    # A 200 for an event nobody here handles: a 404 would only make Slack retry it.
    log.info("ignored a %s event", event.get("type", "?"))


def register(app: AsyncApp, svc: Services) -> None:
    app.event("app_home_opened")(app_home_opened.handler(svc))
    app.event(re.compile(".*"))(ignore_the_rest)
