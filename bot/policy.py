"""Who may pull which footage, where it may be asked for and shown, and how much a day.

The policy is one TOML file (`POLICY_FILE`; `policy.example.toml` explains every key). Without a
file everyone may ask for everything anywhere, as before policies existed. The decisions here are
pure functions of the policy, who is asking (with the user groups they are in) and what they ask
for, so that the listeners, the modal and the Refresh links button all ask the same question and
get the same answer; `PolicyFile` re-reads the file when it changes and keeps the last good policy
when a new one is broken.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from bot.safety.routing import SafetyEventsPolicy
from bot.safety.routing import describe as describe_safety_events
from motive.rules import CameraPosition

log = logging.getLogger(__name__)

IN_CAB = frozenset({CameraPosition.DRIVER_FACING})
_SLACK_ID = re.compile(r"^[USWB][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class Media(StrEnum):
    ROAD_VIDEO = "road_video"  # road-facing and exterior cameras
    IN_CAB = "in_cab"  # driver-facing video and images
    SNAPSHOTS = "snapshots"

    @property
    def words(self) -> str:
        return {
            Media.ROAD_VIDEO: "road-facing and exterior video",
            Media.IN_CAB: "in-cab (driver-facing) video and images",
            Media.SNAPSHOTS: "camera snapshots",
        }[self]


def _ids(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    for v in values:
        if not pattern.match(v):
            raise ValueError(f"{v!r} is not a Slack {what} ID")
    return values


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requesters(_Section):
    """Slack user IDs (U…, W…) and user group IDs (S…); a kind of media left out is open to all."""

    road_video: list[str] | None = None
    in_cab: list[str] | None = None
    snapshots: list[str] | None = None

    @field_validator("road_video", "in_cab", "snapshots")
    @classmethod
    def _slack_ids(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _ids(v, _SLACK_ID, "user or user group")


class Channels(_Section):
    allowed: list[str] | None = None  # channel IDs; None: any channel the bot is in
    direct_messages: StrictBool = True

    @field_validator("allowed")
    @classmethod
    def _channel_ids(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _ids(v, _CHANNEL_ID, "channel")


class InCab(_Section):
    deliver_to: Literal["thread", "requester"] = "thread"


class Limits(_Section):
    daily_recall_minutes_per_user: StrictInt | None = Field(default=None, ge=1)


class VideoUpload(_Section):
    cameras: list[CameraPosition] = []  # clips of these cameras are uploaded; others are links
    max_megabytes: StrictInt = Field(default=500, ge=1, le=1000)


class Policy(_Section):
    contact: str = "your Slack admin"
    requesters: Requesters = Requesters()
    channels: Channels = Channels()
    in_cab: InCab = InCab()
    limits: Limits = Limits()
    video_upload: VideoUpload = VideoUpload()
    safety_events: SafetyEventsPolicy = SafetyEventsPolicy()


OPEN = Policy()  # no policy file: everything allowed, as before


class PolicyError(ValueError):
    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.line = line


def parse_policy(text: str, path: Path | str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        raise PolicyError(path, int(found.group(1)) if found else None, str(e)) from e
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        keys = [str(k) for k in first["loc"] if isinstance(k, str)]
        raise PolicyError(
            path, _line_of(text, keys), f"{'.'.join(keys) or 'policy'}: {first['msg']}"
        ) from e


def _line_of(text: str, keys: Sequence[str]) -> int | None:
    """The line where the last key (or its section) stands: what a person fixes."""
    lines = text.splitlines()
    for key in reversed(keys):
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if (
                stripped.startswith(f"{key} ")
                or stripped.startswith(f"{key}=")
                or stripped in (f"[{key}]",)
            ):
                return number
    return None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyError(path, None, f"cannot read it ({e.strerror or e})") from e
    return parse_policy(text, path)


class PolicyFile:
    """The policy at `path`, re-read when the file changes. A broken file keeps the last good
    policy (and says what is wrong, once per change); a file that was never good is an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._policy = load_policy(path)
        self._stamp = self._stat()
        self.last_error: str | None = None

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime, st.st_size)

    @property
    def policy(self) -> Policy:
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._policy = load_policy(self.path)
                self.last_error = None
                log.info("policy re-read from %s", self.path)
            except PolicyError as e:
                self.last_error = str(e)
                log.error("policy file is broken, keeping the last good policy: %s", e)
        return self._policy


# --- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asker:
    """Who is asking, and from where, as the policy sees them."""

    user: str
    groups: frozenset[str]
    channel: str

    @property
    def in_dm(self) -> bool:
        return self.channel.startswith("D")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str | None = None  # the policy key that decided, for the audit trail and the message
    message: str | None = None  # to the asker: what was refused or changed, and who to ask
    cameras: tuple[CameraPosition, ...] | None = None  # narrowed selection (recalls)

    @property
    def narrowed(self) -> bool:
        return self.allowed and self.message is not None


def may(policy: Policy, asker: Asker, media: Media) -> bool:
    members = getattr(policy.requesters, media.value)
    if members is None:
        return True
    return asker.user in members or bool(asker.groups & set(members))


def _refuse(policy: Policy, rule: str, what: str) -> Decision:
    return Decision(False, rule, f"{what} Ask {policy.contact} if you need this.")


def check_place(policy: Policy, asker: Asker) -> Decision | None:
    """A refusal if requests may not be made from here, else None."""
    if asker.in_dm:
        if not policy.channels.direct_messages:
            return _refuse(
                policy,
                "channels.direct_messages",
                "Requests can't be made in a direct message with me; ask from a team channel.",
            )
        return None
    allowed = policy.channels.allowed
    if allowed is not None and asker.channel not in allowed:
        listed = ", ".join(f"<#{c}>" for c in allowed)
        return _refuse(
            policy,
            "channels.allowed",
            f"Footage can't be requested in this channel; use {listed}.",
        )
    return None


