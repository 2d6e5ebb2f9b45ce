"""Storage: the tables (requests, deliveries, safety events, Motive's rate bucket), the
queries and the polling queue, the migrations, and the start-up check that the database is
reachable. SQLite or PostgreSQL; nothing here knows Slack."""
