"""The team dashboard's server side (issue 12): /dashboard and /tv in the chat, and the API the
page reads, on the real bot wiring (`bot.__main__.web_app`) with its web server on loopback.

initData is signed here as Telegram signs it (core.telegram.org/bots/webapps, "Validating data
received via the Mini App"), independently of the bot's own check. Wednesday 16 December 2026,
noon in Moscow: December has 22 working days, 11 of them from the 16th on.
"""

import asyncio
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
from models import ExternalEvent, OutboxMessage, User
from models.base import Clock, utcnow
from tests.db import migrated_database
from tests.e2e.conftest import RunningBot
from tests.e2e.test_crm import shown_url, signed, webhook_key
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
        self, user: FakeUser, *, age: int = 60, language: str | None = None, without: str = ""
    ) -> str:
        """initData as Telegram gives it to the page of `user`, signed with the bot's token
        (`without`: that field left out before signing)."""
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
        }
        data.pop(without, None)
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


async def test_the_menu_offers_the_dashboard_to_members_and_the_tv_link_to_managers(
    dash: Dashboard,
) -> None:
    tg = dash.kpi.tg
    anna, bob, _carl, _mallory = people(tg)
    await team_of(dash, anna, "Sales", bob)
    everyone = json.dumps({"type": "all_private_chats"})
    managers = json.dumps({"chat_id": anna.id, "type": "chat"})
    for language, dashboard, tv in (
        ("", "Team dashboard: numbers, board, #tags", "Dashboard link for the office screen"),
        ("ru", "Панель команды: показатели, рейтинг, #теги", "Ссылка на панель для экрана в офисе"),
    ):
        members = {c["command"]: c["description"] for c in tg.commands[(everyone, language)]}
        assert (members["dashboard"], "tv" in members) == (dashboard, False)
        assert list(members)[-2:] == ["dashboard", "help"]
        for _ in range(100):  # the manager's menu follows the /newteam reply
            if (managers, language) in tg.commands:
                break
            await asyncio.sleep(0.02)
        own = {c["command"]: c["description"] for c in tg.commands[(managers, language)]}
        assert (own["dashboard"], own["tv"]) == (dashboard, tv)
        assert list(own)[-3:] == ["dashboard", "tv", "help"]


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


# --- who is asking ------------------------------------------------------------------------


