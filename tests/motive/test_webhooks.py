from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.offline.loopback import serve_on_loopback
from motive.rules import validate_recall
from motive.simulator import send_due_webhooks
from motive.webhooks import SIGNATURE_HEADER, parse_event, sign, verify
from tests.conftest import SimEnv


@pytest.mark.parametrize(
    ("body", "secret", "expected"),
    [
        (b'{"action":"test"}', "8cbd43f98ba1e33c28c9", "5e1a966298ba4f3e91847aea8746198ca0530dd2"),
        (
            b'["fault_code_closed"]',
            "d9d36bea41c44ae49d1bfc4a48ba2abe",
            "f04a8386a21a6cba0447024e83b3f0983352bb72",
        ),
    ],
    ids=["legacy_test_action_vector", "doc_fault_code_vector"],
)
def test_signature_vectors(body: bytes, secret: str, expected: str) -> None:
    assert sign(body, secret) == expected
    assert verify(body, expected, secret)
    assert verify(body, expected.upper(), secret)


def test_wrong_or_missing_signature_rejected() -> None:
    body = b'{"action":"test"}'
    good = sign(body, "8cbd43f98ba1e33c28c9")
    assert not verify(body + b" ", good, "8cbd43f98ba1e33c28c9")
    assert not verify(body, good, "another-secret-000000")
    assert not verify(body, None, "8cbd43f98ba1e33c28c9")
    assert not verify(body, good, "")


@pytest.mark.parametrize(
    ("payload", "action", "recalls", "captures"),
    [
        ({"action": "test"}, "test", (), ()),
        (
            {"action": "video_recall_request_completed", "id": 81234},
            "video_recall_request_completed",
            ("81234",),
            (),
        ),
        (
            {
                "action": "video_recall_request_updated",
                "video_recall_request": {"id": "77", "status": "completed"},
            },
            "video_recall_request_updated",
            ("77",),
            (),
        ),
        (
            [
                {"action": "video_recall_request_completed", "id": "1"},
                {"action": "video_recall_request_completed", "id": 2},
            ],
            "video_recall_request_completed",
            ("1", "2"),
            (),
        ),
        (
            {"action": "image_capture_completed", "request_id": 45780},
            "image_capture_completed",
            (),
            ("45780",),
        ),
        ({"action": "vehicle_location_updated", "id": 5}, "vehicle_location_updated", (), ()),
    ],
    ids=[
        "test_action",
        "flat_id",
        "nested_object",
        "array_of_events",
        "image_capture",
        "unrelated_action",
    ],
)
def test_parse_event(
    payload: object, action: str, recalls: tuple[str, ...], captures: tuple[str, ...]
) -> None:
    event = parse_event(json.dumps(payload).encode())
    assert (event.action, event.recall_ids, event.capture_ids) == (action, recalls, captures)


def test_parse_event_rejects_non_json() -> None:
    with pytest.raises(ValueError):
        parse_event(b"not json")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[bytes, str]]]]:
    got: list[tuple[bytes, str]] = []

    async def hook(request: Request) -> Response:
        got.append((await request.body(), request.headers.get(SIGNATURE_HEADER, "")))
        return Response("ok")

    async with serve_on_loopback(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        yield f"{url}/hook", got


async def test_simulator_sends_signed_completion_webhook_once(
    sim_env: SimEnv, receiver: tuple[str, list[tuple[bytes, str]]]
) -> None:
    url, got = receiver
    sim_env.sim.config.webhook_url = url
    sim_env.sim.config.webhook_secret = "8cbd43f98ba1e33c28c9"
    async with sim_env.client() as client:
        created = await client.recalls.create(
            validate_recall(
                vehicle_number="TRK-101",
                start_time=sim_env.clock.now() - timedelta(hours=1),
                duration=1,
                now=sim_env.clock.now(),
            )
        )
    async with httpx.AsyncClient() as http:
        assert await send_due_webhooks(sim_env.sim, http) == 0  # still uploading
        sim_env.clock.advance(20 * 60)
        assert await send_due_webhooks(sim_env.sim, http) == 1
        assert await send_due_webhooks(sim_env.sim, http) == 0  # delivered once
    body, signature = got[0]
    assert verify(body, signature, "8cbd43f98ba1e33c28c9")
    assert parse_event(body).recall_ids == (created.id,)
