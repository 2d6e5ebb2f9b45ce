"""Deliveries: each post into a request's thread is a row with a unique key (the links, the
image, the final word), reserved before it is posted, so nothing is posted twice. A reservation
left half-done (a crash, Slack failing) is found again, and its thread looked in before posting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.store.database import Database, changed_rows, insert_for
from bot.store.models import Delivery


@dataclass(frozen=True)
class Deliveries:
    """The delivery rows in `db`."""

    db: Database

    async def begin_delivery(
        self, request_id: int, key: str, now: datetime
    ) -> tuple[Delivery | None, bool]:
        """Reserve a delivery: (None, False) if it was posted already; else the row, and whether
        it is new. A row that is not new was left half-done (a crash, or Slack failing): the
        caller looks in the thread before posting again."""
        values = {"request_id": request_id, "key": key, "status": "posting", "created_at": now}
        async with self.db.sessions() as s, s.begin():
            insert = insert_for(self.db.is_sqlite)
            result = await s.execute(insert(Delivery).values(**values).on_conflict_do_nothing())
            fresh = bool(changed_rows(result))
            found = await s.execute(
                select(Delivery).where(Delivery.request_id == request_id, Delivery.key == key)
            )
            row = found.scalar_one()
        return (None, False) if row.status == "posted" else (row, fresh)

    async def delivery(self, request_id: int, key: str) -> Delivery | None:
        async with self.db.sessions() as s:
            found = await s.execute(
                select(Delivery).where(Delivery.request_id == request_id, Delivery.key == key)
            )
            return found.scalar_one_or_none()

    async def delivery_pending_since(self, request_id: int) -> datetime | None:
        """When the oldest of the request's deliveries not yet in Slack was first tried."""
        async with self.db.sessions() as s:
            found = await s.execute(
                select(func.min(Delivery.created_at)).where(
                    Delivery.request_id == request_id, Delivery.status == "posting"
                )
            )
            value = found.scalar_one_or_none()
        if isinstance(value, str):  # SQLite's aggregate comes back as text
            value = datetime.fromisoformat(value)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    async def note_delivery_file(self, delivery_id: int, file_id: str) -> None:
        """Remember an upload's file id before it is shared, so a crash can be followed up."""
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(Delivery).where(Delivery.id == delivery_id).values(file_id=file_id)
            )

    async def finish_delivery(self, delivery_id: int, ts: str | None, now: datetime) -> None:
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status="posted", ts=ts, posted_at=now)
            )

    async def deliveries(self, request_id: int | None = None) -> Sequence[Delivery]:
        async with self.db.sessions() as s:
            q = select(Delivery).order_by(Delivery.id)
            if request_id is not None:
                q = q.where(Delivery.request_id == request_id)
            return (await s.execute(q)).scalars().all()
