"""The store the services share: the queries on tracked requests, and, behind the same object,
the modules that own the rest (`opening.py`: a request opened once; `queue.py`: the polling
queue's claims; `deliveries.py`: posts reserved once). Nothing here knows Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.store.database import Database
from bot.store.deliveries import Deliveries
from bot.store.models import (
    FINAL_STATES,
    IN_FLIGHT_STATES,
    PENDING,
    TRACKING,
    UNKNOWN,
    Answer,
    TrackedRequest,
    answer_dump,
)
from bot.store.opening import Opening
from bot.store.queue import Queue
from motive.clock import Clock


class Store(Database):
    """One database and every query the bot makes of it: those on tracked requests here, the
    others those of its opening, queue and deliveries, which share its connection."""

    def __init__(self, url: str, *, clock: Clock | None = None, echo: bool = False) -> None:
        super().__init__(url, clock=clock, echo=echo)
        # The parts' own methods, signatures and defaults, on the one object callers hold.
        opening = Opening(self)
        self.in_flight_duplicate = opening.in_flight_duplicate
        self.open_overlapping = opening.open_overlapping
        self.open_request = opening.open_request
        self.open_group = opening.open_group
        self.recall_minutes = opening.recall_minutes
        self.release = opening.release
        queue = Queue(self)
        self.claim = queue.claim
        self.claim_due = queue.claim_due
        self.claim_rows = queue.claim_rows
        self.count_due = queue.count_due
        self.extend_claim = queue.extend_claim
        self.release_many = queue.release_many
        self.clear_claims = queue.clear_claims
        self.orphans = queue.orphans
        deliveries = Deliveries(self)
        self.begin_delivery = deliveries.begin_delivery
        self.delivery = deliveries.delivery
        self.delivery_pending_since = deliveries.delivery_pending_since
        self.note_delivery_file = deliveries.note_delivery_file
        self.finish_delivery = deliveries.finish_delivery
        self.deliveries = deliveries.deliveries

    # --- requests -------------------------------------------------------------------------

    async def add(self, row: TrackedRequest) -> TrackedRequest:
        async with self.sessions() as s, s.begin():
            s.add(row)
        return row

    async def get(self, request_id: int) -> TrackedRequest | None:
        async with self.sessions() as s:
            return await s.get(TrackedRequest, request_id)

    async def by_motive_id(self, kind: str, motive_id: str) -> TrackedRequest | None:
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(TrackedRequest.kind == kind, TrackedRequest.motive_id == motive_id)
                .limit(1)
            )
            return found.scalar_one_or_none()

    async def tracking_by_motive_id(self, kind: str, motive_id: str) -> Sequence[TrackedRequest]:
        """Every request being followed with this Motive id: the one that asked Motive, and
        those that follow it for askers who could not see it (`bot.requests.follow`)."""
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(
                    TrackedRequest.kind == kind,
                    TrackedRequest.motive_id == motive_id,
                    TrackedRequest.state == TRACKING,
                )
                .order_by(TrackedRequest.id)
            )
            return found.scalars().all()

    async def lapsed_unknowns(self, now: datetime) -> Sequence[TrackedRequest]:
        """Ambiguous creates still open past their deadline: whatever Motive did has ended."""
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest).where(
                    TrackedRequest.state == UNKNOWN,
                    TrackedRequest.finished_at.is_(None),
                    TrackedRequest.deadline < now,
                )
            )
            return found.scalars().all()

    async def open_unknowns(self, kind: str) -> Sequence[TrackedRequest]:
        """Ambiguous creates still open: Motive may yet say which of its requests they are."""
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(
                    TrackedRequest.kind == kind,
                    TrackedRequest.state == UNKNOWN,
                    TrackedRequest.finished_at.is_(None),
                )
                .order_by(TrackedRequest.id)
            )
            return found.scalars().all()

    async def set(self, request_id: int, **values: Any) -> None:
        values.setdefault("updated_at", self.clock.now())
        async with self.sessions() as s, s.begin():
            await s.execute(
                update(TrackedRequest).where(TrackedRequest.id == request_id).values(**values)
            )

    async def in_flight(self) -> Sequence[TrackedRequest]:
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(TrackedRequest.state.in_(IN_FLIGHT_STATES))
                .order_by(TrackedRequest.id)
            )
            return found.scalars().all()

    async def count_in_flight(self) -> int:
        async with self.sessions() as s:
            found = await s.execute(
                select(func.count())
                .select_from(TrackedRequest)
                .where(TrackedRequest.state.in_(IN_FLIGHT_STATES))
            )
            return int(found.scalar_one())

    async def start_tracking(
        self, request_id: int, motive_id: str, answer: Answer, next_poll_at: datetime
    ) -> None:
        """Motive accepted the request: from now on it is polled."""
        await self.set(
            request_id,
            motive_id=motive_id,
            state=TRACKING,
            motive_status=PENDING,
            answer_data=answer_dump(answer),
            next_poll_at=next_poll_at,
            claimed_by=None,  # the creator's hold ends: the poller takes it from here
            claimed_until=None,
        )

    async def record_answer(
        self, request_id: int, answer: Answer, *, motive_done_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {
            "motive_status": answer.status,
            "answer_data": answer_dump(answer),
        }
        if motive_done_at is not None:
            values["motive_done_at"] = motive_done_at
        await self.set(request_id, **values)

    async def finish(self, request_id: int, state: str, now: datetime, problem: str | None) -> None:
        await self.set(
            request_id, state=state, finished_at=now, next_poll_at=None, last_error=problem
        )

    async def group(self, group_id: int) -> Sequence[TrackedRequest]:
        """The rows of a snapshot-all group, the leader first."""
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(TrackedRequest.group_id == group_id)
                .order_by(TrackedRequest.id)
            )
            return found.scalars().all()

    async def of_requester(
        self, user: str, *, finished: bool, limit: int = 20
    ) -> Sequence[TrackedRequest]:
        """One person's requests, newest first: those in flight, or the last finished."""
        states = FINAL_STATES if finished else IN_FLIGHT_STATES
        async with self.sessions() as s:
            found = await s.execute(
                select(TrackedRequest)
                .where(
                    TrackedRequest.requester == user,
                    TrackedRequest.state.in_(states),
                    # A snapshot-all group shows as its leader.
                    or_(
                        TrackedRequest.group_id.is_(None),
                        TrackedRequest.group_id == TrackedRequest.id,
                    ),
                )
                .order_by(TrackedRequest.id.desc())
                .limit(limit)
            )
            return found.scalars().all()

    async def all_requests(self) -> Sequence[TrackedRequest]:
        async with self.sessions() as s:
            return (
                (await s.execute(select(TrackedRequest).order_by(TrackedRequest.id)))
                .scalars()
                .all()
            )
