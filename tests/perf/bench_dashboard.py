"""Benchmark: the team dashboard's API answers on a year of data, as a browser gets them.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_dashboard.py [--teams 50] [--people 20] [--days 365]
        [--samples 100] [--reuse] [--today YYYY-MM-DD] [--database sqlite|postgresql]

The database is bench_reports.py's (the same seeding: 50 teams of 20, a year of entries, about
a million, targets with history and vacations), cached under /tmp/kpi-bench-dashboard/ (keyed
by the sizes, the end date and the Alembic head); every run measures a fresh copy. With
``--database postgresql`` it is copied into the suite's PostgreSQL server (COPY, ANALYZE).

Measuring: the bot's own web app (``bot.__main__.web_app``, as `python -m bot` serves it with
PUBLIC_URL set) on a loopback port, asked over HTTP by an aiohttp client with initData signed
for a manager or an employee of a team chosen in turn (and a TV link of each team). The time is
the request's round trip as the client sees it: the initData check, the person's limit, the
unit of work, the services and the JSON. The request limit is raised out of the way. Each
endpoint gets a few warm-up requests, then ``samples`` timed ones; the report gives the
median and the 95th percentile per endpoint. The exit code is 1 when any median is over
``--median`` ms or any p95 over ``--p95`` ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import aiohttp  # noqa: E402

from bot.__main__ import web_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.dashboard.auth import tv_token  # noqa: E402
from bot.factory import create_bot, create_dispatcher  # noqa: E402
from bot.services.dashboard import tv_link_secret  # noqa: E402
from bot.services.periods import local_date  # noqa: E402
from bot.web import serving  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.database import Database  # noqa: E402
from models.team import DEFAULT_TIMEZONE, all_teams  # noqa: E402
from tests.db import TEMPLATE, start_postgres  # noqa: E402
from tests.perf.bench_reports import (  # noqa: E402
    TOKEN,
    Shape,
    alembic_head,
    describe_database,
    describe_postgres,
    frozen_today,
    header,
    seed,
)
from tests.perf.seeded import build_seeded, copy_to_postgres, file_url  # noqa: E402

CACHE_DIR = Path("/tmp/kpi-bench-dashboard")
PG_DATABASE = "bench_dashboard"
PUBLIC_URL = "https://kpi.example.com"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def prepare_database(shape: Shape, reuse: bool) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    name = (
        f"kpi-t{shape.teams}-p{shape.people}-d{shape.days}-{shape.today.isoformat()}"
        f"-{alembic_head()}.db"
    )
    cached = CACHE_DIR / name
    if reuse and cached.exists():
        print(f"seed: reusing {cached}")
        return cached
    for stale in CACHE_DIR.glob("kpi-*.db*"):
        stale.unlink()
    return build_seeded(cached, lambda path: seed(path, shape))


def init_data(user_id: int, language: str) -> str:
    """What Telegram hands the page: signed with the bot's token, fresh."""
    fields = {
        "auth_date": str(int(utcnow().timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "P", "language_code": language}),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


# An endpoint: its name, and the request for the i-th sample (path, who asks: a user id or None).
Request = tuple[str, int | None]


def endpoints(shape: Shape, tv: dict[int, str]) -> dict[str, Callable[[int], Request]]:
    def team_of(i: int) -> int:
        return i % shape.teams + 1

    def manager(i: int) -> int:
        return shape.user_id(team_of(i), 0)

    def employee(i: int) -> int:
        return shape.user_id(team_of(i), 1 + i % (shape.people - 1))

    api = "/dashboard/api"
    return {
        "session": lambda i: (f"{api}/session", employee(i)),
        "me today": lambda i: (f"{api}/me?period=today", employee(i)),
        "me month": lambda i: (f"{api}/me?period=month", employee(i)),
        "board month": lambda i: (f"{api}/board?metric=calls&period=month", employee(i)),
        "board week": lambda i: (f"{api}/board?metric=revenue&period=week", employee(i)),
        "tags month": lambda i: (f"{api}/tags?period=month", employee(i)),
        "team month": lambda i: (f"{api}/team?period=month", manager(i)),
        "person 30 days": lambda i: (f"{api}/person/{employee(i)}", manager(i)),
        "week": lambda i: (f"{api}/week", manager(i)),
        "tv session": lambda i: (f"{api}/tv/{tv[team_of(i)]}/session", None),
        "tv board": lambda i: (f"{api}/tv/{tv[team_of(i)]}/board?metric=deals&period=month", None),
        "tv celebrations": lambda i: (
            f"{api}/tv/{tv[team_of(i)]}/celebrations?{urlencode({'since': utcnow().isoformat()})}",
            None,
        ),
    }


async def tv_links(db: Database) -> dict[int, str]:
    """Each team's TV link (made once, as /tv does)."""
    async with db.write() as session:
        teams = await all_teams(session)
        secrets = {team.id: await tv_link_secret(session, team, reset=False) for team in teams}
    return {team_id: tv_token(TOKEN, team_id, secret) for team_id, secret in secrets.items()}


async def run(args: argparse.Namespace, shape: Shape, url: str) -> dict[str, list[float]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        public_url=PUBLIC_URL,
        dashboard_requests_per_minute=100_000,
    )
    db = Database(url)
    bot = create_bot(TOKEN)
    results: dict[str, list[float]] = {}
    try:
        tv = await tv_links(db)
        dp = create_dispatcher(db, with_scheduler=False, dashboard_url=settings.dashboard_url)
        app = web_app(settings, dp, bot, db)
        async with (
            serving(app, "127.0.0.1", 0, 5) as server,
            aiohttp.ClientSession(base_url=server.base_url) as http,
        ):

            async def ask(request: Request) -> float:
                path, user_id = request
                headers = {"Accept-Encoding": "gzip"}
                if user_id is not None:
                    language = "ru" if user_id % 2 else "en"
                    headers["X-Telegram-Init-Data"] = init_data(user_id, language)
                began = time.perf_counter()
                async with http.get(path, headers=headers) as response:
                    body = await response.read()
                elapsed = time.perf_counter() - began
                if response.status != 200:
                    raise AssertionError(f"{path}: {response.status} {body[:200]!r}")
                return elapsed

            for name, make in endpoints(shape, tv).items():
                for i in range(args.warmup):
                    await ask(make(shape.teams - 1 - i))
                if args.show:
                    path, _ = make(0)
                    print(f"--- {name}: GET {path}")
                results[name] = [await ask(make(i)) for i in range(args.samples)]
    finally:
        await bot.session.close()
        await db.close()
    return results


def measure_sqlite(args: argparse.Namespace, shape: Shape, cached: Path) -> dict[str, list[float]]:
    work = CACHE_DIR / "work.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(cached, work)
    try:
        describe_database(work, analyze=False)
        return asyncio.run(run(args, shape, file_url(work)))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)


