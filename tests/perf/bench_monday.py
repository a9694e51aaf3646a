"""Benchmark: a Monday's weekly reports for many teams, rendered and then sent to a fake Bot API
that enforces Telegram's flood limits (and answers 429 when they are broken).

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_monday.py [--teams 1000] [--people 10] [--limit 25]
        [--workers N] [--phase prep|send|both] [--reuse] [--groups 0.3] [--group-extra 0]

    e.g. --teams 50 for figures in ~2 minutes; the full 1,000 teams take ~35 min with one chart
    worker (prep ~33 min, then ~7 min of sending), ~25 min with two. Those times are from the
    machine of the README's figures: on one that renders half as fast (2.4 charts/s with one
    worker) 80 teams take 6.5 min and the full 1,000 about 75.

Seeding: a freshly migrated SQLite file (Alembic to head) gets ``teams`` teams of ``people``
(person 0 the manager; Russian teams with one English speaker, every fifth team English), all
in Europe/Moscow with the default report time (Monday 09:00), a share ``--groups`` of them bound
to a group chat with public stats; a week of entries (Mon 16 - Sun 22 Nov 2026: ~3.6 a person a
weekday, ~0.5 a weekend day); team targets (calls, deals and revenue a month, meetings a week),
a personal one per team and a few vacations. Rows go in through the sqlite3 module in one
transaction, formatted by SQLAlchemy's own SQLite bind processors. Files are cached in ``--dir``:
``--reuse`` takes the seeded file from there; ``--phase send`` takes the prepared one (the
outbox filled by an earlier prep run of the same sizes). Every run works on a copy.

Startup as ``bot.__main__.run_bot`` does it: one ``models.database.Database``, ``create_bot``
(with the retry middleware) pointed at the fake, a spawn ProcessPoolExecutor(--workers, by
default one fewer than the CPUs as run_bot sizes it), ``create_dispatcher`` (no APScheduler: the
jobs are called directly), ``gc.collect(); gc.freeze()`` (``--no-gc-freeze`` to skip), then the
dispatcher's startup hook ``start_background``, which warms what the app warms and starts the
production ``OutboxSender`` (Limits(per_second=--limit)); it polls all night, idle until 09:00.

prep: the app clock frozen at Monday 2026-11-23 00:05 Moscow, ``scheduler.jobs.
run_weekly_reports`` with the chart pool and the sender's wake as ``on_queued`` (as KpiScheduler
runs it). Charts per second count renders (submissions to the pool: the team chart once per team
and language, plus each employee's chart) over the job's wall time.

send: the app clock moved to 09:00 Moscow (and ticking, so 429 retries come due), then the
sender delivers to ``tests.fake_telegram.FakeTelegram(enforce_limits=True)`` on 127.0.0.1, which
runs in its own process so that its work is not counted as the bot's. Rate = (sent - 1) /
(last send - first send) as the fake saw them, against the configured limit. ``--group-extra N``
queues N more posts per bound group (due a second before the charts) to exercise the group
limits (the weekly report alone sends one message per chat).

Stalls: a task sleeping 10 ms in a loop records how late it wakes, over both phases (each tick
counted in the phase it started in). A watchdog thread samples the event-loop thread's stack
whenever the loop has not ticked for ``--trace-ms``, and gc.callbacks time every collection:
the report names where the worst stalls were spent. Instruments, none of which changes what
the app does: the SQLite writers' turn lock (models.database: the writers of a process take
turns on one connection and are committed together; readers take no turn) swapped for a timed
one (how long each writer waited for and held its turn, the group commits' own turns
included), the chart pool counted, the sender's limiter and an innermost request middleware
timestamped (from the limiter's go to the HTTP request, and how many requests the bot made in
its busiest second).

Exit code 1 when a target is missed: stalls under 100 ms, rate at least 90 % of the limit,
no 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from importlib.metadata import version
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.session.middlewares.base import (  # noqa: E402
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod  # noqa: E402
from aiogram.methods.base import Response, TelegramType  # noqa: E402
from sqlalchemy import Column, func, select  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from bot.factory import (  # noqa: E402
    create_bot,
    create_dispatcher,
    start_background,
    stop_background,
)
from bot.sender import Limits, OutboxSender  # noqa: E402
from models import Entry, OutboxMessage, OutboxStatus  # noqa: E402
from models.base import clock  # noqa: E402
from models.database import Database  # noqa: E402
from scheduler import LEASE_TTL  # noqa: E402
from scheduler.jobs import run_weekly_reports  # noqa: E402
from tests.perf.seeded import build_seeded, file_url  # noqa: E402

ZONE = ZoneInfo("Europe/Moscow")
REPORT_DAY = date(2026, 11, 23)  # a Monday; the report covers Mon 16 - Sun 22 November
WEEK = [REPORT_DAY - timedelta(days=7 - i) for i in range(7)]
PREPARE_AT = datetime.combine(REPORT_DAY, dtime(0, 5), ZONE)
SEND_AT = datetime.combine(REPORT_DAY, dtime(9, 0), ZONE)
SEED = 20261123
FIRST_USER_ID = 10_000_000  # user id = FIRST_USER_ID + team * 100 + person (0: the manager)
FIRST_GROUP_ID = -1_001_000_000_000  # group chat id = FIRST_GROUP_ID - team
TICK = 0.010
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STALL_TARGET_MS = 100.0
RATE_TARGET = 0.90

RU_FIRST = ("Анна", "Иван", "Ольга", "Пётр", "Мария", "Алексей", "Екатерина", "Дмитрий")
RU_FIRST += ("Наталья", "Сергей", "Юлия", "Константин", "Татьяна", "Михаил", "Светлана")
RU_LAST = ("Смирнова", "Иванов", "Кузнецова", "Попов", "Васильева", "Петров", "Соколова")
RU_LAST += ("Михайлов", "Новикова", "Фёдоров", "Морозова", "Волков", "Алексеева", "Лебедев")
EN_FIRST = ("Emma", "James", "Olivia", "Liam", "Sophia", "Noah", "Ava", "Oliver", "Mia", "Lucas")
EN_FIRST += ("Charlotte", "Henry", "Amelia", "Jack")
EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Clarke")
EN_LAST += ("Walker", "Wright", "Robinson", "Thompson")
RU_TEAMS = ("Север", "Юг", "Восток", "Запад", "Центр", "Урал", "Сибирь", "Волга")
EN_TEAMS = ("North", "South", "East", "West", "Central", "Harbour")
WEEKDAY_COUNTS = (1, 2, 3, 3, 4, 4, 5, 7)  # entries a person logs on a weekday: mean 3.6
WEEKEND_COUNTS = (0, 0, 0, 0, 0, 1, 1, 2)  # and on a weekend day: mean 0.5


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    teams: int
    people: int
    groups: float  # share of teams bound to a group chat

    def user_id(self, team: int, person: int) -> int:
        return FIRST_USER_ID + team * 100 + person

    def group_id(self, team: int) -> int | None:
        """Spread evenly: team t has a group when t * share crosses a whole number."""
        crossed = int(team * self.groups) > int((team - 1) * self.groups)
        return FIRST_GROUP_ID - team if crossed else None

    def english_team(self, team: int) -> bool:
        return team % 5 == 0

    def person(self, team: int, p: int) -> tuple[str, str, str]:
        """First name, last name, language code."""
        k = team * 7 + p * 3
        if self.english_team(team):
            return EN_FIRST[k % len(EN_FIRST)], EN_LAST[(k // 2) % len(EN_LAST)], "en"
        if p == self.people - 1 and p > 0:  # one English speaker in a Russian team
            return EN_FIRST[k % len(EN_FIRST)], EN_LAST[(k // 2) % len(EN_LAST)], "en-GB"
        return RU_FIRST[k % len(RU_FIRST)], RU_LAST[(k // 2) % len(RU_LAST)], "ru"

    def expected_messages(self) -> int:
        groups = sum(1 for t in range(1, self.teams + 1) if self.group_id(t) is not None)
        return self.teams * self.people + groups


def binder(column: Column[Any]) -> Callable[[Any], Any]:
    """The value as SQLAlchemy's SQLite dialect binds it (dates and instants as text)."""
    dialect = sqlite_dialect.dialect()
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def seed(path: Path, shape: Shape) -> dict[str, int]:
    """Fill a migrated database file in one transaction; returns row counts per table."""
    day_text = binder(Entry.__table__.c.business_date)
    instant = binder(Entry.__table__.c.created_at)
    rng = random.Random(SEED)
    created = instant(datetime(2026, 9, 1, 9, tzinfo=ZONE))
    teams, users, targets, vacations, entries = [], [], [], [], []
    for t in range(1, shape.teams + 1):
        english = shape.english_team(t)
        stem = EN_TEAMS[t % len(EN_TEAMS)] if english else RU_TEAMS[t % len(RU_TEAMS)]
        name = f"Sales {stem} {t}" if english else f"Отдел продаж «{stem}-{t}»"
        group = shape.group_id(t)
        teams.append((t, name, "Europe/Moscow", "RU", 0b0011111, True, group))
        manager = shape.user_id(t, 0)
        for p in range(shape.people):
            first, last, language = shape.person(t, p)
            role = "manager" if p == 0 else "employee"
            uid = shape.user_id(t, p)
            users.append((uid, first, last, f"u{uid}", language, t, role, created, created))
        month = (date(2026, 9, 1), None)
        for metric, period, value in (
            ("calls", "month", 300),
            ("meetings", "week", 15),
            ("deals", "month", 10),
            ("revenue", "month", 1_000_000_00),
        ):
            targets.append((t, None, metric, period, value, *month, manager))
        if shape.people > 1:  # a personal target overrides the default for one person
            targets.append((t, shape.user_id(t, 1), "calls", "month", 400, *month, manager))
        if shape.people > 5 and t % 3 == 0:  # Wednesday to Friday off
            vacations.append((t, shape.user_id(t, 5), WEEK[2], WEEK[4], manager))
    for day in WEEK:
        weekend = day.weekday() >= 5
        offset = int(datetime.combine(day, dtime(12), ZONE).utcoffset().total_seconds())  # type: ignore[union-attr]
        midnight = datetime.combine(day, dtime(0), UTC)
        for t in range(1, shape.teams + 1):
            for p in range(shape.people):
                uid = shape.user_id(t, p)
                for _ in range(rng.choice(WEEKEND_COUNTS if weekend else WEEKDAY_COUNTS)):
                    r = rng.random()
                    amount, repeat, count = None, False, 1
                    if r < 0.60:
                        kind, count = "call", 1 if rng.random() < 0.7 else rng.randint(2, 6)
                    elif r < 0.80:
                        kind = "meeting"
                    elif r < 0.92:
                        kind = "lead"
                    else:
                        kind, amount = "deal", rng.randint(5_000, 500_000) * 100
                        repeat = rng.random() < 0.2
                    at = midnight + timedelta(seconds=rng.randint(9 * 3600, 19 * 3600) - offset)
                    deleted = rng.random() < 0.01
                    entries.append(
                        (t, uid, kind, count, amount, repeat, day, at, at if deleted else None)
                    )

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO teams (id, name, timezone, country, weekdays_mask, public_stats, chat_id,"
            " invite_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            [(*row, created) for row in teams],
        )
        db.executemany(
            "INSERT INTO users (id, first_name, last_name, username, language_code, team_id, role,"
            " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        db.executemany(
            "INSERT INTO targets (team_id, user_id, metric, period, value, valid_from, valid_to,"
            " created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r[:5], day_text(r[5]), day_text(r[6]), r[7], created) for r in targets],
        )
        db.executemany(
            'INSERT INTO vacations (team_id, user_id, start, "end", created_by_id, created_at)'
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(t, u, day_text(s), day_text(e), m, created) for t, u, s, e, m in vacations],
        )
        db.executemany(
            "INSERT INTO entries (team_id, user_id, kind, count, amount_kopecks, is_repeat,"
            " business_date, created_at, deleted_at, deleted_by_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (t, u, k, n, a, rep, day_text(d), instant(at), gone and instant(gone), gone and u)
                for t, u, k, n, a, rep, d, at, gone in entries
            ],
        )
        db.execute("COMMIT")
    finally:
        db.close()
    return {
        "teams": len(teams),
        "users": len(users),
        "group chats": sum(1 for row in teams if row[-1] is not None),
        "targets": len(targets),
        "vacations": len(vacations),
        "entries": len(entries),
    }


