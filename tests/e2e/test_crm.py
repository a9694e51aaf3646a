"""Numbers that log themselves (issue 14): amoCRM, Bitrix24, Zadarma and the signed webhook
posting to the bot's own web server, as their real senders do, while people use the bot."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot import hooks
from bot.config import WEBHOOK_PATH
from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from bot.services.crm_payloads import IncomingEvent, State
from bot.services.external_events import FAILURES_TOLD_AFTER, Received
from bot.web import create_app, serving
from models import ClosedDay, Connection, Entry, EntryKind, ExternalEvent, User
from models.base import Clock, utcnow
from scheduler import LEASE_TTL
from scheduler.jobs import run_silence_check
from tests.db import migrated_database
from tests.e2e.conftest import WEBHOOK_SECRET, Mode, RunningBot
from tests.e2e.test_walkthrough import moscow_today, set_up_team
from tests.fake_telegram import FakeTelegram, FakeUser

PUBLIC_URL = "https://kpi.example.com"
POLL = 0.02
SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " "})


@dataclass
class Crm:
    kpi: RunningBot
    base_url: str  # the web server, where PUBLIC_URL leads
    http: aiohttp.ClientSession
    app: web.Application

    def local(self, shown: str) -> str:
        return shown.replace(PUBLIC_URL, self.base_url)

    async def post(
        self, url: str, body: bytes | str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        async with self.http.post(self.local(url), data=data, headers=headers or {}) as response:
            return response.status, await response.text()

    async def form(self, url: str, fields: dict[str, Any], **headers: str) -> tuple[int, str]:
        content = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return await self.post(url, urlencode(fields), content)

    async def settled(self, seconds: float = 10.0) -> None:
        """Every stored event applied (looked at every POLL seconds)."""
        for _ in range(int(seconds / POLL)):
            if not await self.unapplied():
                return
            await asyncio.sleep(POLL)
        raise AssertionError(f"{await self.unapplied()} events not applied in {seconds} s")

    async def unapplied(self) -> int:
        async with self.kpi.db.read() as session:
            query = select(func.count()).where(ExternalEvent.applied_at.is_(None))
            return await session.scalar(query) or 0

    async def connection(self, manager: FakeUser) -> int:
        """The id of the (one) connection of the manager's team."""
        async with self.kpi.db.read() as session:
            query = select(Connection.id).join(User, User.team_id == Connection.team_id)
            found = await session.scalar(query.where(User.id == manager.id))
            assert found is not None
            return found

    async def stored(self) -> int:
        async with self.kpi.db.read() as session:
            return await session.scalar(select(func.count()).select_from(ExternalEvent)) or 0

    async def entries(self, user: FakeUser, *, live: bool = True) -> list[Entry]:
        async with self.kpi.db.read() as session:
            query = select(Entry).where(Entry.user_id == user.id).order_by(Entry.id)
            if live:
                query = query.where(Entry.deleted_at.is_(None))
            return list((await session.scalars(query)).all())


@pytest.fixture
async def crm(fake_tg: FakeTelegram, db_url: str, mode: Mode) -> AsyncIterator[Crm]:
    """The bot as production wires it with PUBLIC_URL set: the hooks on its one web server."""
    async with migrated_database(db_url) as db:
        bot = create_bot(fake_tg.token, fake_tg.base_url, RetryMiddleware(base_delay=0.05))
        dp = create_dispatcher(db, with_scheduler=False)
        app = create_app(db)
        hooks.install(app, dp, db, PUBLIC_URL)
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(bot.session.close)  # last, once nothing polls
            http = await stack.enter_async_context(aiohttp.ClientSession())
            if mode == "polling":
                server = await stack.enter_async_context(serving(app, "127.0.0.1", 0, 5))
                await stack.enter_async_context(fake_tg.polling(dp, bot, close_bot_session=False))
            else:
                from bot.webhook import set_webhook, webhook_server

                server = await stack.enter_async_context(
                    webhook_server(
                        dp,
                        bot,
                        db,
                        secret=WEBHOOK_SECRET,
                        host="127.0.0.1",
                        port=0,
                        shutdown_timeout=5,
                        app=app,
                    )
                )
                await set_webhook(bot, dp, server.base_url + WEBHOOK_PATH, WEBHOOK_SECRET)
            running = RunningBot(fake_tg, db, dp["outbox"], dp, mode, server.base_url)
            yield Crm(running, server.base_url, http, app)


