"""The fast path's parts, one at a time (bot/slack/fast_ack.py): the ASGI endpoint called directly,
with a real Bolt app of its own behind it, and its pure helpers.

tests/bot/test_fast_ack.py runs the whole bot around it over loopback; here each test looks at
one thing that path cannot show: what Bolt is handed, what the logs say (and do not say), how a
body that comes in pieces is read, what the inline path's `receive` gives, and the corner cases
of reading a body."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.background import Background
from bot.offline.signing import FORM, JSON, Signer, command_body, event_body
from bot.slack import blocks as bk
from bot.slack.fast_ack import (
    FAILED,
    EmptyAcks,
    FastAck,
    Verification,
    _Answer,
    _read_body,
    _replaying,
    read_body,
)
from bot.slack.post_ack import ACKED_EARLY, start_after_ack
from bot.slack.replay import ReplayGuard
from tests.bot.conftest import Stack

SECRET = "parts-secret"
SIGNER = Signer(SECRET)
LOGGER = "bot.slack.fast_ack"
Message = dict[str, Any]


@dataclasses.dataclass
class Harness:
    """A FastAck around a Bolt app with a `/recall` listener that acks with nothing, an event
    listener, and a middleware that keeps each request Bolt is handed."""

    fast: FastAck
    bolt: AsyncApp
    background: Background
    reached: list[AsyncBoltRequest]
    inline: list[tuple[dict[str, Any], list[Message]]]  # (scope, what `receive` gave)

    async def call(
        self,
        body: str | bytes,
        headers: dict[str, str],
        *,
        scope: dict[str, Any] | None = None,
        messages: list[Message] | None = None,
    ) -> list[Message]:
        raw = body.encode() if isinstance(body, str) else body
        incoming = messages if messages is not None else [http_request(raw)]
        sent: list[Message] = []

        async def receive() -> Message:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        asgi_scope = {
            "type": "http",
            "method": "POST",
            "path": "/slack/events",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            **(scope or {}),
        }
        await self.fast(asgi_scope, receive, send)
        return sent

    async def settle(self) -> None:
        assert await self.background.wait_idle(timeout=10.0)


def http_request(body: bytes, *, more: bool = False) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def harness(
    *,
    change: Callable[[AsyncApp], None] | None = None,
    work: Callable[[], Awaitable[None]] | None = None,
) -> Harness:
    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-x")

    bolt = AsyncApp(
        name="parts",
        signing_secret=SECRET,
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
    )
    reached: list[AsyncBoltRequest] = []
    background = Background()

    async def note(req: AsyncBoltRequest, next: Callable[[], Awaitable[None]]) -> None:
        reached.append(req)
        await next()

    bolt.use(note)
    if change is not None:
        change(bolt)

    @bolt.command("/recall")
    async def recall(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()
        if work is not None:
            start_after_ack(lambda: background.spawn(work()))

    @bolt.event("app_home_opened")
    async def home(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    inline: list[tuple[dict[str, Any], list[Message]]] = []

    async def inline_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        got = [await receive(), await receive()]
        inline.append((scope, got))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"inline"})

    empty = EmptyAcks(commands=frozenset({"/recall"}), shortcuts=frozenset(), events=True)
    fast = FastAck(
        bolt,
        empty,
        signing_secret=SECRET,
        replay=ReplayGuard(),
        background=background,
        inline=inline_app,
    )
    return Harness(fast, bolt, background, reached, inline)


def recall(text: str = "TRK-101 30m ago") -> str:
    return command_body("/recall", text, response_url="", trigger_id="t-1")


def answer(sent: list[Message]) -> tuple[int, bytes]:
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    return start["status"], body["body"]


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]


# --- what Bolt is handed --------------------------------------------------------------------------


async def test_bolt_is_handed_the_request_as_slack_sent_it() -> None:
    h = harness()
    body = recall()
    headers = {**SIGNER.headers(body), "X-Extra": "one"}
    scope = {
        "query_string": b"team=T1&x=%C3%A9",
        "headers": [
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
            (b"X-Extra", b"two"),  # a header sent twice, named in capitals
        ],
    }
    sent = await h.call(body, headers, scope=scope)
    assert answer(sent) == (200, b"")
    await h.settle()
    [req] = h.reached
    assert req.raw_body == body and req.body["command"] == "/recall"
    assert req.body["text"] == "TRK-101 30m ago"
    assert req.query == {"team": ["T1"], "x": ["é"]}
    assert req.headers["x-slack-signature"] == [headers["X-Slack-Signature"]]
    assert req.headers["x-extra"] == ["one", "two"]
    assert req.context.get(ACKED_EARLY) is True


async def test_a_request_without_a_query_string_has_no_query() -> None:
    h = harness()
    body = recall()
    scope: dict[str, Any] = {"type": "http", "headers": []}
    sent: list[Message] = []
    incoming = [http_request(body.encode())]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope["headers"] = [(k.lower().encode(), v.encode()) for k, v in SIGNER.headers(body).items()]
    await h.fast(scope, receive, send)  # no "query_string" in the scope at all
    await h.settle()
    assert answer(sent) == (200, b"") and [r.query for r in h.reached] == [{}]


async def test_a_stop_right_after_the_ack_lets_the_listeners_work_finish() -> None:
    """The dispatch of a request acked early, and the work its listener hands over, count as
    running when a stop begins, as they would have for a request dispatched inline."""
    finished: list[str] = []

    async def work() -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        finished.append("recall created")

    h = harness(work=work)
    body = recall()
    assert answer(await h.call(body, SIGNER.headers(body))) == (200, b"")
    await h.background.stop(drain_seconds=5.0)
    assert len(h.reached) == 1 and finished == ["recall created"]


async def test_a_body_without_a_content_type_is_read_as_a_form() -> None:
    h = harness()
    body = recall()
    headers = {k: v for k, v in SIGNER.headers(body).items() if k != "Content-Type"}
    assert answer(await h.call(body, headers)) == (200, b"")
    await h.settle()
    assert [r.body["command"] for r in h.reached] == ["/recall"]


# --- what is left to Bolt, inline -----------------------------------------------------------------


async def test_the_inline_path_reads_the_body_then_the_connection() -> None:
    h = harness()
    body = command_body("/unknown", "x", response_url="", trigger_id="t")
    sent = await h.call(body, SIGNER.headers(body))
    assert answer(sent) == (299, b"inline")
    [(scope, got)] = h.inline
    assert scope["path"] == "/slack/events"
    # The body already read, whole, then whatever the connection says next.
    assert got == [http_request(body.encode()), {"type": "http.disconnect"}]
    assert h.reached == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("[1, 2]", JSON),  # JSON, but not an object
        ("ssl_check=1&token=t&command=%2Frecall", FORM),  # Bolt answers ssl_check unsigned
        (b"command=%2Frecall&text=\xff", FORM),  # not UTF-8
        ('{"type": "event_callback", "event": ', JSON),  # not JSON
    ],
)
async def test_what_cannot_be_acked_early_goes_inline_unchecked(
    body: str | bytes, content_type: str
) -> None:
    h = harness()
    sent = await h.call(body, {"Content-Type": content_type})  # unsigned: Bolt decides
    assert answer(sent) == (299, b"inline") and len(h.inline) == 1


@pytest.mark.parametrize(
    "content_type", [JSON, "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]
)
async def test_json_is_read_by_its_content_type_not_its_first_character(content_type: str) -> None:
    event = "\n" + event_body(
        {"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="Ev1", event_time=1
    )
    h = harness()
    sent = await h.call(event, {**SIGNER.headers(event), "Content-Type": content_type})
    await h.settle()
    if content_type.startswith("Application"):  # Bolt compares it as written: a form, to Bolt
        assert answer(sent) == (299, b"inline") and h.reached == []
    else:
        assert answer(sent) == (200, b"") and h.inline == []
        assert [r.body["event"]["type"] for r in h.reached] == ["app_home_opened"]


# --- the logs -------------------------------------------------------------------------------------


async def test_a_bad_signature_is_logged_with_the_kind_and_a_short_timestamp(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness()
    body = recall("secret-words")
    long_stamp = "1" * 30
    with caplog.at_level(logging.INFO, logger=LOGGER):
        forged = await h.call(
            body, {**SIGNER.headers(body), "X-Slack-Request-Timestamp": long_stamp}
        )
        missing = await h.call(body, {"Content-Type": FORM})  # no stamp, no signature
    assert answer(forged)[0] == answer(missing)[0] == 401
    assert logged(caplog) == [
        (logging.INFO, f"refused a Slack command with a bad signature (timestamp {'1' * 20})"),
        (logging.INFO, "refused a Slack command with a bad signature (timestamp 0)"),
    ]
    assert "secret-words" not in caplog.text and h.reached == []


@pytest.mark.parametrize(
    ("retry", "logged_as"),
    [
        ({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, "1, http_timeout"),
        ({"X-Slack-Retry-Num": "1234567", "X-Slack-Retry-Reason": "r" * 50}, f"12345, {'r' * 40}"),
        ({"X-Slack-Retry-Num": "2"}, "2, ?"),
    ],
)
async def test_a_retry_from_slack_is_logged_and_dispatched(
    retry: dict[str, str], logged_as: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness()
    body = recall()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        sent = await h.call(body, {**SIGNER.headers(body), **retry})
        await h.settle()
    assert answer(sent) == (200, b"") and len(h.reached) == 1
    assert logged(caplog) == [(logging.INFO, f"Slack retried a command (attempt {logged_as})")]


async def test_a_first_delivery_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    h = harness()
    body = recall()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        await h.call(body, SIGNER.headers(body))
        await h.settle()
    assert logged(caplog) == [] and len(h.reached) == 1


def raising(bolt: AsyncApp) -> None:
    """A bug in a middleware, and in the error handler that would have turned it into a 500."""

    async def boom() -> None:
        raise RuntimeError("a bug after the ack")

    async def worse(error: Exception) -> None:
        raise error

    bolt.use(boom)
    bolt.error(worse)


def answering_500(bolt: AsyncApp) -> None:
    async def refuse() -> BoltResponse:
        return BoltResponse(status=500, body="")

    bolt.use(refuse)


@pytest.mark.parametrize(
    ("change", "message", "level"),
    [
        (raising, "dispatching a Slack command after its ack failed", logging.ERROR),
        (
            answering_500,
            "a Slack command acked early got status 500 from Bolt; that answer was dropped",
            logging.ERROR,
        ),
    ],
)
async def test_a_failed_dispatch_says_what_failed_and_nothing_more(
    change: Callable[[AsyncApp], None],
    message: str,
    level: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The request here has an empty response_url: nobody to tell, and nothing to fail at."""
    h = harness(change=change)
    body = recall()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert answer(await h.call(body, SIGNER.headers(body))) == (200, b"")
        await h.settle()
    assert logged(caplog) == [(level, message)]


