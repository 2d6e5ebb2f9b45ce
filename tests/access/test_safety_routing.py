"""The policy's [safety_events] section: parsed strictly, routed purely, said in words."""

from __future__ import annotations

import pytest

from bot.access.policy import PolicyError, describe, parse_policy
from bot.access.safety_routing import SafetyEventsPolicy, route
from motive.models import SafetyEvent

TEXT = """
[safety_events]
min_severity = "medium"
leave_out = ["seat_belt_violation"]

[[safety_events.routes]]
types = ["crash", "forward_collision_warning"]
channel = "C0CRASH"

[[safety_events.routes]]
min_severity = "critical"
channel = "G0URGENT"
"""


def event(kind: str, severity: str | None = "high") -> SafetyEvent:
    return SafetyEvent.model_validate({"id": 1, "type": kind, "metadata": {"severity": severity}})


@pytest.mark.parametrize(
    ("kind", "severity", "channel", "why"),
    [
        ("crash", "high", "C0CRASH", "route 1"),
        ("forward_collision_warning", None, "C0CRASH", "route 1"),  # no severity: not dropped
        ("hard_brake", "critical", "G0URGENT", "route 2"),
        ("hard_brake", "high", "C0SAFETY", "the safety channel"),
        ("unsafe_parking", "medium", "C0SAFETY", "the safety channel"),  # a type we do not know
        ("hard_brake", "low", None, "severity low is below medium"),
        ("seat_belt_violation", "critical", None, "seat_belt_violation events are left out"),
    ],
)
def test_routes_in_order_with_the_safety_channel_last(
    kind: str, severity: str | None, channel: str | None, why: str
) -> None:
    section = parse_policy(TEXT).safety_events
    routed = route(section, event(kind, severity), "C0SAFETY")
    assert (routed.channel, routed.why) == (channel, why)


def test_without_a_section_every_event_goes_to_the_safety_channel() -> None:
    policy = parse_policy("")
    assert route(policy.safety_events, event("crash", "low"), "C0SAFETY").channel == "C0SAFETY"
    assert policy.safety_events == SafetyEventsPolicy()
    assert not [line for line in describe(policy) if "afety event" in line]


def test_policy_check_says_it_in_words() -> None:
    lines = describe(parse_policy(TEXT))
    assert lines[-5:] == [
        "Safety events below medium severity are not posted (an event without a severity is).",
        "Safety events of type seat_belt_violation are not posted.",
        "Safety events of type crash, forward_collision_warning go to channel C0CRASH.",
        "Every safety event of critical severity or above goes to channel G0URGENT.",
        "The other safety events go to SAFETY_CHANNEL (when it is set; without it none are "
        "posted).",
    ]


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('[safety_events]\nmin_severity = "severe"\n', 2, "min_severity"),
        ('[safety_events]\nleave_out = ["Hard Brake"]\n', 2, "leave_out"),
        ('[[safety_events.routes]]\nchannel = "#safety"\n', 2, "channel"),
        ("[[safety_events.routes]]\ntypes = []\n", None, "channel"),
        ('[safety_events]\nroute = "C0X"\n', 2, "route"),
    ],
)
def test_a_wrong_section_is_refused_with_its_line(text: str, line: int | None, key: str) -> None:
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "p.toml")
    assert key in str(e.value) and e.value.line == line