def text(message: Any) -> str:
    return (message.plain or "").translate(SPACES)


def shown_url(reply: Any, system: str) -> str:
    match = re.search(rf"{re.escape(PUBLIC_URL)}/hooks/{system}/[A-Za-z0-9_-]+", text(reply))
    assert match, text(reply)
    return match.group(0)


async def team(crm: Crm) -> tuple[FakeUser, FakeUser]:
    anna = crm.kpi.tg.user(1001, "Anna", username="anna", language_code="en")
    bob = crm.kpi.tg.user(1002, "Bob", username="bob", language_code="en")
    await set_up_team(crm.kpi, anna, bob, "Sales")
    return anna, bob


async def link(crm: Crm, manager: FakeUser, who: str, member: str) -> str:
    """/link, press the external person, press the member: the final text."""
    listed = await manager.say("/link")
    label = next(b for row in listed.buttons() for b in row if b.startswith(who))
    await manager.press(label)
    done = await manager.press(member)
    return text(done)


async def notice_saying(crm: Crm, manager: FakeUser, part: str) -> str:
    """The manager's message that says `part` (the outbox sends in its own time and order)."""
    found = await crm.kpi.tg.wait_for(lambda m: part in text(m), 10, chat_id=manager.id)
    return text(found)


async def notice(crm: Crm, manager: FakeUser, mark: int) -> str:
    return text(await crm.kpi.tg.next_in_chat(manager.id, mark, 10, "the manager told"))


# --- amoCRM ---------------------------------------------------------------------------------------


def amo_lead(
    action: str, lead_id: int, status: int, price: int, user: int, at: datetime | None = None
) -> dict[str, Any]:
    """A lead as amoCRM's web hook posts it (form-encoded, leads[<action>][0][...]), changed
    `at` (now)."""
    now = int((at or datetime.now(UTC)).timestamp())
    fields = {
        "id": lead_id,
        "name": f"Deal {lead_id}",
        "status_id": status,
        "old_status_id": 142 if status != 142 else 20394,
        "price": price,
        "responsible_user_id": user,
        "last_modified": now,
        "modified_user_id": user,
        "created_user_id": user,
        "date_create": now - 3600,
        "pipeline_id": 4701,
        "account_id": 290001,
    }
    form = {f"leads[{action}][0][{key}]": value for key, value in fields.items()}
    form.update({"account[subdomain]": "salesnorth", "account[id]": "290001"})
    return form


