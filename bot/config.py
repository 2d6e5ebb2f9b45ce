"""Settings, from the environment (and `.env`).

Every setting is checked here, when the settings are read: a bad one stops the start with one
line naming it and what it may be (`load_settings`), not with a traceback from wherever it is
first used. What each `motive-bot serve --role` needs besides is declared here too
(`Settings.for_role`): a missing credential is refused by the model, not by the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///motive-bot.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The URL schemes the store has a driver for: the plain ones as people write them, and the
# async ones the code turns them into.
DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")
# `motive-bot serve --role`: web answers Slack and webhooks, worker runs the poller, all does both.
Role = Literal["all", "web", "worker"]
ROLES: tuple[Role, ...] = get_args(Role)
# Only the real Motive needs a key; a simulator or test server may not.
REAL_MOTIVE_URL = "https://api.gomotive.com"


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ValueError("not an http(s) URL")
    return value


class Settings(BaseSettings):
    # Each field's description is what the one-line refusal says is allowed.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = Field(default=None, description="a bot token (xoxb-…)")
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="the app's signing secret"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="an app-level token (xapp-…)"
    )
    # The one workspace (T…) or, for an org-wide install, Grid org (E…) served; None: the one
    # auth.test names at start.
    slack_team_id: str | None = Field(
        default=None, description="a workspace id (T…) or, installed org-wide, an org id (E…)"
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="an http(s) URL such as https://slack.com/api/",
    )
    motive_api_key: SecretStr | None = Field(default=None, description="a Motive API key")
    motive_api_url: str = Field(
        default="https://api.gomotive.com",
        description="an http(s) URL such as https://api.gomotive.com",
    )
    motive_webhook_secret: SecretStr | None = Field(
        default=None, description="the Motive webhook's secret"
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path/to/file.db or postgresql://user:password@host/database",
    )
    port: int = Field(default=3000, ge=1, le=65535, description="a port number from 1 to 65535")
    # None means "fit Motive's real timing" (see bot.tracking.schedule); set, they apply to every kind.
    poll_first_seconds: float | None = Field(
        default=None, gt=0, description="a number of seconds greater than 0"
    )
    poll_max_seconds: float | None = Field(
        default=None, gt=0, description="a number of seconds greater than 0"
    )
    recall_deadline_hours: float = Field(
        default=36.0, gt=0, description="a number of hours greater than 0"
    )
    snapshot_deadline_minutes: float = Field(
        default=120.0, gt=0, description="a number of minutes greater than 0"
    )
    # The access policy (see policy.example.toml); None: anyone may ask for anything anywhere.
    policy_file: Path | None = Field(default=None, description="the path of a policy file")
    audit_retention_days: int = Field(
        default=400, ge=1, description="a whole number of days, 1 or more"
    )
    # A channel id: safety events are posted (see bot/tracking/safety_events.py); None: the feature is off.
    safety_channel: str | None = Field(
        default=None,
        pattern=r"^[CG][A-Z0-9]{2,}$",
        description="a Slack channel id such as C0123ABCD",
    )
    log_json: bool = Field(default=False, description="true or false")
    log_level: str = Field(
        default="INFO", description="one of " + ", ".join(LOG_LEVELS) + " (any case)"
    )

    @field_validator("log_level")
    @classmethod
    def _a_level_logging_knows(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError("not a log level")
        return value.strip().upper()

    @field_validator("slack_api_url", "motive_api_url")
    @classmethod
    def _an_http_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("database_url")
    @classmethod
    def _a_database_we_can_drive(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            scheme = make_url(value).drivername
        except ArgumentError:
            raise ValueError("not a database URL") from None
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(f"{scheme} is not supported")
        return value

    def for_role(self, role: str) -> Settings:
        """These settings, if they have what `motive-bot serve --role ROLE` needs (`NEEDS`);
        otherwise MissingSettings naming every variable still to set, in `NEEDS`' order."""
        if role not in ROLES:
            raise ValueError(f"{role!r} is not a role: one of {', '.join(ROLES)}")
        missing = tuple(need.names for need in NEEDS if role in need.roles and not need.met(self))
        if missing:
            raise MissingSettings(role, missing)
        return self


@dataclass(frozen=True)
class Need:
    """A setting (or one of a few) that `serve` cannot start without, in the roles that need
    it; `names` is how the refusal names it."""

    names: str
    met: Callable[[Settings], bool]
    roles: frozenset[Role] = frozenset(ROLES)


# Each test is the one `serve` has always made, quirks included: an empty value (`VAR=`) counts
# as set, except an empty MOTIVE_API_KEY, or an empty signing secret with no app token.
NEEDS: tuple[Need, ...] = (
    # Every role posts to Slack: answers (web), deliveries and safety events (worker).
    Need("SLACK_BOT_TOKEN", lambda s: s.slack_bot_token is not None),
    # How Slack's requests reach the bot: signed HTTP requests, or Socket Mode. A worker answers
    # none itself, but `serve` has always refused every role without one.
    Need(
        "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN",
        lambda s: (s.slack_signing_secret or s.slack_app_token) is not None,
    ),
    # Every role asks Motive: requests and lookups (web), polls and event reads (worker).
    Need(
        "MOTIVE_API_KEY",
        lambda s: bool(s.motive_api_key) or not s.motive_api_url.startswith(REAL_MOTIVE_URL),
    ),
)


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class SettingsError(Exception):
    """Settings that cannot be used; str() is one line per setting at fault."""


class MissingSettings(SettingsError):
    """Settings a role cannot start without are not set; str() is the one line that says so."""

    def __init__(self, role: str, missing: tuple[str, ...]) -> None:
        self.role = role
        self.missing = missing
        super().__init__(f"needs {', '.join(missing)} (see README.md)")


def refusal_lines(error: ValidationError) -> list[str]:
    """One line per setting at fault: its variable, the value (unless it is a secret), and what
    it may be."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        info = Settings.model_fields.get(field)
        name = field.upper() or "settings"
        secret = info is not None and "SecretStr" in repr(info.annotation)
        value = problem.get("input")
        shown = name if secret or not isinstance(value, str | int | float) else f"{name}={value}"
        if field == "database_url" and isinstance(value, str):
            shown = f"{name}={_without_password(value)}"
        # Our own validators' reasons add something ("mysql is not supported"); pydantic's
        # ("Input should be a valid integer") only repeat what the description says.
        reason = ""
        if problem["type"] == "value_error":
            reason = f" ({problem['msg'].removeprefix('Value error, ')})"
        allowed = info.description if info is not None and info.description else problem["msg"]
        lines.append(f"{shown} is not allowed{reason}: it should be {allowed}")
    return lines


def load_settings(**values: Any) -> Settings:
    """The settings, or SettingsError saying in one line a setting which one is wrong and why."""
    try:
        return Settings(**values)
    except ValidationError as e:
        raise SettingsError("\n".join(refusal_lines(e))) from None


def async_database_url(url: str) -> str:
    """Accept plain `sqlite:///path` and `postgresql://...`; pick the async driver."""
    if url.startswith("sqlite:///") or url == "sqlite://":
        return "sqlite+aiosqlite" + url[len("sqlite") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
