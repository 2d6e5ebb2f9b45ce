"""Talking to Slack: the Web client with retry handlers, and posting where the bot may post."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import SLACK_ERRORS
from bot.render import blocks as bk

log = logging.getLogger(__name__)

# What a Slack call can fail with: an error answer, or no answer at all.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)

# Slack's answers that no retry changes: the channel is gone, archived or closed to the bot, the
# person cannot be sent a DM. (not_in_channel is one only once a join has failed.)
PERMANENT_REFUSALS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "messages_tab_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)

# Sends a private message to the person who asked (a response_url, an ephemeral, or a DM).
Reply = Callable[[str, list[bk.Block]], Awaitable[None]]


def web_client(token: str, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ],
    )


def at_most_once(client: AsyncWebClient) -> AsyncWebClient:
    """`client` for a call Slack must not carry out twice: a post, a file's share. Slack may have
    done it and then answered an error, or its answer may have been lost, and the SDK's server
    error and connection retries would send it again: a second post. Only rate limits are
    retried here (a 429 means Slack did nothing); the caller's own retry looks for what the
    failed call may have done before it tries again (`post_once` here, `Deliverer.deliver_once`
    in bot/tracking/delivery.py, a share's `Unsure` in bot/slack_api/uploads.py)."""
    once = copy.copy(client)
    once.retry_handlers = [
        h for h in client.retry_handlers if isinstance(h, AsyncRateLimitErrorRetryHandler)
    ]
    return once


def maybe_done(e: BaseException) -> bool:
    """Whether a failed post (or share) may still have been carried out: yes unless Slack
    answered with a plain refusal (a 4xx other than 429, or ok: false with 200)."""
    if not isinstance(e, SlackApiError):
        return True  # no answer at all
    status = e.response.status_code if e.response is not None else 0
    return status >= 500 or status == 429


async def find_marked(
    slack: AsyncWebClient,
    channel: str,
    marker: str,
    thread_ts: str | None = None,
    *,
    file_id: str | None = None,
    pages: int = 5,
) -> str | None:
    """Where an earlier attempt at a post would be (the thread, else the channel's or DM's
    newest messages): its ts if a message carries `marker` as a block id (or the file)."""
    cursor: str | None = None
    for _ in range(pages):
        if thread_ts:
            page = await slack.conversations_replies(
                channel=channel, ts=thread_ts, limit=200, cursor=cursor
            )
        else:
            page = await slack.conversations_history(channel=channel, limit=100, cursor=cursor)
        for message in page.get("messages") or []:
            if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                return str(message.get("ts"))
            if file_id and any(f.get("id") == file_id for f in message.get("files") or []):
                return f"file:{file_id}"
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return None
    return None


# A post whose answer was lost is looked for, then tried again, this many times in all.
POST_TRIES = 3


async def post_once(
    slack: AsyncWebClient,
    channel: str,
    text: str,
    blocks: list[bk.Block],
    thread_ts: str | None,
    marker: str,
) -> str:
    """Post at most once: never retried blindly (a 500 may come after Slack posted). Marked
    with `marker`; after an answer that leaves it open, looked for where it would be, and
    posted again only if it is not there."""
    once = at_most_once(slack)
    marked = bk.marked(blocks, marker)
    for attempt in range(POST_TRIES):
        if attempt:
            found = await find_marked(slack, channel, marker, thread_ts)
            if found is not None:
                return found
            await asyncio.sleep(0.2 * 2**attempt)
        try:
            return await post(once, channel, text, marked, thread_ts)
        except SLACK_FAILURES as e:
            if not maybe_done(e) or attempt == POST_TRIES - 1:
                raise
            log.warning("post to %s may have gone through (%s); looking", channel, slack_error(e))
    raise AssertionError("unreachable")  # pragma: no cover


def slack_error(e: BaseException) -> str:
    if not isinstance(e, SlackApiError):
        return f"no answer from Slack ({type(e).__name__})"
    data = e.response.data if e.response is not None else None
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or "unknown_error")


def refused_for_good(e: BaseException) -> str | None:
    """Slack's error code when `e` is a refusal no retry changes (PERMANENT_REFUSALS)."""
    if not isinstance(e, SlackApiError):
        return None
    code = slack_error(e)
    return code if code in PERMANENT_REFUSALS else None


@dataclass(frozen=True)
class Place:
    """Where a request's anchor message lives; the thread under it is where results go."""

    channel: str
    ts: str
    dm: bool = False


async def post(
    slack: AsyncWebClient,
    channel: str,
    text: str,
    blocks: list[bk.Block],
    thread_ts: str | None = None,
) -> str:
    kwargs: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    try:
        response = await slack.chat_postMessage(**kwargs)
    except SlackApiError as e:
        SLACK_ERRORS.labels(method="chat.postMessage", error=slack_error(e)).inc()
        raise
    return str(response["ts"])


async def update(slack: AsyncWebClient, place: Place, text: str, blocks: list[bk.Block]) -> None:
    try:
        await slack.chat_update(channel=place.channel, ts=place.ts, text=text, blocks=blocks)
    except SLACK_FAILURES as e:
        # A lost status update is cosmetic; the thread still gets the result.
        SLACK_ERRORS.labels(method="chat.update", error=slack_error(e)).inc()
        log.warning("could not update anchor %s/%s: %s", place.channel, place.ts, slack_error(e))


async def open_dm(slack: AsyncWebClient, user: str) -> str:
    response = await slack.conversations_open(users=user)
    return str(response["channel"]["id"])


async def post_anchor(
    slack: AsyncWebClient,
    channel: str,
    user: str,
    text: str,
    blocks: list[bk.Block],
    reply: Reply,
    thread_ts: str | None = None,
    *,
    marker: str,
) -> Place:
    """Post in the channel (in `thread_ts`'s thread if given); join it if public and not
    joined; else tell the user and use a DM. At most once (`post_once`, with `marker`)."""

    async def post(channel: str, thread_ts: str | None) -> str:
        return await post_once(slack, channel, text, blocks, thread_ts, marker)

    try:
        return Place(channel, await post(channel, thread_ts))
    except SlackApiError as e:
        code = slack_error(e)
        if code not in ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"):
            raise
    if code == "not_in_channel":
        try:
            await slack.conversations_join(channel=channel)
            return Place(channel, await post(channel, thread_ts))
        except SlackApiError as e:
            log.info("could not join %s: %s", channel, slack_error(e))
    notice_text, notice_blocks = bk.not_in_private_channel(channel)
    await reply(notice_text, notice_blocks)
    dm = await open_dm(slack, user)
    return Place(dm, await post(dm, None), dm=True)


async def permalink(slack: AsyncWebClient, channel: str, ts: str | None) -> str | None:
    """A link to a message for people to follow; None when Slack will not give one (the
    caller then says where the message is instead)."""
    if not ts:
        return None
    try:
        got = await slack.chat_getPermalink(channel=channel, message_ts=ts)
    except SLACK_FAILURES as e:
        log.info("no permalink for %s: %s", ts, slack_error(e))
        return None
    link = got.get("permalink")
    return str(link) if link else None