async def test_amocrm_won_deal_reversal_rewin_price_edit_and_deletion(crm: Crm) -> None:
    anna, bob = await team(crm)
    reply = await anna.say("/connect amocrm")
    assert "amoCRM is connected" in text(reply)
    assert "I show this once" in text(reply)
    url = shown_url(reply, "amocrm")
    again = await anna.say("/connect amocrm")
    assert "/connect reset amocrm" in text(again) and "/hooks/" not in text(again)

    # A lead created by someone the bot does not know yet: kept, and Anna is told.
    mark = crm.kpi.tg.mark()
    status, _ = await crm.form(url, amo_lead("add", 9001, 20394, 0, 555))
    assert status == 200
    assert "New in your connections: amoCRM · #555" in await notice(crm, anna, mark)
    await crm.settled()
    assert await crm.entries(bob) == []
    done = await link(crm, anna, "amoCRM · #555", "Bob @bob")
    assert "amoCRM · #555 is Bob now" in done and "1 held event logged" in done
    assert [(e.kind.value, e.source) for e in await crm.entries(bob)] == [("lead", "amocrm")]

    # Won (142) with its budget, delivered twice: one deal.
    for _ in range(2):
        assert (await crm.form(url, amo_lead("status", 9001, 142, 15000, 555)))[0] == 200
    await crm.settled()
    deals = [e for e in await crm.entries(bob) if e.kind.value == "deal"]
    assert [(d.amount_kopecks, d.source) for d in deals] == [(1_500_000, "amocrm")]
    log = text(await bob.say("/log"))
    assert "deal 15,000 ₽ · via amoCRM" in log and "1 lead · via amoCRM" in log
    assert "💰 Revenue: 15,000 ₽" in text(await bob.say("/today"))

    # The budget edited after winning: the entry follows.
    await crm.form(url, amo_lead("update", 9001, 142, 20000, 555))
    await crm.settled()
    deals = [e for e in await crm.entries(bob) if e.kind.value == "deal"]
    assert [d.amount_kopecks for d in deals] == [2_000_000]

    # Moved out of "won": reversed; won again: logged again.
    await crm.form(url, amo_lead("status", 9001, 143, 20000, 555))
    await crm.settled()
    assert [e.kind.value for e in await crm.entries(bob)] == ["lead"]
    await crm.form(url, amo_lead("status", 9001, 142, 21000, 555))
    await crm.settled()
    deals = [e for e in await crm.entries(bob) if e.kind.value == "deal"]
    assert [d.amount_kopecks for d in deals] == [2_100_000]

    # Bob deletes it by hand: it stays deleted however often amoCRM repeats itself.
    listed = await bob.say("/log")
    await bob.press(listed.buttons()[0][-1])
    for price in (21000, 21000, 25000):
        await crm.form(url, amo_lead("status", 9001, 142, price, 555))
    await crm.settled()
    assert [e.kind.value for e in await crm.entries(bob)] == ["lead"]
    every = await crm.entries(bob, live=False)
    assert [(e.kind.value, e.deleted_by_id) for e in every] == [
        ("lead", None),
        ("deal", None),  # the reversal: deleted by nobody
        ("deal", bob.id),
    ]
    # /undo takes back an entry that logged itself like any other.
    assert "Removed: 1 lead" in text(await bob.say("/undo"))


async def test_amocrm_a_held_deal_edited_later_is_logged_on_the_day_it_was_won(crm: Crm) -> None:
    anna, bob = await team(crm)
    url = shown_url(await anna.say("/connect amocrm"), "amocrm")
    won_day = moscow_today() - timedelta(days=2)
    won_at = datetime.combine(won_day, time(12, 0), ZoneInfo("Europe/Moscow"))
    assert (await crm.form(url, amo_lead("status", 9002, 142, 15000, 556, won_at)))[0] == 200
    assert (await crm.form(url, amo_lead("update", 9002, 142, 18000, 556)))[0] == 200
    await crm.settled()
    assert "1 held event logged" in await link(crm, anna, "amoCRM · #556", "Bob @bob")
    logged = await crm.entries(bob)
    assert [(e.amount_kopecks, e.business_date) for e in logged] == [(1_800_000, won_day)]


# --- Zadarma --------------------------------------------------------------------------------------


ZADARMA_SECRET = "c2a8b0f1e9d74a6b"