async def test_the_person_is_told_in_a_new_ephemeral_message(stack: Stack) -> None:
    h = harness(change=raising)
    body = command_body(
        "/recall", "TRK-101", response_url=stack.response_url("told"), trigger_id="t-told"
    )
    await h.call(body, SIGNER.headers(body))
    await h.settle()
    text, blocks = bk.problem(FAILED)
    [told] = stack.slack.responses
    assert told["text"] == text and told["blocks"] == blocks
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False


async def test_when_the_person_cannot_be_told_it_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness(change=raising)
    # Nothing listens on port 1 of loopback: the post is refused.
    body = command_body("/recall", "x", response_url="http://127.0.0.1:1/r", trigger_id="t")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await h.call(body, SIGNER.headers(body))
        await h.settle()
    assert [m for _, m in logged(caplog)] == [
        "dispatching a Slack command after its ack failed",
        "could not tell the user about the failure",
    ]


# --- Bolt's own check, for what is not acked early ------------------------------------------------


def bolt_request(headers: dict[str, str], body: str, **context: Any) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body=body, headers={k.lower(): [v] for k, v in headers.items()}, context=context
    )


async def test_bolts_check_refuses_a_bad_signature_and_logs_no_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = recall("secret-words")
    headers = {**SIGNER.headers(body), "X-Slack-Signature": "v0=" + "0" * 64}
    headers["X-Slack-Request-Timestamp"] += "0" * 20  # 30 characters: the log keeps 20
    passed: list[bool] = []

    async def next_() -> BoltResponse:
        passed.append(True)
        return BoltResponse(status=200, body="")

    check = Verification(SECRET)
    with caplog.at_level(logging.DEBUG):
        refused = await check.async_process(
            req=bolt_request(headers, body), resp=BoltResponse(status=200), next=next_
        )
    assert (refused.status, json.loads(refused.body)) == (401, {"error": "invalid request"})
    stamp = headers["X-Slack-Request-Timestamp"][:20]
    assert logged(caplog) == [
        (logging.INFO, f"refused a Slack request with a bad signature (timestamp {stamp})")
    ]
    assert "secret-words" not in caplog.text and passed == []


