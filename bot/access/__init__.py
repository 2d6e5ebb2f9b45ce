"""Who may see what: the access policy file, the privacy decision that applies it to every
request and button, the audit trail of those decisions, and the fleet lookups (vehicles, assets,
users' zones) they read. No Block Kit and no Slack listeners here."""
