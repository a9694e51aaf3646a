"""The data layer's promises, on SQLite and on PostgreSQL: a writer is kept whole or not at all,
writers at the same time do not spoil each other, readers cannot write, and a prepared statement
stores what the ORM would."""

import asyncio
import contextlib
import sqlite3
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.services.entries import DAY_TOTAL, record_entry
from bot.services.parsing import ParsedEntry
from models import Entry, EntryKind, Team, User
from models.base import columns_of
from models.database import Database, RolledBackAtCommit
from models.prepared import Prepared
from models.unit_of_work import Query, Reads, UnitOfWork
from tests.db import migrated_database
from tests.people import new_team, register
from tests.postgres import connection_count, drop_connections

DAY = date(2026, 11, 18)


async def team_of_one(database: Database) -> tuple[int, int]:
    async with database.write() as session:
        await register(session, 1, "Anna")
        team = await new_team(session, 1, "Sales")
    return 1, team.id


def parsed(count: int = 1, note: str | None = None) -> ParsedEntry:
    return ParsedEntry(count, None, DAY, None, note)


async def live_calls(database: Database) -> int:
    async with database.read() as session:
        total = await session.scalar(
            select(func.sum(Entry.count)).where(Entry.deleted_at.is_(None))
        )
    return int(total or 0)


async def test_writers_at_the_same_time_are_all_kept(database: Database) -> None:
    user_id, team_id = await team_of_one(database)

    async def log(count: int) -> int:
        async with database.write() as session:
            recorded = await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
            return recorded.day_total.count

    totals = await asyncio.gather(*(log(1) for _ in range(50)))
    assert await live_calls(database) == 50
    if database.is_sqlite:  # one after another inside the batch: each saw those before it
        assert sorted(totals) == list(range(1, 51))


async def test_a_writer_that_fails_is_rolled_back_alone(database: Database) -> None:
    user_id, team_id = await team_of_one(database)

    async def log(count: int, fail: bool) -> None:
        async with database.write() as session:
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
            session.add(
                Entry(team_id=team_id, user_id=user_id, kind=EntryKind.LEAD, business_date=DAY)
            )
            await session.flush()
            if fail:
                raise RuntimeError("the handler broke after writing")

    outcomes = await asyncio.gather(
        log(1, False), log(10, True), log(100, False), return_exceptions=True
    )
    assert [type(o).__name__ for o in outcomes] == ["NoneType", "RuntimeError", "NoneType"]
    assert await live_calls(database) == 1 + 100 + 2  # two leads of the kept writers
    async with database.read() as session:
        notes = await session.scalar(select(func.count()).where(Entry.count == 10))
    assert notes == 0


async def test_a_writer_that_went_on_after_a_failed_statement_never_passes_for_saved(
    database: Database,
) -> None:
    """A statement fails and the code goes on: SQLite keeps what came before it (its failure
    undoes that statement alone); PostgreSQL had aborted the whole transaction, and its COMMIT
    is answered with ROLLBACK: the writer raises rather than end as if it were saved."""
    user_id, team_id = await team_of_one(database)

    async def log_then_fail_quietly() -> None:
        async with database.write() as session:
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(3))
            with contextlib.suppress(IntegrityError):
                await record_entry(session, user_id, 999, EntryKind.CALL, parsed(5))  # no team

    if database.is_sqlite:
        await log_then_fail_quietly()
        assert await live_calls(database) == 3
    else:
        with pytest.raises(RolledBackAtCommit):
            await log_then_fail_quietly()
        assert await live_calls(database) == 0
    async with database.write(claim=42) as session:  # the kept connection serves the next one
        assert session.claimed
        await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(10))
    assert await live_calls(database) == (3 if database.is_sqlite else 0) + 10


async def test_a_failed_statement_never_names_its_parameters(database: Database) -> None:
    """Errors are logged: a Bitrix24 webhook URL bound to a statement must not be in them."""
    secret = "https://sales.bitrix24.ru/rest/1/k3y4bc9xyz/"
    query = text("SELECT id FROM no_such_table WHERE url = :url")
    for unit in (database.write, database.read):
        with pytest.raises(DBAPIError) as failed:
            async with unit() as session:
                await session.execute(query, {"url": secret})
        assert secret not in str(failed.value)


