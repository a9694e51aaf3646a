"""The real bot (real Dispatcher, real aiohttp session) against the fake Bot API server, taking
its updates either way production can: long polling, or the webhook the fake posts to."""

import asyncio
import contextlib
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import func, select

from bot.config import WEBHOOK_PATH
from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from bot.sender import OutboxSender
from models import Entry
from models.database import Database
from tests.db import migrated_database
from tests.fake_telegram import FakeTelegram

Mode = Literal["polling", "webhook"]
MODES: tuple[Mode, ...] = ("polling", "webhook")
WEBHOOK_SECRET = "e2e_webhook-Secret-0123456789"


@dataclass
class RunningBot:
    tg: FakeTelegram
    db: Database
    outbox: OutboxSender
    dp: Dispatcher
    mode: Mode = "polling"
    base_url: str = ""  # the bot's own HTTP server (webhook mode)

    async def live_entries(self) -> int:
        async with self.db.read() as session:
            query = select(func.count()).where(Entry.deleted_at.is_(None))
            return await session.scalar(query) or 0

    async def all_entries(self) -> list[Entry]:
        async with self.db.read() as session:
            return list((await session.scalars(select(Entry).order_by(Entry.id))).all())


@asynccontextmanager
async def receiving(
    tg: FakeTelegram, dp: Dispatcher, bot: Bot, db: Database, mode: Mode
) -> AsyncIterator[str]:
    """`dp` taking updates for the block: polling, or production's webhook server on a free
    loopback port with the webhook registered as the deploy step does. Yields the server's base
    URL ("" when polling)."""
    if mode == "polling":
        async with tg.polling(dp, bot, close_bot_session=False):
            yield ""
        return
    from bot.webhook import set_webhook, webhook_server

    try:
        async with webhook_server(
            dp, bot, db, secret=WEBHOOK_SECRET, host="127.0.0.1", port=0, shutdown_timeout=5
        ) as server:
            await set_webhook(bot, dp, server.base_url + WEBHOOK_PATH, WEBHOOK_SECRET)
            yield server.base_url
            # As a deploy would before stopping the last instance: nothing is posted any more.
            with contextlib.suppress(Exception):
                await bot.delete_webhook()
    finally:
        await bot.session.close()


@asynccontextmanager
async def run_bot(
    tg: FakeTelegram, db_url: str, *, in_order: bool = True, mode: Mode = "polling"
) -> AsyncIterator[RunningBot]:
    """Start the bot exactly as production wires it; stop and close everything after."""
    async with migrated_database(db_url) as db:
        bot = create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.05))
        # Scheduled work is driven by the time-travel tests themselves, not by a wall clock.
        dp = create_dispatcher(db, with_scheduler=False, in_order=in_order)
        async with receiving(tg, dp, bot, db, mode) as base_url:
            yield RunningBot(tg, db, dp["outbox"], dp, mode, base_url)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    """How the bot takes updates; a test bound to one way says
    `@pytest.mark.parametrize("mode", ["polling"])`."""
    return request.param  # type: ignore[no-any-return]


# A bot that does not stop within this is a failure of the test, not a hung suite.
TEARDOWN_SECONDS = 60


@pytest.fixture
async def kpi(fake_tg: FakeTelegram, db_url: str, mode: Mode) -> AsyncIterator[RunningBot]:
    stack = contextlib.AsyncExitStack()
    running = await stack.enter_async_context(run_bot(fake_tg, db_url, mode=mode))
    try:
        yield running
    finally:
        await asyncio.wait_for(stack.aclose(), TEARDOWN_SECONDS)


# Every end-to-end script runs on both databases and in both ways of taking updates, paired so
# that the suite takes twice its time, not four times: SQLite with polling (the one-machine
# set-up), PostgreSQL with the webhook (the scaled one). KPI_E2E_ALL=1 runs all four.
PAIRS = {("sqlite", "polling"), ("postgresql", "webhook")}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KPI_E2E_ALL") == "1":
        return
    modes: dict[str, set[str]] = defaultdict(set)
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "mode" in params:
            modes[item.nodeid.split("[", 1)[0]].add(params["mode"])
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        both_ways = len(modes.get(item.nodeid.split("[", 1)[0], ())) > 1
        pair = (params.get("db_url"), params.get("mode"))
        if both_ways and "db_url" in params and pair not in PAIRS:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
