"""No request body over 1 MB is read: 413 before it is read whole, on both routes, whether the
body's length is declared or it is streamed in chunks; what fits goes on as before."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from starlette.types import Message, Receive, Scope, Send

from bench.big_bodies import post_zeros
from bot.offline.signing import command_body
from bot.slack.ingress.bounded_bodies import BODY_LIMIT, BoundedBodies
from tests.support.stack import Stack, running_stack

CHUNK = 64 * 1024


class Downstream:
    """An ASGI app that reads the whole body it is given, and notes it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Client:
    """The client side of one request: a body of `total` bytes in 64 KB chunks, counted as the
    server asks for them."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.chunks_taken = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        left = self.total - self.chunks_taken * CHUNK
        size = max(0, min(CHUNK, left))
        self.chunks_taken += 1
        return {"type": "http.request", "body": b"0" * size, "more_body": left > CHUNK}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


def scope(headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "method": "POST", "path": "/slack/events", "headers": headers}


async def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read() -> None:
    app, client = Downstream(), Client(64 * 1024 * 1024)
    length = str(client.total).encode()
    await BoundedBodies(app)(scope([(b"content-length", length)]), client.receive, client.send)
    assert client.status == 413 and client.chunks_taken == 0 and app.bodies == []


async def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    app, client = Downstream(), Client(64 * 1024 * 1024)  # chunked: no length declared
    await BoundedBodies(app)(scope([]), client.receive, client.send)
    assert client.status == 413 and app.bodies == []
    # The limit and one chunk read, not the 64 MB.
    assert client.chunks_taken == BODY_LIMIT // CHUNK + 1


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_at_the_limit_goes_on_whole(declared: bool) -> None:
    app, client = Downstream(), Client(BODY_LIMIT)
    headers = [(b"content-length", str(BODY_LIMIT).encode())] if declared else []
    await BoundedBodies(app)(scope(headers), client.receive, client.send)
    assert client.status == 200 and [len(b) for b in app.bodies] == [BODY_LIMIT]


async def test_a_length_that_lies_low_is_still_counted() -> None:
    app, client = Downstream(), Client(3 * BODY_LIMIT)
    await BoundedBodies(app)(scope([(b"content-length", b"10")]), client.receive, client.send)
    assert client.status == 413 and app.bodies == []


# --- the running bot, over loopback ---------------------------------------------------------------


@pytest.fixture
async def served(sqlite_url: str) -> AsyncIterator[Stack]:
    async with running_stack(sqlite_url, served=True) as stack:
        yield stack


@pytest.mark.parametrize("path", ["/slack/events", "/motive/webhooks"])
@pytest.mark.parametrize("chunked", [False, True])
async def test_both_routes_answer_413_and_stay_healthy(
    served: Stack, caplog: pytest.LogCaptureFixture, path: str, chunked: bool
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.slack.ingress.bounded_bodies")
    # Declared: the answer comes before a byte of the body is sent. Streamed: it comes once the
    # limit is passed (the client stops there, so that the answer is not lost to a reset).
    pause = BODY_LIMIT + CHUNK if chunked else 0
    sent = await post_zeros(served.url, path, 64 * BODY_LIMIT, chunked=chunked, pause_after=pause)
    assert sent.status == 413
    await served.settle()
    assert served.slack_calls() == [] and served.motive_calls() == {}
    [line] = [
        r.getMessage() for r in caplog.records if r.name == "bot.slack.ingress.bounded_bodies"
    ]
    assert line.startswith(f"refused a request body over {BODY_LIMIT} bytes") and path in line
    health = await served.http.get(f"{served.url}/healthz")
    assert health.status_code == 200


async def test_a_command_under_the_limit_is_answered_as_ever(served: Stack) -> None:
    body = command_body(
        "/recall",
        "TRK-101 40m ago 1m note: " + "x" * (BODY_LIMIT // 2),
        response_url=served.response_url("big"),
        trigger_id="trig-big",
    )
    assert BODY_LIMIT // 2 < len(body) < BODY_LIMIT
    r = await served.http.post(
        f"{served.url}/slack/events", content=body, headers=served.signed(body)
    )
    assert r.status_code == 200
    await served.settle()
    assert served.sim is not None and served.sim.stats.recalls_created == 1


async def test_an_oversized_form_body_never_reaches_the_signature_check(served: Stack) -> None:
    body = urlencode({"payload": "{" + " " * (2 * BODY_LIMIT) + "}"})
    r = await served.http.post(
        f"{served.url}/slack/events", content=body, headers=served.signed(body)
    )
    assert r.status_code == 413  # not Bolt's 200 or 401: nothing past the bound looked at it
