"""The database: engines, migrations, and the units of work every update and job runs in.

`Database.read()` opens a reader: it may not write (SQLite refuses with `query_only`,
PostgreSQL with a READ ONLY transaction), holds no lock and claims nothing.
`Database.write()` opens a writer: one transaction, committed when the block ends, before the
caller tells anyone it is saved.

On PostgreSQL a writer is a plain transaction of its own. SQLite has one writer at a time and
pays a disk flush per commit, so there the writers of a process take turns on one connection
and are committed together (a group commit): while one batch commits, the writers that arrive
wait for the next, and each runs in a SAVEPOINT of the batch's transaction, so a writer that
fails is rolled back alone. Inside the batch's transaction (BEGIN IMMEDIATE, the write lock
held) a statement only waits for its own CPU, so prepared statements run right on the event
loop; beginning (which may wait for another process) and committing (which waits for the disk)
happen in the driver's thread. Readers run on other connections: prepared reads asked for in
the same turn of the event loop go to the reading thread together.
"""

import asyncio
import logging
import os
import re
import sqlite3
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from models.base import utcnow
from models.prepared import Compiled, Prepared, Row
from models.processed_update import CLAIM, claim_update
from models.unit_of_work import Call, Runner, UnitOfWork

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A batch of SQLite writers takes new ones until it holds this many, or has run this long:
# every writer in it waits for its commit.
MAX_BATCH = 200
MAX_BATCH_SECONDS = 0.05

CommitHook = Callable[[UnitOfWork], None]
# Set while a task holds the writer's turn: a unit of work opened inside another would wait for
# the one it is inside of forever.
_IN_WRITER: ContextVar[bool] = ContextVar("in_writer", default=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str) -> None:
    from alembic import command

    ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")


async def migrate(url: str) -> None:
    # Alembic's async env.py runs its own event loop: give it a thread.
    await asyncio.to_thread(upgrade_to_head, url)


