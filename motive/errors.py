"""The exception tree, in the style of openai-python: one class per kind of failure.

Everything `MotiveClient` raises about Motive is a `MotiveError`; catch a branch to handle a
kind of failure. "Retried" means retried by `MotiveClient.request` itself, with jittered backoff,
up to `max_retries` times (a presigned media download is tried once). "Unknown" means a create may
or may not have been carried out: it is never retried (that could spend quota twice) and the user
is told to check. (`tests/motive/test_error_tree.py` holds this drawing to the classes below.)

    MotiveError                     anything that went wrong talking to Motive
    ├── APIConnectionError          Motive not reached (`sent` False), or the connection broke
    │   │                           after a call creating nothing was sent (`sent` True); retried
    │   ├── APITimeoutError         no answer in time to a call that creates nothing; retried
    │   └── OutcomeUnknownError     a create was sent and no answer came back (timeout, broken
    │                               connection); never retried; unknown
    ├── APIStatusError              an error status with no class of its own; not retried
    │   ├── BadRequestError         400; not retried
    │   ├── AuthenticationError     401: a missing or revoked key; not retried
    │   ├── PermissionDeniedError   403; not retried
    │   ├── NotFoundError           404; not retried
    │   ├── ConflictError           409 (never raised itself: a 409 is a DuplicateRequestError)
    │   │   └── DuplicateRequestError   409, or 422 saying "duplicate": Motive already has this
    │   │                               request in flight; not retried
    │   ├── UnprocessableEntityError    422 with no class of its own; not retried
    │   │   └── NoFootageError      422 mentioning footage: the window has none; not retried
    │   ├── RateLimitError          429 without "quota": retried after Retry-After (or backoff),
    │   │                           raised at once if Retry-After is beyond `retry_cap_seconds`
    │   ├── QuotaExhaustedError     422 or 429 saying "quota": the month's recalls are spent;
    │   │                           not retried
    │   └── InternalServerError     5xx: retried, except on a create, where only a 503 is retried
    │                               (another 5xx may follow a create that happened: unknown)
    └── UnexpectedResponseError     2xx with a body that is not JSON or not the expected shape;
                                    not retried; on a create, unknown (Motive may have acted)

A request that breaks Motive's rules is refused before anything is sent, with a
`motive.rules.RuleViolation` (a `ValueError`, not part of this tree).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from motive import contract


class MotiveError(Exception):
    """Anything that went wrong talking to Motive."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(MotiveError):
    """Motive could not be reached."""

    def __init__(self, message: str = "Could not reach Motive.", *, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """Motive did not answer in time."""

    def __init__(self, message: str = "Motive did not answer in time.", *, sent: bool = True):
        super().__init__(message, sent=sent)


class OutcomeUnknownError(APIConnectionError):
    """A create was sent but no answer came back: Motive may or may not have acted on it.

    Never retried automatically, because a retry could spend quota twice.
    """

    def __init__(self, message: str = "Motive may or may not have created the request.") -> None:
        super().__init__(message, sent=True)


class UnexpectedResponseError(MotiveError):
    """Motive answered 2xx with a body we cannot read."""


class APIStatusError(MotiveError):
    """Motive answered with an error status. `message` is Motive's own reason where it gave one."""

    status_code: int = 0

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class DuplicateRequestError(ConflictError):
    """Motive already has this request in flight (409, or 422 saying "duplicate")."""


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class NoFootageError(UnprocessableEntityError):
    """The window has no recorded footage (422 mentioning footage)."""


class RateLimitError(APIStatusError):
    status_code = 429

    def __init__(
        self, message: str, *, response: httpx.Response, body: object, retry_after: float | None
    ) -> None:
        super().__init__(message, response=response, body=body)
        self.retry_after = retry_after


class QuotaExhaustedError(APIStatusError):
    """The monthly recall quota is spent (422 or 429 with "quota" in the message). Not retried."""


class InternalServerError(APIStatusError):
    status_code = 500


def extract_message(body: object, fallback: str) -> str:
    """Motive's reason, from `error_message`, `message` or `errors` (a list or an object of lists)."""
    if isinstance(body, dict):
        for key in contract.ERROR_MESSAGE_FIELDS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        errors = body.get(contract.ERROR_LIST_FIELD)
        parts: list[str] = []
        if isinstance(errors, list):
            parts = [str(e) for e in errors if str(e).strip()]
        elif isinstance(errors, dict):
            for field, msgs in errors.items():
                items = msgs if isinstance(msgs, list) else [msgs]
                parts.extend(f"{field} {m}" if field not in str(m) else str(m) for m in items)
        elif isinstance(errors, str):
            parts = [errors]
        if parts:
            return "; ".join(parts)
    if isinstance(body, str) and body.strip() and len(body) < 500:
        return body.strip()
    return fallback


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def error_from_response(response: httpx.Response) -> APIStatusError:
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = response.text
    status = response.status_code
    message = extract_message(body, f"Motive answered HTTP {status}.")
    lowered = message.lower()
    kw: dict[str, Any] = {"response": response, "body": body}
    if status in (422, 429) and "quota" in lowered:
        return QuotaExhaustedError(message, **kw)
    if status == 400:
        return BadRequestError(message, **kw)
    if status == 401:
        return AuthenticationError(message, **kw)
    if status == 403:
        return PermissionDeniedError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status == 409:
        return DuplicateRequestError(message, **kw)
    if status == 422:
        if "duplicate" in lowered:
            return DuplicateRequestError(message, **kw)
        if "footage" in lowered:
            return NoFootageError(message, **kw)
        return UnprocessableEntityError(message, **kw)
    if status == 429:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kw
        )
    if status >= 500:
        return InternalServerError(message, **kw)
    return APIStatusError(message, **kw)
