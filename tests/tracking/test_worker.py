"""Tracking to completion: polls driven by hand on a manual clock, webhooks, delivery, exactly once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.store.models import DONE, FAILED, TRACKING, UNKNOWN, TrackedRequest
from bot.tracking.schedule import PROFILES
from bot.tracking.worker import Tracker
from motive.webhooks import sign
from tests.support.stack import WEBHOOK_SECRET, Stack, eventually, running_stack, wait_for


async def ask(stack: Stack, command: str, text: str, **kw: Any) -> TrackedRequest:
    await stack.command(command, text, **kw)
    await stack.settle()
    rows = [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]
    assert rows, stack.responses()
    return rows[-1]


def replies(stack: Stack, row: TrackedRequest) -> list[Any]:
    return stack.thread(row.channel, row.anchor_ts)


def anchor_text(stack: Stack, row: TrackedRequest) -> str:
    return stack.anchor_text(row.channel, row.anchor_ts)


async def test_recall_to_links_in_the_thread(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-102 40m ago 2m")
    stack.clock.advance(4 * 60)
    await stack.poll_all()
    assert "processing" in anchor_text(stack, row) and replies(stack, row) == []
    stack.clock.advance(15 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    buttons = [
        b["accessory"] for b in reply.blocks if b.get("accessory", {}).get("type") == "button"
    ]
    assert len(buttons) == 6 and all(
        b["url"].startswith(stack.sim_url + "/media/") for b in buttons
    )
    assert "link expires <!date^" in json.dumps(reply.blocks)
    assert any(b.get("block_id") == f"refresh:{row.id}" for b in reply.blocks)
    assert "Done" in anchor_text(stack, row)
    done = await stack.svc.store.get(row.id)
    assert done is not None and done.state == DONE
    # The anchor was edited in place; the only new top-level message is the anchor itself.
    assert (
        len(stack.anchors()) == 1
        and stack.slack.message(row.channel, row.anchor_ts or "").edits >= 3
    )  # type: ignore[union-attr]
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.key, delivery.status, delivery.ts) == ("links", "posted", reply.ts)


async def test_snapshot_image_uploaded_into_the_thread(stack: Stack) -> None:
    row = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    stack.clock.advance(90)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert reply.files and reply.files[0]["name"].endswith(".jpg")
    [upload] = stack.slack.uploads.values()
    assert upload["data"][:3] == b"\xff\xd8\xff"
    complete = stack.slack.called("files.completeUploadExternal")[0]
    assert complete["thread_ts"] == row.anchor_ts and complete["channel_id"] == row.channel


async def test_snapshot_upload_failure_falls_back_to_a_link(stack: Stack) -> None:
    row = await ask(stack, "/snapshot", "TRK-101 front")
    stack.slack.fail_next("files.getUploadURLExternal", 500, count=10)
    stack.clock.advance(90)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert (
        "Open the snapshot" in reply.blocks[0]["text"]["text"]
        and "/media/captures/" in reply.blocks[0]["text"]["text"]
    )
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]


async def test_partial_result_names_the_failed_camera(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-104 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    text = json.dumps(reply.blocks)
    assert "4 of 5 cameras" in text and "Rear" in text and "disconnected" in text
    assert "Partly done" in anchor_text(stack, row)


async def test_failed_recall_says_why(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-105 3h ago 1m")
    stack.clock.advance(181 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert "could not produce the footage" in reply.text and "offline" in reply.text
    assert (await stack.svc.store.get(row.id)).state == FAILED  # type: ignore[union-attr]
    assert "Failed" in anchor_text(stack, row)


async def test_deadline_gives_up_with_a_reason(sqlite_url: str) -> None:
    async with running_stack(
        sqlite_url, settings_overrides={"recall_deadline_hours": 1.0}
    ) as stack:
        row = await ask(stack, "/recall", "TRK-105 3h ago 1m")
        stack.clock.advance(30 * 60)
        await stack.poll_all()
        assert replies(stack, row) == []
        stack.clock.advance(31 * 60)
        await stack.poll_all()
        [reply] = replies(stack, row)
        assert "had not finished after 1 hours" in reply.text and "Gave up" in anchor_text(
            stack, row
        )


async def test_unknown_motive_status_keeps_polling(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    sim_recall = stack.sim.recalls[row.motive_id or ""]
    original = stack.sim._recall_status
    stack.sim._recall_status = lambda r: (  # type: ignore[method-assign]
        ("uploading_to_cloud", dict.fromkeys(r.cameras, "uploading_to_cloud"))
        if r is sim_recall
        else original(r)
    )
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    polled = await stack.svc.store.get(row.id)
    assert (
        polled is not None
        and polled.state == TRACKING
        and polled.motive_status == "uploading_to_cloud"
    )
    assert polled.next_poll_at is not None and polled.next_poll_at > stack.clock.now()


async def test_polls_back_off_and_respect_rate_limits(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    first = (await stack.svc.store.get(row.id)).next_poll_at  # type: ignore[union-attr]
    fitted = PROFILES["recall"][0]  # the fitted first wait, ±10% jitter
    assert (
        first is not None
        and 0.9 * fitted <= (first - row.created_at).total_seconds() <= 1.1 * fitted
    )
    stack.sim.faults.append(_fault(429, retry_after=42))
    await stack.poll_all()
    later = await stack.svc.store.get(row.id)
    assert later is not None and later.next_poll_at is not None
    assert (later.next_poll_at - stack.clock.now()).total_seconds() >= 42


def _fault(status: int, **kw: Any) -> Any:
    from motive.simulator import Fault

    return Fault(status=status, method="GET", count=5, **kw)


# --- webhooks -------------------------------------------------------------------------------------


async def post_webhook(stack: Stack, payload: Any, secret: str = WEBHOOK_SECRET) -> int:
    body = json.dumps(payload).encode()
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={"X-KT-Webhook-Signature": sign(body, secret)},
    )
    return r.status_code


async def test_webhook_delivers_without_waiting_for_the_next_poll(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    gets_before = stack.sim.recalls[row.motive_id or ""].gets
    status = await post_webhook(
        stack, {"action": "video_recall_request_completed", "id": row.motive_id}
    )
    assert status == 200
    await wait_for(lambda: replies(stack, row))
    await stack.settle()
    assert "Footage is ready" in replies(stack, row)[0].text
    assert stack.sim.recalls[row.motive_id or ""].gets == gets_before + 1


# --- exactly once ---------------------------------------------------------------------------------


async def test_repeated_polls_and_a_second_worker_post_nothing_twice(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    other = Tracker(
        settings=stack.svc.settings,
        store=stack.svc.store,
        motive=stack.svc.motive,
        slack=stack.svc.slack,
        clock=stack.clock,
        worker_id="second-worker",
        run_scheduler=False,
    )
    for _ in range(3):
        await stack.svc.tracker.poll(row.id)
        await other.poll(row.id)
    assert len(replies(stack, row)) == 1


async def test_half_done_delivery_is_found_in_the_thread_not_posted_again(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1
    # As if the process died after Slack took the post but before the store recorded it.
    from sqlalchemy import update

    from bot.store.models import Delivery
    from bot.store.models import TrackedRequest as TR

    async with stack.svc.store.sessions() as s, s.begin():
        await s.execute(update(Delivery).values(status="posting", ts=None))
        await s.execute(update(TR).where(TR.id == row.id).values(state=TRACKING))
    await stack.svc.tracker.poll(row.id)
    assert len(replies(stack, row)) == 1
    assert stack.slack.called("conversations.replies")
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert delivery.status == "posted" and delivery.ts == replies(stack, row)[0].ts


def thread_posts(stack: Stack) -> int:
    return len([c for c in stack.slack.called("chat.postMessage") if c.get("thread_ts")])


async def test_a_rate_limited_post_is_retried_at_once(stack: Stack) -> None:
    """A 429 means Slack did nothing: the SDK's handler waits and posts again."""
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    stack.slack.fail_next("chat.postMessage", 429, count=2, retry_after=0)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1
    assert thread_posts(stack) == 3  # two refused, then the one that landed


