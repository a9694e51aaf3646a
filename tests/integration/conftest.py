from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.db import migrated_database, sqlite_url


@pytest.fixture
async def session_pool(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated_database(sqlite_url(tmp_path)) as (_engine, pool):
        yield pool


@pytest.fixture
async def session(session_pool: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_pool() as session:
        yield session
