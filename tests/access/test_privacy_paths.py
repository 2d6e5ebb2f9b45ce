"""One policy decision on every path (issue 28): each way of asking for footage, driven as Slack
drives it (signed commands and interaction payloads into the running app, the fake Slack and the
Motive simulator behind it), gets the same answer, the same delivery split and the same audit
rows. A new entry point gets a line in ENTRY_POINTS.

The policy is the issue's: road video and snapshots for two users, in-cab for one, one allowed
channel, DMs allowed, in-cab results to the requester, a small daily limit.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from bot.offline.fakeslack import Message
from bot.render.home import HOME_OPEN_RECALL, HOME_OPEN_SNAPSHOT
from bot.render.safety import SAFETY_RECALL, SAFETY_SNAPSHOT
from bot.store.models import DONE, UNKNOWN, AuditEntry, TrackedRequest
from motive.rules import RecallRequest
from motive.simulator import SimConfig
from motive.simulator.state import Fault
from motive.webhooks import sign
from tests.access.test_privacy import CONTACT, DISPATCHER, OUTSIDER, SAFE, policy_stack
from tests.support.stack import WEBHOOK_SECRET, Stack

TEAM = {"id": "T0FLEET", "domain": "fleet"}
ALLOWED, NOT_ALLOWED = "C0DISPATCH", "C0PUBLIC"
LIMIT = 3
POLICY = f"""
contact = "{CONTACT}"

[requesters]
road_video = ["S0DISPATCH", "S0SAFETY"]
in_cab = ["S0SAFETY"]
snapshots = ["S0DISPATCH", "S0SAFETY"]

[channels]
allowed = ["{ALLOWED}"]
direct_messages = true

[in_cab]
deliver_to = "requester"

[limits]
daily_recall_minutes_per_user = {LIMIT}
"""


def user_of(user: str) -> dict[str, Any]:
    """The `user` object of an interaction payload, as Slack sends it."""
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]}


_n = itertools.count(1)


async def interact(stack: Stack, user: str, payload: dict[str, Any]) -> None:
    """An interaction payload with the fields Slack sends with every one (each trigger is new,
    as Slack's are: the replay guard refuses one seen before)."""
    n = next(_n)
    if "trigger_id" in payload:
        payload = {**payload, "trigger_id": f"{payload['trigger_id']}-{n}"}
    full = {
        "team": TEAM,
        "user": user_of(user),
        "api_app_id": "A0MOTIVE",
        "token": "legacy",
        "is_enterprise_install": False,
        "enterprise": None,  # a plain workspace, as Slack sends it
        **payload,
    }
    answer = await stack.interact(full, user=user)
    assert answer.status_code == 200, answer.text
    await stack.settle()


def dm(user: str) -> str:
    return f"D{user}"  # the fake Slack's DM with each user


# --- the entry points ----------------------------------------------------------------------

Ask = Callable[[Stack, str, str, int], Awaitable[None]]


async def new_view(stack: Stack, before: set[str]) -> dict[str, Any]:
    [view_id] = set(stack.slack.views) - before
    return stack.slack.views[view_id]


def recall_values(stack: Stack, minutes: int) -> dict[str, Any]:
    """The recall form, filled: TRK-101 from 40 minutes ago, every camera ticked (all cameras)."""
    start = int((stack.clock.now() - timedelta(minutes=40)).timestamp())
    every = ("front_facing", "driver_facing", "front_narrow_facing", "side_left", "side_right")
    return {
        "target_kind": {"k": {"type": "radio_buttons", "selected_option": option("vehicle")}},
        "target": {"t": {"type": "external_select", "selected_option": option("TRK-101")}},
        "start": {"s": {"type": "datetimepicker", "selected_date_time": start}},
        "recall_type": {"r": {"type": "static_select", "selected_option": option("regular")}},
        "duration_regular": {"d": {"type": "static_select", "selected_option": option(minutes)}},
        "cameras": {
            "c": {
                "type": "checkboxes",
                "selected_options": [option(c) for c in (*every, "rear")],
            }
        },
        "note": {"n": {"type": "plain_text_input", "value": None}},
    }


def snapshot_values() -> dict[str, Any]:
    return {
        "target_kind": {"k": {"type": "radio_buttons", "selected_option": option("vehicle")}},
        "target": {"t": {"type": "external_select", "selected_option": option("TRK-101")}},
        "position_vehicle": {"p": {"type": "radio_buttons", "selected_option": option("all")}},
    }


def option(value: object) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}


