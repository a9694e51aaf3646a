"""Instances started at the same moment on an empty database: migrations run once, all come up.

The test first holds the lock the migrations take (PostgreSQL's advisory lock, SQLite's write
lock), starts the `python -m bot migrate` processes, and lets go once they all wait for it: they
then race for the empty database at the same instant."""

import asyncio
import sqlite3
import uuid
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from models.database import alembic_config
from models.lease import MIGRATIONS_LOCK_KEY
from tests.e2e.test_process import spawn
from tests.postgres import PostgresServer

INSTANCES = 3
# Long enough for every process to start Python and reach the lock (SQLite's waiters can't be
# seen from outside; PostgreSQL's are counted).
SQLITE_HOLD_SECONDS = 8.0


def head(url: str) -> str:
    revision = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert revision is not None
    return revision


async def start_migrations(tmp_path: Path, url: str) -> list[asyncio.subprocess.Process]:
    return [await spawn(tmp_path, "migrate", DATABASE_URL=url) for _ in range(INSTANCES)]


async def results(processes: list[asyncio.subprocess.Process]) -> list[tuple[int | None, str]]:
    ended = []
    for process in processes:
        _out, err = await asyncio.wait_for(process.communicate(), 120)
        ended.append((process.returncode, err.decode()[-2000:]))
    return ended


async def test_started_together_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "db" / "kpi.db"
    path.parent.mkdir()
    url = f"sqlite+aiosqlite:///{path}"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        processes = await start_migrations(tmp_path, url)
        await asyncio.sleep(SQLITE_HOLD_SECONDS)
        assert all(process.returncode is None for process in processes), "one did not wait"
    finally:
        holder.execute("COMMIT")
        holder.close()
    ended = await results(processes)
    assert [code for code, _ in ended] == [0] * INSTANCES, ended
    with sqlite3.connect(path) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert versions == [(head(url),)]
    assert {"teams", "users", "entries", "outbox", "leases", "processed_updates"} <= tables


async def waiting_for_lock(connection: asyncpg.Connection) -> int:
    return await connection.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    )


async def test_started_together_on_an_empty_postgres_database(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    name = f"empty_{uuid.uuid4().hex[:12]}"
    await postgres_server.create_database(name)  # empty: not from the migrated template
    url = postgres_server.url(name)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = await asyncpg.connect(dsn)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATIONS_LOCK_KEY)
        processes = await start_migrations(tmp_path, url)
        for _ in range(600):
            if await waiting_for_lock(holder) == INSTANCES:
                break
            assert all(process.returncode is None for process in processes), "one did not wait"
            await asyncio.sleep(0.1)
        assert await waiting_for_lock(holder) == INSTANCES
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATIONS_LOCK_KEY)
        ended = await results(processes)
        assert [code for code, _ in ended] == [0] * INSTANCES, ended
        versions = await holder.fetch("SELECT version_num FROM alembic_version")
        tables = {
            row[0]
            for row in await holder.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    finally:
        await holder.close()
        await postgres_server.drop_database(name)
    assert [tuple(row) for row in versions] == [(head(url),)]
    assert {"teams", "users", "entries", "outbox", "leases", "processed_updates"} <= tables
