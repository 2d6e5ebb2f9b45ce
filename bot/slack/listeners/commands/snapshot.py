"""/snapshot: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError
from bot.render import blocks as bk
from bot.requests.snapshot_all import submit_all
from bot.requests.submit import Asker, submit
from bot.slack.listeners.commands.received import Command, command_received
from bot.slack.listeners.forms import open_snapshot_form
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


async def ask(svc: Services, text: str, user: str, channel: str, reply: Reply) -> None:
    """The typed request: parsed, checked against the unit, then one snapshot or a group."""
    try:
        fields = parse_snapshot(text)
        match = await svc.fleet.find(*fields.target) if fields.target else None
        unit = adopt_unit("/snapshot", fields, match)
        if fields.all_cameras:
            every = fields.requests_all(unit)
        else:
            request = fields.request(unit)
    except ParseError as e:
        await reply(*bk.problem(e.message, e.example))
        return
    except RuleViolation as e:
        example = corrected_example("/snapshot", fields, e, unit)
        await reply(*bk.problem(explain(fields.words, e), example))
        return
    asker = Asker(user, channel, reply, fields.note)
    if fields.all_cameras:
        await submit_all(svc, every, asker)
    else:
        await submit(svc, request, asker)


SNAPSHOT = Command("/snapshot", open_snapshot_form, ask)


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(command_received, svc, SNAPSHOT)