async def test_who_is_asking(dash: Dashboard) -> None:
    tg = dash.kpi.tg
    anna, bob, carl, _mallory = people(tg)
    await team_of(dash, anna, "Sales", bob)
    olga = tg.user(2001, "Olga", username="olga")  # manages another team
    await team_of(dash, olga, "Rivals", carl)
    stranger = tg.user(3001, "Sam", username="sam")
    await stranger.say("/start")  # known to the bot, in no team
    nobody = tg.user(3002, "Nick")  # never wrote to the bot

    session = await dash.ok("/dashboard/api/session", bob)
    assert session["user"] == {"id": bob.id, "name": "Bob", "role": "employee"}
    assert session["team"]["name"] == "Sales"
    # The page's texts alone, for a page whose session failed: public, the same as the session's.
    assert await dash.ok("/dashboard/api/texts", lang="en") == {
        "lang": "en",
        "texts": session["texts"],
    }
    in_russian = dash.init_data(bob, language="ru")
    status, russian = await dash.get("/dashboard/api/session", init_data=in_russian)
    assert (status, russian["lang"]) == (200, "ru")
    assert await dash.ok("/dashboard/api/texts", lang="ru") == {
        "lang": "ru",
        "texts": russian["texts"],
    }
    assert (await dash.ok("/dashboard/api/texts", lang="xx'--"))["lang"] == "en"
    assert (await dash.ok("/dashboard/api/session", anna))["user"]["role"] == "manager"
    # The bot's check agrees with aiogram's reading of Telegram's signature.
    parsed = safe_parse_webapp_init_data(dash.token, dash.init_data(bob))
    assert parsed.user is not None and parsed.user.id == bob.id

    unauthorized = "unauthorized"
    assert await dash.get("/dashboard/api/session") == (
        401,
        {"error": unauthorized, "reason": "missing"},
    )
    genuine = dash.init_data(bob)
    forged = [
        re.sub(r"hash=[0-9a-f]{8}", "hash=00000000", genuine),  # a hash changed
        genuine.replace("%22id%22%3A1002", "%22id%22%3A1001"),  # posing as the manager
        genuine + "&extra=1",  # a field added after signing
        genuine + "&auth_date=9999999999",  # a field given twice
        "user=%7B%22id%22%3A1002%7D",  # no hash at all
        "%%%",
    ]
    for init_data in forged:
        assert await dash.get("/dashboard/api/session", init_data=init_data) == (
            401,
            {"error": unauthorized, "reason": "invalid"},
        ), init_data
    # Signed, but without the fields the check needs.
    for missing in ("user", "auth_date"):
        signed = dash.init_data(bob, without=missing)
        assert await dash.get("/dashboard/api/session", init_data=signed) == (
            401,
            {"error": unauthorized, "reason": "invalid"},
        ), missing
    stale = dash.init_data(bob, age=86400 + 60)
    assert await dash.get("/dashboard/api/me", init_data=stale) == (
        401,
        {"error": unauthorized, "reason": "stale"},
    )
    assert (await dash.get("/dashboard/api/me", init_data=dash.init_data(bob, age=86400 - 60)))[
        0
    ] == 200
    # Signed with another bot's token: not ours.
    other = Dashboard(dash.kpi, dash.http, dash.base, "123456:" + "B" * 35)
    assert (await dash.get("/dashboard/api/session", init_data=other.init_data(bob)))[0] == 401

    forbidden = (403, {"error": "forbidden"})
    for outsider in (stranger, nobody):
        for path in ("session", "me", "board", "tags", "team", "week", f"person/{bob.id}"):
            assert await dash.get(f"/dashboard/api/{path}", outsider) == forbidden, (outsider, path)
    for path in ("team", "week", f"person/{anna.id}"):
        assert await dash.get(f"/dashboard/api/{path}", bob) == forbidden, path
    assert await dash.get("/dashboard/api/me", bob, user_id=str(anna.id)) == forbidden
    # Another team's manager sees their own team, never this one's people.
    assert (await dash.ok("/dashboard/api/session", olga))["team"]["name"] == "Rivals"
    assert await dash.get(f"/dashboard/api/person/{bob.id}", olga) == forbidden
    assert await dash.get("/dashboard/api/me", olga, user_id=str(bob.id)) == forbidden
    board = await dash.ok("/dashboard/api/board", olga, metric="calls")
    assert {row["name"] for row in board["rows"]} == {"Olga", "Carl"}

    for path, query, field in (
        ("me", {"period": "year"}, "period"),
        ("board", {"metric": "calls'--"}, "metric"),
        ("board", {"period": "<b>"}, "period"),
        ("team", {"period": "decade"}, "period"),
        ("tags", {"period": ""}, "period"),
        ("me", {"user_id": "1 OR 1=1"}, "user_id"),
        ("person/abc", {}, "user_id"),
        ("person/99999999999999999999", {}, "user_id"),
    ):
        assert await dash.get(f"/dashboard/api/{path}", anna, **query) == (
            400,
            {"error": "bad_request", "field": field},
        ), (path, query)


# --- the numbers --------------------------------------------------------------------------


def metric_of(answer: dict[str, Any], key: str) -> dict[str, Any]:
    return next(item for item in answer["metrics"] if item["key"] == key)


async def tv_token_of(manager: FakeUser) -> str:
    found = re.search(r"/dashboard/tv/(\S+)", (await manager.say("/tv")).plain or "")
    assert found
    return found.group(1)


