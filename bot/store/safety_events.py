"""One row per Motive safety event, and one per clip delivered into its thread.

The event row is the claim: whoever holds it (an atomic UPDATE with a lease, as requests are
claimed) is the only process that posts, edits or uploads for that event, so a webhook arriving
twice, the catch-up read and a second replica all end in one post. Motive's last word about the
event is kept whole (`data`); `shown` is a digest of what the Slack post shows, so a change that
alters the post is an edit, and one that does not is nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.database import Base, Store, UTCDateTime
from motive.models import SafetyEvent

NEW, POSTED, WITHDRAWN, LEFT_OUT = "new", "posted", "withdrawn", "left_out"
# Clip rows: "posting" (reserved; a file id is kept before the share), then one of the others.
CLIP_POSTING, UPLOADED, LINKED, WITHHELD = "posting", "uploaded", "linked", "withheld"
CLIP_DONE = frozenset({UPLOADED, LINKED, WITHHELD})
# `shown` of a new event whose post was sent without its answer recorded (a crash, or Slack
# failing after posting): before posting again, the channel is searched for it.
POSTING = "posting"


class SafetyEventRow(Base):
    __tablename__ = "safety_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    motive_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))  # Motive's latest word
    posted_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_why: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    post_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    shown: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def event(self) -> SafetyEvent:
        return SafetyEvent.model_validate(self.data)


class SafetyClip(Base):
    __tablename__ = "safety_event_clips"
    __table_args__ = (UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("safety_events.id"), index=True)
    position: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ts: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def dump(event: SafetyEvent) -> dict[str, Any]:
    return event.model_dump(mode="json")


class EventStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, events: Sequence[SafetyEvent], now: datetime) -> None:
        """Keep Motive's latest word about each event: a new one becomes a row, once, however
        many processes record it together; only what changed is written (a read every few
        minutes of a quiet day writes nothing; presigned clip links do change, though)."""
        if not events:
            return
        insert = insert_for(self.store.is_sqlite)
        async with self.store.sessions() as s, s.begin():
            kept: dict[str, dict[str, Any]] = {}
            for chunk in _chunks([e.id for e in events], 500):
                found = await s.execute(
                    select(SafetyEventRow.motive_id, SafetyEventRow.data).where(
                        SafetyEventRow.motive_id.in_(chunk)
                    )
                )
                kept.update({str(m): d for m, d in found.all()})
            fresh = [
                {
                    "motive_id": e.id,
                    "type": e.type,
                    "start_time": e.start_time,
                    "data": dump(e),
                    "state": NEW,
                    "confirmed": False,
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for e in events
                if e.id not in kept
            ]
            if fresh:
                # Another replica may insert the same event meanwhile: the first row stands.
                await s.execute(insert(SafetyEventRow).on_conflict_do_nothing(), fresh)
            for e in events:
                if e.id in kept and kept[e.id] != (data := dump(e)):
                    await s.execute(
                        update(SafetyEventRow)
                        .where(SafetyEventRow.motive_id == e.id)
                        .values(type=e.type, data=data, updated_at=now)
                    )

    async def by_motive_ids(self, ids: Iterable[str]) -> dict[str, SafetyEventRow]:
        out: dict[str, SafetyEventRow] = {}
        async with self.store.sessions() as s:
            for chunk in _chunks(list(ids), 500):
                found = await s.execute(
                    select(SafetyEventRow).where(SafetyEventRow.motive_id.in_(chunk))
                )
                out.update({r.motive_id: r for r in found.scalars()})
        return out

    async def get(self, motive_id: str) -> SafetyEventRow | None:
        return (await self.by_motive_ids([motive_id])).get(motive_id)

    async def shown_between(self, start: datetime, end: datetime) -> Sequence[SafetyEventRow]:
        """Posted (not withdrawn) events that happened in [start, end]."""
        async with self.store.sessions() as s:
            found = await s.execute(
                select(SafetyEventRow).where(
                    SafetyEventRow.state == POSTED,
                    SafetyEventRow.start_time >= start,
                    SafetyEventRow.start_time <= end,
                )
            )
            return found.scalars().all()

    async def all(self) -> Sequence[SafetyEventRow]:
        async with self.store.sessions() as s:
            found = await s.execute(select(SafetyEventRow).order_by(SafetyEventRow.id))
            return found.scalars().all()

    async def claim(
        self, motive_id: str, worker: str, now: datetime, lease: timedelta
    ) -> SafetyEventRow | None:
        """Take the event for `lease` unless someone holds it; its row, or None."""
        async with self.store.sessions() as s, s.begin():
            result = await s.execute(
                update(SafetyEventRow)
                .where(
                    SafetyEventRow.motive_id == motive_id,
                    or_(
                        SafetyEventRow.claimed_until.is_(None),
                        SafetyEventRow.claimed_until < now,
                    ),
                )
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            if not getattr(result, "rowcount", 0):
                return None
        return await self.get(motive_id)

    async def set(self, row_id: int, now: datetime, **values: Any) -> None:
        async with self.store.sessions() as s, s.begin():
            await s.execute(
                update(SafetyEventRow)
                .where(SafetyEventRow.id == row_id)
                .values(updated_at=now, **values)
            )

    async def release(self, row_id: int, worker: str) -> None:
        async with self.store.sessions() as s, s.begin():
            await s.execute(
                update(SafetyEventRow)
                .where(SafetyEventRow.id == row_id, SafetyEventRow.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    # --- clips ----------------------------------------------------------------------------

    async def clips(self, event_ids: Iterable[int]) -> dict[int, dict[str, SafetyClip]]:
        out: dict[int, dict[str, SafetyClip]] = {}
        async with self.store.sessions() as s:
            for chunk in _chunks(list(event_ids), 500):
                found = await s.execute(select(SafetyClip).where(SafetyClip.event_id.in_(chunk)))
                for clip in found.scalars():
                    out.setdefault(clip.event_id, {})[clip.position] = clip
        return out

    async def begin_clip(
        self, event_id: int, position: str, now: datetime
    ) -> tuple[SafetyClip | None, bool]:
        """Reserve a clip delivery: (None, False) if it is done; else its row, and whether it
        is new (one that is not was left half-done: look in the thread before sending)."""
        values = {
            "event_id": event_id,
            "position": position,
            "status": CLIP_POSTING,
            "created_at": now,
        }
        insert = insert_for(self.store.is_sqlite)
        async with self.store.sessions() as s, s.begin():
            result = await s.execute(insert(SafetyClip).values(**values).on_conflict_do_nothing())
            fresh = bool(getattr(result, "rowcount", 0))
            found = await s.execute(
                select(SafetyClip).where(
                    SafetyClip.event_id == event_id, SafetyClip.position == position
                )
            )
            clip = found.scalar_one()
        return (None, False) if clip.status in CLIP_DONE else (clip, fresh)

    async def note_clip_file(self, clip_id: int, file_id: str) -> None:
        async with self.store.sessions() as s, s.begin():
            await s.execute(
                update(SafetyClip).where(SafetyClip.id == clip_id).values(file_id=file_id)
            )

    async def finish_clip(self, clip_id: int, status: str, ts: str | None, now: datetime) -> None:
        async with self.store.sessions() as s, s.begin():
            await s.execute(
                update(SafetyClip)
                .where(SafetyClip.id == clip_id)
                .values(status=status, ts=ts, posted_at=now)
            )


def insert_for(sqlite: bool) -> Any:
    """The dialect's INSERT (it has ON CONFLICT), imported on use as the request store does."""
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert

        return insert
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
