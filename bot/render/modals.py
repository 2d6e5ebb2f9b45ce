"""Block Kit for the /recall and /snapshot modals: pure builders and the reading of their state."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.grammar.words import DEFAULT_DURATION
from bot.render import ids
from bot.render.blocks import Block, camera_label, quota_line
from bot.render.ids import RECALL_CALLBACK, SNAPSHOT_CALLBACK
from motive.models import QuotaInfo
from motive.rules import (
    DURATIONS,
    CameraPosition,
    RecallType,
    RuleViolation,
    TargetKind,
    allowed_snapshot_positions,
)

__all__ = ["RECALL_CALLBACK", "SNAPSHOT_CALLBACK"]  # re-exported: listeners import them here
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


def duration_label(recall_type: RecallType) -> str:
    """ "Regular (1–3 min)", from the rules."""
    allowed = DURATIONS[recall_type]
    span = f"{allowed[0]}–{allowed[-1]}" if len(allowed) > 1 else f"{allowed[0]}"
    return f"{recall_type.value.capitalize()} ({span} min)"


def _kind_block(kind: TargetKind) -> Block:
    options = [_option("Vehicle (truck)", "vehicle"), _option("Asset (trailer)", "asset")]
    return {
        "type": "input",
        "block_id": ids.TARGET_KIND_BLOCK,
        "dispatch_action": True,
        "label": _text("Truck or trailer?"),
        "element": {
            "type": "radio_buttons",
            "action_id": ids.TARGET_KIND_PICK,
            "options": options,
            "initial_option": options[0] if kind == "vehicle" else options[1],
        },
    }


def recall_cameras(
    kind: TargetKind, installed: frozenset[CameraPosition] | None = None
) -> list[CameraPosition]:
    """The cameras a recall form offers: every position on a vehicle, the omnicam's views on an
    asset (dashcams are on vehicles only); of those, the ones the fleet list says the unit has,
    where it says."""
    base = list(CameraPosition) if kind == "vehicle" else list(allowed_snapshot_positions(kind))
    return [p for p in base if installed is None or p in installed] or base


def snapshot_cameras(
    kind: TargetKind, installed: frozenset[CameraPosition] | None = None
) -> list[CameraPosition]:
    """The cameras a snapshot form offers: what a capture can take on this kind of unit, and of
    those what the fleet list says the unit has, where it says."""
    base = list(allowed_snapshot_positions(kind))
    return [p for p in base if installed is None or p in installed] or base


def _target_block(kind: TargetKind, initial: str | None = None) -> Block:
    block: Block = {
        "type": "input",
        "block_id": ids.target_block(kind),
        # Picking a unit rebuilds the form with the cameras that unit has.
        "dispatch_action": True,
        "label": _text("Vehicle number" if kind == "vehicle" else "Asset name"),
        "element": {
            "type": "external_select",
            "action_id": ids.TARGET_SELECT,
            "placeholder": _text("Start typing…"),
            "min_query_length": 1,
        },
    }
    value = option_value(initial, "") if initial else None
    if initial and value and not value.startswith(KEY_PREFIX):
        # A name too long for an option value (needing a fleet key) is not prefilled.
        block["element"]["initial_option"] = _option(initial, value)
    return block


def recall_modal(
    origin: Origin,
    *,
    kind: TargetKind = "vehicle",
    recall_type: RecallType = RecallType.REGULAR,
    start: datetime,
    quota: QuotaInfo | None = None,
    target: str | None = None,
    quota_text: str | None = None,
    duration: int | None = None,
    installed: frozenset[CameraPosition] | None = None,
    cameras: list[str] | None = None,
) -> dict[str, Any]:
    """The recall form. `installed`: what the fleet list says the chosen unit carries (None: not
    known); `cameras`: the boxes the person ticked (None: all), kept when the form is rebuilt. `quota_text` is the quota line of the form being rebuilt (after a
    choice), so that it is kept without asking Motive again; `duration` is chosen at the start
    when the type allows it (else the length a typed command gets without one)."""
    durations = DURATIONS[recall_type]
    duration_options = [_option(f"{d} minute{'s' if d > 1 else ''}", str(d)) for d in durations]
    # Unless a length was chosen, the one a typed command gets without one: the two agree.
    default = DEFAULT_DURATION[recall_type]
    chosen = durations.index(duration if duration in durations else default)
    type_options = [_option(duration_label(t), t.value) for t in RecallType]
    camera_options = [
        _option(f"{camera_label(p.value)} ({p.word})", p.value)
        for p in recall_cameras(kind, installed)
    ]
    ticked = [o for o in camera_options if cameras is None or o["value"] in cameras]
    blocks: list[Block] = [
        _kind_block(kind),
        _target_block(kind, target),
        {
            "type": "input",
            "block_id": ids.START_BLOCK,
            "label": _text("Footage starts at"),
            "element": {
                "type": "datetimepicker",
                "action_id": ids.START_PICK,
                "initial_date_time": int(start.timestamp()),
            },
        },
        {
            "type": "input",
            "block_id": ids.RECALL_TYPE_BLOCK,
            "dispatch_action": True,
            "label": _text("Recall type"),
            "element": {
                "type": "static_select",
                "action_id": ids.RECALL_TYPE_PICK,
                "options": type_options,
                "initial_option": type_options[list(RecallType).index(recall_type)],
            },
        },
        {
            "type": "input",
            "block_id": ids.duration_block(recall_type.value),
            "label": _text("Duration"),
            "element": {
                "type": "static_select",
                "action_id": ids.DURATION_PICK,
                "options": duration_options,
                "initial_option": duration_options[chosen],
            },
        },
        {
            "type": "input",
            "block_id": ids.CAMERAS_BLOCK,
            "optional": True,
            "label": _text("Cameras"),
            "hint": _text(
                f"Leave all ticked for every camera the {'truck' if kind == 'vehicle' else 'trailer'}"
                " has."
            ),
            "element": {
                "type": "checkboxes",
                "action_id": ids.CAMERAS_PICK,
                "options": camera_options,
                "initial_options": ticked,
            },
        },
        {
            "type": "input",
            "block_id": ids.NOTE_BLOCK,
            "optional": True,
            "label": _text("Note for the thread"),
            "element": {"type": "plain_text_input", "action_id": ids.NOTE_TEXT, "max_length": 500},
        },
    ]
    line = quota_line(quota) if quota is not None else quota_text
    if line:
        blocks.append(
            {
                "type": "context",
                "block_id": ids.QUOTA_BLOCK,
                "elements": [{"type": "mrkdwn", "text": line}],
            }
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


def snapshot_modal(
    origin: Origin,
    *,
    kind: TargetKind = "vehicle",
    target: str | None = None,
    installed: frozenset[CameraPosition] | None = None,
    position: str | None = None,
) -> dict[str, Any]:
    """The snapshot form. `installed`: what the fleet list says the chosen unit carries (None:
    not known); `position`: the camera chosen, kept when the form is rebuilt."""
    positions = snapshot_cameras(kind, installed)
    options = [_option(camera_label(p.value), p.value) for p in positions]
    # One capture per camera the unit has, delivered together.
    options.append(_option("All cameras", ALL_CAMERAS))
    camera: Block = {
        "type": "input",
        "block_id": ids.position_block(kind),
        "label": _text("Camera"),
        "element": {
            "type": "radio_buttons",
            "action_id": ids.POSITION_PICK,
            "options": options,
        },
    }
    chosen = next((o for o in options if o["value"] == position), None)
    if chosen is not None:
        camera["element"]["initial_option"] = chosen
    return {
        "type": "modal",
        "callback_id": SNAPSHOT_CALLBACK,
        "private_metadata": origin.dump(),
        "title": _text("Camera snapshot"),
        "submit": _text("Take snapshot"),
        "close": _text("Cancel"),
        "blocks": [_kind_block(kind), _target_block(kind, target), camera],
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


def quota_text(view: dict[str, Any]) -> str | None:
    """The quota line a form shows, to keep when it is rebuilt."""
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if _dict(block).get("block_id") == ids.QUOTA_BLOCK:
            elements = _dict(block).get("elements")
            first = _dict(elements[0]) if isinstance(elements, list) and elements else {}
            text = first.get("text")
            return text if isinstance(text, str) and text else None
    return None


# The typeahead's option values: the unit's name when it fits Slack's 150 characters, else a
# short key (`k:` and Motive's id) the fleet list resolves. `n:` marks a name that could be
# mistaken for a key.
KEY_PREFIX = "k:"
NAME_PREFIX = "n:"
OPTION_VALUE_LIMIT = 150


def option_value(name: str, key: str) -> str:
    """`key` is the fleet list's short key for the unit (Fleet.key)."""
    if not name.startswith((KEY_PREFIX, NAME_PREFIX)) and len(name) <= OPTION_VALUE_LIMIT:
        return name
    if len(NAME_PREFIX + name) <= OPTION_VALUE_LIMIT:
        return NAME_PREFIX + name
    return f"{KEY_PREFIX}{key}"


