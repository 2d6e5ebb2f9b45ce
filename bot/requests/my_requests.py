"""A person's requests, read from the store, for the Home tab and `/recall mine`.

Slack retries an event it thinks went unanswered (`X-Slack-Retry-Num`), with the same
`event_id`: a repeat is dropped, and a view with the same content as the one last published for
that user is not published again, so a retried `app_home_opened` publishes once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.render import home
from bot.render.blocks import Block
from bot.slack_api.web import SLACK_FAILURES, slack_error
from bot.store.models import FAILED, TrackedRequest
from bot.store.requests import Store
from motive.client import MotiveClient
from motive.errors import MotiveError
from motive.models import QuotaInfo
from motive.rules import RecallRequest

log = logging.getLogger(__name__)

_REMEMBERED = 5_000  # event ids, users' last views and permalinks kept per process


class _Lru(OrderedDict[str, str]):
    def keep(self, key: str, value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > _REMEMBERED:
            self.popitem(last=False)


def line_of(row: TrackedRequest, link: str | None) -> home.RequestLine:
    request = row.request
    start: datetime | None
    end: datetime | None
    if isinstance(request, RecallRequest):
        start, end = request.start_time, request.end_time
        cams = [p.value for p in request.camera_positions] if request.camera_positions else None
    else:
        start = end = None
        cams = list(row.group_positions or [request.position.value])
    if row.state == "creating":
        status = "creating"
    elif row.state == "tracking" and row.group_positions:
        status = "pending"  # a group is in flight until its last camera has answered
    elif row.state == "tracking":
        status = row.motive_status or "pending"
    elif row.state == FAILED:
        status = "failed"
    elif row.state == "unknown":
        status = "unknown"
    else:
        status = row.motive_status or "completed"
    return home.RequestLine(
        id=row.id,
        kind=row.kind,
        target=request.target.label,
        start=start,
        end=end,
        cameras=home.cameras_of(row.kind, cams),
        status=status,
        problem=row.last_error if row.state != "done" else None,
        link=link,
    )


class MyRequests:
    def __init__(
        self, *, store: Store, slack: AsyncWebClient, motive: MotiveClient, background: Background
    ) -> None:
        self.store = store
        self.slack = slack
        self.motive = motive
        self.background = background
        self._events = _Lru()
        self._published = _Lru()  # user -> digest of the view last published
        self._links = _Lru()  # "channel/ts" -> permalink (they do not change)
        # Users who opened the Home tab in this process: a request of theirs that changes
        # state refreshes it. Others are refreshed when they next open it.
        self.viewers: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def first_time(self, event_id: str | None) -> bool:
        """False for an event already handled (Slack's retry of it)."""
        if not event_id:
            return True
        if event_id in self._events:
            return False
        self._events.keep(event_id, "")
        return True

    async def lines(self, user: str) -> tuple[list[home.RequestLine], list[home.RequestLine]]:
        in_flight = await self.store.of_requester(user, finished=False, limit=30)
        finished = await self.store.of_requester(user, finished=True, limit=home.FINISHED_SHOWN)
        rows = [*in_flight, *finished]
        links = await asyncio.gather(*(self._permalink(r) for r in rows))
        out = [line_of(r, link) for r, link in zip(rows, links, strict=True)]
        return out[: len(in_flight)], out[len(in_flight) :]

    async def quota(self) -> tuple[QuotaInfo | None, str | None]:
        try:
            return (await self.motive.recalls.quota()).quota_info, None
        except MotiveError as e:
            return None, e.message

    async def _permalink(self, row: TrackedRequest) -> str | None:
        thread = row.thread
        if not thread:
            return None
        key = f"{row.channel}/{thread}"
        if key in self._links:
            return self._links[key]
        try:
            got = await self.slack.chat_getPermalink(channel=row.channel, message_ts=thread)
        except SLACK_FAILURES as e:
            log.info("no permalink for request %s: %s", row.id, slack_error(e))
            return None
        link = got.get("permalink")
        if not isinstance(link, str) or not link:
            return None
        self._links.keep(key, link)
        return link

    async def view(self, user: str) -> dict[str, Any]:
        (in_flight, finished), (quota, problem) = await asyncio.gather(
            self.lines(user), self.quota()
        )
        return home.home_view(in_flight, finished, quota, problem)

    async def message(self, user: str) -> tuple[str, list[Block]]:
        (in_flight, finished), (quota, problem) = await asyncio.gather(
            self.lines(user), self.quota()
        )
        return home.mine_message(in_flight, finished, quota, problem)

    async def publish(self, user: str) -> bool:
        """Publish the user's Home tab unless it already shows this. True if published."""
        self.viewers.add(user)
        lock = self._locks.setdefault(user, asyncio.Lock())
        async with lock:
            view = await self.view(user)
            digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
            if self._published.get(user) == digest:
                return False
            await self.slack.views_publish(user_id=user, view=view)
            self._published.keep(user, digest)
            return True

    def changed(self, row: TrackedRequest) -> None:
        """A request changed state: refresh its requester's Home tab, after the caller's work."""
        if row.requester in self.viewers:
            self.background.spawn(self._refresh(row.requester))

    async def _refresh(self, user: str) -> None:
        try:
            await self.publish(user)
        except SLACK_FAILURES as e:
            log.warning("could not refresh the Home tab of %s: %s", user, slack_error(e))
        except Exception:
            log.exception("refreshing a Home tab failed")
