"""The client against the simulator over real loopback HTTP: endpoints, errors, retries, limits."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from typing import Any

import pytest

from bot.offline.loopback import serve_on_loopback
from motive import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DuplicateRequestError,
    InternalServerError,
    NoFootageError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    QuotaExhaustedError,
    RateLimitError,
)
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.rules import RecallRequest, validate_recall, validate_snapshot
from motive.simulator import Fault, SimConfig, Simulator, build_app
from tests.conftest import SimEnv


def recall_for(env: SimEnv, minutes_ago: float = 60, **kw: Any) -> RecallRequest:
    fields: dict[str, Any] = {"vehicle_number": "TRK-101", "duration": 2}
    fields.update(kw)
    start = env.clock.now() - timedelta(minutes=minutes_ago)
    return validate_recall(start_time=start, now=env.clock.now(), **fields)


# --- every endpoint ---------------------------------------------------------------------------


async def test_quota_configures_the_rate_limiter(sim_env: SimEnv) -> None:
    sim_env.sim.config.rate_limit = (40, 10.0)
    async with sim_env.client() as client:
        quota = await client.recalls.quota()
        assert quota.quota_info.regular.total_minutes == 300
        assert quota.quota_info.remaining("timelapse") == 600
        assert quota.rate_limit is not None and quota.rate_limit.limit == 40
        assert client.limiter is not None and client.limiter.capacity == 20


async def test_timelines_for_vehicle_and_asset_show_gaps(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        vt = await client.recalls.timelines(
            validate_snapshot(vehicle_number="TRK-101", position="rear").target
        )
        assert vt.vehicle is not None and vt.vehicle.number == "TRK-101"
        assert len(vt.available_timelines) == 3  # two gaps in TRK-101's footage
        now = sim_env.clock.now()
        assert vt.covers(now - timedelta(minutes=10), now - timedelta(minutes=8))
        gap_start = now - timedelta(hours=3)
        assert not vt.covers(gap_start, gap_start + timedelta(minutes=2))
        assert vt.nearest(gap_start, gap_start + timedelta(minutes=2))[0].start_time <= now
        at = await client.recalls.timelines(
            validate_snapshot(asset_name="Reefer 12", position="rear").target
        )
        assert at.asset is not None and at.asset.name == "Reefer 12"
        assert at.quota_info is not None


async def test_recall_lifecycle_to_download(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        created = await client.recalls.create(recall_for(sim_env))
        assert created.status == "pending" and isinstance(created.id, str)
        assert created.vehicle is not None and created.vehicle.number == "TRK-101"
        sim_env.clock.advance(4 * 60)
        mid = await client.recalls.retrieve(created.id)
        assert mid.status in ("pending", "processing") and not mid.is_terminal
        sim_env.clock.advance(15 * 60)
        done = await client.recalls.retrieve(created.id)
        assert done.status == "completed" and done.is_terminal
        assert {c.position for c in done.cameras} == {"front_facing", "driver_facing"}
        cam = done.cameras[0]
        assert cam.download_url and cam.expires_at is not None
        media = await client.fetch_media(cam.download_url)
        assert b"ftyp" in media[:16]


async def test_partial_and_failed_recalls(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        partial = await client.recalls.create(recall_for(sim_env, vehicle_number="TRK-104"))
        offline = await client.recalls.create(recall_for(sim_env, 200, vehicle_number="TRK-105"))
        sim_env.clock.advance(20 * 60)
        p = await client.recalls.retrieve(partial.id)
        assert p.status == "partially_completed"
        rear = next(c for c in p.cameras if c.position == "rear")
        assert rear.status == "failed" and rear.download_url is None and rear.error_message
        still = await client.recalls.retrieve(offline.id)
        assert still.status == "pending"
        sim_env.clock.advance(180 * 60)
        f = await client.recalls.retrieve(offline.id)
        assert f.status == "failed" and f.failure_reason and "offline" in f.failure_reason


async def test_image_capture_to_jpeg(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        snap = validate_snapshot(asset_name="Reefer 12", position="side_left")
        created = await client.image_captures.create(snap)
        assert created.status == "pending" and created.camera_type == "omnicam"
        assert created.asset is not None and created.asset.name == "Reefer 12"
        sim_env.clock.advance(90)
        done = await client.image_captures.retrieve(created.camera_type, created.request_id)
        assert done.status == "success" and done.is_terminal
        assert done.image is not None and done.image.url and done.image.expires_at
        jpeg = await client.fetch_media(done.image.url)
        assert jpeg[:3] == b"\xff\xd8\xff"
        with pytest.raises(NotFoundError):
            await client.image_captures.retrieve("dashcam", created.request_id)


async def test_expired_media_link_is_refused(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        created = await client.recalls.create(recall_for(sim_env))
        sim_env.clock.advance(20 * 60)
        url = (await client.recalls.retrieve(created.id)).cameras[0].download_url
        assert url
        sim_env.clock.advance(61 * 60)
        with pytest.raises(PermissionDeniedError):
            await client.fetch_media(url)
        fresh = (await client.recalls.retrieve(created.id)).cameras[0].download_url
        assert fresh and fresh != url and await client.fetch_media(fresh)


async def test_lists_follow_every_page(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        vehicles = await client.vehicles.list_all()
        assets = await client.assets.list_all()
    assert len(vehicles) == 130 and len({v.number for v in vehicles}) == 130
    assert vehicles[0].number == "TRK-101"
    assert len(assets) == 43 and any(a.name == "Reefer 12" for a in assets)
    assert sim_env.sim.stats.requests["vehicles.list"] == 2


@pytest.mark.parametrize("sim_config", [SimConfig(api_key="test-key", variant_shapes=True)])
async def test_variant_shapes_are_accepted(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        quota = await client.recalls.quota()
        assert quota.rate_limit is not None  # named api_rate_limits in this shape
        created = await client.recalls.create(recall_for(sim_env))  # wrapped, integer id
        assert isinstance(created.id, str) and created.id.isdigit()
        sim_env.clock.advance(20 * 60)
        done = await client.recalls.retrieve(created.id)
        assert all(c.download_url for c in done.cameras)  # sent as `url`, no expiry
        assert all(c.expires_at is None for c in done.cameras)
        snap = await client.image_captures.create(
            validate_snapshot(vehicle_number="TRK-102", position="front_facing")
        )
        assert snap.camera_type == "dashcam"


async def test_oauth_bearer_token_is_accepted(sim_env: SimEnv) -> None:
    async with MotiveClient(base_url=sim_env.url, oauth_token="test-key", clock=sim_env.clock) as c:
        assert (await c.recalls.quota()).quota_info.regular.total_minutes == 300


# --- every error kind -------------------------------------------------------------------------


async def test_bad_request_carries_motives_message(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        with pytest.raises(BadRequestError) as caught:
            await client.request(
                "POST",
                "/v1/video_recall_requests",
                endpoint="raw",
                json={
                    "vehicle_number": "TRK-101",
                    "start_time": "2026-11-21T14:00:00Z",
                    "duration": 4,
                },
                create=True,
            )
    assert caught.value.status_code == 400
    assert caught.value.message == "Regular recalls last 1, 2 or 3 minutes; you asked for 4."


async def test_unauthorized(sim_env: SimEnv) -> None:
    async with MotiveClient(base_url=sim_env.url, api_key="wrong", clock=sim_env.clock) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.recalls.quota()
    assert "API key" in caught.value.message


async def test_forbidden_when_video_monitoring_is_off(sim_env: SimEnv) -> None:
    sim_env.sim.config.video_monitoring = False
    async with sim_env.client() as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.image_captures.create(
                validate_snapshot(vehicle_number="TRK-101", position="rear")
            )
    assert "video_monitoring" in caught.value.message


async def test_unknown_vehicle_not_found(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        with pytest.raises(NotFoundError) as caught:
            await client.recalls.create(recall_for(sim_env, vehicle_number="TRK-999"))
        assert "TRK-999" in caught.value.message  # read from `message`
        with pytest.raises(NotFoundError):
            await client.recalls.retrieve("1")


async def test_duplicate_rejected(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        first = await client.recalls.create(recall_for(sim_env))
        with pytest.raises(DuplicateRequestError) as caught:
            await client.recalls.create(recall_for(sim_env))
    assert first.id in caught.value.message and caught.value.status_code == 409


async def test_no_footage_in_a_gap(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        with pytest.raises(NoFootageError) as caught:
            await client.recalls.create(recall_for(sim_env, 179))
    assert caught.value.status_code == 422 and "No footage" in caught.value.message


async def test_smart_dashcam_rule_enforced_by_simulator(sim_env: SimEnv) -> None:
    async with sim_env.client() as client:
        with pytest.raises(BadRequestError) as caught:
            await client.recalls.create(recall_for(sim_env, vehicle_number="TRK-103"))
    assert "Smart dashcam" in caught.value.message


async def test_quota_exhausted_is_not_retried(sim_env: SimEnv) -> None:
    sim_env.sim.config.quota_minutes["regular"] = 3
    async with sim_env.client() as client:
        await client.recalls.create(recall_for(sim_env, 60))
        with pytest.raises(QuotaExhaustedError) as caught:
            await client.recalls.create(recall_for(sim_env, 30))
    assert "quota" in caught.value.message and caught.value.status_code == 429
    assert sim_env.sim.stats.requests["recalls.create"] == 2


async def test_rate_limited_error_carries_retry_after(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=429, retry_after=7))
    async with sim_env.client(max_retries=0) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.recalls.quota()
    assert caught.value.retry_after == 7.0


async def test_server_error_after_retries(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=500, count=10))
    async with sim_env.client(max_retries=2) as client:
        with pytest.raises(InternalServerError):
            await client.recalls.quota()
    assert sim_env.sim.stats.requests["recalls.quota"] == 3
    assert len(sim_env.clock.slept) == 2


async def test_timeout_on_get_retried_then_raised(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=None, delay=0.6, count=5))
    async with sim_env.client(timeout=0.15, max_retries=1) as client:
        with pytest.raises(APITimeoutError):
            await client.recalls.quota()
    assert sim_env.sim.stats.requests["recalls.quota"] == 2


# --- retry rules ------------------------------------------------------------------------------


async def test_get_retried_on_5xx_then_succeeds(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=502, count=2))
    async with sim_env.client() as client:
        quota = await client.recalls.quota()
    assert quota.quota_info.regular.total_minutes == 300
    assert sim_env.sim.stats.requests["recalls.quota"] == 3
    # jittered exponential backoff: half to all of 0.5 s, then of 1 s
    assert 0.25 <= sim_env.clock.slept[0] <= 0.5 and 0.5 <= sim_env.clock.slept[1] <= 1.0


async def test_get_honours_retry_after(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=429, retry_after=4))
    async with sim_env.client() as client:
        await client.recalls.quota()
    assert 4.0 <= sim_env.clock.slept[0] <= 5.0


async def test_retry_after_beyond_the_cap_is_raised_not_waited(sim_env: SimEnv) -> None:
    sim_env.sim.faults.append(Fault(status=429, retry_after=600))
    async with sim_env.client(retry_cap_seconds=60) as client:
        with pytest.raises(RateLimitError):
            await client.recalls.quota()
    assert sim_env.clock.slept == []


@pytest.mark.parametrize("status", [429, 503])
async def test_create_retried_when_motive_surely_did_not_act(sim_env: SimEnv, status: int) -> None:
    sim_env.sim.faults.append(Fault(status=status, method="POST", retry_after=1))
    async with sim_env.client() as client:
        created = await client.recalls.create(recall_for(sim_env))
    assert created.id and sim_env.sim.stats.recalls_created == 1
    assert sim_env.sim.stats.requests["recalls.create"] == 2


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_create_not_retried_on_ambiguous_5xx(sim_env: SimEnv, status: int) -> None:
    sim_env.sim.faults.append(Fault(status=status, method="POST", count=3))
    async with sim_env.client() as client:
        with pytest.raises(InternalServerError):
            await client.recalls.create(recall_for(sim_env))
    assert sim_env.sim.stats.requests["recalls.create"] == 1


async def test_ambiguous_create_is_not_retried(sim_env: SimEnv) -> None:
    # Motive creates the recall, then the answer is too slow: outcome unknown, never resent.
    sim_env.sim.faults.append(Fault(status=None, method="POST", delay=0.6, act_first=True))
    async with sim_env.client(timeout=0.15) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.recalls.create(recall_for(sim_env))
        with pytest.raises(OutcomeUnknownError):
            sim_env.sim.faults.append(Fault(status=None, method="POST", delay=0.6, act_first=True))
            await client.image_captures.create(
                validate_snapshot(vehicle_number="TRK-101", position="front_facing")
            )
    await asyncio.sleep(0.7)  # let the stalled answers finish before the server stops
    assert sim_env.sim.stats.requests["recalls.create"] == 1
    assert sim_env.sim.stats.recalls_created == 1
    assert sim_env.sim.stats.captures_created == 1
    assert sim_env.clock.slept == []


class _StartServerOnSleep(ManualClock):
    """The server is down for the first attempt and comes up while the client backs off."""

    def __init__(self, start: Any) -> None:
        super().__init__()
        self.start_server = start

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        await self.start_server()


async def test_create_retried_after_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sim = Simulator(SimConfig())
    started: list[Any] = []

    async def start() -> None:
        if not started:
            cm = serve_on_loopback(build_app(sim, tick_seconds=3600), port=port)
            await cm.__aenter__()
            started.append(cm)

    clock = _StartServerOnSleep(start)
    sim.clock = clock
    try:
        async with MotiveClient(base_url=f"http://127.0.0.1:{port}", clock=clock) as client:
            request = validate_recall(
                vehicle_number="TRK-101",
                start_time=clock.now() - timedelta(hours=1),
                duration=1,
                now=clock.now(),
            )
            created = await client.recalls.create(request)
        assert created.id and sim.stats.recalls_created == 1 and len(clock.slept) == 1
    finally:
        for cm in started:
            await cm.__aexit__(None, None, None)


async def test_connection_refused_raises_after_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = ManualClock()
    async with MotiveClient(base_url=f"http://127.0.0.1:{port}", clock=clock, max_retries=2) as c:
        with pytest.raises(APIConnectionError) as caught:
            await c.recalls.quota()
    assert not caught.value.sent and len(clock.slept) == 2


# --- the rate limiter -------------------------------------------------------------------------


async def test_burst_of_200_creates_earns_no_429(sim_env: SimEnv) -> None:
    sim_env.sim.config.rate_limit = (30, 10.0)
    seen: list[str] = []
    async with sim_env.client(observer=lambda endpoint, outcome: seen.append(outcome)) as client:
        await client.recalls.quota()  # learns the limit from the quota's rate-limit block
        base = sim_env.clock.now() - timedelta(hours=20)
        requests = [
            validate_recall(
                vehicle_number="TRK-102",
                start_time=base + timedelta(minutes=i),
                duration=1,
                now=sim_env.clock.now(),
            )
            for i in range(200)
        ]
        created = await asyncio.gather(*(client.recalls.create(r) for r in requests))
    assert len({c.id for c in created}) == 200
    assert "429" not in seen and seen.count("201") == 200
    assert sim_env.sim.stats.rate_limited == 0
    assert sim_env.sim.stats.recalls_created == 200
    assert client.limiter is not None and client.limiter.waits > 0


async def test_without_the_limiter_the_same_burst_is_throttled(sim_env: SimEnv) -> None:
    # The control for the test above: the simulator really does enforce its limit.
    sim_env.sim.config.rate_limit = (30, 10.0)
    async with sim_env.client(rate_limit=None, max_retries=0) as client:
        base = sim_env.clock.now() - timedelta(hours=20)
        results = await asyncio.gather(
            *(
                client.recalls.create(
                    validate_recall(
                        vehicle_number="TRK-102",
                        start_time=base + timedelta(minutes=i),
                        duration=1,
                        now=sim_env.clock.now(),
                    )
                )
                for i in range(60)
            ),
            return_exceptions=True,
        )
    assert sum(isinstance(r, RateLimitError) for r in results) == 30
    assert sim_env.sim.stats.rate_limited == 30