def option_target(value: str | None, resolve: Callable[[str], str | None]) -> str | None:
    """The unit name an option value stands for; None when a key is no longer known."""
    if value is None:
        return None
    if value.startswith(NAME_PREFIX):
        return value[len(NAME_PREFIX) :]
    if value.startswith(KEY_PREFIX):
        return resolve(value[len(KEY_PREFIX) :])
    return value


def _no_keys(key: str) -> str | None:
    return None


@dataclass(frozen=True)
class ModalFields:
    kind: TargetKind  # of the target: vehicle or asset
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
    # The typeahead's choice was a key this replica's fleet list does not hold (yet).
    target_lost: bool = False

    @property
    def vehicle_number(self) -> str | None:
        return self.target if self.kind == "vehicle" else None

    @property
    def asset_name(self) -> str | None:
        return self.target if self.kind == "asset" else None

    def block_for(self, field: str) -> str:
        """The input block that shows a violation of this rule field."""
        return {
            "target": self.target_block,
            "start_time": ids.START_BLOCK,
            "duration": self.duration_block,
            "recall_type": ids.RECALL_TYPE_BLOCK,
            "camera_positions": ids.CAMERAS_BLOCK,
            "position": self.position_block,
        }.get(field, self.target_block)

    def errors(self, violation: RuleViolation) -> dict[str, str]:
        """`response_action: errors` for a violation: each message on the block at fault."""
        out: dict[str, str] = {}
        for v in violation.all_violations:
            message = v.message
            if v.field == "target" and self.target_lost:
                message = (
                    "I could not find that choice in my copy of the fleet list just now; "
                    "pick the truck or trailer again."
                )
            out.setdefault(self.block_for(v.field), message)
        return out


