"""Benchmark: bot-side time of /month and /leaderboard month on a year of data.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_reports.py [--teams 50] [--people 20] [--days 365]
        [--samples 200] [--reuse] [--today YYYY-MM-DD] [--analyze] [--profile [N]] [--show]
        [--database sqlite|postgresql]

Seeding: a freshly migrated SQLite file (Alembic to head) gets ``teams`` teams of ``people``
members each (the first one the manager), ``days`` days of entries ending today in the teams'
time zone (about 2.7 a person a day: ~3.6 on weekdays, ~0.5 on weekends; calls most, then
meetings, leads and deals with amounts, a quarter tagged #avito1..#avito3, 1 % soft-deleted),
team default targets (calls with history, meetings, deals, revenue), a few personal targets and
vacations. Rows go in through the sqlite3 module in one transaction, formatted by SQLAlchemy's
own SQLite bind processors. The seeded file is cached under /tmp/kpi-bench-reports/ (keyed by
the sizes, the end date and the Alembic head); ``--reuse`` takes it from there instead of
seeding again. Every run measures a fresh copy, so the cache never sees the bot's writes. With
``--database postgresql`` the script starts a PostgreSQL server as the test suite does
(tests/db.py: start_postgres), copies the seeded file into a database made from its migrated
template (COPY, then ANALYZE: the throwaway server runs no autovacuum) and measures that.

Measuring: the production Dispatcher (``bot.factory.create_dispatcher``) on a
``models.database.Database`` of that copy, fed with ``await dp.feed_update(bot, update)``.
That runs the outer middlewares (the replies' sender, the sender's facts: a small write of
their profile when they were last seen over 5 minutes ago, as every seeded person was), the
filters, the unit of work (a reader for these commands) and the handler; the reply goes to the
Bot, whose innermost request middleware keeps it instead of sending it: no network is touched,
so the time is the bot-side time. ``/month`` is sent by employees across all teams,
``/leaderboard month`` by the managers, alternately, each update with a fresh id; a few
warm-up updates of each go first. Besides wall-clock time per update the report gives medians
of the process's CPU time (all threads), of the time spent waiting for statements ("SQL":
prepared reads with their trip to the reading thread, ORM statements with aiosqlite's thread
hop, prepared writes; on PostgreSQL the round trips to the server) and, over the updates that
wrote, of the COMMIT.

Afterwards one traced update of each command lists every statement it ran, its time run alone
(through the sqlite3 module, or asyncpg) and the query plan (SQLite's EXPLAIN QUERY PLAN, or
PostgreSQL's EXPLAIN). The exit code is 1 when a median is over ``--target`` ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import itertools
import math
import os
import platform
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import asyncpg  # noqa: E402
from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.client.session.middlewares.base import (  # noqa: E402
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import SendMessage, TelegramMethod  # noqa: E402
from aiogram.methods.base import TelegramType  # noqa: E402
from aiogram.types import Update  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.factory import create_bot, create_dispatcher  # noqa: E402
from bot.services.periods import local_date  # noqa: E402
from bot.texts import LANGUAGES, translator  # noqa: E402
from models import Entry  # noqa: E402
from models.base import clock, utcnow  # noqa: E402
from models.database import Database, alembic_config  # noqa: E402
from models.prepared import Prepared  # noqa: E402
from models.team import DEFAULT_TIMEZONE  # noqa: E402
from tests.db import TEMPLATE, start_postgres  # noqa: E402
from tests.perf.seeded import asyncpg_dsn, build_seeded, copy_to_postgres, file_url  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

CACHE_DIR = Path("/tmp/kpi-bench-reports")
TOKEN = "123456789:AAH" + "x" * 32
SEED = 20261128
FIRST_USER_ID = 10_000_000  # user id = FIRST_USER_ID + team * 1000 + person (person 0: manager)
TAGS = ("avito1", "avito2", "avito3")
# Entries per person per day: mean 3.625 on weekdays, 0.5 on weekends (2.74 a day over a year).
WEEKDAY_COUNTS = (1, 2, 3, 3, 4, 4, 5, 7)
WEEKEND_COUNTS = (0, 0, 0, 0, 0, 1, 1, 2)
COMMANDS = ("/month", "/leaderboard month")
PG_DATABASE = "bench_reports"


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    teams: int
    people: int
    days: int
    today: date

    def user_id(self, team: int, person: int) -> int:
        return FIRST_USER_ID + team * 1000 + person


def alembic_head() -> str:
    script = ScriptDirectory.from_config(alembic_config(file_url(CACHE_DIR / "x.db")))
    return "-".join(sorted(script.get_heads()))


def cache_path(shape: Shape) -> Path:
    name = (
        f"kpi-t{shape.teams}-p{shape.people}-d{shape.days}-{shape.today.isoformat()}"
        f"-{alembic_head()}.db"
    )
    return CACHE_DIR / name


class Formats:
    """Column values as SQLAlchemy's SQLite dialect binds them (dates and instants as text)."""

    def __init__(self) -> None:
        dialect = sqlite_dialect.dialect()
        self._date = Entry.__table__.c.business_date.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        self._instant = Entry.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        probe = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        # The per-entry fast path below must agree with the dialect's own format.
        if self.instant(probe) != self.fast_instant(probe.date(), 3 * 3600 + 4 * 60 + 5):
            raise AssertionError(f"unexpected DateTime format: {self.instant(probe)!r}")
        if self.day(probe.date()) != "2026-01-02":
            raise AssertionError(f"unexpected Date format: {self.day(probe.date())!r}")

    def day(self, value: date | None) -> Any:
        return value if value is None or self._date is None else self._date(value)

    def instant(self, value: datetime) -> Any:
        return value if self._instant is None else self._instant(value)

    @staticmethod
    def fast_instant(day: date, seconds: int) -> str:
        return (
            f"{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
            f"{seconds % 60:02d}.000000"
        )


