"""The fast path in front of Bolt (bot/slack/fast_ack.py): what it acks early, what it refuses
without dispatching, what it leaves to Bolt, and that an acked request is dispatched once.

The servers here are the bot's own (`build_server` around `build_bolt_app`, on the stack's running
services) on loopback, with one middleware at the end of the Bolt app's chain that notes each
request about to reach the listeners: the tests' window on Bolt's dispatch. `fast=False` is the
same server with the fast path off: Bolt's own answers, to compare with."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.background import Background
from bot.offline.loopback import serve_on_loopback
from bot.offline.signing import JSON, command_body, event_body, interaction_body
from bot.server import build_server
from bot.slack.app import BotApp, build_bolt_app
from bot.slack.fast_ack import FAILED, EmptyAcks
from bot.slack.listeners import EMPTY_ACKS
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from tests.bot.conftest import Stack, running_stack


@dataclasses.dataclass
class Served:
    stack: Stack  # posts to this server
    bolt: BotApp
    reached: list[dict[str, Any]]  # the bodies that got past Bolt's middleware, in order

    async def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return await self.stack.http.post(
            f"{self.stack.url}/slack/events", content=body, headers=headers
        )


@contextlib.asynccontextmanager
async def serving(
    stack: Stack, *, fast: bool = True, change: Callable[[BotApp], None] | None = None
) -> AsyncIterator[Served]:
    bolt = build_bolt_app(stack.svc)
    reached: list[dict[str, Any]] = []

    async def note(req: AsyncBoltRequest, next: Callable[[], Awaitable[None]]) -> None:
        reached.append(req.body)
        await next()

    bolt.use(note)
    if change is not None:
        change(bolt)
    if not fast:
        bolt.empty_acks = None
    inner = build_server(stack.svc, bolt)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the stack's own server started the services
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await inner(scope, receive, send)

    async with serve_on_loopback(app) as url:
        yield Served(dataclasses.replace(stack, url=url), bolt, reached)


def recall_body(stack: Stack, n: int, text: str = "TRK-101 30m ago 2m") -> str:
    return command_body(
        "/recall", text, response_url=stack.response_url(f"f{n}"), trigger_id=f"trig-f{n}"
    )


# --- refused before Bolt --------------------------------------------------------------------------


def forged(stack: Stack, body: str) -> dict[str, str]:
    return stack.signed(body, secret="not-the-secret")


def stale(stack: Stack, body: str) -> dict[str, str]:
    return stack.signed(body, timestamp=int(time.time()) - 6 * 60)


def unsigned(stack: Stack, body: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def stamp_not_a_number(stack: Stack, body: str) -> dict[str, str]:
    return {**stack.signed(body), "X-Slack-Request-Timestamp": "soon"}


@pytest.mark.parametrize("headers", [forged, stale, unsigned, stamp_not_a_number])
async def test_a_bad_signature_or_stamp_is_refused_without_dispatching(
    stack: Stack, headers: Callable[[Stack, str], dict[str, str]]
) -> None:
    body = recall_body(stack, 1)
    async with serving(stack) as served:
        r = await served.post(body, headers(stack, body))
        await stack.settle()
    assert (r.status_code, r.json()) == (401, {"error": "invalid request"})
    assert served.reached == [] and stack.svc.background.busy == 0
    assert stack.slack.calls == [] and stack.slack.responses == [] and stack.motive_calls() == {}


@pytest.mark.parametrize("headers", [forged, stale, unsigned])
async def test_the_refusal_is_bolts_own(
    stack: Stack, headers: Callable[[Stack, str], dict[str, str]]
) -> None:
    body = recall_body(stack, 2)
    answers = []
    for fast in (True, False):
        async with serving(stack, fast=fast) as served:
            r = await served.post(body, headers(stack, body))
            answers.append((r.status_code, r.headers["content-type"], r.content))
    assert answers[0] == answers[1] and answers[0][0] == 401


# --- left to Bolt ---------------------------------------------------------------------------------


def unknown_command(stack: Stack) -> str:
    return command_body(
        "/unknown", "x", response_url=stack.response_url("u1"), trigger_id="trig-u1"
    )


def unknown_shortcut(stack: Stack) -> str:
    return interaction_body({"type": "shortcut", "callback_id": "nope", "trigger_id": "t-u2"})


@pytest.mark.parametrize("make_body", [unknown_command, unknown_shortcut])
async def test_what_the_app_does_not_register_gets_bolts_404(
    stack: Stack, make_body: Callable[[Stack], str]
) -> None:
    answers = []
    for fast in (True, False):
        async with serving(stack, fast=fast) as served:
            body = make_body(stack)
            r = await served.post(body, stack.signed(body))
            # Dispatched inline, before the answer: Bolt's matching gave it.
            assert len(served.reached) == 1
            answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] == (404, {"error": "unhandled request"})


async def test_ssl_check_and_url_verification_are_answered_by_bolt(stack: Stack) -> None:
    async with serving(stack) as served:
        ssl = "ssl_check=1&token=legacy"
        r = await served.post(ssl, stack.signed(ssl))
        assert (r.status_code, r.text) == (200, "")
        challenge = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "t"})
        r = await served.post(challenge, {**stack.signed(challenge), "Content-Type": JSON})
        assert r.status_code == 200 and r.json() == {"challenge": "c-42"}
        await stack.settle()
    assert served.reached == [] and stack.slack.calls == []


async def test_a_form_with_errors_is_still_answered_inline(stack: Stack) -> None:
    """A view submission's ack can carry errors: it never takes the fast path."""
    view = {"id": "V1", "type": "modal", "callback_id": "recall_modal", "private_metadata": "",
            "state": {"values": {}}, "blocks": []}  # fmt: skip
    async with serving(stack) as served:
        body = interaction_body({"type": "view_submission", "view": view, "trigger_id": "t-v"})
        r = await served.post(body, stack.signed(body))
        assert len(served.reached) == 1  # before the answer
    assert r.status_code == 200 and r.json()["response_action"] == "errors"


