"""Alembic environment: always handed a live connection by `bot.store.migrate`."""

from __future__ import annotations

from alembic import context

from bot.store.models import Base  # every table of the schema is declared there

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
