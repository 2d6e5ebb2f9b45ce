"""Where and who on an anchor: the place, speed and driver at the requested minute, when
Motive's vehicle locations answered in time (see bot/tracking/whereabouts.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_requests") as batch:
        batch.add_column(sa.Column("whereabouts", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_requests") as batch:
        batch.drop_column("whereabouts")
