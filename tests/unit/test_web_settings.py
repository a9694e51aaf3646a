"""The web and webhook settings as a person writes them in .env (never their secret echoed)."""

import pytest
from pydantic import ValidationError

from bot.__main__ import config_error_line
from bot.config import Settings

TOKEN = "123456789:" + "A" * 35


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, bot_token=TOKEN, **env)  # type: ignore[call-arg]


def error_line(**env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**env)
    return config_error_line(caught.value)


def test_polling_is_the_default_and_needs_nothing_more() -> None:
    default = settings()
    assert default.mode == "polling"
    assert (default.web_host, default.web_port, default.redis_url) == ("127.0.0.1", 8080, None)


def test_webhook_mode_with_its_settings() -> None:
    hook = settings(
        mode="webhook",
        public_url="https://bot.example.com/",
        webhook_secret="a-B_9",
        web_port="8443",
    )
    assert hook.webhook_url == "https://bot.example.com/telegram/webhook"
    assert hook.web_port == 8443


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"mode": "webhook"}, "error: MODE=webhook needs PUBLIC_URL and WEBHOOK_SECRET"),
        (
            {"mode": "webhook", "public_url": "https://x.example"},
            "error: MODE=webhook needs WEBHOOK_SECRET",
        ),
        ({"mode": "hook"}, "error: MODE is invalid (Input should be 'polling' or 'webhook')"),
        (
            {"web_port": "0"},
            "error: WEB_PORT is invalid (Input should be greater than or equal to 1)",
        ),
        ({"public_url": "bot.example.com"}, "error: PUBLIC_URL is invalid"),
        ({"redis_url": "localhost:6379"}, "error: REDIS_URL is invalid"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(env: dict[str, str], line: str) -> None:
    assert error_line(**env).startswith(line)


def test_a_malformed_webhook_secret_is_refused_without_echoing_it() -> None:
    line = error_line(mode="webhook", public_url="https://x.example", webhook_secret="päss word")
    assert line.startswith("error: WEBHOOK_SECRET is invalid")
    assert "päss" not in line


def test_empty_values_mean_unset() -> None:
    blank = settings(public_url="", webhook_secret="", redis_url="")
    assert (blank.public_url, blank.webhook_secret, blank.redis_url) == (None, None, None)


@pytest.mark.parametrize(
    "url", ["http://kpi.example.com", "http://10.0.0.5:8080", "ftp://x.example"]
)
def test_a_public_url_telegram_would_refuse_is_named_at_start(url: str) -> None:
    line = error_line(public_url=url)
    assert line.startswith("error: PUBLIC_URL is invalid ("), line
    if url.startswith("http://"):
        assert line == (
            "error: PUBLIC_URL is invalid (must start with https:// (Telegram opens the dashboard "
            "and sends webhooks only over HTTPS); http:// only for localhost, 127.0.0.1 or ::1)"
        )


@pytest.mark.parametrize(
    "url",
    [
        "https://kpi.example.com/bot",
        "http://localhost:8080",
        "http://127.0.0.1:9",
        "http://[::1]:80",
    ],
)
def test_https_or_this_machine_is_accepted(url: str) -> None:
    public = settings(public_url=url).public_url
    assert public is not None and str(public).startswith(url.split(":")[0] + "://")
