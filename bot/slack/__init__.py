"""The Slack surface: the Bolt app, its listeners (one per file), and the ingress in front of
them. Listeners parse with bot.grammar, render with bot.render, and hand work to bot.requests."""
