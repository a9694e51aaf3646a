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
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.schema import ColumnDefault, DefaultGenerator

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
    # Precomputed for the common cases: every parameter given, no conversion needed.
    plain_binds: bool = field(init=False, compare=False)
    plain_results: bool = field(init=False, compare=False)
    all_given: bool = field(init=False, compare=False)  # no defaults or own values to fill in

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain_binds", not any(self.binds))
        object.__setattr__(self, "plain_results", not any(self.results))
        object.__setattr__(
            self,
            "all_given",
            all(d is None for d in self.defaults) and all(v is _REQUIRED for v in self.literals),
        )

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.all_given:
            try:
                given = [values[name] for name in self.names]
            except KeyError as missing:
                raise KeyError(f"no value for the parameter {missing.args[0]!r}") from None
        else:
            given = [self._value(index, values) for index in range(len(self.names))]
        if self.plain_binds:
            return tuple(given)
        return tuple(
            value if process is None else process(value)
            for value, process in zip(given, self.binds, strict=True)
        )

    def _value(self, index: int, values: Mapping[str, Any]) -> Any:
        """A parameter not given: the column's default, or the statement's own value."""
        name = self.names[index]
        if name in values:
            return values[name]
        default = self.defaults[index]
        if default is not None:
            return default()
        if self.literals[index] is not _REQUIRED:
            return self.literals[index]
        raise KeyError(f"no value for the parameter {name!r}")

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[Row]:
        if self.plain_results:
            return [tuple(row) for row in raw]
        if self.remember:
            return [self._remembered(tuple(row)) for row in raw]
        return [
            tuple(
                value if process is None else process(value)
                for value, process in zip(row, self.results, strict=True)
            )
            for row in raw
        ]

    def _remembered(self, raw: tuple[Any, ...]) -> Row:
        found = self.remembered.get(raw)
        if found is None:
            found = tuple(
                value if process is None else process(value)
                for value, process in zip(raw, self.results, strict=True)
            )
            if len(self.remembered) >= self.remember:
                del self.remembered[next(iter(self.remembered))]  # the oldest
            self.remembered[raw] = found
        return found


def compile_for(statement: ClauseElement, dialect: Dialect, remember: int = 0) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    prefetch = {column.key: _default_of(column.default) for column in compiled.insert_prefetch}
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    literals = tuple(
        _REQUIRED if compiled.binds[name].required else compiled.binds[name].effective_value
        for name in names
    )
    # A SELECT's columns, or the RETURNING ones of an INSERT, UPDATE or DELETE.
    columns = statement.exported_columns if isinstance(statement, Select | UpdateBase) else ()
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    defaults = tuple(prefetch.get(name) for name in names)
    return Compiled(compiled.string, names, literals, defaults, binds, results, remember=remember)


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
