"""The policy in the running bot: signed requests against the fake Slack and the simulator, each
case leaving its audit rows; `motive-bot audit` prints them."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.access.audit import Audit, Subject
from bot.access.policy import SETTLE_SECONDS
from bot.cli import main
from bot.offline.fakeslack import FakeSlack
from bot.store.models import TRACKING, AuditEntry, TrackedRequest
from bot.store.requests import Store
from motive.clock import ManualClock
from motive.rules import CameraPosition as P
from motive.simulator import SimConfig
from motive.simulator.clip import clip_sha256
from tests.support.stack import OPENAPI, Stack, running_stack

CONTACT = "the safety team in #fleet-safety"
SAFE, DISPATCHER, OUTSIDER = "U0SAFE", "U0DISPATCH", "U0OTHER"


def policy_text(*, deliver_to: str = "thread", limit: int | None = None, upload: str = "") -> str:
    limits = f"[limits]\ndaily_recall_minutes_per_user = {limit}\n" if limit else ""
    limits += f"[video_upload]\n{upload}\n" if upload else ""
    return f"""
contact = "{CONTACT}"

[requesters]
road_video = ["S0DISPATCH", "S0SAFETY"]
in_cab = ["S0SAFETY"]
snapshots = ["S0DISPATCH", "S0SAFETY"]

[channels]
allowed = ["C0DISPATCH"]

[in_cab]
deliver_to = "{deliver_to}"