# --- acked early, dispatched once -----------------------------------------------------------------


async def test_an_acked_command_is_dispatched_once_and_a_replay_not_at_all(stack: Stack) -> None:
    body = recall_body(stack, 3)
    headers = stack.signed(body)
    async with serving(stack, fast=False) as inline:
        help_body = recall_body(stack, 30, "help")  # acked by Bolt, inline
        bolts = await inline.post(help_body, stack.signed(help_body))
    async with serving(stack) as served:
        # Post-ack work waits for this gate (the app's own waits for a burst to pass).
        burst_over = asyncio.Event()
        stack.svc.background.gate = burst_over.wait
        r = await served.post(body, headers)
        assert (r.status_code, r.text) == (200, "")
        assert (
            r.headers["content-type"] == bolts.headers["content-type"] == "text/plain;charset=utf-8"
        )
        again = await served.post(body, headers)
        assert (again.status_code, again.json()) == (401, {"error": "replayed request"})
        assert served.reached == []  # both answered; Bolt has seen neither yet
        burst_over.set()
        await stack.settle()
    assert [b.get("command") for b in served.reached] == ["/recall"]
    assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1


async def test_an_acked_event_and_button_are_dispatched_once(stack: Stack) -> None:
    event = event_body(
        {"type": "app_home_opened", "user": "U0DISPATCH", "tab": "home"},
        event_id="EvFast1",
        event_time=int(stack.clock.now().timestamp()),
    )
    link = {"type": "block_actions", "trigger_id": "t-l", "container": {"type": "message"},
            "actions": [{"action_id": "open_link", "block_id": "b", "type": "button"}]}  # fmt: skip
    button = interaction_body(link)
    async with serving(stack) as served:
        r1 = await served.post(event, {**stack.signed(event), "Content-Type": JSON})
        r2 = await served.post(button, stack.signed(button))
        await stack.settle()
    assert [(r.status_code, r.text) for r in (r1, r2)] == [(200, ""), (200, "")]
    assert [b["type"] for b in served.reached] == ["event_callback", "block_actions"]
    assert len(stack.slack.called("views.publish")) == 1


# --- a dispatch that fails ------------------------------------------------------------------------


def failing_middleware(bolt: BotApp) -> None:
    async def boom() -> None:
        raise RuntimeError("a bug after the ack")

    bolt.use(boom)


def failing_error_handler_too(bolt: BotApp) -> None:
    failing_middleware(bolt)

    async def worse(error: Exception) -> None:
        raise RuntimeError("and a bug in the error handler")

    bolt.error(worse)


@pytest.mark.parametrize("change", [failing_middleware, failing_error_handler_too])
async def test_a_failed_dispatch_is_logged_and_the_person_told(
    stack: Stack, change: Callable[[BotApp], None], caplog: pytest.LogCaptureFixture
) -> None:
    text = "TRK-101 30m ago 2m secret-note-words"
    with caplog.at_level(logging.INFO):
        async with serving(stack, change=change) as served:
            first = recall_body(stack, 4, text)
            r = await served.post(first, stack.signed(first))
            await stack.settle()
            # The server lives on: the next request gets its ack (and fails the same way).
            second = recall_body(stack, 5, text)
            r2 = await served.post(second, stack.signed(second))
            await stack.settle()
    assert (r.status_code, r.text) == (200, "") and r2.status_code == 200
    failures = [rec for rec in caplog.records if rec.name == "bot.slack.fast_ack"]
    assert len(failures) == 2 and all(rec.levelno == logging.ERROR for rec in failures)
    assert "secret-note-words" not in caplog.text  # never a body in the logs
    told = [(x.get("text"), x.get("response_type")) for x in stack.slack.responses]
    assert told == [(FAILED, "ephemeral")] * 2 and stack.sim.stats.recalls_created == 0


