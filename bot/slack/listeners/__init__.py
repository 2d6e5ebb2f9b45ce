"""All Slack listeners; each folder wires its own with `register(app, svc)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.fast_ack import EmptyAcks
from bot.slack.listeners import actions, commands, events, options, shortcuts, views

# What the listeners below always ack with an empty 200, whatever the request says: the fast
# path acks these before Bolt sees them. Not view submissions (their ack may carry errors) nor
# options (their ack is the options). Block actions and events end with catch-alls that ack.
EMPTY_ACKS = EmptyAcks(
    commands=commands.COMMANDS,
    shortcuts=shortcuts.CALLBACK_IDS,
    block_actions=True,
    events=True,
)


def register(app: AsyncApp, svc: Services) -> None:
    commands.register(app, svc)
    views.register(app, svc)
    actions.register(app, svc)
    options.register(app, svc)
    shortcuts.register(app, svc)
    events.register(app, svc)  # last: it ends with a catch-all