async def submit(stack: Stack, user: str, view: dict[str, Any], values: dict[str, Any]) -> None:
    await interact(
        stack,
        user,
        {
            "type": "view_submission",
            "trigger_id": "trig-submit",
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
        },
    )


async def inline_recall(stack: Stack, user: str, channel: str, minutes: int) -> None:
    await stack.command("/recall", f"TRK-101 40m ago {minutes}m", user=user, channel=channel)
    await stack.settle()


async def inline_snapshot_all(stack: Stack, user: str, channel: str, minutes: int) -> None:
    await stack.command("/snapshot", "TRK-101 all", user=user, channel=channel)
    await stack.settle()


async def recall_form(stack: Stack, user: str, channel: str, minutes: int) -> None:
    before = set(stack.slack.views)
    await stack.command("/recall", "", user=user, channel=channel)
    await stack.settle()
    await submit(stack, user, await new_view(stack, before), recall_values(stack, minutes))


async def snapshot_form_all(stack: Stack, user: str, channel: str, minutes: int) -> None:
    before = set(stack.slack.views)
    await stack.command("/snapshot", "", user=user, channel=channel)
    await stack.settle()
    await submit(stack, user, await new_view(stack, before), snapshot_values())


async def message_shortcut(stack: Stack, user: str, channel: str, minutes: int) -> None:
    original = stack.slack.say(channel, "TRK-101 cut me off on I-80")
    before = set(stack.slack.views)
    await interact(
        stack,
        user,
        {
            "type": "message_action",
            "callback_id": "get_dashcam_video",
            "trigger_id": "trig-shortcut",
            "action_ts": "1763740800.000001",
            "channel": {"id": channel, "name": "dispatch"},
            "message_ts": original.ts,
            "message": {"type": "message", "user": "U0ALERTS", "text": original.text},
            "response_url": stack.response_url(f"shortcut-{user}"),
        },
    )
    await submit(stack, user, await new_view(stack, before), recall_values(stack, minutes))


async def global_shortcut(stack: Stack, user: str, channel: str, minutes: int) -> None:
    before = set(stack.slack.views)
    await interact(
        stack,
        user,
        {
            "type": "shortcut",
            "callback_id": "open_recall_form",
            "trigger_id": "trig-global",
            "action_ts": "1763740800.000002",
        },
    )
    await submit(stack, user, await new_view(stack, before), recall_values(stack, minutes))


def home_button(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "trigger_id": "trig-home",
        "container": {"type": "view", "view_id": "VHOME"},
        "view": {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": ""},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "home_buttons",
                "text": {"type": "plain_text", "text": "open"},
                "action_ts": "1763740800.000003",
            }
        ],
    }


async def home_recall(stack: Stack, user: str, channel: str, minutes: int) -> None:
    before = set(stack.slack.views)
    await interact(stack, user, home_button(HOME_OPEN_RECALL))
    await submit(stack, user, await new_view(stack, before), recall_values(stack, minutes))


async def home_snapshot_all(stack: Stack, user: str, channel: str, minutes: int) -> None:
    before = set(stack.slack.views)
    await interact(stack, user, home_button(HOME_OPEN_SNAPSHOT))
    await submit(stack, user, await new_view(stack, before), snapshot_values())


async def safety_event_post(stack: Stack, channel: str) -> Message:
    """A Motive safety event about TRK-101, posted by the bot in the safety channel (set to
    `channel` for these entry points) with its buttons."""
    assert stack.sim is not None
    before = {m.ts for m in stack.slack.messages}
    stack.sim.events.raise_event(
        "TRK-101",
        "forward_collision_warning",
        at=stack.clock.now() - timedelta(minutes=39, seconds=30),
        webhook=False,
    )
    await stack.svc.safety.catch_up()
    await stack.settle()
    [post] = [
        m
        for m in stack.slack.messages
        if m.ts not in before and m.thread_ts is None and m.channel == channel
    ]
    return post


