"""Putting a request's result into its Slack thread, exactly once.

Each delivery (the links, the image, the last word about a failure) is a row reserved in the
store before anything is posted and marked posted after. A delivery found half-done (a crash, or
Slack failing) is looked for in the thread before it is posted again: a posted message by its
first block's id, an upload by the Slack file id the row remembered before the upload was
shared. Nothing of that shows to people.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks as bk
from bot.slack.timefmt import escape
from bot.slack.web import SLACK_FAILURES, Place, post, slack_error, update
from bot.tracking.store import Delivery, Store, TrackedRequest
from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError
from motive.models import Recall
from motive.rules import SnapshotRequest

log = logging.getLogger(__name__)

UPLOAD_TIMEOUT = 60.0  # seconds for the image bytes to reach Slack's upload URL

Send = Callable[[Delivery, str], Awaitable[str]]


class UploadFailed(Exception):
    """Slack's upload URL did not take the bytes."""


class Unsure(Exception):
    """Sharing an upload failed in a way that leaves open whether it is in the thread."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(slack_error(cause))


def anchor_of(
    row: TrackedRequest, status: str, detail: str | None = None, *, motive_word: bool = False
) -> bk.AnchorInfo:
    """The anchor of a stored request: its validated request, and where it stands."""
    return bk.AnchorInfo(
        request=row.request,
        requester=row.requester,
        status=status,
        note=row.note,
        motive_id=row.motive_id,
        detail=detail,
        motive_word=motive_word,
        positions=tuple(row.group_positions or ()),
    )


class Deliverer:
    def __init__(
        self, *, store: Store, slack: AsyncWebClient, motive: MotiveClient, clock: Clock
    ) -> None:
        self.store = store
        self.slack = slack
        self.motive = motive
        self.clock = clock

    async def update_anchor(
        self,
        row: TrackedRequest,
        status: str,
        detail: str | None = None,
        *,
        motive_word: bool = False,
    ) -> None:
        if row.anchor_ts:
            text, blocks = bk.anchor(anchor_of(row, status, detail, motive_word=motive_word))
            await update(self.slack, Place(row.channel, row.anchor_ts), text, blocks)

    # --- the three deliveries -------------------------------------------------------------

    async def recall_links(self, row: TrackedRequest, recall: Recall) -> bool:
        """The links, one thread reply. True when it is (now) in Slack."""
        text, blocks = bk.recall_results(row.id, recall.cameras)

        async def send(delivery: Delivery, marker: str) -> str:
            return await post(self.slack, row.channel, text, bk.marked(blocks, marker), row.thread)

        return await self._once(row, "links", send)

    async def snapshot(self, row: TrackedRequest, url: str, expires: datetime | None) -> bool:
        """The image, uploaded into the thread; a link to it if Slack will not take the file."""
        request = row.request
        assert isinstance(request, SnapshotRequest)

        async def send(delivery: Delivery, marker: str) -> str:
            try:
                data = await self.motive.fetch_media(url)
                return await self._upload(row, request, data, delivery)
            except (MotiveError, UploadFailed, *SLACK_FAILURES) as e:
                why = e.message if isinstance(e, MotiveError) else _why(e)
                text, blocks = bk.snapshot_link(url, expires, why)
                return await post(
                    self.slack, row.channel, text, bk.marked(blocks, marker), row.thread
                )

        return await self._once(row, "image", send)

    async def final_problem(self, row: TrackedRequest, problem: str) -> bool:
        """Why the request ended without media, one thread reply."""
        if not row.anchor_ts:
            return True
        text, blocks = bk.final_problem(problem)

        async def send(delivery: Delivery, marker: str) -> str:
            return await post(self.slack, row.channel, text, bk.marked(blocks, marker), row.thread)

        return await self._once(row, "final", send)

    # --- refresh --------------------------------------------------------------------------

    async def refresh_links(self, request_id: int) -> str | None:
        """Fresh download URLs for a delivered recall, written over the old links message.
        Returns a problem to tell the user, or None."""
        row = await self.store.get(request_id)
        if row is None or row.kind != "recall" or row.motive_id is None:
            return "That request is not one I know."
        try:
            recall = await self.motive.recalls.retrieve(row.motive_id)
        except MotiveError as e:
            return f"Motive did not give fresh links: {e.message}"
        if not any(c.download_url for c in recall.cameras):
            return "Motive has no downloadable video for this request any more."
        text, blocks = bk.recall_results(row.id, recall.cameras, refreshed=True)
        delivery = await self.store.delivery(row.id, "links")
        try:
            if delivery is not None and delivery.ts:
                await self.slack.chat_update(
                    channel=row.channel,
                    ts=delivery.ts,
                    text=text,
                    blocks=bk.marked(blocks, _marker(row, "links")),
                )
            else:
                await post(self.slack, row.channel, text, blocks, row.thread)
        except SLACK_FAILURES as e:
            return f"Slack would not take the fresh links ({slack_error(e)})."
        return None

    # --- exactly once ---------------------------------------------------------------------

    async def _once(self, row: TrackedRequest, key: str, send: Send) -> bool:
        """Post one delivery unless it was posted already. True when it is (now) in Slack."""
        delivery, fresh = await self.store.begin_delivery(row.id, key, self.clock.now())
        if delivery is None:
            return True
        marker = _marker(row, key)
        try:
            ts = None if fresh else await self._already_in_thread(row, marker, delivery.file_id)
            if ts is None:
                ts = await send(delivery, marker)
        except (Unsure, *SLACK_FAILURES) as e:
            why = str(e) if isinstance(e, Unsure) else slack_error(e)
            log.warning("delivery %s of request %s failed: %s", key, row.id, why)
            return False
        await self.store.finish_delivery(delivery.id, ts, self.clock.now())
        return True

    async def _already_in_thread(
        self, row: TrackedRequest, marker: str, file_id: str | None
    ) -> str | None:
        """After a crash mid-delivery: did the post land? Look for it in the thread."""
        try:
            replies = await self.slack.conversations_replies(
                channel=row.channel, ts=row.thread or "", limit=200
            )
        except SLACK_FAILURES as e:
            log.warning("could not read thread of request %s: %s", row.id, slack_error(e))
            raise
        for message in replies.get("messages") or []:
            if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                return str(message.get("ts"))
            if file_id and any(f.get("id") == file_id for f in message.get("files") or []):
                return f"file:{file_id}"
        return None

    async def _upload(
        self, row: TrackedRequest, request: SnapshotRequest, data: bytes, delivery: Delivery
    ) -> str:
        """Slack's three-step upload, with the file id stored before the file is shared."""
        name = request.target.name
        filename = f"snapshot-{name}-{request.position.value}.jpg".replace(" ", "_")
        got = await self.slack.files_getUploadURLExternal(filename=filename, length=len(data))
        file_id, upload_url = str(got["file_id"]), str(got["upload_url"])
        await self.store.note_delivery_file(delivery.id, file_id)
        try:
            async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as http:
                (await http.post(upload_url, content=data)).raise_for_status()
        except httpx.HTTPError as e:
            raise UploadFailed(f"the upload did not go through ({type(e).__name__})") from e
        try:
            await self.slack.files_completeUploadExternal(
                files=[
                    {
                        "id": file_id,
                        "title": f"Snapshot {name}, {bk.camera_label(request.position)}",
                    }
                ],
                channel_id=row.channel,
                thread_ts=row.thread,
                # Shown as a message: a name holding <!channel> must not become a ping.
                initial_comment=f"Snapshot from {escape(name)}, {bk.camera_label(request.position)}.",
            )
        except SLACK_FAILURES as e:
            if _maybe_shared(e):
                # The file may be in the thread after all: the next try looks for it there.
                raise Unsure(e) from e
            raise
        return f"file:{file_id}"


def _marker(row: TrackedRequest, key: str) -> str:
    return f"delivery-{row.id}-{key}"


def _why(e: BaseException) -> str:
    return str(e) if isinstance(e, UploadFailed) else slack_error(e)


def _maybe_shared(e: BaseException) -> bool:
    """Whether a failed share may still have put the file in the thread: yes unless Slack
    answered with a plain refusal."""
    if not isinstance(e, SlackApiError):
        return True  # no answer at all
    status = e.response.status_code if e.response is not None else 0
    return status >= 500 or status == 429
