"""Block Kit for the /recall and /snapshot modals: pure builders and the reading of their state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.slack.blocks import Block, camera_label, quota_line
from motive.models import QuotaInfo
from motive.rules import (
    DURATIONS,
    CameraPosition,
    RecallType,
    RuleViolation,
    allowed_snapshot_positions,
)

RECALL_CALLBACK = "recall_modal"
SNAPSHOT_CALLBACK = "snapshot_modal"
ALL_CAMERAS = "all"  # the snapshot form's choice of every camera


@dataclass(frozen=True)
class Origin:
    """Where the modal was opened from, carried in private_metadata."""

    channel: str
    user: str
    response_url: str | None = None
    # A message shortcut's message: the request goes into its thread, not the channel root.
    thread_ts: str | None = None

    def dump(self) -> str:
        data = {"c": self.channel, "u": self.user, "r": self.response_url}
        if self.thread_ts:
            data["t"] = self.thread_ts
        return json.dumps(data)

    @classmethod
    def load(cls, raw: str) -> Origin:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        url, thread = data.get("r"), data.get("t")
        return cls(
            channel=str(data.get("c", "")),
            user=str(data.get("u", "")),
            response_url=url if isinstance(url, str) else None,
            thread_ts=thread if isinstance(thread, str) and thread else None,
        )


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label[:75]), "value": value}


def loading_view(callback_id: str, title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text(title),
        "close": _text("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": ":hourglass_flowing_sand: Loading…"},
            }
        ],
    }


def _kind_block(kind: str) -> Block:
    options = [_option("Vehicle (truck)", "vehicle"), _option("Asset (trailer)", "asset")]
    return {
        "type": "input",
        "block_id": "target_kind",
        "dispatch_action": True,
        "label": _text("Truck or trailer?"),
        "element": {
            "type": "radio_buttons",
            "action_id": "target_kind_pick",
            "options": options,
            "initial_option": options[0] if kind == "vehicle" else options[1],
        },
    }


def _target_block(kind: str, initial: str | None = None) -> Block:
    block: Block = {
        "type": "input",
        # A new block id per kind clears a vehicle picked before switching to assets.
        "block_id": "target" if kind == "vehicle" else "target_asset",
        "label": _text("Vehicle number" if kind == "vehicle" else "Asset name"),
        "element": {
            "type": "external_select",
            "action_id": "target_select",
            "placeholder": _text("Start typing…"),
            "min_query_length": 1,
        },
    }
    if initial:
        block["element"]["initial_option"] = _option(initial, initial)
    return block


def recall_modal(
    origin: Origin,
    *,
    kind: str = "vehicle",
    recall_type: RecallType = RecallType.REGULAR,
    start: datetime,
    quota: QuotaInfo | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    durations = DURATIONS[recall_type]
    duration_options = [_option(f"{d} minute{'s' if d > 1 else ''}", str(d)) for d in durations]
    type_options = [
        _option("Regular (1–3 min)", "regular"),
        _option("Timelapse (5–60 min)", "timelapse"),
    ]
    camera_options = [
        _option(f"{camera_label(p.value)} ({p.value})", p.value) for p in CameraPosition
    ]
    blocks: list[Block] = [
        _kind_block(kind),
        _target_block(kind, target),
        {
            "type": "input",
            "block_id": "start",
            "label": _text("Footage starts at"),
            "element": {
                "type": "datetimepicker",
                "action_id": "start_pick",
                "initial_date_time": int(start.timestamp()),
            },
        },
        {
            "type": "input",
            "block_id": "recall_type",
            "dispatch_action": True,
            "label": _text("Recall type"),
            "element": {
                "type": "static_select",
                "action_id": "recall_type_pick",
                "options": type_options,
                "initial_option": type_options[0 if recall_type is RecallType.REGULAR else 1],
            },
        },
        {
            "type": "input",
            # Keyed by type, so the choice resets when the allowed durations change.
            "block_id": f"duration_{recall_type.value}",
            "label": _text("Duration"),
            "element": {
                "type": "static_select",
                "action_id": "duration_pick",
                "options": duration_options,
                "initial_option": duration_options[0],
            },
        },
        {
            "type": "input",
            "block_id": "cameras",
            "optional": True,
            "label": _text("Cameras"),
            "hint": _text("Leave all ticked for every camera the truck has."),
            "element": {
                "type": "checkboxes",
                "action_id": "cameras_pick",
                "options": camera_options,
                "initial_options": camera_options,
            },
        },
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": _text("Note for the thread"),
            "element": {"type": "plain_text_input", "action_id": "note_text", "max_length": 500},
        },
    ]
    if quota is not None:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": quota_line(quota)}]}
        )
    return {
        "type": "modal",
        "callback_id": RECALL_CALLBACK,
        "private_metadata": origin.dump(),
        "title": _text("Video recall"),
        "submit": _text("Request video"),
        "close": _text("Cancel"),
        "blocks": blocks,
    }


def snapshot_modal(origin: Origin, *, kind: str = "vehicle") -> dict[str, Any]:
    positions = allowed_snapshot_positions("asset" if kind == "asset" else "vehicle")
    options = [_option(camera_label(p.value), p.value) for p in positions]
    # One capture per camera the unit has, delivered together.
    options.append(_option("All cameras", ALL_CAMERAS))
    return {
        "type": "modal",
        "callback_id": SNAPSHOT_CALLBACK,
        "private_metadata": origin.dump(),
        "title": _text("Camera snapshot"),
        "submit": _text("Take snapshot"),
        "close": _text("Cancel"),
        "blocks": [
            _kind_block(kind),
            _target_block(kind),
            {
                "type": "input",
                "block_id": f"position_{kind}",
                "label": _text("Camera"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "position_pick",
                    "options": options,
                },
            },
        ],
    }


# --- reading a submitted view ------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    """Slack's shape, or nothing: a payload is read defensively, never trusted to be well formed."""
    return value if isinstance(value, dict) else {}