async def migrate_in_child(url: str) -> None:
    """The bot's start: migrations run in a process of their own (`python -m bot migrate`), so
    that Alembic, Mako and Pygments (about 35 MB) are never loaded into the bot's."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        env={**os.environ, "DATABASE_URL": url},  # not in the arguments: ps would show them
        stdout=asyncio.subprocess.DEVNULL,
    )
    code = await process.wait()
    if code != 0:
        raise RuntimeError(f"the migrations failed (python -m bot migrate exited with {code})")


def use_wal(connection: Any, wait_seconds: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
    """Put the file in WAL mode (once per file: it stays so; the migrations do it first).

    The switch needs the file to itself, and SQLite's busy wait does not always cover it: a
    connection that meets another one's lock midway gets "database is locked" at once (it would
    otherwise risk a deadlock). Connections opened together on a fresh file (instances started
    at once, a first burst) try again until `wait_seconds` have passed.
    """
    cursor = connection.cursor()
    try:
        give_up_at = time.monotonic() + wait_seconds
        pause = 0.005
        while True:
            try:
                cursor.execute("PRAGMA journal_mode")
                if cursor.fetchone()[0] == "wal":
                    return
                cursor.execute("PRAGMA journal_mode=WAL")
                if cursor.fetchone()[0] == "wal":
                    return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
            if time.monotonic() >= give_up_at:
                raise sqlite3.OperationalError("database is locked (switching it to WAL)")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
    finally:
        cursor.close()


def _sqlite_pragmas(connection: Any, *, read_only: bool) -> None:
    """Every SQLite connection: WAL, durable commits, foreign keys, waiting for the lock."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: the others may wait
    use_wal(connection)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_engine(url: str, *, writer: bool) -> AsyncEngine:
    if writer:
        # One connection, kept; the event loop runs statements on it between the driver's turns.
        engine = create_async_engine(
            url,
            poolclass=NullPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
    else:
        engine = create_async_engine(url, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We say when a transaction begins (below), not the driver.
        dbapi_connection.isolation_level = None
        _sqlite_pragmas(dbapi_connection, read_only=not writer)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A writer takes the write lock up front (a read transaction cannot become a write
        # one under WAL: SQLITE_BUSY_SNAPSHOT); readers run each statement on its own.
        if writer:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _sqlite_error(sql: str, values: Any, error: sqlite3.Error) -> StatementError:
    """A prepared statement's error as SQLAlchemy raises it (IntegrityError, OperationalError...),
    as on PostgreSQL (see _translated); its values never shown."""
    return DBAPIError.instance(sql, values, error, sqlite3.Error, hide_parameters=True)


class _ThroughDriver:
    """Prepared statements on PostgreSQL: the SQL compiled once, run by asyncpg itself on the
    unit's connection, in its transaction. SQLAlchemy's per-statement machinery (an execution
    context, a cursor, a result, a greenlet switch) cost more loop CPU than asyncpg's own trip;
    asyncpg keeps each connection's statements prepared, so a statement is one trip.

    Connections are not pinged when taken from the pool (a ping is one to three trips on every
    update). A connection the server dropped shows at a writer's BEGIN, which is then tried
    once more on a new connection, or at a reader's statement, which is tried once more
    (reading twice is harmless): either way SQLAlchemy invalidates the whole pool, as after any
    lost connection, so the next units get new ones."""

    def __init__(self, readers: "_Kept") -> None:
        self.readers = readers

    async def _driver(self, session: UnitOfWork) -> tuple[AsyncConnection, Any, Any]:
        if session.pending:
            await session.flush()  # the statement sees what the ORM holds
        held: _Held | None = session.info.get(_HELD)
        if held is None:  # a reader whose connection was lost: another
            held = session.info[_HELD] = await self.readers.take()
        adapted = held.adapted
        if adapted._transaction is None and not adapted.autocommit:
            await _begin(held)
        return held.connection, adapted, held.driver

    async def _execute(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> tuple[Compiled, Any]:
        """The statement's records (a SELECT, or DML with RETURNING) or its status
        ("UPDATE 3")."""
        for attempt in (1, 2):
            connection, adapted, driver = await self._driver(session)
            compiled = statement.compiled(connection.dialect)
            values = compiled.params(params)
            try:
                if compiled.returns_rows:
                    return compiled, await driver.fetch(compiled.sql, *values)
                return compiled, await driver.execute(compiled.sql, *values)
            except Exception as error:
                translated = await _translated(connection, adapted, compiled.sql, values, error)
                reader = adapted.autocommit
                if attempt == 2 or not reader or not _lost(translated):
                    raise translated from error
                held = session.info.pop(_HELD)  # the next try takes another connection
                await self.readers.release(held)
        raise AssertionError("unreachable")

    async def run(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> list[Row]:
        compiled, result = await self._execute(session, statement, params)
        return compiled.rows(result) if compiled.returns_rows else []

    async def run_many(self, session: UnitOfWork, calls: Sequence[Call]) -> list[list[Row]]:
        return [await self.run(session, statement, params) for statement, params in calls]

    async def changed(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> tuple[int, int | None]:
        compiled, result = await self._execute(session, statement, params)
        if compiled.returns_rows:  # RETURNING (an INSERT's primary key): the rows tell
            return len(result), result[0][0] if result else None
        return _changed_rows(result), None


@dataclass(eq=False, slots=True)
class _Held:
    """A PostgreSQL connection kept out of SQLAlchemy's pool between units of work, with its
    SQLAlchemy-adapted and asyncpg connections looked up once."""

    connection: AsyncConnection
    adapted: Any
    driver: Any
    generation: int

    @property
    def clean(self) -> bool:
        """No transaction left open at either level, and still valid."""
        connection = self.connection
        return (
            self.adapted._transaction is None
            and not connection.in_transaction()
            and not connection.invalidated
        )


class _Kept:
    """PostgreSQL connections for units of work, kept between them: at most `limit` out of
    SQLAlchemy's pool at once, in use or idle.

    Taking a connection from SQLAlchemy's pool (and handing it back) is a greenlet switch and
    the pool's bookkeeping, on every update: more loop CPU than asyncpg's own trip. A kept
    connection is taken from a list instead; when all are in use, the next unit waits for one
    to be handed back (first come, first served). Whenever SQLAlchemy invalidates a connection
    (the server dropped it, or a cancelled statement left it unusable) every kept one is
    suspect: each goes back to the pool, which makes new ones as it was told to."""

    def __init__(self, engine: AsyncEngine, limit: int) -> None:
        self.engine = engine
        self.limit = limit
        self.generation = 0
        self._idle: list[_Held] = []
        self._out = 0  # taken from SQLAlchemy's pool and not handed back to it
        # Units waiting for a connection: each is handed one, or None (a place to make one).
        self._waiting: deque[asyncio.Future[_Held | None]] = deque()
        event.listen(engine.sync_engine, "invalidate", self._invalidated)

    def _invalidated(self, *_: Any) -> None:
        self.generation += 1

    async def take(self) -> _Held:
        while True:
            while self._idle:
                held = self._idle.pop()
                if held.generation == self.generation:
                    return held
                await self.release(held)
            if self._out < self.limit:
                return await self._connect()
            waiter: asyncio.Future[_Held | None] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                handed = await waiter
            except BaseException:
                if waiter.cancelled():
                    with suppress(ValueError):
                        self._waiting.remove(waiter)
                else:  # handed one just as this unit was given up: the next has it
                    handed = waiter.result()
                    if handed is None:
                        self._wake()
                    else:
                        await self.give_back(handed)
                raise
            if handed is not None:
                if handed.generation == self.generation:
                    return handed
                await self.release(handed)

    async def _connect(self) -> _Held:
        self._out += 1
        try:
            connection = await self.engine.connect()
        except BaseException:
            self._out -= 1
            self._wake()
            raise
        fairy = _sync(connection).connection  # checked out just now: no trip
        return _Held(connection, fairy.dbapi_connection, fairy.driver_connection, self.generation)

    async def give_back(self, held: _Held) -> None:
        """A connection whose unit ended cleanly: to the next unit waiting, or kept."""
        if held.generation != self.generation or not held.clean:
            await self.release(held)
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(held)
                return
        self._idle.append(held)

    async def release(self, held: _Held) -> None:
        """Back to SQLAlchemy's pool (which rolls back what was left open)."""
        try:
            await held.connection.close()
        finally:
            self._out -= 1
            self._wake()

    async def discard(self, held: _Held) -> None:
        """A connection whose statement was cancelled midway: closed for good (see _discard)."""
        await _discard(held.connection)
        await self.release(held)

    def _wake(self) -> None:
        """A place was freed: the first unit waiting makes a connection."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for held in idle:
            with suppress(Exception):
                await self.release(held)


async def _begin(held: _Held, first: str | None = None) -> str:
    """BEGIN now, on the driver, with `first` (a statement with its values written in) in the
    same trip when given: the simple query protocol carries several statements. The status of
    the last one ("BEGIN", "INSERT 0 1")."""
    sql = "BEGIN ISOLATION LEVEL READ COMMITTED"
    if first is not None:
        sql = f"{sql}; {first}"
    # Kept before the trip: whatever becomes of it, the connection's rollback ends the
    # transaction it may have begun.
    held.adapted._transaction = _Transaction(held.driver)
    try:
        status: str = await held.driver.execute(sql)
    except Exception as error:
        raise await _translated(held.connection, held.adapted, sql, (), error) from error
    return status


class RolledBackAtCommit(Exception):
    """PostgreSQL answered a COMMIT with ROLLBACK: a statement of the transaction had failed
    (and someone went on after it), so nothing of it is kept."""


class _Transaction:
    """A transaction begun on the driver by _begin, kept where SQLAlchemy's asyncpg adapter
    keeps its own (asyncpg's): the adapter ends it with commit() or rollback()."""

    __slots__ = ("driver",)

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def commit(self) -> None:
        if await self.driver.execute("COMMIT") != "COMMIT":
            raise RolledBackAtCommit("the transaction was rolled back at its COMMIT")

    async def rollback(self) -> None:
        await self.driver.execute("ROLLBACK")


async def _begin_claiming(held: _Held, update_id: int) -> bool:
    """BEGIN and the update's claim in one trip (the claim's two values, a number and a time,
    written in). Whether the claim recorded the update."""
    compiled = CLAIM.compiled(held.connection.dialect)
    values = compiled.params({"update_id": update_id, "now": utcnow()})
    return _changed_rows(await _begin(held, _inlined(compiled.sql, values))) == 1


def _changed_rows(status: str) -> int:
    """How many rows a DML statement's status tells it changed: "UPDATE 3", "INSERT 0 1"."""
    return int(status.rsplit(" ", 1)[-1])


def _inlined(sql: str, values: Sequence[Any]) -> str:
    """The statement with its values written in, for values that write as they read: whole
    numbers and instants (nothing a person typed)."""

    def literal(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, datetime):
            return f"'{value.isoformat()}'"
        raise TypeError(f"a {type(value).__name__} is not written into a statement")

    literals = [literal(value) for value in values]
    return _PLACEHOLDER.sub(lambda found: literals[int(found.group(1)) - 1], sql)


_PLACEHOLDER = re.compile(r"\$(\d+)")


async def _commit(connection: AsyncConnection, adapted: Any) -> None:
    """COMMIT on the driver, then SQLAlchemy's transaction ended to match (nothing left for it
    to send): its own commit would cost a greenlet switch each way."""
    try:
        await adapted._call_and_discard(adapted._transaction.commit)
    except RolledBackAtCommit:
        raise
    except Exception as error:
        raise await _translated(connection, adapted, "COMMIT", (), error) from error
    _sync(connection).commit()


def _sync(connection: AsyncConnection) -> Connection:
    """The connection's synchronous side, for what it does without a trip to the server."""
    sync = connection.sync_connection
    assert sync is not None
    return sync


async def _discard(connection: AsyncConnection) -> None:
    """A connection whose statement was cancelled midway (its driver may still wait for the
    server's answer): closed for good rather than handed to the next unit, and its transaction
    ended by the server at once, so no row lock outlives it."""
    with suppress(Exception):
        await connection.invalidate()


def _lost(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and error.connection_invalidated


async def _translated(
    connection: AsyncConnection,
    adapted: Any,
    sql: str,
    values: tuple[Any, ...],
    error: Exception,
) -> Exception:
    """A driver error as SQLAlchemy raises it (IntegrityError, OperationalError...)."""
    dialect = connection.dialect
    try:
        adapted._handle_exception(error)  # raises the DBAPI-level error
    except Exception as dbapi_error:
        if dialect.is_disconnect(dbapi_error, adapted, None):  # type: ignore[arg-type]
            # SQLAlchemy's own statement meets the same lost connection and invalidates the
            # pool (every connection made before now), as after any disconnect.
            try:
                await connection.exec_driver_sql("SELECT 1")
            except DBAPIError as confirmed:
                return confirmed
        return DBAPIError.instance(
            sql,
            values,
            dbapi_error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=dialect,
        )
    return error


# Where a PostgreSQL unit of work keeps its connection (UnitOfWork.info): a _Held.
_HELD = "held connection"
# A PostgreSQL writer tries this many connections for its BEGIN (see _ThroughDriver).
_BEGIN_ATTEMPTS = 2


class Database:
    """Opened once per process (and once per dispatcher in tests); closed at shutdown."""

    def __init__(self, url: str, *, pool_size: int = 15, max_overflow: int = 0) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self.commit_hooks: list[CommitHook] = []
        if self.is_sqlite:
            ensure_sqlite_folder(url)
            self.engine = _sqlite_engine(url, writer=False)
            self._writer: _SqliteWriter | None = _SqliteWriter(
                _sqlite_engine(url, writer=True), self._committed
            )
            self._reads: _SqliteReads | None = _SqliteReads(url, self.engine.dialect)
            self._read_engine = self.engine
        else:
            # Units of work keep up to pool_size + max_overflow of each engine's connections
            # (see _Kept); the writers' engine has one more, for the health check's own.
            units = pool_size + max_overflow
            self.engine = create_async_engine(
                url,
                pool_size=pool_size + 1,
                max_overflow=max_overflow,
                pool_pre_ping=False,
                hide_parameters=True,
            )
            self._writer = None
            self._reads = None
            # Readers: each statement on its own (no BEGIN or ROLLBACK round trips, as SQLite's
            # readers), on connections the server keeps read-only.
            self._read_engine = create_async_engine(
                url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=False,
                isolation_level="AUTOCOMMIT",
                connect_args={"server_settings": {"default_transaction_read_only": "on"}},
                hide_parameters=True,
            )
            self._writers = _Kept(self.engine, units)
            self._readers = _Kept(self._read_engine, units)
            self._runner = _ThroughDriver(self._readers)

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    def _committed(self, session: UnitOfWork) -> None:
        for hook in self.commit_hooks:
            try:
                hook(session)
            except Exception:
                logger.exception("A commit hook failed")

    def read(self) -> "_Reader":
        """A reader: no write transaction, no lock, nothing claimed."""
        if self._reads is not None:
            return _Reader(self._reads, self._read_engine, None)
        return _Reader(self._runner, None, self._readers)

    def write(self, claim: int | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
        """A writer: committed when the block ends normally, rolled back if it raises.

        `claim`: a Telegram update id, recorded first thing in the writer's transaction
        (`session.claimed` says whether this writer recorded it; see
        models.processed_update); on PostgreSQL it travels with the BEGIN, in one trip."""
        if self._writer is not None:
            return self._writer.unit(claim)
        return _ServerWrite(self, claim)

    async def _begun(self, claim: int | None) -> tuple[_Held, bool]:
        """A connection with its transaction begun, and whether the update `claim` (if any) was
        recorded by it (see _ThroughDriver: a connection the server dropped is met here, and
        another taken)."""
        for attempt in range(1, _BEGIN_ATTEMPTS + 1):
            held = await self._writers.take()
            connection = held.connection
            try:
                # SQLAlchemy's bookkeeping (the ORM, when used, joins this transaction; nothing
                # is sent), then BEGIN on the driver.
                _sync(connection).begin()
                if claim is None:
                    await _begin(held)
                    return held, False
                return held, await _begin_claiming(held, claim)
            except DBAPIError as error:
                await self._writers.release(held)
                if attempt == _BEGIN_ATTEMPTS or not error.connection_invalidated:
                    raise
                logger.warning("A database connection was lost; trying a new one")
            except BaseException:  # cancelled: its BEGIN may be half done
                await self._writers.discard(held)
                raise
        raise AssertionError("unreachable")

    async def fetch(self, statement: Prepared, /, **params: Any) -> list[Row]:
        """A prepared read on its own, outside any unit of work."""
        if self._reads is not None:
            return await self._reads.fetch(statement, params)
        async with self.read() as session:
            return await session.run(statement, **params)

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        if self._reads is not None:
            await self._reads.close()
        if not self.is_sqlite:
            await self._writers.close()
            await self._readers.close()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
        await self.engine.dispose()


class _Reader:
    """`async with db.read() as session`; a class, not a generator: it runs for every update."""

    __slots__ = ("bind", "kept", "runner", "session")

    def __init__(self, runner: Runner, bind: AsyncEngine | None, kept: _Kept | None) -> None:
        self.runner = runner
        self.bind = bind
        self.kept = kept

    async def __aenter__(self) -> UnitOfWork:
        if self.kept is None:  # SQLite: each statement where it runs (see _SqliteReads)
            assert self.bind is not None
            self.session = UnitOfWork(self.runner, bind=self.bind)
            return self.session
        # PostgreSQL: one kept connection for the unit's prepared statements and its ORM.
        held = await self.kept.take()
        session = self.session = UnitOfWork(self.runner, bind=held.connection)
        session.info[_HELD] = held
        return session

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        session = self.session
        if session.orm_used:
            await session.orm.close()
        held: _Held | None = session.info.get(_HELD)
        if held is None:
            return
        assert self.kept is not None
        if error_type is None or issubclass(error_type, Exception):
            await self.kept.give_back(held)
        else:  # cancelled mid-statement, perhaps
            await self.kept.discard(held)


class _ServerWrite:
    """`async with db.write() as session` on PostgreSQL: a plain transaction, on a kept
    connection (a class, not a generator: it runs for every write)."""

    __slots__ = ("claim", "db", "held", "session")

    def __init__(self, db: Database, claim: int | None) -> None:
        self.db = db
        self.claim = claim

    async def __aenter__(self) -> UnitOfWork:
        held, claimed = await self.db._begun(self.claim)
        self.held = held
        session = self.session = UnitOfWork(self.db._runner, bind=held.connection)
        session.info[_HELD] = held
        session.claimed = claimed
        return session

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        held, session = self.held, self.session
        connection = held.connection
        kept = False
        try:
            try:
                if error_type is None and session.orm_used:
                    await session.orm.flush()
            finally:
                if session.orm_used:
                    await session.orm.close()
            if error_type is None:
                await _commit(connection, held.adapted)
                kept = True
        except BaseException as failure:
            error_type = type(failure)
            raise
        finally:
            writers = self.db._writers
            if kept:
                await writers.give_back(held)
            elif error_type is not None and not issubclass(error_type, Exception):
                await writers.discard(held)
            else:
                await writers.release(held)  # the pool rolls back what was not committed
        self.db._committed(session)


# --- SQLite: the group-commit writer --------------------------------------------------------


@dataclass(eq=False)
class _Batch:
    """One transaction of the writer connection and the units of work inside it."""

    transaction: Any  # the AsyncTransaction that BEGIN IMMEDIATE opened
    committed: "asyncio.Future[None]"
    deadline: float
    size: int = 0
    closing: bool = False
    broken: BaseException | None = None  # the transaction is lost: nothing in it is committed


class _SqliteWriter:
    """Writers take turns on one connection (an asyncio lock, first come first served); a batch
    stays open while more arrive, and is committed once nobody waits or it is full."""

    def __init__(self, engine: AsyncEngine, on_commit: CommitHook) -> None:
        self.engine = engine
        self.on_commit = on_commit
        self._turn = asyncio.Lock()
        self._waiting = 0
        self._batch: _Batch | None = None
        self._connection: AsyncConnection | None = None
        self._raw: sqlite3.Connection | None = None
        self._commits: set[asyncio.Task[None]] = set()

    async def _executed(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> tuple[Compiled, sqlite3.Cursor]:
        """On the event loop: the batch holds the write lock, so nothing waits but the CPU."""
        assert self._raw is not None
        if session.pending:
            await session.flush()  # the statement sees what the ORM holds
        compiled: Compiled = statement.compiled(self.engine.dialect)
        values = compiled.params(params)
        try:
            return compiled, self._raw.execute(compiled.sql, values)
        except sqlite3.Error as error:
            raise _sqlite_error(compiled.sql, values, error) from error

    async def run(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> list[Row]:
        compiled, cursor = await self._executed(session, statement, params)
        try:
            return compiled.rows(cursor.fetchall())
        finally:
            cursor.close()

    async def run_many(self, session: UnitOfWork, calls: Sequence[Call]) -> list[list[Row]]:
        return [await self.run(session, statement, params) for statement, params in calls]

    async def changed(
        self, session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> tuple[int, int | None]:
        _, cursor = await self._executed(session, statement, params)
        try:
            return cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()

    async def _open_batch(self) -> tuple[_Batch, AsyncConnection, sqlite3.Connection]:
        if self._connection is None or self._raw is None:
            self._connection = await self.engine.connect()
            fairy = await self._connection.get_raw_connection()
            driver = fairy.driver_connection
            assert driver is not None
            self._raw = driver._conn  # the sqlite3 connection that aiosqlite wraps
        if self._batch is None:
            loop = asyncio.get_running_loop()
            transaction = await self._connection.begin()
            self._batch = _Batch(transaction, loop.create_future(), loop.time() + MAX_BATCH_SECONDS)
        return self._batch, self._connection, self._raw

    def unit(self, claim: int | None) -> "_WriterTurn":
        return _WriterTurn(self, claim)

    def _maybe_commit(self, batch: _Batch, *, now: bool = False) -> None:
        """Commit once nobody is waiting to join, or the batch is full or old."""
        if batch.closing:
            return
        full = batch.size >= MAX_BATCH or asyncio.get_running_loop().time() >= batch.deadline
        if self._waiting and not full and not now:
            return
        batch.closing = True
        task = asyncio.create_task(self._commit(batch), name="sqlite-commit")
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def _commit(self, batch: _Batch) -> None:
        async with self._turn:  # after the units already waiting: they are in this batch too
            await self._end(batch)

    async def _end(self, batch: _Batch) -> None:
        """Under the turn: the batch committed (rolled back when broken or empty) and its units
        told. One ended already (by a unit that would not join it broken) is left alone."""
        if batch.committed.done():
            return
        self._batch = None
        error = batch.broken
        if error is None:
            try:
                if batch.size:
                    await batch.transaction.commit()
                else:
                    await batch.transaction.rollback()
            except BaseException as failure:
                error = failure
        if error is None:
            batch.committed.set_result(None)
            return
        if batch.size:  # a unit cancelled alone in its batch lost nothing
            logger.error("Committing %d write(s) failed; none is kept", batch.size, exc_info=error)
        with suppress(Exception):
            await batch.transaction.rollback()
        await self._reset()
        if batch.size:
            batch.committed.set_exception(error)
        else:
            batch.committed.set_result(None)
        if error is not batch.broken and isinstance(error, asyncio.CancelledError):
            raise error  # the commit itself was cancelled (shutdown)

    async def _reset(self) -> None:
        self._batch = None
        connection, self._connection, self._raw = self._connection, None, None
        if connection is not None:
            with suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """At shutdown, once the writers under way are committed."""
        if self._batch is not None:
            self._maybe_commit(self._batch, now=True)
        while self._commits:
            await asyncio.wait(set(self._commits))
        async with self._turn:
            await self._reset()
        await self.engine.dispose()


def _in_transaction(raw: sqlite3.Connection) -> bool:
    """False also for a closed connection: SQLAlchemy closes (invalidates) the one under a
    statement that was cancelled."""
    try:
        return raw.in_transaction
    except sqlite3.ProgrammingError:
        return False


class _WriterTurn:
    """`async with writer.unit() as session`: a unit of work in the open batch, in a SAVEPOINT.

    A class rather than a generator-based context manager: it runs for every write."""

    __slots__ = ("batch", "claim", "raw", "session", "token", "writer")

    def __init__(self, writer: _SqliteWriter, claim: int | None) -> None:
        self.writer = writer
        self.claim = claim

    async def __aenter__(self) -> UnitOfWork:
        writer = self.writer
        if _IN_WRITER.get():
            raise RuntimeError("units of work do not nest: this one would wait for itself")
        writer._waiting += 1
        try:
            await writer._turn.acquire()
        except BaseException:
            writer._waiting -= 1
            if writer._batch is not None:  # the batch may have been waiting for this one
                writer._maybe_commit(writer._batch)
            raise
        writer._waiting -= 1
        self.token = _IN_WRITER.set(True)
        try:
            if writer._batch is not None and writer._batch.broken is not None:
                await writer._end(writer._batch)  # a broken batch takes nobody in: a new one
            self.batch, connection, self.raw = await writer._open_batch()
            self.raw.execute("SAVEPOINT unit_of_work")
        except BaseException as error:
            if not isinstance(error, asyncio.CancelledError):
                logger.exception("Could not begin a unit of work")
            _IN_WRITER.reset(self.token)
            batch = writer._batch
            if batch is None:
                await writer._reset()
            else:  # the others in the batch hear that it failed
                batch.broken = batch.broken or error
            writer._turn.release()
            if batch is not None:
                writer._maybe_commit(batch, now=True)
            raise
        session = self.session = UnitOfWork(
            writer,
            bind=connection,
            join_transaction_mode="create_savepoint",
        )
        if self.claim is not None:
            try:
                session.claimed = await claim_update(session, self.claim)
            except BaseException as error:
                await self.__aexit__(type(error), error, None)
                raise
        return session

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        writer, session, raw, batch = self.writer, self.session, self.raw, self.batch
        kept = False
        failed = error_type is not None
        try:
            if error_type is None:
                if session.orm_used:
                    await session.orm.commit()  # flushes; releases the session's own savepoint
                kept = True
        except BaseException:
            failed = True
            raise
        finally:
            try:
                if session.orm_used:
                    if not kept:
                        with suppress(Exception):
                            await session.orm.rollback()
                    await session.orm.close()
                # Released at once: a stack of open savepoints makes every change after them
                # dearer for SQLite (measured: +50 % per /call) than one more statement.
                if kept:
                    batch.size += 1
                else:
                    raw.execute("ROLLBACK TO unit_of_work")
                raw.execute("RELEASE unit_of_work")
            except Exception as error:
                batch.broken = batch.broken or error
                if not failed:
                    raise
                # Else the unit's own error is what its caller hears: a cancellation, after which
                # SQLAlchemy has closed the connection under the savepoint.
            finally:
                _IN_WRITER.reset(self.token)
                if not _in_transaction(raw):  # SQLite ended it (a full disk, an I/O error)
                    batch.broken = batch.broken or RuntimeError("the write transaction ended")
                writer._turn.release()
                if writer._batch is not None:
                    writer._maybe_commit(writer._batch, now=writer._batch.broken is not None)
        if kept:
            # Shielded: the batch's future is shared, and a cancelled waiter would cancel it for
            # every unit in the batch.
            await asyncio.shield(batch.committed)
            writer.on_commit(session)


# --- SQLite: prepared reads, together ---------------------------------------------------------


@dataclass(eq=False)
class _Ask:
    """One caller's statements in a trip, and the future their rows (or errors) come back in:
    one future a caller, however many statements it asked for together."""

    statements: list[tuple[Compiled, tuple[Any, ...]]]
    future: "asyncio.Future[list[Any]]" = field(repr=False)


def _run_reads(
    connection: sqlite3.Connection, reads: Sequence[tuple[str, tuple[Any, ...]]]
) -> list[Any]:
    """In the reading thread: each statement's rows, or the error it raised."""
    out: list[Any] = []
    for sql, params in reads:
        try:
            out.append(connection.execute(sql, params).fetchall())
        except Exception as error:
            out.append(error)
    return out


def _rows(compiled: Compiled, params: tuple[Any, ...], result: Any) -> list[Row]:
    """A statement's rows from what the reading thread gave back, or its error raised."""
    if isinstance(result, sqlite3.Error):
        raise _sqlite_error(compiled.sql, params, result)
    if isinstance(result, BaseException):
        raise result
    return compiled.rows(result)


class _SqliteReads:
    """One read-only connection in a thread of its own; the reads asked for in one turn of the
    event loop cost one trip there and back together."""

    def __init__(self, url: str, dialect: Dialect) -> None:
        self.path = make_url(url).database or ":memory:"
        self.dialect = dialect
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-reads")
        self._connection: sqlite3.Connection | None = None
        self._pending: list[_Ask] = []
        self._in_flight: set[asyncio.Future[list[Any]]] = set()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None)
            _sqlite_pragmas(connection, read_only=True)
            self._connection = connection
        return self._connection

    def _execute(self, reads: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return _run_reads(self._connect(), reads)

    async def fetch(self, statement: Prepared, params: dict[str, Any]) -> list[Row]:
        (rows,) = await self._read(((statement, params),))
        return rows

    async def run(
        self, _session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> list[Row]:
        return await self.fetch(statement, params)

    async def changed(
        self, _session: UnitOfWork, statement: Prepared, params: dict[str, Any]
    ) -> tuple[int, int | None]:
        raise TypeError("a reader changes nothing")

    async def run_many(self, _session: UnitOfWork, calls: Sequence[Call]) -> list[list[Row]]:
        return await self._read(calls)

    async def _read(self, calls: Sequence[Call]) -> list[list[Row]]:
        statements = []
        for statement, params in calls:
            compiled = statement.compiled(self.dialect)
            statements.append((compiled, compiled.params(params)))
        if not statements:
            return []
        results = await self._ask(statements)
        return [
            _rows(compiled, values, result)
            for (compiled, values), result in zip(statements, results, strict=True)
        ]

    def _ask(
        self, statements: list[tuple[Compiled, tuple[Any, ...]]]
    ) -> "asyncio.Future[list[Any]]":
        """The statements' results (rows or errors, in order), with the others asked for in
        this turn of the loop."""
        loop = asyncio.get_running_loop()
        ask = _Ask(statements, loop.create_future())
        if not self._pending:
            loop.call_soon(self._send)
        self._pending.append(ask)
        return ask.future

    def _send(self) -> None:
        asks, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        statements = [(compiled.sql, values) for ask in asks for compiled, values in ask.statements]
        trip = loop.run_in_executor(self._executor, self._execute, statements)
        self._in_flight.add(trip)

        def deliver(done: "asyncio.Future[list[Any]]") -> None:
            self._in_flight.discard(done)
            failure: BaseException | None = (
                asyncio.CancelledError() if done.cancelled() else done.exception()
            )
            # A trip that failed as a whole (the connection): each statement's result is that
            # error, raised by its reader as a statement's own is (see _rows).
            results = done.result() if failure is None else [failure] * len(statements)
            start = 0
            for ask in asks:
                count = len(ask.statements)
                if not ask.future.done():  # else its caller was cancelled
                    ask.future.set_result(results[start : start + count])
                start += count

        trip.add_done_callback(deliver)

    async def close(self) -> None:
        if self._in_flight:
            await asyncio.wait(self._in_flight)
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, connection.close)
        self._executor.shutdown(wait=True)
