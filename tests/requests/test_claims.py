"""Quota spent once (issue 23): every rule that counts is decided with the claim. Overlapping
recalls, one person's daily limit and `/snapshot … all` sent at the same instant, through the
running app on SQLite and PostgreSQL: the first wins, the others are told privately."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack


def pointed(stack: Stack) -> list[str]:
    return [
        json.dumps(r.get("blocks"))
        for r in stack.slack.responses
        if "already in flight" in r.get("text", "")
    ]


def stuck(stack: Stack) -> list[str]:
    """Anchors still saying the bot is asking Motive."""
    return [m.text for m in stack.anchors() if "Asking" in stack.anchor_text(m.channel, m.ts)]


async def test_five_pairs_of_overlapping_recalls_at_the_same_instant_make_one_create_each(
    any_db_url: str,
) -> None:
    async with running_stack(any_db_url) as stack:
        sends = []
        for n in range(5):
            truck = f"TRK-{201 + n}"
            sends.append(stack.command("/recall", f"{truck} 30m ago 3m front", user=f"U0A{n}"))
            sends.append(stack.command("/recall", f"{truck} 29m ago 2m front", user=f"U0B{n}"))
        answers = await asyncio.gather(*sends)
        assert [a.status_code for a in answers] == [200] * 10
        await stack.settle(60)
        assert stack.sim.stats.recalls_created == 5
        assert len(stack.anchors()) == 5
        assert len(pointed(stack)) == 5
        assert not stuck(stack)
    assert not stack.slack.violations, stack.slack.violations


async def test_a_pair_of_overlapping_recalls_2_seconds_apart_makes_one_create(
    any_db_url: str,
) -> None:
    async with running_stack(any_db_url) as stack:
        first = asyncio.ensure_future(stack.command("/recall", "TRK-201 30m ago 3m front"))
        await asyncio.sleep(0)
        stack.clock.advance(2)
        await stack.command("/recall", "TRK-201 29m ago 2m front", user="U0OTHER")
        await first
        await stack.settle(30)
        assert stack.sim.stats.recalls_created == 1 and len(pointed(stack)) == 1


async def test_the_daily_limit_holds_under_a_burst(any_db_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[limits]\ndaily_recall_minutes_per_user = 6\n")
    async with running_stack(any_db_url, settings_overrides={"policy_file": policy}) as stack:
        sends = [stack.command("/recall", f"TRK-{201 + n} 30m ago 2m") for n in range(4)]
        await asyncio.gather(*sends)
        await stack.settle(60)
        assert stack.sim.stats.recalls_created == 3
        [told] = [r for r in stack.responses() if "recall minutes left" in r]
        assert "You have 0 of your 6 recall minutes left" in told
        refusals = [e for e in await stack.svc.privacy.audit.entries() if e.event == "refusal"]
        assert [e.rule for e in refusals] == ["limits.daily_recall_minutes_per_user"]
        assert not stuck(stack)


async def test_two_identical_snapshot_alls_at_once_make_one_group_and_a_clear_answer(
    any_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_stack(any_db_url) as stack:
        await asyncio.gather(
            stack.command("/snapshot", "TRK-104 all"),
            stack.command("/snapshot", "TRK-104 all", user="U0OTHER"),
        )
        await stack.settle(60)
        assert len(stack.anchors()) == 1 and not stuck(stack)
        assert stack.sim.stats.captures_created == 5
        assert len(pointed(stack)) == 1
        assert not [r for r in stack.responses() if "went wrong" in r]
    assert "IntegrityError" not in caplog.text
