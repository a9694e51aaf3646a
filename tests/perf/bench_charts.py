"""Benchmark: how many team charts (10 people) per second ``bot.charts`` renders.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_charts.py [--charts 200] [--people 10] [--workers 2]

Two runs over the same N charts (each with slightly different numbers, as real weeks are):

* sequential: ``render_team_chart`` in a loop on the main thread;
* pool: every chart through ``render_png`` on a ThreadPoolExecutor(workers), all gathered at
  once from an event loop, the way the Monday report calls it (the bot itself passes a process
  pool: bench_monday.py measures that). Meanwhile a coroutine ticking every 10 ms records how
  late its wake-ups are: how much the loop stalls.

Rendering holds the GIL most of the time, so threads mostly buy a responsive event loop, not
throughput. Prints charts/second, CPU seconds per chart and the average PNG size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.charts import PersonWeek, TeamChartData, render_png, render_team_chart

FIRST = ["Ольга", "Иван", "Пётр", "Анна", "Мария", "Алексей", "Константин", "Екатерина"]
LAST = ["Смирнова", "Иванов", "Кузнецов", "Попова", "Васильева", "Петров"]
TICK = 0.01


def team(index: int, people: int) -> TeamChartData:
    members = []
    for i in range(people):
        k = index * 31 + i * 7
        members.append(
            PersonWeek(
                name=f"{FIRST[k % len(FIRST)]} {LAST[(k // 3) % len(LAST)]}",
                values={
                    "calls": 20 + k * 13 % 140,
                    "meetings": k * 5 % 21,
                    "deals": k % 7,
                    "revenue": (k * 7919 % 60_000) * 100,
                },
                targets={"calls": 120, "meetings": 12, "deals": 3, "revenue": 3_000_000},
            )
        )
    return TeamChartData(
        title=f"Отдел продаж «Север» · неделя {index + 1}",
        metric_labels={"calls": "Звонки", "meetings": "Встречи", "deals": "Сделки"},
        target_label="Цель",
        revenue_label="Выручка, ₽",
        people=members,
        language="ru",
    )


def sequential(charts: list[TeamChartData]) -> tuple[float, float, list[int]]:
    cpu, start = time.process_time(), time.perf_counter()
    sizes = [len(render_team_chart(data)) for data in charts]
    return time.perf_counter() - start, time.process_time() - cpu, sizes


async def pooled(
    charts: list[TeamChartData], workers: int
) -> tuple[float, float, list[int], list[float]]:
    late: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            late.append(loop.time() - due)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        ticking = asyncio.create_task(ticker())
        cpu, start = time.process_time(), time.perf_counter()
        pngs = await asyncio.gather(*(render_png(render_team_chart, d, pool) for d in charts))
        elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
        done.set()
        await ticking
    return elapsed, cpu_used, [len(png) for png in pngs], late


def report(name: str, n: int, elapsed: float, cpu: float, sizes: list[int]) -> None:
    print(
        f"{name:<12} {n / elapsed:6.2f} charts/s  {elapsed / n * 1000:6.0f} ms/chart wall"
        f"  {cpu / n * 1000:6.0f} ms/chart CPU  avg PNG {statistics.mean(sizes) / 1024:.0f} KiB"
        f" (max {max(sizes) / 1024:.0f} KiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=200)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    charts = [team(i, args.people) for i in range(args.charts)]
    render_team_chart(charts[0])  # warm up: imports, font cache
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {load:.2f};"
        f" {args.charts} charts x {args.people} people"
    )

    elapsed, cpu, sizes = sequential(charts)
    report("sequential", args.charts, elapsed, cpu, sizes)
    elapsed, cpu, sizes, late = asyncio.run(pooled(charts, args.workers))
    report(f"pool of {args.workers}", args.charts, elapsed, cpu, sizes)
    late_ms = sorted(x * 1000 for x in late)
    print(
        f"event loop during the pool run: {len(late)} ticks of {TICK * 1000:.0f} ms,"
        f" late by median {statistics.median(late_ms):.1f} ms,"
        f" p99 {late_ms[int(len(late_ms) * 0.99)]:.1f} ms, max {late_ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
