"""App Home "My requests" and `/recall mine`: signed events into the running app, the fake Slack
checking every call against Slack's OpenAPI file."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from bot.render.home import HOME_OPEN_RECALL, HOME_OPEN_SNAPSHOT
from bot.store.models import DONE, TRACKING, TrackedRequest
from tests.support.stack import Stack


async def send_event(
    stack: Stack, event: dict[str, Any], *, event_id: str, retry: int | None = None
) -> httpx.Response:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T0FLEET",
            "api_app_id": "A0MOTIVE",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1795400000,
            "event": event,
        }
    )
    # A retry is the same body, signed anew a little later (a replay would be refused).
    headers = stack.signed(body, timestamp=int(time.time()) + (retry or 0))
    headers["Content-Type"] = "application/json"
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return await stack.http.post(f"{stack.url}/slack/events", content=body, headers=headers)


def home_opened(user: str = "U0DISPATCH") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}


async def ask(stack: Stack, command: str, text: str, user: str = "U0DISPATCH") -> TrackedRequest:
    await stack.command(command, text, user=user)
    await stack.settle()
    rows = [r for r in await stack.svc.store.all_requests() if r.requester == user]
    assert rows, stack.responses()
    return rows[-1]


def block_texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


def request_blocks(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b.get("block_id", "").startswith("req-")]


async def test_home_shows_requests_in_flight_finished_and_the_quota(stack: Stack) -> None:
    done = await ask(stack, "/snapshot", "TRK-101 front")
    stack.clock.advance(90)
    await stack.poll_all()
    assert (await stack.svc.store.get(done.id)).state == DONE  # type: ignore[union-attr]
    flying = await ask(stack, "/recall", "TRK-102 40m ago 2m rear")
    assert flying.state == TRACKING
    await ask(stack, "/recall", "TRK-101 30m ago 1m", user="U0OTHER")  # someone else's

    r = await send_event(stack, home_opened(), event_id="Ev01")
    assert r.status_code == 200
    await stack.settle()
    [publish] = stack.slack.called("views.publish")
    assert publish["user_id"] == "U0DISPATCH" and publish["view"]["type"] == "home"
    view = publish["view"]
    rows = request_blocks(view)
    assert len(rows) == 2, rows  # the other user's recall is not listed
    in_flight, finished = rows
    assert "Recall" in in_flight and "TRK-102" in in_flight and "Rear" in in_flight
    assert "<!date^" in in_flight  # the window, in each reader's zone
    assert "Snapshot" in finished and "Road-facing" in finished and "Done" in finished
    # A link to each thread, from chat.getPermalink.
    for row, text in ((flying, in_flight), (done, finished)):
        assert f"archives/{row.channel}/p{(row.anchor_ts or '').replace('.', '')}" in text
    # The simulator's quota: 300 regular minutes, the 2-minute recalls spent; 600 timelapse.
    quota = next(b for b in view["blocks"] if b.get("block_id") == "home_quota")["text"]["text"]
    assert "regular 297 of 300 min" in quota and "timelapse 600 of 600 min" in quota
    buttons = {
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert buttons == {HOME_OPEN_RECALL, HOME_OPEN_SNAPSHOT}


async def test_retried_event_publishes_once(stack: Stack) -> None:
    await ask(stack, "/recall", "TRK-102 40m ago 2m")
    await send_event(stack, home_opened(), event_id="Ev02")
    await stack.settle()
    # Slack did not see the ack in time and sends the same event again, signed anew.
    r = await send_event(stack, home_opened(), event_id="Ev02", retry=1)
    assert r.status_code == 200
    await stack.settle()
    assert len(stack.slack.called("views.publish")) == 1
    # Opened again with nothing changed: the same content is not published again either.
    await send_event(stack, home_opened(), event_id="Ev03")
    await stack.settle()
    assert len(stack.slack.called("views.publish")) == 1


async def test_home_refreshes_when_a_request_changes_state(stack: Stack) -> None:
    row = await ask(stack, "/snapshot", "TRK-101 front")
    await send_event(stack, home_opened(), event_id="Ev04")
    await stack.settle()
    [first] = request_blocks(stack.slack.home_views["U0DISPATCH"])
    assert "Requested" in first
    stack.clock.advance(90)
    await stack.poll_all()
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]
    publishes = stack.slack.called("views.publish")
    assert len(publishes) == 2
    [now] = request_blocks(publishes[-1]["view"])
    assert "Done" in now and "Last 20 finished" in block_texts(publishes[-1]["view"])


async def test_home_for_a_user_with_nothing(stack: Stack) -> None:
    await send_event(stack, home_opened("U0NEW"), event_id="Ev05")
    await stack.settle()
    view = stack.slack.home_views["U0NEW"]
    assert request_blocks(view) == []
    assert "Nothing in flight." in block_texts(view)


async def test_messages_tab_is_not_answered_with_a_home(stack: Stack) -> None:
    event = {**home_opened(), "tab": "messages"}
    r = await send_event(stack, event, event_id="Ev06")
    assert r.status_code == 200
    await stack.settle()
    assert stack.slack.called("views.publish") == []


async def test_recall_mine_lists_privately(stack: Stack) -> None:
    await ask(stack, "/recall", "TRK-102 40m ago 2m")
    before = len(stack.slack.responses)
    for command in ("/recall", "/snapshot"):
        await stack.command(command, "mine")
        await stack.settle()
    answers = stack.slack.responses[before:]
    assert len(answers) == 2
    for answer in answers:
        assert answer["response_type"] == "ephemeral"
        text = json.dumps(answer["blocks"])
        assert "TRK-102" in text and "Quota left this month" in text
        assert "Say when" not in text and "not something I can show" not in text


async def test_home_buttons_open_the_forms_and_the_result_goes_to_the_dm(stack: Stack) -> None:
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "trig-home",
            "view": {"id": "VHOME", "type": "home"},
            "container": {"type": "view", "view_id": "VHOME"},
            "actions": [{"action_id": HOME_OPEN_SNAPSHOT, "block_id": "home_buttons"}],
        }
    )
    await stack.settle()
    [view] = stack.slack.views.values()
    assert view["callback_id"] == "snapshot_modal"
    submitted = {
        **view,
        "state": {
            "values": {
                "target_kind": {"k": {"selected_option": {"value": "vehicle"}}},
                "target": {"t": {"selected_option": {"value": "TRK-101"}}},
                "position_vehicle": {"p": {"selected_option": {"value": "front_facing"}}},
            }
        },
    }
    r = await stack.interact({"type": "view_submission", "view": submitted})
    assert r.status_code == 200
    await stack.settle()
    [anchor] = stack.anchors()
    assert anchor.channel == "DU0DISPATCH" and "Snapshot" in anchor.text
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "trig-home-2",
            "view": {"id": "VHOME", "type": "home"},
            "container": {"type": "view", "view_id": "VHOME"},
            "actions": [{"action_id": HOME_OPEN_RECALL, "block_id": "home_buttons"}],
        }
    )
    await stack.settle()
    recall = [v for v in stack.slack.views.values() if v.get("callback_id") == "recall_modal"]
    assert recall and any(b.get("block_id") == "start" for b in recall[0]["blocks"])
