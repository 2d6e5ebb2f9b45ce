"""Safety events: Motive's AI-dashcam events posted in Slack, one post per event, with its clips.

`routing` (the policy's `[safety_events]` section), `blocks` (the post, pure), `store` (one row
per event, claimed before any Slack call), `clips` (Motive's clip streamed into the thread),
`access` (the in-cab decision's one call site) and `service` (intake by webhook and by the
catch-up read, and the reconciling of what Motive says with what Slack shows).
"""
