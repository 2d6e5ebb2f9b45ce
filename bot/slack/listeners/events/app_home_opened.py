"""The Home tab was opened: publish the person's requests and the month's quota."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack.listeners.replies import after_ack

if TYPE_CHECKING:
    from bot.render import blocks as bk
    from bot.services import Services

log = logging.getLogger(__name__)


async def _log_only(text: str, blocks: list[bk.Block]) -> None:
    # An event has nobody waiting for an answer; what went wrong is logged by after_ack.
    log.warning("Home tab not published: %s", text)


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(home_opened, svc)


async def home_opened(
    svc: Services, ack: AsyncAck, event: dict[str, Any], body: dict[str, Any]
) -> None:
    await ack()
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
        return  # the Messages tab, or an event without a user: nothing to show
    # Slack retries an event it thinks went unanswered, with the same event_id.
    if not svc.home.first_time(body.get("event_id")):
        log.info("ignored a retried app_home_opened event")
        return
    after_ack(svc, _log_only, partial(svc.home.publish, user))