def safety_button(post: Message, action_id: str) -> dict[str, Any]:
    [button] = [
        e
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    return {
        "type": "block_actions",
        "trigger_id": "trig-safety",
        "response_url": "",
        "container": {
            "type": "message",
            "channel_id": post.channel,
            "message_ts": post.ts,
            "is_ephemeral": False,
        },
        "channel": {"id": post.channel, "name": "dispatch"},
        "message": {"type": "message", "ts": post.ts, "text": post.text},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "safety",
                "text": button["text"],
                "value": button["value"],
                "action_ts": "1763740800.000007",
            }
        ],
    }


async def safety_recall(stack: Stack, user: str, channel: str, minutes: int) -> None:
    post = await safety_event_post(stack, ALLOWED)
    payload = safety_button(post, SAFETY_RECALL)
    payload["response_url"] = stack.response_url(f"safety-recall-{user}")
    before = set(stack.slack.views)
    await interact(stack, user, payload)
    await submit(stack, user, await new_view(stack, before), recall_values(stack, minutes))


async def safety_snapshot(stack: Stack, user: str, channel: str, minutes: int) -> None:
    post = await safety_event_post(stack, ALLOWED)
    payload = safety_button(post, SAFETY_SNAPSHOT)
    payload["response_url"] = stack.response_url(f"safety-snapshot-{user}")
    await interact(stack, user, payload)


@dataclass(frozen=True)
class EntryPoint:
    name: str
    kind: Literal["recall", "snapshot"]
    ask: Ask
    # False: not asked from a channel of the asker's choosing (the Home tab, the global
    # shortcut: the request lives in the user's DM; a safety event: it lives in the event's)
    in_channel: bool = True
    settings: tuple[tuple[str, Any], ...] = ()  # what the entry point needs switched on


ENTRY_POINTS = [
    EntryPoint("/recall inline", "recall", inline_recall),
    EntryPoint("/recall form", "recall", recall_form),
    EntryPoint("message shortcut", "recall", message_shortcut),
    EntryPoint("global shortcut", "recall", global_shortcut, in_channel=False),
    EntryPoint("Home: video recall", "recall", home_recall, in_channel=False),
    EntryPoint("/snapshot all", "snapshot", inline_snapshot_all),
    EntryPoint("/snapshot form: All cameras", "snapshot", snapshot_form_all),
    EntryPoint("Home: snapshot, All cameras", "snapshot", home_snapshot_all, in_channel=False),
    EntryPoint(
        "safety event: all cameras either side",
        "recall",
        safety_recall,
        in_channel=False,
        settings=(("safety_channel", ALLOWED),),
    ),
    EntryPoint(
        "safety event: snapshot every camera",
        "snapshot",
        safety_snapshot,
        in_channel=False,
        settings=(("safety_channel", ALLOWED),),
    ),
]


# --- what reached Slack ----------------------------------------------------------------------


