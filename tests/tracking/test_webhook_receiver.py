"""Tests written against the survivors of a mutation run (TESTING.md, "Mutation testing") over the
webhook receiver, the Slack signature set-up and replay guard, and the store's claims. Each says
what it pins; all go through real parts (the running bot over HTTP, real SQLite)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.offline.fakeslack import BOT_USER
from bot.slack.app import BotIdentity, build_bolt_app
from bot.slack.ingress.replay import ReplayGuard
from motive.webhooks import SIGNATURE_HEADER, sign
from tests.requests.test_one_line_bugs import ask, completed, post_webhook, replies
from tests.slack.test_hostile_input import command_body
from tests.support.stack import WEBHOOK_SECRET, Stack
from tests.tracking.test_trust import healthz

# --- the webhook receiver: what each answer says ----------------------------------------------


async def test_each_webhook_answer_has_its_documented_body(stack: Stack) -> None:
    """Motive reads only the status, but an operator testing the route with curl reads the body:
    each outcome says which it was, and only an accepted webhook says ok."""
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    accepted = await post_webhook(stack, completed(row))
    assert (accepted.status_code, accepted.json()) == (200, {"ok": True})
    test = await post_webhook(stack, {"action": "test"})
    assert (test.status_code, test.json()) == (200, {"ok": True})
    forged = await post_webhook(stack, completed(row), secret="another-secret-000000")
    assert (forged.status_code, forged.json()) == (403, {"error": "bad signature"})
    body = b"not json"
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)},
    )
    assert (r.status_code, r.json()) == (400, {"error": "body is not JSON"})
    await stack.settle()


async def test_only_a_signed_webhook_naming_a_recall_makes_the_webhook_trusted(
    stack: Stack,
) -> None:
    """Recalls rely on the webhook (polled only as a safety net) once a verified one named a
    recall; a test ping, a capture, a forged or unreadable webhook prove nothing."""
    snap = await ask(stack, "/snapshot", "TRK-101 front")
    stack.clock.advance(90)  # the capture is done at Motive: its webhook's fetch delivers it
    for payload, secret in (
        ({"action": "test"}, WEBHOOK_SECRET),
        ({"action": "image_capture_completed", "request_id": snap.motive_id}, WEBHOOK_SECRET),
        ({"action": "video_recall_request_completed", "id": "1"}, "another-secret-000000"),
    ):
        await post_webhook(stack, payload, secret=secret)
        await stack.settle()
        assert (await healthz(stack))["webhooks"]["mode"] == "unknown", payload
    named = {"action": "video_recall_request_completed", "id": "1"}
    assert (await post_webhook(stack, named)).status_code == 200
    await stack.settle()
    hooks = (await healthz(stack))["webhooks"]
    assert hooks["mode"] == "trusted"
    assert hooks["last_verified_at"] == stack.clock.now().isoformat()
    assert replies(stack, snap)  # the capture's own webhook fetched and delivered it


# --- the Slack replay guard's memory ------------------------------------------------------------


def test_a_signature_is_refused_again_until_the_window_has_passed() -> None:
    guard = ReplayGuard(window=60, limit=10)
    assert guard.first_time("1000", "v0=a", 1000.0)
    assert not guard.first_time("1000", "v0=a", 1000.0)
    assert guard.first_time("1000", "v0=b", 1000.0)  # another signature
    assert guard.first_time("1001", "v0=a", 1000.0)  # the same one with another timestamp
    # Remembered to the window's end inclusive, forgotten just after it.
    assert not guard.first_time("1000", "v0=a", 1060.0)
    assert guard.first_time("1000", "v0=a", 1060.5)


def test_a_full_memory_forgets_the_oldest_first() -> None:
    """Room is made before looking, so a full memory of `limit` keeps the newest `limit - 1`."""
    guard = ReplayGuard(window=60, limit=3)
    for n, signature in enumerate(("v0=a", "v0=b", "v0=c", "v0=d")):
        assert guard.first_time(str(n), signature, 1000.0 + n)
    # Full at "d" ("a" made room). Looking up makes room first: "b" goes, and is taken as new.
    assert guard.first_time("1", "v0=b", 1004.0)
    assert not guard.first_time("3", "v0=d", 1004.0)  # the newest are still remembered


def test_the_default_memory_holds_200_000_signatures() -> None:
    """Bounded against a flood of signed requests (about 40 MB at most)."""
    guard = ReplayGuard()
    for n in range(200_000):
        assert guard.first_time("1000", f"v0={n}", 1000.0)
    # Full: looking up makes room first, so the oldest is forgotten and the newest kept.
    assert guard.first_time("1000", "v0=0", 1000.0)
    assert not guard.first_time("1000", "v0=199999", 1000.0)


async def test_the_guard_leaves_an_unsigned_request_to_bolts_own_check() -> None:
    """Without the headers the guard takes nothing for a replay, however often it comes: it
    is Bolt's signature check, run before it, that refuses such a request."""
    guard = ReplayGuard()
    passed = 0

    async def next_() -> BoltResponse:
        nonlocal passed
        passed += 1
        return BoltResponse(status=200)

    for _ in range(2):
        request = AsyncBoltRequest(body="", headers={}, mode="http")
        response = await guard.async_process(req=request, resp=BoltResponse(status=200), next=next_)
        assert response is not None and response.status == 200
    assert passed == 2


