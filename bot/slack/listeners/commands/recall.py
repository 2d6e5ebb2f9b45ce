"""/recall: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.access.privacy import restrict_view
from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.recall import parse_recall
from bot.grammar.tokens import ParseError, is_help, is_listing
from bot.render import blocks as bk
from bot.render.modals import RECALL_CALLBACK, Origin, loading_view, recall_modal
from bot.requests.submit import Asker, form_failed, submit
from bot.slack.listeners.replies import after_ack, reply_after_ack, via_respond
from bot.slack_api.web import SLACK_FAILURES, Reply
from motive.errors import MotiveError
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    async def recall_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = (command.get("text") or "").strip()
        user, channel = command["user_id"], command["channel_id"]
        reply = via_respond(respond)
        if not text:
            open_modal(svc, client, command, reply)
            return
        if is_help(text):
            reply_after_ack(svc, reply, *bk.help_message("/recall"))
            return
        if is_listing(text):
            # `mine`, `list`, `status`…: the person's own requests, as the Home tab shows them.
            after_ack(svc, reply, lambda: _mine(svc, user, reply))
            return

        async def work() -> None:
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

        after_ack(svc, reply, work)

    return recall_command


def open_modal(
    svc: Services, client: AsyncWebClient, command: dict[str, Any], reply: Reply
) -> None:
    """Open right after the ack (the trigger lives 3 s), then fill in what needs Motive."""
    origin = Origin(command["channel_id"], command["user_id"], command.get("response_url"))

    async def open_loading() -> None:
        try:
            opened = await client.views_open(
                trigger_id=command["trigger_id"], view=loading_view(RECALL_CALLBACK, "Video recall")
            )
        except SLACK_FAILURES as e:
            await reply(*form_failed("/recall", e))
            return
        view_id = opened["view"]["id"]

        async def fill() -> None:
            try:
                quota = (await svc.motive.recalls.quota()).quota_info
            except MotiveError:
                quota = None  # the form works without it; the pre-flight check still runs
            start = svc.clock.now() - timedelta(minutes=15)
            view = recall_modal(origin, start=start, quota=quota)
            may_in_cab = await svc.privacy.may_in_cab(origin.user, origin.channel)
            await client.views_update(view_id=view_id, view=restrict_view(view, may_in_cab))

        after_ack(svc, reply, fill)

    after_ack(svc, reply, open_loading, quick=True)


async def _mine(svc: Services, user: str, reply: Reply) -> None:
    await reply(*await svc.home.message(user))
