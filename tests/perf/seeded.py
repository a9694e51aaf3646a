"""The benchmarks' databases: a file's URL, a seeded file built once into a cache, and a copy of
a seeded file in a PostgreSQL database."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Enum, create_engine, select
from sqlalchemy.engine import make_url

import models  # noqa: F401 (every table registered on the metadata)
from models.base import Base
from models.database import upgrade_to_head

COPY_CHUNK = 50_000  # rows read from the file and copied to the server at a time


def file_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def build_seeded(cached: Path, seed: Callable[[Path], dict[str, int]]) -> Path:
    """Migrate a fresh file beside `cached`, fill it with `seed` (row counts per table), then
    move it into place, so that a run cut short never leaves a half-seeded cache behind."""
    building = cached.with_suffix(".building")
    building.unlink(missing_ok=True)
    began = time.perf_counter()
    upgrade_to_head(file_url(building))  # Alembic runs its own event loop: none running yet
    migrated = time.perf_counter()
    counts = seed(building)
    seeded = time.perf_counter()
    building.rename(cached)
    listed = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    print(
        f"seed: {seeded - began:.1f} s (migrate {migrated - began:.1f} s, "
        f"insert {seeded - migrated:.1f} s): {listed}",
        flush=True,
    )
    return cached


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL of a PostgreSQL database as asyncpg's own connect() takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def copy_to_postgres(path: Path, url: str) -> dict[str, int]:
    """Every table of the SQLite file at `path` into the migrated, empty PostgreSQL database at
    `url`; returns row counts per table.

    Rows are read through SQLAlchemy (so they come back as the app's own types) and go in with
    COPY, foreign keys unchecked (the file's rows are consistent); the id sequences are moved
    past the copied ids and the tables analyzed (the test server runs no autovacuum, which on a
    real server would have analyzed tables this size by the time anyone asks for a report).
    """
    source = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}
    )  # read in a worker thread, a chunk at a time
    target = await asyncpg.connect(asyncpg_dsn(url))
    counts: dict[str, int] = {}
    try:
        await target.execute("SET session_replication_role = replica")  # no FK triggers
        with source.connect() as sqlite:
            for table in Base.metadata.sorted_tables:
                columns = [column.name for column in table.columns]
                enums = [
                    i for i, column in enumerate(table.columns) if isinstance(column.type, Enum)
                ]
                result = sqlite.execute(select(table))
                copied = 0
                while chunk := await asyncio.to_thread(result.fetchmany, COPY_CHUNK):
                    records = [_plain(row, enums) for row in chunk]
                    await target.copy_records_to_table(table.name, records=records, columns=columns)
                    copied += len(records)
                if copied:
                    counts[table.name] = copied
                if "id" in table.columns:
                    await target.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id))"
                        f" FROM {table.name} HAVING max(id) IS NOT NULL"
                    )
        await target.execute("ANALYZE")
    finally:
        await target.close()
        source.dispose()
    return counts


def _plain(row: Any, enums: list[int]) -> tuple[Any, ...]:
    """A row as asyncpg's COPY takes it: enum members as their stored strings."""
    if not enums:
        return tuple(row)
    values = list(row)
    for index in enums:
        values[index] = getattr(values[index], "value", values[index])
    return tuple(values)
