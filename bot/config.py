"""Settings, from the environment (and `.env`), with the names in DESIGN.md."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///motive-bot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    motive_api_key: SecretStr | None = None
    motive_api_url: str = "https://api.gomotive.com"
    motive_webhook_secret: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    # None means "fit Motive's real timing" (see bot.tracking.schedule); set, they apply to every kind.
    poll_first_seconds: float | None = Field(default=None, gt=0)
    poll_max_seconds: float | None = Field(default=None, gt=0)
    recall_deadline_hours: float = Field(default=36.0, gt=0)
    snapshot_deadline_minutes: float = Field(default=120.0, gt=0)
    # The access policy (see policy.example.toml); None: anyone may ask for anything anywhere.
    policy_file: Path | None = None
    audit_retention_days: int = Field(default=400, ge=1)
    # A channel id: safety events are posted (see bot/safety); None: the feature is off.
    safety_channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    log_json: bool = False
    log_level: str = "INFO"


def async_database_url(url: str) -> str:
    """Accept plain `sqlite:///path` and `postgresql://...`; pick the async driver."""
    if url.startswith("sqlite:///") or url == "sqlite://":
        return "sqlite+aiosqlite" + url[len("sqlite") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
