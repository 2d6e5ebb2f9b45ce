"""Whether Motive's completion webhook is trusted: one row, shared by every replica
(see bot/tracking/trust.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_trust",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("last_verified_at", UTC_TIME, nullable=True),
        sa.Column("changed_at", UTC_TIME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("motive_id", sa.String(length=64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("webhook_trust")
