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

from bot.access.safety_routing import SafetyEventsPolicy
from bot.access.safety_routing import describe as describe_safety_events
from motive.clock import Clock, SystemClock
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


SETTLE_SECONDS = 2.0  # a changed file is read once it has stayed the same this long


def set_keys(model: BaseModel, prefix: str = "") -> set[str]:
    """The keys a policy file wrote out ("requesters.in_cab", "limits"), as pydantic saw them."""
    found: set[str] = set()
    for name in model.model_fields_set:
        value = getattr(model, name)
        found.add(prefix + name)
        if isinstance(value, BaseModel):
            found |= set_keys(value, f"{prefix}{name}.")
    return found


def what_changed(old: Policy, new: Policy) -> list[str]:
    """The sentences of `describe` that the new policy says differently: what access changed."""
    before = describe(old)
    return [line for line in describe(new) if line not in before]


class PolicyFile:
    """The policy at `path`, re-read when the file changes, and only once it is whole.

    A file being written is read in pieces: a TOML file cut short often parses, and every rule
    it lost would mean "anyone" (145 prefixes of policy.example.toml past `[requesters]` parse).
    So a change is read only after the file has stopped changing for `settle_seconds` (its size
    and time stamp the same on two looks that far apart, and again after the read), and it is
    applied only if it is whole: it ends with a line break (a cut mid-line can leave a number
    that parses, 30 read as 3), and it sets every key the policy in force sets (a cut between
    lines leaves keys out). To drop a rule, write the file without it and restart the bot (a
    start reads the file as it stands). A broken or
    incomplete file keeps the last good policy (and says what is wrong, once per change); a file
    that was never good is an error. What changed is logged in words."""

    def __init__(
        self, path: Path, *, clock: Clock | None = None, settle_seconds: float = SETTLE_SECONDS
    ) -> None:
        self.path = path
        self._clock: Clock = clock or SystemClock()
        self._settle = settle_seconds
        self._policy = load_policy(path)
        self._stamp = self._stat()
        self._seen: tuple[tuple[float, int], float] | None = None  # (a new stamp, first seen)
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
        if stamp is None or stamp == self._stamp:
            self._seen = None
            return self._policy
        now = self._clock.monotonic()
        if self._seen is None or self._seen[0] != stamp:
            self._seen = (stamp, now)  # changed: wait until it stops changing
            return self._policy
        if now - self._seen[1] < self._settle:
            return self._policy
        self._seen = None
        self._reload(stamp)
        return self._policy

    def _reload(self, stamp: tuple[float, int]) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as e:
            log.error("policy file cannot be read, keeping the last good policy: %s", e)
            return
        if self._stat() != stamp:
            return  # written to while being read: looked at again once it settles
        self._stamp = stamp
        try:
            if text and not text.endswith("\n"):
                # Cut mid-line, a number may still parse (30 read as 3): not a whole file.
                raise PolicyError(
                    self.path,
                    text.count("\n") + 1,
                    "the file does not end with a line break, as one cut short while being "
                    "written would not; it is not applied",
                )
            new = parse_policy(text, self.path)
            dropped = sorted(set_keys(self._policy) - set_keys(new))
            if dropped:
                raise PolicyError(
                    self.path,
                    None,
                    f"it leaves out {', '.join(dropped)}, which the policy in force sets. A file "
                    "cut short would open those rules to everyone, so it is not applied; to "
                    "drop a rule, restart the bot with the new file",
                )
        except PolicyError as e:
            self.last_error = str(e)
            log.error("policy file is broken, keeping the last good policy: %s", e)
            return
        changed = what_changed(self._policy, new)
        self._policy, self.last_error = new, None
        log.info(
            "policy re-read from %s; %s",
            self.path,
            "now: " + " ".join(changed) if changed else "access is unchanged",
        )


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


