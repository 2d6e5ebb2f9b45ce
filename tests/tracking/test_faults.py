"""The fault suite, fast: Motive and Slack failing under the real bot (`bench/faults.py` runs
the same longer). Every request ends delivered or clearly reported, nothing is created or posted
twice, and no error goes unhandled."""

from __future__ import annotations

from bench.faults import MOTIVE_FAULTS, SLACK_METHODS, run


async def test_motive_failing_every_way_loses_nothing_and_creates_nothing_twice() -> None:
    figures = await run("motive", 24, seed=2)
    assert figures.lost == []
    assert figures.requests == 24
    assert (
        figures.delivered
        + figures.reported_failed
        + figures.reported_unknown
        + figures.answered_privately
        == 24
    )
    assert figures.duplicate_creates == 0 and figures.duplicate_replies == 0
    assert figures.unhandled_errors == 0
    # The run met every kind of fault, and at least one create whose outcome it could not know.
    assert {name for name, _ in MOTIVE_FAULTS} <= set(figures.injected)
    assert figures.reported_unknown >= 1


async def test_slack_failing_with_429_and_5xx_loses_and_doubles_no_delivery() -> None:
    # The Slack SDK's retries stay, with 0.01 s between them instead of its backoff and jitter.
    figures = await run("slack", 12, seed=5, rate=0.3, slack_retry_seconds=0.01)
    assert figures.lost == []
    assert figures.delivered == 12
    assert figures.duplicate_replies == 0 and figures.duplicate_creates == 0
    assert figures.duplicate_anchors == 0
    assert figures.unhandled_errors == 0
    failed_methods = {key.split()[0] for key in figures.injected}
    assert failed_methods == set(SLACK_METHODS)


async def test_requests_at_once_spend_quota_once_and_stay_in_the_daily_limit() -> None:
    from bench.outages import claims

    figures = await claims(None, rounds=1)
    assert (figures.pairs, figures.pair_creates, figures.pairs_pointed) == (5, 5, 5)
    assert figures.burst_creates_most == 3 and figures.told_limit == 1
    assert figures.snapshot_all_anchors == 1 and figures.stuck_anchors == 0
    assert figures.went_wrong == 0


async def test_deliveries_slack_refuses_for_good_end_and_are_told() -> None:
    from bench.outages import refusals

    figures = await refusals(1)
    assert figures.ended == figures.refused_for_good == figures.told_by_dm == 3
    assert figures.audit_rows == 3 and figures.delivered_elsewhere == 1
    assert figures.motive_gets_after_refusal == figures.posts_after_refusal == 0
    assert figures.still_open == 0