def cache_name(shape: Shape) -> str:
    return f"monday-t{shape.teams}-p{shape.people}-g{shape.groups:g}"


def seeded_database(folder: Path, shape: Shape, reuse: bool) -> Path:
    cached = folder / f"{cache_name(shape)}-seeded.db"
    if reuse and cached.exists():
        print(f"seed: reusing {cached}")
        return cached
    return build_seeded(cached, lambda path: seed(path, shape))


def prepared_path(folder: Path, shape: Shape) -> Path:
    return folder / f"{cache_name(shape)}-prepared.db"


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file so that a plain copy of the file is the whole database."""
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # never creates an empty file
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def copy_database(source: Path, target: Path) -> None:
    remove_database(target)
    checkpoint(source)
    shutil.copyfile(source, target)


def queued_reports(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (n,) = db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
    finally:
        db.close()
    return int(n)


# ---------------------------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _short(filename: str, name: str, line: int) -> str:
    """Project files relative to the root, libraries from their package, the rest as is."""
    if "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif filename.startswith(f"{PROJECT_ROOT}/"):
        filename = filename.removeprefix(f"{PROJECT_ROOT}/")
    elif "/lib/python3." in filename:
        filename = filename.split("/lib/python3.", 1)[1].split("/", 1)[-1]
    return f"{filename}:{line} {name}"


def stack_site(frame: FrameType | None) -> str:
    """The innermost frame of the app (bot/, models/, scheduler/, handlers/) and the innermost
    frame of all, or 'idle' when the loop thread sits in the selector (waiting for the GIL or the
    CPU, not running a callback)."""
    innermost = frame
    app = None
    depth = 0
    while frame is not None and depth < 200:
        filename = frame.f_code.co_filename
        if app is None and filename.startswith(str(PROJECT_ROOT)) and "/.venv/" not in filename:
            if "/tests/" not in filename:
                app = frame
        frame = frame.f_back
        depth += 1
    if innermost is None:
        return "?"
    if innermost.f_code.co_filename == __file__ and innermost.f_code.co_name == "_gc":
        return "the cyclic garbage collector (the sample came as a collection ended)"
    inner = _short(innermost.f_code.co_filename, innermost.f_code.co_name, innermost.f_lineno)
    if innermost.f_code.co_name in ("select", "poll") and "selectors" in inner:
        return "idle in the selector (waiting for the GIL or a CPU)"
    if app is None or app is innermost:
        return inner
    return f"{_short(app.f_code.co_filename, app.f_code.co_name, app.f_lineno)} > {inner}"


@dataclass
class Stall:
    late: float
    phase: str
    at: float  # seconds into the phase
    sites: Counter[str]


class StallMonitor:
    """Lateness of a 10 ms sleep, per phase; stacks of the loop thread during long stalls."""

    def __init__(self, trace_over: float) -> None:
        self.trace_over = trace_over
        self.phase = "setup"
        self.phase_started = time.perf_counter()
        self.lateness: dict[str, list[float]] = defaultdict(list)
        self.stalls: list[Stall] = []
        self.sites: Counter[str] = Counter()  # samples over the whole run, 5 ms apart
        self._heartbeat = time.perf_counter()
        self._samples: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        # Collections of the cyclic GC (any thread: it holds the GIL): (phase, generation, s).
        self.collections: list[tuple[str, int, float]] = []
        self._gc_started = 0.0

    def _gc(self, stage: str, info: dict[str, int]) -> None:
        if stage == "start":
            self._gc_started = time.perf_counter()
        else:
            took = time.perf_counter() - self._gc_started
            self.collections.append((self.phase, info["generation"], took))

    def gc_line(self, phases: Sequence[str]) -> str:
        parts = []
        for generation in (0, 1, 2):
            took = [t for p, g, t in self.collections if g == generation and p in phases]
            if took:
                parts.append(
                    f"gen{generation} {len(took):,} x, max {max(took) * 1000:.0f} ms,"
                    f" sum {sum(took):.1f} s"
                )
        return "garbage collections: " + ("; ".join(parts) or "none")

    def enter(self, phase: str) -> None:
        self.phase, self.phase_started = phase, time.perf_counter()

    def start(self) -> None:
        self._heartbeat = time.perf_counter()
        self._task = asyncio.create_task(self._tick(), name="stall-monitor")
        gc.callbacks.append(self._gc)
        main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._watch, args=(main,), daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    async def _tick(self) -> None:
        while True:
            # A tick belongs to the phase it started in: a stall in the harness's work before
            # a phase (creating the Bot, say) is not counted as the phase's.
            phase, since = self.phase, self.phase_started
            expected = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            late = max(0.0, now - expected)
            self._heartbeat = now
            samples, self._samples = self._samples, []
            self.lateness[phase].append(late)
            if late >= self.trace_over:
                self.stalls.append(Stall(late, phase, expected - since, Counter(samples)))

    def _watch(self, thread_id: int | None) -> None:
        while not self._stop.wait(0.005):
            if thread_id is None or time.perf_counter() - self._heartbeat < self.trace_over:
                continue
            frame = sys._current_frames().get(thread_id)
            site = stack_site(frame)
            del frame
            self._samples.append(site)
            self.sites[site] += 1

    def max_ms(self, phases: Sequence[str] | None = None) -> float:
        values = [v for p, vs in self.lateness.items() if phases is None or p in phases for v in vs]
        return max(values, default=0.0) * 1000

    def p99_ms(self, phases: Sequence[str] | None = None) -> float:
        values = [v for p, vs in self.lateness.items() if phases is None or p in phases for v in vs]
        return percentile(values, 99) * 1000


class TimedLock(asyncio.Lock):
    """The SQLite writers' turn lock (models.database), timed: waits, and holds per the function
    that opened the unit of work (a group commit's turn as "(group commit)")."""

    def __init__(self) -> None:
        super().__init__()
        self.held: dict[str, list[float]] = defaultdict(list)
        self.waited: dict[str, list[float]] = defaultdict(list)
        self._holder: tuple[str, float] | None = None

    async def acquire(self) -> bool:
        caller = self._caller()
        began = time.perf_counter()
        await super().acquire()
        now = time.perf_counter()
        self.waited[caller].append(now - began)
        self._holder = (caller, now)
        return True

    def release(self) -> None:
        if self._holder is not None:
            caller, since = self._holder
            self.held[caller].append(time.perf_counter() - since)
            self._holder = None
        super().release()

    @staticmethod
    def _caller() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            ours = code.co_filename == __file__ and code.co_name in ("acquire", "_caller")
            database = code.co_filename.endswith("models/database.py")
            if database and code.co_name == "_commit":
                return "(group commit)"
            if not ours and not database and not code.co_filename.endswith("asyncio/locks.py"):
                return code.co_name
            frame = frame.f_back  # type: ignore[assignment]
        return "?"

    def reset(self) -> None:
        self.held.clear()
        self.waited.clear()

    def lines(self, elapsed: float) -> list[str]:
        total = sum(sum(v) for v in self.held.values())
        out = [f"write turns (the SQLite writers' lock): held {total / elapsed:.0%} of the time"]
        for caller, held in sorted(self.held.items(), key=lambda kv: -sum(kv[1])):
            waited = self.waited.get(caller, [])
            out.append(
                f"  {caller:<22} {len(held):>7,} x  held mean {sum(held) / len(held) * 1000:6.1f}"
                f" ms, max {max(held) * 1000:6.1f} ms, sum {sum(held):7.1f} s;"
                f" waited mean {sum(waited) / max(1, len(waited)) * 1000:6.1f} ms,"
                f" p99 {percentile(waited, 99) * 1000:6.1f} ms"
            )
        return out


def timed_database(url: str) -> tuple[Database, TimedLock]:
    db = Database(url)
    writer = db._writer
    assert writer is not None, "an SQLite database"
    lock = TimedLock()
    writer._turn = lock  # nobody holds it yet: the first writer comes with the sender's start
    return db, lock


class CountingExecutor(Executor):
    """The chart pool, counting renders by function and timing each from submit to result."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.submitted: Counter[str] = Counter()
        self.done = 0
        self.failed = 0
        self.png_bytes = 0
        self.turnaround: list[float] = []
        self.submit_seconds: list[float] = []  # time submit() took on the loop thread
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        began = time.perf_counter()
        future = self.inner.submit(fn, *args, **kwargs)
        self.submit_seconds.append(time.perf_counter() - began)
        self.submitted[getattr(fn, "__name__", repr(fn))] += 1
        future.add_done_callback(lambda f: self._finished(f, began))
        return future

    def _finished(self, future: Future[Any], began: float) -> None:
        with self._lock:
            self.turnaround.append(time.perf_counter() - began)
            if future.cancelled() or future.exception() is not None:
                self.failed += 1
                return
            self.done += 1
            result = future.result()
            self.png_bytes += len(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class RequestClock(BaseRequestMiddleware):
    """The innermost request middleware: when each HTTP attempt to a chat starts (the retry
    middleware's retries included)."""

    def __init__(self) -> None:
        self.started: list[tuple[float, int]] = []
        self.repeats = 0  # the same request again: a retry (the middleware's or the sender's)
        self.first_attempts: list[float] = []
        self._seen: set[tuple[int, str, str | None]] = set()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat = getattr(method, "chat_id", None)
        if isinstance(chat, int):
            now = time.monotonic()
            self.started.append((now, chat))
            text = getattr(method, "caption", None) or getattr(method, "text", None)
            key = (chat, type(method).__name__, text)
            if key in self._seen:
                self.repeats += 1
            else:
                self._seen.add(key)
                self.first_attempts.append(now)
        return await make_request(bot, method)


def watch_dispatches(sender: OutboxSender) -> list[tuple[float, int]]:
    """When the sender's limiter lets each message go (its `record`), on the same clock."""
    dispatched: list[tuple[float, int]] = []
    record = sender.limiter.record

    def recording(chat_id: int, now: float) -> None:
        dispatched.append((time.monotonic(), chat_id))
        record(chat_id, now)

    sender.limiter.record = recording  # type: ignore[method-assign]
    return dispatched


def dispatch_delays(
    dispatched: list[tuple[float, int]], started: list[tuple[float, int]]
) -> list[float]:
    """From the limiter's go to the first HTTP attempt, for chats sent to once."""
    once = Counter(chat for _, chat in dispatched)
    go = {chat: at for at, chat in dispatched if once[chat] == 1}
    first: dict[int, float] = {}
    for at, chat in started:
        first.setdefault(chat, at)
    return [first[chat] - at for chat, at in go.items() if chat in first]


def thread_cpu() -> float:
    return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (all processes, from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields]
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def set_clock_running_from(moment: datetime) -> None:
    """The app clock at `moment` and ticking with the wall clock (sender retries come due)."""
    offset = moment - datetime.now(UTC)
    clock.now = lambda: datetime.now(UTC) + offset  # type: ignore[method-assign]


def reset_clock() -> None:
    clock.__dict__.pop("now", None)
    clock.unfreeze()


async def outbox_counts(db: Database) -> Counter[str]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return Counter({str(status): int(n) for status, n in rows})


# ---------------------------------------------------------------------------------------------
# The fake Bot API, in its own process
# ---------------------------------------------------------------------------------------------


def serve_fake(conn: Connection, chats: list[tuple[int, str, str]], limits: dict[str, int]) -> None:
    asyncio.run(_serve_fake(conn, chats, limits))


async def _serve_fake(
    conn: Connection, chats: list[tuple[int, str, str]], limits: dict[str, int]
) -> None:
    from tests.fake_telegram import FakeTelegram

    tg = FakeTelegram(enforce_limits=True, **limits)
    await tg.start()
    health = _FakeHealth()
    watch = asyncio.create_task(health.watch())
    for chat_id, name, language in chats:
        if chat_id < 0:
            tg.group(chat_id, name)
        else:
            tg.user(chat_id, name, language_code=language)
    conn.send((tg.token, tg.base_url))
    loop = asyncio.get_running_loop()
    try:
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "stats":
                conn.send(dict(tg.stats))
            elif command == "summary":
                conn.send(_fake_summary(tg) | health.summary())
            else:
                break
    finally:
        watch.cancel()
        await tg.stop()


class _FakeHealth:
    """The fake's own pauses: they bunch the requests it timestamps, as network jitter would.

    It keeps every request and photo (some 800 MiB at 1,000 teams): full collections over that
    heap would stall it for longer than Telegram ever does, so what it holds is frozen (moved
    out of the collector's generations) once a second, and the longest collection and loop
    lag are reported next to the 429s.
    """

    def __init__(self) -> None:
        self.gc_max = 0.0
        self.lag_max = 0.0
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_max = max(self.gc_max, time.perf_counter() - self._gc_started)

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            self.lag_max = max(self.lag_max, loop.time() - before - 0.01)
            if int(loop.time()) != int(before):
                gc.freeze()

    def summary(self) -> dict[str, float]:
        return {"fake_gc_max": self.gc_max, "fake_lag_max": self.lag_max}


def _max_in_window(times: list[float], span: float) -> int:
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= span:
            first += 1
        best = max(best, last - first + 1)
    return best


def _fake_summary(tg: Any) -> dict[str, Any]:
    messages = [m for m in tg.messages if not m.edited]
    times = sorted(m.time for m in messages)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for m in messages:
        by_chat[m.chat_id].append(m.time)
    gaps = [b - a for ts in by_chat.values() for a, b in itertools.pairwise(ts)]
    groups = [sorted(ts) for chat, ts in by_chat.items() if chat < 0]
    rejected = [r for r in tg.requests if r.status == 429]
    return {
        "stats": dict(tg.stats),
        "messages": len(messages),
        "private": sum(1 for m in messages if m.chat_id > 0),
        "group": sum(1 for m in messages if m.chat_id < 0),
        "photos": sum(1 for m in messages if m.photo),
        "png": sum(1 for m in messages if m.photo and m.photo.startswith(PNG_MAGIC)),
        "captions": sum(1 for m in messages if m.text),
        "first": times[0] if times else 0.0,
        "last": times[-1] if times else 0.0,
        "times": times,
        "max_per_second": _max_in_window(times, 1.0),
        "max_per_tenth": _max_in_window(times, 0.1),
        "min_chat_gap": min(gaps, default=None),
        "max_group_minute": max((_max_in_window(ts, 60.0) for ts in groups), default=0),
        "429_private": sum(1 for r in rejected if int(r.params.get("chat_id", 0)) > 0),
        "429_group": sum(1 for r in rejected if int(r.params.get("chat_id", 0)) < 0),
        "chats_twice": sum(1 for ts in by_chat.values() if len(ts) > 1),
    }


class FakeProcess:
    def __init__(self, chats: list[tuple[int, str, str]], limits: dict[str, int]) -> None:
        context = get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=serve_fake, args=(child, chats, limits), name="fake-telegram", daemon=True
        )
        self.token = self.base_url = ""
        self._ask_lock = threading.Lock()

    async def start(self) -> None:
        await asyncio.to_thread(self.process.start)
        self.token, self.base_url = await asyncio.to_thread(self.conn.recv)

    def _ask(self, command: str) -> Any:
        with self._ask_lock:
            self.conn.send(command)
            return self.conn.recv()

    async def ask(self, command: str) -> Any:
        return await asyncio.to_thread(self._ask, command)

    async def stop(self) -> None:
        if self.process.is_alive():
            await asyncio.to_thread(self.conn.send, "stop")
            await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()


def fake_chats(path: Path) -> list[tuple[int, str, str]]:
    db = sqlite3.connect(path)
    try:
        users = db.execute("SELECT id, first_name, coalesce(language_code, 'en') FROM users")
        chats = [(int(i), str(n), str(lang)) for i, n, lang in users]
        teams = db.execute("SELECT chat_id, name FROM teams WHERE chat_id IS NOT NULL")
        chats += [(int(chat), str(name), "") for chat, name in teams]
    finally:
        db.close()
    return chats


# ---------------------------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------------------------


@dataclass
class PrepResult:
    seconds: float
    queued: int
    renders: Counter[str]
    rendered: int
    failed: int
    png_mean: float
    turnaround_p50: float
    max_submit: float
    loop_cpu: float
    other_threads_cpu: float
    workers_cpu: float
    rss_main_kib: int
    rss_worker_kib: int
    machine_cpu: float
    db_lines: list[str] = field(default_factory=list)


@dataclass
class SendResult:
    due: int
    seconds: float  # from the clock's move to 09:00 to the last row marked
    first_send_after: float
    span: float  # first to last send, as the fake saw them
    rate: float
    limit: float
    fake: dict[str, Any]
    statuses: Counter[str]
    sender_sent: int
    loop_cpu: float
    rss_main_kib: int
    db_lines: list[str] = field(default_factory=list)
    slowest_seconds: list[tuple[int, int]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # limiter's record to the HTTP request
    client_max_second: int = 0  # HTTP attempts started in the busiest second
    client_first_max_second: int = 0  # first attempts only (no retries of the same chat)
    client_max_tenth: int = 0  # all attempts in the busiest 100 ms
    retries: int = 0  # the same request made again


def worker_usage(executor: CountingExecutor) -> tuple[float, int]:
    """CPU seconds and the largest peak RSS (KiB) of the pool's live worker processes."""
    processes = getattr(executor.inner, "_processes", None) or {}
    ticks, cpu, peak = os.sysconf("SC_CLK_TCK"), 0.0, 0
    for pid in list(processes):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return cpu, peak


async def progress_printer(label: str, line: Callable[[], str], every: float) -> None:
    began = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        print(f"  [{label} +{time.perf_counter() - began:6.0f} s] {line()}", flush=True)


@dataclass
class App:
    """The bot as ``bot.__main__.run_bot`` starts it, with the bench's instruments attached."""

    db: Database
    lock: TimedLock
    bot: Bot
    requests: RequestClock
    charts: CountingExecutor
    sender: OutboxSender
    dispatched: list[tuple[float, int]]

    @classmethod
    async def start(cls, args: argparse.Namespace, path: Path, fake: FakeProcess) -> App:
        db, lock = timed_database(file_url(path))
        bot = create_bot(fake.token, fake.base_url)
        requests = RequestClock()
        bot.session.middleware(requests)  # registered after the retry middleware: inside it
        charts = CountingExecutor(
            ProcessPoolExecutor(max_workers=args.workers, mp_context=get_context("spawn"))
        )
        sender = OutboxSender(db, limits=Limits(per_second=args.limit))
        dispatched = watch_dispatches(sender)
        create_dispatcher(db, outbox=sender, with_scheduler=False, chart_executor=charts)
        if not args.no_gc_freeze:  # what run_bot does before polling
            gc.collect()
            gc.freeze()
        clock.freeze(PREPARE_AT)
        # The dispatcher's startup hook: warms what the app warms, starts the outbox sender
        # (idle until 09:00: every row waits for its report time).
        await start_background(bot, sender, None)
        return cls(db, lock, bot, requests, charts, sender, dispatched)

    async def stop(self) -> None:
        await stop_background(self.sender, None)
        await self.bot.session.close()
        await asyncio.to_thread(self.charts.shutdown, cancel_futures=True)
        await self.db.close()
        reset_clock()
        gc.unfreeze()


async def prepare(args: argparse.Namespace, app: App, monitor: StallMonitor) -> PrepResult:
    executor = app.charts
    teams_done = 0

    def queued_one() -> None:  # what KpiScheduler passes: the outbox's wake, and a count
        nonlocal teams_done
        teams_done += 1
        app.sender.wake()

    def line() -> str:
        return (
            f"{teams_done:,}/{args.teams:,} teams queued, {executor.done:,} charts rendered, "
            f"max stall {monitor.max_ms(['prep']):.0f} ms"
        )

    app.lock.reset()
    machine_before = machine_cpu()
    process_before, loop_before = time.process_time(), thread_cpu()
    monitor.enter("prep")
    began = time.perf_counter()
    reporter = asyncio.create_task(progress_printer("prep", line, args.progress))
    try:
        queued = await run_weekly_reports(app.db, "bench-monday", LEASE_TTL, executor, queued_one)
    finally:
        seconds = time.perf_counter() - began
        reporter.cancel()
        monitor.enter("harness")
    loop_cpu = thread_cpu() - loop_before
    process_cpu = time.process_time() - process_before
    machine = machine_cpu() - machine_before
    workers_cpu, worker_peak = worker_usage(executor)
    return PrepResult(
        seconds=seconds,
        queued=queued,
        renders=executor.submitted,
        rendered=executor.done,
        failed=executor.failed,
        png_mean=executor.png_bytes / max(1, executor.done),
        turnaround_p50=percentile(executor.turnaround, 50),
        max_submit=max(executor.submit_seconds, default=0.0),
        loop_cpu=loop_cpu,
        other_threads_cpu=process_cpu - loop_cpu,
        workers_cpu=workers_cpu,
        rss_main_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        rss_worker_kib=worker_peak,
        machine_cpu=machine,
        db_lines=app.lock.lines(seconds),
    )


async def queue_group_extras(db: Database, per_group: int) -> int:
    """More posts for every bound group, due just before the charts (as if held overnight)."""
    if per_group <= 0:
        return 0
    due = SEND_AT - timedelta(seconds=1)
    async with db.write() as session:  # committed when the block ends
        chats = (await session.scalars(select(OutboxMessage.chat_id).distinct())).all()
        groups = [chat for chat in chats if chat < 0]
        for chat in groups:
            for i in range(per_group):
                session.add(
                    OutboxMessage(
                        dedup_key=f"bench:group:{chat}:{i}",
                        chat_id=chat,
                        text=f"🎉 Post {i + 1} of {per_group}",
                        not_before=due,
                        created_at=due,
                    )
                )
    return len(groups) * per_group


async def send(
    args: argparse.Namespace, app: App, monitor: StallMonitor, fake: FakeProcess
) -> SendResult:
    extras = await queue_group_extras(app.db, args.group_extra)
    if extras:
        print(f"send: {extras:,} extra group posts queued", flush=True)
    before = await outbox_counts(app.db)
    due = before[OutboxStatus.PENDING.value]
    sender = app.sender
    sent_before = sender.sent
    statuses: Counter[str] = before

    def line() -> str:
        return (
            f"sender.sent {sender.sent - sent_before:,}/{due:,}, pending {statuses['pending']:,},"
            f" max stall {monitor.max_ms(['send']):.0f} ms"
        )

    app.lock.reset()
    loop_before = thread_cpu()
    monitor.enter("send")
    began = time.monotonic()
    set_clock_running_from(SEND_AT)
    sender.wake()  # the sender polls every second anyway; this only saves up to a second
    reporter = asyncio.create_task(progress_printer("send", line, args.progress))
    deadline = began + (args.send_timeout or 120 + 4 * due / args.limit)
    try:
        while True:
            await asyncio.sleep(1.0)
            statuses = await outbox_counts(app.db)
            if statuses["pending"] + statuses["sending"] == 0:
                break
            if time.monotonic() > deadline:
                print(f"send: TIMED OUT with {dict(statuses)}", flush=True)
                break
        seconds = time.monotonic() - began
    finally:
        reporter.cancel()
        monitor.enter("harness")
    loop_cpu = thread_cpu() - loop_before
    fake_summary = await fake.ask("summary")
    times: list[float] = fake_summary.pop("times")
    span = fake_summary["last"] - fake_summary["first"]
    rate = (len(times) - 1) / span if span > 0 else 0.0
    per_second = Counter(int(t - times[0]) for t in times) if times else Counter()
    slowest = sorted(per_second.items(), key=lambda kv: kv[1])[:3] if per_second else []
    attempts = sorted(app.requests.started)
    return SendResult(
        due=due,
        seconds=seconds,
        first_send_after=fake_summary["first"] - began if times else 0.0,
        span=span,
        rate=rate,
        limit=args.limit,
        fake=fake_summary,
        statuses=statuses,
        sender_sent=sender.sent - sent_before,
        loop_cpu=loop_cpu,
        rss_main_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        db_lines=app.lock.lines(seconds),
        slowest_seconds=slowest,
        delays=dispatch_delays(app.dispatched, app.requests.started),
        client_max_second=_max_in_window([at for at, _ in attempts], 1.0),
        client_first_max_second=_max_in_window(sorted(app.requests.first_attempts), 1.0),
        client_max_tenth=_max_in_window([at for at, _ in attempts], 0.1),
        retries=app.requests.repeats,
    )


def save_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the app still has the file open)."""
    remove_database(target)
    building = target.with_suffix(".building")
    remove_database(building)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(building)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    building.rename(target)


async def run(
    args: argparse.Namespace, work: Path, cached_prepared: Path
) -> tuple[PrepResult | None, SendResult | None, StallMonitor]:
    limits = {
        "global_per_second": args.fake_global,
        "per_chat_per_second": 1,
        "per_group_per_minute": 20,
    }
    fake = FakeProcess(await asyncio.to_thread(fake_chats, work), limits)
    await fake.start()
    print(f"fake Bot API at {fake.base_url} (enforcing {limits})", flush=True)
    monitor = StallMonitor(args.trace_ms / 1000)
    prep_result = send_result = None
    app: App | None = None
    try:
        app = await App.start(args, work, fake)
        monitor.start()
        if args.phase in ("prep", "both"):
            print(f"prep: {args.workers} chart worker(s), clock at {PREPARE_AT}", flush=True)
            prep_result = await prepare(args, app, monitor)
            print(
                f"prep: {prep_result.queued:,} messages queued in {prep_result.seconds:.1f} s;"
                f" saving {cached_prepared.name}",
                flush=True,
            )
            await asyncio.to_thread(save_database, work, cached_prepared)
        if args.phase in ("send", "both"):
            print(f"send: clock moved to {SEND_AT}", flush=True)
            send_result = await send(args, app, monitor, fake)
    finally:
        await monitor.stop()
        if app is not None:
            await app.stop()
        await fake.stop()
    return prep_result, send_result, monitor


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    shape: Shape,
    prep: PrepResult | None,
    sent: SendResult | None,
    monitor: StallMonitor,
) -> bool:
    ok = True
    print()
    title = (
        f"=== Monday run: {shape.teams:,} teams x {shape.people} people, "
        f"{shape.expected_messages():,} reports expected; limit {args.limit:g}/s, "
        f"{args.workers} chart worker(s) on {os.cpu_count()} CPU(s) ==="
    )
    print(title)
    if prep is not None:
        team = prep.renders["render_team_chart"]
        person = prep.renders["render_person_chart"]
        cpu_per_chart = prep.workers_cpu / max(1, prep.rendered)
        print(
            f"prep   {prep.rendered:,} charts rendered ({team:,} team + {person:,} personal"
            f"{f', {prep.failed} FAILED' if prep.failed else ''}) in {prep.seconds:.1f} s:"
            f" {prep.rendered / prep.seconds:.2f} charts/s (renders / job wall time)"
        )
        print(
            f"       {prep.queued:,} messages queued: {prep.queued / prep.seconds:.2f}/s;"
            f" PNG mean {prep.png_mean / 1024:.0f} KiB; worker CPU {cpu_per_chart * 1000:.0f}"
            f" ms/chart; submit-to-result p50 {prep.turnaround_p50:.2f} s"
        )
        print(
            f"       CPU: event-loop thread {prep.loop_cpu:.1f} s, other threads"
            f" {prep.other_threads_cpu:.1f} s, chart workers {prep.workers_cpu:.1f} s"
            f" ({prep.workers_cpu / prep.seconds / args.workers:.0%} of {args.workers} worker(s));"
            f" slowest executor.submit on the loop {prep.max_submit * 1000:.0f} ms"
        )
        ours = prep.loop_cpu + prep.other_threads_cpu + prep.workers_cpu
        print(
            f"       machine: {prep.machine_cpu / prep.seconds:.2f} of {os.cpu_count()} CPUs busy"
            f" on average, {max(0.0, prep.machine_cpu - ours) / prep.seconds:.2f} of them"
            f" not this benchmark; peak RSS: main {mib(prep.rss_main_kib)}, largest worker"
            f" {mib(prep.rss_worker_kib)}"
        )
        for text in prep.db_lines:
            print(f"       {text}")
        if prep.queued != shape.expected_messages():
            print(f"       !! expected {shape.expected_messages():,} messages queued")
            ok = False
    if sent is not None:
        fake = sent.fake
        share = sent.rate / sent.limit
        stats = fake["stats"]
        print(
            f"send   {fake['messages']:,} messages delivered ({fake['private']:,} private,"
            f" {fake['group']:,} group; {fake['png']:,} PNG photos) of {sent.due:,} due;"
            f" all marked after {sent.seconds:.1f} s (first send after"
            f" {sent.first_send_after:.2f} s)"
        )
        print(
            f"       achieved rate {sent.rate:.2f}/s = {share:.1%} of the {sent.limit:g}/s limit"
            f" (target >= {RATE_TARGET:.0%}); first to last send {sent.span:.1f} s;"
            f" busiest second at the fake {fake['max_per_second']} (its limit"
            f" {args.fake_global}); thinnest seconds {sent.slowest_seconds}"
        )
        gap = fake["min_chat_gap"]
        print(
            f"       429s: {stats.get('429', 0)} ({fake['429_private']} private,"
            f" {fake['429_group']} group; target 0); requests {stats.get('requests', 0):,},"
            f" errors {stats.get('errors', 0):,}; chats sent to twice {fake['chats_twice']:,}"
            f" (min gap {'-' if gap is None else f'{gap:.2f} s'}), busiest group minute"
            f" {fake['max_group_minute']}"
        )
        delays = sent.delays
        print(
            f"       bot side: HTTP attempts in the busiest second {sent.client_max_second}"
            f" ({sent.client_first_max_second} counting first attempts only; {sent.retries}"
            f" retried requests), in the busiest 100 ms {sent.client_max_tenth}"
            f" (fake: {fake['max_per_tenth']}); limiter's record to the HTTP request: p50"
            f" {percentile(delays, 50) * 1000:.0f} ms, p99 {percentile(delays, 99) * 1000:.0f} ms,"
            f" max {max(delays, default=0) * 1000:.0f} ms; the fake's longest pause"
            f" {fake['fake_lag_max'] * 1000:.0f} ms (collection {fake['fake_gc_max'] * 1000:.0f}"
            " ms)"
        )
        print(
            f"       outbox after: {dict(sent.statuses)}; sender.sent {sent.sender_sent:,};"
            f" event-loop thread CPU {sent.loop_cpu:.1f} s; peak RSS main"
            f" {mib(sent.rss_main_kib)}"
        )
        for text in sent.db_lines:
            print(f"       {text}")
        ok &= share >= RATE_TARGET and stats.get("429", 0) == 0
        ok &= sent.statuses["pending"] + sent.statuses["sending"] == 0
    phases = [p for p in ("prep", "send") if monitor.lateness.get(p)]
    per_phase = ", ".join(
        f"{p} max {monitor.max_ms([p]):.1f} / p99 {monitor.p99_ms([p]):.1f} ms" for p in phases
    )
    worst = monitor.max_ms(phases)
    ticks = sum(len(monitor.lateness[p]) for p in phases)
    print(
        f"stalls largest {worst:.1f} ms, p99 {monitor.p99_ms(phases):.1f} ms over {ticks:,} ticks"
        f" of {TICK * 1000:.0f} ms ({per_phase}); target < {STALL_TARGET_MS:.0f} ms"
    )
    print(f"       {monitor.gc_line(phases)}")
    app_stalls = [s for s in monitor.stalls if s.phase in phases]
    print(f"       {len(app_stalls)} stall(s) of {args.trace_ms:.0f} ms or more; the worst:")
    for stall in sorted(app_stalls, key=lambda s: -s.late)[:6]:
        sites = "; ".join(f"{site} x{n}" for site, n in stall.sites.most_common(2)) or "-"
        print(f"       {stall.late * 1000:6.1f} ms  {stall.phase} +{stall.at:7.1f} s  {sites}")
    if monitor.sites:
        print("       where the loop thread was during stalls (samples 5 ms apart, whole run):")
        for site, n in monitor.sites.most_common(8):
            print(f"       {n:6,} x {site}")
    ok &= worst < STALL_TARGET_MS
    print(f"verdict: {'all targets met' if ok else 'TARGETS MISSED'}")
    return ok


def source_state() -> str:
    """The commit measured, and the app files changed since (the working tree is measured)."""
    try:
        head = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True
            )
            .stdout.decode()
            .strip()
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "models", "scheduler", "handlers"],
            cwd=PROJECT_ROOT,
            capture_output=True,
        ).stdout.decode()
    except OSError:
        return "not a git checkout"
    changed = [line[3:] for line in status.splitlines()]
    return f"commit {head or '?'}" + (f" + uncommitted: {', '.join(changed)}" if changed else "")


def header() -> None:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"Python {platform.python_version()}, aiogram {version('aiogram')}, SQLAlchemy"
        f" {version('sqlalchemy')}, matplotlib {version('matplotlib')}, SQLite"
        f" {sqlite3.sqlite_version}; {os.cpu_count()} CPU(s); load before: {load}"
    )
    print(f"app code: {source_state()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10, help="per team, the manager included")
    parser.add_argument("--groups", type=float, default=0.3, help="share of teams with a group")
    parser.add_argument("--limit", type=float, default=25.0, help="sender's messages a second")
    parser.add_argument("--fake-global", type=int, default=30, help="fake's messages a second")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, (os.cpu_count() or 2) - 1),  # as bot.__main__.run_bot sizes the pool
        help="chart processes (default: one fewer than the CPUs, as the bot runs)",
    )
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="skip run_bot's gc.freeze() after startup"
    )
    parser.add_argument("--phase", choices=("prep", "send", "both"), default="both")
    parser.add_argument("--reuse", action="store_true", help="reuse the cached seeded database")
    parser.add_argument("--group-extra", type=int, default=0, help="more posts per group")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/kpi-bench-monday"))
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between lines")
    parser.add_argument("--trace-ms", type=float, default=50.0, help="stalls to explain")
    parser.add_argument("--send-timeout", type=float, default=0.0, help="0: from the count")
    args = parser.parse_args(argv)
    if args.teams < 1 or not 1 <= args.people <= 99 or args.workers < 1 or args.limit <= 0:
        parser.error("need 1+ teams of 1-99 people, 1+ workers and a positive limit")
    shape = Shape(args.teams, args.people, args.groups)
    header()
    args.dir.mkdir(parents=True, exist_ok=True)
    cached_prepared = prepared_path(args.dir, shape)
    work = args.dir / f"work-{os.getpid()}.sqlite"  # one per run: runs may overlap
    if args.phase == "send":
        if not cached_prepared.exists() or queued_reports(cached_prepared) == 0:
            parser.error(f"no {cached_prepared}: run --phase prep (or both) at these sizes first")
        copy_database(cached_prepared, work)
    else:
        copy_database(seeded_database(args.dir, shape, args.reuse), work)
    try:
        prep, sent, monitor = asyncio.run(run(args, work, cached_prepared))
    finally:
        remove_database(work)
    return 0 if report(args, shape, prep, sent, monitor) else 1


if __name__ == "__main__":
    sys.exit(main())