# --- the one decision -------------------------------------------------------------------------
#
# Every way of asking for footage (slash commands, forms, "all cameras", shortcuts, the Home tab,
# a Refresh links button, a webhook's adoption, Motive's own events) asks `decide` before anything
# is posted or created, and `route` again for each camera's media before it is delivered. The
# other checks below are `decide` seen from one angle, kept for the words their callers use.

ROAD_AND_EXTERIOR = frozenset(CameraPosition) - IN_CAB


def known_position(word: str | CameraPosition | None) -> CameraPosition | None:
    """The camera a position word names, however Motive spells it (`DRIVER_FACING`,
    `Driver-Facing`, ` rear `); None for a word the bot does not know."""
    if word is None:
        return None
    key = re.sub(r"[\s-]+", "_", str(word).strip()).casefold()
    try:
        return CameraPosition(key)
    except ValueError:
        return None


def is_in_cab(word: str | CameraPosition | None) -> bool:
    """Fail closed: only a camera known to look at the road or the outside is not in-cab. An
    unknown, missing or new position word counts as in-cab."""
    return known_position(word) not in ROAD_AND_EXTERIOR


def media_of(word: str | CameraPosition | None) -> Media:
    """The kind of video a camera's footage is, for `[requesters]`."""
    return Media.IN_CAB if is_in_cab(word) else Media.ROAD_VIDEO


@dataclass(frozen=True)
class Wanted:
    """What someone asks for, as the policy sees it.

    `cameras` None means "all cameras": every one of `unit_cameras`, narrowed to what the asker
    may see. `snapshot` True for still images (the `snapshots` rule applies, and no daily limit);
    `minutes` the recall's length and `minutes_today` what the asker already had recorded today
    (the daily limit)."""

    cameras: tuple[CameraPosition, ...] | None
    unit_cameras: tuple[CameraPosition, ...] = tuple(CameraPosition)
    snapshot: bool = False
    minutes: int = 0
    minutes_today: int = 0


def decide(policy: Policy, asker: Asker, wanted: Wanted) -> Decision:
    """The policy's one answer to a request, whatever path it came by: refused (with the rule
    and the words for the asker), allowed, or narrowed ("all cameras" by someone who may not see
    in-cab media becomes the other cameras, and `Decision.cameras` lists them).

    Checked in this order, the first refusal winning: where it is asked from (`[channels]`),
    still images at all (`requesters.snapshots`), the daily limit (recalls), road and exterior
    cameras (`requesters.road_video`, recalls), in-cab cameras (`requesters.in_cab`). A camera
    not known to be road-facing or exterior counts as in-cab (`is_in_cab`)."""
    refused = check_place(policy, asker)
    if refused is not None:
        return refused
    if wanted.snapshot and not may(policy, asker, Media.SNAPSHOTS):
        return _refuse(
            policy, "requesters.snapshots", f"You may not request {Media.SNAPSHOTS.words}."
        )
    asked = tuple(wanted.unit_cameras) if wanted.cameras is None else tuple(wanted.cameras)
    in_cab = [c for c in asked if is_in_cab(c)]
    road = [c for c in asked if not is_in_cab(c)]
    limit = policy.limits.daily_recall_minutes_per_user
    if not wanted.snapshot and limit is not None and wanted.minutes_today + wanted.minutes > limit:
        left = max(0, limit - wanted.minutes_today)
        return _refuse(
            policy,
            "limits.daily_recall_minutes_per_user",
            f"You have {left} of your {limit} recall minutes left today; this recall needs "
            f"{wanted.minutes}.",
        )
    if not wanted.snapshot and road and not may(policy, asker, Media.ROAD_VIDEO):
        return _refuse(
            policy, "requesters.road_video", f"You may not request {Media.ROAD_VIDEO.words}."
        )
    if in_cab and not may(policy, asker, Media.IN_CAB):
        if wanted.cameras is None and road:
            what = "in-cab images" if wanted.snapshot else "in-cab video"
            return Decision(
                True,
                "requesters.in_cab",
                f"You may not see {what}, so I asked for the other cameras only.",
                tuple(road),
            )
        return _refuse(policy, "requesters.in_cab", f"You may not request {Media.IN_CAB.words}.")
    return Decision(True, None, None, None if wanted.cameras is None else tuple(wanted.cameras))