def media(message: Message) -> Iterator[str]:
    """Every link and file name a message carries."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "url" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(message.blocks)
    yield from (str(f.get("name")) for f in message.files)


def driver_media(stack: Stack) -> list[tuple[str, str | None, str]]:
    """(channel, thread, link or file) of every driver-facing medium posted anywhere."""
    return [
        (m.channel, m.thread_ts, item)
        for m in stack.slack.messages
        for item in media(m)
        if "driver_facing" in item
    ]


def motive_calls(stack: Stack) -> dict[str, int]:
    """Motive calls made for requests. The recall form shows the month's quota when it opens
    (a read, before anyone has asked for anything): not a call for the request."""
    return {k: v for k, v in stack.motive_calls().items() if k != "recalls.quota"}


async def requests_of(stack: Stack, user: str) -> list[TrackedRequest]:
    return [r for r in await stack.svc.store.all_requests() if r.requester == user]


async def deliver(stack: Stack) -> None:
    """Let Motive finish everything asked so far, and the bot deliver it."""
    stack.clock.advance(20 * 60)
    for _ in range(6):
        await stack.poll_all()
        if not await stack.svc.store.in_flight():
            return
        stack.clock.advance(15)
    raise AssertionError("requests still in flight")


async def trail(stack: Stack) -> list[AuditEntry]:
    return list(await stack.svc.privacy.audit.entries())


async def press_refresh(stack: Stack, user: str, row: TrackedRequest, message: Message) -> None:
    await interact(
        stack,
        user,
        {
            "type": "block_actions",
            "trigger_id": "trig-refresh",
            "response_url": stack.response_url(f"refresh-{user}"),
            "container": {
                "type": "message",
                "channel_id": message.channel,
                "message_ts": message.ts,
                "is_ephemeral": False,
            },
            "channel": {"id": message.channel, "name": "dispatch"},
            "message": {"type": "message", "ts": message.ts, "text": message.text},
            "actions": [
                {
                    "type": "button",
                    "action_id": "refresh_links",
                    "block_id": "refresh",
                    "value": str(row.id),
                    "action_ts": "1763740800.000004",
                }
            ],
        },
    )


# --- the one test ----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=[e.name for e in ENTRY_POINTS])
async def test_every_entry_point_gets_the_same_decision_delivery_and_audit(
    tmp_path: Path, entry: EntryPoint
) -> None:
    recall = entry.kind == "recall"
    async with policy_stack(tmp_path, POLICY, settings=dict(entry.settings)) as stack:
        # An outsider: refused privately, by the rule, with no Motive call and nothing posted.
        before = motive_calls(stack)
        await entry.ask(stack, OUTSIDER, ALLOWED, 1)
        assert motive_calls(stack) == before and await stack.svc.store.all_requests() == []
        [refused] = [e for e in await trail(stack) if e.user == OUTSIDER]
        rule = "requesters.road_video" if recall else "requesters.snapshots"
        assert (refused.event, refused.user, refused.rule) == ("refusal", OUTSIDER, rule)

        # The same in a channel the policy does not allow (asked from a channel at all).
        if entry.in_channel:
            await entry.ask(stack, SAFE, NOT_ALLOWED, 1)
            assert motive_calls(stack) == before and await stack.svc.store.all_requests() == []
            last = (await trail(stack))[-1]
            assert (last.event, last.user, last.rule, last.channel) == (
                "refusal",
                SAFE,
                "channels.allowed",
                NOT_ALLOWED,
            )

        # A road-only user's "all cameras": narrowed; nothing driver-facing asked or posted.
        await entry.ask(stack, DISPATCHER, ALLOWED, 1)
        rows = await requests_of(stack, DISPATCHER)
        assert rows, stack.responses()
        asked = {p for r in rows for p in (r.camera_list or [r.position or "all"])}
        assert asked == {"front_facing"}, asked
        await deliver(stack)
        assert driver_media(stack) == []
        request = next(
            e for e in await trail(stack) if e.event == "request" and e.user == DISPATCHER
        )
        assert (request.user, request.decision, request.rule) == (
            DISPATCHER,
            "narrowed",
            "requesters.in_cab",
        )
        assert "driver_facing" not in request.cameras

        # The in-cab user's: the driver-facing image or link goes to their DM alone.
        await entry.ask(stack, SAFE, ALLOWED, 1)
        [safe_row, *_] = await requests_of(stack, SAFE)
        await deliver(stack)
        found = driver_media(stack)
        assert found and {channel for channel, _, _ in found} == {dm(SAFE)}, found
        assert safe_row.thread is not None
        in_thread = [
            item for m in stack.slack.thread(safe_row.channel, safe_row.thread) for item in media(m)
        ]
        assert any("front_facing" in i for i in in_thread), in_thread
        assert not any("driver_facing" in i for i in in_thread)

        # A road-only user pressing Refresh on that thread's links sees no in-cab link.
        if recall:
            [links] = [
                m
                for m in stack.slack.thread(safe_row.channel, safe_row.thread)
                if "refresh_links" in json.dumps(m.blocks)
            ]
            stack.clock.advance(61 * 60)
            await press_refresh(stack, DISPATCHER, safe_row, links)
            assert not any("driver_facing" in i for i in media(links))
            assert driver_media(stack) == found

        # The daily limit: the in-cab user has 1 of 3 minutes spent; 3 more are refused.
        if recall:
            before = motive_calls(stack)
            await entry.ask(stack, SAFE, ALLOWED, LIMIT)
            assert motive_calls(stack) == before
            last = (await trail(stack))[-1]
            assert (last.event, last.rule) == ("refusal", "limits.daily_recall_minutes_per_user")

        # The audit trail has a row for each of it.
        rows_by = [(e.event, e.user, e.decision) for e in await trail(stack)]
        assert ("request", SAFE, "allowed") in rows_by
        people = (DISPATCHER, SAFE, OUTSIDER)  # (a safety event's own clips are the bot's)
        deliveries = [e for e in await trail(stack) if e.event == "delivery" and e.user in people]
        assert {e.user for e in deliveries} == {DISPATCHER, SAFE}
        private = [e for e in deliveries if e.channel == dm(SAFE) and "driver_facing" in e.cameras]
        assert private, [(e.channel, e.cameras, e.outcome) for e in deliveries]
        assert all("driver_facing" not in e.cameras for e in deliveries if e.user == DISPATCHER)
        if recall:
            refreshes = [e for e in await trail(stack) if e.event == "refresh"]
            assert [(e.user, e.decision) for e in refreshes] == [(DISPATCHER, "allowed")]
            assert "driver_facing" not in refreshes[0].cameras


# --- fail closed ---------------------------------------------------------------------------


def policy_with(deliver_to: str) -> str:
    return POLICY.replace('deliver_to = "requester"', f'deliver_to = "{deliver_to}"')


@pytest.mark.parametrize("word", ["DRIVER_FACING", "Driver-Facing", "cabin"])
async def test_in_cab_media_is_split_whatever_motive_calls_the_camera(
    tmp_path: Path, word: str
) -> None:
    """Motive's position names on camera items are a guess: another spelling of the driver
    camera, or a word the bot does not know at all, still goes to the requester alone."""
    spelled = SimConfig(position_words={"driver_facing": word, "front_facing": "FRONT_FACING"})
    async with policy_stack(tmp_path, POLICY, sim_config=spelled) as stack:
        await inline_recall(stack, SAFE, ALLOWED, 1)
        [row] = await requests_of(stack, SAFE)
        await deliver(stack)
        found = driver_media(stack)
        assert found and {channel for channel, _, _ in found} == {dm(SAFE)}, found
        assert row.thread is not None
        [links] = stack.slack.thread(row.channel, row.thread)
        assert [i for i in media(links) if "front_facing" in i]
        assert "sent privately" in links.text or "sent privately" in str(links.blocks)
        # The trail names the camera as Motive did, whatever the spelling.
        private = [e for e in await trail(stack) if e.event == "delivery" and e.channel == dm(SAFE)]
        assert [e.cameras for e in private] == [word]


async def test_refresh_recognises_in_cab_whatever_motive_calls_the_camera(tmp_path: Path) -> None:
    """In the thread (deliver_to = "thread"), a road-only user's Refresh of links that include
    the driver camera, spelled DRIVER_FACING by Motive, is refused before Motive is asked."""
    spelled = SimConfig(position_words={"driver_facing": "DRIVER_FACING"})
    async with policy_stack(tmp_path, policy_with("thread"), sim_config=spelled) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m front driver", user=SAFE)
        await stack.settle()
        [row] = await requests_of(stack, SAFE)
        await deliver(stack)
        assert row.thread is not None
        [links] = stack.slack.thread(row.channel, row.thread)
        old = list(media(links))
        assert any("driver_facing" in i for i in old)
        stack.clock.advance(61 * 60)
        before = motive_calls(stack)
        await press_refresh(stack, DISPATCHER, row, links)
        assert motive_calls(stack) == before and list(media(links)) == old
        assert "in-cab" in stack.responses()[-1]
        last = (await trail(stack))[-1]
        assert (last.event, last.user, last.decision, last.rule) == (
            "refresh",
            DISPATCHER,
            "refused",
            "requesters.in_cab",
        )


async def test_a_form_acts_as_the_user_slack_names_not_the_one_in_its_metadata(
    tmp_path: Path,
) -> None:
    """private_metadata only says where to answer: the form of an in-cab user, submitted by
    an outsider (Slack names who submitted), is the outsider's request, and refused."""
    async with policy_stack(tmp_path, POLICY) as stack:
        before = set(stack.slack.views)
        await stack.command("/recall", "", user=SAFE, channel=ALLOWED)
        await stack.settle()
        view = await new_view(stack, before)
        assert SAFE in view["private_metadata"]
        calls = motive_calls(stack)
        await submit(stack, OUTSIDER, view, recall_values(stack, 1))
        assert motive_calls(stack) == calls and await stack.svc.store.all_requests() == []
        [refused] = await trail(stack)
        assert (refused.event, refused.user, refused.rule) == (
            "refusal",
            OUTSIDER,
            "requesters.road_video",
        )


