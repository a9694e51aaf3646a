"""Webhook mode as Telegram drives it: registration, the secret header, health and readiness,
an update answered only after its unit of work, redelivery of what failed, shutdown."""

import asyncio
import time
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

import handlers.activity
from models import User
from models.processed_update import ProcessedUpdate
from tests.e2e.conftest import WEBHOOK_SECRET, Mode, RunningBot, run_bot
from tests.e2e.test_robustness import team_of_two
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.postgres import PostgresServer

webhook_only = pytest.mark.parametrize("mode", ["webhook"])
pytestmark = webhook_only

ERROR_LINE = "Something went wrong on my side, and this message was not saved"


async def get(url: str) -> tuple[int, dict[str, Any]]:
    async with ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def count(kpi: RunningBot, query: Any) -> int:
    async with kpi.db.read() as session:
        return int(await session.scalar(query) or 0)


def message_update(user: FakeUser, text: str, update_id: int = 900_001) -> dict[str, Any]:
    """An update built by hand, not queued at the fake (so only the test posts it)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": user.obj,
            "chat": user.chat_obj,
            "date": int(time.time()),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


def fail_first_entries(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The next `times` /call-like commands fail inside their unit of work (as a lost database
    connection would); returns the list of calls, failing ones included."""
    real = handlers.activity.record_entry
    calls: list[int] = []

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        result = await real(*args, **kwargs)  # written, then lost with the rollback
        if len(calls) <= times:
            raise ConnectionError("the database went away")
        return result

    monkeypatch.setattr(handlers.activity, "record_entry", flaky)
    return calls


async def test_the_webhook_is_registered_with_the_secret_and_the_handled_updates(
    kpi: RunningBot,
) -> None:
    [request] = [r for r in kpi.tg.requests if r.method == "setWebhook"]
    assert request.ok
    assert request.params["url"] == kpi.base_url + "/telegram/webhook"
    assert request.params["secret_token"] == WEBHOOK_SECRET
    assert set(request.params["allowed_updates"]) == {"message", "callback_query", "my_chat_member"}
    anna = kpi.tg.user(1001, "Anna")
    assert "Hi!" in ((await anna.say("/start")).plain or "")
    await kpi.tg.wait_until_consumed()
    assert not any(r.method == "getUpdates" for r in kpi.tg.requests)
    assert [post.status for post in kpi.tg.webhook_posts] == [200]


@pytest.mark.parametrize("secret", [None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    kpi: RunningBot, secret: str | None
) -> None:
    anna = kpi.tg.user(1001, "Anna")
    update = message_update(anna, "/newteam Sales")
    assert await kpi.tg.post_webhook(update, secret) == 401
    await kpi.tg.expect_silence(anna.id)
    assert await count(kpi, select(func.count()).select_from(User)) == 0
    assert await count(kpi, select(func.count()).select_from(ProcessedUpdate)) == 0
    # The same update with Telegram's secret is taken: it was refused for the secret alone.
    mark = kpi.tg.mark()
    assert await kpi.tg.post_webhook(update, WEBHOOK_SECRET) == 200
    assert "is created" in ((await kpi.tg.next_in_chat(anna.id, mark)).plain or "")


async def test_healthz_and_readyz_answer_when_up(kpi: RunningBot) -> None:
    assert await get(kpi.base_url + "/healthz") == (200, {"status": "ok"})
    assert await get(kpi.base_url + "/readyz") == (200, {"status": "ready"})


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_healthz_is_503_when_the_database_is_gone(
    kpi: RunningBot, db_url: str, postgres_server: PostgresServer
) -> None:
    assert (await get(kpi.base_url + "/healthz"))[0] == 200
    await postgres_server.drop_database(db_url.rsplit("/", 1)[1])
    assert await get(kpi.base_url + "/healthz") == (503, {"status": "database unavailable"})
    assert (await get(kpi.base_url + "/readyz"))[0] == 200  # up, only its database is not


async def test_a_failed_update_is_refused_then_its_redelivery_is_processed_once(
    kpi: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anna, bob = await team_of_two(kpi)
    calls = fail_first_entries(monkeypatch, times=1)
    await kpi.tg.wait_until_consumed()
    posts_before = len(kpi.tg.webhook_posts)
    reply = await bob.say("/call 3")
    assert reply.plain == "✅ Recorded: 3 calls\nToday in total: 3 calls"
    await kpi.tg.wait_until_consumed()
    await kpi.tg.expect_silence(bob.id)
    assert [post.status for post in kpi.tg.webhook_posts[posts_before:]] == [500, 200]
    assert len(calls) == 2
    assert [entry.count for entry in await kpi.all_entries()] == [3]
    # The redelivery is recorded once however often it comes again (another instance, say).
    update_id = kpi.tg.webhook_posts[-1].update_id
    kpi.tg.redeliver(update_id)
    await kpi.tg.wait_until_consumed()
    assert [entry.count for entry in await kpi.all_entries()] == [3]


async def test_an_update_failing_every_time_is_told_once_and_let_go(
    kpi: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anna, bob = await team_of_two(kpi)
    fail_first_entries(monkeypatch, times=1000)
    await kpi.tg.wait_until_consumed()
    posts_before = len(kpi.tg.webhook_posts)
    reply = await bob.say("/call 3")
    assert ERROR_LINE in (reply.plain or "")
    await kpi.tg.wait_until_consumed()
    assert [post.status for post in kpi.tg.webhook_posts[posts_before:]] == [500, 500, 200]
    assert await kpi.live_entries() == 0
    # The chat is not held behind it: the next update is taken.
    assert "Nothing logged yet" in ((await bob.say("/today")).plain or "")
    await kpi.tg.expect_silence(bob.id)


async def test_shutdown_finishes_the_update_in_flight(
    fake_tg: FakeTelegram, db_url: str, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = handlers.activity.record_entry
    started = asyncio.Event()

    async def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        await asyncio.sleep(0.5)
        return await real(*args, **kwargs)

    async with run_bot(fake_tg, db_url, mode=mode):
        anna = fake_tg.user(1001, "Anna")
        await anna.say("/newteam Sales")
        monkeypatch.setattr(handlers.activity, "record_entry", slow)
        anna.send("/call 2")
        await asyncio.wait_for(started.wait(), 5)
    await fake_tg.wait_until_consumed()
    # Left while the /call was inside its unit of work: committed, answered and replied to.
    assert fake_tg.webhook_posts[-1].status == 200
    assert (
        anna.last is not None and anna.last.plain == "✅ Recorded: 2 calls\nToday in total: 2 calls"
    )
    async with run_bot(fake_tg, db_url, mode=mode) as again:
        assert await again.live_entries() == 1