async def test_a_post_answered_500_is_tried_again_on_the_next_poll_only(stack: Stack) -> None:
    """A 500 may come after Slack posted: no blind retry, the next poll looks first."""
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    stack.slack.fail_next("chat.postMessage", 500)
    await stack.poll_all()
    assert replies(stack, row) == [] and thread_posts(stack) == 1
    stack.clock.advance(31)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1 and thread_posts(stack) == 2
    assert stack.slack.called("conversations.replies")  # looked for it before posting again


@pytest.mark.parametrize(
    ("command", "text", "method"),
    [
        ("/recall", "TRK-101 40m ago 1m", "chat.postMessage"),
        ("/snapshot", 'asset:"Reefer 12" rear', "files.completeUploadExternal"),
    ],
)
async def test_a_post_slack_made_but_answered_with_an_error_is_not_made_again(
    stack: Stack, command: str, text: str, method: str
) -> None:
    """Slack posted (or shared the file), then answered 500: the SDK's own retry would post it
    a second time. The delivery's retry looks in the thread first and finds it."""
    row = await ask(stack, command, text)
    stack.clock.advance(20 * 60)
    stack.slack.fail_next(method, 500, after=True)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1
    stack.clock.advance(31)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1
    assert len([c for c in stack.slack.called(method) if c.get("thread_ts")]) == 1
    done = await stack.svc.store.get(row.id)
    assert done is not None and done.state == DONE


