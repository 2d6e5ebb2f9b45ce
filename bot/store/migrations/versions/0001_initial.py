"""The schema as it was before migrations: requests and deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracked_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_name", sa.String(length=200), nullable=False),
        sa.Column("start_time", UTC_TIME, nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("recall_type", sa.String(length=16), nullable=True),
        sa.Column("cameras", sa.Text(), nullable=True),
        sa.Column("position", sa.String(length=32), nullable=True),
        sa.Column("camera_type", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("anchor_ts", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("motive_id", sa.String(length=64), nullable=True),
        sa.Column("motive_status", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", UTC_TIME, nullable=True),
        sa.Column("deadline", UTC_TIME, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("motive_done_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("dedupe_key", "motive_id", "next_poll_at", "state"):
        op.create_index(f"ix_tracked_requests_{column}", "tracked_requests", [column])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("posted_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["tracked_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "key"),
    )
    op.create_index("ix_deliveries_request_id", "deliveries", ["request_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("tracked_requests")
