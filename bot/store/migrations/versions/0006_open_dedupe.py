"""One open request per dedupe key, enforced by the database.

Identical requests arriving together (a double submit, two dispatchers, two web replicas) used to
pass a read-then-insert check side by side. A partial unique index on the dedupe key of open
requests (those not finished: creating, tracking, or an ambiguous create still unresolved) makes
the insert itself the claim. `create_sent_at` records that a create went out, so an orphan found
later can be told apart from one that never asked Motive anything.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "uq_tracked_requests_open_dedupe"
OPEN = sa.text("finished_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("tracked_requests") as batch:
        batch.add_column(sa.Column("create_sent_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    rows = sa.table(
        "tracked_requests",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("dedupe_key", sa.String()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )
    # Ended rows written without an end time would count as open: give them one.
    bind.execute(
        rows.update()
        .where(rows.c.state.in_(("done", "failed", "unknown")), rows.c.finished_at.is_(None))
        .values(finished_at=rows.c.updated_at)
    )
    # Duplicates the old check let through stay tracked; the later ones get a key of their own.
    seen: set[str] = set()
    found = bind.execute(
        sa.select(rows.c.id, rows.c.dedupe_key)
        .where(rows.c.finished_at.is_(None))
        .order_by(rows.c.id)
    )
    for row_id, key in found.all():
        if key in seen:
            bind.execute(
                rows.update().where(rows.c.id == row_id).values(dedupe_key=f"{key}#{row_id}")
            )
        seen.add(key)
    op.create_index(
        INDEX,
        "tracked_requests",
        ["dedupe_key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="tracked_requests")
    with op.batch_alter_table("tracked_requests") as batch:
        batch.drop_column("create_sent_at")
