"""A wrong guess about Motive degrades, it never blocks: the whole bot against each simulator
variant (motive/simulator/variants.py), end to end over loopback."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.store.models import DONE, TRACKING, TrackedRequest
from motive import contract
from motive.models import parse_time
from motive.simulator import SimConfig, variants
from tests.support.stack import Stack, running_stack


@pytest.fixture
async def variant_stack(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Stack]:
    config = SimConfig(variants=frozenset(request.param.split("+")))
    async with running_stack(sqlite_url, sim_config=config) as s:
        yield s
    assert not s.slack.violations, s.slack.violations


def variant(*names: str) -> Any:
    return pytest.mark.parametrize("variant_stack", ["+".join(names)], indirect=True)


async def ask(stack: Stack, command: str, text: str) -> TrackedRequest:
    await stack.command(command, text)
    await stack.settle()
    rows = [r for r in await stack.svc.store.all_requests() if r.state == TRACKING]
    assert rows, stack.responses()
    return rows[-1]


def anchor(stack: Stack, row: TrackedRequest) -> str:
    assert row.anchor_ts is not None
    msg = stack.slack.message(row.channel, row.anchor_ts)
    assert msg is not None
    return json.dumps(msg.blocks)


def thread(stack: Stack, row: TrackedRequest) -> list[Any]:
    assert row.anchor_ts is not None
    return stack.slack.thread(row.channel, row.anchor_ts)


async def metric_total(stack: Stack, word: str) -> float:
    """The sum of every /metrics sample whose labels hold `word`."""
    text = (await stack.http.get(f"{stack.url}/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or f'"{word}"' not in line:
            continue
        if m := re.search(r"\}\s+([0-9.eE+-]+)$", line):
            total += float(m.group(1))
    return total


# --- the pre-flight check degrades ---------------------------------------------------------------


@variant("timelines-404")
async def test_timelines_404_still_creates_the_recall_with_a_note(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-101 40m ago 2m")
    assert stack.sim.stats.recalls_created == 1 and row.motive_id == "81234"
    text = anchor(stack, row)
    assert "Could not check footage first: Not Found" in text and "Motive request 81234" in text
    assert "quota" not in text.lower().split("could not check footage")[1]
    assert stack.responses() == []  # nothing private to the asker: the anchor says it


@variant("timelines-404")
async def test_motive_still_refuses_what_the_skipped_check_would_have(
    variant_stack: Stack,
) -> None:
    stack = variant_stack
    # TRK-101 recorded nothing 3 hours before the simulator started: Motive's answer decides.
    gap = stack.clock.now().replace(microsecond=0) - timedelta(hours=3) + timedelta(minutes=5)
    await stack.command("/recall", f"TRK-101 {gap.strftime('%Y-%m-%dT%H:%M')}Z 2m")
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert "No footage available" in anchor(stack, row) and row.motive_id is None
    assert stack.sim.stats.recalls_created == 0


@variant("timelines-query")
async def test_refused_timelines_query_notes_motives_reason(variant_stack: Stack) -> None:
    row = await ask(variant_stack, "/recall", 'asset:"Reefer 12" 40m ago 1m')
    assert "Could not check footage first: asset_id is required" in anchor(variant_stack, row)


@variant("quota-shape")
async def test_unreadable_quota_goes_ahead_with_a_note(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-101 40m ago 2m")
    text = anchor(stack, row)
    assert "Could not check quota first" in text and "minutes are left" in text
    assert "footage first" not in text  # the footage check itself ran and passed


@variant("timelines-404", "quota-shape")
async def test_both_checks_skipped_are_both_noted(variant_stack: Stack) -> None:
    row = await ask(variant_stack, "/recall", "TRK-101 40m ago 2m")
    text = anchor(variant_stack, row)
    assert "Could not check footage first" in text and "could not check quota first" in text


@variant("naive-timestamps")
async def test_naive_timestamps_check_footage_without_raising(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-101 40m ago 2m")
    assert "Could not check" not in anchor(stack, row)
    gap = stack.clock.now().replace(microsecond=0) - timedelta(hours=3) + timedelta(minutes=5)
    await stack.command("/recall", f"TRK-101 {gap.strftime('%Y-%m-%dT%H:%M')}Z 2m")
    await stack.settle()
    assert "no recorded footage" in json.dumps(stack.slack.responses[-1]["blocks"])
    assert stack.sim.stats.recalls_created == 1


@variant("adjacent-segments")
async def test_a_window_across_back_to_back_segments_is_covered(variant_stack: Stack) -> None:
    stack = variant_stack
    on = stack.sim.config.variants
    segments = variants.timelines(stack.sim.timelines_for("vehicle", "TRK-102"), on)
    ends = [parse_time(w["end_time"]) for w in segments["available_timelines"]]
    now = stack.clock.now()
    # A segment that ends 40-50 minutes ago; the recall starts a minute before its end.
    end = next(e for e in reversed(ends) if timedelta(minutes=40) <= now - e < timedelta(hours=1))
    start = end - timedelta(minutes=1)
    assert not any(
        parse_time(w["start_time"]) <= start
        and start + timedelta(minutes=2) <= parse_time(w["end_time"])
        for w in segments["available_timelines"]
    )  # no one segment holds the window: only joined ones do
    row = await ask(stack, "/recall", f"TRK-102 {start.strftime('%Y-%m-%dT%H:%M:%S')}Z 2m")
    assert "Could not check" not in anchor(stack, row)
    assert stack.sim.stats.recalls_created == 1


# --- status words and field names ----------------------------------------------------------------


@variant("camera-url-field")
async def test_links_under_another_field_name_are_delivered(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-102 40m ago 2m front rear")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = thread(stack, row)
    assert "2 of 2 cameras" in json.dumps(reply.blocks) and "link expiry not given" in json.dumps(
        reply.blocks
    )
    assert (await stack.svc.store.get(row.id)).state == DONE  # type: ignore[union-attr]


@variant("status-words")
async def test_unknown_status_word_with_links_is_delivered(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-102 40m ago 2m")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert (await stack.svc.store.get(row.id)).motive_status == "available"  # type: ignore[union-attr]
    [reply] = thread(stack, row)
    assert "Footage is ready" in reply.text and "6 of 6 cameras" in json.dumps(reply.blocks)


@variant("status-words")
async def test_unknown_status_without_links_is_shown_and_counted(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    before = await metric_total(stack, "uploading")
    stack.clock.advance(4 * 60)
    await stack.poll_all()
    polled = await stack.svc.store.get(row.id)
    assert polled is not None and polled.state == TRACKING and polled.motive_status == "uploading"
    assert "uploading" in anchor(stack, row) and thread(stack, row) == []
    assert await metric_total(stack, "uploading") >= before + 1


@variant("null-status")
async def test_null_status_shows_on_the_anchor_and_keeps_polling(variant_stack: Stack) -> None:
    stack = variant_stack
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(4 * 60)
    await stack.poll_all()
    polled = await stack.svc.store.get(row.id)
    assert polled is not None and polled.state == TRACKING
    assert polled.motive_status == contract.NO_STATUS and contract.NO_STATUS in anchor(stack, row)
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert "Footage is ready" in thread(stack, row)[0].text


@variant("wrapped", "spaced-timestamps")
async def test_wrapped_replies_and_spaced_times_run_end_to_end(variant_stack: Stack) -> None:
    stack = variant_stack
    recall = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    snap = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    assert (recall.motive_id, snap.motive_id) == ("81234", "45780")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert "Footage is ready" in thread(stack, recall)[0].text
    assert "link expires <!date^" in json.dumps(thread(stack, recall)[0].blocks)
    assert thread(stack, snap)[0].files


@variant("odd-fields")
async def test_odd_fields_keep_the_typeahead_and_snapshots_working(variant_stack: Stack) -> None:
    stack = variant_stack
    await stack.command("/recall", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    r = await stack.interact(
        {
            "type": "block_suggestion",
            "action_id": "target_select",
            "block_id": "target",
            "value": "4521",
            "view": view,
        }
    )
    assert [o["value"] for o in r.json()["options"]] == ["4521"]  # an integer number, as text
    snap = await ask(stack, "/snapshot", "TRK-102 rear")  # its reply has no camera_type
    assert snap.camera_type == "omnicam"
    stack.clock.advance(90)
    await stack.poll_all()
    assert thread(stack, snap)[0].files
    recall = await ask(stack, "/recall", "TRK-101 40m ago 2m")
    assert "Could not check" not in anchor(stack, recall)  # float/null minutes still read
