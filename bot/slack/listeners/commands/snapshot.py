"""/snapshot: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.access.privacy import restrict_view
from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError, is_help, is_listing
from bot.render import blocks as bk
from bot.render.modals import Origin, snapshot_modal
from bot.requests.snapshot_all import submit_all
from bot.requests.submit import Asker, form_failed, submit
from bot.slack.listeners.replies import after_ack, reply_after_ack, via_respond
from bot.slack_api.web import SLACK_FAILURES, Reply
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services


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

            async def open_form() -> None:
                try:
                    opened = await client.views_open(
                        trigger_id=command["trigger_id"], view=snapshot_modal(origin)
                    )
                except SLACK_FAILURES as e:
                    await reply(*form_failed("/snapshot", e))
                    return

                async def restrict() -> None:
                    # The user's groups need Slack: after the modal is open, never before.
                    if not await svc.privacy.may_in_cab(user, channel):
                        view = restrict_view(snapshot_modal(origin), False)
                        await client.views_update(view_id=opened["view"]["id"], view=view)

                after_ack(svc, reply, restrict)

            after_ack(svc, reply, open_form, quick=True)
            return
        if is_help(text):
            reply_after_ack(svc, reply, *bk.help_message("/snapshot"))
            return
        if is_listing(text):
            # `mine`, `list`, `status`…: the person's own requests, as the Home tab shows them.
            after_ack(svc, reply, lambda: _mine(svc, user, reply))
            return

        async def work() -> None:
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
            if fields.all_cameras:
                await submit_all(svc, every, Asker(user, channel, reply, fields.note))
                return
            await submit(svc, request, Asker(user, channel, reply, fields.note))

        after_ack(svc, reply, work)

    return snapshot_command


async def _mine(svc: Services, user: str, reply: Reply) -> None:
    await reply(*await svc.home.message(user))
