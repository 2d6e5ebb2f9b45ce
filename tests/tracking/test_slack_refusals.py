"""Slack refusing a delivery for good (issue 23): the bot removed from a private channel, an
archived channel, a public channel it cannot join. The request ends, no retry loop (no more
Motive calls, no more posts), the requester is told by DM, and the audit trail says so. A
transient failure is retried with a growing wait."""

from __future__ import annotations

import pytest

from bot.store.models import FAILED, TRACKING, TrackedRequest
from tests.support.stack import Stack

DM = "DU0DISPATCH"  # the fake Slack's DM with the dispatcher


def gets(stack: Stack) -> int:
    return sum(n for name, n in stack.sim.stats.requests.items() if name.endswith("retrieve"))


async def snapshot_ready(stack: Stack) -> TrackedRequest:
    await stack.command("/snapshot", "TRK-101 front")
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == TRACKING
    stack.clock.advance(120)  # the capture is ready
    return row


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"private": True, "bot_member": False}, "channel_not_found"),
        ({"archived": True}, "is_archived"),
    ],
)
async def test_a_delivery_slack_refuses_for_good_ends_the_request_and_tells_the_requester(
    stack: Stack, change: dict[str, bool], code: str
) -> None:
    row = await snapshot_ready(stack)
    channel = stack.slack.channels["C0DISPATCH"]
    for key, value in change.items():
        setattr(channel, key, value)
    await stack.poll_all()
    found = await stack.svc.store.get(row.id)
    assert found is not None and found.state == FAILED and found.finished_at is not None
    assert code in (found.last_error or "")
    # No retry loop: nothing left to poll, no more Motive calls or posts however long it waits.
    asked, posts = gets(stack), len(stack.slack.called("chat.postMessage"))
    for _ in range(3):
        stack.clock.advance(15 * 60)
        await stack.poll_all()
    assert (gets(stack), len(stack.slack.called("chat.postMessage"))) == (asked, posts)
    [told] = [m for m in stack.slack.messages if m.channel == DM]
    assert code in told.text and "TRK-101" in told.text
    [entry] = [e for e in await stack.svc.privacy.audit.entries() if e.event == "delivery"]
    assert entry.request_id == row.id and f"refused by Slack ({code})" in entry.outcome


async def test_not_in_channel_joins_and_delivers(stack: Stack) -> None:
    row = await snapshot_ready(stack)
    stack.slack.channels["C0DISPATCH"].bot_member = False  # a public channel it can join
    await stack.poll_all()
    found = await stack.svc.store.get(row.id)
    assert found is not None and found.state == "done"
    assert len([m for m in stack.slack.thread(row.channel, row.anchor_ts or "") if m.files]) == 1
    # A clean refusal posted nothing: the second try, once joined, posts without first reading
    # the thread for an earlier post.
    assert stack.slack.called("conversations.join") == [{"channel": row.channel}]
    assert stack.slack.called("conversations.replies") == []


async def test_a_transient_failure_is_retried_with_a_growing_wait(stack: Stack) -> None:
    row = await snapshot_ready(stack)
    waits = []
    for _ in range(4):
        stack.slack.fail_next("files.completeUploadExternal", 400)  # a plain refusal, no share
        stack.slack.fail_next("chat.postMessage", 400)  # and its link instead
        await stack.poll_all()
        found = await stack.svc.store.get(row.id)
        assert found is not None and found.state == TRACKING and found.next_poll_at is not None
        waits.append((found.next_poll_at - stack.clock.now()).total_seconds())
        stack.clock.advance(waits[-1])
    assert waits == sorted(waits) and waits[-1] > waits[0]


async def test_a_join_that_does_not_take_is_tried_once_and_left_for_the_next_poll(
    stack: Stack,
) -> None:
    row = await snapshot_ready(stack)
    channel = stack.slack.channels["C0DISPATCH"]
    channel.bot_member = False

    def joined_in_word_only(p: dict[str, object]) -> dict[str, object]:
        # Slack says the bot joined, and still refuses its post as not_in_channel.
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    stack.slack.m_conversations_join = joined_in_word_only  # type: ignore[method-assign]
    await stack.poll_all()
    found = await stack.svc.store.get(row.id)
    # One join and one more try, not a loop; the request waits for its next poll, undelivered.
    assert found is not None and found.state == TRACKING
    assert len(stack.slack.called("files.completeUploadExternal")) == 2
    assert not [m for m in stack.slack.thread(row.channel, row.anchor_ts or "") if m.files]
