"""The unit of work: one per update (or per step of a job), owned by whoever opened it.

Services receive it, read and write through it, flush, and never commit: the opener
(`Database.read()` / `Database.write()`) ends it, and a writer commits once, at the end.
It runs `Prepared` statements (the statements every update runs) and, for everything else, the
ORM: an AsyncSession in the same transaction, made when first needed (most updates never need
one, and making and closing one costs more than the statements of a /call).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, overload

from sqlalchemy import Result, ScalarResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import Executable

from models.prepared import Prepared, Row

Call = tuple[Prepared, dict[str, Any]]
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Query(Generic[T]):
    """A prepared statement with its values and what its rows mean: a read that can be asked
    for together with others."""

    statement: Prepared
    params: dict[str, Any]
    convert: Callable[[list[Row]], T]


@dataclass(frozen=True, slots=True)
class Reads(Generic[T]):
    """Several reads whose results make one value (a report from its totals, targets and
    vacations): asked for together with other reads, in the same trip."""

    parts: tuple["Query[Any] | Reads[Any]", ...]
    combine: Callable[..., T]


Read = Query[T] | Reads[T]


def _queries(read: Read[Any]) -> list[Query[Any]]:
    """`read`'s statements, in the order `_value` takes their rows."""
    if isinstance(read, Query):
        return [read]
    return [query for part in read.parts for query in _queries(part)]


def _value(read: Read[T], rows: Iterator[list[Row]]) -> T:
    """`read`'s value from the next of `rows` (as many as it has queries)."""
    if isinstance(read, Query):
        return read.convert(next(rows))
    return read.combine(*(_value(part, rows) for part in read.parts))


class Runner(Protocol):
    """How a unit of work runs prepared statements where it is (see models.database)."""

    async def run(
        self, session: "UnitOfWork", statement: Prepared, params: dict[str, Any]
    ) -> list[Row]: ...

    async def run_many(self, session: "UnitOfWork", calls: Sequence[Call]) -> list[list[Row]]: ...

    async def changed(
        self, session: "UnitOfWork", statement: Prepared, params: dict[str, Any]
    ) -> tuple[int, int | None]: ...


class UnitOfWork:
    """A reader's or a writer's session. `claimed`: for a writer opened with an update to claim
    (`Database.write(claim=...)`), whether this one recorded it (False: already processed)."""

    __slots__ = ("_bind", "_join", "_orm", "_runner", "claimed", "info")

    def __init__(
        self,
        runner: Runner,
        *,
        bind: AsyncEngine | AsyncConnection,
        join_transaction_mode: Any = None,
    ) -> None:
        self._runner = runner
        self._bind = bind
        self._join = join_transaction_mode
        self._orm: AsyncSession | None = None
        self.info: dict[str, Any] = {}
        self.claimed = False

    @property
    def bind(self) -> AsyncEngine | AsyncConnection:
        return self._bind

    # --- prepared statements ------------------------------------------------------------------

    async def run(self, statement: Prepared, /, **params: Any) -> list[Row]:
        """The statement's rows (a DML statement's RETURNING rows; none without RETURNING)."""
        return await self._runner.run(self, statement, params)

    async def changed(self, statement: Prepared, /, **params: Any) -> int:
        """How many rows a DML statement changed (no RETURNING needed, which costs SQLite more
        than the change itself)."""
        count, _ = await self._runner.changed(self, statement, params)
        return count

    async def inserted(self, statement: Prepared, /, **params: Any) -> int:
        """The primary key of the row a single-row INSERT added."""
        _, key = await self._runner.changed(self, statement, params)
        assert key is not None
        return key

    async def run_many(self, *calls: Call) -> list[list[Row]]:
        """Several independent statements, in order: where the database is a trip away, one
        trip for all of them."""
        return await self._runner.run_many(self, calls)

    async def one(self, read: Read[T]) -> T:
        if isinstance(read, Query):
            return read.convert(await self.run(read.statement, **read.params))
        (value,) = await self.together(read)
        return value

    @overload
    async def together(self, first: Read[A], /) -> tuple[A]: ...

    @overload
    async def together(self, first: Read[A], second: Read[B], /) -> tuple[A, B]: ...

    @overload
    async def together(
        self, first: Read[A], second: Read[B], third: Read[C], /
    ) -> tuple[A, B, C]: ...

    async def together(self, *reads: Read[Any]) -> tuple[Any, ...]:
        """Independent reads asked for at once (one trip where the database is a trip away)."""
        queries = [query for read in reads for query in _queries(read)]
        results = iter(await self.run_many(*((query.statement, query.params) for query in queries)))
        return tuple(_value(read, results) for read in reads)

    async def first(self, statement: Prepared, /, **params: Any) -> Row | None:
        rows = await self.run(statement, **params)
        return rows[0] if rows else None

    # --- the ORM ------------------------------------------------------------------------------

    @property
    def orm(self) -> AsyncSession:
        """The ORM session of this unit of work (made on first use)."""
        if self._orm is None:
            options: dict[str, Any] = {"bind": self._bind, "expire_on_commit": False}
            if self._join is not None:
                options["join_transaction_mode"] = self._join
            self._orm = AsyncSession(**options)
        return self._orm

    @property
    def orm_used(self) -> bool:
        return self._orm is not None

    async def execute(
        self, statement: Executable, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]:
        return await self.orm.execute(statement, params, **kw)

    async def scalar(self, statement: Executable, params: Any = None, **kw: Any) -> Any:
        return await self.orm.scalar(statement, params, **kw)

    async def scalars(
        self, statement: Executable, params: Any = None, **kw: Any
    ) -> ScalarResult[Any]:
        return await self.orm.scalars(statement, params, **kw)

    async def get(self, entity: type[T], ident: Any, **kw: Any) -> T | None:
        return await self.orm.get(entity, ident, **kw)

    def add(self, instance: object) -> None:
        self.orm.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self.orm.add_all(instances)

    def expire(self, instance: object) -> None:
        self.orm.expire(instance)

    async def flush(self) -> None:
        if self._orm is not None:
            await self._orm.flush()

    @property
    def pending(self) -> bool:
        """Whether the ORM holds changes not flushed yet (which a prepared statement must see)."""
        orm = self._orm
        return orm is not None and bool(orm.new or orm.dirty or orm.deleted)
