from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.commands import recall, snapshot

if TYPE_CHECKING:
    from bot.services import Services

RECALL, SNAPSHOT = "/recall", "/snapshot"  # as in manifest.yml
COMMANDS = frozenset({RECALL, SNAPSHOT})


def register(app: AsyncApp, svc: Services) -> None:
    app.command(RECALL)(recall.handler(svc))
    app.command(SNAPSHOT)(snapshot.handler(svc))