async def test_the_numbers_are_the_chats(dash: Dashboard) -> None:
    tg = dash.kpi.tg
    anna, bob, carl, mallory = people(tg)
    await team_of(dash, anna, "Sales", bob, carl, mallory)
    group = tg.group(-100600, "Sales chat")
    tg.add_bot_to_group(group, anna)
    await group.receive()
    await group.say(anna, "/bindchat")
    with back_then(month_start()):
        await anna.say("/target calls 110")  # 5 a working day; 60 due by tonight
        await anna.say("/target deals 1 week")
    with back_then(datetime(2026, 12, 9, 9, 0, tzinfo=UTC)):  # last week
        await bob.say("/call 7")
    before = utcnow() - timedelta(minutes=1)
    await bob.say("/call 59")
    await bob.say("/deal 15 000 #avito2")
    await carl.say("/call 30 #avito1")
    await carl.say("/deal 5000 #avito1")
    await carl.say("/lead 2 #avito3")  # a tag with no deal yet still has its row

    me = await dash.ok("/dashboard/api/me", bob, period="month")
    assert me["name"] == "Bob"
    assert me["period"] == {
        "key": "month",
        "label": "Month",
        "start": "2026-12-01",
        "end": "2026-12-31",
        "working_days_left": 11,
        "working_days_left_shown": "11 working days left",
    }
    assert metric_of(me, "calls") == {
        "key": "calls",
        "label": "Calls",
        "value": 66,
        "value_shown": "66",
        "target": 110,
        "target_shown": "110",
        "percent": 0.6,
        "percent_shown": "60%",
        "pace": 60,
        "pace_shown": "60",
        "status": "ahead",
    }
    revenue = metric_of(me, "revenue")
    assert (revenue["value"], shown(revenue["value_shown"])) == (15000, "15,000 ₽")
    assert (revenue["target"], revenue["status"]) == (None, "no_target")
    chat = shown((await bob.say("/month")).plain or "")
    assert "📞 Calls: 66 / 110  ▓▓▓▓▓▓░░░░ 60%" in chat
    deals = metric_of(me, "deals")
    assert f"🤝 Deals: 1 / {deals['target_shown']}  ▓▓░░░░░░░░ {deals['percent_shown']}" in chat
    today = await dash.ok("/dashboard/api/me", bob)
    assert today["period"]["key"] == "today" and today["period"]["start"] == "2026-12-16"
    assert (metric_of(today, "calls")["target_shown"], metric_of(today, "calls")["status"]) == (
        "5",
        "done",
    )
    # The manager opens Bob; Carl reads his in Russian.
    assert (await dash.ok("/dashboard/api/me", anna, period="month", user_id=str(bob.id)))[
        "metrics"
    ] == me["metrics"]
    carls = await dash.ok("/dashboard/api/me", carl, period="month")
    assert metric_of(carls, "calls") | {"label": "", "value_shown": ""} == {
        "key": "calls",
        "label": "",
        "value": 30,
        "value_shown": "",
        "target": 110,
        "target_shown": "110",
        "percent": 30 / 110,
        "percent_shown": "27%",
        "pace": 60,
        "pace_shown": "60",
        "status": "behind",
    }
    assert metric_of(carls, "calls")["label"] == "Звонки"
    assert carls["period"]["label"] == "Месяц"
    assert carls["period"]["working_days_left_shown"] == "осталось 11 рабочих дней"
    assert shown(metric_of(carls, "revenue")["value_shown"]) == "5 000 ₽"

    board = await dash.ok("/dashboard/api/board", bob, metric="calls", period="month")
    assert board["metric"] == {"key": "calls", "label": "Calls"}
    assert board["period"] == {"key": "month", "label": "Month"}
    assert board["by"] == "percent"
    assert [
        (row["place"], row["name"], row["value"], row["percent_shown"], row["is_me"])
        for row in board["rows"]
    ] == [
        (1, "Bob", 66, "60%", True),
        (2, "Carl", 30, "27%", False),
        (3, "<img src=x onerror=alert(1)> '.", 0, "0%", False),
        (4, "Anna", 0, None, False),  # a manager without a target of her own
    ]
    by_value = await dash.ok("/dashboard/api/board", carl, metric="revenue", period="week")
    assert by_value["by"] == "value"
    assert [(row["name"], row["value"]) for row in by_value["rows"][:2]] == [
        ("Bob", 15000),
        ("Carl", 5000),
    ]

    table = await dash.ok("/dashboard/api/team", anna, period="month")
    assert table["period"]["working_days_left"] == 11
    statuses = {
        row["name"]: {cell["key"]: cell["status"] for cell in row["cells"]} for row in table["rows"]
    }
    assert {name: cells["calls"] for name, cells in statuses.items()} == {
        "Bob": "ahead",
        "Carl": "behind",
        "<img src=x onerror=alert(1)> '.": "behind",
        "Anna": "no_target",
    }

    person = await dash.ok(f"/dashboard/api/person/{bob.id}", anna)
    assert person["name"] == "Bob" and len(person["days"]) == 30
    days = {day["date"]: day for day in person["days"]}
    assert days["2026-12-16"]["values"] == {
        "calls": 59,
        "meetings": 0,
        "leads": 0,
        "deals": 1,
        "revenue": 15000,
    }
    assert shown(days["2026-12-16"]["revenue_shown"]) == "15,000 ₽"
    assert days["2026-12-16"]["date_shown"] == "16 December"
    assert days["2026-12-09"]["values"]["calls"] == 7
    assert (days["2026-12-09"]["working"], days["2026-12-13"]["working"]) == (True, False)
    assert person["days"][0]["date"] == "2026-11-17"

    week = await dash.ok("/dashboard/api/week", anna)
    assert (week["start"], week["end"]) == ("2026-12-07", "2026-12-13")
    bobs = next(row for row in week["rows"] if row["user_id"] == bob.id)
    assert (bobs["values"]["calls"], bobs["shown"]["calls"]) == (7, "7")

    tags = await dash.ok("/dashboard/api/tags", carl, period="month")
    assert [m["key"] for m in tags["metrics"]] == ["calls", "meetings", "leads", "deals", "revenue"]
    assert [(row["tag"], row["values"]) for row in tags["rows"]] == [
        ("avito2", {"calls": 0, "meetings": 0, "leads": 0, "deals": 1, "revenue": 15000}),
        ("avito1", {"calls": 30, "meetings": 0, "leads": 0, "deals": 1, "revenue": 5000}),
        ("avito3", {"calls": 0, "meetings": 0, "leads": 2, "deals": 0, "revenue": 0}),
    ]
    assert shown(tags["rows"][0]["shown"]["revenue"]) == "15 000 ₽"
    assert (tags["metrics"][0]["label"], tags["rows"][1]["shown"]["calls"]) == ("Звонки", "30")

    token = await tv_token_of(anna)
    cheers = await dash.ok(f"/dashboard/api/tv/{token}/celebrations", since=before.isoformat())
    assert cheers["now"] == utcnow().isoformat()
    assert cheers["items"] == [
        {"name": "Bob", "text": "hit the target: 1 deal a week!"},
        {"name": "Carl", "text": "hit the target: 1 deal a week!"},
    ]
    later = await dash.ok(f"/dashboard/api/tv/{token}/celebrations", since=cheers["now"])
    assert later["items"] == []
    assert (await dash.get(f"/dashboard/api/tv/{token}/celebrations", since="yesterday"))[0] == 400

    # What was typed comes back as typed, and the query it was typed to break did nothing.
    assert (await dash.ok("/dashboard/api/session", mallory))["user"]["name"] == (
        "<img src=x onerror=alert(1)> '."
    )
    async with dash.kpi.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 4


