"""Core statements compiled once per dialect, for the statements that run on every update.

A `Prepared` statement is an ordinary SQLAlchemy Core construct, written from the models. Where
the unit of work can reach the driver's connection directly (SQLite), it runs the SQL that
SQLAlchemy compiled once, converting values exactly as SQLAlchemy would (dates, enums, booleans,
time zones) and filling in the columns' Python-side defaults as an ORM insert does; elsewhere
the unit of work executes the construct itself through SQLAlchemy. Either way the statement is
the one source of truth: nothing repeats its columns or its defaults.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Date, DateTime, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.schema import ColumnDefault, DefaultGenerator
from sqlalchemy.sql.type_api import TypeEngine

Processor = Callable[[Any], Any] | None
Row = tuple[Any, ...]
_REQUIRED = object()


def _default_of(default: DefaultGenerator | None) -> Callable[[], Any] | None:
    """A column's Python-side default as a function of nothing (SQL defaults: None)."""
    if not isinstance(default, ColumnDefault) or default.is_clause_element:
        return None
    if default.is_callable:
        function = default.arg
        return lambda: function(None)  # SQLAlchemy wraps it to take an execution context
    value = default.arg
    return lambda: value


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as one dialect's driver takes it: SQL, parameter order, value conversions."""

    sql: str
    names: tuple[str, ...]
    literals: tuple[Any, ...]  # the statement's own values (a coalesce's 0); _REQUIRED if none
    defaults: tuple[Callable[[], Any] | None, ...]  # Python-side column defaults of an INSERT
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    # The last rows converted, by their raw values: a row read again unchanged (the sender of
    # every update) is not converted again. Empty and unused unless asked for.
    remembered: dict[tuple[Any, ...], Row] = field(default_factory=dict, compare=False)
    remember: int = 0
    # Whether it gives rows: a SELECT, or DML with RETURNING (its own, or the primary key an
    # INSERT returns on a dialect that can).
    returns_rows: bool = True
    # Precomputed: only the positions with something to do are visited on every call.
    fills: tuple[tuple[int, Callable[[], Any]], ...] = field(init=False, compare=False)
    bind_steps: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, compare=False)
    result_steps: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        fills = []
        for index, (default, literal) in enumerate(zip(self.defaults, self.literals, strict=True)):
            if default is not None:
                fills.append((index, default))
            elif literal is not _REQUIRED:
                fills.append((index, partial(_same, literal)))
        object.__setattr__(self, "fills", tuple(fills))
        object.__setattr__(self, "bind_steps", _steps(self.binds))
        object.__setattr__(self, "result_steps", _steps(self.results))

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        given = [values.get(name, _REQUIRED) for name in self.names]
        for index, fill in self.fills:
            if given[index] is _REQUIRED:
                given[index] = fill()
        if _REQUIRED in given:
            missing = self.names[given.index(_REQUIRED)]
            raise KeyError(f"no value for the parameter {missing!r}")
        for index, process in self.bind_steps:
            given[index] = process(given[index])
        return tuple(given)

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[Row]:
        if not self.result_steps:
            return [tuple(row) for row in raw]
        if self.remember:
            return [self._remembered(tuple(row)) for row in raw]
        return [self._converted(row) for row in raw]

    def _converted(self, raw: Sequence[Any]) -> Row:
        row = list(raw)
        for index, process in self.result_steps:
            row[index] = process(row[index])
        return tuple(row)

    def _remembered(self, raw: tuple[Any, ...]) -> Row:
        found = self.remembered.get(raw)
        if found is None:
            found = self._converted(raw)
            if len(self.remembered) >= self.remember:
                del self.remembered[next(iter(self.remembered))]  # the oldest
            self.remembered[raw] = found
        return found


def _same(value: Any) -> Any:
    return value


def _steps(processors: Sequence[Processor]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((index, process) for index, process in enumerate(processors) if process)


# Dates recur (today, this week, this month), and converting one costs SQLite's driver a string
# formatting or parsing each time: a converted date is remembered (both sides are immutable).
_DATES_REMEMBERED = 1024


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is not None and _is_date(type_):
        return lru_cache(maxsize=_DATES_REMEMBERED)(process)
    return process


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    if process is not None and _is_date(type_):
        return lru_cache(maxsize=_DATES_REMEMBERED)(process)
    return process


def _is_date(type_: TypeEngine[Any]) -> bool:
    return isinstance(type_, Date) and not isinstance(type_, DateTime)


def compile_for(statement: ClauseElement, dialect: Dialect, remember: int = 0) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    prefetch = {column.key: _default_of(column.default) for column in compiled.insert_prefetch}
    binds = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
    literals = tuple(
        _REQUIRED if compiled.binds[name].required else compiled.binds[name].effective_value
        for name in names
    )
    # A SELECT's columns, or the RETURNING ones of an INSERT, UPDATE or DELETE.
    columns = statement.exported_columns if isinstance(statement, Select | UpdateBase) else ()
    results = tuple(_result_processor(column.type, dialect) for column in columns)
    defaults = tuple(prefetch.get(name) for name in names)
    returns_rows = isinstance(statement, Select) or bool(compiled.effective_returning)
    return Compiled(
        compiled.string,
        names,
        literals,
        defaults,
        binds,
        results,
        remember=remember,
        returns_rows=returns_rows,
    )


Build = Callable[[Callable[..., Any]], ClauseElement]


def bound(*columns: str, **renamed: str) -> dict[str, BindParameter[Any]]:
    """VALUES for an INSERT or UPDATE from parameters of the same names (`renamed`: a column
    from a parameter named otherwise, e.g. `created_at="now"`)."""
    values: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in columns}
    values.update((column, bindparam(name)) for column, name in renamed.items())
    return values


def dialect_insert(dialect: Dialect) -> Callable[..., Any]:
    """The dialect's own INSERT construct: the one with ON CONFLICT for SQLite and PostgreSQL."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class Prepared:
    """A Core statement with its compiled forms, one per dialect, made on first use.

    Give the statement itself, or (for an upsert, whose ON CONFLICT clause each dialect builds
    its own way) a function that builds it from the dialect's `insert`.
    """

    __slots__ = ("_build", "_compiled", "_statements", "remember")

    def __init__(self, statement: ClauseElement | Build, *, remember: int = 0) -> None:
        """`remember`: how many distinct rows to keep converted (for a small, hot set of rows
        read again and again; their values must be immutable, as every converted value is)."""
        self.remember = remember
        self._build: Build | None = None if isinstance(statement, ClauseElement) else statement
        self._statements: dict[str, ClauseElement] = (
            {"*": statement} if isinstance(statement, ClauseElement) else {}
        )
        self._compiled: dict[str, Compiled] = {}

    def statement(self, dialect: Dialect) -> ClauseElement:
        if self._build is None:
            return self._statements["*"]
        found = self._statements.get(dialect.name)
        if found is None:
            found = self._statements[dialect.name] = self._build(dialect_insert(dialect))
        return found

    def compiled(self, dialect: Dialect) -> Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile_for(
                self.statement(dialect), dialect, self.remember
            )
        return found

    def __repr__(self) -> str:
        return f"Prepared({self._statements.get('*', self._build)})"
