"""The real bot (real Dispatcher, real aiohttp session) against the fake Bot API server."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Dispatcher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from bot.sender import OutboxSender
from models import Entry
from tests.db import migrated_database, sqlite_url
from tests.fake_telegram import FakeTelegram


@dataclass
class RunningBot:
    tg: FakeTelegram
    session_pool: async_sessionmaker[AsyncSession]
    outbox: OutboxSender
    dp: Dispatcher

    async def live_entries(self) -> int:
        async with self.session_pool() as session:
            query = select(func.count()).where(Entry.deleted_at.is_(None))
            return await session.scalar(query) or 0

    async def all_entries(self) -> list[Entry]:
        async with self.session_pool() as session:
            return list((await session.scalars(select(Entry).order_by(Entry.id))).all())


@asynccontextmanager
async def run_bot(tg: FakeTelegram, db_url: str) -> AsyncIterator[RunningBot]:
    """Start polling exactly as production wires it; stop and close everything after."""
    async with migrated_database(db_url) as (_engine, session_pool):
        bot = create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.05))
        # Scheduled work is driven by the time-travel tests themselves, not by a wall clock.
        dp = create_dispatcher(session_pool, with_scheduler=False)
        async with tg.polling(dp, bot, close_bot_session=False):
            yield RunningBot(tg, session_pool, dp["outbox"], dp)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
async def kpi(fake_tg: FakeTelegram, db_url: str) -> AsyncIterator[RunningBot]:
    async with run_bot(fake_tg, db_url) as running:
        yield running
