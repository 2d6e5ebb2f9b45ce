"""A request's thread when it is not its anchor's own (a message shortcut puts the anchor and
the results in the thread of the message it was used on), and snapshot-all groups (one row per
capture, tied to the row that owns the anchor).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tracked_requests", sa.Column("thread_ts", sa.String(length=32), nullable=True))
    op.add_column("tracked_requests", sa.Column("group_id", sa.Integer(), nullable=True))
    op.add_column("tracked_requests", sa.Column("group_positions", sa.JSON(), nullable=True))
    op.create_index("ix_tracked_requests_group_id", "tracked_requests", ["group_id"])


def downgrade() -> None:
    with op.batch_alter_table("tracked_requests") as batch:
        batch.drop_index("ix_tracked_requests_group_id")
        batch.drop_column("group_positions")
        batch.drop_column("group_id")
        batch.drop_column("thread_ts")
