"""All Slack listeners; each folder wires its own with `register(app, svc)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, options, shortcuts, views

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    commands.register(app, svc)
    views.register(app, svc)
    actions.register(app, svc)
    options.register(app, svc)
    shortcuts.register(app, svc)
    events.register(app, svc)  # last: it ends with a catch-all
