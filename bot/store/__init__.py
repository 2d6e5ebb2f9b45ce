"""Storage, SQLite or PostgreSQL; nothing here knows Slack.

- `models`: every table (requests, deliveries, the audit trail, the webhook's trust, Motive's
  rate bucket, safety events and their clips) and the words their state columns take.
- `database`: the connection (engine, sessions, the schema brought up to date).
- `requests`: `Store`, the one object the services share: the queries on tracked requests, and
  behind it `opening` (a request opened once: dedupe key, overlap, daily limit), `queue` (the
  polling queue's claims and leases) and `deliveries` (each post reserved once).
- `safety_events`, `rate_bucket`: the safety events' queries and claims; Motive's shared budget.
- `migrate`, `migrations/`: Alembic, at every start; `reach`: can the database be opened.
"""
