"""Slack's external upload: the one way a file gets into Slack (a recall's clip, a safety
event's clip, a snapshot's image, a snapshot group's images).

Three steps. `files.getUploadURLExternal` names the file (Slack gives its id and a URL), the bytes
go to that URL, and `files.completeUploadExternal` shares the files into a channel or a thread.
`upload` does the first two and hands the file's id to the caller before any byte goes, so that a
delivery cut short (a crash, Slack failing) can later look for the file where it was going;
`share` does the third, at most once: a 500 may come after Slack shared the files, so the SDK
never sends it twice (`at_most_once`), and a failure that leaves open whether they were shared is
`Unsure`, told apart from a plain refusal (`maybe_done`): the caller looks before it tries again.

Not slack_sdk's `files_upload_v2`, which does the same three steps in one call, because
- it holds the whole file in memory: a clip can be hundreds of megabytes, and is streamed here
  from Motive to Slack a chunk at a time (`stream_clip`);
- it gives no moment between naming a file and sharing it, where the id is kept;
- it shares with the client's retries (a 500 retried is a second copy in the thread) and says
  nothing of whether a failed share may have landed;
- one file of many that does not upload fails the whole share, where a snapshot group's reply
  shares the others and names the camera whose image is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_api.web import SLACK_FAILURES, at_most_once, maybe_done, slack_error
from motive.client import MotiveClient
from motive.tls import tls_context

UPLOAD_TIMEOUT = 60.0  # seconds for each read or write of an upload (not the whole of it)
CLIP_CHUNK = 1 << 16  # bytes of a clip held at once on their way from Motive to Slack
MEGABYTE = 1_000_000

# Handed a file's id once Slack has named it, before its bytes go (the caller records it).
KeepFileId = Callable[[str], Awaitable[None]]


class UploadFailed(Exception):
    """The file did not reach Slack (its upload URL did not take the bytes, or it was not sent:
    too large, or of unknown size). Nothing was shared; the caller posts a link instead."""


class Unsure(Exception):
    """Sharing an upload failed in a way that leaves open whether it is in the thread."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(slack_error(cause))


@dataclass(frozen=True)
class File:
    """One file for Slack: its name, its title in Slack, and its `length` bytes, whole or as they
    arrive (`content_type`: what they are, when said)."""

    filename: str
    title: str
    content: bytes | AsyncIterable[bytes]
    length: int
    content_type: str | None = None


@dataclass(frozen=True)
class Uploaded:
    """A file whose bytes Slack has, not yet shared anywhere."""

    id: str
    title: str

    @property
    def ref(self) -> str:
        """What a delivery records for the shared file (where a message's ts would be)."""
        return f"file:{self.id}"


async def upload(
    slack: AsyncWebClient, file: File, *, keep_file_id: KeepFileId | None = None
) -> Uploaded:
    """Steps one and two: the file named to Slack, its id handed to `keep_file_id`, then its bytes
    sent (read as they arrive when they are a stream). The bytes not taken: UploadFailed; Slack
    not naming the file: its error (SLACK_FAILURES)."""
    got = await slack.files_getUploadURLExternal(filename=file.filename, length=file.length)
    file_id, upload_url = str(got["file_id"]), str(got["upload_url"])
    if keep_file_id is not None:
        await keep_file_id(file_id)
    headers = {"Content-Length": str(file.length)}
    if file.content_type is not None:
        headers["Content-Type"] = file.content_type
    try:
        async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, verify=tls_context()) as http:
            sent = await http.post(upload_url, content=file.content, headers=headers)
            sent.raise_for_status()
    except httpx.HTTPError as e:
        raise UploadFailed(f"the upload did not go through ({type(e).__name__})") from e
    return Uploaded(file_id, file.title)


async def share(
    slack: AsyncWebClient,
    files: Sequence[Uploaded],
    *,
    channel: str,
    thread_ts: str | None,
    comment: str,
) -> None:
    """Step three: uploaded files shared into `channel` (in `thread_ts`'s thread), `comment` their
    message, at most once. A failure that leaves open whether they were shared: Unsure (the
    caller looks for them before it tries again); a plain refusal: Slack's error as it came."""
    try:
        # Never re-sent blindly by the SDK: a 500 may come after Slack shared them.
        await at_most_once(slack).files_completeUploadExternal(
            files=[{"id": f.id, "title": f.title} for f in files],
            channel_id=channel,
            thread_ts=thread_ts,
            initial_comment=comment,
        )
    except SLACK_FAILURES as e:
        if maybe_done(e):
            raise Unsure(e) from e
        raise


async def upload_and_share(
    slack: AsyncWebClient,
    file: File,
    *,
    channel: str,
    thread_ts: str | None,
    comment: str,
    keep_file_id: KeepFileId | None = None,
) -> str:
    """One file uploaded and shared (`upload`, then `share`): its `Uploaded.ref`."""
    done = await upload(slack, file, keep_file_id=keep_file_id)
    await share(slack, [done], channel=channel, thread_ts=thread_ts, comment=comment)
    return done.ref


async def stream_clip(
    *,
    slack: AsyncWebClient,
    motive: MotiveClient,
    url: str,
    filename: str,
    title: str,
    comment: str,
    channel: str,
    thread_ts: str | None,
    ceiling_mb: int,
    keep_file_id: KeepFileId,
) -> tuple[str, int]:
    """Motive's download streamed into Slack's upload, a chunk at a time (a clip is never held in
    memory whole), then shared: (`Uploaded.ref`, bytes). A recall's clip and a safety event's
    alike. Too large, or of unknown size: UploadFailed (the caller posts the link)."""
    async with motive.stream_media(url) as media:
        size = int(media.headers.get("content-length") or 0)
        if size <= 0:
            raise UploadFailed("Motive did not say how large the clip is")
        if size > ceiling_mb * MEGABYTE:
            raise UploadFailed(
                f"the clip is {size / MEGABYTE:,.0f} MB, above the {ceiling_mb} MB the policy "
                "allows for uploads"
            )
        clip = File(filename, title, media.aiter_bytes(CLIP_CHUNK), size, "video/mp4")
        done = await upload(slack, clip, keep_file_id=keep_file_id)
    await share(slack, [done], channel=channel, thread_ts=thread_ts, comment=comment)
    return done.ref, size


def failure_words(e: BaseException) -> str:
    """Why a file is not in Slack, for the note a link carries: UploadFailed's own words, else
    Slack's error."""
    return str(e) if isinstance(e, UploadFailed) else slack_error(e)
