"""The policy applied to Slack requests: who is asking (with their user groups), what the unit
carries, how many recall minutes they used today, and the audit row for each decision.

`bot.access.policy` decides; this module gathers what the decision needs and records it, so that the
slash commands, the modals and the Refresh links button all go through the same gate.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, overload

from bot.access import policy as pol
from bot.access.audit import Audit, Subject
from bot.access.fleet import Fleet, UserZones
from bot.render import blocks as bk
from bot.slack_api.usergroups import UserGroups
from bot.store.opening import DailyLimit
from bot.store.requests import Store
from motive.clock import Clock
from motive.rules import (
    OMNICAM_POSITIONS,
    CameraPosition,
    RecallRequest,
    SnapshotRequest,
)

log = logging.getLogger(__name__)

Request = RecallRequest | SnapshotRequest
# One request, or a snapshot group: one capture per camera ("all cameras").
AnyRequest = RecallRequest | SnapshotRequest | list[SnapshotRequest]


def named_groups(policy: pol.Policy) -> set[str]:
    """Every user group (S…) the policy names: the only ones worth asking Slack about."""
    r = policy.requesters
    return {
        m for members in (r.road_video, r.in_cab, r.snapshots) for m in members or () if m[0] == "S"
    }


def refusal(decision: pol.Decision) -> tuple[str, list[bk.Block]]:
    """A private reply: what the policy refused, the rule, and who to ask. The words come from
    the policy file (an admin's), so channel links in them stay links."""
    text = f":no_entry: {decision.message}"
    return text, [bk.section(text), bk.context(f"Policy rule: `{decision.rule}`")]


def narrowed_note(decision: pol.Decision) -> str | None:
    return decision.message if decision.narrowed else None


@dataclass(kw_only=True, eq=False)
class Privacy:
    policy_file: pol.PolicyFile | None
    groups: UserGroups
    store: Store
    audit: Audit
    fleet: Fleet
    zones: UserZones
    clock: Clock

    @property
    def policy(self) -> pol.Policy:
        return self.policy_file.policy if self.policy_file is not None else pol.OPEN

    async def asker(self, user: str, channel: str) -> pol.Asker:
        policy = self.policy
        groups = await self.groups.groups_of(user, named_groups(policy))
        return pol.Asker(user, groups, channel)

    async def may_in_cab(self, user: str, channel: str) -> bool:
        return pol.may(self.policy, await self.asker(user, channel), pol.Media.IN_CAB)

    def unit_cameras(self, request: Request) -> frozenset[CameraPosition]:
        """What the unit carries, from the fleet list; where it does not say, every camera the
        kind of unit can have (so "all cameras" is taken to include an in-cab one)."""
        unit = self.fleet.known(request.target.kind, request.target.name)
        if unit is not None and unit.cameras is not None:
            return unit.cameras
        return OMNICAM_POSITIONS if request.target.kind == "asset" else frozenset(CameraPosition)

    async def day_of(self, user: str) -> tuple[datetime, str]:
        """When `user`'s day began (their Slack time zone, else UTC), and that day in words."""
        zone = await self.zones.zone(user)
        tz = zone.tz or UTC
        start = datetime.combine(self.clock.now().astimezone(tz).date(), time(0), tzinfo=tz)
        day = f"today in your time zone ({zone.tz.key})" if zone.tz else "today (UTC)"
        return start.astimezone(UTC), day

    async def minutes_today(self, user: str) -> tuple[int, str]:
        """Recall minutes `user` asked Motive for since the start of their day, and which day
        that was, in words. Recalls Motive refused do not count."""
        start, day = await self.day_of(user)
        return await self.store.recall_minutes(user, start), day

    async def daily_limit(self, user: str) -> DailyLimit | None:
        """The daily limit as the claim checks it again, in the transaction that inserts (two
        recalls sent together would each pass `check` alone)."""
        limit = self.policy.limits.daily_recall_minutes_per_user
        if limit is None:
            return None
        start, _ = await self.day_of(user)
        return DailyLimit(limit, start)

    async def decide_request(self, request: AnyRequest, user: str, channel: str) -> pol.Decision:
        """The one decision for a request, whatever path it came by (a slash command, a form,
        "all cameras", a shortcut, the Home tab): `bot.access.policy.decide` with what it needs
        gathered (the asker's user groups, the unit's cameras, their recall minutes today).

        `request` is one recall, one snapshot, or a snapshot group (one request per camera,
        for "all cameras"). `user` is the Slack user who asked, as Slack's payload says (never a
        value carried in metadata); `channel` where the request was made (a DM's id for the Home
        tab and the global shortcut). A refusal is audited here; the caller answers the asker
        with `refusal(decision)` and asks Motive nothing. A narrowed decision lists the cameras
        left (`narrow` applies it)."""
        policy = self.policy
        asker = await self.asker(user, channel)
        if isinstance(request, list):
            positions = tuple(r.position for r in request)
            decision = pol.decide(policy, asker, pol.Wanted(None, positions, snapshot=True))
        elif isinstance(request, SnapshotRequest):
            decision = pol.decide(policy, asker, pol.Wanted((request.position,), snapshot=True))
        else:
            used, day = 0, ""
            if policy.limits.daily_recall_minutes_per_user is not None:
                used, day = await self.minutes_today(user)
            decision = pol.decide(
                policy,
                asker,
                pol.Wanted(
                    request.camera_positions,
                    tuple(sorted(self.unit_cameras(request))),
                    minutes=request.duration,
                    minutes_today=used,
                ),
            )
            if decision.rule == "limits.daily_recall_minutes_per_user" and decision.message:
                decision = dataclasses.replace(
                    decision, message=decision.message.replace(" today;", f" {day};", 1)
                )
        if not decision.allowed:
            await self.audit.record(
                "refusal",
                user=user,
                channel=channel,
                subject=subject_of(request),
                decision="refused",
                rule=decision.rule,
                outcome=decision.message or "refused",
            )
        return decision

    # The name the listeners used before snapshot groups went through it too.
    check = decide_request

    async def route_media(
        self,
        requester: str | None,
        channel: str,
        positions: Iterable[str | CameraPosition | None],
        *,
        snapshot: bool = False,
    ) -> dict[str | None, pol.Route]:
        """The policy asked again at delivery, for each camera's media: where it may go
        (`bot.access.policy.route`), given who made the request (`requester`, None for media nobody
        asked for, such as a Motive safety event) and where it is going (`channel`, the
        request's thread's channel). Keyed by the position word as Motive gave it; a word the
        bot does not know is treated as in-cab. Asked with the requester's groups as they are
        now, so someone removed from a group since asking no longer receives that media."""
        policy = self.policy
        asker = await self.asker(requester, channel) if requester is not None else None
        out: dict[str | None, pol.Route] = {}
        for p in positions:
            word = None if p is None else str(p)
            out[word] = pol.route(policy, asker, word, snapshot=snapshot)
        return out


def subject_of(request: AnyRequest) -> Subject:
    """What an audit row is about; a snapshot group lists its cameras."""
    if isinstance(request, list):
        first = request[0]
        return Subject("snapshot", first.target.label, ",".join(r.position.value for r in request))
    return Subject.of(request)


@overload
def narrow(request: Request, decision: pol.Decision) -> Request: ...
@overload
def narrow(request: list[SnapshotRequest], decision: pol.Decision) -> list[SnapshotRequest]: ...
def narrow(request: AnyRequest, decision: pol.Decision) -> AnyRequest:
    """The request with the cameras the policy narrowed it to."""
    if not (decision.narrowed and decision.cameras):
        return request
    if isinstance(request, list):
        keep = set(decision.cameras)
        return [r for r in request if r.position in keep]
    if isinstance(request, RecallRequest):
        return request.with_cameras(tuple(decision.cameras))
    return request


def decision_word(decision: pol.Decision) -> str:
    if not decision.allowed:
        return "refused"
    return "narrowed" if decision.narrowed else "allowed"


# --- the modals ------------------------------------------------------------------------------

NOT_YOURS = " — not for you (policy)"


def restrict_view(view: dict[str, Any], may_in_cab: bool) -> dict[str, Any]:
    """The modal as this user may use it: an in-cab snapshot camera is not offered; the recall's
    in-cab checkbox is marked (kept, so that every box ticked still means "all cameras", which
    the policy narrows and says so)."""
    if may_in_cab:
        return view
    in_cab = {p.value for p in pol.IN_CAB}
    blocks: list[dict[str, Any]] = []
    marked = False
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        options = element.get("options")
        if not options or not any(o.get("value") in in_cab for o in options):
            blocks.append(block)
            continue
        if element.get("type") == "checkboxes":
            new = [_mark(o) if o.get("value") in in_cab else o for o in options]
            initial = element.get("initial_options")
            element = {**element, "options": new}
            if initial is not None:
                element["initial_options"] = [
                    _mark(o) if o.get("value") in in_cab else o for o in initial
                ]
            marked = True
        else:
            element = {**element, "options": [o for o in options if o.get("value") not in in_cab]}
        blocks.append({**block, "element": element})
    if marked:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "The fleet's policy does not let you request in-cab video: "
                        "with every camera ticked you get the others.",
                    }
                ],
            }
        )
    return {**view, "blocks": blocks}


def _mark(option: dict[str, Any]) -> dict[str, Any]:
    text = dict(option["text"])
    if not str(text.get("text", "")).endswith(NOT_YOURS):
        text["text"] = (str(text.get("text", "")) + NOT_YOURS)[:75]
    return {**option, "text": text}