def _values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = _dict(_dict(view.get("state")).get("values"))
    # One action per block: flatten to block_id -> the element's state.
    return {
        bid: _dict(next(iter(actions.values()), {}))
        for bid, actions in values.items()
        if isinstance(actions, dict) and actions
    }


def _selected(state: dict[str, Any]) -> str | None:
    value = _dict(state.get("selected_option")).get("value")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class ModalFields:
    kind: str
    target: str | None
    target_block: str
    start: datetime | None
    recall_type: str | None
    duration: int | None
    duration_block: str
    cameras: list[str] | None
    note: str | None
    position: str | None
    position_block: str

    def block_for(self, field: str) -> str:
        """The input block that shows a violation of this rule field."""
        return {
            "target": self.target_block,
            "start_time": "start",
            "duration": self.duration_block,
            "recall_type": "recall_type",
            "camera_positions": "cameras",
            "position": self.position_block,
        }.get(field, self.target_block)

    def errors(self, violation: RuleViolation) -> dict[str, str]:
        """`response_action: errors` for a violation: each message on the block at fault."""
        out: dict[str, str] = {}
        for v in violation.all_violations:
            out.setdefault(self.block_for(v.field), v.message)
        return out


def read_view(view: dict[str, Any]) -> ModalFields:
    v = _values(view)
    kind = _selected(v.get("target_kind", {})) or "vehicle"
    target_block = "target" if kind == "vehicle" else "target_asset"
    stamp = v.get("start", {}).get("selected_date_time")
    rtype = _selected(v.get("recall_type", {}))
    duration_block = next((b for b in v if b.startswith("duration_")), "duration_regular")
    raw_duration = _selected(v.get(duration_block, {}))
    cams_state = v.get("cameras")
    cameras = None
    if cams_state is not None:
        options = cams_state.get("selected_options")
        picked = [
            str(o["value"])
            for o in (options if isinstance(options, list) else [])
            if isinstance(o, dict) and isinstance(o.get("value"), str)
        ]
        # Every box ticked means "all cameras": leave the list out, as Motive recommends.
        cameras = None if len(picked) == len(CameraPosition) else picked
    position_block = f"position_{kind}"
    note = v.get("note", {}).get("value")
    return ModalFields(
        kind=kind,
        target=_selected(v.get(target_block, {})),
        target_block=target_block,
        start=_timestamp(stamp),
        recall_type=rtype,
        duration=int(raw_duration) if raw_duration and raw_duration.isdigit() else None,
        duration_block=duration_block,
        cameras=cameras,
        note=note if isinstance(note, str) and note else None,
        position=_selected(v.get(position_block, {})),
        position_block=position_block,
    )
