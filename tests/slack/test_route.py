"""/slack/events: Bolt answers every request (its signature check, its matching, the listeners
that ack and return), and what a listener hands over starts once the response has gone.

The servers here are the bot's own (`build_server` around `build_bolt_app`, on the stack's running
services) on loopback, with one middleware at the end of the Bolt app's chain that notes each
request about to reach the listeners: the tests' window on Bolt's dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.background import Background
from bot.offline.loopback import serve_on_loopback
from bot.offline.signing import JSON, command_body, event_body, interaction_body
from bot.server import build_server
from bot.slack.app import build_bolt_app
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from tests.support.stack import Stack, running_stack


@dataclasses.dataclass
class Served:
    stack: Stack  # posts to this server
    bolt: AsyncApp
    reached: list[dict[str, Any]]  # the bodies that got past Bolt's middleware, in order

    async def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return await self.stack.http.post(
            f"{self.stack.url}/slack/events", content=body, headers=headers
        )


@contextlib.asynccontextmanager
async def serving(
    stack: Stack, *, change: Callable[[AsyncApp], None] | None = None
) -> AsyncIterator[Served]:
    bolt = build_bolt_app(stack.svc)
    reached: list[dict[str, Any]] = []

    async def note(req: AsyncBoltRequest, next: Callable[[], Awaitable[None]]) -> None:
        reached.append(req.body)
        await next()

    bolt.use(note)
    if change is not None:
        change(bolt)
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


# --- refused by Bolt's check -----------------------------------------------------------------------


def forged(stack: Stack, body: str) -> dict[str, str]:
    return stack.signed(body, secret="not-the-secret")


def stale(stack: Stack, body: str) -> dict[str, str]:
    return stack.signed(body, timestamp=int(time.time()) - 6 * 60)


def unsigned(stack: Stack, body: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def stamp_not_a_number(stack: Stack, body: str) -> dict[str, str]:
    return {**stack.signed(body), "X-Slack-Request-Timestamp": "soon"}


@pytest.mark.parametrize("headers", [forged, stale, unsigned])
async def test_a_bad_signature_or_stamp_is_refused_without_dispatching(
    stack: Stack, headers: Callable[[Stack, str], dict[str, str]]
) -> None:
    body = recall_body(stack, 1)
    async with serving(stack) as served:
        r = await served.post(body, headers(stack, body))
        await stack.settle()
    assert (r.status_code, r.json()) == (401, {"error": "invalid request"})
    assert served.reached == [] and stack.svc.background.busy == 0
    assert stack.slack_calls() == [] and stack.slack.responses == [] and stack.motive_calls() == {}


async def test_a_refusal_is_logged_without_the_body(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    body = recall_body(stack, 2, "TRK-101 30m ago 2m secret-note-words")
    with caplog.at_level(logging.DEBUG):
        async with serving(stack) as served:
            r = await served.post(body, forged(stack, body))
    assert r.status_code == 401
    [line] = [rec for rec in caplog.records if rec.name == "bot.server"]
    assert line.getMessage().startswith('refused a Slack request: {"error": "invalid request"}')
    assert "secret-note-words" not in caplog.text


async def test_a_stamp_that_is_not_a_number_is_not_dispatched(stack: Stack) -> None:
    """Bolt's check cannot read it and answers a 500 (Slack never sends one)."""
    body = recall_body(stack, 6)
    async with serving(stack) as served:
        r = await served.post(body, stamp_not_a_number(stack, body))
        await stack.settle()
    assert r.status_code == 500 and served.reached == []
    assert stack.slack_calls() == [] and stack.motive_calls() == {}


# --- Bolt's matching ---------------------------------------------------------------------------------


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
    async with serving(stack) as served:
        body = make_body(stack)
        r = await served.post(body, stack.signed(body))
        assert len(served.reached) == 1  # before the answer: Bolt's matching gave it
    assert (r.status_code, r.json()) == (404, {"error": "unhandled request"})


async def test_ssl_check_and_url_verification_are_answered_by_bolt(stack: Stack) -> None:
    async with serving(stack) as served:
        ssl = "ssl_check=1&token=legacy"
        r = await served.post(ssl, stack.signed(ssl))
        assert (r.status_code, r.text) == (200, "")
        challenge = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "t"})
        r = await served.post(challenge, {**stack.signed(challenge), "Content-Type": JSON})
        assert r.status_code == 200 and r.json() == {"challenge": "c-42"}
        await stack.settle()
    assert served.reached == [] and stack.slack_calls() == []


