"""Request bodies are bounded: anything over the limit is answered 413 before it is read whole.

Slack's and Motive's requests are a few kilobytes; their signatures can only be checked once the
whole body is in hand, so without a bound anyone who can reach the URL could make the bot hold
any amount of memory before the 401. A declared Content-Length over the limit is refused before
a byte of the body is read; a body sent without one (chunked) is counted as it arrives and
refused as soon as it passes the limit, so no more than the limit (and one chunk) is ever held.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

BODY_LIMIT = 1024 * 1024  # 1 MB: far above any Slack or Motive payload


@dataclass(eq=False)
class BoundedBodies:
    """ASGI middleware: an HTTP request's body is handed on whole, or refused with 413."""

    app: ASGIApp
    limit: int = BODY_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, send, f"declared {declared} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send, "streamed")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, send: Send, how: str) -> None:
        log.warning(
            "refused a request body over %d bytes (%s) on %s",
            self.limit,
            how,
            str(scope.get("path", "?"))[:80],
        )
        body = b"request body too large\n"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # unreadable: counted as it streams instead
    return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app: the body already read, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
