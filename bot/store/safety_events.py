"""Motive's safety events in the store: one row per event, and one per clip delivered into its
thread (the tables, and the words their states take, are in `models.py`).

The event row is the claim: whoever holds it (an atomic UPDATE with a lease, as requests are
claimed) is the only process that posts, edits or uploads for that event, so a webhook arriving
twice, the catch-up read and a second replica all end in one post. Motive's last word about the
event is kept whole (`data`); `shown` is a digest of what the Slack post shows, so a change that
alters the post is an edit, and one that does not is nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.store.database import Database, changed_rows, insert_for
from bot.store.models import CLIP_DONE, CLIP_POSTING, NEW, POSTED, SafetyClip, SafetyEventRow
from motive.models import SafetyEvent


def dump(event: SafetyEvent) -> dict[str, Any]:
    return event.model_dump(mode="json")


@dataclass(frozen=True)
class EventStore:
    """The safety events and their clips in `store`."""

    store: Database

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
            if not changed_rows(result):
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
            fresh = bool(changed_rows(result))
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


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
