"""Migrations: head on an empty database, the stairway, and models matching migrations.

The stairway and the comparison with the models run on SQLite and on PostgreSQL."""

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models import Base
from models.database import Database, alembic_config, migrate
from tests.people import register

VERSION_TABLE = "alembic_version"


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_tables)
    finally:
        await engine.dispose()


async def models_vs_schema(url: str) -> list[Any]:
    """What autogenerate would write to bring the database to the models: nothing, if equal."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff)
    finally:
        await engine.dispose()


async def test_upgrade_head_on_empty_database_creates_every_table(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'kpi.db'}"  # its folder is made too
    await migrate(url)
    assert set(Base.metadata.tables) <= await tables(url)


async def test_models_match_migrations(db_url: str) -> None:
    await migrate(db_url)  # SQLite's starts empty; PostgreSQL's is at head already
    assert set(Base.metadata.tables) | {VERSION_TABLE} == await tables(db_url)
    assert await models_vs_schema(db_url) == []


async def test_stairway_upgrade_downgrade_upgrade_each_revision(db_url: str) -> None:
    config = alembic_config(db_url)
    # From base on both: PostgreSQL's database comes migrated, SQLite's empty (a no-op there).
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await tables(db_url) <= {VERSION_TABLE}

    def stairway() -> None:
        previous = "base"
        for revision in revisions(db_url):
            command.upgrade(config, revision)
            command.downgrade(config, previous)
            command.upgrade(config, revision)
            previous = revision

    await asyncio.to_thread(stairway)
    assert set(Base.metadata.tables) | {VERSION_TABLE} == await tables(db_url)
    # Down and up again leaves the schema the models describe.
    assert await models_vs_schema(db_url) == []


async def test_a_migrated_sqlite_file_is_opened_by_many_at_once(tmp_path: Path) -> None:
    """Databases opened together on a fresh file (instances, a lease race) all write: each
    connection waits for the lock before it switches the file to WAL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}"
    await migrate(url)
    databases = [Database(url) for _ in range(4)]
    try:

        async def write(db: Database, user_id: int) -> None:
            async with db.write() as session:
                await register(session, user_id, f"P{user_id}")

        await asyncio.gather(*(write(db, 100 + i) for i, db in enumerate(databases)))
    finally:
        for db in databases:
            await db.close()
    with closing(sqlite3.connect(tmp_path / "kpi.db")) as raw:
        assert raw.execute("SELECT count(*) FROM users").fetchone() == (4,)