async def test_readers_cannot_write(database: Database) -> None:
    async with database.read() as session:
        session.add(User(id=5, first_name="Eve"))
        with pytest.raises(DBAPIError):
            await session.flush()
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_a_prepared_statement_sees_what_the_orm_holds(database: Database) -> None:
    user_id, team_id = await team_of_one(database)
    async with database.write() as session:
        session.add(
            Entry(team_id=team_id, user_id=user_id, kind=EntryKind.CALL, count=4, business_date=DAY)
        )
        recorded = await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(1))
    assert recorded.day_total.count == 5


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the group commit is SQLite's
async def test_a_failed_commit_tells_every_writer_of_the_batch(database: Database) -> None:
    user_id, team_id = await team_of_one(database)

    async def log(count: int, spoil: bool) -> None:
        async with database.write() as session:
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
            if spoil:  # a foreign key checked only at COMMIT, which then fails
                await session.execute(text("PRAGMA defer_foreign_keys=ON"))
                session.add(
                    Entry(team_id=999, user_id=user_id, kind=EntryKind.CALL, business_date=DAY)
                )
                await session.flush()

    outcomes = await asyncio.gather(log(1, False), log(2, True), return_exceptions=True)
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert await live_calls(database) == 0
    await log(3, False)  # and the writer goes on
    assert await live_calls(database) == 3


entries = st.builds(
    lambda kind, count, amount, repeat, tag, note: (
        kind,
        ParsedEntry(count, amount, DAY, tag, note, repeat),
    ),
    st.sampled_from(list(EntryKind)),
    st.integers(1, 1000),
    st.one_of(st.none(), st.integers(1, 10**11)),
    st.booleans(),
    st.one_of(st.none(), st.text("abcкот_-1", min_size=1, max_size=32)),
    # What a Telegram message can carry and the parser lets through: no NUL (PostgreSQL cannot
    # store it in text) and no lone surrogate (no UTF-8 text, so no Telegram message, has one).
    st.one_of(
        st.none(),
        st.text(
            st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
            min_size=1,
            max_size=500,
        )
        .map(str.strip)
        .filter(bool),
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries)
async def test_a_logged_entry_is_stored_as_the_orm_stores_it(
    database: Database, example: tuple[EntryKind, ParsedEntry]
) -> None:
    kind, entry = example
    async with database.write() as session:
        if await session.get(User, 1) is None:
            await register(session, 1, "Anna")
            await new_team(session, 1, "Sales")
        team_id = await session.scalar(select(Team.id))
        assert team_id is not None
        recorded = await record_entry(session, 1, team_id, kind, entry)
        twin = Entry(
            team_id=team_id,
            user_id=1,
            kind=kind,
            count=entry.count,
            amount_kopecks=entry.amount_kopecks,
            is_repeat=entry.is_repeat,
            tag=entry.tag,
            note=entry.note,
            business_date=entry.business_date,
            created_at=recorded.entry.created_at,
        )
        session.add(twin)
    async with database.read() as session:
        stored = {
            row.id: row
            for row in await session.scalars(
                select(Entry).where(Entry.id.in_([recorded.entry.id, twin.id]))
            )
        }
    columns = [c.key for c in columns_of(Entry) if c.key != "id"]
    prepared, orm = stored[recorded.entry.id], stored[twin.id]
    assert {c: getattr(prepared, c) for c in columns} == {c: getattr(orm, c) for c in columns}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's writers take turns
async def test_units_of_work_do_not_nest(database: Database) -> None:
    """A writer opened inside another would wait for itself: it is refused at once."""
    async with database.write():
        with pytest.raises(RuntimeError, match="do not nest"):
            async with database.write():
                pass


async def test_a_writer_given_up_while_waiting_does_not_hold_the_batch(database: Database) -> None:
    user_id, team_id = await team_of_one(database)
    waiting: list[asyncio.Task[None]] = []

    async def log(count: int, then_cancel_the_other: bool) -> None:
        async with database.write() as session:
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
            await asyncio.sleep(0.01)  # the other waits for its turn meanwhile (the batch is young)
            if then_cancel_the_other:  # it gives up just as this one is done
                waiting[0].cancel()

    first = asyncio.create_task(log(1, then_cancel_the_other=True))
    await asyncio.sleep(0.002)
    waiting.append(asyncio.create_task(log(10, then_cancel_the_other=False)))
    await asyncio.wait_for(first, 5)  # committed, not waiting for the one that gave up
    assert await live_calls(database) == 1


async def test_a_writer_cancelled_at_any_moment_spoils_nothing(database: Database) -> None:
    """A task stopped in the middle of its write (the outbox sender at shutdown, a lost lease):
    its own change is kept whole or not at all, the unit beside it (in its batch on SQLite, on
    the connection it handed back on PostgreSQL) is kept and told so, and neither the next
    writer nor the shutdown waits for it."""
    user_id, team_id = await team_of_one(database)

    async def log(count: int, note: str) -> None:
        async with database.write() as session:
            # Through the ORM, as the outbox sender's first write is.
            await session.execute(update(Team).where(Team.id == team_id).values(name="Sales"))
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count, note))

    rounds = 60
    for step in range(rounds):
        victim = asyncio.create_task(log(1000, "cancelled"))
        mate = asyncio.create_task(log(1, f"kept {step}"))
        await asyncio.sleep(step * 0.0002)
        victim.cancel()
        await asyncio.wait_for(mate, 5)  # neither cancelled with the other nor held by it
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(victim, 5)
    async with database.read() as session:
        kept = await session.scalars(select(Entry.note).where(Entry.count == 1))
    assert sorted(kept) == sorted(f"kept {step}" for step in range(rounds))
    assert await live_calls(database) % 1000 == rounds  # the cancelled ones: whole or nothing
    await asyncio.wait_for(database.close(), 10)


