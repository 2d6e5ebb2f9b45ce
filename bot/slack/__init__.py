"""The Slack surface: the Bolt app, its listeners, Block Kit builders, the command grammar,
and the hand-over of a valid request to Motive."""
