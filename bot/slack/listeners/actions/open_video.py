"""An "Open video" link button was pressed: Slack opens the link in the browser and tells the
bot who did, on which message. The audit trail records it (who saw which footage)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.access.audit import UNKNOWN_USER, Subject
from bot.render import blocks as bk
from bot.slack.listeners.replies import after_ack, submitter

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["handler"]


async def _nobody(text: str, blocks: list[bk.Block]) -> None:
    """Nobody waits on an answer to a link opened: what went wrong is logged by after_ack."""


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(opened, svc)


async def opened(
    svc: Services, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any]
) -> None:
    await ack()
    request_id, position = bk.read_open_video_value(str(action.get("value") or ""))
    user = submitter(body) or UNKNOWN_USER
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    after_ack(svc, _nobody, partial(record, svc, request_id, position, user, channel))


async def record(
    svc: Services, request_id: int | None, position: str | None, user: str, channel: str
) -> None:
    """One audit row: who opened which camera's footage of which request, from where."""
    row = await svc.store.get(request_id) if request_id is not None else None
    subject = Subject.of(row.request) if row is not None else Subject("recall", "unknown", "")
    await svc.privacy.audit.record(
        "link_open",
        user=user,
        channel=channel,
        subject=Subject(
            subject.kind,
            subject.target,
            position or "unknown",
            subject.window_start,
            subject.window_end,
        ),
        request_id=request_id,
        motive_id=row.motive_id if row is not None else None,
        outcome=f"opened the {bk.camera_label(position)} link",
    )
