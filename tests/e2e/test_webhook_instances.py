"""Two instances of the bot in webhook mode on one database, as behind a load balancer: with
REDIS_URL set they share conversation state and the per-person lock (RedisStorage,
RedisEventIsolation); without it each has its own, which the controls show is not enough.
The update dedupe holds across instances on the database alone."""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy import func, select

from bot.factory import create_bot, create_dispatcher, fsm_backends
from bot.retry import RetryMiddleware
from bot.webhook import webhook_server
from models import Entry, Team
from tests.db import migrated_database
from tests.e2e.conftest import WEBHOOK_SECRET
from tests.fake_telegram import BotMessage, FakeTelegram, FakeUser

# Each update is held this long inside the per-person lock, so that overlaps are plain to see.
HOLD_SECONDS = 0.3


@dataclass
class Spans(BaseMiddleware):
    """When each update was inside the dispatcher (inside the per-person lock), per person."""

    spans: list[tuple[int, float, float]] = field(default_factory=list)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        start = time.monotonic()
        await asyncio.sleep(HOLD_SECONDS)
        try:
            return await handler(event, data)
        finally:
            user = data.get("event_from_user")
            self.spans.append((user.id if user else 0, start, time.monotonic()))

    def overlapping(self, user_id: int | None = None) -> bool:
        mine = sorted((s, e) for u, s, e in self.spans if user_id is None or u == user_id)
        return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(mine))


@dataclass
class Instances:
    tg: FakeTelegram
    urls: list[str]
    spans: Spans

    async def post(self, user: FakeUser, text: str, instance: int) -> int:
        update_id = user.send(text)  # queued at the fake, which posts nothing by itself here
        return await self.tg.post_webhook(
            self.tg.payload(update_id), WEBHOOK_SECRET, url=self.urls[instance]
        )

    async def say(self, user: FakeUser, text: str, instance: int) -> BotMessage:
        mark = self.tg.mark()
        assert await self.post(user, text, instance) == 200
        return await self.tg.next_in_chat(user.id, mark, 5.0, f"{user} said {text!r}")


@asynccontextmanager
async def two_instances(
    tg: FakeTelegram, db_url: str, redis_url: str | None
) -> AsyncIterator[Instances]:
    """Two webhook servers, each with its own Bot, Dispatcher and database engine, sharing the
    database and (when `redis_url` is given) Redis, as two processes would."""
    spans = Spans()
    async with AsyncExitStack() as stack:
        urls = []
        for _ in range(2):
            db = await stack.enter_async_context(migrated_database(db_url))
            storage, isolation = fsm_backends(redis_url)
            stack.push_async_callback(isolation.close)
            stack.push_async_callback(storage.close)
            dp = create_dispatcher(
                db, storage=storage, events_isolation=isolation, with_scheduler=False
            )
            dp.update.outer_middleware(spans)  # inside the per-person lock
            bot = create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.05))
            stack.push_async_callback(bot.session.close)
            server = await stack.enter_async_context(
                webhook_server(
                    dp, bot, db, secret=WEBHOOK_SECRET, host="127.0.0.1", port=0, shutdown_timeout=5
                )
            )
            urls.append(server.base_url + "/telegram/webhook")
        yield Instances(tg, urls, spans)


@pytest.mark.parametrize("shared", ["redis", "memory"])
async def test_a_two_step_conversation_split_across_instances(
    fake_tg: FakeTelegram, db_url: str, request: pytest.FixtureRequest, shared: str
) -> None:
    redis_url = request.getfixturevalue("redis_url") if shared == "redis" else None
    anna = fake_tg.user(1001, "Anna")
    async with two_instances(fake_tg, db_url, redis_url) as run:
        await run.say(anna, "/start", 0)
        asked = await run.say(anna, "/newteam", 0)
        assert "What's the team called?" in (asked.plain or "")
        answer = await run.say(anna, "Sales North", 1)
        async with migrated_database(db_url) as db, db.read() as session:
            teams = list(await session.scalars(select(Team.name)))
    if shared == "redis":
        assert "Team «Sales North» is created" in (answer.plain or "")
        assert teams == ["Sales North"]
    else:  # the control: the other instance never heard the question
        assert "is created" not in (answer.plain or "")
        assert teams == []


@pytest.mark.parametrize("shared", ["redis", "memory"])
async def test_one_persons_updates_never_run_at_once_across_instances(
    fake_tg: FakeTelegram, db_url: str, request: pytest.FixtureRequest, shared: str
) -> None:
    redis_url = request.getfixturevalue("redis_url") if shared == "redis" else None
    anna, bob = fake_tg.user(1001, "Anna"), fake_tg.user(1002, "Bob")
    async with two_instances(fake_tg, db_url, redis_url) as run:
        await run.say(anna, "/newteam Sales", 0)
        run.spans.spans.clear()
        statuses = await asyncio.gather(
            *(run.post(anna, f"/call {n}", n % 2) for n in range(1, 5)),
            run.post(bob, "/start", 0),
            run.post(bob, "/help", 1),
        )
        assert set(statuses) == {200}
        async with migrated_database(db_url) as db, db.read() as session:
            calls = await session.scalar(select(func.sum(Entry.count)))
    assert calls == 1 + 2 + 3 + 4
    # Different people's updates do run side by side; one person's only with a shared lock.
    assert run.spans.overlapping()
    assert run.spans.overlapping(anna.id) is (shared == "memory")
    assert run.spans.overlapping(bob.id) is (shared == "memory")


async def test_one_update_posted_to_both_instances_is_recorded_once(
    fake_tg: FakeTelegram, db_url: str
) -> None:
    anna = fake_tg.user(1001, "Anna")
    async with two_instances(fake_tg, db_url, None) as run:
        await run.say(anna, "/newteam Sales", 0)
        update_id = anna.send("/deal 15000")
        payload = fake_tg.payload(update_id)
        statuses = await asyncio.gather(
            *(fake_tg.post_webhook(payload, WEBHOOK_SECRET, url=url) for url in run.urls * 2)
        )
        assert statuses == [200] * 4
        async with migrated_database(db_url) as db, db.read() as session:
            entries = list(await session.scalars(select(Entry.amount_kopecks)))
    assert entries == [1_500_000]