async def test_slack_down_for_longer_is_retried_on_a_later_poll(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    stack.slack.fail_next("chat.postMessage", 500, count=3)
    for _ in range(3):
        await stack.poll_all()
        assert replies(stack, row) == [] and (await stack.svc.store.get(row.id)).state == TRACKING  # type: ignore[union-attr]
        stack.clock.advance(31)
    await stack.poll_all()
    assert len(replies(stack, row)) == 1


async def test_refresh_links_replaces_expired_links(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    old = [b["accessory"]["url"] for b in reply.blocks if "accessory" in b]
    stack.clock.advance(61 * 60)
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t9",
            "response_url": f"{stack.slack_url}/respond/refresh",
            "container": {"type": "message", "channel_id": row.channel, "message_ts": reply.ts},
            "channel": {"id": row.channel},
            "actions": [
                {
                    "action_id": "refresh_links",
                    "block_id": f"refresh:{row.id}",
                    "type": "button",
                    "value": str(row.id),
                }
            ],
        }
    )
    await stack.settle()
    [same] = replies(stack, row)
    new = [b["accessory"]["url"] for b in same.blocks if "accessory" in b]
    assert (
        same.ts == reply.ts and new != old and "Fresh links" in same.text + json.dumps(same.blocks)
    )


# --- restarts -------------------------------------------------------------------------------------


async def test_a_restart_rebuilds_the_jobs_and_delivers(sqlite_url: str) -> None:
    async with running_stack(sqlite_url) as stack:
        row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
        sim, clock, slack = stack.sim, stack.clock, stack.slack
    clock.advance(20 * 60)
    async with running_stack(sqlite_url, role="all", sim=sim, clock=clock, slack=slack) as again:

        async def done() -> bool:
            found = await again.svc.store.get(row.id)
            return found is not None and found.state == DONE

        await eventually(done)
        [reply] = replies(again, row)
        assert reply.thread_ts == row.anchor_ts and "Footage is ready" in reply.text


async def test_request_left_creating_by_a_crash_is_reported_not_repeated(sqlite_url: str) -> None:
    async with running_stack(sqlite_url) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m")
        await stack.settle()
        [row] = await stack.svc.store.all_requests()
        await stack.svc.store.set(
            row.id, state="creating", motive_id=None, updated_at=stack.clock.now()
        )
        stack.clock.advance(10 * 60)
        await stack.svc.tracker.resolve_orphans()
        final = await stack.svc.store.get(row.id)
        assert final is not None and final.state == UNKNOWN
        [reply] = replies(stack, final)
        assert "may or may not exist" in reply.text and stack.sim.stats.recalls_created == 1


# --- status words the bot does not know ------------------------------------------------------


def _unknown_count(kind: str, status: str) -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "motive_bot_unknown_status_total", {"kind": kind, "status": status}
    )
    return value or 0.0


