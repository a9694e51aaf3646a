"""Settings from the environment and an optional .env file."""

import re
from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Bot API tokens look like "123456789:AA...": a numeric bot id, a colon, a 30+ char secret.
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/kpi.db"


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

    @field_validator("bot_token")
    @classmethod
    def token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.fullmatch(value.get_secret_value().strip()):
            # The message must never include the value itself.
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def empty_url_is_default(cls, value: object) -> object:
        return None if value == "" else value
