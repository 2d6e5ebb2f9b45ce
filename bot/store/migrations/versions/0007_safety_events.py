"""Safety events: one row per Motive event (its post, its state, the claim that makes it posted
once from any replica), and one per clip delivered into its thread (see bot/store/safety_events.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "safety_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("motive_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("posted_type", sa.String(length=64), nullable=True),
        sa.Column("start_time", UTC_TIME, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_why", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("post_ts", sa.String(length=32), nullable=True),
        sa.Column("shown", sa.String(length=64), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("first_seen_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_safety_events_start_time", "safety_events", ["start_time"])
    op.create_index("ix_safety_events_state", "safety_events", ["state"])
    op.create_table(
        "safety_event_clips",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("safety_events.id"), nullable=False),
        sa.Column("position", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("posted_at", UTC_TIME, nullable=True),
        sa.UniqueConstraint("event_id", "position"),
    )
    op.create_index("ix_safety_event_clips_event_id", "safety_event_clips", ["event_id"])


def downgrade() -> None:
    op.drop_table("safety_event_clips")
    op.drop_table("safety_events")
