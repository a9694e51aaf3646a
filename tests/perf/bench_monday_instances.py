"""Benchmark: a Monday's weekly charts for many teams sent by two bot instances on one
PostgreSQL database, against a fake Bot API that enforces Telegram's flood limits.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_monday_instances.py [--teams 1000] [--people 10]
        [--groups 0.3] [--photo-kib 79]

What is measured is the sending, with two instances: bench_monday.py measures one instance
preparing the charts (a chart a second or two each; its prepared outbox is SQLite's) and
sending them. Here the outbox is seeded as the Monday job leaves it at 09:00: one photo with its
caption for every person of every team, and one for each team's group when it has one (a share
``--groups`` of the teams), all due; each photo a real PNG of ``--photo-kib`` KiB (a weekly
chart is about 79 KiB), so every send uploads what Telegram would get. A PostgreSQL server is
started as the test suite starts it; the fake Bot API (tests/fake_telegram.py, limits on: 30 a
second, 1 a second per chat, 20 a minute per group) runs in a process of its own; two real bot
processes (`python -m bot`, polling) start on the database together. Only the scheduler lease
holder sends the outbox (bot/sender.py), at up to 25 a second.

Figures: how many messages the fake received and how many chats got more than one (each was
due one message: more is a duplicate send), the 429s, the send rate ((sent - 1) / (last send -
first send)) against the senders' 25 a second, the busiest second and group minute, and which
instance held the lease. Exit code 1 when a target is missed: zero duplicates, zero 429s, every
message sent, and at least 90 % of the send limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from models import OutboxMessage, OutboxStatus  # noqa: E402
from models.database import Database  # noqa: E402
from models.lease import Lease  # noqa: E402
from tests.db import TEMPLATE, start_postgres  # noqa: E402
from tests.e2e.test_process import start_bot  # noqa: E402
from tests.perf.bench_monday import PNG_MAGIC, FakeProcess  # noqa: E402

SEND_LIMIT = 25.0  # bot/sender.py's Limits.per_second
LONG_AGO = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 09:00 in Moscow
FIRST_USER = 10_000_000
FIRST_GROUP = -1_000_000_000_000


def png(kib: int) -> bytes:
    """A valid PNG of about `kib` KiB (noise does not compress)."""
    width = 256
    rows = max(1, kib * 1024 // (width * 3))
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + rows.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (
        PNG_MAGIC
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def chats(teams: int, people: int, groups: float) -> list[tuple[int, str, str]]:
    """Everyone due a chart: (chat id, name, language), groups with negative ids."""
    out: list[tuple[int, str, str]] = []
    every = round(1 / groups) if groups else 0
    for team in range(teams):
        for person in range(people):
            out.append((FIRST_USER + team * people + person, f"P{team}.{person}", "ru"))
        if every and team % every == 0:
            out.append((FIRST_GROUP - team, f"Team {team}", ""))
    return out


async def seed(url: str, due: list[tuple[int, str, str]], photo: bytes) -> None:
    db = Database(url)
    try:
        rows = [
            {
                "dedup_key": f"weekly:{chat_id}",
                "chat_id": chat_id,
                "text": f"📈 {name}: the week of 16–22 November",
                "photo": photo,
                "not_before": LONG_AGO,
                "created_at": LONG_AGO,
            }
            for chat_id, name, _ in due
        ]
        for start in range(0, len(rows), 500):
            async with db.write() as session:
                await session.execute(insert(OutboxMessage), rows[start : start + 500])
    finally:
        await db.close()


async def unsent(db: Database) -> int:
    async with db.read() as session:
        query = select(func.count()).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
        return int(await session.scalar(query) or 0)


async def lease_holder(db: Database) -> str:
    async with db.read() as session:
        return str(await session.scalar(select(Lease.holder)))


async def run(args: argparse.Namespace) -> int:
    due = chats(args.teams, args.people, args.groups)
    photo = png(args.photo_kib)
    print(
        f"{args.teams} teams x {args.people} people, {sum(1 for c in due if c[0] < 0)} groups: "
        f"{len(due)} weekly charts due, each a {len(photo) / 1024:.0f} KiB PNG"
    )
    with contextlib.contextmanager(start_postgres)() as server:
        name = f"monday_{os.getpid()}"
        await server.create_database(name, template=TEMPLATE)
        url = server.url(name)
        try:
            began = time.monotonic()
            await seed(url, due, photo)
            print(f"outbox seeded in {time.monotonic() - began:.1f} s")
            fake = FakeProcess(due, {})
            await fake.start()
            db = Database(url)
            processes = []
            try:
                with tempfile.TemporaryDirectory(prefix="kpi-monday-") as folder:
                    started = time.monotonic()
                    for instance in ("a", "b"):
                        path = Path(folder) / instance
                        path.mkdir()
                        processes.append(await start_bot(fake, path, url))  # type: ignore[arg-type]
                    left = len(due)
                    while left:
                        await asyncio.sleep(1.0)
                        left = await unsent(db)
                        if time.monotonic() - started > args.timeout:
                            print(f"TIMEOUT: {left} still unsent")
                            break
                    holder = await lease_holder(db)
                    await asyncio.sleep(1.0)  # anything sent twice would arrive by now
                    summary = await fake.ask("summary")
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                codes = [await asyncio.wait_for(p.wait(), 60) for p in processes]
                await db.close()
                await fake.stop()
        finally:
            await server.drop_database(name)
    return report(args, due, summary, holder, codes)


def report(
    args: argparse.Namespace,
    due: list[tuple[int, str, str]],
    summary: dict[str, Any],
    holder: str,
    codes: list[int],
) -> int:
    sent = summary["messages"]
    span = summary["last"] - summary["first"]
    rate = (sent - 1) / span if span > 0 else 0.0
    rejected = summary["stats"].get("429", 0)
    times = summary["times"]
    seconds = range(int(times[0]), int(times[-1])) if times else range(0)
    per_second = [sum(1 for t in times if start <= t < start + 1) for start in seconds]
    print(
        f"sent {sent} of {len(due)} ({summary['photos']} photos, {summary['png']} PNG) in "
        f"{span:.1f} s: {rate:.1f} a second = {rate / SEND_LIMIT * 100:.1f} % of the senders' "
        f"{SEND_LIMIT:.0f}; busiest second {summary['max_per_second']} (the fake allows 30), "
        f"median second {statistics.median(per_second) if per_second else 0:.0f}"
    )
    print(
        f"chats sent more than one message: {summary['chats_twice']}; 429s: {rejected} "
        f"({summary['429_private']} private, {summary['429_group']} group); busiest group "
        f"minute {summary['max_group_minute']}; closest two in one chat "
        f"{summary['min_chat_gap']}; the fake's longest pause "
        f"{summary['fake_lag_max'] * 1000:.0f} ms"
    )
    print(f"lease holder at the end: {holder}; the instances exited with {codes}")
    met = (
        sent == len(due)
        and summary["chats_twice"] == 0
        and rejected == 0
        and rate >= 0.9 * SEND_LIMIT
    )
    verdict = "met" if met else "MISSED"
    print(f"targets (every message once, zero 429s, >= 90 % of the limit): {verdict}")
    return 0 if met else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--groups", type=float, default=0.3, help="share of teams with a group")
    parser.add_argument("--photo-kib", type=int, default=79)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for all")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