async def test_a_refresh_whose_payload_names_no_user_is_refused(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, policy_with("thread")) as stack:
        await inline_recall(stack, SAFE, ALLOWED, 1)
        [row] = await requests_of(stack, SAFE)
        await deliver(stack)
        assert row.thread is not None
        [links] = stack.slack.thread(row.channel, row.thread)
        old = list(media(links))
        stack.clock.advance(61 * 60)
        calls = motive_calls(stack)
        answer = await stack.interact(
            {
                "type": "block_actions",
                "team": TEAM,
                "user": {},
                "enterprise": None,
                "is_enterprise_install": False,
                "api_app_id": "A0MOTIVE",
                "token": "legacy",
                "trigger_id": "trig-nobody",
                "response_url": stack.response_url("refresh-nobody"),
                "container": {
                    "type": "message",
                    "channel_id": links.channel,
                    "message_ts": links.ts,
                    "is_ephemeral": False,
                },
                "channel": {"id": links.channel, "name": "dispatch"},
                "actions": [
                    {
                        "type": "button",
                        "action_id": "refresh_links",
                        "block_id": "refresh",
                        "value": str(row.id),
                        "action_ts": "1763740800.000005",
                    }
                ],
            }
        )
        assert answer.status_code == 200
        await stack.settle()
        assert motive_calls(stack) == calls and list(media(links)) == old
        assert "who pressed" in stack.responses()[-1]
        last = (await trail(stack))[-1]
        assert (last.event, last.user, last.decision) == ("refresh", "unknown", "refused")


