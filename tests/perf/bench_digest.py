"""Benchmark: small wins for many teams, found after midnight and then sent through the outbox
to a fake Bot API that enforces Telegram's flood limits (and answers 429 when they are broken):
one digest per team in its group, and a reaction on each winner's log message.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_digest.py [--teams 1000] [--people 10] [--limit 25]
        [--reuse] [--dir /tmp/kpi-bench]

Seeding: bench_monday's database (its ``seed``: a week of entries Mon 16 - Sun 22 November
2026, team targets, vacations), every team bound to a group with public stats; each live entry
gets a Telegram message id (its own id), as if typed, and the fake knows those messages.

close: the app clock frozen at 00:05 Moscow on Saturday 21, Sunday 22 and Monday 23 November;
``scheduler.jobs.run_rewards`` (as KpiScheduler runs it each minute) looks at Friday, Saturday
and Sunday of every team once (records of the day, of the week on Sunday, the month's first
deals and targets met, streaks). Reactions are queued for 08:00, after quiet hours; the clock
then runs from 08:00 and the production ``OutboxSender`` (Limits(per_second=--limit)) sets
them on the fake, run in its own process as bench_monday runs it.

send: the clock running from Monday 09:30 Moscow (the default digest time; Saturday's and
Sunday's wins waited for a working day); one more ``run_rewards`` queues every team's digest,
and the sender delivers them. Reported: wins, closing time, digests and reactions sent,
429s, the busiest second and the busiest group minute as the fake saw them.

Exit code 1 when a target is missed: no 429s, at most 20 posts a minute in any group, every
digest and reaction sent, exactly one digest per team.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as dtime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.factory import create_bot, create_dispatcher, start_background, stop_background  # noqa: E402
from bot.sender import Limits, OutboxSender  # noqa: E402
from models import Achievement, OutboxMessage  # noqa: E402
from models.base import clock  # noqa: E402
from models.database import Database  # noqa: E402
from scheduler import LEASE_TTL  # noqa: E402
from scheduler.jobs import run_rewards  # noqa: E402
from tests.perf.bench_monday import (  # noqa: E402
    ZONE,
    FakeProcess,
    Shape,
    _fake_summary,
    _FakeHealth,
    copy_database,
    fake_chats,
    outbox_counts,
    reset_clock,
    seeded_database,
    set_clock_running_from,
)
from tests.perf.seeded import file_url  # noqa: E402

CLOSE_DAYS = [date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)]  # each at 00:05
DIGEST_AT = datetime.combine(date(2026, 11, 23), dtime(9, 30), ZONE)
GROUP_PER_MINUTE = 20


def typed_entries(path: Path) -> list[tuple[int, int]]:
    """Every live entry as if typed in Telegram: its message id is its own id (unique per
    person's chat); (chat, message) pairs for the fake to know."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("UPDATE entries SET message_id = id WHERE deleted_at IS NULL")
        db.execute("UPDATE teams SET public_stats = 1")
        # The bot ran the nights before: the first close looks at Friday only, not two weeks.
        before = (CLOSE_DAYS[0] - timedelta(days=2)).isoformat()
        db.execute("INSERT INTO closed_days (team_id, day) SELECT id, ? FROM teams", (before,))
        rows = db.execute("SELECT user_id, message_id FROM entries WHERE message_id IS NOT NULL")
        return [(int(user), int(message)) for user, message in rows]
    finally:
        db.close()


def serve_fake(
    conn: Connection,
    chats: list[tuple[int, str, str]],
    limits: dict[str, int],
    typed: list[tuple[int, int]],
) -> None:
    asyncio.run(_serve_fake(conn, chats, limits, typed))


async def _serve_fake(
    conn: Connection,
    chats: list[tuple[int, str, str]],
    limits: dict[str, int],
    typed: list[tuple[int, int]],
) -> None:
    """bench_monday's fake process, told of the people's own messages (reactions need them)."""
    from tests.fake_telegram import FakeTelegram

    tg = FakeTelegram(enforce_limits=True, **limits)
    await tg.start()
    health = _FakeHealth()  # its collections frozen away, as bench_monday's fake does
    watch = asyncio.create_task(health.watch())
    for chat_id, name, language in chats:
        if chat_id < 0:
            tg.group(chat_id, name)
        else:
            tg.user(chat_id, name, language_code=language)
    for chat_id, message_id in typed:
        tg._chats[chat_id].user_message_ids.add(message_id)
    conn.send((tg.token, tg.base_url))
    loop = asyncio.get_running_loop()
    try:
        while await loop.run_in_executor(None, conn.recv) == "summary":
            conn.send(_fake_summary(tg) | health.summary())
    finally:
        watch.cancel()
        await tg.stop()


class DigestFake(FakeProcess):
    def __init__(
        self,
        chats: list[tuple[int, str, str]],
        limits: dict[str, int],
        typed: list[tuple[int, int]],
    ) -> None:
        super().__init__(chats, limits)
        context = get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=serve_fake, args=(child, chats, limits, typed), name="fake-telegram", daemon=True
        )


