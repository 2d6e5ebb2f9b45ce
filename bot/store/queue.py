"""The polling queue: the tracked requests are the queue, and the workers share it by claims.

A claim is a lease with an expiry, taken atomically: a request is polled once per due time by one
worker (`claim_due`, `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers claiming together take
different rows and never wait on each other), a webhook's request is claimed by whoever heard it
(`claim_rows`), and every claim is given back with the progress the poll made (`release_many`).
A worker that dies holding rows leaves them to others once its leases run out; a request left
"creating" by an opener that is gone is an orphan (`orphans`), for the worker's sweep to settle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update

from bot.store.database import Database, changed_rows
from bot.store.models import (
    CREATING,
    IN_FLIGHT_STATES,
    TRACKED_REQUESTS,
    TRACKING,
    Answer,
    TrackedRequest,
    answer_dump,
)


def new_worker_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Progress:
    """What a poll that did not end the request records with the release of its claim."""

    next_poll_at: datetime
    last_error: str | None = None
    attempts: int | None = None  # None: unchanged
    answer: Answer | None = None  # None: unchanged (Motive's status word comes with it)

    def columns(self) -> dict[str, Any]:
        values: dict[str, Any] = {"next_poll_at": self.next_poll_at, "last_error": self.last_error}
        if self.attempts is not None:
            values["attempts"] = self.attempts
        if self.answer is not None:
            values["motive_status"] = self.answer.status
            values["answer_data"] = answer_dump(self.answer)
        return values


@dataclass(frozen=True)
class Queue:
    """The claims on tracked requests, in `db`."""

    db: Database

    async def claim(self, request_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        """Take the row for `lease`, unless someone holds it (even this worker: a webhook and a
        scheduled poll must not run at once). One atomic UPDATE on both backends."""
        async with self.db.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(
                    TrackedRequest.id == request_id,
                    TrackedRequest.state.in_(IN_FLIGHT_STATES),
                    or_(TrackedRequest.claimed_until.is_(None), TrackedRequest.claimed_until < now),
                )
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            return bool(changed_rows(result))

    async def claim_due(
        self, worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[TrackedRequest]:
        """The polling queue: claim and read up to `limit` tracked requests whose next poll has
        come and that nobody holds, the most overdue first, in one statement. On PostgreSQL the
        rows are picked `FOR UPDATE SKIP LOCKED`: workers claiming together take different rows
        and never wait on each other; SQLite runs the one statement as its single writer."""
        table = TRACKED_REQUESTS
        free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        # A CTE with FOR UPDATE is run once and its rows kept (never folded into the UPDATE):
        # as a plain `IN (subquery)` beside the same conditions, PostgreSQL's planner could
        # re-run the locking subquery for every due row (a nested loop), which grew its CPU
        # with the square of the backlog and with every worker added.
        picked = (
            select(table.c.id)
            .where(table.c.state == TRACKING, table.c.next_poll_at <= now, free)
            .order_by(table.c.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        async with self.db.engine.begin() as conn:
            found = await conn.execute(
                update(table)
                .where(table.c.id.in_(select(picked.c.id)))
                .values(claimed_by=worker, claimed_until=now + lease)
                .returning(*table.c)
            )
            return [TrackedRequest(**dict(r._mapping)) for r in found]

    async def claim_rows(
        self,
        request_ids: Sequence[int],
        worker: str,
        now: datetime,
        lease: timedelta,
        *,
        due_now: bool = False,
    ) -> list[TrackedRequest]:
        """Claim and read many tracked requests in one transaction, those due and free; the rest
        are left. `due_now`: they are made due now first (a webhook said one is done), in the
        same transaction, so no other worker can take one in between."""
        table = TRACKED_REQUESTS
        ids = list(request_ids)
        free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        async with self.db.engine.begin() as conn:
            if due_now:
                await conn.execute(
                    update(table)
                    .where(
                        table.c.id.in_(ids),
                        table.c.state == TRACKING,
                        free,
                        or_(table.c.next_poll_at.is_(None), table.c.next_poll_at > now),
                    )
                    .values(next_poll_at=now)
                )
            found = await conn.execute(
                update(table)
                .where(
                    table.c.id.in_(ids),
                    table.c.state == TRACKING,
                    table.c.next_poll_at <= now,
                    free,
                )
                .values(claimed_by=worker, claimed_until=now + lease)
                .returning(*table.c)
            )
            return [TrackedRequest(**dict(r._mapping)) for r in found]

    async def count_due(self, now: datetime) -> int:
        """Tracked requests whose poll time has come and that nobody is polling: the backlog."""
        async with self.db.sessions() as s:
            found = await s.execute(
                select(func.count())
                .select_from(TrackedRequest)
                .where(
                    TrackedRequest.state == TRACKING,
                    TrackedRequest.next_poll_at <= now,
                    or_(TrackedRequest.claimed_until.is_(None), TrackedRequest.claimed_until < now),
                )
            )
            return int(found.scalar_one())

    async def extend_claim(self, request_id: int, worker: str, until: datetime) -> bool:
        """Hold a claim longer (a delivery about to run); False if this worker lost it."""
        async with self.db.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(TrackedRequest.id == request_id, TrackedRequest.claimed_by == worker)
                .values(claimed_until=until)
            )
            return bool(changed_rows(result))

    async def release_many(
        self, worker: str, updates: Sequence[tuple[int, Progress | None]]
    ) -> None:
        """Give many claims back in one transaction: rows with progress get it written, with
        one statement per distinct set of columns; rows without just lose the claim."""
        table = TRACKED_REQUESTS
        stamp = self.db.clock.now()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for request_id, progress in updates:
            values = progress.columns() if progress is not None else {}
            cols = tuple(sorted(values))
            params = {f"v_{k}": v for k, v in values.items()}
            params["v_rid"] = request_id
            groups.setdefault(cols, []).append(params)
        async with self.db.engine.begin() as conn:
            for cols, rows in groups.items():
                extra: dict[str, Any] = {c: bindparam(f"v_{c}") for c in cols}
                if cols:
                    extra["updated_at"] = stamp
                await conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("v_rid"), table.c.claimed_by == worker)
                    .values(claimed_by=None, claimed_until=None, **extra),
                    rows,
                )

    async def clear_claims(self) -> int:
        """Drop every claim. Only for SQLite, where one process owns the database: claims left
        by a crashed predecessor would otherwise hold its requests until their leases ran out."""
        assert self.db.is_sqlite, "with PostgreSQL other workers may be alive: let leases expire"
        async with self.db.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(TrackedRequest.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )
            return changed_rows(result)

    async def orphans(self, now: datetime, quiet: timedelta) -> Sequence[TrackedRequest]:
        """Requests left "creating" whose holder is gone: its claim lapsed, or (unclaimed: the
        claim cleared at start-up, or a writer that takes none) nothing moved for `quiet`."""
        async with self.db.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(
                    TrackedRequest.state == CREATING,
                    or_(
                        TrackedRequest.claimed_until < now,
                        and_(
                            TrackedRequest.claimed_until.is_(None),
                            TrackedRequest.updated_at < now - quiet,
                        ),
                    ),
                )
                .order_by(TrackedRequest.id)
            )
            return found.scalars().all()
