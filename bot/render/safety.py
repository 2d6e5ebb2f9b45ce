"""The Slack post of a safety event, and the thread lines about its clips: pure functions.

What the post shows is Motive's event in words (its own word for a type we do not know), with
`<!date>` times, a map link from its coordinates, and two buttons for more footage. A crash says
it is unconfirmed until Motive's review keeps it; a withdrawn event says so, and keeps the rest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bot.render.blocks import Block, bounded, camera_label, context, fallback, section, strong

__all__ = ["Block", "camera_label"]  # re-exported for the service
from bot.render.timefmt import escape, slack_date
from motive.models import SafetyEvent

MARKER_PREFIX = "safety-event-"  # the post's first block: found again after a crash
SAFETY_RECALL = "safety_recall_around"  # "All cameras, 1 minute either side"
SAFETY_SNAPSHOT = "safety_snapshot_all"  # "Snapshot every camera now"
BUTTONS_BLOCK = "safety_buttons"
UNCONFIRMED = "Unconfirmed: Motive reviews crash alerts"

# Part A item 9's types, in the words a safety team uses.
EVENT_WORDS = {
    "hard_brake": "Hard brake",
    "hard_accel": "Hard acceleration",
    "hard_corner": "Hard corner",
    "crash": "Crash",
    "forward_collision_warning": "Forward collision warning",
    "tailgating": "Close following",
    "cell_phone": "Phone in hand",
    "distraction": "Distraction",
    "drowsiness": "Drowsiness",
    "seat_belt_violation": "No seat belt",
    "stop_sign_violation": "Rolled stop sign",
    "unsafe_lane_change": "Unsafe lane change",
    "lane_swerving": "Lane swerving",
    "road_facing_cam_obstruction": "Road camera obstructed",
    "driver_facing_cam_obstruction": "Driver camera obstructed",
}
SEVERITY_MARKS = {
    "low": ":large_blue_circle:",
    "medium": ":large_yellow_circle:",
    "high": ":large_orange_circle:",
    "critical": ":red_circle:",
}


def event_words(kind: str) -> str:
    """The type in words; a type we do not know is shown as Motive wrote it."""
    return EVENT_WORDS.get(kind, kind)


@dataclass(frozen=True)
class EventPost:
    event: SafetyEvent
    confirmed: bool = False
    withdrawn_why: str | None = None  # set: Motive withdrew the event; why, in words
    posted_type: str | None = None  # the type the post first showed (a retype withdraws it)


def map_link(lat: float, lon: float) -> str:
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=15/{lat:.5f}/{lon:.5f}"
    )


def event_post(post: EventPost) -> tuple[str, list[Block]]:
    e = post.event
    shown_type = post.posted_type or e.type
    words = event_words(shown_type)
    mark = ":boom:" if e.is_crash else ":rotating_light:"
    if post.withdrawn_why is not None:
        head = f":no_entry_sign: ~{escape(words)}~ *withdrawn* — {escape(post.withdrawn_why)}"
    else:
        head = f"{mark} *{escape(words)}*"
        if e.severity:
            head += (
                f" · {SEVERITY_MARKS.get(e.severity, '')} {escape(e.severity)} severity".replace(
                    "  ", " "
                )
            )
    vehicle = e.vehicle_number or (
        f"vehicle {e.vehicle.id}" if e.vehicle and e.vehicle.id else None
    )
    driver = e.driver.name if e.driver is not None and e.driver.name else None
    lines = [head]
    who = f"*Vehicle:* {strong(vehicle) if vehicle else 'not given'}"
    who += f" · *Driver:* {escape(driver) if driver else '_unidentified driver_'}"
    lines.append(who)
    if e.start_time is not None:
        lines.append(f"*When:* {slack_date(e.start_time)}")
    where = escape(e.location) if e.location else None
    if e.lat is not None and e.lon is not None:
        link = f"<{map_link(e.lat, e.lon)}|map>"
        where = f"{where} ({link})" if where else link
    if where:
        lines.append(f"*Where:* {where}")
    if e.speed_mph is not None:
        lines.append(f"*Speed:* {e.speed_mph:.0f} mph")
    blocks: list[Block] = [section("\n".join(lines), block_id=marker(e.id))]
    if e.is_crash and not post.confirmed and post.withdrawn_why is None:
        blocks.append(context(f":warning: {UNCONFIRMED}."))
    if e.vehicle_number:
        blocks.append(
            {
                "type": "actions",
                "block_id": BUTTONS_BLOCK,
                "elements": [
                    _button("All cameras, 1 minute either side", SAFETY_RECALL, e.id),
                    _button("Snapshot every camera now", SAFETY_SNAPSHOT, e.id),
                ],
            }
        )
    blocks.append(context(f"Motive event {escape(e.id)}"))
    plain = f"{words} · {vehicle or 'vehicle not given'} · {driver or 'unidentified driver'}"
    if post.withdrawn_why is not None:
        plain = f"Withdrawn: {plain}"
    elif e.is_crash and not post.confirmed:
        plain += f" ({UNCONFIRMED.lower()})"
    return fallback(plain), blocks


def marker(event_id: str) -> str:
    return f"{MARKER_PREFIX}{event_id}"[:255]


def _button(label: str, action_id: str, event_id: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": event_id[:2000],
    }


def digest(text: str, blocks: list[Block]) -> str:
    """What a post shows, as a short digest: a change to it is an edit, no change is none."""
    return hashlib.sha256(json.dumps([text, blocks], sort_keys=True).encode()).hexdigest()[:32]


def clip_comment(position: str, vehicle: str) -> str:
    return bounded(
        f"{camera_label(position)} clip from {escape(vehicle)}: the event as Motive recorded it."
    )


def clip_linked(position: str, url: str, why: str) -> tuple[str, list[Block]]:
    label = camera_label(position)
    line = f":film_frames: <{url}|{label} clip> (a link, not the clip, because {escape(why)})"
    if len(line) > 2900:
        line = f":film_frames: {label} clip: could not be uploaded ({escape(why)}) and its link is too long to show."
    return fallback(f"{label} clip: a link"), [section(line)]


def clip_withheld(position: str, rule: str) -> tuple[str, list[Block]]:
    label = camera_label(position)
    text = (
        f":lock: The {escape(label.lower())} clip is not posted in this channel: the fleet's "
        "policy does not let everyone here see it. People allowed to see it can ask for the "
        "footage with the buttons above."
    )
    return fallback(f"The {label.lower()} clip is not posted here (policy)."), [
        section(text),
        context(f"Policy rule: `{rule}`"),
    ]
