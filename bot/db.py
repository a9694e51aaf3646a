"""Engine, session pool and migrations."""

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    ensure_sqlite_folder(url)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below) instead of the driver's lazy BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails at once with SQLITE_BUSY under concurrency, without waiting for busy_timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SerializedSession(AsyncSession):
    """On SQLite, sessions take turns in arrival order (an asyncio lock held from open to close).

    SQLite has one writer; waiting here is FIFO and wakes at once, where SQLite's busy handler
    polls with growing sleeps and, under a burst, lets an unlucky update time out.
    """

    async def __aenter__(self) -> "SerializedSession":
        lock: asyncio.Lock | None = self.info.get("write_lock")
        if lock is not None:
            await lock.acquire()
            self.info["holds_turn"] = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.close()
        finally:
            self._release_turn()

    def _release_turn(self) -> None:
        lock: asyncio.Lock | None = self.info.get("write_lock")
        if lock is not None and self.info.pop("holds_turn", False):
            lock.release()


async def finish_database_work(session: AsyncSession) -> None:
    """Commit and, on SQLite, give the next update its turn now: for a handler that has slow
    work left (rendering a chart, building a workbook) and no more queries to make."""
    await session.commit()
    if isinstance(session, SerializedSession):
        session._release_turn()


def write_lock(session_pool: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    """The lock SQLite sessions take turns with (None on a server database)."""
    lock = session_pool.kw.get("info", {}).get("write_lock")
    return lock if isinstance(lock, asyncio.Lock) else None


Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A Core statement compiled once for the driver: its SQL, bind order and type conversions.

    For a hot path that runs on the driver's connection directly: SQLAlchemy still writes the
    SQL and converts the values (dates, enums, booleans) exactly as the ORM does, but is not
    in the way of each execution.
    """

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]  # the statement's own literals (coalesce's 0)
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, default, process in zip(self.names, self.defaults, self.binds, strict=True):
            value = values.get(name, default)
            out.append(value if process is None else process(value))
        return tuple(out)

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        return [
            tuple(
                value if process is None else process(value)
                for value, process in zip(row, self.results, strict=True)
            )
            for row in raw
        ]


def prepare(statement: ClauseElement, dialect: Dialect) -> Prepared:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    # A SELECT's columns, or an INSERT's RETURNING ones.
    columns = statement.exported_columns if isinstance(statement, Select | UpdateBase) else ()
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    defaults = tuple(compiled.binds[name].effective_value for name in names)
    return Prepared(compiled.string, names, defaults, binds, results)


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name == "sqlite":
        return async_sessionmaker(
            engine,
            class_=SerializedSession,
            expire_on_commit=False,
            info={"write_lock": asyncio.Lock()},
        )
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str) -> None:
    ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")


async def migrate(url: str) -> None:
    # Alembic's async env.py runs its own event loop: give it a thread.
    await asyncio.to_thread(upgrade_to_head, url)