async def test_unknown_status_is_shown_counted_and_logged_once(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    sim_recall = stack.sim.recalls[row.motive_id or ""]
    original = stack.sim._recall_status
    stack.sim._recall_status = lambda r: (  # type: ignore[method-assign]
        ("queued_for_wifi", dict.fromkeys(r.cameras, "queued_for_wifi"))
        if r is sim_recall
        else original(r)
    )
    before = _unknown_count("recall", "queued_for_wifi")
    stack.clock.advance(20 * 60)
    with caplog.at_level("WARNING", logger="bot.tracking.worker"):
        await stack.poll_all()
        stack.clock.advance(5 * 60)
        await stack.poll_all()
    assert 'Motive says \\"queued_for_wifi\\"' in anchor_text(stack, row)
    assert _unknown_count("recall", "queued_for_wifi") == before + 1
    assert len([r for r in caplog.records if "queued_for_wifi" in r.getMessage()]) == 1
    polled = await stack.svc.store.get(row.id)
    assert polled is not None and polled.state == TRACKING and replies(stack, row) == []


async def test_links_under_an_unknown_status_word_are_delivered(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    sim_recall = stack.sim.recalls[row.motive_id or ""]
    original = stack.sim._recall_status
    # Every camera finished (so each has a link), under a status word nobody guessed.
    stack.sim._recall_status = lambda r: (  # type: ignore[method-assign]
        ("uploaded", dict.fromkeys(r.cameras, "completed")) if r is sim_recall else original(r)
    )
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert "Footage is ready" in reply.text and "2 of 2 cameras" in json.dumps(reply.blocks)
    done = await stack.svc.store.get(row.id)
    assert done is not None and done.state == DONE and done.motive_status == "uploaded"
    assert "Done" in anchor_text(stack, row)


# --- the snapshot upload ---------------------------------------------------------------------


async def _snapshot_named(stack: Stack, name: str) -> TrackedRequest:
    """A tracked snapshot whose target is called `name`; Motive's capture is Reefer 12's (the
    simulator's fleet has no unit with such a name, and the capture is fetched by id)."""
    from bot.store.models import TrackedRequest as TR
    from motive.rules import validate_snapshot

    capture = await stack.svc.motive.image_captures.create(
        validate_snapshot(asset_name="Reefer 12", position="rear")
    )
    now = stack.clock.now()
    row = TR.new(
        validate_snapshot(asset_name=name, position="rear"),
        requester="U0DISPATCH",
        channel="C0DISPATCH",
        now=now,
        deadline=now + timedelta(hours=2),
        state=TRACKING,
    )
    anchor = await stack.svc.slack.chat_postMessage(channel="C0DISPATCH", text="anchor")
    row.anchor_ts, row.motive_id, row.next_poll_at = str(anchor["ts"]), capture.request_id, now
    return await stack.svc.store.add(row)


async def test_snapshot_comment_escapes_the_name_and_the_title_shows_no_marker(
    stack: Stack,
) -> None:
    row = await _snapshot_named(stack, "<!channel> <@U0BOSS> & co")
    stack.clock.advance(90)
    await stack.poll_all()
    [reply] = replies(stack, row)
    [complete] = stack.slack.called("files.completeUploadExternal")
    comment = str(complete["initial_comment"])
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; &amp; co" in comment
    assert "<!channel>" not in comment and "<@U0BOSS>" not in comment
    files = complete["files"]
    titles = [f["title"] for f in (json.loads(files) if isinstance(files, str) else files)]
    assert titles == ["Snapshot <!channel> <@U0BOSS> & co, Rear"]  # a title is plain text
    assert all("delivery-" not in str(f.get("title")) for f in reply.files)


async def test_upload_found_in_the_thread_by_its_file_id_after_a_crash(stack: Stack) -> None:
    row = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    stack.clock.advance(90)
    await stack.poll_all()
    [reply] = replies(stack, row)
    [delivery] = await stack.svc.store.deliveries(row.id)
    file_id = reply.files[0]["id"]
    assert delivery.file_id == file_id and delivery.ts == f"file:{file_id}"
    # As if the process died after Slack shared the file but before the store recorded it.
    from sqlalchemy import update

    from bot.store.models import Delivery
    from bot.store.models import TrackedRequest as TR

    async with stack.svc.store.sessions() as s, s.begin():
        await s.execute(update(Delivery).values(status="posting", ts=None))
        await s.execute(update(TR).where(TR.id == row.id).values(state=TRACKING))
    await stack.svc.tracker.poll(row.id)
    assert len(replies(stack, row)) == 1
    assert len(stack.slack.called("files.getUploadURLExternal")) == 1  # not uploaded again
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert delivery.status == "posted" and delivery.ts == f"file:{file_id}"
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]


async def test_a_share_that_may_have_failed_is_looked_for_then_uploaded_once(
    stack: Stack,
) -> None:
    row = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    # Slack answers 500 to the share (never retried blindly): it may or may not be done.
    stack.slack.fail_next("files.completeUploadExternal", 500)
    stack.clock.advance(90)
    await stack.poll_all()
    assert replies(stack, row) == []
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert delivery.status == "posting" and delivery.file_id is not None
    stack.clock.advance(31)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert reply.files and stack.slack.called("conversations.replies")
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]