async def test_refresh_of_a_request_made_from_a_dm_keeps_the_road_links(tmp_path: Path) -> None:
    """Asked from the Home tab, the request's thread is in the requester's DM: its links
    message (road cameras) stays road links when refreshed; the in-cab links are the other
    message."""
    async with policy_stack(tmp_path, POLICY) as stack:
        await home_recall(stack, SAFE, "", 1)
        [row] = await requests_of(stack, SAFE)
        await deliver(stack)
        assert row.channel == dm(SAFE) and row.thread is not None
        [links] = [
            m
            for m in stack.slack.thread(row.channel, row.thread)
            if any("front_facing" in i for i in media(m))
        ]
        stack.clock.advance(61 * 60)
        await press_refresh(stack, SAFE, row, links)
        fresh = list(media(links))
        assert any("front_facing" in i for i in fresh) and "Fresh links" in str(links.blocks)
        assert not any("driver_facing" in i for i in fresh)


# --- adoption ------------------------------------------------------------------------------


async def post_webhook(stack: Stack, motive_id: str) -> None:
    body = json.dumps({"action": "video_recall_request_completed", "id": motive_id}).encode()
    answer = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={"X-KT-Webhook-Signature": sign(body, WEBHOOK_SECRET)},
    )
    assert answer.status_code == 200
    await stack.settle()


async def unknown_outcome(stack: Stack, user: str, text: str) -> TrackedRequest:
    """A recall whose create got no clear answer (a proxy's 502): "outcome unknown"."""
    assert stack.sim is not None
    stack.sim.faults.append(Fault(status=502, method="POST", path_prefix="/v1/video_recall"))
    await stack.command("/recall", text, user=user, channel=ALLOWED)
    await stack.settle()
    [row] = await requests_of(stack, user)
    assert row.state == UNKNOWN and stack.sim.stats.recalls_created == 0
    return row


def made_in_the_dashboard(stack: Stack, row: TrackedRequest, cameras: list[str]) -> str:
    """Someone asks Motive, in its own dashboard, for the same unit, window and type."""
    assert stack.sim is not None
    request = row.request
    assert isinstance(request, RecallRequest)
    made = stack.sim.create_recall(
        {
            "vehicle_number": request.target.name,
            "start_time": request.start_time.isoformat(),
            "duration": request.duration,
            "recall_type": request.recall_type.value,
            "camera_positions": cameras,
        }
    )
    return str(made.id)


