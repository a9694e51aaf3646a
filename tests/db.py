"""Databases for tests: a migrated SQLite file, or a fresh database on the test PostgreSQL
server copied from a migrated template."""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from models.database import Database, migrate, upgrade_to_head
from tests.postgres import PostgresServer, PostgresUnavailable, postgres_required

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "kpi_template"
# A throwaway server's files on tmpfs when there is room: copying a database there takes
# milliseconds, on a disk a fifth of a second.
FAST_PARENT = Path("/dev/shm")
FAST_PARENT_FREE = 512 * 2**20


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'kpi.db'}"


@asynccontextmanager
async def migrated_database(url: str, **options: Any) -> AsyncIterator[Database]:
    """The database at `url` brought to the latest migration, open (with `options`, such as
    pool_size); closed after."""
    await migrate(url)
    db = Database(url, **options)
    try:
        yield db
    finally:
        await db.close()


def _server_parent() -> Path:
    if FAST_PARENT.is_dir() and shutil.disk_usage(FAST_PARENT).free > FAST_PARENT_FREE:
        return FAST_PARENT
    return Path("/tmp")


def start_postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server with a migrated template database; a skip (locally) or
    a failure (CI) when there is none."""
    try:
        server = PostgresServer.start(parent=_server_parent())
    except PostgresUnavailable as error:
        if postgres_required():
            pytest.fail(f"CI needs PostgreSQL for the tests: {error.reason}")
        pytest.skip(f"no PostgreSQL server: {error.reason}")
    try:
        # Asked for from inside a test's event loop: this work gets a thread and a loop of its own.
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(lambda: asyncio.run(server.create_database(TEMPLATE))).result()
            thread.submit(upgrade_to_head, server.url(TEMPLATE)).result()
        yield server
    finally:
        server.stop()


async def fresh_postgres_url(server: PostgresServer) -> tuple[str, str]:
    """A new database copied from the migrated template: (its name, its URL)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    await server.create_database(name, template=TEMPLATE)
    return name, server.url(name)
