"""The message shortcut "Get dashcam video" and the global shortcut: signed interaction payloads
into the running app, the fake Slack checking every call against Slack's OpenAPI file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.offline.fakeslack import Message
from bot.store.models import DONE, TRACKING
from tests.support.stack import Stack

CHICAGO = ZoneInfo("America/Chicago")  # the fake Slack's zone for every user


def post_original(stack: Stack, text: str, posted: datetime) -> Message:
    """A message another integration (or a person) posted in the channel."""
    message = Message("C0DISPATCH", f"{int(posted.timestamp())}.000100", text, [])
    stack.slack.messages.append(message)
    return message


def shortcut_on(stack: Stack, message: Message, **extra: Any) -> dict[str, Any]:
    """The message shortcut's payload, as Slack sends it for `message`."""
    return {
        "type": "message_action",
        "callback_id": "get_dashcam_video",
        "trigger_id": "trig-shortcut",
        "channel": {"id": message.channel, "name": "dispatch"},
        "message_ts": message.ts,
        "message": {
            "type": "message",
            "user": "U0ALERTS",
            "text": message.text,
            "ts": message.ts,
            **extra,
        },
        "response_url": f"{stack.slack_url}/respond/shortcut",
    }


async def use_shortcut(stack: Stack, message: Message, **extra: Any) -> dict[str, Any]:
    r = await stack.interact(shortcut_on(stack, message, **extra))
    assert r.status_code == 200
    await stack.settle()
    [opened] = stack.slack.called("views.open")
    assert opened["trigger_id"] == "trig-shortcut"
    [view] = stack.slack.views.values()
    assert view["callback_id"] == "recall_modal"
    return view


def blocks_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b.get("block_id", ""): b for b in view["blocks"]}


def submitted(view: dict[str, Any]) -> dict[str, Any]:
    """The prefilled form sent as it stands (the person only presses the button)."""
    blocks = blocks_of(view)
    target = blocks["target"]["element"]["initial_option"]
    start = blocks["start"]["element"]["initial_date_time"]
    values = {
        "target_kind": {"a": {"selected_option": {"value": "vehicle"}}},
        "target": {"a": {"selected_option": target}},
        "start": {"a": {"selected_date_time": start}},
        "recall_type": {"a": {"selected_option": {"value": "regular"}}},
        "duration_regular": {"a": {"selected_option": {"value": "1"}}},
    }
    return {**view, "state": {"values": values}}


async def test_message_shortcut_prefills_and_delivers_into_the_messages_thread(
    stack: Stack,
) -> None:
    incident = (stack.clock.now() - timedelta(minutes=40)).astimezone(CHICAGO)
    text = f"trk-102 cut me off on I-80 around {incident:%I:%M}".replace(" 0", " ")
    original = post_original(stack, text, stack.clock.now() - timedelta(minutes=5))
    view = await use_shortcut(stack, original)
    blocks = blocks_of(view)
    # The fleet's spelling, and the time the text names (not the message's own).
    assert blocks["target"]["element"]["initial_option"]["value"] == "TRK-102"
    start = datetime.fromtimestamp(blocks["start"]["element"]["initial_date_time"], UTC)
    assert start == incident.replace(second=0, microsecond=0).astimezone(UTC)

    r = await stack.interact({"type": "view_submission", "view": submitted(view)})
    assert r.status_code == 200
    await stack.settle()
    [row] = [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]
    assert (row.channel, row.thread_ts) == ("C0DISPATCH", original.ts)
    # The anchor is a reply under the original message, not a new message in the channel.
    assert stack.anchors() == [original]
    [anchor] = stack.slack.thread("C0DISPATCH", original.ts)
    assert anchor.ts == row.anchor_ts and "TRK-102" in anchor.text

    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]
    thread = stack.slack.thread("C0DISPATCH", original.ts)
    assert len(thread) == 2 and "Footage is ready" in thread[1].text
    assert stack.anchors() == [original]
    assert "Done" in json.dumps(anchor.blocks)  # the anchor reply was updated in place


async def test_message_without_a_time_uses_the_messages_own_time(stack: Stack) -> None:
    posted = (stack.clock.now() - timedelta(minutes=30)).replace(second=17)
    original = post_original(stack, "Harsh braking event: TRK-101", posted)
    view = await use_shortcut(stack, original)
    blocks = blocks_of(view)
    assert blocks["target"]["element"]["initial_option"]["value"] == "TRK-101"
    start = datetime.fromtimestamp(blocks["start"]["element"]["initial_date_time"], UTC)
    assert start == posted.replace(second=0)


async def test_message_naming_no_truck_leaves_the_vehicle_to_pick(stack: Stack) -> None:
    original = post_original(stack, "someone hit the gate at 2:15pm", stack.clock.now())
    view = await use_shortcut(stack, original)
    assert "initial_option" not in blocks_of(view)["target"]["element"]


async def test_shortcut_on_a_reply_delivers_into_the_same_thread(stack: Stack) -> None:
    parent = post_original(stack, "Incident on I-80", stack.clock.now() - timedelta(minutes=50))
    reply = Message(
        "C0DISPATCH",
        f"{int((stack.clock.now() - timedelta(minutes=45)).timestamp())}.000200",
        "TRK-102 was the truck, 20m ago",
        [],
        thread_ts=parent.ts,
    )
    stack.slack.messages.append(reply)
    view = await use_shortcut(stack, reply, thread_ts=parent.ts)
    await stack.interact({"type": "view_submission", "view": submitted(view)})
    await stack.settle()
    [row] = [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]
    assert row.thread_ts == parent.ts


async def test_global_shortcut_opens_the_recall_form(stack: Stack) -> None:
    r = await stack.interact(
        {"type": "shortcut", "callback_id": "open_recall_form", "trigger_id": "trig-global"}
    )
    assert r.status_code == 200
    await stack.settle()
    [view] = stack.slack.views.values()
    assert view["callback_id"] == "recall_modal" and "start" in blocks_of(view)
    assert json.loads(view["private_metadata"])["c"] == ""  # no channel: the result goes to the DM


def test_manifest_declares_the_shortcuts_and_the_home_tab() -> None:
    from pathlib import Path

    import yaml

    from bot.slack.listeners.shortcuts import GET_DASHCAM_VIDEO, OPEN_RECALL_FORM

    root = Path(__file__).resolve().parents[2]
    manifest = yaml.safe_load((root / "manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {GET_DASHCAM_VIDEO: "message", OPEN_RECALL_FORM: "global"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert "app_home_opened" in events["bot_events"]
    assert events["request_url"].endswith("/slack/events")
