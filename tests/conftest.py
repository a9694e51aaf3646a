"""Fixtures shared by every test package.

Every test that takes `db_url` (directly or through `database`, `kpi` and the like) runs twice:
on SQLite and on a real PostgreSQL server that the test run starts itself.
"""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from models.base import Clock, clock
from models.database import Database
from tests.db import BACKENDS, fresh_postgres_url, migrated_database, sqlite_url, start_postgres
from tests.fake_telegram import FakeTelegram
from tests.postgres import PostgresServer
from tests.redis_server import RedisServer, start_redis


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server on 127.0.0.1; stopped after the test."""
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    """The application clock, frozen by the test (`frozen_clock.freeze(instant)`)."""
    yield clock
    clock.unfreeze()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from start_postgres()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database's URL (not migrated for SQLite; PostgreSQL's come migrated)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name, url = await fresh_postgres_url(server)
    try:
        yield url
    finally:
        await server.drop_database(name)


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    """A migrated database, open."""
    async with migrated_database(db_url) as db:
        yield db


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from start_redis()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis server, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url
