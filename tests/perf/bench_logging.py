"""Benchmark: how fast the real bot answers /call and /today compared to a bare echo bot.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_logging.py [--users 50] [--calls 20] [--runs 3]
        [--database sqlite|postgresql|both]

Both bots run against the fake Bot API (tests/fake_telegram.py, 127.0.0.1 only) with the same
Bot/session type as production (``bot.factory.create_bot``) and aiogram's default polling
(``handle_as_tasks=True``). Each measurement queues users x calls messages at once, interleaved
across users the way a busy team would send them, and waits for every reply:

* echo: a Dispatcher whose only handler answers ``message.answer(message.text)``;
* /call and /today: the production Dispatcher (``bot.factory.create_dispatcher``: every update
  through its handler, each person's updates in order; the outbox sender running, the scheduler
  not: its reminders would fire mid-burst at some hours) on a freshly migrated database (an
  SQLite file, or with ``--database postgresql`` a database on a PostgreSQL server this script
  starts, as the test suite does; ``--database both``: each command on both, in the same runs,
  with PostgreSQL's rate as a share of SQLite's run by run); before the clock starts a manager
  creates a team and every user joins it by the invite link, so each /call is a real recorded
  entry and each /today a real report of the day.

rate = messages / (time of the last reply - time the burst was queued). Latency is per update:
the time from queuing it to its reply (the n-th reply in a chat is paired with the n-th message
queued there). After a warm-up run of each (not counted: a process's first bursts pay one-time
costs), runs alternate echo, /call, /today, echo, ... on a fresh server and database each
time; the medians give the ratios (the target is 80 % of echo for both; the median of each
run's own ratio is printed too, steadier when the machine's speed drifts between runs). The
event loop thread's CPU time per message is printed too: for bots bound by that one thread its
ratio predicts the rates'. On a shared machine it moves as well (echo 0.39-0.82 ms a message in
one evening on this project's 2 cores), and the bot loses more than echo when it slows.

``--profile`` runs one extra /call burst under cProfile and prints where the event loop's
thread spends its time (PROFILE_FILTER=regex: only matching functions first; PROFILE_DUMP=file:
the raw stats too, for pstats).

Exit status: 0 when both median ratios meet ``--target``, 1 when one does not, 2 when any
update was answered with the bot's error message; a failed correctness check raises.
Errors the bot logs are printed one line each (``--tracebacks`` for the full ones).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import logging
import os
import platform
import pstats
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bot.lazy_models import defer_model_builds  # noqa: E402

defer_model_builds()  # as production does, before aiogram is imported

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.types import Message  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.__main__ import settle_memory  # noqa: E402
from bot.factory import create_bot, create_dispatcher  # noqa: E402
from models import Entry  # noqa: E402
from tests.db import TEMPLATE, migrated_database, sqlite_url, start_postgres  # noqa: E402
from tests.fake_telegram import BotMessage, FakeTelegram, FakeUser  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

DEFAULT_GC_THRESHOLDS = gc.get_threshold()
TIMEOUT = 60.0  # seconds for any one wait (setup or burst)
FIRST_USER_ID = 5_000_001
MANAGER_ID = 4_000_001
INVITE_RE = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")
ACK_RE = re.compile(r"^✅ Recorded: 1 call\nToday in total: (\d+) calls?$")
TODAY_RE = re.compile(r"^📊 [^\n]*\n\n📞 Calls: (\d+)\n")
ERROR_MARK = "Something went wrong"  # the bot's answer when handling an update failed


@dataclass
class Burst:
    """One timed burst: every reply, paired with the time its update was queued."""

    kind: str
    messages: int
    elapsed: float
    loop_cpu: float  # CPU seconds of the event loop's thread during the burst
    process_cpu: float  # CPU seconds of the whole process (aiosqlite's threads included)
    latencies: list[float] = field(default_factory=list)
    failed: int = 0  # updates answered with the bot's error message instead of a reply
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed

    @property
    def cpu_per_message(self) -> float:
        return self.loop_cpu / self.messages

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


@dataclass
class Replies:
    ok: list[BotMessage] = field(default_factory=list)
    failed: list[BotMessage] = field(default_factory=list)  # the bot's "went wrong" answer
    other: list[BotMessage] = field(default_factory=list)  # anything else (not counted)


# ---------------------------------------------------------------------------------------------
# Driving the fake server
# ---------------------------------------------------------------------------------------------


async def wait_replies(
    tg: FakeTelegram,
    start: int,
    count: int,
    is_reply: Callable[[BotMessage], bool],
    what: str,
) -> Replies:
    """Bot messages from ``tg.messages[start:]`` until ``count`` replies or failures arrived.

    Polls every few milliseconds instead of waking on each server event, so waiting costs the
    event loop (which the bot shares) next to nothing. Reply times come from the server's own
    records, so the polling granularity does not affect the measurement.
    """
    replies = Replies()
    position = start
    deadline = time.monotonic() + TIMEOUT
    while True:
        messages = tg.messages
        while position < len(messages):
            message = messages[position]
            position += 1
            if is_reply(message):
                replies.ok.append(message)
            elif ERROR_MARK in (message.plain or ""):
                replies.failed.append(message)
            else:
                replies.other.append(message)
        if len(replies.ok) + len(replies.failed) >= count:
            return replies
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: {len(replies.ok)} replies and {len(replies.failed)} failures of "
                f"{count} within {TIMEOUT} s\n{tg.dump()}"
            )
        await asyncio.sleep(0.005)


async def burst(
    tg: FakeTelegram,
    users: list[FakeUser],
    calls: int,
    is_reply: Callable[[BotMessage], bool],
    kind: str,
    text: str = "/call",
) -> tuple[Burst, Replies]:
    """Queue ``calls`` messages per user at once (interleaved) and time the replies.

    Memory is settled as `python -m bot` settles it once it is up (for both bots)."""
    settle_memory()
    start = len(tg.messages)
    loop_cpu, process_cpu = time.thread_time(), time.process_time()
    queued: dict[int, deque[float]] = defaultdict(deque)
    for _ in range(calls):
        for user in users:
            user.send(text)
            queued[user.id].append(time.monotonic())
    began = time.monotonic()  # the bot cannot see a single update before we await
    total = len(users) * calls
    replies = await wait_replies(tg, start, total, is_reply, f"{kind} burst")
    loop_cpu, process_cpu = time.thread_time() - loop_cpu, time.process_time() - process_cpu
    answered = sorted(replies.ok + replies.failed, key=lambda m: m.seq)
    elapsed = max(reply.time for reply in answered) - began
    latencies = [reply.time - queued[reply.chat_id].popleft() for reply in answered]
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_GC_THRESHOLDS)
    result = Burst(kind, total, elapsed, loop_cpu, process_cpu, latencies, len(replies.failed))
    if replies.failed:
        result.notes.append(
            f"FAILED: {len(replies.failed)} of {total} updates were answered with the bot's "
            f"error message ({ERROR_MARK!r}; see the log lines above)"
        )
    if replies.other:
        shown = "; ".join(m.describe() for m in replies.other[:3])
        result.notes.append(f"{len(replies.other)} other bot message(s) meanwhile: {shown}")
    return result, replies


# ---------------------------------------------------------------------------------------------
# Echo bot
# ---------------------------------------------------------------------------------------------


def echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def run_echo(users: int, calls: int) -> Burst:
    async with FakeTelegram() as tg:
        bot = create_bot(tg.token, tg.base_url)
        async with tg.polling(echo_dispatcher(), bot):
            people = [tg.user(FIRST_USER_ID + i, f"User {i + 1}") for i in range(users)]
            result, _ = await burst(tg, people, calls, lambda m: m.plain == "/call", "echo")
    return result


# ---------------------------------------------------------------------------------------------
# The real bot
# ---------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database_url(server: PostgresServer | None, via: str = "socket") -> AsyncIterator[str]:
    """A fresh database: an SQLite file, or a copy of the migrated template on the server,
    reached through its Unix socket or TCP (`via`)."""
    if server is None:
        with tempfile.TemporaryDirectory(prefix="kpi-bench-") as folder:
            yield sqlite_url(Path(folder))
        return
    name = f"bench_{os.getpid()}_{time.monotonic_ns()}"
    await server.create_database(name, template=TEMPLATE)
    try:
        yield server.socket_url(name) if via == "socket" else server.url(name)
    finally:
        await server.drop_database(name)


async def run_kpi(
    users: int,
    calls: int,
    command: str,
    server: PostgresServer | None,
    profile: cProfile.Profile | None = None,
    via: str = "socket",
) -> Burst:
    """A burst of /call (each a recorded entry) or of /today (each user has logged 3 calls)."""
    async with (
        database_url(server, via) as url,
        FakeTelegram() as tg,
        migrated_database(url) as db,
    ):
        bot = create_bot(tg.token, tg.base_url)
        # No scheduler: a reminder tick due at the hour of the run (its grace is an hour) would
        # queue and send the team's reminders in the middle of a burst.
        dp = create_dispatcher(db, with_scheduler=False)
        async with tg.polling(dp, bot):
            people = await set_up_team(tg, users)
            if command == "/today":
                await log_calls(tg, people, 3)
            is_reply = is_ack if command == "/call" else is_day_report
            if profile is not None:
                profile.enable()
            try:
                result, replies = await burst(tg, people, calls, is_reply, command, command)
            finally:
                if profile is not None:
                    profile.disable()
            if command == "/call":
                result.notes += check_acks(replies.ok, people, calls, result.failed)
            async with db.read() as session:
                query = select(func.count()).select_from(Entry)
                live = await session.scalar(query.where(Entry.deleted_at.is_(None))) or 0
            expected = len(replies.ok) if command == "/call" else 3 * users
            if live != expected:
                raise AssertionError(f"DB holds {live} live entries, expected {expected}")
            result.notes.append(f"DB: {live} live entries")
    return result


async def log_calls(tg: FakeTelegram, people: list[FakeUser], calls: int) -> None:
    """Each person logs `calls` calls before the clock starts."""
    start = len(tg.messages)
    for _ in range(calls):
        for person in people:
            person.send("/call")
    logged = await wait_replies(tg, start, calls * len(people), is_ack, "logging")
    if logged.failed:
        raise AssertionError(f"logging failed:\n{tg.dump()}")


def is_day_report(message: BotMessage) -> bool:
    match = TODAY_RE.match(message.plain or "")
    return match is not None and match.group(1) == "3"


async def set_up_team(tg: FakeTelegram, users: int) -> list[FakeUser]:
    """A manager creates a team; every user joins it by the invite link (not timed)."""
    manager = tg.user(MANAGER_ID, "Manager", language_code="en")
    await manager.say("/start", timeout=TIMEOUT)
    created = await manager.say("/newteam Bench", timeout=TIMEOUT)
    assert "Bench" in (created.plain or ""), created.describe()
    invite = await manager.say("/invite", timeout=TIMEOUT)
    match = INVITE_RE.search(invite.plain or "")
    assert match, invite.describe()
    people = [tg.user(FIRST_USER_ID + i, f"User {i + 1}") for i in range(users)]
    start = len(tg.messages)
    for person in people:
        person.send(f"/start {match.group(1)}")
    joined = await wait_replies(
        tg, start, users, lambda m: "You've joined team «Bench»" in (m.plain or ""), "joining"
    )
    if joined.failed or {m.chat_id for m in joined.ok} != {p.id for p in people}:
        shown = "\n".join(m.describe() for m in joined.failed[:5])
        raise AssertionError(f"joining the team failed:\n{shown}\n{tg.dump()}")
    return people


def is_ack(message: BotMessage) -> bool:
    return ACK_RE.match(message.plain or "") is not None


def ack_total(message: BotMessage) -> int:
    match = ACK_RE.match(message.plain or "")
    assert match, message.describe()
    return int(match.group(1))


def check_acks(
    replies: list[BotMessage], people: list[FakeUser], calls: int, failed: int
) -> list[str]:
    """Each user's day totals run 1..n over their n acks (n == calls unless updates failed).

    A user whose last ack (in the order the server received them) is not the highest total is
    noted, not failed: concurrent handlers may send their acks out of order.
    """
    by_chat: dict[int, list[BotMessage]] = defaultdict(list)
    for reply in replies:
        by_chat[reply.chat_id].append(reply)
    out_of_order = 0
    for person in people:
        acks = sorted(by_chat[person.id], key=lambda m: m.seq)
        totals = [ack_total(m) for m in acks]
        if sorted(totals) != list(range(1, len(acks) + 1)):
            raise AssertionError(f"{person}: day totals {totals}, expected 1..{len(acks)}")
        if not failed and len(acks) != calls:
            raise AssertionError(f"{person}: {len(acks)} acks, expected {calls}")
        if totals and totals[-1] != len(acks):
            out_of_order += 1
    if out_of_order:
        return [
            f"acks: {out_of_order} of {len(people)} users' last ack was not their total "
            "(acks sent out of order; every total is present)"
        ]
    if failed:
        return ["acks: each user's last ack is their total (short of the failed updates)"]
    return [f"acks: every user's last ack says 'Today in total: {calls} calls'"]


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def header() -> None:
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), "
        f"aiogram {version('aiogram')}, SQLAlchemy {version('sqlalchemy')}, "
        f"aiosqlite {version('aiosqlite')}, aiohttp {version('aiohttp')}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(f"os.cpu_count() = {os.cpu_count()}, platform {platform.platform()}")


def describe(result: Burst) -> str:
    return (
        f"{result.rate:7.1f} msg/s  ({result.messages} in {result.elapsed:.2f} s; "
        f"latency p50 {result.percentile(50) * 1000:.0f} ms, "
        f"p95 {result.percentile(95) * 1000:.0f} ms; "
        f"loop CPU {result.cpu_per_message * 1000:.2f} ms/msg, "
        f"process CPU {result.process_cpu:.2f} s)"
    )


COMMANDS = ("/call", "/today")


async def main_async(args: argparse.Namespace) -> int:
    header()
    load = os.getloadavg()[0]
    print(f"load average (1 min) before the runs: {load:.2f}")
    if load > 0.5:
        print(
            "  note: other processes are using the CPU; rates (echo's short bursts most) will "
            "vary, the loop CPU per message too; the median of the runs' own ratios is steadier"
        )
    commands = [command for command in COMMANDS if command.strip("/") in args.commands]
    names = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    where = f" (PostgreSQL through its {args.pg_via})" if "postgresql" in names else ""
    print(
        f"database: {args.database}{where}; {args.users} users x {args.calls} messages = "
        f"{args.users * args.calls} per burst, {args.runs} run(s) each, alternating echo / "
        f"{' / '.join(f'{c} {n}' if len(names) > 1 else c for c in commands for n in names)}\n"
    )
    with contextlib.ExitStack() as stack:
        databases: dict[str, PostgresServer | None] = {}
        for name in names:
            databases[name] = (
                stack.enter_context(contextlib.contextmanager(start_postgres)())
                if name == "postgresql"
                else None
            )
        return await measure(args, commands, databases)


async def measure(
    args: argparse.Namespace, commands: list[str], databases: dict[str, PostgresServer | None]
) -> int:
    """Each run: echo, then each command on each database. With both databases the target
    applies to SQLite's ratios; each command on PostgreSQL is also compared with SQLite's, run
    by run."""
    echo_runs: list[Burst] = []
    kpi_runs: dict[str, list[Burst]] = {}
    label = {
        (command, name): command if len(databases) == 1 else f"{command} {name}"
        for command in commands
        for name in databases
    }
    # Not counted: the first bursts of a process pay what a bot pays once (aiogram's types built
    # on first use, statements compiled, the interpreter's own warming); production runs for days.
    await run_echo(args.users, args.calls)
    for command in commands:
        for server in databases.values():
            await run_kpi(args.users, args.calls, command, server, via=args.pg_via)
    print("(a warm-up run of each, not counted)")
    for number in range(1, args.runs + 1):
        echo = await run_echo(args.users, args.calls)
        echo_runs.append(echo)
        print(f"run {number}   echo: {describe(echo)}")
        for note in echo.notes:
            print(f"            {note}")
        for command in commands:
            for name, server in databases.items():
                kpi = await run_kpi(args.users, args.calls, command, server, via=args.pg_via)
                shown = label[command, name]
                kpi_runs.setdefault(shown, []).append(kpi)
                print(f"run {number} {shown:>6}: {describe(kpi)}")
                for note in kpi.notes:
                    print(f"            {note}")
                print(f"run {number} {shown:>6} ratio: {kpi.rate / echo.rate * 100:.1f} %")

    echo_rate = statistics.median(r.rate for r in echo_runs)
    echo_cpu = statistics.median(r.cpu_per_message for r in echo_runs)
    print("\nmedian of runs")
    print(f"  echo: {echo_rate:.1f} msg/s  {latency_summary(echo_runs)}")
    met = True
    for command, runs in kpi_runs.items():
        rate = statistics.median(r.rate for r in runs)
        ratio = rate / echo_rate * 100
        judged = len(databases) == 1 or command.endswith("sqlite")
        verdict = ("meets" if ratio >= args.target else "BELOW") if judged else "not judged"
        met = met and (ratio >= args.target or not judged)
        cpu = statistics.median(r.cpu_per_message for r in runs)
        # Each run's own ratio compares bursts measured a second apart: steadier when the
        # machine's speed drifts between runs.
        own = statistics.median(r.rate / e.rate * 100 for r, e in zip(runs, echo_runs, strict=True))
        print(f"{command:>6}: {rate:.1f} msg/s  {latency_summary(runs)}")
        print(
            f"        ratio {ratio:.1f} % ({verdict} the {args.target:.0f} % target); "
            f"median of the runs' own ratios {own:.1f} %"
        )
        print(
            f"        loop CPU per message: echo {echo_cpu * 1000:.2f} ms, {command} "
            f"{cpu * 1000:.2f} ms (their ratio: {echo_cpu / cpu * 100:.1f} %)"
        )
    if len(databases) > 1:
        for command in commands:
            lite = kpi_runs[label[command, "sqlite"]]
            served = kpi_runs[label[command, "postgresql"]]
            each = [pg.rate / sq.rate * 100 for sq, pg in zip(lite, served, strict=True)]
            print(
                f"{command:>6}: PostgreSQL at {statistics.median(each):.1f} % of SQLite "
                f"(median of the runs' own ratios: {', '.join(f'{r:.1f}' for r in each)})"
            )
    failed = sum(r.failed for r in echo_runs + [r for runs in kpi_runs.values() for r in runs])
    if failed:
        print(f"FAILED updates: {failed} (answered with the bot's error message)")
    print(f"load average (1 min) after the runs: {os.getloadavg()[0]:.2f}")

    if args.profile:
        profiler = cProfile.Profile(time.thread_time)  # CPU, not waits: the loop thread's own time
        server = next(iter(databases.values()))
        profiled = await run_kpi(
            args.users, args.calls, commands[0], server, profiler, via=args.pg_via
        )
        print(f"\nprofiled {commands[0]} burst: {describe(profiled)} (slower: cProfile overhead)")
        out = io.StringIO()
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(os.environ["PROFILE_DUMP"])
        stats = pstats.Stats(profiler, stream=out)
        if os.environ.get("PROFILE_FILTER"):
            stats.sort_stats("cumulative").print_stats(os.environ["PROFILE_FILTER"], args.profile)
        stats = stats.strip_dirs()
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())
    if failed:
        return 2
    return 0 if met else 1


def latency_summary(runs: list[Burst]) -> str:
    p50 = statistics.median(r.percentile(50) for r in runs) * 1000
    p95 = statistics.median(r.percentile(95) for r in runs) * 1000
    return f"(latency p50 {p50:.0f} ms, p95 {p95:.0f} ms)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20, help="messages per user")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=80.0, help="minimum ratio, in %%")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default="sqlite",
        help="both: each command on SQLite and on PostgreSQL in the same runs, compared",
    )
    parser.add_argument(
        "--pg-via",
        choices=["socket", "tcp"],
        default="socket",
        help="how the bot reaches the PostgreSQL server on this machine",
    )
    parser.add_argument(
        "--commands", nargs="+", choices=["call", "today"], default=["call", "today"]
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        default=0,
        metavar="N",
        help="profile one more burst (the first command) and print the top N functions",
    )
    parser.add_argument(
        "--tracebacks", action="store_true", help="log errors with tracebacks (default: one line)"
    )
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    if not args.tracebacks:
        handler.setFormatter(OneLineFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    return asyncio.run(main_async(args))


class OneLineFormatter(logging.Formatter):
    """A log record and its exception in one line: a failing burst can log hundreds."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"  log {record.levelname} {record.name}: {record.getMessage()}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            first = str(error).splitlines()[0] if str(error) else ""
            text += f" [{type(error).__name__}: {first}]"
        return text


if __name__ == "__main__":
    sys.exit(main())
