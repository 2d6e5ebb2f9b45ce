"""A Slack request as Bolt's own constructor builds it, with one of Bolt's misreadings put right.

Bolt (1.30) takes any form body holding the word "payload" anywhere for an interaction's
`payload=` field and, finding no such field, reads the request as empty: a slash command whose
text says "payload" would get Bolt's 404 and be lost. Such a body is read here as the form it
is, by Bolt's own constructor (handed the fields), and keeps its raw text for Bolt's signature
check. Every other request is exactly what Bolt's Starlette adapter would build.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from slack_bolt.request.async_request import AsyncBoltRequest

FORM = "application/x-www-form-urlencoded"


def misread_form(text: str, content_type: str | None) -> dict[str, str] | None:
    """The fields of a form body Bolt reads as empty; None for any body Bolt reads right."""
    if not text or "payload" not in text or text.startswith("{"):
        return None
    if content_type not in (None, FORM):
        return None
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return None if "payload" in fields else fields


def bolt_request(text: str, query: str, headers: dict[str, str]) -> AsyncBoltRequest:
    request = AsyncBoltRequest(body=text, query=query, headers=headers)  # type: ignore[arg-type]
    fields = misread_form(text, request.content_type)
    if fields is not None:
        # Bolt's constructor takes a body already read only outside HTTP mode: the request it
        # builds from the fields lends its body and context, and this one keeps the raw text.
        read = AsyncBoltRequest(
            body=dict(fields),
            query=query,
            headers=headers,  # type: ignore[arg-type]
            mode="socket_mode",
        )
        request.body, request.context = read.body, read.context
    return request
