"""The real bot (real Dispatcher, real aiohttp session) against the fake Bot API server."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiogram import Dispatcher
from sqlalchemy import func, select

from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from bot.sender import OutboxSender
from models import Entry
from models.database import Database
from tests.db import migrated_database
from tests.fake_telegram import FakeTelegram


@dataclass
class RunningBot:
    tg: FakeTelegram
    db: Database
    outbox: OutboxSender
    dp: Dispatcher

    async def live_entries(self) -> int:
        async with self.db.read() as session:
            query = select(func.count()).where(Entry.deleted_at.is_(None))
            return await session.scalar(query) or 0

    async def all_entries(self) -> list[Entry]:
        async with self.db.read() as session:
            return list((await session.scalars(select(Entry).order_by(Entry.id))).all())


@asynccontextmanager
async def run_bot(
    tg: FakeTelegram, db_url: str, *, in_order: bool = True
) -> AsyncIterator[RunningBot]:
    """Start polling exactly as production wires it; stop and close everything after."""
    async with migrated_database(db_url) as db:
        bot = create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.05))
        # Scheduled work is driven by the time-travel tests themselves, not by a wall clock.
        dp = create_dispatcher(db, with_scheduler=False, in_order=in_order)
        async with tg.polling(dp, bot, close_bot_session=False):
            yield RunningBot(tg, db, dp["outbox"], dp)


@pytest.fixture
async def kpi(fake_tg: FakeTelegram, db_url: str) -> AsyncIterator[RunningBot]:
    async with run_bot(fake_tg, db_url) as running:
        yield running
