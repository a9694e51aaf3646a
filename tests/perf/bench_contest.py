"""Benchmark: bot-side time of /contest (the standing) on the million-entry database.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_contest.py [--teams 50] [--people 20] [--days 365]
        [--samples 200] [--reuse] [--database sqlite|postgresql] [--show]

The database is bench_reports.py's (same seeding, same sizes by default: a year of entries,
~1 million rows), cached under /tmp/kpi-bench-contests/ so that it never clashes with that
script's cache. A copy of it gets one running contest per team, 31 days of which 28 are gone:
odd teams by deals as % of each person's target (targets, vacations and joining days all
read), even teams by the #avito1 revenue total. Then the production dispatcher is fed
``/contest`` from each team's manager in turn (who gets the whole standing and the
change/cancel buttons), alternating with ``/leaderboard month`` from the same managers (the
nearest existing command, a reference under the same load), as bench_reports.py measures its
commands: wall-clock, CPU and SQL time per update, and the statements of one traced update
with their query plans. Exit code 1 when the median is over ``--target`` ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402

from bot.services.periods import local_date  # noqa: E402
from models import Contest, Metric  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.team import DEFAULT_TIMEZONE  # noqa: E402
from tests.db import TEMPLATE, start_postgres  # noqa: E402
from tests.perf import bench_reports as reports  # noqa: E402
from tests.perf.seeded import copy_to_postgres, file_url  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

CACHE_DIR = Path("/tmp/kpi-bench-contests")
COMMAND = "/contest"
# Measured alongside, under the same load: the nearest existing command (also a team standing).
REFERENCE = "/leaderboard month"
PG_DATABASE = "bench_contest"


def add_contests(path: Path, shape: reports.Shape) -> None:
    """One running contest per team: 31 days, 28 of them gone."""
    start = shape.today - timedelta(days=27)
    rows = [
        {
            "team_id": team,
            "running_team": team,
            "metric": Metric.DEALS if team % 2 else Metric.REVENUE,
            "tag": None if team % 2 else "avito1",
            "by_target": team % 2 == 1,
            "start": start,
            "end": start + timedelta(days=30),
            "prize": "A day off",
            "created_by_id": shape.user_id(team, 0),
        }
        for team in range(1, shape.teams + 1)
    ]
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(insert(Contest), rows)
    engine.dispose()


def contest_copy(args: argparse.Namespace, shape: reports.Shape) -> Path:
    cached = reports.prepare_database(shape, args.reuse)
    work = reports.working_copy(cached)
    add_contests(work, shape)
    return work


async def measure_postgres(
    args: argparse.Namespace, shape: reports.Shape, work: Path, server: PostgresServer
) -> list[reports.Samples]:
    await server.create_database(PG_DATABASE, template=TEMPLATE)
    url = server.url(PG_DATABASE)
    began = time.perf_counter()
    await copy_to_postgres(work, url)
    print(f"copy to PostgreSQL: {time.perf_counter() - began:.1f} s")
    results, traces = await reports.run(args, shape, url)
    for command, statements in traces.items():
        await reports.explain_postgres(url, command, statements)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--people", type=int, default=20, help="per team, manager included")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse the cached seeded DB")
    parser.add_argument("--target", type=float, default=50.0, help="median limit, in ms")
    parser.add_argument("--show", action="store_true", help="print one reply")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    args.profile = 0
    # bench_reports measures its module's commands from its module's cache: ours instead.
    reports.COMMANDS = (COMMAND, REFERENCE)
    reports.CACHE_DIR = CACHE_DIR
    reports.header()
    today = local_date(utcnow(), DEFAULT_TIMEZONE)
    shape = reports.Shape(args.teams, args.people, args.days, today)
    print(
        f"{shape.teams} teams x {shape.people} people, {shape.days} days ending {today}; "
        f"{args.samples} samples of {COMMAND} after {args.warmup} warm-up; {args.database}"
    )
    work = contest_copy(args, shape)
    try:
        if args.database == "postgresql":
            with contextlib.contextmanager(start_postgres)() as server:
                results = asyncio.run(measure_postgres(args, shape, work, server))
        else:
            reports.describe_database(work, analyze=False)
            results, traces = asyncio.run(reports.run(args, shape, file_url(work)))
            for command, statements in traces.items():
                reports.explain(work, command, statements)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    print("=== bot-side time per update (dp.feed_update) ===")
    for samples in results:
        print(reports.summary(samples))
    over = statistics.median(results[0].total) * 1000 > args.target
    print(f"target: {COMMAND} median < {args.target:.0f} ms: {'OVER' if over else 'within'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
