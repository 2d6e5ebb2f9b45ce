"""/snapshot: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.slack import blocks as bk
from bot.slack.listeners.replies import after_ack, via_respond
from bot.slack.modals import Origin, snapshot_modal
from bot.slack.parsing import ParseError, corrected_example, explain, is_help, parse_snapshot
from bot.slack.submit import Asker, submit
from motive.rules import RuleViolation


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    async def snapshot_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = (command.get("text") or "").strip()
        user, channel = command["user_id"], command["channel_id"]
        reply = via_respond(respond)
        if not text:
            origin = Origin(channel, user, command.get("response_url"))
            await client.views_open(trigger_id=command["trigger_id"], view=snapshot_modal(origin))
            return
        if is_help(text):
            await reply(*bk.help_message("/snapshot"))
            return
        try:
            fields = parse_snapshot(text)
            request = fields.request()
        except ParseError as e:
            await reply(*bk.problem(e.message, e.example))
            return
        except RuleViolation as e:
            await reply(
                *bk.problem(explain(fields.words, e), corrected_example("/snapshot", fields, e))
            )
            return

        async def work() -> None:
            await submit(svc, request, Asker(user, channel, reply))

        after_ack(svc, reply, work)

    return snapshot_command
