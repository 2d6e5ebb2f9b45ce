"""Following requests at Motive until they finish (the worker, its schedule and decisions, the
webhook and its trust), delivering the result exactly once, and safety events."""