async def test_a_webhook_never_hands_over_someone_elses_cameras(tmp_path: Path) -> None:
    """A road-only dispatcher's create timed out; a recall of the same window with the driver
    camera, made by someone else in the Motive dashboard, finishes: it is not theirs."""
    async with policy_stack(tmp_path, POLICY) as stack:
        row = await unknown_outcome(stack, DISPATCHER, "TRK-101 40m ago 1m")
        assert row.camera_list == ["front_facing"]  # narrowed: all cameras but in-cab
        theirs = made_in_the_dashboard(stack, row, ["front_facing", "driver_facing"])
        stack.clock.advance(20 * 60)
        await post_webhook(stack, theirs)
        after = await stack.svc.store.get(row.id)
        assert after is not None and after.state == UNKNOWN and after.motive_id is None
        assert driver_media(stack) == []
        assert [e for e in await trail(stack) if e.event == "delivery"] == []


async def test_a_webhook_adopts_what_was_asked_for_and_delivers_it_through_the_policy(
    tmp_path: Path,
) -> None:
    async with policy_stack(tmp_path, POLICY) as stack:
        row = await unknown_outcome(stack, DISPATCHER, "TRK-101 40m ago 1m")
        ours = made_in_the_dashboard(stack, row, ["front_facing"])
        stack.clock.advance(20 * 60)
        await post_webhook(stack, ours)
        after = await stack.svc.store.get(row.id)
        assert after is not None and after.motive_id == ours and after.state == DONE
        assert row.thread is not None
        [links] = [m for m in stack.slack.thread(row.channel, row.thread) if list(media(m))]
        assert [i for i in media(links) if "front_facing" in i]
        [delivery] = [e for e in await trail(stack) if e.event == "delivery"]
        assert (delivery.user, delivery.cameras) == (DISPATCHER, "front_facing")


async def test_adopted_in_cab_media_still_follows_the_policy(tmp_path: Path) -> None:
    """The in-cab user's all-cameras recall, adopted: the driver camera goes to their DM."""
    async with policy_stack(tmp_path, POLICY) as stack:
        row = await unknown_outcome(stack, SAFE, "TRK-101 40m ago 1m")
        assert row.camera_list is None
        ours = made_in_the_dashboard(stack, row, ["front_facing", "driver_facing"])
        stack.clock.advance(20 * 60)
        await post_webhook(stack, ours)
        found = driver_media(stack)
        assert found and {channel for channel, _, _ in found} == {dm(SAFE)}, found


# --- the trail -----------------------------------------------------------------------------


async def test_who_opened_which_link_is_in_the_trail(tmp_path: Path) -> None:
    """Slack tells the bot when someone presses an "Open video" link button (and opens the
    link in their browser): the click is acknowledged and recorded."""
    async with policy_stack(tmp_path, POLICY) as stack:
        await inline_recall(stack, SAFE, ALLOWED, 1)
        [row] = await requests_of(stack, SAFE)
        await deliver(stack)
        assert row.thread is not None
        [links] = [m for m in stack.slack.thread(row.channel, row.thread) if list(media(m))]
        [button] = [b["accessory"] for b in links.blocks if "accessory" in b]
        await interact(
            stack,
            DISPATCHER,
            {
                "type": "block_actions",
                "trigger_id": "trig-open",
                "response_url": stack.response_url("open"),
                "container": {
                    "type": "message",
                    "channel_id": links.channel,
                    "message_ts": links.ts,
                    "is_ephemeral": False,
                },
                "channel": {"id": links.channel, "name": "dispatch"},
                "message": {"type": "message", "ts": links.ts, "text": links.text},
                "actions": [
                    {
                        "type": "button",
                        "action_id": button["action_id"],
                        "block_id": "b1",
                        "text": button["text"],
                        "value": button["value"],
                        "action_ts": "1763740800.000006",
                    }
                ],
            },
        )
        opened = [e for e in await trail(stack) if e.event == "link_open"]
        assert [(e.user, e.channel, e.cameras, e.request_id, e.motive_id) for e in opened] == [
            (DISPATCHER, ALLOWED, "front_facing", row.id, row.motive_id)
        ]
        assert opened[0].target == "TRK-101" and stack.responses() == []


# --- duplicates ----------------------------------------------------------------------------


