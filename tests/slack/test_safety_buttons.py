"""A safety event's buttons in the running bot: the recall form filled in around the event (the
policy's narrowing shown), its recall made and answered in the event's thread, and a snapshot of
every camera, refused cameras left out by the same policy decision every request goes through."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.offline.fakeslack import Message
from bot.store.models import DONE, TRACKING
from tests.support.stack import Stack
from tests.tracking.test_safety_events import SAFETY, posts, safety_stack

SAFE, DISPATCHER = "U0SAFE", "U0DISPATCH"
POLICY = """
[requesters]
in_cab = ["S0SAFETY"]
"""


async def event_post(stack: Stack, vehicle: str = "TRK-102") -> tuple[Message, datetime]:
    assert stack.sim is not None
    event = stack.sim.events.raise_event(
        vehicle,
        "forward_collision_warning",
        at=stack.clock.now() - timedelta(minutes=40, seconds=25),
        webhook=False,
    )
    await stack.svc.safety.catch_up()
    [message] = posts(stack)
    return message, event.start


async def press(stack: Stack, message: Message, action_id: str, user: str) -> None:
    [button] = [
        e
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    r = await stack.interact(
        {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": f"trig-{action_id}",
            "response_url": f"{stack.slack_url}/respond/{action_id}",
            "container": {
                "type": "message",
                "channel_id": message.channel,
                "message_ts": message.ts,
            },
            "channel": {"id": message.channel},
            "message": {"type": "message", "ts": message.ts, "text": message.text},
            "actions": [{"action_id": action_id, "type": "button", "value": button["value"]}],
        },
        user=user,
    )
    assert r.status_code == 200
    await stack.settle()


def blocks_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b.get("block_id", ""): b for b in view["blocks"]}


def as_submitted(view: dict[str, Any]) -> dict[str, Any]:
    """The filled-in form sent as it stands: the person only presses Request video."""
    blocks = blocks_of(view)
    cameras = blocks["cameras"]["element"]
    values = {
        "target_kind": {"a": {"selected_option": {"value": "vehicle"}}},
        "target": {"a": {"selected_option": blocks["target"]["element"]["initial_option"]}},
        "start": {"a": {"selected_date_time": blocks["start"]["element"]["initial_date_time"]}},
        "recall_type": {"a": {"selected_option": {"value": "regular"}}},
        "duration_regular": {
            "a": {"selected_option": blocks["duration_regular"]["element"]["initial_option"]}
        },
        "cameras": {"a": {"selected_options": cameras["initial_options"]}},
    }
    return {**view, "state": {"values": values}}


async def test_all_cameras_a_minute_either_side_is_one_recall_in_the_events_thread(
    sqlite_url: str,
) -> None:
    async with safety_stack(sqlite_url) as stack:
        message, start = await event_post(stack)
        await press(stack, message, "safety_recall_around", DISPATCHER)
        [view] = stack.slack.views.values()
        blocks = blocks_of(view)
        assert blocks["target"]["element"]["initial_option"]["value"] == "TRK-102"
        opened = datetime.fromtimestamp(blocks["start"]["element"]["initial_date_time"], UTC)
        assert opened == start.replace(second=0) - timedelta(minutes=1)
        assert blocks["duration_regular"]["element"]["initial_option"]["value"] == "2"
        cameras = blocks["cameras"]["element"]
        assert len(cameras["initial_options"]) == len(cameras["options"]) == 6  # all: the unit's
        assert "Quota left this month: regular 300 of 300 min" in json.dumps(blocks["quota"])

        r = await stack.interact({"type": "view_submission", "view": as_submitted(view)})
        assert r.status_code == 200
        await stack.settle()
        [row] = [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]
        request = row.request
        assert (row.channel, row.thread_ts, row.duration, row.camera_list) == (
            SAFETY,
            message.ts,
            2,
            None,
        )
        assert request.start_time == opened  # type: ignore[union-attr]
        assert stack.sim is not None and stack.sim.stats.recalls_created == 1
        stack.clock.advance(20 * 60)
        await stack.poll_all()
        assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]
        replies = stack.slack.thread(SAFETY, message.ts)
        assert any("Footage is ready" in m.text for m in replies)
        assert len(posts(stack)) == 1  # everything went into the event's thread
        [entry] = [e for e in await stack.svc.privacy.audit.entries() if e.event == "request"]
        assert (entry.user, entry.channel, entry.decision) == (DISPATCHER, SAFETY, "allowed")


async def test_the_form_and_the_recall_are_narrowed_by_the_policy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    async with safety_stack(db, policy=POLICY, tmp_path=tmp_path) as stack:
        stack.slack.usergroups = {"S0SAFETY": [SAFE]}
        message, _ = await event_post(stack)
        await press(stack, message, "safety_recall_around", DISPATCHER)
        [view] = stack.slack.views.values()
        assert "not for you (policy)" in json.dumps(blocks_of(view)["cameras"])
        await stack.interact({"type": "view_submission", "view": as_submitted(view)})
        await stack.settle()
        [row] = await stack.svc.store.in_flight()
        assert row.camera_list is not None and "driver_facing" not in row.camera_list
        [entry] = [e for e in await stack.svc.privacy.audit.entries() if e.event == "request"]
        assert (entry.decision, entry.rule) == ("narrowed", "requesters.in_cab")


async def test_a_snapshot_of_every_camera_lands_in_the_events_thread(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    async with safety_stack(db, policy=POLICY, tmp_path=tmp_path) as stack:
        stack.slack.usergroups = {"S0SAFETY": [SAFE]}
        assert await stack.svc.fleet.search("vehicle", "TRK-101", wait=30) == ["TRK-101"]
        message, _ = await event_post(stack, "TRK-101")
        await press(stack, message, "safety_snapshot_all", DISPATCHER)
        rows = await stack.svc.store.all_requests()
        # TRK-101 carries road and driver cameras: the in-cab one is refused for this person.
        assert sorted(r.position or "" for r in rows) == ["front_facing"]
        assert {(r.channel, r.thread_ts or r.anchor_ts) for r in rows} <= {(SAFETY, message.ts)}
        # The one decision every "all cameras" gets: narrowed, and audited as such.
        [asked] = [e for e in await stack.svc.privacy.audit.entries() if e.event == "request"]
        assert (asked.decision, asked.rule, asked.cameras) == (
            "narrowed",
            "requesters.in_cab",
            "front_facing",
        )
        stack.clock.advance(5 * 60)
        await stack.poll_all()
        files = [f["name"] for m in stack.slack.thread(SAFETY, message.ts) for f in m.files]
        assert "snapshot-TRK-101-front_facing.jpg" in files
        assert not [n for n in files if "snapshot" in n and "driver" in n]
        assert len(posts(stack)) == 1

        # Someone the policy allows gets every camera.
        await press(stack, message, "safety_snapshot_all", SAFE)
        mine = [r for r in await stack.svc.store.all_requests() if r.requester == SAFE]
        assert sorted(r.position or "" for r in mine) == ["driver_facing", "front_facing"]