async def test_bolts_check_passes_a_request_acked_early_without_checking_again() -> None:
    """Checked before its ack; by its dispatch the five minutes may have run out."""
    body = recall()
    stale = SIGNER.headers(body, timestamp=1)
    passed: list[bool] = []

    async def next_() -> BoltResponse:
        passed.append(True)
        return BoltResponse(status=200, body="")

    check = Verification(SECRET)
    early = bolt_request(stale, body, **{ACKED_EARLY: True})
    assert (
        await check.async_process(req=early, resp=BoltResponse(status=200), next=next_)
    ).status == 200
    assert passed == [True]
    late = bolt_request(stale, body)
    assert (
        await check.async_process(req=late, resp=BoltResponse(status=200), next=next_)
    ).status == 401
    assert passed == [True]


# --- reading a body -------------------------------------------------------------------------------


async def _read(messages: list[Message]) -> bytes | None:
    async def receive() -> Message:
        return messages.pop(0)

    return await _read_body(receive)


async def test_a_body_in_pieces_is_read_whole() -> None:
    pieces = [http_request(b"a=1", more=True), {"type": "http.request", "more_body": True},
              http_request(b"&b=2")]  # fmt: skip
    assert await _read(pieces) == b"a=1&b=2"


async def test_a_last_piece_may_leave_out_more_body() -> None:
    assert await _read([{"type": "http.request", "body": b"x=1"}]) == b"x=1"


