"""Everything about Motive and nothing about Slack."""

from motive.client import MotiveClient
from motive.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DuplicateRequestError,
    InternalServerError,
    MotiveError,
    NoFootageError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    QuotaExhaustedError,
    RateLimitError,
    UnexpectedResponseError,
    UnprocessableEntityError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DuplicateRequestError",
    "InternalServerError",
    "MotiveClient",
    "MotiveError",
    "NoFootageError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "QuotaExhaustedError",
    "RateLimitError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
]