async def applied(dash: Dashboard, seconds: float = 10.0) -> None:
    """Every event the connections delivered applied by the bot's applier."""
    for _ in range(int(seconds / 0.02)):
        async with dash.kpi.db.read() as session:
            query = select(func.count()).where(ExternalEvent.applied_at.is_(None))
            if not await session.scalar(query):
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"events not applied in {seconds} s")


async def test_tv_cheers_a_team_without_a_group_and_deals_from_the_crm(dash: Dashboard) -> None:
    tg = dash.kpi.tg
    anna, bob, _carl, _mallory = people(tg)
    await team_of(dash, anna, "Sales", bob)  # no group bound
    with back_then(month_start()):
        await anna.say("/target calls 5 day")
        await anna.say("/target deals 1 week")
        await anna.say("/target revenue 20 000")
    token = await tv_token_of(anna)
    since = (utcnow() - timedelta(minutes=1)).isoformat()

    async def banner() -> list[str]:
        answer = await dash.ok(f"/dashboard/api/tv/{token}/celebrations", since=since)
        return [shown(f"{item['name']} {item['text']}") for item in answer["items"]]

    await bob.say("/call 5")
    assert await banner() == ["Bob hit the target: 5 calls a day!"]

    # A deal from the CRM before Bob is linked: held, then logged when Anna links him.
    reply = await anna.say("/connect webhook")
    url = shown_url(reply, "webhook").replace(PUBLIC_URL, dash.base)
    key = webhook_key(reply)

    async def deal(external_id: str, amount: int) -> None:
        event = {"kind": "deal", "amount": amount, "external_id": external_id, "user": "bob-crm"}
        body, headers = signed(key, {**event, "name": "Bob B."})
        async with dash.http.post(url, data=body, headers=headers) as response:
            assert response.status == 200
        await applied(dash)

    await deal("D-1", 15000)
    await tg.wait_for(lambda m: "New in your connections" in (m.plain or ""), 10, chat_id=anna.id)
    listed = await anna.say("/link")
    await anna.press(next(b for row in listed.buttons() for b in row if b.startswith("webhook")))
    linked = await anna.press("Bob @bob")
    assert "1 held event logged" in shown(linked.plain or "")
    assert (await banner())[1:] == ["Bob hit the target: 1 deal a week!"]

    # Linked now: the next deal is logged as it arrives, and crosses the month's revenue.
    await deal("D-2", 10000)
    assert (await banner())[2:] == ["Bob hit the target: 20,000 ₽ a month!"]
    assert "💰 Revenue: 25,000 ₽" in shown((await bob.say("/today")).plain or "")
    async with dash.kpi.db.read() as session:  # no group: nothing was queued to post
        queued = select(func.count()).where(OutboxMessage.dedup_key.like("celebrate:%"))
        assert await session.scalar(queued) == 0


