"""Calls to Slack's Web API that more than one room makes: the client with its retry handlers,
user groups, and posting helpers."""