def seed(path: Path, shape: Shape) -> dict[str, int]:
    """Fill a migrated database file; returns row counts per table."""
    fmt = Formats()
    rng = random.Random(SEED)
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    first_day = shape.today - timedelta(days=shape.days - 1)
    start_instant = fmt.instant(datetime.combine(first_day, dtime(9), zone))
    month_start = shape.today.replace(day=1)
    counts: dict[str, int] = {}

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("BEGIN")
        teams = [
            (t, f"Team {t}", DEFAULT_TIMEZONE, "RU", 0b0011111, f"invite-{t}", start_instant)
            for t in range(1, shape.teams + 1)
        ]
        db.executemany(
            "INSERT INTO teams (id, name, timezone, country, weekdays_mask, invite_token,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            teams,
        )
        users = []
        for t in range(1, shape.teams + 1):
            for p in range(shape.people):
                users.append(
                    (
                        shape.user_id(t, p),
                        f"Person {t}-{p}",
                        None,
                        f"p{t}_{p}",
                        "ru" if p % 2 else "en",
                        t,
                        "manager" if p == 0 else "employee",
                        start_instant,
                        start_instant,
                    )
                )
        db.executemany(
            "INSERT INTO users (id, first_name, last_name, username, language_code, team_id,"
            " role, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        counts["teams"], counts["users"] = len(teams), len(users)
        counts["targets"] = _seed_targets(db, shape, fmt, first_day, month_start, start_instant)
        counts["vacations"] = _seed_vacations(db, shape, fmt, month_start, start_instant)
        counts["entries"] = _seed_entries(db, shape, fmt, rng, first_day)
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")  # what the bot's engine sets on every connection
    finally:
        db.close()
    return counts


def _seed_targets(
    db: sqlite3.Connection,
    shape: Shape,
    fmt: Formats,
    first_day: date,
    month_start: date,
    created: str,
) -> int:
    three_months_ago = (month_start - timedelta(days=80)).replace(day=1)
    two_months_ago = (month_start - timedelta(days=40)).replace(day=1)
    rows = []
    for t in range(1, shape.teams + 1):
        manager = shape.user_id(t, 0)
        defaults = [
            ("calls", "month", 250, first_day, three_months_ago),  # history: a closed target
            ("calls", "month", 300, three_months_ago, None),
            ("meetings", "week", 15, first_day, None),
            ("deals", "month", 10, first_day, None),
            ("revenue", "month", 1_000_000_00, first_day, None),
        ]
        for metric, period, value, start, end in defaults:
            rows.append((t, None, metric, period, value, start, end, manager))
        for p in range(1, min(4, shape.people)):
            person = shape.user_id(t, p)
            rows.append((t, person, "calls", "month", 400, two_months_ago, None, manager))
        if shape.people > 4:
            rows.append((t, shape.user_id(t, 4), "deals", "day", 1, month_start, None, manager))
    db.executemany(
        "INSERT INTO targets (team_id, user_id, metric, period, value, valid_from, valid_to,"
        " created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row[:5], fmt.day(row[5]), fmt.day(row[6]), row[7], created) for row in rows],
    )
    return len(rows)


def _seed_vacations(
    db: sqlite3.Connection, shape: Shape, fmt: Formats, month_start: date, created: str
) -> int:
    last_month = (month_start - timedelta(days=1)).replace(day=10)
    rows = []
    for t in range(1, shape.teams + 1):
        manager = shape.user_id(t, 0)
        if shape.people > 5:
            start = month_start + timedelta(days=2)
            rows.append((t, shape.user_id(t, 5), start, start + timedelta(days=4), manager))
        if shape.people > 6:
            rows.append(
                (t, shape.user_id(t, 6), last_month, last_month + timedelta(days=6), manager)
            )
    db.executemany(
        'INSERT INTO vacations (team_id, user_id, start, "end", created_by_id, created_at)'
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(t, u, fmt.day(s), fmt.day(e), m, created) for t, u, s, e, m in rows],
    )
    return len(rows)


