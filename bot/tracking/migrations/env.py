"""Alembic environment: always handed a live connection by `bot.tracking.migrate`."""

from __future__ import annotations

from alembic import context

import bot.audit  # (its table is part of the schema)
import bot.safety.store  # (its tables are part of the schema)
import bot.tracking.ratelimit  # (its table is part of the schema)
import bot.tracking.trust  # noqa: F401  (its table is part of the schema)
from bot.tracking.store import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
