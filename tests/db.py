"""A migrated temporary SQLite database for tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import create_engine, create_session_pool, migrate


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'kpi.db'}"


@asynccontextmanager
async def migrated_database(
    url: str,
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    await migrate(url)
    engine = create_engine(url)
    try:
        yield engine, create_session_pool(engine)
    finally:
        await engine.dispose()