async def test_a_client_gone_before_the_end_gets_no_answer() -> None:
    assert await _read([http_request(b"a=", more=True), {"type": "http.disconnect"}]) is None
    h = harness()
    body = recall()
    cut = [http_request(body.encode()[:10], more=True), {"type": "http.disconnect"}]
    assert await h.call(body, SIGNER.headers(body), messages=cut) == []
    assert h.reached == [] and h.inline == []


async def test_the_replayed_receive_gives_the_body_once() -> None:
    later: list[Message] = [{"type": "http.disconnect"}]

    async def receive() -> Message:
        return later.pop(0)

    replay = _replaying(b"a=1", receive)
    assert await replay() == {"type": "http.request", "body": b"a=1", "more_body": False}
    assert await replay() == {"type": "http.disconnect"}


async def test_an_answer_is_sent_with_its_length_and_headers() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    reply = _Answer(BoltResponse(status=418, body="héllo", headers={"X-Why": "tea"}))
    await reply.send(send)
    await reply.send(send)  # the same answer again: same messages, none grown
    start = {
        "type": "http.response.start",
        "status": 418,
        "headers": [
            (b"x-why", b"tea"),
            (b"content-type", b"text/plain;charset=utf-8"),
            (b"content-length", b"6"),
        ],
    }
    assert sent == [start, {"type": "http.response.body", "body": "héllo".encode()}] * 2


def test_bodies_bolt_reads_empty_are_read_as_slack_meant_them() -> None:
    command = {"command": "/recall", "text": "payload door", "channel_name": ""}
    assert read_body(urlencode(command), FORM) == command  # blank fields kept
    assert read_body(urlencode({"payload": "{}"}), FORM) == {}  # an empty interaction
    assert read_body("{}", None) == {}
    assert read_body(" {}", JSON) == {}
    assert read_body(' {"a": 1}', JSON) == {"a": 1}
    assert read_body("", FORM) == {}
