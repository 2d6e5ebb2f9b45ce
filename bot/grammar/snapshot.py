"""/snapshot's words to a snapshot's fields: the truck, one camera or all of them, and a note.
Pure; `motive.rules` says what a snapshot may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.grammar.hints import unknown_snapshot_word
from bot.grammar.tokens import (
    ParseError,
    fix,
    is_camera,
    kind_word,
    no_listing,
    one_target,
    read_target,
    tokenize,
)
from bot.grammar.words import (
    ALL_WORDS,
    CAMERA_JOINERS,
    CAMERA_NOUNS,
    CAMERA_WORDS,
    SNAPSHOT_EXAMPLES,
)
from motive.rules import (
    SnapshotRequest,
    allowed_snapshot_positions,
    check_equipment,
    validate_snapshot,
)

if TYPE_CHECKING:
    from bot.access.fleet import FleetUnit


@dataclass
class SnapshotFields:
    vehicle_number: str | None = None
    asset_name: str | None = None
    position: str | None = None
    words: dict[str, str] = field(default_factory=dict)
    spans: dict[str, list[int]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    all_cameras: bool = False  # `/snapshot TRK-101 all`: one capture per camera
    note: str | None = None  # `note: …` at the end, for the thread

    @property
    def target(self) -> tuple[str, str] | None:
        return one_target(self.vehicle_number, self.asset_name)

    def requests_all(self, unit: FleetUnit | None = None) -> list[SnapshotRequest]:
        """One capture per camera the unit has that snapshots allow (all the kind allows where
        the fleet list does not say); raises RuleViolation when there is none."""
        return snapshot_all(self.vehicle_number, self.asset_name, unit)

    def request(self, unit: FleetUnit | None = None) -> SnapshotRequest:
        """The snapshot these words ask for, checked by `motive.rules` (raises RuleViolation)."""
        request = validate_snapshot(
            vehicle_number=self.vehicle_number,
            asset_name=self.asset_name,
            position=self.position,
            installed=unit.cameras if unit else None,
        )
        check_equipment(
            request.target, [request.position], unit.cameras if unit else None, snapshot=True
        )
        return request


def snapshot_all(
    vehicle_number: str | None, asset_name: str | None, unit: FleetUnit | None = None
) -> list[SnapshotRequest]:
    """The captures of "every camera": the positions snapshots allow for the target's kind that
    the unit carries, as far as the fleet list says."""
    first = validate_snapshot(vehicle_number=vehicle_number, asset_name=asset_name, position="rear")
    allowed = allowed_snapshot_positions(first.target.kind)
    has = [p for p in allowed if unit is None or unit.cameras is None or p in unit.cameras]
    if not has:
        check_equipment(first.target, list(allowed), unit.cameras if unit else None, snapshot=True)
    return [
        validate_snapshot(vehicle_number=vehicle_number, asset_name=asset_name, position=p)
        for p in has
    ]


def parse_snapshot(text: str) -> SnapshotFields:
    tokens = kind_word(tokenize(text, "/snapshot"))
    if not tokens:
        raise ParseError("Say which truck and which camera.", example=SNAPSHOT_EXAMPLES[0])
    no_listing("/snapshot", tokens)
    fields = SnapshotFields(tokens=tokens)
    read_target(tokens[0], 0, fields)
    cameras: list[int] = []
    for j in range(1, len(tokens)):
        if tokens[j].lower().startswith("note:"):
            fields.note = " ".join([tokens[j][5:], *tokens[j + 1 :]]).strip() or None
            break
        if tokens[j].lower().startswith(("asset:", "vehicle:")):
            read_target(tokens[j], j, fields)
        elif tokens[j].lower() in CAMERA_WORDS:
            cameras.append(j)
        elif tokens[j].lower() in CAMERA_JOINERS and is_camera(tokens, j - 1):
            continue  # "front and driver": two cameras, which a snapshot answers below
        elif tokens[j].lower() in ALL_WORDS:
            fields.all_cameras = True
            fields.words["position"] = tokens[j]
        elif fields.all_cameras and tokens[j].lower() in (*CAMERA_NOUNS, "the"):
            continue  # "all cameras", "every camera"
        else:
            raise unknown_snapshot_word(tokens, j)
    if fields.all_cameras and cameras:
        named = " ".join(tokens[j] for j in cameras)
        raise ParseError(
            f"`all` takes a snapshot from every camera; you also named {named}. Say all, or "
            "one camera.",
            word=named,
            allowed="all, or one of front, driver, left, right, rear",
            example=fix("/snapshot", tokens, {j: [] for j in cameras}),
        )
    if len(cameras) > 1:
        named = " ".join(tokens[j] for j in cameras)
        raise ParseError(
            f"A snapshot takes one camera; you named {len(cameras)}: {named}.",
            word=named,
            allowed="one of front, driver, left, right, rear",
            example=fix(
                "/snapshot",
                tokens,
                {
                    j: []
                    for j in range(cameras[0] + 1, cameras[-1] + 1)
                    if j in cameras or tokens[j].lower() in CAMERA_JOINERS
                },
            ),
        )
    if cameras:
        word = tokens[cameras[0]]
        fields.words["position"] = word
        fields.spans["position"] = cameras
        fields.position = CAMERA_WORDS[word.lower()].value
    return fields
