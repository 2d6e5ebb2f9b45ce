"""A request for what is already in flight where the asker cannot see it.

The duplicate check points an asker to the request already open for the same footage. That is
only right when they can open its thread: the same channel, or their own DM with the bot. Where
the request lives somewhere else (another channel, someone else's DM), pointing there would
reveal it and who asked, and leave the asker with a link they cannot open. Instead the asker
gets an anchor of their own, in their own channel, that follows the same Motive request: no
second create, so the quota is spent once; its result is delivered to that anchor through the
policy for that asker, like any other request's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.access.audit import Subject
from bot.metrics import REQUESTS
from bot.render import blocks as bk
from bot.slack_api.web import Reply, permalink, post_anchor
from bot.store.models import TrackedRequest
from bot.tracking.delivery import anchor_of
from bot.tracking.worker import CREATE_LEASE

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MOTIVE_ID_WAIT_SECONDS = 3.0  # how long to wait for the first request's create to be answered
FOLLOWING = (
    "Following a request for the same footage that is already with Motive: no quota was spent "
    "on this one."
)


def can_open(row: TrackedRequest, user: str, channel: str) -> bool:
    """Whether `user`, asking in `channel`, can open `row`'s thread: it is in the same channel,
    or in their own DM with the bot. Anything else counts as out of sight (fail closed)."""
    if row.channel == channel:
        return True
    return row.channel.startswith("D") and row.requester == user


async def follow(
    svc: Services,
    existing: TrackedRequest,
    *,
    user: str,
    channel: str,
    reply: Reply,
    note: str | None = None,
    thread_ts: str | None = None,
) -> int | None:
    """Give `user` an anchor of their own in `channel` that follows `existing`'s Motive request.
    Says nothing of where `existing` lives or who asked for it. Returns the new row's id."""
    row: TrackedRequest | None = existing
    waited = 0.0
    while row is not None and row.motive_id is None and waited < MOTIVE_ID_WAIT_SECONDS:
        if row.state not in ("creating",):
            break
        await asyncio.sleep(0.1)
        waited += 0.1
        row = await svc.store.get(existing.id)
    if row is None or row.group_id is not None or row.motive_id is None:
        await reply(*_not_followable(row))
        return None
    now = svc.clock.now()
    mine = TrackedRequest.new(
        row.request,
        requester=user,
        channel=channel,
        note=note,
        now=now,
        deadline=row.deadline or now + timedelta(hours=svc.settings.recall_deadline_hours),
    )
    # A key of its own: one follower per asker and place, beside the request it follows.
    mine.dedupe_key = f"follow:{row.id}:{user}:{channel}"
    held = await svc.store.open_request(
        mine, worker=svc.tracker.worker_id, lease=CREATE_LEASE, overlap=False
    )
    if held is not mine:
        # They follow it already: that anchor is theirs, in their own channel.
        link = await permalink(svc.slack, held.channel, held.anchor_ts) if held.anchor_ts else None
        where = f"follow it <{link}|here>" if link else "its thread is in your channel"
        text = f":repeat: You are already following this request: {where}. No quota was spent."
        await reply("Already following.", [bk.section(text)])
        return None
    try:
        text, blocks = bk.anchor(anchor_of(mine, "pending", FOLLOWING))
        place = await post_anchor(
            svc.slack, channel, user, text, blocks, reply, thread_ts, marker=f"anchor-{mine.id}"
        )
    except BaseException:
        await asyncio.shield(svc.store.release(mine.id))
        raise
    mine.channel, mine.anchor_ts = place.channel, place.ts
    if thread_ts and place.channel == channel:
        mine.thread_ts = thread_ts
    await svc.store.set(
        mine.id, channel=place.channel, anchor_ts=place.ts, thread_ts=mine.thread_ts
    )
    answer = row.answer
    mine.motive_id, mine.next_poll_at = row.motive_id, now
    if answer is not None:
        await svc.store.start_tracking(mine.id, row.motive_id, answer, now)
    else:
        await svc.store.set(mine.id, motive_id=row.motive_id, state="tracking", next_poll_at=now)
    mine.state = "tracking"
    await svc.privacy.audit.record(
        "request",
        user=user,
        channel=place.channel,
        subject=Subject.of(mine.request),
        request_id=mine.id,
        motive_id=row.motive_id,
        outcome=f"following request #{row.id} (the same Motive request; quota spent once)",
    )
    REQUESTS.labels(kind=mine.kind, outcome="following").inc()
    await svc.tracker.track(mine)
    return mine.id


def _not_followable(row: TrackedRequest | None) -> tuple[str, list[bk.Block]]:
    """Why this asker gets nothing to follow, in words that name no one and no place."""
    if row is not None and row.state == "unknown":
        text = (
            ":repeat: A request for the same footage may already be with Motive (whether it was "
            "made is not known), so I did not ask again. Add `again` to ask anyway."
        )
    elif row is not None and row.group_id is not None:
        text = (
            ":repeat: The same snapshots are being taken right now; ask again in a minute. "
            "No quota was spent."
        )
    else:
        text = (
            ":repeat: The same footage is being asked for right now; ask again in a minute to "
            "follow it. No quota was spent."
        )
    return "The same request is already in flight.", [bk.section(text)]
