"""A stop answers everyone (issue 23): commands still in their pre-flight check (or waiting for
a turn) when the bot stops either finish or are told that nothing was requested."""

from __future__ import annotations

import asyncio

from motive.simulator.state import Fault
from tests.support.stack import Stack, wait_for

RESTARTED = "the bot restarted before it could ask Motive: nothing was requested"


async def test_a_stop_during_the_preflight_tells_the_asker_nothing_was_requested(
    stack: Stack,
) -> None:
    # Motive is slow to say which footage the truck holds: the pre-flight is under way.
    stack.sim.faults.append(
        Fault(method="GET", path_prefix="/v1/video_recall_requests/vehicles", delay=2.0)
    )
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await wait_for(lambda: stack.sim.stats.requests["recalls.timelines"] == 1)
    await stack.svc.tracker.stop(drain_seconds=0.05)
    [said] = stack.responses()
    assert RESTARTED in said and "ask again" in said
    assert await stack.svc.store.all_requests() == []
    assert stack.sim.stats.recalls_created == 0


async def test_a_stop_answers_every_command_in_flight_or_waiting_its_turn(stack: Stack) -> None:
    stack.sim.faults.append(
        Fault(method="GET", path_prefix="/v1/video_recall_requests/vehicles", delay=2.0, count=8)
    )
    trucks = [f"TRK-{201 + n}" for n in range(8)]  # more than the bot works on at once
    await asyncio.gather(*(stack.command("/recall", f"{t} 30m ago 1m") for t in trucks))
    await wait_for(lambda: stack.sim.stats.requests["recalls.timelines"] >= 1)
    await stack.svc.tracker.stop(drain_seconds=0.05)
    told = [r for r in stack.responses() if RESTARTED in r]
    # Each command either reached Motive or was told it did not, never both. (One stopped
    # between its anchor and its create keeps its row until the sweep ends it, anchor and all,
    # with the same words.)
    assert len(told) + stack.sim.stats.recalls_created == len(trucks)
    assert told
