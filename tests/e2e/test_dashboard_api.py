"""The team dashboard's server side (issue 12): /dashboard and /tv in the chat, and the API the
page reads, on the real bot wiring (`bot.__main__.web_app`) with its web server on loopback.

initData is signed here as Telegram signs it (core.telegram.org/bots/webapps, "Validating data
received via the Mini App"), independently of the bot's own check. Wednesday 16 December 2026,
noon in Moscow: December has 22 working days, 11 of them from the 16th on.
"""

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiogram.utils.web_app import safe_parse_webapp_init_data
from sqlalchemy import func, select

from bot.__main__ import web_app
from bot.config import Settings
from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from bot.web import serving
from models import User
from models.base import Clock, utcnow
from models.database import Database
from tests.db import migrated_database
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import invite_token, join_team
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.people import back_then, month_start

NOON_16_DEC = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)
PUBLIC_URL = "https://kpi.example.com"
NBSP = str.maketrans({"\u00a0": " ", "\u202f": " "})


@dataclass
class Dashboard:
    kpi: RunningBot
    http: aiohttp.ClientSession
    base: str  # the bot's web server
    token: str  # the bot's

    def init_data(
        self, user: FakeUser, *, age: int = 60, language: str | None = None, **fields: str
    ) -> str:
        """initData as Telegram gives it to the page of `user`, signed with the bot's token."""
        data = {
            "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": json.dumps(
                {
                    "id": user.id,
                    "first_name": user.first_name,
                    "language_code": language or user.language_code,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            ),
            "auth_date": str(int(utcnow().timestamp()) - age),
            **fields,
        }
        check = "\n".join(f"{key}={value}" for key, value in sorted(data.items()))
        secret = hmac.new(b"WebAppData", self.token.encode(), hashlib.sha256).digest()
        data["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
        return urlencode(data)

    async def get(
        self, path: str, user: FakeUser | None = None, *, init_data: str | None = None, **query: Any
    ) -> tuple[int, Any]:
        headers = {}
        if init_data is None and user is not None:
            init_data = self.init_data(user)
        if init_data is not None:
            headers["X-Telegram-Init-Data"] = init_data
        async with self.http.get(self.base + path, headers=headers, params=query) as response:
            return response.status, await response.json()

    async def ok(self, path: str, user: FakeUser | None = None, **query: Any) -> Any:
        status, body = await self.get(path, user, **query)
        assert status == 200, (path, status, body)
        return body


@asynccontextmanager
async def dashboard_bot(
    tg: FakeTelegram, db_url: str, public_url: str | None = PUBLIC_URL, **settings: Any
) -> AsyncIterator[Dashboard]:
    """The bot as `python -m bot` runs it in polling mode with PUBLIC_URL set: its web server
    (here on a free loopback port) beside polling."""
    config = Settings(  # type: ignore[call-arg]
        bot_token=tg.token, public_url=public_url, _env_file=None, **settings
    )
    async with migrated_database(db_url) as db:
        bot = create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.05))
        dp = create_dispatcher(db, with_scheduler=False, dashboard_url=config.dashboard_url)
        app = web_app(config, dp, bot, db)
        async with (
            serving(app, "127.0.0.1", 0, 5) as server,
            tg.polling(dp, bot, close_bot_session=False),
            aiohttp.ClientSession() as http,
        ):
            kpi = RunningBot(tg, db, dp["outbox"], dp, "polling", server.base_url)
            yield Dashboard(kpi, http, server.base_url, tg.token)
        await bot.session.close()


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_16_DEC)
    return frozen_clock


@pytest.fixture
async def dash(fake_tg: FakeTelegram, db_url: str) -> AsyncIterator[Dashboard]:
    async with dashboard_bot(fake_tg, db_url) as running:
        yield running


async def team_of(dash: Dashboard, manager: FakeUser, name: str, *members: FakeUser) -> str:
    """A team set up on the 1st; its invite token."""
    kpi = dash.kpi
    with back_then(month_start()):
        await manager.say("/start")
        await manager.say(f"/newteam {name}")
        token = invite_token((await manager.say("/invite")).plain or "")
        for member in members:
            await join_team(kpi, member, token, manager)
    return token


def people(tg: FakeTelegram) -> tuple[FakeUser, FakeUser, FakeUser, FakeUser]:
    anna = tg.user(1001, "Anna", username="anna", language_code="en")
    bob = tg.user(1002, "Bob", username="bob", language_code="en")
    carl = tg.user(1003, "Carl", username="carl", language_code="ru")
    # A name typed to break a page or a query: it must come back as the very same text.
    mallory = tg.user(
        1004, "<img src=x onerror=alert(1)>", username="mal", last_name="'; DROP TABLE users;--"
    )
    return anna, bob, carl, mallory