async def test_a_refused_replay_says_so_and_logs_its_timestamp(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """The log line is how an operator finds the original request: it carries the timestamp."""
    body = command_body("help", 1)
    headers = stack.signed(body)
    url = f"{stack.url}/slack/events"
    first = await stack.http.post(url, content=body, headers=headers)
    again = await stack.http.post(url, content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 401)
    assert again.json() == {"error": "replayed request"}
    await stack.settle()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.ingress.replay"]
    stamp = headers["X-Slack-Request-Timestamp"]
    assert lines == [f"refused a replayed Slack request (timestamp {stamp})"]


# --- who the bot is, for Bolt's authorization ---------------------------------------------------


async def test_the_bot_learns_who_it_is_once_and_asks_again_after_a_failure(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    def asked() -> int:
        return len(stack.slack.called("auth.test"))

    identity = BotIdentity(stack.svc.slack, stack.svc.background)
    before = asked()
    stack.slack.fail_next("auth.test", 400)
    first = await identity("E0FLEET", "T0FLEET")
    assert (first.enterprise_id, first.team_id, first.bot_token) == (
        "E0FLEET",
        "T0FLEET",
        stack.svc.slack.token,
    )
    assert (first.bot_user_id, first.bot_id) == (None, None)  # not known yet: asked after
    await identity(None, "T0FLEET")  # the question is out: not asked twice
    await stack.svc.background.wait_idle()
    assert asked() == before + 1
    [warning] = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.slack.ingress.workspace" and r.levelno == logging.WARNING
    ]
    assert warning == "auth.test failed (internal_error); asking again on the next request"
    unknown = await identity(None, "T0FLEET")  # it failed: asked again
    assert unknown.bot_user_id is None
    await stack.svc.background.wait_idle()
    assert asked() == before + 2
    known = await identity(None, "T0FLEET")
    assert (known.enterprise_id, known.team_id) == (None, "T0FLEET")
    assert (known.bot_user_id, known.bot_id) == (BOT_USER, "B0BOT")
    await stack.svc.background.wait_idle()
    assert asked() == before + 2  # known now: never asked again


async def test_the_running_bot_asks_who_it_is_once_at_start(stack: Stack) -> None:
    assert len(stack.slack.called("auth.test")) == 1  # at start-up, not on an ack's path
    for _ in range(2):
        await stack.command("/recall", "help")
        await stack.settle()
        assert len(stack.slack.called("auth.test")) == 1


# --- the Bolt app as built ----------------------------------------------------------------------


async def test_bolts_own_clients_reach_the_same_slack_with_the_same_patience(stack: Stack) -> None:
    """Bolt makes a client per request from `app.client`: same Slack, timeout and retries
    (rate limits included) as the bot's own, and no token of its own (it comes from authorize)."""
    ours = stack.svc.slack
    ours.timeout = 7  # not the SDK's default, so that a dropped setting shows
    app = build_bolt_app(stack.svc)
    assert (app.client.base_url, app.client.timeout, app.client.token) == (
        ours.base_url,
        ours.timeout,
        None,
    )
    assert app.client.retry_handlers == ours.retry_handlers
    assert app.client.retry_handlers is not ours.retry_handlers  # a copy: Bolt may add to it


async def test_a_listeners_error_is_logged_with_its_type_and_the_request_is_authorized(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Through Bolt's whole dispatch (signature check, authorize, replay and payload guards):
    the listener sees the request's team and enterprise and the bot's token, and an error it
    raises reaches the log as its type, with the traceback, never its message."""
    app = build_bolt_app(stack.svc)
    seen: dict[str, Any] = {}

    @app.command("/probe")
    async def probe(ack: Any, context: Any) -> None:
        await ack()
        auth = context.authorize_result
        seen.update(team=auth.team_id, enterprise=auth.enterprise_id, token=auth.bot_token)
        raise RuntimeError("a note the dispatcher typed")

    body = urlencode(
        {
            "command": "/probe",
            "text": "",
            "user_id": "U0DISPATCH",
            "channel_id": "C0DISPATCH",
            "trigger_id": "trig-probe",
            "team_id": "T0FLEET",
            "enterprise_id": "E0ORG",
            "api_app_id": "A0MOTIVE",
        }
    )
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=stack.signed(body)))
    # Listeners run inline (process_before_response), so the error comes before the response:
    # Slack gets a 500, not the ack. Ours return right after acking, with nothing left to fail.
    assert response.status == 500
    assert seen == {"team": "T0FLEET", "enterprise": "E0ORG", "token": stack.svc.slack.token}
    [record] = [r for r in caplog.records if r.name == "bot.slack.app"]
    assert record.levelname == "ERROR"
    assert record.getMessage() == "unhandled error in a listener: RuntimeError"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    # A forged signature never reaches it.
    forged = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers=stack.signed(body, secret="another-secret"))
    )
    assert forged.status == 401 and len(seen) == 3


async def test_socket_mode_needs_no_signing_secret(stack: Stack) -> None:
    """Socket Mode traffic is authenticated by its connection: the app builds without a secret,
    with Bolt's signature check off."""
    stack.svc.settings.slack_signing_secret = None
    app = build_bolt_app(stack.svc, socket_mode=True)
    assert app.client.base_url == stack.svc.slack.base_url