def zadarma_call(
    event: str, call_id: str, start: datetime, seconds: int, extension: str | None, answered: bool
) -> tuple[dict[str, str], str]:
    """A call-end notification as Zadarma posts it, and its Signature header."""
    fields = {
        "event": event,
        "call_start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "pbx_call_id": call_id,
        "caller_id": "+74951234567" if event == "NOTIFY_END" else "101",
        "duration": str(seconds),
        "disposition": "answered" if answered else "no answer",
        "status_code": "16",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    if event == "NOTIFY_END":
        fields["called_did"] = "74957654321"
        signed = fields["caller_id"] + fields["called_did"] + fields["call_start"]
    else:
        fields["destination"] = "+79161234567"
        signed = (extension or "") + fields["destination"] + fields["call_start"]
    if extension is not None:
        fields["internal"] = extension
    digest = hmac.new(ZADARMA_SECRET.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return fields, base64.b64encode(digest.encode()).decode()


async def test_zadarma_calls_held_for_an_unlinked_extension_then_logged_on_link(crm: Crm) -> None:
    anna, bob = await team(crm)
    url = shown_url(await anna.say("/connect zadarma"), "zadarma")
    # Zadarma checks a new notification URL with a GET that must echo zd_echo.
    async with crm.http.get(crm.local(url), params={"zd_echo": "a1b2c3"}) as response:
        assert (response.status, await response.text()) == (200, "a1b2c3")

    # The message holding the secret is deleted from the chat; the reply never repeats it.
    reply = await anna.say(f"/connect zadarma {ZADARMA_SECRET}")
    assert "Saved for Zadarma" in text(reply) and ZADARMA_SECRET not in text(reply)
    assert [chat for chat, _message in crm.kpi.tg.deleted] == [anna.id]

    # Zadarma dates a call by the account's wall clock, the team's time zone: a call at 23:30
    # yesterday in Moscow belongs to yesterday (read as UTC it would slide into today).
    day = moscow_today() - timedelta(days=1)
    yesterday = datetime.combine(day, time(23, 30))
    calls = [
        zadarma_call("NOTIFY_END", "in-1", yesterday, 45, "101", answered=True),
        zadarma_call("NOTIFY_END", "in-2", yesterday, 10, "101", answered=True),  # too short
        zadarma_call("NOTIFY_END", "in-3", yesterday, 90, "101", answered=False),  # missed
        zadarma_call("NOTIFY_OUT_END", "out-1", yesterday, 60, None, answered=True),
        zadarma_call("NOTIFY_OUT_END", "out-2", yesterday, 120, "101", answered=True),
    ]
    mark = crm.kpi.tg.mark()
    for fields, signature in calls:
        assert (await crm.form(url, fields, Signature=signature))[0] == 200
    # A forged notification: refused like an unknown URL, and nothing of it stored.
    forged, _ = zadarma_call("NOTIFY_END", "in-9", yesterday, 300, "101", answered=True)
    before = await crm.stored()
    refused = await crm.form(url, forged, Signature=base64.b64encode(b"0" * 40).decode())
    unknown = await crm.form(url.rsplit("/", 1)[0] + "/nosuchtoken", forged)
    assert refused == unknown == (404, "Not Found")
    assert await crm.stored() == before
    await crm.settled()
    told = {await notice(crm, anna, mark), await notice(crm, anna, mark + 1)}
    assert any("Zadarma · #101" in line for line in told), told
    assert any("Zadarma · calls without an extension" in line for line in told), told
    assert await crm.entries(bob) == []

    # Yesterday's small wins were looked for already (after midnight).
    async with crm.kpi.db.write() as session:
        session.add(ClosedDay(team_id=1, day=day))
    done = await link(crm, anna, "Zadarma · #101", "Bob @bob")
    assert "2 held events logged" in done
    # The calls held from yesterday: that day is looked at again for small wins.
    async with crm.kpi.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ClosedDay)) == 0
    logged = await crm.entries(bob)
    assert [(e.kind.value, e.business_date, e.source) for e in logged] == [
        ("call", day, "zadarma"),
        ("call", day, "zadarma"),
    ]
    connections = text(await anna.say("/connections"))
    assert "Zadarma: last event" in connections and "5 today" in connections
    assert "calls from 30 s count" in connections
    assert "1 delivery refused for a bad signature" in connections


# --- Bitrix24 -------------------------------------------------------------------------------------


@dataclass
class FakeBitrix24:
    """A portal's REST API behind an inbound webhook URL (…/rest/1/<key>/<method>.json)."""

    key: str = "k3y4bc9xyz"
    deals: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # deals the portal fails to give
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["key"] != self.key:
            return web.json_response({"error": "INVALID_CREDENTIALS"}, status=401)
        method = request.match_info["method"]
        params = {**request.query, **(await request.post())}
        self.calls.append(method)
        if method == "crm.deal.get":
            self.calls.append(f"crm.deal.get {params.get('id')}")
            if str(params.get("id")) in self.broken:
                return web.json_response({"error": "INTERNAL_SERVER_ERROR"}, status=500)
            deal = self.deals.get(str(params.get("id")))
            if deal is None:
                return web.json_response({"error": "Not found"}, status=400)
            return web.json_response({"result": deal, "time": {}})
        if method == "user.get":
            return web.json_response(
                {"result": [{"ID": params["ID"], "NAME": "Boris", "LAST_NAME": "Ivanov"}]}
            )
        return web.json_response({"error": "ERROR_METHOD_NOT_FOUND"}, status=404)

    def won(self, deal_id: str, amount: str, *, won: bool = True) -> None:
        self.deals[deal_id] = {
            "ID": deal_id,
            "TITLE": f"Deal #{deal_id}",
            "STAGE_ID": "C3:WON" if won else "C3:PREPARATION",
            "STAGE_SEMANTIC_ID": "S" if won else "P",
            "OPPORTUNITY": amount,
            "CURRENCY_ID": "RUB",
            "ASSIGNED_BY_ID": "17",
            "CLOSEDATE": f"{moscow_today() - timedelta(days=1)}T03:00:00+03:00",
            "DATE_MODIFY": datetime.now(UTC).isoformat(),
        }

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/rest/1/{self.key}/"


