"""Acks sent ahead of Bolt, for the requests whose ack is always an empty 200.

Under a burst of Slack requests every ack waits for the CPU the requests before it take: uvicorn,
Starlette, then Bolt's dispatch (its middleware chain, listener matching, request, context and
response objects), even with listeners that return right after `ack()`. Most of our listeners
ack with nothing, whatever the request says: our slash commands, the shortcuts, every
block action and every event. For those the fast path checks what Bolt would refuse with a 401
(the signature and its five-minute timestamp, with the same `SignatureVerifier`, and a signature
seen before, with the app's own replay guard), answers an empty 200 at once, and hands the
request to Bolt's full dispatch as post-ack work: started once the response has gone and the
burst has passed, like any work after an ack. There `ack()` changes nothing; what Bolt would
have answered is dropped. Were it not an empty 200 (only a bug could cause that), it is logged,
and the person is told through the request's response_url where it has one.

Anything else goes through Bolt inline, unchanged: view submissions (their ack may carry
errors), options (their ack is the options), `ssl_check`, `url_verification`, commands and
shortcuts the app does not register (Bolt's 404), and whatever cannot be read. Bolt's own parser
reads the body here, so both agree on what a request is.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.background import Background
from bot.slack import blocks as bk
from bot.slack.post_ack import ACKED_EARLY, already_acked, arrived
from bot.slack.replay import ReplayGuard

log = logging.getLogger(__name__)

Headers = dict[str, list[str]]
FAILED = "Something went wrong on my side with that request. Please try again."


@dataclass(frozen=True)
class EmptyAcks:
    """Which requests the app's listeners always ack with an empty 200."""

    commands: frozenset[str]  # slash commands with a listener of their own
    shortcuts: frozenset[str]  # callback ids of global and message shortcuts
    block_actions: bool = False  # True when a catch-all action listener acks any other one
    events: bool = False  # True when a catch-all event listener takes any other one

    def kind(self, body: dict[str, Any]) -> str | None:
        """What `body` is if its ack is an empty 200 (for the logs), else None. Bolt matches
        listeners the same way: a `command` field first (commands are registered first), then
        the payload's type."""
        command = body.get("command")
        if isinstance(command, str) and command in self.commands:
            return "command"
        kind = body.get("type")
        if kind in ("shortcut", "message_action"):
            callback = body.get("callback_id")
            return "shortcut" if isinstance(callback, str) and callback in self.shortcuts else None
        if kind == "block_actions" and self.block_actions and "actions" in body:
            return "block action"
        if kind == "event_callback" and self.events:
            event = body.get("event")
            if isinstance(event, dict) and isinstance(event.get("type"), str):
                return "event"
        return None


def read_body(text: str, content_type: str | None) -> dict[str, Any]:
    """What Slack sent, read as Bolt reads it, but for one case: Bolt takes any form body holding
    the word "payload" for an interaction's `payload=` field and, finding no such field, reads
    it as empty. A command whose text says "payload" would then be lost (Bolt's 404)."""
    parsed = parse_body(text, content_type)
    if parsed or not text or content_type == "application/json" or text.startswith("{"):
        return parsed
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return {} if "payload" in fields else fields


class Verification(AsyncRequestVerification):
    """Bolt's signature and timestamp check, but not again for a request the fast path checked
    and acked: a timestamp just inside the five minutes then could be outside them now. Logs
    no body (Bolt's own logs the whole of it)."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if req.context.get(ACKED_EARLY):
            return await next()
        return await super().async_process(req=req, resp=resp, next=next)

    def _debug_log_error(self, signature: str, timestamp: str, body: str) -> None:
        log.info("refused a Slack request with a bad signature (timestamp %s)", timestamp[:20])


class _Answer:
    """One of Bolt's answers (its status, headers and body), as ASGI messages."""

    def __init__(self, response: BoltResponse) -> None:
        self.status = response.status
        self.body = response.body.encode()
        self.headers = [(k.encode(), v.encode()) for k, v in response.first_headers().items()]
        self.headers.append((b"content-length", str(len(self.body)).encode()))

    async def send(self, send: Send) -> None:
        # Fresh messages each time: a server or middleware may add to them.
        start = {"type": "http.response.start", "status": self.status, "headers": [*self.headers]}
        await send(start)
        await send({"type": "http.response.body", "body": self.body})