async def test_a_form_with_errors_is_still_answered_inline(stack: Stack) -> None:
    """A view submission's ack can carry errors: they are the response."""
    view = {"id": "V1", "type": "modal", "callback_id": "recall_modal", "private_metadata": "",
            "state": {"values": {}}, "blocks": []}  # fmt: skip
    async with serving(stack) as served:
        body = interaction_body({"type": "view_submission", "view": view, "trigger_id": "t-v"})
        r = await served.post(body, stack.signed(body))
        assert len(served.reached) == 1  # before the answer
    assert r.status_code == 200 and r.json()["response_action"] == "errors"


# --- acked, dispatched once, worked on after the ack ---------------------------------------------


async def test_an_acked_command_is_worked_on_once_and_a_replay_not_at_all(stack: Stack) -> None:
    body = recall_body(stack, 3)
    headers = stack.signed(body)
    async with serving(stack) as served:
        # Post-ack work waits for this gate (the app's own waits for a burst to pass).
        burst_over = asyncio.Event()
        stack.svc.background.gate = burst_over.wait
        r = await served.post(body, headers)
        assert (r.status_code, r.text) == (200, "")
        assert r.headers["content-type"] == "text/plain;charset=utf-8"
        again = await served.post(body, headers)
        assert (again.status_code, again.json()) == (401, {"error": "replayed request"})
        # Acked; nothing asked of Motive or Slack yet.
        assert stack.motive_calls() == {} and stack.slack_calls() == []
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


def failing_middleware(bolt: AsyncApp) -> None:
    async def boom() -> None:
        raise RuntimeError("a bug before the ack")

    bolt.use(boom)


async def test_a_failed_dispatch_is_logged_without_the_body_and_answered_500(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack shows the person its own "the app did not respond" for a 500; the server lives on."""
    text = "TRK-101 30m ago 2m secret-note-words"
    with caplog.at_level(logging.INFO):
        async with serving(stack, change=failing_middleware) as served:
            first = recall_body(stack, 4, text)
            r = await served.post(first, stack.signed(first))
            second = recall_body(stack, 5, text)
            r2 = await served.post(second, stack.signed(second))
            await stack.settle()
    assert r.status_code == r2.status_code == 500
    assert "secret-note-words" not in caplog.text  # never a body in the logs
    assert stack.sim.stats.recalls_created == 0
    assert {c.method for c in stack.slack.calls} <= {"auth.test"}  # the bot's own identity


# --- a graceful stop ------------------------------------------------------------------------------


async def test_a_request_acked_just_before_a_stop_is_still_worked_on(sqlite_url: str) -> None:
    clock = ManualClock()
    sim = Simulator(SimConfig(), clock=clock)
    async with running_stack(sqlite_url, sim=sim, clock=clock) as s:
        r = await s.command("/recall", "TRK-101 30m ago 2m")
        assert r.status_code == 200
        # No settle: the stop comes while the request waits for its dispatch.
    assert sim.stats.recalls_created == 1 and len(s.anchors()) == 1


async def test_a_stop_drains_the_work_running_when_it_began() -> None:
    """Work a listener handed over (a form opened) finishes within the drain; what that work
    starts once the stop has begun (filling the form in) is cancelled, and stays in the store."""
    group = Background()
    finished: list[str] = []

    async def work(name: str, then: str | None = None) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        if then is not None:
            group.spawn(work(then))
        finished.append(name)

    group.spawn(work("open the form", then="fill it in"))
    await group.stop(drain_seconds=5.0)
    assert finished == ["open the form"]


# --- a form Bolt would read as empty -----------------------------------------------------------------


def test_a_command_saying_payload_is_read_whole_and_an_interaction_as_bolt_reads_it() -> None:
    from urllib.parse import urlencode

    from bot.slack.ingress.bolt_request import bolt_request

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    command = urlencode(
        {"command": "/recall", "text": "TRK-101 note: payload door", "team_id": "T1"}
    )
    read = bolt_request(command, "", form)
    assert read.body == {
        "command": "/recall",
        "text": "TRK-101 note: payload door",
        "team_id": "T1",
    }
    assert read.raw_body == command and read.mode == "http" and read.context.team_id == "T1"
    action = {"type": "block_actions", "actions": [{"action_id": "payload"}]}
    assert bolt_request(urlencode({"payload": json.dumps(action)}), "", form).body == action
    as_json = '{"type": "x", "payload": 1}'
    assert bolt_request(as_json, "", {"Content-Type": JSON}).body == {"type": "x", "payload": 1}
