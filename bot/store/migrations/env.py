"""Alembic environment: always handed a live connection by `bot.store.migrate`."""

from __future__ import annotations

from alembic import context

import bot.store.models  # (the audit trail's and the webhook trust's tables)
import bot.store.rate_bucket  # (its table is part of the schema)
import bot.store.safety_events  # noqa: F401  (its tables are part of the schema)
from bot.store.database import Base

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
