"""Tables that other rooms read and write through their own services: the audit trail
(bot.access.audit) and the webhook's trust (bot.tracking.trust). They live here so that the
schema, and the migrations that follow it, belong to the store alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.database import Base, UTCDateTime


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
