"""Delivery exactly once, written against the mutants that survived
`scripts/mutation 'bot.tracking.delivery*'`: what each delivery says and where it goes, and a
half-done one looked for before a second try. (Which failed shares may still have landed:
tests/slack_api/test_uploads.py.)"""

from __future__ import annotations

import pytest

from bot.store.models import DONE, FAILED, TRACKING, Delivery
from bot.store.models import TrackedRequest as TR
from bot.tracking import delivery as delivery_module
from tests.support.stack import Stack
from tests.tracking.test_worker import ask, replies

# --- the last word about a failure ---------------------------------------------------------------


async def _failed(stack: Stack) -> TR:
    row = await ask(stack, "/recall", "TRK-105 3h ago 1m")  # the simulator's offline truck
    stack.clock.advance(181 * 60)
    await stack.poll_all()
    done = await stack.svc.store.get(row.id)
    assert done is not None and done.state == FAILED
    return done


async def _as_if_crashed_mid_delivery(stack: Stack, row: TR) -> None:
    """As if the process died after Slack took the post but before the store recorded it."""
    from sqlalchemy import update

    async with stack.svc.store.sessions() as s, s.begin():
        await s.execute(update(Delivery).values(status="posting", ts=None))
        await s.execute(update(TR).where(TR.id == row.id).values(state=TRACKING))


async def test_the_failure_reply_is_marked_and_recorded(stack: Stack) -> None:
    row = await _failed(stack)
    [reply] = replies(stack, row)
    assert reply.blocks[0]["block_id"] == f"delivery-{row.id}-final"
    assert "could not produce the footage" in reply.blocks[0]["text"]["text"]
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.key, delivery.status, delivery.ts) == ("final", "posted", reply.ts)


async def test_a_half_done_failure_reply_is_found_not_posted_again(stack: Stack) -> None:
    row = await _failed(stack)
    await _as_if_crashed_mid_delivery(stack, row)
    await stack.svc.tracker.poll(row.id)
    [reply] = replies(stack, row)
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.status, delivery.ts) == ("posted", reply.ts)


async def test_a_half_done_reply_deep_in_a_long_thread_is_found_not_posted_again(
    stack: Stack,
) -> None:
    """Slack gives a thread a page at a time: the post is looked for on every page."""
    row = await ask(stack, "/recall", "TRK-105 3h ago 1m")  # the simulator's offline truck
    assert row.thread is not None
    for i in range(450):  # the incident, talked over at length while the bot waits
        stack.slack.say(row.channel, f"any news? ({i})", thread_ts=row.thread)
    stack.clock.advance(181 * 60)
    await stack.poll_all()
    await _as_if_crashed_mid_delivery(stack, row)
    await stack.svc.tracker.poll(row.id)
    [reply] = [m for m in replies(stack, row) if m.blocks]  # the bot's; people's have none
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.status, delivery.ts) == ("posted", reply.ts)
    # The post is the thread's 452nd message: the third page of 200.
    cursors = [c.get("cursor") for c in stack.slack.called("conversations.replies")]
    assert cursors == [None, "page-200", "page-400"]


async def test_a_thread_longer_than_the_pages_read_is_said_in_the_logs(
    stack: Stack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading stops after THREAD_PAGES pages (a Slack that hands out cursors forever must not
    hold the delivery): the post is then sent again, and the log says why."""
    monkeypatch.setattr(delivery_module, "THREAD_PAGES", 2)
    row = await ask(stack, "/recall", "TRK-105 3h ago 1m")
    assert row.thread is not None
    for i in range(450):
        stack.slack.say(row.channel, f"any news? ({i})", thread_ts=row.thread)
    stack.clock.advance(181 * 60)
    await stack.poll_all()
    await _as_if_crashed_mid_delivery(stack, row)
    with caplog.at_level("WARNING", logger="bot.tracking.delivery"):
        await stack.svc.tracker.poll(row.id)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.tracking.delivery"]
    assert said == [f"thread of request {row.id} is over 2 pages; not read to its end"]
    assert len([m for m in replies(stack, row) if m.blocks]) == 2
    assert len(stack.slack.called("conversations.replies")) == 2


async def test_a_thread_that_cannot_be_read_is_not_posted_into_blind(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    await _as_if_crashed_mid_delivery(stack, row)
    stack.slack.fail_next("conversations.replies", 500, count=4)  # beyond the SDK's retries
    with caplog.at_level("WARNING", logger="bot.tracking.delivery"):
        await stack.svc.tracker.poll(row.id)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.tracking.delivery"]
    assert f"could not read thread of request {row.id}: internal_error" in said
    assert len(replies(stack, row)) == 1
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert delivery.status == "posting"
    # Once the thread can be read, the post is found there and recorded.
    stack.clock.advance(60)
    await stack.svc.tracker.poll(row.id)
    [reply] = replies(stack, row)
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.status, delivery.ts) == ("posted", reply.ts)


# --- exactly once ----------------------------------------------------------------------------------


async def test_each_delivery_is_marked_with_its_request_and_key(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert reply.blocks[0]["block_id"] == f"delivery-{row.id}-links"
    # A fresh delivery has nothing to look for in the thread.
    assert not stack.slack.called("conversations.replies")
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.status, delivery.posted_at) == ("posted", stack.clock.now())


async def test_a_request_whose_delivery_was_posted_is_finished_without_posting(
    stack: Stack,
) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    # As if the process died after the delivery was recorded but before the request was.
    from sqlalchemy import update

    async with stack.svc.store.sessions() as s, s.begin():
        await s.execute(update(TR).where(TR.id == row.id).values(state=TRACKING))
    posts = len(stack.slack.called("chat.postMessage"))
    await stack.svc.tracker.poll(row.id)
    assert len(stack.slack.called("chat.postMessage")) == posts
    assert not stack.slack.called("conversations.replies")
    done = await stack.svc.store.get(row.id)
    assert done is not None and done.state == DONE


async def test_a_delivery_slack_refused_is_logged_and_left_for_the_next_poll(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    stack.slack.fail_next("chat.postMessage", 500)  # a post is never retried blindly
    with caplog.at_level("WARNING", logger="bot.tracking.delivery"):
        await stack.poll_all()
    said = [r.getMessage() for r in caplog.records if r.name == "bot.tracking.delivery"]
    assert said == [f"delivery links of request {row.id} failed: internal_error"]
    assert replies(stack, row) == []


async def test_a_share_that_may_have_landed_is_logged_with_slacks_answer(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    row = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    stack.slack.fail_next("files.completeUploadExternal", 500)
    stack.clock.advance(90)
    with caplog.at_level("WARNING", logger="bot.tracking.delivery"):
        await stack.poll_all()
    said = [r.getMessage() for r in caplog.records if r.name == "bot.tracking.delivery"]
    assert said == [f"delivery image of request {row.id} failed: internal_error"]