def measure_postgres(
    args: argparse.Namespace, shape: Shape, cached: Path
) -> dict[str, list[float]]:
    with contextlib.contextmanager(start_postgres)() as server:

        async def copied() -> dict[str, list[float]]:
            await server.create_database(PG_DATABASE, template=TEMPLATE)
            url = server.url(PG_DATABASE)
            began = time.perf_counter()
            await copy_to_postgres(cached, url)
            print(f"copy to PostgreSQL: {time.perf_counter() - began:.1f} s")
            await describe_postgres(url)
            return await run(args, shape, url)

        return asyncio.run(copied())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--people", type=int, default=20, help="per team, manager included")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--samples", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per endpoint")
    parser.add_argument("--reuse", action="store_true", help="reuse the cached seeded DB")
    parser.add_argument("--today", type=date.fromisoformat, help="freeze the clock on this day")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--median", type=float, default=30.0, help="target median, ms")
    parser.add_argument("--p95", type=float, default=100.0, help="target 95th percentile, ms")
    parser.add_argument("--show", action="store_true", help="print each endpoint's first request")
    args = parser.parse_args(argv)

    header()
    with frozen_today(args.today):
        today = local_date(utcnow(), DEFAULT_TIMEZONE)
        shape = Shape(args.teams, args.people, args.days, today)
        print(
            f"{shape.teams} teams x {shape.people} people, {shape.days} days ending {today}; "
            f"{args.samples} requests per endpoint after {args.warmup} warm-up; "
            f"database: {args.database}"
        )
        cached = prepare_database(shape, args.reuse)
        measure = measure_postgres if args.database == "postgresql" else measure_sqlite
        results = measure(args, shape, cached)

    print("=== API answer time, request to last byte (ms) ===")
    over = False
    for name, samples in results.items():
        median = statistics.median(samples) * 1000
        p95 = percentile(samples, 95) * 1000
        over |= median > args.median or p95 > args.p95
        print(f"{name:16} median {median:6.1f}  p95 {p95:6.1f}  max {max(samples) * 1000:6.1f}")
    verdict = "OVER" if over else "within"
    print(f"target: median < {args.median:.0f} ms, p95 < {args.p95:.0f} ms per endpoint: {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
