from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


M = TypeVar("M", bound=Base)


def columns_of(model: type[Base]) -> tuple[KeyedColumnElement[Any], ...]:
    """All the columns of the model's table, in the table's order."""
    return tuple(model.__table__.columns)


def from_row(model: type[M], row: Sequence[Any]) -> M:
    """The model built from a row of all its columns (in table order), attached to no session:
    what a prepared statement read, in the shape the code that uses it knows."""
    return model(
        **{column.key: value for column, value in zip(columns_of(model), row, strict=True)}
    )


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC; always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Clock:
    """The one source of "now". Time-travel tests freeze and move it; nothing else touches it."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("freeze needs a timezone-aware instant")
        self._frozen = moment.astimezone(UTC)

    def unfreeze(self) -> None:
        self._frozen = None

    @property
    def frozen(self) -> datetime | None:
        return self._frozen


clock = Clock()


def utcnow() -> datetime:
    return clock.now()
