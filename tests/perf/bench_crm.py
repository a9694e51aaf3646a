"""Benchmark: a flood of CRM events while people log by hand (issue 14).

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    python tests/perf/bench_crm.py [--events 5000] [--senders 50] [--people 20]
        [--database sqlite|postgresql]

The real bot (production's dispatcher, polling the fake Bot API on 127.0.0.1, its web server
with the hooks installed as PUBLIC_URL makes it) on a freshly migrated database. A manager
creates a team that people join, connects the signed webhook and links its user to one member
(not timed). Then, at once:

* a separate process (so that its CPU is not the bot's) posts `--events` signed JSON events, one
  a request as CRMs send them, over `--senders` concurrent connections, each waiting for its 200
  (the event is stored by then);
* every person sends /call, waits for the reply and `--pause` seconds, and sends the next,
  until every event is applied.

Printed: events stored per second (first request to last 200), the time until every event is
applied (logged as an entry), and the people's reply times (p50, p95, p99, max). Targets:
500 events/s or more, p99 under 300 ms. Exit status 1 if a target is missed, 2 if anything
failed (a non-200, an entry missing, an error reply).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import platform
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bot.lazy_models import defer_model_builds  # noqa: E402

defer_model_builds()  # as production does, before aiogram is imported

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot import hooks  # noqa: E402
from bot.__main__ import settle_memory  # noqa: E402
from bot.factory import create_bot, create_dispatcher  # noqa: E402
from bot.services.connections import connect, link_person, seen_people  # noqa: E402
from bot.services.crm_payloads import System  # noqa: E402
from bot.web import create_app, serving  # noqa: E402
from models import Entry, ExternalEvent  # noqa: E402
from tests.db import migrated_database, start_postgres  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.perf.bench_logging import database_url, set_up_team  # noqa: E402

PUBLIC_URL = "https://kpi.example.com"
TIMEOUT = 120.0
EXTERNAL_USER = "crm-user-1"
TARGET_RATE = 500.0
TARGET_P99_MS = 300.0


def signed(key: str, n: int) -> tuple[bytes, str]:
    body = json.dumps(
        {"kind": "call", "external_id": f"call-{n}", "user": EXTERNAL_USER, "name": "Bench"}
    ).encode()
    return body, hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


async def send_events(url: str, key: str, first: int, count: int, senders: int) -> dict[str, float]:
    """In the sender process: post events first..first+count-1; timings and failures."""
    queue = list(range(first, first + count))
    failures = 0
    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one_sender() -> None:
            nonlocal failures
            while queue:
                body, signature = signed(key, queue.pop())
                headers = {"Content-Type": "application/json", "X-KPI-Signature": signature}
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    failures += response.status != 200

        started = time.perf_counter()
        await asyncio.gather(*(one_sender() for _ in range(senders)))
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "failures": failures}


async def people_logging(
    people: list, pause: float, stop: asyncio.Event, latencies: list[float], errors: list[str]
) -> None:
    """Each person: /call, the reply, `pause` seconds, again; until `stop`."""

    async def person_loop(person) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            started = time.perf_counter()
            reply = await person.say("/call", timeout=TIMEOUT)
            latencies.append(time.perf_counter() - started)
            if "Recorded" not in (reply.plain or ""):
                errors.append(reply.plain or "")
            await asyncio.sleep(pause)

    await asyncio.gather(*(person_loop(person) for person in people))


async def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    servers = start_postgres() if args.database == "postgresql" else None
    server = next(servers) if servers is not None else None
    try:
        async with database_url(server) as url, FakeTelegram() as tg, migrated_database(url) as db:
            bot = create_bot(tg.token, tg.base_url)
            dp = create_dispatcher(db, with_scheduler=False)
            app = create_app(db)
            hooks.install(app, dp, db, PUBLIC_URL)
            async with (
                serving(app, "127.0.0.1", 0, 5) as web,
                tg.polling(dp, bot, close_bot_session=True),
            ):
                people = await set_up_team(tg, args.people)
                async with db.write() as session:
                    team_id = await seen_team(session, people[0].id)
                    made = await connect(session, team_id, System.WEBHOOK, reset=False)
                hook_url = f"{web.base_url}/hooks/webhook/{made.token}"
                assert made.signing_key is not None
                warm = await send_events(hook_url, made.signing_key, -1, 1, 1)
                assert warm["failures"] == 0
                await applied_all(db, 1)
                async with db.write() as session:
                    (seen,) = await seen_people(session, team_id)
                    await link_person(session, team_id, seen.id, people[0].id)
                settle_memory()

                stop = asyncio.Event()
                latencies: list[float] = []
                errors: list[str] = []
                logging_task = asyncio.create_task(
                    people_logging(people, args.pause, stop, latencies, errors)
                )
                # The same people without a flood first: what the machine gives them anyway.
                await asyncio.sleep(args.quiet)
                quiet = sorted(value * 1000 for value in latencies)
                latencies.clear()
                loop_cpu, process_cpu = time.thread_time(), time.process_time()
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--sender",
                    hook_url,
                    made.signing_key,
                    str(args.events),
                    str(args.senders),
                    stdout=asyncio.subprocess.PIPE,
                )
                out, _ = await process.communicate()
                sent = json.loads(out)
                flood_over = time.perf_counter()
                await applied_all(db, args.events + 1)
                applied_after = time.perf_counter() - flood_over
                loop_cpu = time.thread_time() - loop_cpu
                process_cpu = time.process_time() - process_cpu
                stop.set()
                await logging_task
                async with db.read() as session:
                    entries = await session.scalar(
                        select(func.count()).where(Entry.source == "webhook")
                    )
    finally:
        if servers is not None:
            servers.close()
    rate = args.events / sent["elapsed"]
    ms = sorted(value * 1000 for value in latencies)
    p99 = percentile(ms, 0.99)
    print(f"python {platform.python_version()}, {args.database}, {platform.machine()}")
    print(
        f"events: {args.events} over {args.senders} connections in {sent['elapsed']:.2f} s: "
        f"{rate:.0f} stored/s; all applied {applied_after:.2f} s after the last 200; "
        f"entries {entries}"
    )
    print(f"people: {args.people} logging /call every {args.pause} s")
    print(f"  before the flood ({args.quiet:.0f} s): {latency_line(quiet)}")
    print(f"  during the flood until all applied: {latency_line(ms)}")
    print(
        f"bot process CPU from the flood's start until all applied (the people's commands and the "
        f"fake Bot API included): event loop {loop_cpu:.2f} s, all threads {process_cpu:.2f} s "
        f"= {process_cpu / args.events * 1000:.2f} ms per event, "
        f"{args.events / process_cpu:.0f} events per CPU-second"
    )
    if sent["failures"] or errors or entries != args.events + 1:
        print(f"FAILED: {sent['failures']} non-200, {len(errors)} bad replies, {entries} entries")
        return 2
    return 0 if rate >= TARGET_RATE and p99 < TARGET_P99_MS else 1


def percentile(ms: list[float], share: float) -> float:
    return ms[min(len(ms) - 1, int(len(ms) * share))]


def latency_line(ms: list[float]) -> str:
    return (
        f"{len(ms)} replies, p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} "
        f"ms, p99 {percentile(ms, 0.99):.0f} ms, max {ms[-1]:.0f} ms"
    )


async def seen_team(session, user_id: int) -> int:  # type: ignore[no-untyped-def]
    from models.user import person_by_id

    person = await person_by_id(session, user_id)
    assert person is not None and person.team_id is not None
    return person.team_id


async def applied_all(db, count: int) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + TIMEOUT
    while time.perf_counter() < deadline:
        async with db.read() as session:
            applied = await session.scalar(
                select(func.count()).where(ExternalEvent.applied_at.is_not(None))
            )
        if applied >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {applied} of {count} events applied")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--sender":
        url, key, count, senders = argv[1], argv[2], int(argv[3]), int(argv[4])
        print(json.dumps(asyncio.run(send_events(url, key, 0, count, senders))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.5, help="between a person's commands")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds logging before")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