async def test_when_the_teams_stats_are_not_public(dash: Dashboard) -> None:
    tg = dash.kpi.tg
    anna, bob, carl, _mallory = people(tg)
    await team_of(dash, anna, "Sales", bob, carl)
    await bob.say("/deal 1000 #avito1")
    await carl.say("/deal 2000 #avito2")
    token = await tv_token_of(anna)
    assert (await dash.ok("/dashboard/api/board", bob))["rows"]
    await anna.say("/settings public off")

    forbidden = (403, {"error": "forbidden"})
    assert (await dash.ok("/dashboard/api/session", bob))["team"]["public_stats"] is False
    assert await dash.get("/dashboard/api/board", bob) == forbidden
    assert await dash.get(f"/dashboard/api/tv/{token}/board") == forbidden
    assert (await dash.ok(f"/dashboard/api/tv/{token}/session"))["team"]["public_stats"] is False
    assert [
        row["name"]
        for row in (await dash.ok("/dashboard/api/board", anna, metric="revenue"))["rows"]
    ] == [
        "Carl",
        "Bob",
        "Anna",
    ]
    # An employee's tags are their own; the manager's the team's.
    own = await dash.ok("/dashboard/api/tags", bob)
    assert [(row["tag"], row["values"]["revenue"]) for row in own["rows"]] == [("avito1", 1000)]
    team = await dash.ok("/dashboard/api/tags", anna)
    assert [row["tag"] for row in team["rows"]] == ["avito2", "avito1"]


async def test_each_person_has_a_request_limit(fake_tg: FakeTelegram, db_url: str) -> None:
    async with dashboard_bot(fake_tg, db_url, dashboard_requests_per_minute=3) as dash:
        anna, bob, _carl, _mallory = people(fake_tg)
        await team_of(dash, anna, "Sales", bob)
        token = await tv_token_of(anna)
        for _ in range(3):
            await dash.ok("/dashboard/api/me", bob)
        headers = {"X-Telegram-Init-Data": dash.init_data(bob)}
        async with dash.http.get(f"{dash.base}/dashboard/api/me", headers=headers) as refused:
            assert refused.status == 429
            assert await refused.json() == {"error": "rate_limited"}
            assert refused.headers["Retry-After"] == "20"  # a request back every 20 s
        await dash.ok("/dashboard/api/session", anna)  # someone else's limit is their own
        for _ in range(3):
            await dash.ok(f"/dashboard/api/tv/{token}/session")
        assert await dash.get(f"/dashboard/api/tv/{token}/session") == (
            429,
            {"error": "rate_limited"},
        )
