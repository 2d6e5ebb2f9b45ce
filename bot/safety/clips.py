"""One safety-event clip from Motive's link into the event's Slack thread, streamed a chunk at a
time as recall clips are (bot/tracking/delivery.py): a clip is never held in memory whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.web import SLACK_FAILURES, at_most_once
from bot.tracking.delivery import CLIP_CHUNK, MEGABYTE, UPLOAD_TIMEOUT, Unsure, UploadFailed
from motive.client import MotiveClient
from motive.tls import tls_context


async def stream_clip(
    *,
    slack: AsyncWebClient,
    motive: MotiveClient,
    url: str,
    filename: str,
    title: str,
    comment: str,
    channel: str,
    thread_ts: str,
    ceiling_mb: int,
    keep_file_id: Callable[[str], Awaitable[None]],
) -> tuple[str, int]:
    """Upload and share; returns ("file:ID", bytes). Too large, or of unknown size: UploadFailed
    (the caller posts the link). `keep_file_id(file_id)` is awaited before the share, so that a
    crash after it can be followed up by looking for the file in the thread."""
    async with (
        httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, verify=tls_context()) as http,
        motive.stream_media(url) as media,
    ):
        size = int(media.headers.get("content-length") or 0)
        if size <= 0:
            raise UploadFailed("Motive did not say how large the clip is")
        if size > ceiling_mb * MEGABYTE:
            raise UploadFailed(
                f"the clip is {size / MEGABYTE:,.0f} MB, above the {ceiling_mb} MB the policy "
                "allows for uploads"
            )
        got = await slack.files_getUploadURLExternal(filename=filename, length=size)
        file_id, upload_url = str(got["file_id"]), str(got["upload_url"])
        await keep_file_id(file_id)
        try:
            sent = await http.post(
                upload_url,
                content=media.aiter_bytes(CLIP_CHUNK),
                headers={"Content-Length": str(size), "Content-Type": "video/mp4"},
            )
            sent.raise_for_status()
        except httpx.HTTPError as e:
            raise UploadFailed(f"the upload did not go through ({type(e).__name__})") from e
    try:
        await at_most_once(slack).files_completeUploadExternal(
            files=[{"id": file_id, "title": title}],
            channel_id=channel,
            thread_ts=thread_ts,
            initial_comment=comment,
        )
    except SLACK_FAILURES as e:
        if maybe_shared(e):
            raise Unsure(e) from e
        raise
    return f"file:{file_id}", size


def maybe_shared(e: BaseException) -> bool:
    """Whether a failed share may still have put the file in the thread: yes unless Slack
    answered with a plain refusal."""
    if not isinstance(e, SlackApiError):
        return True
    status = e.response.status_code if e.response is not None else 0
    return status >= 500 or status == 429
