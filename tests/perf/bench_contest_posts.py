"""Benchmark: a Monday's contest posts for many teams, queued by the scheduler's contest job and
sent through the outbox to a fake Bot API that enforces Telegram's flood limits (429s).

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_contest_posts.py [--teams 1000] [--people 10]
        [--groups 1.0] [--limit 25] [--reuse]

Reuses bench_monday.py: its seeded database (the week Mon 16 - Sun 22 Nov 2026 of entries,
targets and vacations; ``--groups`` of the teams bound to a group, here all of them by default:
contest posts go to groups only), its fake Bot API in a process of its own, the app as
``bot.__main__.run_bot`` starts it, its stall monitor and its send phase. A copy of the database
gets one contest per team over that week, its kick-off and mid-way already posted: even teams
deals by % of target, odd teams calls by total; every other team's contest recurs weekly.

queue: with the app clock frozen at Monday 23 Nov 09:00 Moscow (the report time), two ticks of
``scheduler.jobs.run_contests`` as the scheduler runs them a minute apart: the first posts each
final result (the standing of a team of ``--people``) and starts the next round of the recurring
ones, the second posts those rounds' kick-offs, each group's second message in a few seconds.

send: bench_monday's send phase (the sender at ``--limit`` messages a second; the fake allows 30 a
second, 1 a second per chat and 20 a minute per group). Exit code 1 when a message is left
unsent, a 429 is answered, the rate is under 90 % of the limit or the event loop stalls 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402

from models import Contest, Metric, Period  # noqa: E402
from models.base import clock  # noqa: E402
from models.database import Database  # noqa: E402
from scheduler import LEASE_TTL  # noqa: E402
from scheduler.jobs import run_contests  # noqa: E402
from tests.perf import bench_monday as monday  # noqa: E402
from tests.perf.seeded import file_url  # noqa: E402

WEEK = (date(2026, 11, 16), date(2026, 11, 22))
RESULT_AT = monday.SEND_AT  # Monday 23 November, 09:00 in Moscow


def add_contests(path: Path, shape: monday.Shape) -> None:
    """One contest per team over the seeded week, waiting only for its final result."""
    rows = [
        {
            "team_id": team,
            "running_team": team,
            "metric": Metric.DEALS if team % 2 == 0 else Metric.CALLS,
            "by_target": team % 2 == 0,
            "start": WEEK[0],
            "end": WEEK[1],
            "repeat": Period.WEEK if team % 4 < 2 else None,
            "prize": "A day off",
            "kickoff_posted": True,
            "midway_posted": True,
            "created_by_id": shape.user_id(team, 0),
        }
        for team in range(1, shape.teams + 1)
    ]
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(insert(Contest), rows)
    engine.dispose()


async def queue_posts(path: Path) -> tuple[list[int], float]:
    """The contest job's two ticks at the result time; messages queued by each, and seconds."""
    db = Database(file_url(path))
    clock.freeze(RESULT_AT)
    began = time.perf_counter()
    try:
        ticks = [await run_contests(db, "bench-contests", LEASE_TTL) for _ in range(2)]
    finally:
        clock.unfreeze()
        await db.close()
    return ticks, time.perf_counter() - began


async def run(
    args: argparse.Namespace, work: Path
) -> tuple[monday.SendResult, monday.StallMonitor]:
    limits = {"global_per_second": args.fake_global, "per_chat_per_second": 1}
    limits["per_group_per_minute"] = 20
    fake = monday.FakeProcess(await asyncio.to_thread(monday.fake_chats, work), limits)
    await fake.start()
    monitor = monday.StallMonitor(args.trace_ms / 1000)
    app: monday.App | None = None
    try:
        app = await monday.App.start(args, work, fake)
        monitor.start()
        sent = await monday.send(args, app, monitor, fake)
    finally:
        await monitor.stop()
        if app is not None:
            await app.stop()
        await fake.stop()
    return sent, monitor


def report(
    shape: monday.Shape,
    ticks: list[int],
    seconds: float,
    sent: monday.SendResult,
    monitor: monday.StallMonitor,
) -> bool:
    fake, stats = sent.fake, sent.fake["stats"]
    share = sent.rate / sent.limit
    print(f"\n=== contest posts: {shape.teams:,} teams x {shape.people} people ===")
    print(
        f"queue  {ticks[0]:,} final results + {ticks[1]:,} kick-offs of the next rounds queued"
        f" by two ticks of the contest job in {seconds:.1f} s"
        f" ({seconds / shape.teams * 1000:.1f} ms a team)"
    )
    print(
        f"send   {fake['messages']:,} messages delivered ({fake['group']:,} to groups) of"
        f" {sent.due:,} due, all marked after {sent.seconds:.1f} s; rate {sent.rate:.2f}/s ="
        f" {share:.1%} of the {sent.limit:g}/s limit"
    )
    print(
        f"       busiest second at the fake {fake['max_per_second']}, busiest group minute"
        f" {fake['max_group_minute']}, least gap in a chat {fake['min_chat_gap'] or 0:.2f} s;"
        f" 429s: {stats.get('429', 0)} (target 0); outbox after: {dict(sent.statuses)}"
    )
    worst = monitor.max_ms(["send"])
    print(
        f"stalls largest {worst:.1f} ms, p99 {monitor.p99_ms(['send']):.1f} ms"
        f" (target < {monday.STALL_TARGET_MS:.0f} ms)"
    )
    for stall in sorted(monitor.stalls, key=lambda s: -s.late)[:3]:
        sites = "; ".join(f"{site} x{n}" for site, n in stall.sites.most_common(2)) or "-"
        print(f"       {stall.late * 1000:6.1f} ms  {stall.phase} +{stall.at:7.1f} s  {sites}")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average after the run: {load} (other processes skew the rate and the stalls)")
    ok = share >= monday.RATE_TARGET and stats.get("429", 0) == 0
    ok &= sent.statuses["pending"] + sent.statuses["sending"] == 0
    ok &= fake["messages"] == sum(ticks) and worst < monday.STALL_TARGET_MS
    print(f"verdict: {'all targets met' if ok else 'TARGETS MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10, help="per team, the manager included")
    parser.add_argument("--groups", type=float, default=1.0, help="share of teams with a group")
    parser.add_argument("--limit", type=float, default=25.0, help="sender's messages a second")
    parser.add_argument("--fake-global", type=int, default=30, help="fake's messages a second")
    parser.add_argument("--reuse", action="store_true", help="reuse the cached seeded database")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/kpi-bench-monday"))
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between lines")
    parser.add_argument("--trace-ms", type=float, default=50.0, help="stalls to explain")
    args = parser.parse_args(argv)
    # What bench_monday's App and send phase read: one chart worker (no chart is drawn here).
    args.workers, args.no_gc_freeze, args.group_extra, args.send_timeout = 1, False, 0, 0.0
    shape = monday.Shape(args.teams, args.people, args.groups)
    monday.header()
    args.dir.mkdir(parents=True, exist_ok=True)
    work = args.dir / f"contests-{os.getpid()}.sqlite"  # one per run: runs may overlap
    monday.copy_database(monday.seeded_database(args.dir, shape, args.reuse), work)
    try:
        add_contests(work, shape)
        ticks, seconds = asyncio.run(queue_posts(work))
        print(f"queue: {ticks} messages queued in {seconds:.1f} s", flush=True)
        sent, monitor = asyncio.run(run(args, work))
    finally:
        monday.remove_database(work)
    return 0 if report(shape, ticks, seconds, sent, monitor) else 1


if __name__ == "__main__":
    sys.exit(main())
