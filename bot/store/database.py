"""The tracking store: every request and every delivery, in SQLite or PostgreSQL.

State lives here, not in memory: a restart, a crash or a second replica rebuilds from these rows.
The table is also the polling queue: workers claim the rows that are due (a lease with an expiry,
taken atomically, see `claim_due`), so a request is polled once per due time by one worker; a
delivery is a row with a unique key, so nothing is posted twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from pydantic import TypeAdapter
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.config import async_database_url
from motive.clock import Clock, SystemClock
from motive.models import ImageCapture, Recall
from motive.rules import RecallRequest, SnapshotRequest

# Our states. "creating": anchor posted, Motive create under way (a crash here leaves the outcome
# unknown, and we say so rather than create twice). "tracking": Motive has it, we poll.
CREATING, TRACKING, DONE, FAILED, UNKNOWN = "creating", "tracking", "done", "failed", "unknown"
FINAL_STATES = frozenset({DONE, FAILED, UNKNOWN})
IN_FLIGHT_STATES = frozenset({CREATING, TRACKING})
# An open request is one not finished (`finished_at` unset): creating, tracking, or an ambiguous
# create ("unknown") that nobody has resolved yet. Open requests form the duplicate set, and the
# database keeps one open row per dedupe key (a partial unique index), so the insert is the claim.
OPEN_DEDUPE_INDEX = "uq_tracked_requests_open_dedupe"
# What a call to the database fails with when it is away (no answer, a dropped connection).
DATABASE_FAILURES = (SQLAlchemyError, OSError, asyncio.TimeoutError)
# Motive's status word for a request it accepted and we have not polled yet.
PENDING = "pending"
Kind = Literal["recall", "snapshot"]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, whatever the backend kept."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


Request = RecallRequest | SnapshotRequest
Answer = Recall | ImageCapture

_RECALL = TypeAdapter(RecallRequest)
_SNAPSHOT = TypeAdapter(SnapshotRequest)


def kind_of(request: Request) -> Kind:
    return "recall" if isinstance(request, RecallRequest) else "snapshot"


class TrackedRequest(Base):
    """One dispatcher request. What was asked is the validated request itself, kept as its
    pydantic dump (`request`); Motive's last answer likewise (`answer`). The other columns are
    the bot's own bookkeeping and the few fields the queries select on."""

    __tablename__ = "tracked_requests"
    __table_args__ = (
        Index(
            OPEN_DEDUPE_INDEX,
            "dedupe_key",
            unique=True,
            sqlite_where=text("finished_at IS NULL"),
            postgresql_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # recall | snapshot
    dedupe_key: Mapped[str] = mapped_column(String(300), index=True)
    request_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    requester: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    anchor_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The thread results go to when it is not the anchor's own (a message shortcut's message:
    # the anchor is a reply in that message's thread).
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Snapshots of every camera at once: one row per capture, all with the id of the row that
    # owns the anchor and delivers the images together (the leader, whose group_id is its own
    # id and whose group_positions lists the group's cameras).
    group_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    group_positions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    motive_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    motive_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answer_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    motive_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set just before the create goes to Motive: an orphan without it never asked anything.
    create_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The place, speed and driver at the requested minute (bot/tracking/whereabouts.py).
    whereabouts: Mapped[str | None] = mapped_column(Text, nullable=True)

    @classmethod
    def new(
        cls,
        request: Request,
        *,
        requester: str,
        channel: str,
        now: datetime,
        deadline: datetime,
        note: str | None = None,
        state: str = CREATING,
    ) -> TrackedRequest:
        row = cls(
            kind=kind_of(request),
            dedupe_key=request.dedupe_key(),
            note=note,
            requester=requester,
            channel=channel,
            state=state,
            attempts=0,
            deadline=deadline,
            created_at=now,
            updated_at=now,
        )
        row.request = request
        return row

    @property
    def request(self) -> Request:
        """The stored request, read back through its own checks (a row that breaks Motive's
        rules is a pydantic `ValidationError` carrying the `RuleViolation`)."""
        if self.kind == "recall":
            return _RECALL.validate_python(self.request_data)
        return _SNAPSHOT.validate_python(self.request_data)

    @request.setter
    def request(self, value: Request) -> None:
        adapter: TypeAdapter[Any] = _RECALL if isinstance(value, RecallRequest) else _SNAPSHOT
        self.request_data = adapter.dump_python(value, mode="json")

    @property
    def answer(self) -> Answer | None:
        """Motive's last answer about this request, as its model (None before the first)."""
        if self.answer_data is None:
            return None
        if self.kind == "recall":
            return Recall.model_validate(self.answer_data)
        return ImageCapture.model_validate(self.answer_data)

    @property
    def thread(self) -> str | None:
        """The thread the results go into."""
        return self.thread_ts or self.anchor_ts

    # Read-only views of the request, for logs and tests.
    @property
    def target_name(self) -> str:
        return str(self.request_data["target"]["name"])

    @property
    def duration(self) -> int | None:
        req = self.request
        return req.duration if isinstance(req, RecallRequest) else None

    @property
    def position(self) -> str | None:
        req = self.request
        return req.position.value if isinstance(req, SnapshotRequest) else None

    @property
    def camera_type(self) -> str | None:
        """A snapshot's camera type: Motive's word from its last answer, else the request's."""
        req = self.request
        if not isinstance(req, SnapshotRequest):
            return None
        answer = self.answer
        if isinstance(answer, ImageCapture) and answer.camera_type:
            return answer.camera_type
        return req.camera_type.value

    @property
    def camera_list(self) -> list[str] | None:
        req = self.request
        if not isinstance(req, RecallRequest) or req.camera_positions is None:
            return None
        return [p.value for p in req.camera_positions]


def answer_dump(answer: Answer) -> dict[str, Any]:
    return answer.model_dump(mode="json")


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
class DailyLimit:
    """A requester's daily recall minutes, checked in the claim's transaction."""

    minutes: int
    since: datetime  # the start of the requester's day


class DailyLimitReached(Exception):
    """The recall would take its requester past the daily limit (`used` minutes already)."""

    def __init__(self, used: int) -> None:
        super().__init__(f"{used} minutes used today")
        self.used = used


# The advisory-lock space of the claims' locks (PostgreSQL), apart from the migrations' lock.
CLAIM_LOCKS = 23


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("request_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("tracked_requests.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # e.g. "links", "image", "final"
    status: Mapped[str] = mapped_column(String(16))  # posting | posted
    # An upload's Slack file id, kept before the upload is shared into the thread: after a
    # crash it is what the thread is searched for (people never see a marker).
    file_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ts: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def insert_for(sqlite: bool) -> Any:
    """The dialect's INSERT, which has ON CONFLICT; imported on use, so that a SQLite process
    never loads the PostgreSQL dialect (~30 ms of every start)."""
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert

        return insert
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert


class Store:
    def __init__(self, url: str, *, clock: Clock | None = None, echo: bool = False) -> None:
        self.clock: Clock = clock or SystemClock()
        self.url = async_database_url(url)
        # hide_parameters: a failing statement's error (logged) must not carry its values: the
        # notes people write, user ids, Motive's links.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_size"] = 10
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def create_schema(self) -> None:
        """Bring the schema up to date (Alembic migrations, under a lock)."""
        from bot.store.migrate import migrate  # the migrations import this module

        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.sessions() as s:
            await s.execute(select(1))

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

    async def in_flight_duplicate(self, dedupe_key: str) -> TrackedRequest | None:
        """The open request with this key, if any (in flight, or an unresolved ambiguous create)."""
        async with self.sessions() as s:
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
        async with self.sessions() as s:
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
                async with self.sessions() as s, s.begin():
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
                async with self.sessions() as s, s.begin():
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
        if self.is_sqlite:
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
        async with self.sessions() as s:
            return await self._minutes(s, user, since)

    async def release(self, request_id: int) -> None:
        """Drop a request that never reached Motive (a pre-flight check said no, or the anchor
        could not be posted), with its group if it leads one: its keys are free again."""
        async with self.sessions() as s, s.begin():
            await s.execute(
                delete(TrackedRequest).where(
                    or_(TrackedRequest.id == request_id, TrackedRequest.group_id == request_id)
                )
            )

    async def orphans(self, now: datetime, quiet: timedelta) -> Sequence[TrackedRequest]:
        """Requests left "creating" whose holder is gone: its claim lapsed, or (unclaimed: the
        claim cleared at start-up, or a writer that takes none) nothing moved for `quiet`."""
        async with self.sessions() as s:
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

    async def extend_claim(self, request_id: int, worker: str, until: datetime) -> bool:
        """Hold a claim longer (a delivery about to run); False if this worker lost it."""
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(TrackedRequest.id == request_id, TrackedRequest.claimed_by == worker)
                .values(claimed_until=until)
            )
            return bool(getattr(result, "rowcount", 0))

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

    async def claim(self, request_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        """Take the row for `lease`, unless someone holds it (even this worker: a webhook and a
        scheduled poll must not run at once). One atomic UPDATE on both backends."""
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(
                    TrackedRequest.id == request_id,
                    TrackedRequest.state.in_(IN_FLIGHT_STATES),
                    or_(TrackedRequest.claimed_until.is_(None), TrackedRequest.claimed_until < now),
                )
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            return bool(getattr(result, "rowcount", 0))

    async def claim_due(
        self, worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[TrackedRequest]:
        """The polling queue: claim and read up to `limit` tracked requests whose next poll has
        come and that nobody holds, the most overdue first, in one statement. On PostgreSQL the
        rows are picked `FOR UPDATE SKIP LOCKED`: workers claiming together take different rows
        and never wait on each other; SQLite runs the one statement as its single writer."""
        table = cast(Table, TrackedRequest.__table__)
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
        async with self.engine.begin() as conn:
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
        table = cast(Table, TrackedRequest.__table__)
        ids = list(request_ids)
        free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        async with self.engine.begin() as conn:
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
        async with self.sessions() as s:
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

    async def clear_claims(self) -> int:
        """Drop every claim. Only for SQLite, where one process owns the database: claims left
        by a crashed predecessor would otherwise hold its requests until their leases ran out."""
        assert self.is_sqlite, "with PostgreSQL other workers may be alive: let leases expire"
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                update(TrackedRequest)
                .where(TrackedRequest.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def release_many(
        self, worker: str, updates: Sequence[tuple[int, Progress | None]]
    ) -> None:
        """Give many claims back in one transaction: rows with progress get it written, with
        one statement per distinct set of columns; rows without just lose the claim."""
        table = cast(Table, TrackedRequest.__table__)
        stamp = self.clock.now()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for request_id, progress in updates:
            values = progress.columns() if progress is not None else {}
            cols = tuple(sorted(values))
            params = {f"v_{k}": v for k, v in values.items()}
            params["v_rid"] = request_id
            groups.setdefault(cols, []).append(params)
        async with self.engine.begin() as conn:
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

    # --- deliveries -----------------------------------------------------------------------

    async def begin_delivery(
        self, request_id: int, key: str, now: datetime
    ) -> tuple[Delivery | None, bool]:
        """Reserve a delivery: (None, False) if it was posted already; else the row, and whether
        it is new. A row that is not new was left half-done (a crash, or Slack failing): the
        caller looks in the thread before posting again."""
        values = {"request_id": request_id, "key": key, "status": "posting", "created_at": now}
        async with self.sessions() as s, s.begin():
            insert = insert_for(self.is_sqlite)
            result = await s.execute(insert(Delivery).values(**values).on_conflict_do_nothing())
            fresh = bool(getattr(result, "rowcount", 0))
            found = await s.execute(
                select(Delivery).where(Delivery.request_id == request_id, Delivery.key == key)
            )
            row = found.scalar_one()
        return (None, False) if row.status == "posted" else (row, fresh)

    async def delivery(self, request_id: int, key: str) -> Delivery | None:
        async with self.sessions() as s:
            found = await s.execute(
                select(Delivery).where(Delivery.request_id == request_id, Delivery.key == key)
            )
            return found.scalar_one_or_none()

    async def delivery_pending_since(self, request_id: int) -> datetime | None:
        """When the oldest of the request's deliveries not yet in Slack was first tried."""
        async with self.sessions() as s:
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
        async with self.sessions() as s, s.begin():
            await s.execute(
                update(Delivery).where(Delivery.id == delivery_id).values(file_id=file_id)
            )

    async def finish_delivery(self, delivery_id: int, ts: str | None, now: datetime) -> None:
        async with self.sessions() as s, s.begin():
            await s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status="posted", ts=ts, posted_at=now)
            )

    async def deliveries(self, request_id: int | None = None) -> Sequence[Delivery]:
        async with self.sessions() as s:
            q = select(Delivery).order_by(Delivery.id)
            if request_id is not None:
                q = q.where(Delivery.request_id == request_id)
            return (await s.execute(q)).scalars().all()

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


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL: readers do not block the writer, and a commit appends to the log. synchronous=FULL
    # keeps every commit across a power cut; it measured no dearer than NORMAL here.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def new_worker_id() -> str:
    return uuid.uuid4().hex[:12]