class Route(StrEnum):
    """Where one camera's media may go at delivery."""

    THREAD = "thread"  # the request's thread (or wherever it was asked: a channel, a DM)
    REQUESTER = "requester"  # the requester alone, by DM
    WITHHELD = "withheld"  # nowhere: the requester may not (or no longer) see it


def route(
    policy: Policy,
    requester: Asker | None,
    position: str | CameraPosition | None,
    *,
    snapshot: bool = False,
) -> Route:
    """The policy asked again at delivery, for one camera's media: may the person who made the
    request see it now, and may it go where the request lives (`requester.channel`)?

    - the requester may not see this kind of media (in-cab, road, still images): WITHHELD;
    - in-cab media under `[in_cab] deliver_to = "requester"`: REQUESTER (their DM);
    - a channel the policy no longer allows: REQUESTER (a DM with the bot: WITHHELD when
      `direct_messages` is off);
    - otherwise THREAD.

    `requester` None is media nobody asked for (a Motive safety event posted to a channel): it
    may go to the thread only if the policy lets anyone see that media; in-cab media sent "to
    the requester" has nobody to go to, so it is withheld. An unknown position is in-cab."""
    media = media_of(position)
    if requester is None:
        open_to_all = getattr(policy.requesters, media.value) is None and (
            not snapshot or policy.requesters.snapshots is None
        )
        if not open_to_all or (media is Media.IN_CAB and policy.in_cab.deliver_to == "requester"):
            return Route.WITHHELD
        return Route.THREAD
    if not may(policy, requester, media) or (
        snapshot and not may(policy, requester, Media.SNAPSHOTS)
    ):
        return Route.WITHHELD
    if media is Media.IN_CAB and policy.in_cab.deliver_to == "requester":
        return Route.REQUESTER
    if check_place(policy, requester) is not None:
        return Route.WITHHELD if requester.in_dm else Route.REQUESTER
    return Route.THREAD


def check_recall(
    policy: Policy,
    asker: Asker,
    cameras: Sequence[CameraPosition] | None,
    unit_cameras: Iterable[CameraPosition],
    *,
    duration: int,
    minutes_today: int,
) -> Decision:
    """May `asker` recall these cameras (None: all the unit has) for `duration` minutes?"""
    return decide(
        policy,
        asker,
        Wanted(
            None if cameras is None else tuple(cameras),
            tuple(unit_cameras),
            minutes=duration,
            minutes_today=minutes_today,
        ),
    )


def check_snapshot(policy: Policy, asker: Asker, position: CameraPosition) -> Decision:
    decision = decide(policy, asker, Wanted((position,), snapshot=True))
    return decision if not decision.allowed else Decision(True)


def may_see(policy: Policy, asker: Asker, cameras: Iterable[CameraPosition | str | None]) -> bool:
    """For the Refresh links button, which anyone in a shared channel can press."""
    return all(may(policy, asker, media_of(c)) for c in cameras)


def check_refresh(
    policy: Policy, asker: Asker, cameras: Iterable[CameraPosition | str | None]
) -> Decision | None:
    """A refusal if `asker` may not see every camera of the links they want refreshed."""
    wanted = list(cameras)
    for media, rule in (
        (Media.IN_CAB, "requesters.in_cab"),
        (Media.ROAD_VIDEO, "requesters.road_video"),
    ):
        needed = any(media_of(c) is media for c in wanted)
        if needed and not may(policy, asker, media):
            return _refuse(
                policy, rule, f"You may not see {media.words}, so I can't refresh these links."
            )
    return None


def private_delivery(policy: Policy, cameras: Iterable[CameraPosition | str | None]) -> bool:
    """Whether results of these cameras go to the requester alone (a DM) instead of the thread."""
    return policy.in_cab.deliver_to == "requester" and any(is_in_cab(c) for c in cameras)


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
