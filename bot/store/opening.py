"""Opening a request: one open request per thing asked, however many ask at once.

A request is inserted as open and held by its opener (a claim with a lease, until Motive has it)
unless an open request asks for the same thing: the same dedupe key (the database keeps one open
row per key, a partial unique index), or a recall of the same unit, type and cameras over an
overlapping window. A recall that would take its requester past the daily minutes is refused in
the same transaction. A request that never reached Motive is released (its key free again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.database import Database
from bot.store.models import CREATING, Request, TrackedRequest
from motive.rules import RecallRequest

# The advisory-lock space of the claims' locks (PostgreSQL), apart from the migrations' lock.
CLAIM_LOCKS = 23


@dataclass(frozen=True)
class DailyLimit:
    """A requester's daily recall minutes, checked in the claim's transaction."""

    minutes: int
    since: datetime  # the start of the requester's day


class DailyLimitReached(Exception):
    """The recall would take its requester past the daily limit (`used` minutes already)."""

    def __init__(self, used: int) -> None:
        super().__init__(f"{used} minutes used today")
        self.used = used


@dataclass(frozen=True)
class Opening:
    """Opening and releasing requests in `db`, each the only open one for its thing."""

    db: Database

    async def in_flight_duplicate(self, dedupe_key: str) -> TrackedRequest | None:
        """The open request with this key, if any (in flight, or an unresolved ambiguous create)."""
        async with self.db.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(
                    TrackedRequest.dedupe_key == dedupe_key, TrackedRequest.finished_at.is_(None)
                )
                .limit(1)
            )
            return found.scalar_one_or_none()

    async def open_overlapping(self, request: Request) -> TrackedRequest | None:
        """An open request for the same thing: the same key, or (a recall) the same target, type
        and cameras over a window that overlaps this one (a relative time said twice a few
        seconds apart, or 14:05 3m and 14:06 2m)."""
        async with self.db.sessions() as s:
            return await self._open_same(s, request, request.dedupe_key(), True)

    async def open_request(
        self,
        row: TrackedRequest,
        *,
        worker: str,
        lease: timedelta,
        overlap: bool = True,
        limit: DailyLimit | None = None,
    ) -> TrackedRequest:
        """Insert `row` as open and held by `worker`, unless an open request for the same thing
        exists (its key; with `overlap`, a recall of the same unit, type and cameras over an
        overlapping window): then that one is returned instead. With `limit`, a recall that
        would take its requester past the daily minutes raises DailyLimitReached. Every rule
        is decided in the transaction that inserts, under a lock on the unit and on the
        requester (SQLite: the one writer), so of requests arriving together, on one process or
        several, the first wins and the others see it."""
        row.claimed_by, row.claimed_until = worker, row.created_at + lease
        request = row.request
        for _ in range(5):
            try:
                async with self.db.sessions() as s, s.begin():
                    await self._lock(s, request, row.requester if limit else None)
                    held = await self._open_same(s, request, row.dedupe_key, overlap)
                    if held is not None:
                        return held
                    if limit is not None and isinstance(request, RecallRequest):
                        used = await self._minutes(s, row.requester, limit.since)
                        if used + request.duration > limit.minutes:
                            raise DailyLimitReached(used)
                    s.add(row)
                return row
            except IntegrityError:
                # Only a writer that takes no lock gets here (the unique index still holds).
                existing = await self.in_flight_duplicate(row.dedupe_key)
                if existing is not None:
                    return existing
                # It finished between our insert and our read: try again.
        raise RuntimeError(f"could not open request {row.dedupe_key!r}")  # pragma: no cover

    async def open_group(
        self, rows: Sequence[TrackedRequest], *, worker: str, lease: timedelta
    ) -> TrackedRequest:
        """Insert a snapshot-all group (the leader first) as open and held by `worker`, unless
        one of its captures is open already: then that request is returned instead. Decided
        under the unit's lock, as `open_request` is; returns the leader when it won."""
        leader = rows[0]
        leader.group_positions = [r.position or "" for r in rows]
        for row in rows:
            row.claimed_by, row.claimed_until = worker, row.created_at + lease
        for _ in range(5):
            try:
                async with self.db.sessions() as s, s.begin():
                    await self._lock(s, leader.request, None)
                    for row in rows:
                        held = await self._open_same(s, row.request, row.dedupe_key, False)
                        if held is not None:
                            return held
                    s.add(leader)
                    await s.flush()
                    for row in rows:
                        row.group_id = leader.id
                        s.add(row)
                return leader
            except IntegrityError:
                for row in rows:
                    existing = await self.in_flight_duplicate(row.dedupe_key)
                    if existing is not None:
                        return existing
        raise RuntimeError(f"could not open group {leader.dedupe_key!r}")  # pragma: no cover

    async def _lock(self, s: AsyncSession, request: Request, requester: str | None) -> None:
        """Serialise claims for one unit (and one requester's daily minutes) until commit.
        PostgreSQL: transaction-scoped advisory locks, the unit's first (one order for all, so
        no deadlock). SQLite has one writer: BEGIN IMMEDIATE takes it before the first read."""
        if self.db.is_sqlite:
            await s.execute(text("BEGIN IMMEDIATE"))
            return
        keys = [f"unit|{request.target.kind}|{request.target.name.casefold()}"]
        if requester is not None:
            keys.append(f"requester|{requester}")
        for key in keys:
            await s.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                {"space": CLAIM_LOCKS, "key": key},
            )

    @staticmethod
    async def _open_same(
        s: AsyncSession, request: Request, key: str, overlap: bool
    ) -> TrackedRequest | None:
        found = await s.execute(
            select(TrackedRequest)
            .where(TrackedRequest.dedupe_key == key, TrackedRequest.finished_at.is_(None))
            .limit(1)
        )
        exact = found.scalar_one_or_none()
        if exact is not None or not overlap or not isinstance(request, RecallRequest):
            return exact
        return await _overlapping(s, request)

    @staticmethod
    async def _minutes(s: AsyncSession, user: str, since: datetime) -> int:
        rows = await s.execute(
            select(TrackedRequest).where(
                TrackedRequest.kind == "recall",
                TrackedRequest.requester == user,
                TrackedRequest.created_at >= since,
                or_(TrackedRequest.motive_id.is_not(None), TrackedRequest.state == CREATING),
            )
        )
        return sum(r.duration or 0 for r in rows.scalars())

    async def recall_minutes(self, user: str, since: datetime) -> int:
        """Recall minutes `user` asked Motive for since `since`: those Motive accepted and those
        being asked for now (the daily limit counts these; a refused recall spent nothing)."""
        async with self.db.sessions() as s:
            return await self._minutes(s, user, since)

    async def release(self, request_id: int) -> None:
        """Drop a request that never reached Motive (a pre-flight check said no, or the anchor
        could not be posted), with its group if it leads one: its keys are free again."""
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                delete(TrackedRequest).where(
                    or_(TrackedRequest.id == request_id, TrackedRequest.group_id == request_id)
                )
            )


async def _overlapping(s: AsyncSession, request: RecallRequest) -> TrackedRequest | None:
    """The first open recall of the same unit, type and cameras over an overlapping window."""
    same = _same_recall(request)
    found = await s.execute(
        select(TrackedRequest)
        .where(TrackedRequest.finished_at.is_(None), TrackedRequest.kind == "recall")
        .order_by(TrackedRequest.id)
    )
    for row in found.scalars():
        other = row.request
        if isinstance(other, RecallRequest) and same(other):
            return row
    return None


def _same_recall(request: RecallRequest) -> Any:
    """A test for "the same recall": target, type and cameras equal, windows overlapping."""
    cams = frozenset(request.camera_positions or ())

    def same(other: RecallRequest) -> bool:
        return (
            other.target.kind == request.target.kind
            and other.target.name.casefold() == request.target.name.casefold()
            and other.recall_type == request.recall_type
            and frozenset(other.camera_positions or ()) == cams
            and other.start_time < request.end_time
            and request.start_time < other.end_time
        )

    return same