# --- a graceful stop ------------------------------------------------------------------------------


async def test_a_request_acked_just_before_a_stop_is_still_worked_on(sqlite_url: str) -> None:
    clock = ManualClock()
    sim = Simulator(SimConfig(), clock=clock)
    async with running_stack(sqlite_url, sim=sim, clock=clock) as s:
        r = await s.command("/recall", "TRK-101 30m ago 2m")
        assert r.status_code == 200
        # No settle: the stop comes while the request waits for its dispatch.
    assert sim.stats.recalls_created == 1 and len(s.anchors()) == 1


@pytest.mark.parametrize("hands_over", [True, False])
async def test_a_stop_drains_what_a_hand_over_starts(hands_over: bool) -> None:
    """The dispatch of requests acked early starts their work, which starts more (a form
    opened, then filled in): a stop lets both finish, as they would have for a request
    dispatched inline; otherwise it cancels what work starts once the stop began."""
    group = Background()
    finished: list[str] = []

    async def work(name: str, then: str | None = None) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        if then is not None:
            group.spawn(work(then))
        finished.append(name)

    async def dispatch() -> None:
        await asyncio.sleep(0)
        group.spawn(work("open the form", then="fill it in"))

    group.spawn(dispatch(), hands_over=hands_over)
    await group.stop(drain_seconds=5.0)
    assert finished == (["open the form", "fill it in"] if hands_over else [])


# --- what is acked early ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"command": "/recall", "text": ""}, "command"),
        ({"command": "/snapshot"}, "command"),
        ({"command": "/unknown"}, None),
        ({"command": ["/recall"]}, None),
        # Bolt tries the command listeners first, whatever the payload's type.
        ({"command": "/recall", "type": "view_submission"}, "command"),
        ({"type": "shortcut", "callback_id": "open_recall_form"}, "shortcut"),
        ({"type": "message_action", "callback_id": "get_dashcam_video"}, "shortcut"),
        ({"type": "shortcut", "callback_id": "someone_elses"}, None),
        ({"type": "block_actions", "actions": []}, "block action"),
        ({"type": "block_actions"}, None),
        ({"type": "view_submission", "view": {"callback_id": "recall_modal"}}, None),
        ({"type": "view_closed", "view": {"callback_id": "recall_modal"}}, None),
        ({"type": "block_suggestion", "action_id": "target_select"}, None),
        ({"type": "event_callback", "event": {"type": "app_home_opened"}}, "event"),
        ({"type": "event_callback", "event": "app_home_opened"}, None),
        ({"type": "event_callback", "event": {"type": 3}}, None),
        ({"type": "url_verification", "challenge": "c"}, None),
        ({}, None),
    ],
)
def test_what_is_acked_early(body: dict[str, Any], kind: str | None) -> None:
    assert EMPTY_ACKS.kind(body) == kind


def test_without_catch_alls_no_button_or_event_is_acked_early() -> None:
    narrow = EmptyAcks(commands=frozenset({"/recall"}), shortcuts=frozenset())
    assert narrow.kind({"type": "block_actions", "actions": []}) is None
    assert narrow.kind({"type": "event_callback", "event": {"type": "x"}}) is None
    assert narrow.kind({"command": "/recall"}) == "command"


def test_a_form_body_is_read_as_bolt_reads_it() -> None:
    body = urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})})
    from slack_bolt.request.internals import parse_body

    assert EMPTY_ACKS.kind(parse_body(body, "application/x-www-form-urlencoded")) == "block action"


def test_a_command_saying_payload_is_read_whole_and_an_interaction_as_bolt_reads_it() -> None:
    from bot.slack.fast_ack import read_body

    form = "application/x-www-form-urlencoded"
    command = urlencode({"command": "/recall", "text": "TRK-101 note: payload door"})
    assert read_body(command, form) == {"command": "/recall", "text": "TRK-101 note: payload door"}
    action = {"type": "block_actions", "actions": [{"action_id": "payload"}]}
    assert read_body(urlencode({"payload": json.dumps(action)}), form) == action
    with pytest.raises(ValueError):  # an empty payload field: left to Bolt (its 500) as ever
        read_body("payload=", form)
    assert read_body('{"type": "x", "payload": 1}', "application/json") == {
        "type": "x",
        "payload": 1,
    }
