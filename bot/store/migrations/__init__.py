"""Alembic migrations for the tracking store (run by `motive-bot migrate` and at start-up)."""
