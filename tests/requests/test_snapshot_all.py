"""`/snapshot TRK-104 all`: one capture per camera, followed as one request, every image in one
thread reply, a failed camera named. Signed commands into the running app against the
simulator and the fake Slack (checked against Slack's OpenAPI file)."""

from __future__ import annotations

import json
from typing import Any

from bot.store.models import DONE, FAILED, TrackedRequest
from tests.support.stack import Stack


async def group_rows(stack: Stack) -> list[TrackedRequest]:
    return [r for r in await stack.svc.store.all_requests() if r.group_id is not None]


async def until_delivered(stack: Stack) -> None:
    stack.clock.advance(90)
    # The leader's own capture ends first and it waits; the last of the others to end wakes it,
    # and it delivers for the group. If the leader was being polled when the wake came, it looks
    # again 15 s later: give it that time (a few rounds at most).
    for _ in range(4):
        await stack.poll_all()
        if not await stack.svc.store.in_flight():
            return
        stack.clock.advance(15)


def thread_of(stack: Stack, leader: TrackedRequest) -> list[Any]:
    assert leader.anchor_ts is not None
    return stack.slack.thread(leader.channel, leader.anchor_ts)


async def test_all_cameras_in_one_reply_naming_the_failed_one(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-104 all")
    await stack.settle()
    rows = await group_rows(stack)
    # TRK-104 carries two dashcam views and the omnicam's three; a snapshot may use all five.
    assert [r.position for r in rows] == [
        "front_facing",
        "driver_facing",
        "side_left",
        "side_right",
        "rear",
    ]
    leader = rows[0]
    assert {r.group_id for r in rows} == {leader.id} and stack.sim.stats.captures_created == 5
    [anchor] = stack.anchors()  # one anchor for the group
    assert anchor.ts == leader.anchor_ts and "Snapshots" in anchor.text
    assert "Rear" in json.dumps(anchor.blocks) and "Left side" in json.dumps(anchor.blocks)

    await until_delivered(stack)
    [reply] = thread_of(stack, leader)
    assert len(reply.files) == 4
    names = sorted(f["name"] for f in reply.files)
    assert names == sorted(
        f"snapshot-TRK-104-{p}.jpg"
        for p in ("front_facing", "driver_facing", "side_left", "side_right")
    )
    assert ":x: Rear failed: The rear camera did not respond." in reply.text
    assert "Road-facing, Driver-facing, Left side, Right side" in reply.text
    # One upload call shared every file into the thread; each image's bytes reached Slack.
    [complete] = stack.slack.called("files.completeUploadExternal")
    assert complete["thread_ts"] == leader.anchor_ts and len(complete["files"]) == 4
    assert all(u["data"][:3] == b"\xff\xd8\xff" for u in stack.slack.uploads.values())
    states = {r.position: r.state for r in await group_rows(stack)}
    assert states == {
        "front_facing": DONE,
        "driver_facing": DONE,
        "side_left": DONE,
        "side_right": DONE,
        "rear": FAILED,
    }
    assert "Partly done" in json.dumps(stack.slack.message(anchor.channel, anchor.ts).blocks)  # type: ignore[union-attr]
    # Polled again later, nothing is posted twice.
    await stack.poll_all()
    assert len(thread_of(stack, leader)) == 1


async def test_asset_all_takes_its_omnicam_views(stack: Stack) -> None:
    await stack.command("/snapshot", 'asset:"Reefer 12" all')
    await stack.settle()
    rows = await group_rows(stack)
    assert [r.position for r in rows] == ["side_left", "side_right", "rear"]
    await until_delivered(stack)
    [reply] = thread_of(stack, rows[0])
    assert len(reply.files) == 3 and "failed" not in reply.text
    assert (await stack.svc.store.get(rows[0].id)).state == DONE  # type: ignore[union-attr]


async def test_only_the_cameras_the_unit_has(stack: Stack) -> None:
    # TRK-101 has the road- and driver-facing dashcam views only.
    await stack.command("/snapshot", "TRK-101 all")
    await stack.settle()
    assert [r.position for r in await group_rows(stack)] == ["front_facing", "driver_facing"]


async def test_all_and_a_camera_is_a_clear_mistake(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-101 all front")
    await stack.settle()
    [answer] = stack.responses()
    assert "every camera" in answer and "front" in answer
    assert await group_rows(stack) == [] and stack.sim.stats.captures_created == 0


async def test_a_refused_capture_is_named_and_the_rest_arrive_together(stack: Stack) -> None:
    # Motive refuses one create (the first to arrive, usually the leader's, which owns the
    # anchor and still gathers the others): that camera is named, the rest arrive together.
    stack.sim.faults.append(_fault(stack))
    await stack.command("/snapshot", 'asset:"Reefer 12" all')
    await stack.settle()
    rows = await group_rows(stack)
    [refused] = [r for r in rows if r.motive_id is None]
    await until_delivered(stack)
    [reply] = thread_of(stack, rows[0])
    label = {"side_left": "Left side", "side_right": "Right side", "rear": "Rear"}
    assert len(reply.files) == 2
    assert f"{label[refused.position or '']} failed: Motive refused" in reply.text
    assert (await stack.svc.store.get(rows[0].id)).state == DONE  # type: ignore[union-attr]


async def test_form_offers_all_cameras(stack: Stack) -> None:
    await stack.command("/snapshot", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    radios = next(b for b in view["blocks"] if b["block_id"] == "position_vehicle")
    assert {"value": "all", "text": {"type": "plain_text", "text": "All cameras"}} in radios[
        "element"
    ]["options"]
    values = {
        "target_kind": {"a": {"selected_option": {"value": "vehicle"}}},
        "target": {"a": {"selected_option": {"value": "TRK-101"}}},
        "position_vehicle": {"a": {"selected_option": {"value": "all"}}},
    }
    await stack.svc.fleet.refresh()
    r = await stack.interact(
        {"type": "view_submission", "view": {**view, "state": {"values": values}}}
    )
    assert r.status_code == 200 and r.text == ""
    await stack.settle()
    assert [r.position for r in await group_rows(stack)] == ["front_facing", "driver_facing"]


def _fault(stack: Stack) -> Any:
    from motive.simulator.state import Fault

    return Fault(status=422, method="POST", path_prefix="/v1/", count=1)


async def test_the_group_is_one_line_in_my_requests(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-101 all")
    await stack.settle()
    in_flight, finished = await stack.svc.home.lines("U0DISPATCH")
    assert finished == [] and len(in_flight) == 1
    assert in_flight[0].cameras == "Road-facing, Driver-facing"
    stack.clock.advance(90)
    leader, _other = await group_rows(stack)
    await stack.svc.tracker.poll(leader.id)  # its own capture is done; the other's not polled
    await stack.settle()
    [waiting], _ = await stack.svc.home.lines("U0DISPATCH")
    assert waiting.status == "pending"  # not shown as done before the group is
    await stack.poll_all()  # the other ends and wakes the leader, which delivers
    in_flight, finished = await stack.svc.home.lines("U0DISPATCH")
    assert in_flight == [] and [f.status for f in finished] == ["success"]