def check_recall(
    policy: Policy,
    asker: Asker,
    cameras: Sequence[CameraPosition] | None,
    unit_cameras: Iterable[CameraPosition],
    *,
    duration: int,
    minutes_today: int,
) -> Decision:
    """May `asker` recall these cameras (None: all the unit has) for `duration` minutes?
    "All cameras" by someone who may not see in-cab video is narrowed to what they may see."""
    refused = check_place(policy, asker)
    if refused is not None:
        return refused
    wanted = tuple(unit_cameras) if cameras is None else tuple(cameras)
    in_cab = [c for c in wanted if c in IN_CAB]
    road = [c for c in wanted if c not in IN_CAB]
    may_cab, may_road = may(policy, asker, Media.IN_CAB), may(policy, asker, Media.ROAD_VIDEO)
    limit = policy.limits.daily_recall_minutes_per_user
    if limit is not None and minutes_today + duration > limit:
        left = max(0, limit - minutes_today)
        return _refuse(
            policy,
            "limits.daily_recall_minutes_per_user",
            f"You have {left} of your {limit} recall minutes left today; this recall needs "
            f"{duration}.",
        )
    if road and not may_road:
        return _refuse(
            policy, "requesters.road_video", f"You may not request {Media.ROAD_VIDEO.words}."
        )
    if in_cab and not may_cab:
        if cameras is None and road:
            return Decision(
                True,
                "requesters.in_cab",
                "You may not see in-cab video, so I asked for the other cameras only.",
                tuple(road),
            )
        return _refuse(policy, "requesters.in_cab", f"You may not request {Media.IN_CAB.words}.")
    return Decision(True, None, None, None if cameras is None else tuple(cameras))


def check_snapshot(policy: Policy, asker: Asker, position: CameraPosition) -> Decision:
    refused = check_place(policy, asker)
    if refused is not None:
        return refused
    if not may(policy, asker, Media.SNAPSHOTS):
        return _refuse(
            policy, "requesters.snapshots", f"You may not request {Media.SNAPSHOTS.words}."
        )
    if position in IN_CAB and not may(policy, asker, Media.IN_CAB):
        return _refuse(policy, "requesters.in_cab", f"You may not request {Media.IN_CAB.words}.")
    return Decision(True)


def may_see(policy: Policy, asker: Asker, cameras: Iterable[CameraPosition]) -> bool:
    """For the Refresh links button, which anyone in a shared channel can press."""
    return all(
        may(policy, asker, Media.IN_CAB if c in IN_CAB else Media.ROAD_VIDEO) for c in cameras
    )


def check_refresh(
    policy: Policy, asker: Asker, cameras: Iterable[CameraPosition]
) -> Decision | None:
    """A refusal if `asker` may not see every camera of the links they want refreshed."""
    wanted = list(cameras)
    for media, rule in (
        (Media.IN_CAB, "requesters.in_cab"),
        (Media.ROAD_VIDEO, "requesters.road_video"),
    ):
        needed = any((c in IN_CAB) == (media is Media.IN_CAB) for c in wanted)
        if needed and not may(policy, asker, media):
            return _refuse(
                policy, rule, f"You may not see {media.words}, so I can't refresh these links."
            )
    return None


def private_delivery(policy: Policy, cameras: Iterable[CameraPosition]) -> bool:
    """Whether results of these cameras go to the requester alone (a DM) instead of the thread."""
    return policy.in_cab.deliver_to == "requester" and any(c in IN_CAB for c in cameras)


def uploads_video(policy: Policy, camera: CameraPosition) -> bool:
    return camera in policy.video_upload.cameras


# --- in words -------------------------------------------------------------------------------


def describe(policy: Policy) -> list[str]:
    """What the policy means, one sentence a line (for `motive-bot policy check`)."""

    def who(members: list[str] | None) -> str:
        if members is None:
            return "anyone"
        if not members:
            return "nobody"
        return ", ".join(f"group {m}" if m.startswith("S") else f"user {m}" for m in members)

    r, c = policy.requesters, policy.channels
    lines = [
        f"{m.words.capitalize()} may be requested by {who(getattr(r, m.value))}." for m in Media
    ]
    if c.allowed is None:
        lines.append("Requests may be made in any channel the bot is in.")
    else:
        lines.append("Requests may be made only in channels " + ", ".join(c.allowed) + ".")
    lines.append(
        "Direct messages with the bot may be used."
        if c.direct_messages
        else "Direct messages with the bot may not be used."
    )
    lines.append(
        "In-cab results are posted in the thread."
        if policy.in_cab.deliver_to == "thread"
        else "In-cab results go only to the requester, by DM; the thread says they were sent."
    )
    limit = policy.limits.daily_recall_minutes_per_user
    lines.append(
        f"Each person may recall at most {limit} minutes of video a day."
        if limit
        else "There is no daily limit per person."
    )
    up = policy.video_upload
    lines.append(
        "Video is posted as links."
        if not up.cameras
        else "Clips from "
        + ", ".join(c.value for c in up.cameras)
        + f" are uploaded into Slack (up to {up.max_megabytes} MB; larger ones as links)."
    )
    lines.append(f"Refusals tell people to ask {policy.contact}.")
    lines += describe_safety_events(policy.safety_events)
    return lines
