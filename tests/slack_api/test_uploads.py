"""Slack's external upload (bot/slack_api/uploads.py), the one path every file takes into Slack:
which failed shares may still have landed (and are looked for before a second try), what a link
standing in for a file says, and the order of the three steps against the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.offline.signing import DISPATCH_CHANNEL
from bot.slack_api import uploads
from bot.slack_api.uploads import Unsure, UploadFailed, failure_words
from bot.slack_api.web import maybe_done
from tests.support.stack import Stack


def _slack_refusal(status: int, error: str = "internal_error") -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="http://127.0.0.1/api/files.completeUploadExternal",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    return SlackApiError(error, response)


@pytest.mark.parametrize(
    ("error", "maybe"),
    [
        (_slack_refusal(500), True),
        (_slack_refusal(503), True),
        (_slack_refusal(429, "ratelimited"), True),
        (_slack_refusal(200, "invalid_channel"), False),
        (_slack_refusal(400, "invalid_arguments"), False),
        (_slack_refusal(428), False),
        (_slack_refusal(499), False),
        (aiohttp.ClientConnectionError("reset"), True),
        (TimeoutError(), True),
    ],
)
def test_only_a_plain_refusal_means_the_share_did_not_land(
    error: BaseException, maybe: bool
) -> None:
    assert maybe_done(error) is maybe


def test_an_error_with_no_answer_attached_is_a_refusal() -> None:
    assert maybe_done(SlackApiError("refused", None)) is False  # type: ignore[arg-type]


def test_an_unsure_share_says_what_slack_answered() -> None:
    assert str(Unsure(_slack_refusal(500))) == "internal_error"
    assert str(Unsure(TimeoutError())) == "no answer from Slack (TimeoutError)"


def test_why_a_link_stands_in_names_the_cause() -> None:
    assert failure_words(UploadFailed("the clip is 80 MB")) == "the clip is 80 MB"
    assert failure_words(_slack_refusal(200, "file_not_found")) == "file_not_found"
    assert failure_words(TimeoutError()) == "no answer from Slack (TimeoutError)"


# --- the three steps, against the fake Slack ----------------------------------------------------


async def test_a_files_id_is_kept_before_its_bytes_go_and_it_is_shared_once(stack: Stack) -> None:
    kept: list[tuple[str, bytes | None]] = []

    async def keep(file_id: str) -> None:
        kept.append((file_id, stack.slack.file_bytes(file_id)))

    image = uploads.File("snapshot-TRK-101-rear.jpg", "Snapshot TRK-101, Rear", b"jpeg", 4)
    ref = await uploads.upload_and_share(
        stack.svc.slack,
        image,
        channel=DISPATCH_CHANNEL,
        thread_ts=None,
        comment="The rear.",
        keep_file_id=keep,
    )
    [(file_id, before)] = kept
    assert (ref, before) == (f"file:{file_id}", None)  # kept while Slack had no byte of it
    assert stack.slack.file_bytes(file_id) == b"jpeg"
    [named] = stack.slack.called("files.getUploadURLExternal")
    assert (named["filename"], int(named["length"])) == ("snapshot-TRK-101-rear.jpg", 4)
    [shared] = [m for m in stack.slack.messages if m.files]
    assert (shared.channel, shared.text, shared.thread_ts) == (DISPATCH_CHANNEL, "The rear.", None)
    assert [(f["id"], f["title"]) for f in shared.files] == [(file_id, "Snapshot TRK-101, Rear")]


async def test_a_streamed_file_arrives_whole_in_chunks(stack: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 1000

    clip = uploads.File("clip.mp4", "Clip", chunks(), 4000, "video/mp4")
    done = await uploads.upload(stack.svc.slack, clip)
    assert done == uploads.Uploaded(done.id, "Clip")
    assert stack.slack.file_bytes(done.id) == b"x" * 4000


async def test_a_share_that_may_have_landed_is_unsure_and_never_sent_twice(stack: Stack) -> None:
    image = uploads.File("a.jpg", "A", b"jpeg", 4)
    done = await uploads.upload(stack.svc.slack, image)
    stack.slack.fail_next("files.completeUploadExternal", 500, count=4)  # the SDK's retries, too
    with pytest.raises(Unsure, match="internal_error"):
        await uploads.share(
            stack.svc.slack, [done], channel=DISPATCH_CHANNEL, thread_ts=None, comment=""
        )
    assert len(stack.slack.called("files.completeUploadExternal")) == 1


async def test_a_plain_refusal_of_a_share_is_slacks_error_as_it_came(stack: Stack) -> None:
    done = await uploads.upload(stack.svc.slack, uploads.File("a.jpg", "A", b"jpeg", 4))
    stack.slack.fail_next("files.completeUploadExternal", 400)
    with pytest.raises(SlackApiError):
        await uploads.share(
            stack.svc.slack, [done], channel=DISPATCH_CHANNEL, thread_ts=None, comment=""
        )
    assert [m for m in stack.slack.messages if m.files] == []


async def test_bytes_the_upload_url_will_not_take_fail_the_upload(stack: Stack) -> None:
    kept: list[str] = []

    async def keep(file_id: str) -> None:
        kept.append(file_id)
        del stack.slack.uploads[file_id]  # its URL now answers 404, as a stale one would

    image = uploads.File("a.jpg", "A", b"jpeg", 4)
    with pytest.raises(UploadFailed, match=r"^the upload did not go through \(HTTPStatusError\)$"):
        await uploads.upload(stack.svc.slack, image, keep_file_id=keep)
    assert len(kept) == 1
    assert stack.slack.called("files.completeUploadExternal") == []