async def test_a_prepared_statement_that_breaks_a_rule_raises_as_sqlalchemy_does(
    database: Database,
) -> None:
    """The same error on both databases (SQLite's driver error is translated as PostgreSQL's
    is), its values not shown; a reader's failed statement too."""
    user_id, _ = await team_of_one(database)
    with pytest.raises(IntegrityError) as failed:
        async with database.write() as session:
            await record_entry(session, user_id, 999, EntryKind.CALL, parsed(7))  # no such team
    assert "999" not in str(failed.value)
    assert await live_calls(database) == 0
    broken = Prepared(lambda _: text("SELECT no_such_column FROM entries WHERE id = :id"))
    with pytest.raises(DBAPIError):
        async with database.read() as session:
            await session.run(broken, id=1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's reading thread
async def test_a_reading_connection_that_fails_fails_every_reader_of_its_trip_as_sqlalchemy_does(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers whose statements went in one trip all hear the connection's error, as
    SQLAlchemy's OperationalError (as a statement's own error is); the next trip reads again."""
    user_id, team_id = await team_of_one(database)
    async with database.write() as session:
        await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(3))
    reads = database._reads
    assert reads is not None
    connect = reads._connect

    def cannot_open() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    async def read_total() -> int:
        async with database.read() as session:
            recorded = await session.run(
                DAY_TOTAL, user_id=user_id, team_id=team_id, kind=EntryKind.CALL, day=DAY
            )
        return int(recorded[0][0] or 0)

    monkeypatch.setattr(reads, "_connect", cannot_open)
    failed = await asyncio.gather(read_total(), read_total(), return_exceptions=True)
    assert [type(error) for error in failed] == [OperationalError, OperationalError]
    assert "unable to open" in str(failed[0])
    monkeypatch.setattr(reads, "_connect", connect)
    assert await asyncio.gather(read_total(), read_total()) == [3, 3]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no server
async def test_connections_the_server_dropped_are_replaced_unnoticed(
    database: Database, db_url: str
) -> None:
    """Connections are not pinged when taken from the pool: a writer meets a dropped one at its
    BEGIN and takes another; a reader's statement is tried again on a new one."""
    user_id, team_id = await team_of_one(database)

    async def log(count: int) -> None:
        async with database.write() as session:
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))

    async def read_total() -> int:
        async with database.read() as session:
            recorded = await session.run(
                DAY_TOTAL, user_id=user_id, team_id=team_id, kind=EntryKind.CALL, day=DAY
            )
        return int(recorded[0][0] or 0)

    await asyncio.gather(*(log(1) for _ in range(4)), *(read_total() for _ in range(4)))
    dropped = await drop_connections(db_url)
    assert dropped >= 2  # the pools' idle connections

    await asyncio.gather(*(log(10) for _ in range(4)))
    assert await read_total() == 4 + 40
    assert await live_calls(database) == 4 + 40


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_units_beyond_the_pool_wait_their_turn_and_a_unit_given_up_loses_nothing(
    db_url: str,
) -> None:
    """Units of work keep their connections between them, at most the pool's size: the next
    ones wait and are handed one as it comes back, first come first served; one that gives up
    while waiting takes no connection with it; the health check still gets its own."""
    async with migrated_database(db_url, pool_size=2) as database:
        user_id, team_id = await team_of_one(database)
        release = asyncio.Event()

        async def log(count: int) -> None:
            async with database.write() as session:
                await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
                await release.wait()

        holders = [asyncio.create_task(log(1)) for _ in range(2)]
        await asyncio.sleep(0.2)
        gives_up = asyncio.create_task(log(100))
        waits = asyncio.create_task(log(10))
        await asyncio.sleep(0.2)
        assert not gives_up.done() and not waits.done()  # no third connection was made
        async with asyncio.timeout(5), database.engine.connect() as health:
            assert (await health.exec_driver_sql("SELECT 1")).scalar() == 1
        gives_up.cancel()
        release.set()
        await asyncio.wait_for(asyncio.gather(*holders, waits), 5)
        with contextlib.suppress(asyncio.CancelledError):
            await gives_up
        assert await live_calls(database) == 12
        # Writers after it all find a connection; the database saw no more than the pools'
        # (two each, one for the health check).
        await asyncio.wait_for(asyncio.gather(*(log(1000) for _ in range(6))), 5)
        assert await live_calls(database) == 6012
        assert await connection_count(db_url) <= 2 + 2 + 1