def _offered(view: dict[str, Any], block_id: str) -> list[str]:
    """The option values the form showed in a block (empty when the view does not say)."""
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if _dict(block).get("block_id") == block_id:
            options = _dict(_dict(block).get("element")).get("options")
            return [
                str(o["value"])
                for o in (options if isinstance(options, list) else [])
                if isinstance(o, dict) and isinstance(o.get("value"), str)
            ]
    return []


def read_view(view: dict[str, Any], resolve: Callable[[str], str | None] = _no_keys) -> ModalFields:
    """The fields of a submitted form; `resolve` turns a typeahead key back into its name."""
    v = _values(view)
    kind: TargetKind = (
        "asset" if _selected(v.get(ids.TARGET_KIND_BLOCK, {})) == "asset" else "vehicle"
    )
    target_block = ids.target_block(kind)
    stamp = v.get(ids.START_BLOCK, {}).get("selected_date_time")
    rtype = _selected(v.get(ids.RECALL_TYPE_BLOCK, {}))
    duration_block = next(
        (b for b in v if b.startswith(ids.DURATION_BLOCK_PREFIX)), ids.duration_block("regular")
    )
    raw_duration = _selected(v.get(duration_block, {}))
    cams_state = v.get(ids.CAMERAS_BLOCK)
    cameras = None
    if cams_state is not None:
        options = cams_state.get("selected_options")
        picked = [
            str(o["value"])
            for o in (options if isinstance(options, list) else [])
            if isinstance(o, dict) and isinstance(o.get("value"), str)
        ]
        # Every box ticked means "all cameras": leave the list out, as Motive recommends. The
        # form offers the cameras of the unit (or of its kind), not always all six.
        offered = _offered(view, ids.CAMERAS_BLOCK)
        everything = set(offered) if offered else {p.value for p in CameraPosition}
        cameras = None if everything <= set(picked) else picked
    position_block = ids.position_block(kind)
    note = v.get(ids.NOTE_BLOCK, {}).get("value")
    chosen = _selected(v.get(target_block, {}))
    target = option_target(chosen, resolve)
    return ModalFields(
        kind=kind,
        target=target,
        target_block=target_block,
        start=_timestamp(stamp),
        recall_type=rtype,
        duration=int(raw_duration) if raw_duration and raw_duration.isdigit() else None,
        duration_block=duration_block,
        cameras=cameras,
        note=note if isinstance(note, str) and note else None,
        position=_selected(v.get(position_block, {})),
        position_block=position_block,
        target_lost=chosen is not None and target is None,
    )
