"""Benchmark: the memory of `python -m bot` (its whole process tree: chart workers included), at
rest and while people ask for charts, against the fake Bot API.

    python tests/perf/bench_memory.py [--charts 1000] [--every 100]

At rest: after start-up, a team set up and its first commands answered, before any chart.
Then `/chart` and `/teamchart` alternately, the tree's RSS printed every `--every` charts: it
should level off (the worker's fonts and caches are made once), not grow with the count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.fake_telegram import FakeTelegram  # noqa: E402

SETTLE_SECONDS = 5.0


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree(pid: int) -> list[int]:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    found = [pid]
    for child in children:
        found.extend(tree(int(child)))
    return found


def tree_mb(pid: int) -> tuple[float, int]:
    pids = tree(pid)
    total = 0
    for each in pids:
        try:
            total += rss_kib(each)
        except FileNotFoundError:  # ended meanwhile
            pass
    return total / 1024, len(pids)


async def main(args: argparse.Namespace) -> None:
    async with FakeTelegram() as tg:
        folder = Path(tempfile.mkdtemp(prefix="kpi-mem-"))
        env = {
            **os.environ,
            "BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'kpi.db'}",
            "PYTHONPATH": str(PROJECT_ROOT),
            "LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=folder, env=env
        )
        try:
            anna = tg.user(1001, "Anna", username="anna", language_code="ru")
            bob = tg.user(1002, "Bob", username="bob", language_code="ru")
            await anna.say("/start", timeout=120)
            await anna.say("/newteam Продажи")
            invite = (await anna.say("/invite")).plain or ""
            token = invite.rsplit("start=", 1)[1].split()[0]
            await bob.say(f"/start {token}")
            for text in ("/call 12", "/meeting 2", "/lead 3", "/deal 15000", "/today", "/month"):
                await bob.say(text)
            await asyncio.sleep(SETTLE_SECONDS)
            at_rest, processes = tree_mb(process.pid)
            print(f"at rest: {at_rest:.1f} MB RSS ({processes} process(es))", flush=True)
            started = time.perf_counter()
            for number in range(1, args.charts + 1):
                await (bob.say("/chart") if number % 2 else anna.say("/teamchart", timeout=60))
                if number % args.every == 0 or number == 1:
                    mb, processes = tree_mb(process.pid)
                    rate = number / (time.perf_counter() - started)
                    print(
                        f"after {number:>5} charts: {mb:.1f} MB RSS ({processes} processes;"
                        f" {rate:.1f} charts/s)",
                        flush=True,
                    )
        finally:
            process.terminate()
            await process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    asyncio.run(main(parser.parse_args()))
