"""/recall: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.recall import parse_recall
from bot.grammar.tokens import ParseError
from bot.render import blocks as bk
from bot.requests.submit import Asker, submit
from bot.slack.listeners.commands.received import Command, command_received
from bot.slack.listeners.forms import open_recall_form
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


async def ask(svc: Services, text: str, user: str, channel: str, reply: Reply) -> None:
    """The typed request: parsed in the person's zone, checked, then handed to `submit`."""
    zone = await svc.zones.zone(user)
    now = svc.clock.now()
    try:
        fields = parse_recall(
            text,
            now=now,
            tz=zone.tz,
            month_first=zone.month_first,
            zone_unknown=zone.why_unknown,
        )
        match = await svc.fleet.find(*fields.target) if fields.target else None
        unit = adopt_unit("/recall", fields, match)
    except ParseError as e:
        await reply(*bk.problem(e.message, e.example))
        return
    try:
        request = fields.request(now, unit)
    except RuleViolation as e:
        example = corrected_example("/recall", fields, e, unit, now=now)
        await reply(*bk.problem(explain(fields.words, e), example))
        return
    await submit(
        svc, request, Asker(user, channel, reply, fields.anchor_note, insist=fields.insist)
    )


RECALL = Command("/recall", open_recall_form, ask)


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(command_received, svc, RECALL)