def bitrix_event(deal_id: str, token: str) -> dict[str, str]:
    """ONCRMDEALUPDATE as the portal's outbound webhook posts it."""
    return {
        "event": "ONCRMDEALUPDATE",
        "event_handler_id": "23",
        "data[FIELDS][ID]": deal_id,
        "ts": str(int(datetime.now(UTC).timestamp())),
        "auth[domain]": "salesnorth.bitrix24.ru",
        "auth[client_endpoint]": "https://salesnorth.bitrix24.ru/rest/",
        "auth[server_endpoint]": "https://oauth.bitrix.info/rest/",
        "auth[member_id]": "5c4f0f1e6a7b8c9d0e1f2a3b4c5d6e7f",
        "auth[application_token]": token,
    }


@pytest.fixture
async def portal() -> AsyncIterator[FakeBitrix24]:
    fake = FakeBitrix24()
    app = web.Application()
    app.router.add_post("/rest/{user}/{key}/{method}.json", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield fake
    finally:
        await runner.cleanup()


async def test_bitrix24_deal_won_edited_reversed_through_the_rest_api(
    crm: Crm, portal: FakeBitrix24
) -> None:
    anna, bob = await team(crm)
    url = shown_url(await anna.say("/connect bitrix24"), "bitrix24")
    token = "f3f0d0c5ff4dddad30a5088db9d7abc5"
    # Before the manager gives the portal's secrets every delivery is refused, and not counted
    # as failing signatures (the portal may be set up first).
    for _ in range(FAILURES_TOLD_AFTER):
        assert (await crm.form(url, bitrix_event("7", token)))[0] == 404
    assert "refused" not in text(await anna.say("/connections"))
    bad = await anna.say("/connect bitrix24 https://nowhere/ x")
    assert "I need two things" in text(bad)
    saved = await anna.say(f"/connect bitrix24 {portal.rest_url} {token}")
    assert "Saved for Bitrix24" in text(saved) and portal.key not in text(saved)
    await link_after_first_event(crm, anna, portal, url, token)

    # Yesterday's small wins were looked for already (after midnight).
    yesterday = moscow_today() - timedelta(days=1)
    async with crm.kpi.db.write() as session:
        session.add(ClosedDay(team_id=1, day=yesterday))

    # An edit of a deal that is not won: nothing. Won: logged once, however often it fires.
    portal.won("7", "50000.00")
    for _ in range(3):
        assert (await crm.form(url, bitrix_event("7", token)))[0] == 200
    await crm.settled()
    assert [(e.amount_kopecks, e.source) for e in await crm.entries(bob)] == [
        (5_000_000, "bitrix24")
    ]
    # A deal dated yesterday: that day is looked at again for small wins (a streak step).
    async with crm.kpi.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ClosedDay)) == 0
    # Dated as the portal closed it (yesterday), logged now.
    assert "via Bitrix24" in text(await bob.say("/log yesterday"))
    portal.won("7", "64500.50")
    await crm.form(url, bitrix_event("7", token))
    await crm.settled()
    assert [e.amount_kopecks for e in await crm.entries(bob)] == [6_450_050]
    portal.won("7", "64500.50", won=False)
    await crm.form(url, bitrix_event("7", token))
    await crm.settled()
    assert await crm.entries(bob) == []

    # A wrong application token: refused, nothing stored.
    before = await crm.stored()
    assert await crm.form(url, bitrix_event("7", "0" * 32)) == (404, "Not Found")
    assert await crm.stored() == before


