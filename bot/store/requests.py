"""The store the services share: the queries on tracked requests, and, behind the same object,
the modules that own the rest (`opening.py`: a request opened once; `queue.py`: the polling
queue's claims; `deliveries.py`: posts reserved once). Nothing here knows Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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
    Delivery,
    Request,
    TrackedRequest,
    answer_dump,
)
from bot.store.opening import DailyLimit, Opening
from bot.store.queue import Progress, Queue
from motive.clock import Clock


class Store(Database):
    """One database and every query the bot makes of it: those on tracked requests here, the
    others handed to the opening, the queue and the deliveries, which share its connection."""

    def __init__(self, url: str, *, clock: Clock | None = None, echo: bool = False) -> None:
        super().__init__(url, clock=clock, echo=echo)
        self._opening = Opening(self)
        self._queue = Queue(self)
        self._deliveries = Deliveries(self)

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

    # --- opening and releasing requests (opening.py) ------------------------------------

    async def in_flight_duplicate(self, dedupe_key: str) -> TrackedRequest | None:
        return await self._opening.in_flight_duplicate(dedupe_key)

    async def open_overlapping(self, request: Request) -> TrackedRequest | None:
        return await self._opening.open_overlapping(request)

    async def open_request(
        self,
        row: TrackedRequest,
        *,
        worker: str,
        lease: timedelta,
        overlap: bool = True,
        limit: DailyLimit | None = None,
    ) -> TrackedRequest:
        return await self._opening.open_request(
            row, worker=worker, lease=lease, overlap=overlap, limit=limit
        )

    async def open_group(
        self, rows: Sequence[TrackedRequest], *, worker: str, lease: timedelta
    ) -> TrackedRequest:
        return await self._opening.open_group(rows, worker=worker, lease=lease)

    async def recall_minutes(self, user: str, since: datetime) -> int:
        return await self._opening.recall_minutes(user, since)

    async def release(self, request_id: int) -> None:
        await self._opening.release(request_id)

    # --- the polling queue's claims (queue.py) ------------------------------------------

    async def claim(self, request_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        return await self._queue.claim(request_id, worker, now, lease)

    async def claim_due(
        self, worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[TrackedRequest]:
        return await self._queue.claim_due(worker, now, lease, limit)

    async def claim_rows(
        self,
        request_ids: Sequence[int],
        worker: str,
        now: datetime,
        lease: timedelta,
        *,
        due_now: bool = False,
    ) -> list[TrackedRequest]:
        return await self._queue.claim_rows(request_ids, worker, now, lease, due_now=due_now)

    async def count_due(self, now: datetime) -> int:
        return await self._queue.count_due(now)

    async def extend_claim(self, request_id: int, worker: str, until: datetime) -> bool:
        return await self._queue.extend_claim(request_id, worker, until)

    async def release_many(
        self, worker: str, updates: Sequence[tuple[int, Progress | None]]
    ) -> None:
        await self._queue.release_many(worker, updates)

    async def clear_claims(self) -> int:
        return await self._queue.clear_claims()

    async def orphans(self, now: datetime, quiet: timedelta) -> Sequence[TrackedRequest]:
        return await self._queue.orphans(now, quiet)

    # --- deliveries (deliveries.py) -----------------------------------------------------

    async def begin_delivery(
        self, request_id: int, key: str, now: datetime
    ) -> tuple[Delivery | None, bool]:
        return await self._deliveries.begin_delivery(request_id, key, now)

    async def delivery(self, request_id: int, key: str) -> Delivery | None:
        return await self._deliveries.delivery(request_id, key)

    async def delivery_pending_since(self, request_id: int) -> datetime | None:
        return await self._deliveries.delivery_pending_since(request_id)

    async def note_delivery_file(self, delivery_id: int, file_id: str) -> None:
        await self._deliveries.note_delivery_file(delivery_id, file_id)

    async def finish_delivery(self, delivery_id: int, ts: str | None, now: datetime) -> None:
        await self._deliveries.finish_delivery(delivery_id, ts, now)

    async def deliveries(self, request_id: int | None = None) -> Sequence[Delivery]:
        return await self._deliveries.deliveries(request_id)