_EMPTY_ACK = _Answer(BoltResponse(status=200, body=""))
_BAD_SIGNATURE = _Answer(Verification._build_error_response())
_REPLAYED = _Answer(ReplayGuard.refusal())


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; None if the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the inline path: the body already read, then the connection's own."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class FastAck:
    """The ASGI endpoint for /slack/events: an early empty ack where it is always the answer,
    `inline` (Bolt's handler) for everything else."""

    def __init__(
        self,
        bolt: AsyncApp,
        empty: EmptyAcks,
        *,
        signing_secret: str,
        replay: ReplayGuard,
        background: Background,
        inline: ASGIApp,
    ) -> None:
        self._bolt = bolt
        self._empty = empty
        self._verifier = SignatureVerifier(signing_secret)
        self._replay = replay
        self._background = background
        self._inline = inline
        self._queue: deque[tuple[AsyncBoltRequest, str]] = deque()
        self._dispatcher: asyncio.Task[Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived()
        body = await _read_body(receive)
        if body is None:
            return  # nobody to answer
        headers: Headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        # Read as Bolt reads it, before its signature check too: what is not acked early goes
        # to Bolt untouched and is checked there.
        text, parsed, kind = self._classify(body, headers)
        if text is None or kind is None:
            await self._inline(scope, _replaying(body, receive), send)
            return
        timestamp = headers.get("x-slack-request-timestamp", ["0"])[0]
        signature = headers.get("x-slack-signature", [""])[0]
        if not self._signed(body, timestamp, signature):
            log.info("refused a Slack %s with a bad signature (timestamp %s)", kind, timestamp[:20])
            await _BAD_SIGNATURE.send(send)
            return
        if not self._replay.seen_first(timestamp, signature):
            await _REPLAYED.send(send)
            return
        await _EMPTY_ACK.send(send)
        if "x-slack-retry-num" in headers:  # Slack thought an earlier delivery went unanswered
            log.info(
                "Slack retried a %s (attempt %s, %s)",
                kind,
                headers["x-slack-retry-num"][0][:5],
                headers.get("x-slack-retry-reason", ["?"])[0][:40],
            )
        # The response has been handed to the server: only now does Bolt see the request.
        request = AsyncBoltRequest(
            body=text,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,  # type: ignore[arg-type]
            context={ACKED_EARLY: True},
        )
        if request.body != parsed:  # Bolt misread it (read_body): give it what Slack sent
            request.body = parsed
            request.context = build_async_context(AsyncBoltContext({ACKED_EARLY: True}), parsed)
        self._queue.append((request, kind))
        if self._dispatcher is None or self._dispatcher.done():
            # One task per burst, gated like all post-ack work: it starts once the burst has
            # passed, and dispatches in the order the requests came.
            self._dispatcher = self._background.spawn(self._dispatch_queued(), hands_over=True)

    def _classify(
        self, body: bytes, headers: Headers
    ) -> tuple[str | None, dict[str, Any], str | None]:
        """The body as text and as read, and what it is, if it is acked early."""
        content_type = headers.get("content-type", [""])[0].split(";")[0] or None
        try:
            text = body.decode("utf-8")
            parsed = read_body(text, content_type)
        except (ValueError, RecursionError):  # not UTF-8, not JSON: Bolt answers it as ever
            return None, {}, None
        if not isinstance(parsed, dict) or "ssl_check" in parsed:
            return None, {}, None
        return text, parsed, self._empty.kind(parsed)

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number (Bolt would answer a 500)
            return False

    async def _dispatch_queued(self) -> None:
        # Listeners return right after acking: one at a time is quick.
        while self._queue:
            await self._dispatch(*self._queue.popleft())

    async def _dispatch(self, request: AsyncBoltRequest, kind: str) -> None:
        """Bolt's whole dispatch, its ack already sent. Never raises: nobody would hear it."""
        try:
            with already_acked():
                response = await self._bolt.async_dispatch(request)
        except Exception:
            log.exception("dispatching a Slack %s after its ack failed", kind)
        else:
            if response.status == 200 and not response.body:
                return
            # Bolt would have answered something else (a failure before the listener acked, or
            # a listener gone missing): Slack has had its 200 already, so the person is told.
            log.error(
                "a Slack %s acked early got status %d from Bolt; that answer was dropped",
                kind,
                response.status,
            )
        await self._tell_the_user(request.body.get("response_url"))

    async def _tell_the_user(self, response_url: object) -> None:
        if not isinstance(response_url, str) or not response_url:
            return  # an event, or a global shortcut: nobody to tell but the logs
        text, blocks = bk.problem(FAILED)
        try:
            await AsyncWebhookClient(response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except Exception:
            log.exception("could not tell the user about the failure")
