"""The schema: every table the bot keeps, and the words its state columns hold. The queries are
in the modules beside this one; the migrations (`migrations/`) follow these classes, and
`tests/store/test_migrations.py` fails when the two differ.

- `TrackedRequest`: one dispatcher request, its Motive id, its place in the polling queue (the
  claim columns) and Motive's last answer; `Delivery`: one post into its thread, reserved once.
- `AuditEntry`: the audit trail (`bot.access.audit`); `WebhookTrustRow`: whether Motive's
  webhooks are trusted (`bot.tracking.trust`); `RateBucketRow`: Motive's rate limit, shared
  (`bot.store.rate_bucket`); `SafetyEventRow`, `SafetyClip`: safety events and their clips
  (`bot.store.safety_events`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, cast

from pydantic import TypeAdapter
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motive.models import ImageCapture, Recall, SafetyEvent
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
# Motive's status word for a request it accepted and we have not polled yet.
PENDING = "pending"
Kind = Literal["recall", "snapshot"]


# A safety event's states.
NEW, POSTED, WITHDRAWN, LEFT_OUT = "new", "posted", "withdrawn", "left_out"
# Clip rows: "posting" (reserved; a file id is kept before the share), then one of the others.
CLIP_POSTING, UPLOADED, LINKED, WITHHELD = "posting", "uploaded", "linked", "withheld"
CLIP_DONE = frozenset({UPLOADED, LINKED, WITHHELD})
# `shown` of a new event whose post was sent without its answer recorded (a crash, or Slack
# failing after posting): before posting again, the channel is searched for it.
POSTING = "posting"


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


# The table itself, for Core statements (a CTE, RETURNING every column, executemany): the ORM
# types `__table__` as any FROM clause.
TRACKED_REQUESTS = cast(Table, TrackedRequest.__table__)


def answer_dump(answer: Answer) -> dict[str, Any]:
    return answer.model_dump(mode="json")


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


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # request | refusal | refresh | delivery | link_open
    event: Mapped[str] = mapped_column(String(16))
    user: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # recall | snapshot
    target: Mapped[str] = mapped_column(String(200), index=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cameras: Mapped[str] = mapped_column(String(200))  # comma-separated; "all" for all
    decision: Mapped[str] = mapped_column(String(16))  # allowed | narrowed | refused
    rule: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    motive_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(Text)


class WebhookTrustRow(Base):
    __tablename__ = "webhook_trust"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why it is not trusted (None while trusted, or before any webhook came).
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The recall whose unannounced finish ended the trust, for the log and /healthz.
    motive_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RateBucketRow(Base):
    __tablename__ = "motive_rate_bucket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    capacity: Mapped[float] = mapped_column(Float)
    refill_per_second: Mapped[float] = mapped_column(Float)
    stamp: Mapped[datetime] = mapped_column(UTCDateTime)


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