{limits}"""


@contextlib.asynccontextmanager
async def policy_stack(
    tmp_path: Path,
    text: str,
    *,
    groups: dict[str, list[str]] | None = None,
    sim_config: SimConfig | None = None,
    served: bool = False,
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[Stack]:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    slack = FakeSlack(openapi=OPENAPI)
    slack.usergroups = groups or {"S0DISPATCH": [DISPATCHER], "S0SAFETY": [SAFE]}
    async with running_stack(
        f"sqlite:///{tmp_path / 'bot.db'}",
        slack=slack,
        sim_config=sim_config,
        settings_overrides={"policy_file": path, **(settings or {})},
        served=served,
    ) as stack:
        # The fleet list the start began reading, awaited: requests then use it, as in service.
        assert await stack.svc.fleet.search("vehicle", "TRK-101", wait=30) == ["TRK-101"]
        yield stack
    assert not stack.slack.violations, stack.slack.violations


def motive_calls(stack: Stack) -> int:
    return sum(stack.sim.stats.requests.values())


async def audit(stack: Stack, **filters: Any) -> list[AuditEntry]:
    return list(await stack.svc.privacy.audit.entries(**filters))


async def tracked(stack: Stack) -> list[TrackedRequest]:
    return [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]


def thread(stack: Stack, row: TrackedRequest) -> list[Any]:
    assert row.anchor_ts is not None
    return stack.slack.thread(row.channel, row.anchor_ts)


def urls(message: Any) -> list[str]:
    return [b["accessory"]["url"] for b in message.blocks if "accessory" in b]


async def recall_until_ready(stack: Stack, text: str, user: str) -> TrackedRequest:
    await stack.command("/recall", text, user=user)
    await stack.settle()
    rows = [r for r in await tracked(stack) if r.requester == user]
    assert rows, stack.responses()
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    return rows[-1]


async def press_refresh(stack: Stack, user: str, row: TrackedRequest, message: Any) -> None:
    await stack.interact(
        {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": "t9",
            "response_url": f"{stack.slack_url}/respond/refresh-{user}",
            "container": {
                "type": "message",
                "channel_id": message.channel,
                "message_ts": message.ts,
            },
            "channel": {"id": message.channel},
            "actions": [{"action_id": "refresh_links", "type": "button", "value": str(row.id)}],
        }
    )
    await stack.settle()


# --- requests ----------------------------------------------------------------------------


async def test_an_allowed_user_gets_in_cab_video_in_the_thread(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        row = await recall_until_ready(stack, "TRK-101 40m ago 1m driver", SAFE)
        [links] = thread(stack, row)
        assert [u for u in urls(links) if "driver_facing" in u], links.blocks
        request, delivery = await audit(stack)
        assert (request.event, request.user, request.decision, request.outcome) == (
            "request",
            SAFE,
            "allowed",
            "requested",
        )
        assert request.cameras == "driver_facing" and request.motive_id == row.motive_id
        assert request.window_start is not None and request.window_end is not None
        assert (delivery.event, delivery.outcome) == ("delivery", "links posted in the thread")
        assert delivery.cameras == "driver_facing"


async def test_a_user_outside_the_group_is_refused_privately_with_no_motive_call(
    tmp_path: Path,
) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        before = motive_calls(stack)
        await stack.command("/recall", "TRK-101 40m ago 1m", user=OUTSIDER)
        await stack.settle()
        await stack.command("/snapshot", "TRK-101 driver", user=DISPATCHER)
        await stack.settle()
        assert motive_calls(stack) == before
        assert stack.anchors() == [] and await stack.svc.store.all_requests() == []
        recall_no, snapshot_no = stack.responses()
        assert "requesters.road_video" in json.dumps(stack.slack.responses[0])
        assert CONTACT in recall_no and "road-facing" in recall_no
        assert "requesters.in_cab" in json.dumps(stack.slack.responses[1])
        assert CONTACT in snapshot_no and "in-cab" in snapshot_no
        rows = await audit(stack)
        assert [(r.event, r.user, r.decision, r.rule, r.kind) for r in rows] == [
            ("refusal", OUTSIDER, "refused", "requesters.road_video", "recall"),
            ("refusal", DISPATCHER, "refused", "requesters.in_cab", "snapshot"),
        ]


async def test_a_channel_outside_the_policy_is_refused(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=SAFE, channel="C0PUBLIC")
        await stack.settle()
        [refused] = stack.responses()
        assert "<#C0DISPATCH>" in refused and stack.anchors() == []
        [row] = await audit(stack)
        assert (row.rule, row.channel) == ("channels.allowed", "C0PUBLIC")


async def test_all_cameras_is_narrowed_for_someone_without_in_cab(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        await stack.command("/recall", "TRK-102 40m ago 1m", user=DISPATCHER)
        await stack.settle()
        [row] = await tracked(stack)
        cameras = set(row.camera_list or [])
        # TRK-102 carries every camera; the fleet list says so.
        assert cameras == {p.value for p in P} - {"driver_facing"}
        [anchor] = stack.anchors()
        assert "other cameras only" in json.dumps(anchor.blocks)
        sent = stack.sim.recalls[str(row.motive_id)]
        assert P.DRIVER_FACING not in sent.cameras
        [entry] = await audit(stack)
        assert (entry.decision, entry.rule) == ("narrowed", "requesters.in_cab")
        assert "driver_facing" not in entry.cameras


async def test_in_cab_links_go_by_dm_when_the_policy_says_so(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text(deliver_to="requester")) as stack:
        row = await recall_until_ready(stack, "TRK-101 40m ago 1m front driver", SAFE)
        [in_thread] = thread(stack, row)
        assert all("driver_facing" not in u for u in urls(in_thread))
        assert [u for u in urls(in_thread) if "front_facing" in u]
        assert f"sent privately to <@{SAFE}>" in json.dumps(in_thread.blocks)
        [dm] = [m for m in stack.slack.messages if m.channel == f"D{SAFE}"]
        assert [u for u in urls(dm) if "driver_facing" in u] and len(urls(dm)) == 1
        deliveries = [r for r in await audit(stack) if r.event == "delivery"]
        assert sorted((d.cameras, d.outcome) for d in deliveries) == [
            ("driver_facing", f"links sent privately by DM to {SAFE}"),
            ("front_facing", "links posted in the thread"),
        ]


async def in_cab_snapshot_delivered_by_dm(stack: Stack) -> tuple[TrackedRequest, dict[str, Any]]:
    """A driver-facing snapshot by the safety manager, delivered (deliver_to = requester)."""
    await stack.command("/snapshot", "TRK-101 driver", user=SAFE)
    await stack.settle()
    [row] = await tracked(stack)
    stack.clock.advance(90)
    await stack.poll_all()
    [image] = files_in(stack, f"D{SAFE}", None)
    return row, image


async def test_an_in_cab_snapshot_goes_by_dm_when_the_policy_says_so(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text(deliver_to="requester")) as stack:
        row, image = await in_cab_snapshot_delivered_by_dm(stack)
        assert image["name"].endswith(".jpg")
        [line] = thread(stack, row)
        assert not line.files and f"sent privately to <@{SAFE}>" in line.text
        [delivery] = [r for r in await audit(stack) if r.event == "delivery"]
        assert delivery.outcome == f"image uploaded by DM to {SAFE}"


async def test_a_half_done_delivery_by_dm_is_found_in_the_dm_not_posted_again(
    tmp_path: Path,
) -> None:
    """The process died after Slack took the in-cab image in the requester's DM, before the
    store recorded it: the next poll looks in the DM (not the thread) and finds it."""
    from sqlalchemy import update

    from bot.store.models import Delivery

    async with policy_stack(tmp_path, policy_text(deliver_to="requester")) as stack:
        row, image = await in_cab_snapshot_delivered_by_dm(stack)
        async with stack.svc.store.sessions() as s, s.begin():
            await s.execute(update(Delivery).values(status="posting", ts=None))
            await s.execute(
                update(TrackedRequest).where(TrackedRequest.id == row.id).values(state=TRACKING)
            )
        await stack.svc.tracker.poll(row.id)
        assert files_in(stack, f"D{SAFE}", None) == [image]
        deliveries = await stack.svc.store.deliveries(row.id)
        assert {d.status for d in deliveries} == {"posted"}


async def test_the_daily_limit_counts_the_users_own_day(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text(limit=2)) as stack:
        for text in ("TRK-101 40m ago 1m front", "TRK-102 40m ago 1m front"):
            await stack.command("/recall", text, user=DISPATCHER)
            await stack.settle()
        assert len(await tracked(stack)) == 2
        before = motive_calls(stack)
        await stack.command("/recall", "TRK-104 40m ago 1m front", user=DISPATCHER)
        await stack.settle()
        assert motive_calls(stack) == before and len(await tracked(stack)) == 2
        refused = stack.responses()[-1]
        assert "0 of your 2 recall minutes left today in your time zone (America/Chicago)" in (
            refused
        )
        # Another person's minutes are their own.
        await stack.command("/recall", "TRK-104 40m ago 1m front", user=SAFE)
        await stack.settle()
        assert len(await tracked(stack)) == 3
        [limit] = [r for r in await audit(stack) if r.event == "refusal"]
        assert limit.rule == "limits.daily_recall_minutes_per_user"


async def test_refresh_links_pressed_by_someone_not_allowed(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        row = await recall_until_ready(stack, "TRK-101 40m ago 1m driver", SAFE)
        [links] = thread(stack, row)
        old = urls(links)
        stack.clock.advance(61 * 60)

        before = motive_calls(stack)
        await press_refresh(stack, DISPATCHER, row, links)
        assert motive_calls(stack) == before and urls(links) == old
        assert CONTACT in stack.responses()[-1] and "in-cab" in stack.responses()[-1]
        await press_refresh(stack, SAFE, row, links)
        assert urls(links) != old and "Fresh links" in json.dumps(links.blocks)
        refreshes = [r for r in await audit(stack) if r.event == "refresh"]
        assert [(r.user, r.decision, r.rule, r.outcome) for r in refreshes] == [
            (DISPATCHER, "refused", "requesters.in_cab", refreshes[0].outcome),
            (SAFE, "allowed", None, "fresh links posted"),
        ]
        assert "can't refresh" in refreshes[0].outcome


async def test_a_usergroup_change_is_picked_up_after_its_refresh(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m driver", user=DISPATCHER)
        await stack.settle()
        assert await tracked(stack) == [] and "requesters.in_cab" in json.dumps(
            stack.slack.responses[-1]
        )
        stack.slack.usergroups["S0SAFETY"] = [SAFE, DISPATCHER]
        await stack.command("/recall", "TRK-101 40m ago 1m driver", user=DISPATCHER)
        await stack.settle()
        assert await tracked(stack) == []  # still the cached members
        stack.clock.advance(301)
        await stack.command("/recall", "TRK-101 40m ago 1m driver", user=DISPATCHER)
        await stack.settle()
        [row] = await tracked(stack)
        assert row.camera_list == ["driver_facing"]


async def test_a_broken_policy_file_keeps_the_last_good_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        path = tmp_path / "policy.toml"
        path.write_text(policy_text() + '\n[channels]\nallowed = "everywhere"\n')
        os.utime(path, (1, 1))  # a change the re-read sees, whatever the file system's clock
        settle(stack)
        await stack.command("/recall", "TRK-101 40m ago 1m driver", user=DISPATCHER)
        await stack.settle()
        assert "requesters.in_cab" in json.dumps(stack.slack.responses[-1])
        policy_file = stack.svc.privacy.policy_file
        assert policy_file is not None and policy_file.last_error is not None
        assert "line" in policy_file.last_error
        assert "keeping the last good policy" in caplog.text
        # Fixed: the new policy applies (the dispatcher joins the in-cab list by name).
        path.write_text(
            policy_text().replace('in_cab = ["S0SAFETY"]', f'in_cab = ["{DISPATCHER}"]')
        )
        settle(stack)
        await stack.command("/recall", "TRK-101 40m ago 1m driver", user=DISPATCHER)
        await stack.settle()
        assert len(await tracked(stack)) == 1


def settle(stack: Stack) -> None:
    """The bot sees the file changed, and looks again once it has stopped changing."""
    assert stack.svc.privacy.policy is not None
    stack.clock.advance(SETTLE_SECONDS)


# --- video uploads ---------------------------------------------------------------------------


def files_in(stack: Stack, channel: str, thread_ts: str | None) -> list[dict[str, Any]]:
    return [
        f
        for m in stack.slack.messages
        if m.channel == channel and m.thread_ts == thread_ts
        for f in m.files
    ]


async def test_clips_the_policy_names_are_uploaded_with_motives_bytes(tmp_path: Path) -> None:
    size = 3_000_000 + 12_345  # not a whole number of blocks
    text = policy_text(upload='cameras = ["front_facing", "driver_facing"]\nmax_megabytes = 5')
    async with policy_stack(tmp_path, text, sim_config=SimConfig(video_bytes=size)) as stack:
        row = await recall_until_ready(stack, "TRK-102 40m ago 1m front driver rear", SAFE)
        assert row.anchor_ts is not None
        clips = files_in(stack, row.channel, row.anchor_ts)
        assert sorted(f["name"] for f in clips) == [
            "recall-TRK-102-driver_facing.mp4",
            "recall-TRK-102-front_facing.mp4",
        ]
        for f in clips:
            up = stack.slack.uploads[f["id"]]
            position = f["name"].removeprefix("recall-TRK-102-").removesuffix(".mp4")
            expected = clip_sha256(f"recalls/{row.motive_id}/{position}.mp4", size)
            assert (up["size"], up["sha256"]) == (size, expected)
        # The rear camera is not named: its link, alone, in the thread reply.
        [links] = [m for m in thread(stack, row) if not m.files]
        assert [u for u in urls(links) if "/rear.mp4" in u] and len(urls(links)) == 1
        # Fresh links are for what is still a link: the uploaded clips do not expire.
        stack.clock.advance(61 * 60)
        old = urls(links)
        await press_refresh(stack, SAFE, row, links)
        assert len(urls(links)) == 1 and urls(links) != old and "/rear.mp4" in urls(links)[0]
        uploads = [r.outcome for r in await audit(stack) if r.event == "delivery"]
        assert uploads.count(f"clip uploaded into the thread ({size} bytes)") == 2


async def test_a_clip_is_never_held_in_memory_whole(tmp_path: Path) -> None:
    size = 16_000_000
    text = policy_text(upload='cameras = ["front_facing"]')
    # Served on loopback: httpx's in-process transport would read the whole clip at once.
    async with policy_stack(
        tmp_path, text, sim_config=SimConfig(video_bytes=size), served=True
    ) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=SAFE)
        await stack.settle()
        stack.clock.advance(20 * 60)
        # Everything in this process, the simulator and the fake Slack included, is traced.
        tracemalloc.start()
        try:
            await stack.poll_all()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        [up] = [u for u in stack.slack.uploads.values() if u.get("size")]
        assert up["size"] == size and peak < size / 4, peak


async def test_a_clip_over_the_ceiling_is_linked_and_the_reply_says_why(tmp_path: Path) -> None:
    text = policy_text(upload='cameras = ["front_facing"]\nmax_megabytes = 1')
    async with policy_stack(tmp_path, text, sim_config=SimConfig(video_bytes=2_500_000)) as stack:
        row = await recall_until_ready(stack, "TRK-101 40m ago 1m front", SAFE)
        assert stack.slack.called("files.getUploadURLExternal") == []
        [links] = thread(stack, row)
        assert [u for u in urls(links) if "front_facing" in u]
        assert "the clip is 2 MB, above the 1 MB the policy allows" in json.dumps(links.blocks)


async def test_an_in_cab_clip_goes_by_dm_when_the_policy_says_so(tmp_path: Path) -> None:
    text = policy_text(deliver_to="requester", upload='cameras = ["front_facing", "driver_facing"]')
    async with policy_stack(tmp_path, text, sim_config=SimConfig(video_bytes=200_000)) as stack:
        row = await recall_until_ready(stack, "TRK-101 40m ago 1m front driver", SAFE)
        assert row.anchor_ts is not None
        [front] = files_in(stack, row.channel, row.anchor_ts)
        [driver] = files_in(stack, f"D{SAFE}", None)
        assert (front["name"], driver["name"]) == (
            "recall-TRK-101-front_facing.mp4",
            "recall-TRK-101-driver_facing.mp4",
        )
        [line] = [m for m in thread(stack, row) if not m.files]
        assert f"sent privately to <@{SAFE}>" in json.dumps(line.blocks) and urls(line) == []


# --- modals --------------------------------------------------------------------------------


async def test_the_modals_mark_or_hide_in_cab_for_those_without_it(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_text()) as stack:
        opened = []
        for command, user in (
            ("/recall", DISPATCHER),
            ("/snapshot", DISPATCHER),
            ("/snapshot", SAFE),
        ):
            before = set(stack.slack.views)
            await stack.command(command, "", user=user)
            await stack.settle()
            [view_id] = set(stack.slack.views) - before
            opened.append(stack.slack.views[view_id])  # as last updated
        recall, snapshot, safe_snapshot = opened
        boxes = next(b for b in recall["blocks"] if b.get("block_id") == "cameras")["element"]
        [driver] = [o for o in boxes["options"] if o["value"] == "driver_facing"]
        assert "not for you" in driver["text"]["text"]
        assert driver in boxes["initial_options"]  # every box ticked still means "all cameras"

        def positions(view: dict[str, Any]) -> list[str]:
            block = next(b for b in view["blocks"] if b.get("block_id", "").startswith("position"))
            return [o["value"] for o in block["element"]["options"]]

        assert "driver_facing" not in positions(snapshot)
        assert "driver_facing" in positions(safe_snapshot)


# --- the trail -----------------------------------------------------------------------------


def test_motive_bot_audit_prints_csv_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    clock = ManualClock(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))

    async def fill() -> None:
        store = Store(url, clock=clock)
        await store.create_schema()
        trail = Audit(store, clock)
        subject = Subject("recall", "TRK-101", "front_facing", clock.now(), clock.now())
        await trail.record("request", user="U1", channel="C1", subject=subject, outcome="old")
        clock.advance(3 * 86400)
        await trail.record(
            "refusal",
            user="U2",
            channel="C1",
            subject=Subject("snapshot", "TRK-102", "driver_facing"),
            decision="refused",
            rule="requesters.in_cab",
            outcome="You may not, ask the safety team",
        )
        await store.close()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["audit", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["event"], r["user"], r["target"], r["rule"]) for r in rows] == [
        ("request", "U1", "TRK-101", ""),
        ("refusal", "U2", "TRK-102", "requesters.in_cab"),
    ]
    assert rows[0]["at"].startswith("2026-10-30T12:00") and rows[1]["cameras"] == "driver_facing"
    assert main(["audit", "--since", "2026-11-01", "--format", "json"]) == 0
    [only] = json.loads(capsys.readouterr().out)
    assert only["user"] == "U2" and only["decision"] == "refused"
    assert main(["audit", "--user", "U1", "--vehicle", "TRK-101"]) == 0
    assert capsys.readouterr().out.count("TRK-101") == 1
    assert main(["audit", "--since", "yesterday"]) == 2
    assert "--since 'yesterday' is not a date" in capsys.readouterr().err


async def test_retention_prunes_only_rows_older_than_the_setting(sqlite_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(sqlite_url, clock=clock)
    await store.create_schema()
    trail = Audit(store, clock)
    subject = Subject("snapshot", "TRK-101", "front_facing")
    await trail.record("request", user="U1", channel="C1", subject=subject, outcome="a")
    clock.advance(timedelta(days=10).total_seconds())
    await trail.record("request", user="U1", channel="C1", subject=subject, outcome="b")
    clock.advance(timedelta(days=395).total_seconds())
    # The bot in use: the trail's newest row is today's (the prune counts back from it).
    await trail.record("request", user="U1", channel="C1", subject=subject, outcome="c")
    assert await trail.prune(400) == 1
    assert [e.outcome for e in await trail.entries()] == ["b", "c"]
    await store.close()


def test_serve_refuses_to_start_on_a_broken_policy_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "policy.toml"
    path.write_text('contact = "x"\n[in_cab]\ndeliver_to = "everyone"\n')
    env = {
        **os.environ,
        "POLICY_FILE": str(path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "MOTIVE_API_URL": "http://127.0.0.1:9",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "POLICY_FILE is not valid" in done.stderr and "line 3" in done.stderr
    assert "Traceback" not in done.stderr
