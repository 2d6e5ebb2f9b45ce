"""What many rooms' tests share: the running stack and its fixtures (`stack`, registered by
tests/conftest.py), Slack's payloads as Slack sends them (`slack_corpus`), sending them signed
over HTTP or as Socket Mode envelopes (`slack_via`), and a database proxy that can go away
(`dbproxy`)."""
