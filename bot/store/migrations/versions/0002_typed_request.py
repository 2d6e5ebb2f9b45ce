"""One request, one shape: the validated request and Motive's last answer as JSON.

The request's fields (target, window, type, cameras, position), copied by hand into columns
before, become the request's own dump in `request_data`; Motive's last answer moves from a JSON
string in `result` to `answer_data`. Deliveries remember an upload's Slack file id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
OLD_COLUMNS = (
    sa.Column("target_kind", sa.String(length=16), nullable=True),
    sa.Column("target_name", sa.String(length=200), nullable=True),
    sa.Column("start_time", UTC_TIME, nullable=True),
    sa.Column("duration", sa.Integer(), nullable=True),
    sa.Column("recall_type", sa.String(length=16), nullable=True),
    sa.Column("cameras", sa.Text(), nullable=True),
    sa.Column("position", sa.String(length=32), nullable=True),
    sa.Column("camera_type", sa.String(length=16), nullable=True),
    sa.Column("result", sa.Text(), nullable=True),
)


def _table(*columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("tracked_requests", sa.column("id", sa.Integer()), *columns)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _request(row: Any) -> dict[str, Any]:
    target = {"kind": row.target_kind, "name": row.target_name}
    if row.kind == "snapshot":
        return {"target": target, "position": row.position}
    return {
        "target": target,
        "start_time": _iso(row.start_time),
        "duration": row.duration,
        "recall_type": row.recall_type or "regular",
        "camera_positions": json.loads(row.cameras) if row.cameras else None,
    }


def upgrade() -> None:
    with op.batch_alter_table("tracked_requests") as batch:
        batch.add_column(sa.Column("request_data", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("answer_data", sa.JSON(), nullable=True))
    old = _table(
        sa.column("kind", sa.String()),
        *(sa.column(c.name, c.type) for c in OLD_COLUMNS),
    )
    new = _table(sa.column("request_data", sa.JSON()), sa.column("answer_data", sa.JSON()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(old)).all():
        bind.execute(
            new.update()
            .where(new.c.id == row.id)
            .values(
                request_data=_request(row),
                answer_data=json.loads(row.result) if row.result else None,
            )
        )
    with op.batch_alter_table("tracked_requests") as batch:
        batch.alter_column("request_data", existing_type=sa.JSON(), nullable=False)
        for column in OLD_COLUMNS:
            batch.drop_column(column.name)
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("file_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("file_id")
    with op.batch_alter_table("tracked_requests") as batch:
        for column in OLD_COLUMNS:
            batch.add_column(sa.Column(column.name, column.type, nullable=True))
    both = _table(
        sa.column("request_data", sa.JSON()),
        sa.column("answer_data", sa.JSON()),
        *(sa.column(c.name, c.type) for c in OLD_COLUMNS),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(both)).all():
        req: dict[str, Any] = row.request_data or {}
        target = req.get("target") or {}
        cameras = req.get("camera_positions")
        start = req.get("start_time")
        answer = row.answer_data
        bind.execute(
            both.update()
            .where(both.c.id == row.id)
            .values(
                target_kind=target.get("kind"),
                target_name=target.get("name"),
                start_time=datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None,
                duration=req.get("duration"),
                recall_type=req.get("recall_type") if "start_time" in req else None,
                cameras=json.dumps(cameras) if cameras is not None else None,
                position=req.get("position"),
                camera_type=(answer or {}).get("camera_type") if "position" in req else None,
                result=json.dumps(answer) if answer is not None else None,
            )
        )
    with op.batch_alter_table("tracked_requests") as batch:
        batch.alter_column("target_kind", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("target_name", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("answer_data")
        batch.drop_column("request_data")
