"""Safety events on the Motive side: the lenient model, the paged list against the simulator over
loopback, the webhook actions, and the simulator's clips, updates and withdrawn crashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.offline.loopback import serve_on_loopback
from motive.client import MotiveClient
from motive.errors import UnexpectedResponseError
from motive.models import SafetyEvent
from motive.simulator import send_event_webhooks
from motive.webhooks import parse_event, verify
from tests.conftest import SimEnv

FULL = {
    "id": 7001,
    "type": "hard_brake",
    "start_time": "2026-11-21T14:58:00Z",
    "end_time": "2026-11-21T14:58:06Z",
    "lat": 39.5349,
    "lon": -119.7527,
    "location": "Sparks, NV",
    "vehicle": {"id": 1300101, "number": "TRK-101"},
    "driver": {"id": 9101, "first_name": "Dana", "last_name": "Driver"},
    "metadata": {"severity": "High"},
    "max_speed": 54,
    "camera_media": {
        "available": True,
        "downloadable_videos": {
            "front_facing_plain_url": "https://s3.example/front.mp4",
            "driver_facing_plain_url": None,
        },
    },
}


def test_a_full_event_reads_every_field() -> None:
    e = SafetyEvent.model_validate({"driver_performance_event": FULL})
    assert (e.id, e.type, e.location, e.vehicle_number) == (
        "7001",
        "hard_brake",
        "Sparks, NV",
        "TRK-101",
    )
    assert e.start_time == datetime(2026, 11, 21, 14, 58, tzinfo=UTC)
    assert (e.lat, e.lon, e.speed_mph) == (39.5349, -119.7527, 54.0)
    assert e.driver is not None and e.driver.name == "Dana Driver"
    # Severity is read case-blind; an in-cab link that is null is not a clip.
    assert (e.severity, e.severity_rank) == ("high", 2)
    assert e.clips == {"front_facing": "https://s3.example/front.mp4"}
    assert e.media_available is True and not e.is_crash


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"metadata": None}, lambda e: e.severity is None and e.severity_rank is None),
        ({"metadata": {"severity": "extreme"}}, lambda e: e.severity_rank is None),
        ({"driver": None}, lambda e: e.driver is None),
        ({"lat": "39.5", "lon": "junk"}, lambda e: (e.lat, e.lon) == (39.5, None)),
        ({"camera_media": None}, lambda e: e.clips == {} and e.media_available is None),
        ({"camera_media": {"available": "yes"}}, lambda e: e.media_available is None),
        ({"start_time": "yesterday"}, lambda e: e.start_time is None),
        ({"type": None}, lambda e: e.type == "unknown"),
        ({"type": "unsafe_parking"}, lambda e: e.type == "unsafe_parking"),
        ({"vehicle": None, "vehicle_id": 55}, lambda e: e.vehicle and e.vehicle.id == 55),
        (
            {"location": {"description": "Reno, NV", "lat": 1.5, "lon": 2.5}, "lat": None},
            lambda e: (e.location, e.lat, e.lon) == ("Reno, NV", 1.5, -119.7527),
        ),
        (
            {"camera_media": {"downloadable_videos": {"front_facing_url_v2": "https://x/f.mp4"}}},
            lambda e: e.clips == {"front_facing": "https://x/f.mp4"},
        ),
        ({"max_speed": None, "metadata": {"speed": "61.5"}}, lambda e: e.speed_mph == 61.5),
    ],
)
def test_odd_fields_are_not_given_never_fatal(changes: dict[str, object], check: object) -> None:
    e = SafetyEvent.model_validate({**FULL, **changes})
    assert callable(check) and check(e)


def test_an_event_needs_its_id() -> None:
    with pytest.raises(ValueError, match="id"):
        SafetyEvent.model_validate({**FULL, "id": None})


def test_webhook_actions_name_the_event_and_where_to_look() -> None:
    body = {
        "id": 7001,
        "action": "driver_performance_event_created",
        "type": "crash",
        "driver_id": None,
        "vehicle_id": 1300101,
        "start_time": "2026-11-21T14:58:00Z",
        "end_time": "2026-11-21T14:58:06Z",
        "lat": 39.5,
        "lon": -119.7,
        "location": "Sparks, NV",
    }
    event = parse_event(json.dumps(body).encode())
    [notice] = event.safety_events
    assert (notice.id, notice.action, notice.type) == ("7001", body["action"], "crash")
    assert notice.start_time == datetime(2026, 11, 21, 14, 58, tzinfo=UTC)
    assert event.recall_ids == () and event.capture_ids == ()
    # A list of them (some receivers see arrays), repeats once, and an update with an odd time.
    again = dict(body, action="driver_performance_event_updated", start_time="soon")
    many = parse_event(json.dumps([body, body, again, {"action": "test"}]).encode())
    assert [n.id for n in many.safety_events] == ["7001"]
    [odd] = parse_event(json.dumps(again).encode()).safety_events
    assert odd.start_time is None and odd.action.endswith("_updated")
    # Another action, or no id: no notice.
    assert parse_event(b'{"action":"vehicle_location_updated","id":5}').safety_events == ()
    assert parse_event(b'{"action":"driver_performance_event_created"}').safety_events == ()


@pytest.mark.parametrize(
    "body",
    [
        # Flat, as the list's items are...
        {"action": "driver_performance_event_updated", "id": " 7002 ", "type": "crash",
         "vehicle_id": 1300101, "start_time": "2026-11-21T15:01:00Z"},
        # ...or the event under its own key, beside the action.
        {"action": "driver_performance_event_updated", "id": 1,
         "driver_performance_event": {"id": 7002, "type": "crash", "vehicle_id": "1300101",
                                      "start_time": "2026-11-21T15:01:00Z"}},
        # An action spelled in a way not in the contract still names an event of this kind.
        {"action": "driver_performance_event_reviewed", "id": 7002, "type": "crash",
         "vehicle_id": 1300101, "start_time": "2026-11-21T15:01:00Z"},
    ],
)  # fmt: skip
def test_a_notice_is_read_flat_or_nested_with_every_hint(body: dict[str, object]) -> None:
    [notice] = parse_event(json.dumps(body).encode()).safety_events
    assert (notice.id, notice.action) == ("7002", body["action"])
    assert (notice.type, notice.vehicle_id) == ("crash", "1300101")
    assert notice.start_time == datetime(2026, 11, 21, 15, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["", None, 7, ["crash"]])
def test_a_notice_without_a_readable_type_has_none(kind: object) -> None:
    body = {"action": "driver_performance_event_created", "id": 7003, "type": kind}
    [notice] = parse_event(json.dumps(body).encode()).safety_events
    assert (notice.id, notice.type, notice.vehicle_id, notice.start_time) == (
        "7003",
        None,
        None,
        None,
    )


def test_notices_of_several_events_in_one_body_are_each_kept_once() -> None:
    bodies = [
        {"action": "driver_performance_event_created", "id": 7004},
        {"action": "driver_performance_event_created", "id": 7005},
        {"action": "driver_performance_event_updated", "id": 7004},
        {"action": "driver_performance_event_created", "id": True},  # no id
    ]
    event = parse_event(json.dumps(bodies).encode())
    assert [(n.id, n.action) for n in event.safety_events] == [
        ("7004", "driver_performance_event_created"),
        ("7005", "driver_performance_event_created"),
    ]
    assert event.action == "driver_performance_event_created"


async def test_the_list_is_read_across_pages_within_the_dates(sim_env: SimEnv) -> None:
    now = sim_env.clock.now()
    sim = sim_env.sim
    inside = [
        sim.events.raise_event("TRK-101", at=now - timedelta(minutes=i), webhook=False).id
        for i in range(230)
    ]
    sim.events.raise_event("TRK-102", at=now - timedelta(days=3), webhook=False)
    async with sim_env.client() as client:
        found = await client.safety_events.list(now.date() - timedelta(days=1), now.date())
    assert sorted(e.id for e in found) == sorted(inside)
    assert sim.stats.requests["events.list"] == 3  # 100 + 100 + 30


async def test_a_list_without_its_array_is_an_error_not_no_events(sim_env: SimEnv) -> None:
    async def odd(request: Request) -> Response:
        return Response('{"events": []}', media_type="application/json")

    async with serve_on_loopback(
        Starlette(routes=[Route("/v2/driver_performance_events", odd)])
    ) as url:
        client = MotiveClient(base_url=url, clock=sim_env.clock)
        with pytest.raises(UnexpectedResponseError):
            await client.safety_events.list(sim_env.clock.now().date(), sim_env.clock.now().date())
        await client.aclose()


async def test_clips_come_later_and_a_crash_is_withdrawn_by_review(sim_env: SimEnv) -> None:
    sim, clock = sim_env.sim, sim_env.clock
    slow = sim.events.raise_event("TRK-101", media_delay_seconds=120, webhook=False)
    crash = sim.events.raise_event("TRK-102", "crash", withdraw_after_seconds=600, webhook=False)
    retyped = sim.events.raise_event(
        "TRK-104", "crash", withdraw_after_seconds=600, retype_to="hard_brake", webhook=False
    )
    today = clock.now().date()
    async with sim_env.client() as client:
        first = {e.id: e for e in await client.safety_events.list(today, today)}
        assert first[slow.id].clips == {} and first[slow.id].media_available is False
        assert first[crash.id].is_crash
        clock.advance(601)
        later = {e.id: e for e in await client.safety_events.list(today, today)}
        assert set(later[slow.id].clips) == {"front_facing", "driver_facing"}
        assert crash.id not in later and later[retyped.id].type == "hard_brake"
        # The clip link is Motive's presigned media.
        data = await client.fetch_media(later[slow.id].clips["front_facing"])
        assert data.startswith(b"\x00\x00\x00\x18ftyp")
    # Only the retype is announced (Motive says nothing when an event vanishes).
    [(body, _)] = sim.events.due_webhooks()
    assert json.loads(body)["action"] == "driver_performance_event_updated"


async def test_the_simulator_signs_and_sends_its_event_webhooks(sim_env: SimEnv) -> None:
    got: list[tuple[bytes, str]] = []

    async def receiver(request: Request) -> Response:
        got.append((await request.body(), request.headers["X-KT-Webhook-Signature"]))
        return Response("ok")

    sim = sim_env.sim
    async with serve_on_loopback(
        Starlette(routes=[Route("/hook", receiver, methods=["POST"])])
    ) as url:
        sim.config.webhook_url, sim.config.webhook_secret = f"{url}/hook", "8cbd43f98ba1e33c28c9"
        event = sim.events.raise_event("TRK-101", "tailgating")
        sim.events.update(event.id, severity="high")
        async with httpx.AsyncClient() as http:
            assert await send_event_webhooks(sim, http) == 2
            assert await send_event_webhooks(sim, http) == 0  # each is sent once
    assert [json.loads(b)["action"] for b, _ in got] == [
        "driver_performance_event_created",
        "driver_performance_event_updated",
    ]
    assert all(verify(b, s, "8cbd43f98ba1e33c28c9") for b, s in got)
    assert json.loads(got[0][0])["type"] == "tailgating"


def test_an_event_read_back_from_its_own_dump_is_the_same() -> None:
    e = SafetyEvent.model_validate(FULL)
    assert SafetyEvent.model_validate(e.model_dump(mode="json")) == e