def shown(text: str) -> str:
    return text.translate(NBSP)


# --- the chat side ------------------------------------------------------------------------


async def test_dashboard_and_tv_links_from_the_chat(dash: Dashboard) -> None:
    tg = dash.kpi.tg
    anna, bob, _carl, _mallory = people(tg)
    await team_of(dash, anna, "Sales", bob)

    reply = await bob.say("/dashboard")
    assert reply.plain == (
        "📊 The team dashboard: your numbers against the targets, the leaderboard and the #tags."
    )
    button = reply.find_button("Open the dashboard", exact=True)
    assert button == {"text": "Open the dashboard", "web_app": {"url": f"{PUBLIC_URL}/dashboard/"}}

    group = tg.group(-100500, "Sales chat")
    tg.add_bot_to_group(group, anna)
    await group.receive()
    pointer = await group.say(bob, "/dashboard")
    assert pointer.find_button("Open the dashboard") is None
    assert "private" in (pointer.plain or "").lower(), pointer.plain

    assert "Only the team's manager" in ((await bob.say("/tv")).plain or "")
    assert "/tv" not in ((await bob.say("/help")).plain or "")
    assert "/dashboard — the team dashboard" in ((await bob.say("/help")).plain or "")
    helped = "".join(m.plain or "" for m in await anna.say_all("/help", 1))
    assert "/tv — a read-only dashboard link" in helped and "PUBLIC_URL" not in helped

    first = (await anna.say("/tv")).plain or ""
    link = re.search(r"https://kpi\.example\.com/dashboard/tv/(\S+)", first)
    assert link, first
    token = link.group(1)
    assert first.startswith("📺 The dashboard of «Sales» for the office screen")
    assert ((await anna.say("/tv")).plain or "").count(token) == 1  # the same link again
    assert (await anna.say("/tv please")).plain == (
        "Send /tv for the office screen's link, or /tv reset to revoke it and get a new one."
    )

    # The link opens the page (the same index.html, with its headers) and reads the team.
    async with dash.http.get(f"{dash.base}/dashboard/tv/{token}") as page:
        assert page.status == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self' https://telegram.org" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    tv = await dash.ok(f"/dashboard/api/tv/{token}/session")
    assert "user" not in tv
    assert tv["team"] == {"name": "Sales", "public_stats": True, "timezone": "Europe/Moscow"}
    assert tv["lang"] == "en" and tv["refresh_seconds"] == 60
    assert (await dash.ok(f"/dashboard/api/tv/{token}/board", metric="calls"))["rows"]

    reset = (await anna.say("/tv reset")).plain or ""
    assert reset.startswith("🔄 The old TV link of «Sales» no longer works.")
    new_token = re.search(r"/dashboard/tv/(\S+)", reset).group(1)  # type: ignore[union-attr]
    assert new_token != token
    for path in ("session", "board", "celebrations"):
        assert await dash.get(f"/dashboard/api/tv/{token}/{path}") == (
            404,
            {"error": "not_found"},
        )
    assert (await dash.ok(f"/dashboard/api/tv/{new_token}/session"))["team"]["name"] == "Sales"

    # Forged: another team's id under this signature, a made-up secret, a mangled signature.
    team_id, secret, signature = new_token.split(".")
    for forged in (
        f"{int(team_id) + 1}.{secret}.{signature}",
        f"{team_id}.{'A' * len(secret)}.{signature}",
        f"{team_id}.{secret}.{'A' * len(signature)}",
        "1' OR '1'='1",
    ):
        assert await dash.get(f"/dashboard/api/tv/{forged}/session") == (
            404,
            {"error": "not_found"},
        )


async def test_without_public_url_managers_are_told_how_to_turn_it_on(
    fake_tg: FakeTelegram, db_url: str
) -> None:
    async with dashboard_bot(fake_tg, db_url, public_url=None) as dash:
        anna, bob, _carl, _mallory = people(fake_tg)
        await team_of(dash, anna, "Sales", bob)
        told = (await anna.say("/dashboard")).plain or ""
        assert "PUBLIC_URL" in told and "/tv" in told
        assert (await anna.say("/dashboard")).find_button("Open the dashboard") is None
        assert "PUBLIC_URL" in ((await anna.say("/tv")).plain or "")
        assert (await bob.say("/dashboard")).plain == (
            "The dashboard is not turned on for this bot. Ask your manager."
        )
        helped = "".join(m.plain or "" for m in await anna.say_all("/help", 1))
        assert "The team dashboard (a Telegram Mini App" in helped
        assert "/dashboard —" not in helped
        assert "PUBLIC_URL" not in ((await bob.say("/help")).plain or "")
        # No dashboard routes either: the web server serves health only.
        async with dash.http.get(f"{dash.base}/dashboard/") as page:
            assert page.status == 404
