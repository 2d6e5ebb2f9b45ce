"""Hostile and random input: forged, stale and replayed Slack requests, forged webhooks, secrets
kept out of every log line, and fuzzed command texts and payloads that must each get a clear
answer and never a crash or a Motive create they did not ask for."""

from __future__ import annotations

import itertools
import json
import logging
import os
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motive.webhooks import SIGNATURE_HEADER
from tests.support.stack import SIGNING_SECRET, WEBHOOK_SECRET, Stack

# CI runs 150 of each; the long run sets MOTIVE_BOT_FUZZ_EXAMPLES (see RELIABILITY.md).
FUZZ_EXAMPLES = int(os.environ.get("MOTIVE_BOT_FUZZ_EXAMPLES", "150"))
_unique = itertools.count()  # bench/fuzz.py runs the long version


def command_body(text: str, n: int) -> str:
    return urlencode(
        {
            "command": "/recall",
            "text": text,
            "user_id": "U0DISPATCH",
            "channel_id": "C0DISPATCH",
            "trigger_id": f"trig-h{n}",
            "team_id": "T0FLEET",
            "api_app_id": "A0MOTIVE",
        }
    )


async def test_a_replayed_request_is_refused(stack: Stack) -> None:
    body = command_body("TRK-101 40m ago 1m", 1)
    headers = stack.signed(body)
    first = await stack.http.post(f"{stack.url}/slack/events", content=body, headers=headers)
    again = await stack.http.post(f"{stack.url}/slack/events", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 401)
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1
    # The same command sent again by Slack is signed anew, and is welcome.
    fresh = await stack.http.post(
        f"{stack.url}/slack/events",
        content=body,
        headers=stack.signed(body, timestamp=int(headers["X-Slack-Request-Timestamp"]) - 1),
    )
    assert fresh.status_code == 200


async def test_a_repeated_typeahead_query_is_answered_both_times(stack: Stack) -> None:
    """Reading is safe to repeat, and the same letters typed twice in a second are the same bytes."""
    body = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_suggestion",
                    "action_id": "target_select",
                    "block_id": "target",
                    "value": "TRK-10",
                    "team": {"id": "T0FLEET"},
                    "user": {"id": "U0DISPATCH"},
                    "api_app_id": "A0MOTIVE",
                    "view": {"id": "V1", "type": "modal", "callback_id": "recall_modal"},
                }
            )
        }
    )
    headers = stack.signed(body)
    for _ in range(2):
        r = await stack.http.post(f"{stack.url}/slack/events", content=body, headers=headers)
        assert r.status_code == 200 and "TRK-101" in r.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: "sha1=0000"},
        {SIGNATURE_HEADER: "sha1=é".encode()},  # non-ASCII: once a 500 with a traceback
        {SIGNATURE_HEADER: "x" * 5000},
    ],
)
async def test_forged_webhooks_are_refused_without_a_motive_call(
    stack: Stack, headers: dict[str, str | bytes]
) -> None:
    body = json.dumps({"action": "vehicle_video_recall_request_updated", "id": 81234}).encode()
    before = stack.motive_calls()
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )
    assert r.status_code == 403
    await stack.settle()
    assert stack.motive_calls() == before


