"""The replay guard as Bolt's middleware (bot/slack/ingress/replay.py), written against the survivors of a
mutation run (TESTING.md, run H). It sees every HTTP request Bolt has verified: commands,
shortcuts, actions, events, view submissions and typeahead queries. One test goes through the
running bot; the others call the middleware with Bolt's own request."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.offline.signing import interaction_body
from bot.slack.ingress.replay import ReplayGuard
from tests.slack.test_forms import filled_recall, open_recall_modal
from tests.support.stack import Stack, wait_for

LOGGER = "bot.slack.ingress.replay"


def request(
    body: dict[str, Any],
    *,
    timestamp: str | None = "1700000000",
    signature: str | None = "v0=aa11",
    mode: str = "http",
) -> AsyncBoltRequest:
    headers = {"content-type": "application/json"}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    if signature is not None:
        headers["x-slack-signature"] = signature
    return AsyncBoltRequest(
        body=json.dumps(body),
        headers=headers,  # type: ignore[arg-type]
        mode=mode,
    )


async def through(guard: ReplayGuard, req: AsyncBoltRequest) -> tuple[int, str, bool]:
    """The guard's answer for `req`: status, body, and whether the rest of Bolt was reached."""
    reached = False

    async def next_() -> BoltResponse:
        nonlocal reached
        reached = True
        return BoltResponse(status=200, body="listener")

    response = await guard.async_process(req=req, resp=BoltResponse(status=200), next=next_)
    assert response is not None
    return response.status, response.body, reached


VIEW = {"type": "view_submission", "view": {"id": "V1", "callback_id": "recall_modal"}}
TYPEAHEAD = {"type": "block_suggestion", "action_id": "target_select", "value": "TRK-10"}


async def test_a_replayed_view_submission_is_refused_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = ReplayGuard()
    caplog.set_level(logging.INFO, LOGGER)
    assert await through(guard, request(VIEW)) == (200, "listener", True)
    assert await through(guard, request(VIEW)) == (401, '{"error": "replayed request"}', False)
    # The log line names the timestamp, how an operator finds the original request.
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines == ["refused a replayed Slack request (timestamp 1700000000)"]
    # Slack's own retry is signed anew: another signature passes.
    assert await through(guard, request(VIEW, signature="v0=bb22")) == (200, "listener", True)


async def test_the_guard_keys_on_timestamp_and_signature_as_bolt_hands_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both headers are read by their lower-case names (Bolt lower-cases them), one value each."""
    guard = ReplayGuard()
    caplog.set_level(logging.INFO, LOGGER)
    assert (await through(guard, request(VIEW, timestamp="1700000001")))[0] == 200
    assert (await through(guard, request(VIEW, timestamp="1700000002")))[0] == 200
    assert (await through(guard, request(VIEW, timestamp="1700000002")))[0] == 401
    # A signature with no timestamp header is still remembered, and the log says the timestamp
    # was empty rather than inventing one.
    assert (await through(guard, request(VIEW, timestamp=None)))[0] == 200
    assert (await through(guard, request(VIEW, timestamp=None)))[0] == 401
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines == [
        "refused a replayed Slack request (timestamp 1700000002)",
        "refused a replayed Slack request (timestamp )",
    ]


async def test_a_repeated_typeahead_query_goes_through_both_times() -> None:
    """Reading is safe to repeat: the same letters typed twice in a second are the same bytes."""
    guard = ReplayGuard()
    for _ in range(3):
        assert await through(guard, request(TYPEAHEAD)) == (200, "listener", True)
    # Only a block_suggestion is exempt: any other type with the same headers is refused.
    other = request({**TYPEAHEAD, "type": "block_actions"})
    assert await through(guard, other) == (200, "listener", True)
    assert (await through(guard, request({**TYPEAHEAD, "type": "block_actions"})))[0] == 401


async def test_a_repeated_command_is_refused_and_the_first_reaches_the_listener() -> None:
    guard = ReplayGuard()
    assert await through(guard, request({"command": "/recall"})) == (200, "listener", True)
    assert (await through(guard, request({"command": "/recall"})))[:2] == (
        401,
        '{"error": "replayed request"}',
    )


async def test_socket_mode_requests_are_not_looked_at() -> None:
    """Socket Mode is authenticated by its connection; its envelopes carry no signature, and
    Slack's re-delivery of an unacked envelope must reach the listener."""
    guard = ReplayGuard()
    for _ in range(2):
        envelope = request(VIEW, mode="socket_mode")
        assert await through(guard, envelope) == (200, "listener", True)
    # Had it been looked at, the same headers over HTTP would now be a replay: they are new.
    assert await through(guard, request(VIEW)) == (200, "listener", True)


async def test_a_replayed_modal_submission_creates_one_recall(stack: Stack) -> None:
    """End to end: the same signed view submission sent twice over HTTP is one recall."""
    view = await open_recall_modal(stack)
    submitted = filled_recall(stack, view, duration="1", cameras=("front_facing",))
    body = interaction_body({"type": "view_submission", "view": submitted})
    headers = stack.signed(body)
    url = f"{stack.url}/slack/events"
    first = await stack.http.post(url, content=body, headers=headers)
    again = await stack.http.post(url, content=body, headers=headers)
    assert (first.status_code, first.text) == (200, "")
    assert (again.status_code, again.json()) == (401, {"error": "replayed request"})
    await stack.settle()
    await wait_for(lambda: stack.anchors())
    assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1
