"""The offline stack: the bot with no Slack workspace and no Motive account.

- `stack.py`: `build_stack()`, the one assembly of the bot, the Motive simulator and the fake
  Slack on one clock (in-process or served on loopback), and `Stack`, Slack's side of the talk.
- `signing.py`: slash-command and interaction bodies, signed as Slack signs them.
- `fakeslack.py`: the fake Slack Web API, checked against Slack's OpenAPI file (`slack_spec/`).
- `blockkit_check.py`: every message, view and response_url body the fake receives, judged by
  slack_sdk's Block Kit models and Slack's limits.
- `socket_mode.py`: a fake of Slack's Socket Mode server.
- `loopback.py`: serving an ASGI app on 127.0.0.1 inside the running event loop.
- The console (`motive-bot console`): `console.py` (the runner), `printer.py` (the channel
  transcript), `transcript.py` (Block Kit as text), `forms.py` (modals field by field),
  `prompt.py` (input and history).
"""
