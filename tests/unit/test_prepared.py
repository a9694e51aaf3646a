"""Prepared statements: the SQL SQLAlchemy writes, values converted as SQLAlchemy converts them,
and the columns' own defaults filled in as an ORM insert fills them."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from models import Entry, EntryKind
from models.base import Clock
from models.prepared import Prepared

DIALECTS = [sqlite.dialect(), postgresql.asyncpg.dialect()]

notes = Table(
    "notes",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("text", String(10)),
    Column("pinned", Boolean, default=False),  # added later, with a default
    Column("stamp", String(10), default=lambda: "now"),
)


@pytest.mark.parametrize("dialect", DIALECTS, ids=["sqlite", "postgresql"])
def test_a_column_added_with_a_default_gets_it(dialect: object) -> None:
    prepared = Prepared(insert(notes).values(text=bindparam("text")))
    compiled = prepared.compiled(dialect)  # type: ignore[arg-type]
    values = dict(zip(compiled.names, compiled.params({"text": "hi"}), strict=True))
    assert values["text"] == "hi"
    assert values["stamp"] == "now"
    assert values["pinned"] in (False, 0)


def test_values_are_converted_as_sqlalchemy_converts_them(frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 11, 18, 9, 30, tzinfo=UTC))
    prepared = Prepared(
        insert(Entry).values(
            team_id=bindparam("team_id"),
            user_id=bindparam("user_id"),
            kind=bindparam("kind"),
            business_date=bindparam("business_date"),
        )
    )
    compiled = prepared.compiled(sqlite.dialect())
    values = dict(
        zip(
            compiled.names,
            compiled.params(
                {
                    "team_id": 1,
                    "user_id": 2,
                    "kind": EntryKind.DEAL,
                    "business_date": date(2026, 11, 18),
                }
            ),
            strict=True,
        )
    )
    assert values["kind"] == "deal"
    assert values["business_date"] == "2026-11-18"
    assert values["created_at"] == "2026-11-18 09:30:00.000000"  # the Clock's, in UTC
    assert values["count"] == 1 and values["is_repeat"] == 0


def test_a_missing_value_is_refused() -> None:
    prepared = Prepared(select(Entry.id).where(Entry.user_id == bindparam("user_id")))
    with pytest.raises(KeyError, match="user_id"):
        prepared.compiled(sqlite.dialect()).params({})