async def test_no_secret_reaches_any_log_line(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = ["xoxb-test", SIGNING_SECRET, WEBHOOK_SECRET]
    with caplog.at_level(logging.DEBUG):
        for logger in ("", "slack_bolt", "slack_sdk", "httpx", "bot", "motive", "apscheduler"):
            logging.getLogger(logger).setLevel(logging.DEBUG)
        await stack.command("/recall", "TRK-101 40m ago 1m note: check")
        await stack.command("/recall", "TRK-101 14:05 9m")
        await stack.command("/snapshot", "TRK-101 front")
        await stack.command("/recall", "")
        await stack.settle()
        stack.clock.advance(20 * 60)
        await stack.poll_all()
        await stack.http.post(
            f"{stack.url}/slack/events", content="x=1", headers=stack.signed("x=1", secret="no")
        )
    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert len(lines) > 20  # the bot really did log at DEBUG
    for secret in secrets:
        assert not [ln for ln in lines if secret in ln], secret


# --- fuzz ---------------------------------------------------------------------------------------

WORDS = [
    "TRK-101",
    "TRK-103",
    'asset:"Reefer 12"',
    "asset:",
    "14:05",
    "25:99",
    "2026-11-20",
    "2026-02-30",
    "20m",
    "ago",
    "1h",
    "3m",
    "4m",
    "0m",
    "timelapse",
    "regular",
    "front",
    "driver",
    "narrow",
    "left",
    "right",
    "rear",
    "all",
    "note:",
    "help",
    "&amp;",
    "<@U123>",
    "<!channel>",
    '"',
    "`",
    "*",
    "\u200b",
    "🚚",
    "-1m",
    "99999999999999999999m",
]
texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12)), max_size=8
).map(" ".join)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts)
async def test_fuzzed_command_texts_get_an_answer_and_never_crash(stack: Stack, text: str) -> None:
    created = stack.sim.stats.recalls_created
    replies, anchors = len(stack.slack.responses), len(stack.anchors())
    forms = len(stack.slack.called("views.open"))
    r = await stack.command("/recall", text)
    assert r.status_code == 200
    await stack.settle()
    new_replies = stack.slack.responses[replies:]
    new_anchors = stack.anchors()[anchors:]
    new_forms = len(stack.slack.called("views.open")) - forms
    # An outcome the user sees: an anchor, a private answer, or (blank text) the form.
    assert len(new_replies) + len(new_anchors) + new_forms >= 1, text
    for reply in new_replies:
        assert reply.get("text") and "Something went wrong" not in reply["text"], (text, reply)
    if not new_anchors:
        assert stack.sim.stats.recalls_created == created, text


payload_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["block_actions", "view_submission", "block_suggestion", "view_closed"]),
    junk=st.dictionaries(
        st.sampled_from(
            ["view", "actions", "action_id", "block_id", "value", "state", "container"]
        ),
        payload_values,
        max_size=4,
    ),
)
async def test_fuzzed_interaction_payloads_never_crash(
    stack: Stack, kind: str, junk: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    created = stack.sim.stats.recalls_created + stack.sim.stats.captures_created
    with caplog.at_level(logging.ERROR):
        # A fresh trigger each time: Hypothesis repeats examples, and an identical signed body in
        # the same second is (rightly) refused as a replay.
        r = await stack.interact({"type": kind, **junk, "trigger_id": f"t{next(_unique)}"})
        await stack.settle()
    assert r.status_code in (200, 404), r.text  # 404: Bolt found no listener for that payload
    assert stack.sim.stats.recalls_created + stack.sim.stats.captures_created == created
    assert not [rec for rec in caplog.records if rec.exc_info], [
        r.getMessage() for r in caplog.records
    ]


block_states = st.dictionaries(
    st.sampled_from(
        [
            "target_kind",
            "target",
            "target_asset",
            "start",
            "recall_type",
            "duration_regular",
            "duration_timelapse",
            "cameras",
            "note",
            "position",
            "position_asset",
            "junk",
        ]
    ),
    st.dictionaries(st.sampled_from(["a", "b"]), payload_values, max_size=2),
    max_size=6,
)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    callback=st.sampled_from(["recall_modal", "snapshot_modal"]),
    action=st.sampled_from(
        ["target_kind_pick", "recall_type_pick", "refresh_links", "target_select"]
    ),
    values=block_states,
    metadata=st.one_of(st.text(max_size=30), st.just('{"c": "C0DISPATCH", "u": "U0DISPATCH"}')),
    value=payload_values,
)
async def test_our_own_listeners_survive_fuzzed_forms_and_buttons(
    stack: Stack,
    callback: str,
    action: str,
    values: dict[str, Any],
    metadata: str,
    value: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Shapes our listeners read (form state, private metadata, button values) gone wrong."""
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "state": {"values": values},
        "blocks": [],
    }
    n = next(_unique)
    with caplog.at_level(logging.ERROR):
        submitted = await stack.interact(
            {"type": "view_submission", "view": view, "trigger_id": f"t{n}"}
        )
        button = {"action_id": action, "block_id": "b", "type": "button"}
        if isinstance(value, str):
            button["value"] = value
        pressed = await stack.interact(
            {"type": "block_actions", "actions": [button], "view": view, "trigger_id": f"u{n}"}
        )
        await stack.settle()
    assert (submitted.status_code, pressed.status_code) == (200, 200)
    assert not [rec for rec in caplog.records if rec.exc_info], [
        r.getMessage() for r in caplog.records
    ]
