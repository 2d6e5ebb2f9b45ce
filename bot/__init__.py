"""The Slack side: listeners, Block Kit, tracking, delivery, configuration and entry points."""
