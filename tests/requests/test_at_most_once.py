"""At most once for every post (issue 23): Slack carries out a post and then answers 500. The
anchor, the snapshot-all reply and an in-cab DM are each found where they would be before
anything is posted again: one of each."""

from __future__ import annotations

from pathlib import Path

from bot.store.models import DONE, TRACKING
from tests.support.stack import Stack, running_stack

DM = "DU0DISPATCH"  # the fake Slack's DM with the dispatcher


async def test_an_anchor_slack_posted_but_answered_500_is_posted_once(stack: Stack) -> None:
    stack.slack.fail_next("chat.postMessage", 500, after=True)
    await stack.command("/recall", "TRK-101 40m ago 1m")
    await stack.settle()
    [anchor] = stack.anchors()
    [row] = await stack.svc.store.all_requests()
    assert row.anchor_ts == anchor.ts and row.state == TRACKING
    assert "Asking" not in stack.anchor_text(anchor.channel, anchor.ts)
    assert stack.sim.stats.recalls_created == 1


async def test_a_snapshot_all_anchor_slack_posted_but_answered_500_is_posted_once(
    stack: Stack,
) -> None:
    stack.slack.fail_next("chat.postMessage", 500, after=True)
    await stack.command("/snapshot", "TRK-101 all")
    await stack.settle()
    [anchor] = stack.anchors()
    assert "Asking" not in stack.anchor_text(anchor.channel, anchor.ts)


async def test_a_snapshot_all_reply_slack_shared_but_answered_500_is_shared_once(
    stack: Stack,
) -> None:
    await stack.command("/snapshot", "TRK-104 all")
    await stack.settle()
    leader = min(await stack.svc.store.all_requests(), key=lambda r: r.id)
    stack.clock.advance(90)
    stack.slack.fail_next("files.completeUploadExternal", 500, after=True)
    for _ in range(6):
        await stack.poll_all()
        if not await stack.svc.store.in_flight():
            break
        stack.clock.advance(60)
    replies = stack.slack.thread(leader.channel, leader.anchor_ts or "")
    assert len(replies) == 1 and len(replies[0].files) == 4
    found = await stack.svc.store.get(leader.id)
    assert found is not None and found.state == DONE


async def test_an_in_cab_dm_slack_posted_but_answered_500_is_sent_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[in_cab]\ndeliver_to = "requester"\n')
    async with running_stack(sqlite_url, settings_overrides={"policy_file": policy}) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m")
        await stack.settle()
        [row] = await stack.svc.store.all_requests()
        stack.clock.advance(20 * 60)
        stack.slack.fail_next("chat.postMessage", 500, after=True)  # the DM with the links
        for _ in range(4):
            await stack.poll_all()
            if not await stack.svc.store.in_flight():
                break
            stack.clock.advance(60)
        dms = [m for m in stack.slack.messages if m.channel == DM]
        assert len(dms) == 1 and "Driver" in dms[0].text + str(dms[0].blocks)
        found = await stack.svc.store.get(row.id)
        assert found is not None and found.state == DONE