async def wins_by_kind(db: Database) -> Counter[str]:
    async with db.read() as session:
        rows = await session.execute(
            select(Achievement.kind, func.count()).group_by(Achievement.kind)
        )
        return Counter({str(kind): int(n) for kind, n in rows})


async def digest_rows(db: Database) -> tuple[int, int]:
    """(digest rows, distinct teams among them)."""
    async with db.read() as session:
        keys = list(
            await session.scalars(
                select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like("digest:%"))
            )
        )
    return len(keys), len({key.split(":")[1] for key in keys})


async def drain(
    db: Database, sender: OutboxSender, at: datetime, args: argparse.Namespace
) -> float:
    """The clock running from `at`; seconds until nothing is left to send."""
    set_clock_running_from(at)
    sender.wake()
    began = time.perf_counter()
    statuses = await outbox_counts(db)
    deadline = time.monotonic() + 120 + 4 * statuses["pending"] / args.limit
    while statuses["pending"] + statuses["sending"] and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        statuses = await outbox_counts(db)
    return time.perf_counter() - began


async def run(args: argparse.Namespace, work: Path) -> int:
    typed = await asyncio.to_thread(typed_entries, work)
    limits = {"global_per_second": 30, "per_chat_per_second": 1, "per_group_per_minute": 20}
    fake = DigestFake(await asyncio.to_thread(fake_chats, work), limits, typed)
    await fake.start()
    db = Database(file_url(work))
    bot = create_bot(fake.token, fake.base_url)
    sender = OutboxSender(db, limits=Limits(per_second=args.limit))
    create_dispatcher(db, outbox=sender, with_scheduler=False)
    failures = []
    try:
        clock.freeze(datetime.combine(CLOSE_DAYS[0], dtime(0, 5), ZONE))
        await start_background(bot, sender, None)
        closing = 0.0
        for day in CLOSE_DAYS:
            reset_clock()  # the running clock of the last drain
            clock.freeze(datetime.combine(day, dtime(0, 5), ZONE))
            began = time.perf_counter()
            await run_rewards(db, "bench", LEASE_TTL, sender.wake)
            closing += time.perf_counter() - began
            # The reactions found after midnight go when quiet hours end, at 08:00.
            reacting = await drain(db, sender, datetime.combine(day, dtime(8, 0), ZONE), args)
            print(f"close {day}: reactions sent in {reacting:.1f} s", flush=True)
        wins = await wins_by_kind(db)
        print(f"close: 3 days x {args.teams:,} teams in {closing:.1f} s;"
              f" {sum(wins.values()):,} wins: {dict(wins)}", flush=True)  # fmt: skip

        set_clock_running_from(DIGEST_AT)
        began = time.perf_counter()
        await run_rewards(db, "bench", LEASE_TTL, sender.wake)
        queue_seconds = time.perf_counter() - began
        digests, teams_with_digest = await digest_rows(db)
        print(f"digest: {digests:,} digests queued in {queue_seconds:.1f} s", flush=True)
        sending = await drain(db, sender, DIGEST_AT, args)
        statuses = await outbox_counts(db)
        summary = await fake.ask("summary")
        summary.pop("times")
        stats = summary["stats"]
        span = summary["last"] - summary["first"]
        print(
            f"send: {statuses['sent']:,} sent in all ({summary['group']:,} digests,"
            f" {stats.get('sent', 0) - summary['messages']:,} reactions); digests in"
            f" {sending:.1f} s (over {span:.1f} s at the fake); 429s: {stats.get('429', 0)}"
            f" (private {summary['429_private']}, group {summary['429_group']}); busiest second"
            f" {summary['max_per_second']}; busiest group minute {summary['max_group_minute']};"
            f" statuses {dict(statuses)}; the fake's longest pause"
            f" {summary['fake_lag_max'] * 1000:.0f} ms"
            f" (collection {summary['fake_gc_max'] * 1000:.0f} ms)",
            flush=True,
        )
        if stats.get("429", 0):
            failures.append("429s")
        if summary["max_group_minute"] > GROUP_PER_MINUTE:
            failures.append("a group got more than 20 in a minute")
        if statuses["pending"] + statuses["sending"] + statuses["failed"]:
            failures.append("not everything sent")
        if digests != teams_with_digest or summary["group"] != digests:
            failures.append("not exactly one digest per team")
        print(f"teams with a digest: {teams_with_digest:,} of {args.teams:,}", flush=True)
    finally:
        await stop_background(sender, None)
        await bot.session.close()
        await db.close()
        reset_clock()
        await fake.stop()
    print("FAILED: " + ", ".join(failures) if failures else "OK", flush=True)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--limit", type=float, default=25.0, help="the sender's messages/s")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/kpi-bench"))
    parser.add_argument("--reuse", action="store_true", help="take the seeded file if cached")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    shape = Shape(args.teams, args.people, 1.0)
    seeded = seeded_database(args.dir, shape, args.reuse)
    work = args.dir / f"digest-t{args.teams}-p{args.people}-work.db"
    copy_database(seeded, work)
    return asyncio.run(run(args, work))


if __name__ == "__main__":
    raise SystemExit(main())
