"""Signed slash commands into the running app; what it calls on the fake Slack and on Motive."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.store.models import TRACKING
from motive.simulator import SimConfig
from tests.support.stack import Stack, running_stack, wait_for

# --- signatures ---------------------------------------------------------------------------------


async def test_forged_signature_is_rejected(stack: Stack) -> None:
    body = "command=%2Frecall&text=TRK-101+14%3A05&user_id=U1&channel_id=C0DISPATCH"
    r = await stack.http.post(
        f"{stack.url}/slack/events",
        content=body,
        headers=stack.signed(body, secret="not-the-secret"),
    )
    assert r.status_code == 401
    assert stack.slack_calls() == [] and stack.motive_calls() == {}


async def test_stale_signature_is_rejected(stack: Stack) -> None:
    body = "command=%2Frecall&text=TRK-101+14%3A05&user_id=U1&channel_id=C0DISPATCH"
    r = await stack.http.post(
        f"{stack.url}/slack/events",
        content=body,
        headers=stack.signed(body, timestamp=int(time.time()) - 600),
    )
    assert r.status_code == 401


# --- help and bad input -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/recall", "/snapshot"])
async def test_help_prints_the_grammar(stack: Stack, command: str) -> None:
    r = await stack.command(command, "help")
    assert r.status_code == 200
    await wait_for(lambda: stack.slack.responses)
    text = stack.slack.responses[0]["text"]
    assert command in text and stack.slack.responses[0]["response_type"] == "ephemeral"
    assert stack.motive_calls() == {}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "TRK-101 14:05 4m",
            [
                "`4m`",
                "Regular recalls last 1, 2 or 3 minutes; you asked for 4.",
                "/recall TRK-101 14:05 3m",
            ],
        ),
        (
            "TRK-101 14:05 timelapse 7m",
            ["`7m`", "Timelapse recalls last 5, 10, 15, 30, 45 or 60", "timelapse 5m"],
        ),
        ("TRK-101 1m ago 3m", ["runs past now", "/recall TRK-101 1m ago 1m"]),
        ("TRK-101 14:05 rear rear", ["listed twice"]),
        ("TRK-101 14:05 fornt", ["Did you mean front?"]),
        ("TRK-101", ["Say when"]),
        ('asset:"" 14:05', ["Say which truck"]),
    ],
    ids=[
        "regular_duration",
        "timelapse_duration",
        "future_window",
        "repeated_camera",
        "typo",
        "no_time",
        "empty_asset",
    ],
)
async def test_bad_recall_gets_a_clear_private_answer_and_no_motive_call(
    stack: Stack, text: str, fragments: list[str]
) -> None:
    stack.clock.set(stack.clock.now().replace(hour=22))  # 16:00 in Chicago, so 14:05 is today
    await stack.command("/recall", text)
    await stack.settle()
    assert len(stack.slack.responses) == 1
    answer = json.dumps(stack.slack.responses[0]["blocks"])
    for fragment in fragments:
        assert fragment in answer
    assert stack.slack.responses[0]["response_type"] == "ephemeral"
    assert stack.motive_calls() == {} and stack.anchors() == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('asset:"Reefer 12" front', "dashcams are only on vehicles"),
        ("TRK-101 narrow", "video recalls only"),
        ("TRK-101", "exactly one camera position"),
        ("TRK-101 roof", "don't understand 'roof'"),
    ],
)
async def test_bad_snapshot(stack: Stack, text: str, fragment: str) -> None:
    await stack.command("/snapshot", text)
    await stack.settle()
    assert fragment in json.dumps(stack.slack.responses[0]["blocks"])
    assert stack.motive_calls() == {}


# --- the happy path and the anchor ---------------------------------------------------------------


async def test_recall_posts_anchor_then_requests_and_hands_over(stack: Stack) -> None:
    r = await stack.command("/recall", "TRK-101 30m ago 2m front note: cut off on I-80")
    assert r.status_code == 200 and r.text == ""
    await stack.settle()
    [anchor] = stack.anchors()
    assert anchor.channel == "C0DISPATCH"
    shown = json.dumps(anchor.blocks)
    assert "<!date^" in shown and "<@U0DISPATCH>" in shown and "cut off on I-80" in shown
    assert "Road-facing" in shown and "Requested" in shown and "Motive request 81234" in shown
    assert stack.slack.called("chat.update")  # created, then updated with Motive's id
    assert stack.motive_calls() == {"recalls.timelines": 1, "recalls.quota": 1, "recalls.create": 1}
    [row] = await stack.svc.store.in_flight()
    assert (row.state, row.motive_id, row.anchor_ts) == (TRACKING, "81234", anchor.ts)
    assert row.note == "cut off on I-80" and row.camera_list == ["front_facing"]


async def test_a_command_whose_text_says_payload_is_read_whole(stack: Stack) -> None:
    # Bolt reads any form body containing the word "payload" as an interaction's `payload=`
    # field, finds none, and sees an empty request: the command got a 404 and was lost.
    r = await stack.command("/recall", "TRK-101 30m ago 2m note: payload door open")
    assert r.status_code == 200 and r.text == ""
    await stack.settle()
    [anchor] = stack.anchors()
    assert "payload door open" in json.dumps(anchor.blocks)
    [row] = await stack.svc.store.in_flight()
    assert row.note == "payload door open" and stack.sim.stats.recalls_created == 1


async def test_ack_goes_out_before_motive_is_called(stack: Stack) -> None:
    # Motive answers nothing until the ack is back: an ack that waited on Motive never comes.
    stack.sim.hold = asyncio.Event()
    try:
        r = await asyncio.wait_for(stack.command("/recall", "TRK-101 30m ago 2m"), 30)
    except TimeoutError:
        pytest.fail("the ack waited for Motive")
    assert r.status_code == 200
    assert stack.anchors() == [] and stack.sim.stats.recalls_created == 0
    stack.sim.hold.set()
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1


async def test_no_footage_shows_nearest_windows_and_spends_nothing(stack: Stack) -> None:
    # TRK-101 has no footage from 3 h before the simulator started, for 45 minutes.
    start = stack.clock.now().replace(microsecond=0)
    gap = start.replace(hour=start.hour - 3, minute=start.minute + 5)
    await stack.command("/recall", f"TRK-101 {gap.strftime('%Y-%m-%dT%H:%M')}Z 2m")
    await stack.settle()
    answer = json.dumps(stack.slack.responses[0]["blocks"])
    assert "no recorded footage" in answer and "Nearest recorded footage" in answer
    assert answer.count("<!date^") >= 4
    assert stack.sim.stats.recalls_created == 0 and stack.anchors() == []


async def test_short_quota_says_how_much_is_left(stack: Stack) -> None:
    stack.sim.used["timelapse"] = 590
    await stack.command("/recall", "TRK-101 2h ago timelapse 15m")
    await stack.settle()
    answer = stack.slack.responses[0]["text"]
    assert "Only 10 timelapse minutes are left" in answer and "needs 15" in answer
    assert stack.sim.stats.recalls_created == 0


async def test_local_duplicate_points_to_the_existing_thread(stack: Stack) -> None:
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await stack.settle()
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1
    assert "already in flight" in stack.slack.responses[-1]["text"]
    # Its permalink (Slack's `p` and the ts without its dot), not the raw ts.
    assert "p" + stack.anchors()[0].ts.replace(".", "") in json.dumps(
        stack.slack.responses[-1]["blocks"]
    )


async def test_motive_refusal_is_shown_on_the_anchor(sqlite_url: str) -> None:
    # A company setting the bot cannot see beforehand: image capture switched off.
    async with running_stack(sqlite_url, sim_config=SimConfig(video_monitoring=False)) as stack:
        await stack.command("/snapshot", "TRK-101 front")
        await stack.settle()
        [anchor] = stack.anchors()
        shown = json.dumps(anchor.blocks)
        assert "Motive refused the request" in shown and "video_monitoring" in shown
        assert await stack.svc.store.in_flight() == []


async def test_snapshot_inline(stack: Stack) -> None:
    await stack.command("/snapshot", 'asset:"Reefer 12" rear')
    await stack.settle()
    [anchor] = stack.anchors()
    assert "Snapshot" in anchor.text and "Reefer 12" in anchor.text
    [row] = await stack.svc.store.in_flight()
    assert (row.kind, row.camera_type, row.position) == ("snapshot", "omnicam", "rear")


# --- channels the bot is not in ------------------------------------------------------------------


async def test_public_channel_is_joined(stack: Stack) -> None:
    await stack.command("/recall", "TRK-101 30m ago 2m", channel="C0PUBLIC")
    await stack.settle()
    assert stack.slack.called("conversations.join") == [{"channel": "C0PUBLIC"}]
    assert [a.channel for a in stack.anchors()] == ["C0PUBLIC"]


async def test_private_channel_gets_invite_advice_and_a_dm(stack: Stack) -> None:
    await stack.command("/recall", "TRK-101 30m ago 2m", channel="G0PRIVATE")
    await stack.settle()
    assert "/invite" in stack.slack.responses[0]["text"]
    [anchor] = stack.anchors()
    assert anchor.channel == "DU0DISPATCH"
    [row] = await stack.svc.store.in_flight()
    assert row.channel == "DU0DISPATCH" and row.anchor_ts == anchor.ts
