"""Settings from the environment and an optional .env file."""

import re
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Bot API tokens look like "123456789:AA...": a numeric bot id, a colon, a 30+ char secret.
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/kpi.db"
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_WEB_PORT = 8080
# Where Telegram posts updates, under PUBLIC_URL.
WEBHOOK_PATH = "/telegram/webhook"
# Where the team dashboard (page and API) lives, under PUBLIC_URL.
DASHBOARD_PATH = "/dashboard/"
# Where plain http:// will do for PUBLIC_URL: this machine (a tunnel's or a test's end).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class DatabaseSettings(BaseSettings):
    """DATABASE_URL alone: Alembic's command line reads it without needing a bot token."""

    model_config = SettingsConfigDict(
        env_prefix="DATABASE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    url: str = DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telegram_api_url: AnyHttpUrl | None = None
    log_level: Annotated[str, Field(pattern=r"(?i)^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")] = "INFO"
    # How long the instance running the scheduler and the outbox keeps that role unrenewed.
    lease_seconds: Annotated[int, Field(ge=3, le=600)] = 30
    # How updates arrive: long polling (one instance) or Telegram's webhook (any number).
    mode: Literal["polling", "webhook"] = "polling"
    # The one HTTP server of the process (webhook, health, later features): the public HTTPS
    # base it is reached at, and where it listens.
    public_url: AnyHttpUrl | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=DEFAULT_WEB_PORT, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # The team dashboard (served when PUBLIC_URL is set): how old Telegram's initData may be,
    # and how many API requests a person (or a TV link) may make a minute.
    dashboard_init_data_max_age: int = Field(default=86400, ge=60, le=30 * 86400)
    dashboard_requests_per_minute: int = Field(default=120, ge=1, le=100_000)
    # Conversation state and per-person order shared by every instance; in memory when unset.
    redis_url: Annotated[str, Field(pattern=r"^(redis|rediss|unix)://")] | None = None

    @field_validator("bot_token")
    @classmethod
    def token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.fullmatch(value.get_secret_value().strip()):
            # The message must never include the value itself.
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url", "public_url", "webhook_secret", "redis_url", mode="before")
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("public_url")
    @classmethod
    def public_is_https(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        # Telegram refuses a web-app button (400) or a webhook at a plain http:// address.
        if value is not None and value.scheme != "https" and value.host not in LOOPBACK_HOSTS:
            raise ValueError(
                "must start with https:// (Telegram opens the dashboard and sends webhooks only "
                "over HTTPS); http:// only for localhost, 127.0.0.1 or ::1"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            # Never the value itself in the message.
            raise ValueError("1-256 characters: letters, digits, _ and - only")
        return value

    @model_validator(mode="after")
    def webhook_needs(self) -> "Settings":
        if self.mode == "webhook":
            missing = [
                name
                for name, value in (
                    ("PUBLIC_URL", self.public_url),
                    ("WEBHOOK_SECRET", self.webhook_secret),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"MODE=webhook needs {' and '.join(missing)}")
        return self

    @property
    def webhook_url(self) -> str:
        assert self.public_url is not None
        return str(self.public_url).rstrip("/") + WEBHOOK_PATH

    @property
    def dashboard_url(self) -> str | None:
        """Where the dashboard opens; None without PUBLIC_URL (no dashboard then)."""
        if self.public_url is None:
            return None
        return str(self.public_url).rstrip("/") + DASHBOARD_PATH