async def test_a_duplicate_out_of_sight_gets_its_own_anchor_and_reveals_nothing(
    tmp_path: Path,
) -> None:
    """A dispatcher in #dispatch asks for what a safety manager asked for in a DM with the bot:
    they are not pointed to the DM nor told who asked; they get their own anchor following the
    same Motive request (one create), and the result arrives in both places."""
    async with policy_stack(tmp_path, POLICY) as stack:
        assert stack.sim is not None
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=SAFE, channel=dm(SAFE))
        await stack.settle()
        [first] = await requests_of(stack, SAFE)
        assert first.channel == dm(SAFE) and first.motive_id is not None
        await stack.command("/recall", "TRK-101 40m ago 1m", user=DISPATCHER, channel=ALLOWED)
        await stack.settle()
        assert stack.sim.stats.recalls_created == 1  # the quota is spent once
        said = " ".join(stack.responses()) + str(stack.slack.responses)
        assert SAFE not in said and dm(SAFE) not in said, said
        [mine] = await requests_of(stack, DISPATCHER)
        assert (mine.channel, mine.motive_id) == (ALLOWED, first.motive_id)
        assert mine.anchor_ts is not None and "no quota was spent" in stack.anchor_text(
            mine.channel, mine.anchor_ts
        )
        await deliver(stack)
        for row in (first, mine):
            assert row.thread is not None
            [links] = [m for m in stack.slack.thread(row.channel, row.thread) if list(media(m))]
            assert [i for i in media(links) if "front_facing" in i], row.channel
        follows = [e for e in await trail(stack) if e.user == DISPATCHER and e.event == "request"]
        assert any(f"following request #{first.id}" in e.outcome for e in follows)
        deliveries = {(e.user, e.channel) for e in await trail(stack) if e.event == "delivery"}
        assert deliveries == {(SAFE, dm(SAFE)), (DISPATCHER, ALLOWED)}


async def test_a_duplicate_in_the_same_channel_is_still_pointed_to(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, POLICY) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=SAFE, channel=ALLOWED)
        await stack.settle()
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=DISPATCHER)
        await stack.settle()
        assert await requests_of(stack, DISPATCHER) == []
        assert f"asked for by <@{SAFE}>" in json.dumps(stack.slack.responses[-1])


async def test_motives_webhook_delivers_to_the_request_and_those_following_it(
    tmp_path: Path,
) -> None:
    async with policy_stack(tmp_path, POLICY) as stack:
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=SAFE, channel=dm(SAFE))
        await stack.settle()
        await stack.command("/recall", "TRK-101 40m ago 1m front", user=DISPATCHER)
        await stack.settle()
        [first], [mine] = await requests_of(stack, SAFE), await requests_of(stack, DISPATCHER)
        assert first.motive_id is not None and mine.motive_id == first.motive_id
        stack.clock.advance(20 * 60)
        await post_webhook(stack, first.motive_id)
        for row in (first, mine):
            done = await stack.svc.store.get(row.id)
            assert done is not None and done.state == DONE, row.channel


async def test_the_home_tabs_snapshot_form_offers_in_cab_only_to_those_allowed(
    tmp_path: Path,
) -> None:
    async with policy_stack(tmp_path, POLICY) as stack:
        offered = {}
        for user in (DISPATCHER, SAFE):
            before = set(stack.slack.views)
            await interact(stack, user, home_button(HOME_OPEN_SNAPSHOT))
            view = await new_view(stack, before)  # as last updated
            block = next(b for b in view["blocks"] if b.get("block_id") == "position_vehicle")
            offered[user] = [o["value"] for o in block["element"]["options"]]
        assert "driver_facing" not in offered[DISPATCHER] and "all" in offered[DISPATCHER]
        assert "driver_facing" in offered[SAFE]


async def test_a_snapshot_out_of_sight_is_followed_too_with_one_capture(tmp_path: Path) -> None:
    async with policy_stack(tmp_path, POLICY) as stack:
        assert stack.sim is not None
        await stack.command("/snapshot", "TRK-101 front", user=SAFE, channel=dm(SAFE))
        await stack.settle()
        await stack.command("/snapshot", "TRK-101 front", user=DISPATCHER, channel=ALLOWED)
        await stack.settle()
        assert stack.sim.stats.captures_created == 1
        [first], [mine] = await requests_of(stack, SAFE), await requests_of(stack, DISPATCHER)
        assert mine.channel == ALLOWED and mine.motive_id == first.motive_id
        await deliver(stack)
        for row in (first, mine):
            assert row.thread is not None
            files = [
                f["name"] for m in stack.slack.thread(row.channel, row.thread) for f in m.files
            ]
            assert files == ["snapshot-TRK-101-front_facing.jpg"], row.channel