def _seed_entries(
    db: sqlite3.Connection, shape: Shape, fmt: Formats, rng: random.Random, first_day: date
) -> int:
    """Entries in business-date order (as the bot would append them), in chunks."""
    noon = datetime.combine(first_day, dtime(12), ZoneInfo(DEFAULT_TIMEZONE))
    offset = int(noon.utcoffset().total_seconds())  # type: ignore[union-attr]
    sql = (
        "INSERT INTO entries (team_id, user_id, kind, count, amount_kopecks, is_repeat, tag,"
        " note, business_date, created_at, deleted_at, deleted_by_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    total = 0
    chunk: list[tuple[Any, ...]] = []
    rand, choice, randint = rng.random, rng.choice, rng.randint
    for index in range(shape.days):
        day = first_day + timedelta(days=index)
        day_text = fmt.day(day)
        weekend = day.weekday() >= 5
        for t in range(1, shape.teams + 1):
            for p in range(shape.people):
                user = shape.user_id(t, p)
                n = choice(WEEKEND_COUNTS if weekend else WEEKDAY_COUNTS)
                # Local 09:00..19:00, stored in UTC (same calendar day for Moscow).
                moments = sorted(randint(9 * 3600, 19 * 3600) - offset for _ in range(n))
                for seconds in moments:
                    r = rand()
                    amount, repeat, count = None, 0, 1
                    if r < 0.60:
                        kind, count = "call", 1 if rand() < 0.7 else randint(2, 6)
                    elif r < 0.80:
                        kind = "meeting"
                    elif r < 0.92:
                        kind = "lead"
                    else:
                        kind = "deal"
                        amount = randint(5_000, 500_000) * 100
                        repeat = 1 if rand() < 0.2 else 0
                    tag = TAGS[int(rand() * 3)] if rand() < 0.25 else None
                    note = "follow up next week" if rand() < 0.05 else None
                    created = fmt.fast_instant(day, seconds)
                    deleted_at, deleted_by = None, None
                    if rand() < 0.01:
                        deleted_at, deleted_by = fmt.fast_instant(day, seconds + 60), user
                    row = (t, user, kind, count, amount, repeat, tag, note, day_text, created)
                    chunk.append((*row, deleted_at, deleted_by))
        if len(chunk) >= 20_000:
            db.executemany(sql, chunk)
            total += len(chunk)
            chunk.clear()
    db.executemany(sql, chunk)
    return total + len(chunk)


def prepare_database(shape: Shape, reuse: bool) -> Path:
    """The seeded file in the cache (seeded now unless reusable)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached = cache_path(shape)
    if reuse and cached.exists():
        print(f"seed: reusing {cached}")
        return cached
    for stale in CACHE_DIR.glob("kpi-*.db*"):
        stale.unlink()
    return build_seeded(cached, lambda path: seed(path, shape))


def working_copy(cached: Path) -> Path:
    work = CACHE_DIR / "work.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(cached, work)
    return work


def describe_database(path: Path, analyze: bool) -> None:
    db = sqlite3.connect(path)
    try:
        if analyze:
            began = time.perf_counter()
            db.execute("ANALYZE")
            db.commit()
            print(f"ANALYZE: {time.perf_counter() - began:.1f} s")
        query = "SELECT count(*), count(*) - count(deleted_at) FROM entries"
        total, live = db.execute(query).fetchone()
        query = "SELECT min(business_date), max(business_date) FROM entries"
        first, last = db.execute(query).fetchone()
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'"
        indexes = [name for (name,) in db.execute(query)]
    finally:
        db.close()
    size = path.stat().st_size / 2**20
    print(
        f"DB: {size:.0f} MiB, {total:,} entries ({live:,} live), {first}..{last}; "
        f"entries indexes: {', '.join(indexes)}"
    )


async def describe_postgres(url: str) -> None:
    db = await asyncpg.connect(asyncpg_dsn(url))
    try:
        server = await db.fetchval("SHOW server_version")
        size = await db.fetchval("SELECT pg_database_size(current_database())") / 2**20
        total, live = await db.fetchrow(
            "SELECT count(*), count(*) - count(deleted_at) FROM entries"
        )
        query = "SELECT min(business_date), max(business_date) FROM entries"
        first, last = await db.fetchrow(query)
        rows = await db.fetch(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'entries' ORDER BY indexname"
        )
    finally:
        await db.close()
    print(
        f"DB: PostgreSQL {server}, {size:.0f} MiB, {total:,} entries ({live:,} live), "
        f"{first}..{last}; entries indexes: {', '.join(row[0] for row in rows)}"
    )


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class SqlMeter:
    """Time spent waiting for statements and for COMMIT, and the statements run while `trace`
    is set.

    Statements go several ways now: SQLite's prepared reads to a reading thread (timed from the
    event loop, the trip included), prepared writes on the event loop (the batch holds the
    write lock), ORM statements through aiosqlite (its thread hop included); on PostgreSQL all
    of them through SQLAlchemy and asyncpg. COMMIT is SQLite's group commit of a batch of
    writers, or a PostgreSQL writer's own.
    """

    seconds: float = 0.0
    commit_seconds: float = 0.0
    statements: int = 0
    writes: int = 0  # units of work committed
    trace: list[tuple[str, Any]] | None = None
    _started: list[float] = field(default_factory=list)
    _commit_started: float | None = None

    def attach(self, db: Database) -> None:
        writer, reads = db._writer, db._reads  # SQLite's; None on PostgreSQL
        engines = [db.engine] + ([writer.engine] if writer is not None else [])
        for engine in engines:  # the ORM's statements (and on PostgreSQL every statement)
            event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            event.listen(engine.sync_engine, "after_cursor_execute", self._after)
        if reads is not None:
            self._wrap_reads(reads)
        if writer is not None:
            self._wrap_writer(writer)
        else:
            event.listen(db.engine.sync_engine, "commit", self._before_commit)
            event.listen(Session, "after_commit", self._after_commit)

    def _wrap_reads(self, reads: Any) -> None:
        fetch, run_many, execute = reads.fetch, reads.run_many, reads._execute

        async def timed_fetch(statement: Prepared, params: dict[str, Any]) -> Any:
            began = time.perf_counter()
            try:
                return await fetch(statement, params)
            finally:
                self._add(time.perf_counter() - began, 1)

        async def timed_run_many(session: Any, calls: Any) -> Any:
            began = time.perf_counter()
            try:
                return await run_many(session, calls)
            finally:
                self._add(time.perf_counter() - began, len(calls))

        def traced_execute(batch: list[tuple[str, tuple[Any, ...]]]) -> Any:
            if self.trace is not None:  # in the reading thread; the loop awaits it
                self.trace.extend(batch)
            return execute(batch)

        reads.fetch, reads.run_many, reads._execute = timed_fetch, timed_run_many, traced_execute

    def _wrap_writer(self, writer: Any) -> None:
        run, changed, commit = writer.run, writer.changed, writer._commit
        dialect = writer.engine.dialect

        def traced(statement: Prepared, params: dict[str, Any]) -> None:
            if self.trace is not None:
                compiled = statement.compiled(dialect)
                self.trace.append((compiled.sql, compiled.params(params)))

        async def timed_run(session: Any, statement: Prepared, params: dict[str, Any]) -> Any:
            traced(statement, params)
            began = time.perf_counter()
            try:
                return await run(session, statement, params)
            finally:
                self._add(time.perf_counter() - began, 1)

        async def timed_changed(session: Any, statement: Prepared, params: dict[str, Any]) -> Any:
            traced(statement, params)
            began = time.perf_counter()
            try:
                return await changed(session, statement, params)
            finally:
                self._add(time.perf_counter() - began, 1)

        async def timed_commit(batch: Any) -> None:
            began = time.perf_counter()
            try:
                await commit(batch)
            finally:
                self.commit_seconds += time.perf_counter() - began
                self.writes += batch.size

        writer.run, writer.changed, writer._commit = timed_run, timed_changed, timed_commit

    def _add(self, seconds: float, statements: int) -> None:
        self.seconds += seconds
        self.statements += statements

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self._started.append(time.perf_counter())
        if self.trace is not None:
            self.trace.append((statement, params))

    def _after(self, *_: Any) -> None:
        self._add(time.perf_counter() - self._started.pop(), 1)

    def _before_commit(self, *_: Any) -> None:
        self._commit_started = time.perf_counter()

    def _after_commit(self, *_: Any) -> None:
        if self._commit_started is not None:
            self.commit_seconds += time.perf_counter() - self._commit_started
            self._commit_started = None
            self.writes += 1

    def reset(self) -> None:
        self.seconds, self.commit_seconds, self.statements, self.writes = 0.0, 0.0, 0, 0


@dataclass
class Samples:
    command: str
    total: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    commit: list[float] = field(default_factory=list)  # of the updates that wrote
    statements: list[int] = field(default_factory=list)
    writes: int = 0  # updates that wrote (refreshed their sender's profile)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class KeepReplies(BaseRequestMiddleware):
    """The innermost request middleware: keeps what the bot would send instead of sending it
    (the caller, SenderMiddleware's send_replies, does not look at the result)."""

    def __init__(self) -> None:
        self.kept: list[TelegramMethod[Any]] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        self.kept.append(method)
        return None


class Feeder:
    def __init__(self, dp: Dispatcher, bot: Bot, replies: KeepReplies, shape: Shape) -> None:
        self.dp, self.bot, self.replies, self.shape = dp, bot, replies, shape
        self.update_ids = itertools.count(1)
        self.failures = {translator(language)("error.internal") for language in LANGUAGES}

    def update(self, text: str, team: int, person: int) -> Update:
        update_id = next(self.update_ids)
        user_id = self.shape.user_id(team, person)
        sender = {
            "id": user_id,
            "is_bot": False,
            "first_name": f"Person {team}-{person}",
            "username": f"p{team}_{person}",
            "language_code": "ru" if person % 2 else "en",
        }
        command = text.split()[0]
        payload = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": sender["first_name"]},
                "from": sender,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            },
        }
        return Update.model_validate(payload, context={"bot": self.bot})

    def who(self, command: str, index: int) -> tuple[int, int]:
        """/month: employees across the teams; /leaderboard: the managers."""
        team = index % self.shape.teams + 1
        if command == "/month":
            return team, 1 + (index // self.shape.teams) % (self.shape.people - 1)
        return team, 0

    async def feed(self, command: str, index: int) -> SendMessage:
        update = self.update(command, *self.who(command, index))
        self.replies.kept.clear()
        await self.dp.feed_update(self.bot, update)
        kept = self.replies.kept
        reply = kept[0] if len(kept) == 1 else None
        if not isinstance(reply, SendMessage) or not reply.text:
            raise AssertionError(f"{command}: expected one SendMessage reply, got {kept!r}")
        if reply.text in self.failures:
            raise AssertionError(f"{command}: the bot answered with its error message")
        return reply


async def measure(feeder: Feeder, meter: SqlMeter, samples: int) -> list[Samples]:
    """The commands alternate, so a change in the machine's load hits both alike."""
    results = {command: Samples(command) for command in COMMANDS}
    for index in range(samples):
        for command, result in results.items():
            meter.reset()
            cpu = time.process_time()  # this process, all threads (the reading thread included)
            began = time.perf_counter()
            await feeder.feed(command, index)
            result.total.append(time.perf_counter() - began)
            result.cpu.append(time.process_time() - cpu)
            result.sql.append(meter.seconds)
            result.statements.append(meter.statements)
            if meter.writes:
                result.writes += 1
                result.commit.append(meter.commit_seconds)
    return list(results.values())


def summary(s: Samples) -> str:
    ms = [v * 1000 for v in s.total]

    def median_ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    commit = f"{median_ms(s.commit):.1f} ms" if s.commit else "-"
    return (
        f"{s.command:<20} median {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 95):6.1f} ms"
        f"   max {max(ms):6.1f} ms\n{'':21}medians: CPU {median_ms(s.cpu):.1f} ms, "
        f"SQL {median_ms(s.sql):.1f} ms ({statistics.median(s.statements):.0f} "
        f"statements), COMMIT {commit}\n{'':21}(COMMIT: of the {s.writes} of {len(s.total)} "
        "updates that wrote: a sender last seen over 5 min before)"
    )


async def run(
    args: argparse.Namespace, shape: Shape, url: str
) -> tuple[list[Samples], dict[str, list[tuple[str, Any]]]]:
    """The samples, and the statements of one traced update of each command."""
    db = Database(url)
    meter = SqlMeter()
    meter.attach(db)
    bot = create_bot(TOKEN)
    replies = KeepReplies()
    bot.session.middleware(replies)  # registered after the retry middleware: inside it
    try:
        feeder = Feeder(create_dispatcher(db), bot, replies, shape)
        for command in COMMANDS:
            for index in range(args.warmup):
                await feeder.feed(command, shape.teams * shape.people - 1 - index)
            if args.show:
                reply = await feeder.feed(command, 0)
                print(f"\n--- sample reply to {command} ---\n{reply.text}\n")
        results = await measure(feeder, meter, args.samples)

        traces: dict[str, list[tuple[str, Any]]] = {}
        for command in COMMANDS:
            meter.trace = traces[command] = []
            await feeder.feed(command, 0)
        meter.trace = None

        if args.profile:
            for command in COMMANDS:
                await profiled(feeder, command, args)
    finally:
        await bot.session.close()
        await db.close()
    return results, traces


async def profiled(feeder: Feeder, command: str, args: argparse.Namespace) -> None:
    print(f"\n=== cProfile: {args.profile_samples} x {command} (event loop thread) ===")
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for index in range(args.profile_samples):
            await feeder.feed(command, index)
    finally:
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(args.profile)
    stats.sort_stats("cumulative").print_stats(args.profile)
    text = re.sub(r"\S*/site-packages/", "", out.getvalue())
    text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
    print(text.replace(f"{PROJECT_ROOT}/", ""))


# ---------------------------------------------------------------------------------------------
# Query plans
# ---------------------------------------------------------------------------------------------


def short_sql(statement: str) -> str:
    text = " ".join(statement.split())
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    return text


def is_main_query(statement: str) -> bool:
    return "FROM entries" in statement and "GROUP BY" in statement


def explain(path: Path, command: str, statements: list[tuple[str, Any]]) -> None:
    print(f"=== {command}: {len(statements)} statements (one update; SELECTs timed alone) ===")
    db = sqlite3.connect(path)
    try:
        for statement, params in statements:
            params = tuple(params or ())
            is_select = statement.lstrip().upper().startswith("SELECT")
            if is_select:
                runs = []
                for _ in range(15):
                    began = time.perf_counter()
                    db.execute(statement, params).fetchall()
                    runs.append(time.perf_counter() - began)
                timing = f"{statistics.median(runs) * 1000:6.2f} ms  "
            else:
                timing = "    (write)  "
            print(f"{timing}{short_sql(statement)[:150]}")
            if not is_select:
                continue
            plan = db.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            for _id, _parent, _unused, detail in plan:
                print(f"{'':13}plan: {detail}")
            if is_main_query(statement):
                returned = len(db.execute(statement, params).fetchall())
                matched = rows_matched(db, statement, params)
                print(f"{'':13}params: {params}; {matched:,} rows match, {returned} groups")
    finally:
        db.close()
    print()


def rows_matched(db: sqlite3.Connection, statement: str, params: tuple[Any, ...]) -> int:
    """Entries the query's WHERE matches (the least any plan has to visit)."""
    where = statement[statement.index("FROM entries") :].split("GROUP BY")[0]
    # The select list's own parameters (CASE, COALESCE) come first; GROUP BY has none.
    where_params = params[len(params) - where.count("?") :]
    (n,) = db.execute(f"SELECT count(*) {where}", where_params).fetchone()
    return int(n)


async def explain_postgres(url: str, command: str, statements: list[tuple[str, Any]]) -> None:
    print(f"=== {command}: {len(statements)} statements (one update; SELECTs timed alone) ===")
    db = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for statement, params in statements:
            params = tuple(params or ())
            is_select = statement.lstrip().upper().startswith("SELECT")
            if is_select:
                runs = []
                for _ in range(15):
                    began = time.perf_counter()
                    await db.fetch(statement, *params)
                    runs.append(time.perf_counter() - began)
                timing = f"{statistics.median(runs) * 1000:6.2f} ms  "
            else:
                timing = "    (write)  "
            print(f"{timing}{short_sql(statement)[:150]}")
            if not is_select:
                continue
            for (line,) in await db.fetch(f"EXPLAIN {statement}", *params):
                print(f"{'':13}plan: {line}")
            if is_main_query(statement):
                returned = len(await db.fetch(statement, *params))
                matched = await rows_matched_postgres(db, statement, params)
                print(f"{'':13}params: {params}; {matched:,} rows match, {returned} groups")
    finally:
        await db.close()
    print()


async def rows_matched_postgres(
    db: asyncpg.Connection, statement: str, params: tuple[Any, ...]
) -> int:
    """As rows_matched, with the WHERE's $n parameters numbered anew from $1."""
    where = statement[statement.index("FROM entries") :].split("GROUP BY")[0]
    numbers: dict[int, int] = {}
    for found in re.finditer(r"\$(\d+)", where):
        numbers.setdefault(int(found.group(1)), len(numbers) + 1)
    where = re.sub(r"\$(\d+)", lambda m: f"${numbers[int(m.group(1))]}", where)
    n = await db.fetchval(f"SELECT count(*) {where}", *(params[old - 1] for old in numbers))
    return int(n)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def header() -> None:
    print(
        f"Python {platform.python_version()}, aiogram {version('aiogram')}, "
        f"SQLAlchemy {version('sqlalchemy')}, aiosqlite {version('aiosqlite')}, "
        f"SQLite {sqlite3.sqlite_version}; os.cpu_count() = {os.cpu_count()}, "
        f"{platform.platform()}"
    )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average before the run: {load} (other processes skew wall-clock times)")


@contextlib.contextmanager
def frozen_today(today: date | None) -> Iterator[None]:
    if today is None:
        yield
        return
    moment = datetime.combine(today, dtime(15), ZoneInfo(DEFAULT_TIMEZONE))
    clock.freeze(moment)
    try:
        yield
    finally:
        clock.unfreeze()


def measure_sqlite(args: argparse.Namespace, shape: Shape, cached: Path) -> list[Samples]:
    work = working_copy(cached)
    try:
        describe_database(work, args.analyze)
        results, traces = asyncio.run(run(args, shape, file_url(work)))
        print()
        for command, statements in traces.items():
            explain(work, command, statements)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    return results


def measure_postgres(args: argparse.Namespace, shape: Shape, cached: Path) -> list[Samples]:
    with contextlib.contextmanager(start_postgres)() as server:
        return asyncio.run(_measure_postgres(args, shape, cached, server))


async def _measure_postgres(
    args: argparse.Namespace, shape: Shape, cached: Path, server: PostgresServer
) -> list[Samples]:
    await server.create_database(PG_DATABASE, template=TEMPLATE)
    url = server.url(PG_DATABASE)
    began = time.perf_counter()
    counts = await copy_to_postgres(cached, url)
    listed = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    print(f"copy to PostgreSQL: {time.perf_counter() - began:.1f} s (COPY, ANALYZE): {listed}")
    await describe_postgres(url)
    results, traces = await run(args, shape, url)
    print()
    for command, statements in traces.items():
        await explain_postgres(url, command, statements)
    return results


def main_sync(args: argparse.Namespace) -> int:
    header()
    with frozen_today(args.today):
        today = local_date(utcnow(), DEFAULT_TIMEZONE)
        shape = Shape(args.teams, args.people, args.days, today)
        print(
            f"{shape.teams} teams x {shape.people} people, {shape.days} days ending {today}; "
            f"{args.samples} samples per command after {args.warmup} warm-up; "
            f"database: {args.database}"
        )
        cached = prepare_database(shape, args.reuse)
        if args.database == "postgresql":
            results = measure_postgres(args, shape, cached)
        else:
            results = measure_sqlite(args, shape, cached)

    print("=== bot-side time per update (dp.feed_update) ===")
    over = False
    for samples in results:
        print(summary(samples))
        over |= statistics.median(samples.total) * 1000 > args.target
    verdict = "OVER" if over else "within"
    print(f"target: median < {args.target:.0f} ms for each command: {verdict}")
    return 1 if over else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--people", type=int, default=20, help="per team, manager included")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--samples", type=int, default=200, help="timed updates per command")
    parser.add_argument("--warmup", type=int, default=5, help="untimed updates per command")
    parser.add_argument("--reuse", action="store_true", help="reuse the cached seeded DB")
    parser.add_argument(
        "--today", type=date.fromisoformat, help="freeze the bot's clock on this day (Moscow)"
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE on the SQLite copy first (the PostgreSQL copy is always analyzed)",
    )
    parser.add_argument("--target", type=float, default=50.0, help="median limit, in ms")
    parser.add_argument("--show", action="store_true", help="print one reply of each command")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        default=0,
        metavar="N",
        help="cProfile more updates of each command and print the top N functions",
    )
    parser.add_argument("--profile-samples", type=int, default=50)
    args = parser.parse_args(argv)
    if args.people < 2 or args.teams < 1 or args.days < 1 or args.samples < 1:
        parser.error("need at least 1 team of 2 people, 1 day and 1 sample")
    return main_sync(args)


if __name__ == "__main__":
    sys.exit(main())