async def test_reads_made_of_reads_come_back_whole_and_in_one_trip(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, team_id = await team_of_one(database)
    async with database.write() as session:
        for count in (2, 3):
            await record_entry(session, user_id, team_id, EntryKind.CALL, parsed(count))
    names = Prepared(select(User.first_name).where(User.id == bindparam("user_id")))
    teams = Prepared(select(Team.name).where(Team.id == bindparam("team_id")))
    calls = Prepared(
        select(func.sum(Entry.count)).where(
            Entry.user_id == bindparam("user_id"), Entry.kind == EntryKind.CALL
        )
    )
    first = lambda rows: rows[0][0]  # noqa: E731
    person = Reads(
        (
            Query(names, {"user_id": user_id}, first),
            Reads((Query(calls, {"user_id": user_id}, first),), lambda calls: f"{calls} calls"),
        ),
        lambda name, calls: f"{name}: {calls}",
    )
    trips: list[int] = []
    run_many = UnitOfWork.run_many

    async def counted(session: UnitOfWork, *asked: Any) -> Any:
        trips.append(len(asked))
        return await run_many(session, *asked)

    monkeypatch.setattr(UnitOfWork, "run_many", counted)
    for opened in (database.read, database.write):
        async with opened() as session:
            trips.clear()
            found = await session.together(
                Query(teams, {"team_id": team_id}, first), person, Query(names, {"user_id": 0}, len)
            )
            assert found == ("Sales", "Anna: 5 calls", 0)
            assert trips == [4]
            assert await session.one(person) == "Anna: 5 calls"
