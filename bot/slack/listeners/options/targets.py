"""Typeahead for the vehicle or asset picker, from the cached fleet lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.render.modals import option_value, read_view
from bot.slack.ingress.post_ack import start_after_ack

if TYPE_CHECKING:
    from bot.services import Services

TEXT_LIMIT = 75  # Slack's limit on an option's text


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(target_options, svc)


async def target_options(
    svc: Services, ack: AsyncAck, payload: dict[str, Any], body: dict[str, Any]
) -> None:
    kind = read_view(body.get("view") or {}).kind
    # Answer from the cached list (only the very first search waits for it, within
    # Slack's deadline); a stale list is refreshed once the options have gone out.
    units = await svc.fleet.search_units(
        kind, str(payload.get("value") or ""), limit=100, refresh_stale=False
    )
    await ack(options=[_option(u.label, option_value(u.label, u.key)) for u in units])
    start_after_ack(svc.fleet.refresh_soon)


def _option(label: str, value: str) -> dict[str, Any]:
    # A long name is shortened for the eye only; the value still names the unit exactly.
    text = label if len(label) <= TEXT_LIMIT else label[: TEXT_LIMIT - 1] + "…"
    return {"text": {"type": "plain_text", "text": text}, "value": value}