async def test_bitrix24_a_deleted_deal_is_reversed_and_an_unreadable_one_given_up_after_a_day(
    crm: Crm, portal: FakeBitrix24, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, bob = await team(crm)
    url = shown_url(await anna.say("/connect bitrix24"), "bitrix24")
    token = "f3f0d0c5ff4dddad30a5088db9d7abc5"
    await anna.say(f"/connect bitrix24 {portal.rest_url} {token}")
    await link_after_first_event(crm, anna, portal, url, token)
    portal.won("7", "50000.00")
    await crm.form(url, bitrix_event("7", token))
    await crm.settled()
    assert [e.amount_kopecks for e in await crm.entries(bob)] == [5_000_000]

    # Deleted in the portal ("Not found"): it no longer counts, and is not asked for again.
    del portal.deals["7"]
    await crm.form(url, bitrix_event("7", token))
    await crm.settled()
    assert await crm.entries(bob) == []
    assert portal.calls.count("crm.deal.get 7") == 3

    # A deal the portal keeps failing to give: asked again and again, given up after a day.
    monkeypatch.setattr(hooks, "FETCH_RETRY_SECONDS", 0.0)
    portal.broken.add("8")
    await crm.form(url, bitrix_event("8", token))
    await asyncio.sleep(0.5)
    crm.app[hooks.APPLIER].wake()
    await asyncio.sleep(0.5)
    assert await crm.unapplied() == 1 and portal.calls.count("crm.deal.get 8") >= 2
    frozen_clock.freeze(datetime.now(UTC) + hooks.FETCH_GIVE_UP_AFTER)
    crm.app[hooks.APPLIER].wake()
    await crm.settled()
    assert await crm.entries(bob) == []


async def link_after_first_event(
    crm: Crm, anna: FakeUser, portal: FakeBitrix24, url: str, token: str
) -> None:
    """Deal 7, not won yet: the portal names its responsible user, who is then linked."""
    portal.won("7", "50000.00", won=False)
    mark = crm.kpi.tg.mark()
    assert (await crm.form(url, bitrix_event("7", token)))[0] == 200
    assert "Bitrix24 · Boris Ivanov (17)" in await notice(crm, anna, mark)
    await crm.settled()
    assert "crm.deal.get" in portal.calls
    done = await link(crm, anna, "Bitrix24 · Boris Ivanov", "Bob @bob")
    assert "is Bob now" in done and "held" not in done


# --- the signed webhook, and a flood of it --------------------------------------------------------


def signed(key: str, payload: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-KPI-Signature": signature}


def webhook_key(reply: Any) -> str:
    match = re.search(r"X-KPI-Signature[^\n]*\n(\S+)", text(reply))
    assert match, text(reply)
    return match.group(1)


async def test_webhook_signed_json_limits_and_reset(crm: Crm) -> None:
    anna, bob = await team(crm)
    reply = await anna.say("/connect webhook")
    url, key = shown_url(reply, "webhook"), webhook_key(reply)
    body, headers = signed(
        key,
        {
            "kind": "deal",
            "amount": 15000,
            "external_id": "D-1",
            "user": "bob-crm",
            "name": "Bob B.",
        },
    )
    assert (await crm.post(url, body, headers))[0] == 200
    await crm.settled()
    await link(crm, anna, "webhook · Bob B.", "Bob @bob")
    assert [e.amount_kopecks for e in await crm.entries(bob)] == [1_500_000]

    before = await crm.stored()
    tampered = body.replace(b"15000", b"99000")
    assert await crm.post(url, tampered, headers) == (404, "Not Found")
    assert await crm.post(url.replace("/webhook/", "/amocrm/"), body, headers) == (404, "Not Found")
    too_big = b" " * (hooks.MAX_BODY_BYTES + 1)
    assert (await crm.post(url, too_big, headers))[0] == 413
    unsigned_bad, bad_headers = signed(key, {"kind": "sale", "external_id": "x"})
    status, problem = await crm.post(url, unsigned_bad, bad_headers)
    assert status == 400 and "kind" in problem
    assert await crm.stored() == before

    # A new address: the old one stops working at once.
    reset = await anna.say("/connect reset webhook")
    assert "a new address" in text(reset)
    assert await crm.post(url, body, headers) == (404, "Not Found")
    new_body, new_headers = signed(
        webhook_key(reset), {"kind": "call", "external_id": "C-1", "user": "bob-crm"}
    )
    assert (await crm.post(shown_url(reset, "webhook"), new_body, new_headers))[0] == 200
    await crm.settled()
    assert [e.kind.value for e in await crm.entries(bob)] == ["deal", "call"]

    # A deal lost: named by its id alone, its entry reversed.
    lost, lost_headers = signed(
        webhook_key(reset), {"kind": "deal", "status": "lost", "external_id": "D-1"}
    )
    assert (await crm.post(shown_url(reset, "webhook"), lost, lost_headers))[0] == 200
    await crm.settled()
    assert [e.kind.value for e in await crm.entries(bob)] == ["call"]


async def test_one_far_off_date_never_stops_auto_logging_for_another_team(crm: Crm) -> None:
    anna, bob = await team(crm)
    olga = crm.kpi.tg.user(2001, "Olga", username="olga", language_code="en")
    ivan = crm.kpi.tg.user(2002, "Ivan", username="ivan", language_code="en")
    await set_up_team(crm.kpi, olga, ivan, "North")
    reply = await anna.say("/connect webhook")
    url, key = shown_url(reply, "webhook"), webhook_key(reply)
    north = await olga.say("/connect webhook")
    north_url, north_key = shown_url(north, "webhook"), webhook_key(north)

    async def ivan_calls(*ids: str) -> None:
        for external_id in ids:
            body, headers = signed(
                north_key, {"kind": "call", "external_id": external_id, "user": "ivan-crm"}
            )
            assert (await crm.post(north_url, body, headers))[0] == 200

    await ivan_calls("warm-up")
    await crm.settled()
    await link(crm, olga, "webhook · #ivan-crm", "Ivan @ivan")

    # A date the bot cannot believe is the sender's mistake: told so, nothing stored.
    for at in ("9999-12-31T23:00:00Z", "0001-01-01T00:00:00", "2020-01-01T12:00:00Z"):
        body, headers = signed(key, {"kind": "call", "external_id": at, "user": "b", "at": at})
        status, problem = await crm.post(url, body, headers)
        assert status == 400 and "400 days ago or in the future" in problem
    assert await crm.stored() == 1

    anna_connection = await crm.connection(anna)
    # One that got stored anyway (as before this check) is skipped, not retried for ever
    # ahead of every later event of every team.
    async with crm.kpi.db.write() as session:
        session.add(
            ExternalEvent(
                connection_id=anna_connection,
                kind="call",
                external_id="year-9999",
                state="done",
                person="bob-crm",
                occurred_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
                received_at=utcnow(),
            )
        )
    await ivan_calls("c-1", "c-2")
    await crm.settled()
    assert len(await crm.entries(ivan)) == 3

    # A delivery the database refuses fails alone, not the others stored in its batch.
    intake = crm.app[hooks.INTAKE]
    year_one = datetime(1, 1, 1, tzinfo=ZoneInfo("Europe/Moscow"))
    poison = IncomingEvent(EntryKind.CALL, "year-1", State.DONE, year_one, "bob-crm")
    good = [
        Received(
            await crm.connection(olga),
            [IncomingEvent(EntryKind.CALL, n, State.DONE, utcnow(), "ivan-crm")],
        )
        for n in ("c-3", "c-4")
    ]
    results = await asyncio.gather(
        intake.submit(Received(anna_connection, [poison])),
        *(intake.submit(received) for received in good),
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception) and results[1:] == [None, None]
    await crm.settled()
    assert len(await crm.entries(ivan)) == 5
    assert await crm.entries(bob) == []


async def in_two_pieces(body: bytes) -> AsyncIterator[bytes]:
    """A body as a slow sender posts it: half, a pause, the rest (chunked, no length)."""
    yield body[: len(body) // 2]
    await asyncio.sleep(0.3)
    yield body[len(body) // 2 :]


async def test_a_body_arriving_in_pieces_is_read_whole(crm: Crm) -> None:
    anna, bob = await team(crm)
    reply = await anna.say("/connect webhook")
    url, key = shown_url(reply, "webhook"), webhook_key(reply)
    event = {"kind": "deal", "amount": 15000, "external_id": "D-1", "user": "bob-crm"}
    body, headers = signed(key, event)
    body += b" " * 60_000  # still JSON; the signature covers every byte
    headers["X-KPI-Signature"] = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    async with crm.http.post(crm.local(url), data=in_two_pieces(body), headers=headers) as r:
        assert (r.status, await r.text()) == (200, '{"status": "ok", "events": 1}')
    # A body without a length is still cut off once it passes the limit.
    too_big = b" " * (hooks.MAX_BODY_BYTES // 2 + 1) * 2
    async with crm.http.post(crm.local(url), data=in_two_pieces(too_big), headers=headers) as r:
        assert r.status == 413
    await crm.settled()
    await link(crm, anna, "webhook · #bob-crm", "Bob @bob")
    assert [e.amount_kopecks for e in await crm.entries(bob)] == [1_500_000]


BURST = 1000


async def test_a_burst_of_events_while_people_log_by_hand(crm: Crm) -> None:
    anna, bob = await team(crm)
    reply = await anna.say("/connect webhook")
    url, key = shown_url(reply, "webhook"), webhook_key(reply)
    first, headers = signed(key, {"kind": "call", "external_id": "warm-up", "user": "anna-crm"})
    await crm.post(url, first, headers)
    await crm.settled()
    await link(crm, anna, "webhook · #anna-crm", "Anna @anna")

    async def sender(start: int) -> None:
        for n in range(start, BURST, 20):
            body, signed_headers = signed(
                key, {"kind": "call", "external_id": f"c-{n}", "user": "anna-crm"}
            )
            status, _ = await crm.post(url, body, signed_headers)
            assert status == 200

    flood = asyncio.gather(*(sender(start) for start in range(20)))
    for n in range(1, 21):
        reply = await bob.say("/call", timeout=10)
        assert f"Today in total: {n} call" in text(reply)
    await flood
    await crm.settled(seconds=60)
    assert len(await crm.entries(anna)) == BURST + 1
    assert len(await crm.entries(bob)) == 20


async def test_the_manager_hears_of_failing_signatures_and_silence_in_russian(
    crm: Crm, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 12, 16, 9, 0, tzinfo=UTC))  # noon in Moscow
    olga = crm.kpi.tg.user(2001, "Ольга", username="olga", language_code="ru")
    ivan = crm.kpi.tg.user(2002, "Иван", username="ivan", language_code="ru")
    await set_up_team(crm.kpi, olga, ivan, "Продажи")
    reply = await olga.say("/connect webhook")
    assert "webhook: подключено" in text(reply) and "Показываю один раз" in text(reply)
    url, key = shown_url(reply, "webhook"), webhook_key(reply)
    body, headers = signed(key, {"kind": "lead", "external_id": "L-1", "user": "ivan-crm"})
    assert (await crm.post(url, body, headers))[0] == 200
    await crm.settled()

    # Deliveries that keep failing their signature: told once, after FAILURES_TOLD_AFTER.
    forged = {**headers, "X-KPI-Signature": "0" * 64}
    for _ in range(FAILURES_TOLD_AFTER + 5):
        assert await crm.post(url, body, forged) == (404, "Not Found")
    told = await notice_saying(crm, olga, "webhook: запросы приходят с неверной подписью")
    assert "/connect reset webhook" in told
    status = text(await olga.say("/connections"))
    assert f"{FAILURES_TOLD_AFTER + 5} запросов отклонены" in status
    assert "• webhook: последнее событие 12:00 · 1 за сегодня" in status

    # Four days without a word, by the app's clock: the scheduler's minute tick (on the lease
    # holder only) tells once, however often it runs.
    assert await run_silence_check(crm.kpi.db, "scheduler", LEASE_TTL) == 0
    frozen_clock.freeze(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))
    for _ in range(2):
        await run_silence_check(crm.kpi.db, "scheduler", LEASE_TTL, crm.kpi.outbox.wake)
    told = await notice_saying(crm, olga, "🔇 webhook ничего не присылает уже 4 дня")
    assert "Проверьте подключение" in told
    await asyncio.sleep(0.5)
    silent = [m for m in crm.kpi.tg.chat_messages(olga.id) if "🔇" in text(m)]
    assert len(silent) == 1
