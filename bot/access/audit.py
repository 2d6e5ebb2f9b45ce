"""The audit trail: one row per request, refusal, link refresh and delivery.

Fleets whose drivers' unions or works councils limit who may see in-cab footage need a record
of every access that the people it records cannot edit. The bot only ever appends here; the one
delete is the retention prune (`AUDIT_RETENTION_DAYS`), which removes whole rows by age.
`motive-bot audit` prints the trail as CSV or JSON.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select

from bot.store.models import AuditEntry
from bot.store.requests import Store
from motive.clock import Clock
from motive.rules import CameraPosition, RecallRequest, SnapshotRequest

log = logging.getLogger(__name__)

UNKNOWN_USER = "unknown"  # the user of a row whose Slack payload named nobody

Event = Literal["request", "refusal", "refresh", "delivery", "link_open"]


COLUMNS = (
    "id",
    "at",
    "event",
    "user",
    "channel",
    "kind",
    "target",
    "window_start",
    "window_end",
    "cameras",
    "decision",
    "rule",
    "request_id",
    "motive_id",
    "outcome",
)


@dataclass(frozen=True)
class Subject:
    """What an audit row is about: the request's target, window and cameras."""

    kind: str
    target: str
    cameras: str
    window_start: datetime | None = None
    window_end: datetime | None = None

    @classmethod
    def of(
        cls,
        request: RecallRequest | SnapshotRequest,
        cameras: Sequence[CameraPosition] | None = None,
    ) -> Subject:
        if isinstance(request, SnapshotRequest):
            return cls("snapshot", request.target.label, request.position.value)
        chosen = cameras if cameras is not None else request.camera_positions
        return cls(
            "recall",
            request.target.label,
            ",".join(c.value for c in chosen) if chosen is not None else "all",
            request.start_time,
            request.end_time,
        )


@dataclass(eq=False)
class Audit:
    store: Store
    clock: Clock

    async def record(
        self,
        event: Event,
        *,
        user: str,
        channel: str,
        subject: Subject,
        decision: str = "allowed",
        rule: str | None = None,
        request_id: int | None = None,
        motive_id: str | None = None,
        outcome: str,
    ) -> None:
        entry = AuditEntry(
            at=self.clock.now(),
            event=event,
            user=user,
            channel=channel,
            kind=subject.kind,
            target=subject.target,
            window_start=subject.window_start,
            window_end=subject.window_end,
            cameras=subject.cameras,
            decision=decision,
            rule=rule,
            request_id=request_id,
            motive_id=motive_id,
            outcome=outcome[:2000],
        )
        async with self.store.sessions() as s, s.begin():
            s.add(entry)

    async def entries(
        self,
        *,
        since: datetime | None = None,
        user: str | None = None,
        target: str | None = None,
    ) -> Sequence[AuditEntry]:
        q = select(AuditEntry).order_by(AuditEntry.id)
        if since is not None:
            q = q.where(AuditEntry.at >= since)
        if user is not None:
            q = q.where(AuditEntry.user == user)
        if target is not None:
            q = q.where(AuditEntry.target == target)
        async with self.store.sessions() as s:
            return (await s.execute(q)).scalars().all()

    async def prune(self, keep_days: int) -> int:
        """Remove rows older than `keep_days`; the only delete the bot makes here. Counted back
        from the newest row (or now, if that is earlier), never from the host's clock alone: a
        clock set 400 days ahead must not empty the trail. Rows within `keep_days` of the newest
        one always stay."""
        async with self.store.sessions() as s:
            newest = (await s.execute(select(func.max(AuditEntry.at)))).scalar()
        if newest is None:
            return 0
        cutoff = min(self.clock.now(), newest) - timedelta(days=keep_days)
        async with self.store.sessions() as s, s.begin():
            result = await s.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
        removed = int(getattr(result, "rowcount", 0) or 0)
        if removed:
            log.info("audit: pruned %d row(s) older than %d days", removed, keep_days)
        return removed


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = getattr(entry, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def to_csv(entries: Sequence[AuditEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow({k: "" if v is None else v for k, v in as_dict(entry).items()})
    return buffer.getvalue()


def to_json(entries: Sequence[AuditEntry]) -> str:
    return json.dumps([as_dict(e) for e in entries], indent=2)
