"""Benchmark: bot-side time of /bonus on the year of data of bench_reports.py.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_bonus.py [--teams 50] [--people 20] [--days 365]
        [--samples 200] [--reuse] [--today YYYY-MM-DD] [--show] [--database sqlite|postgresql]

The database is bench_reports.py's (the same seeding and cache, 50 teams × 20 people, about a
million entries), and every team gets a bonus scheme from a year back: 500 ₽ a deal, 5 % of
revenue up to the plan and 8 % above it, paid from 80 % of the plan, at most 150 000 ₽; and a
change waiting for next month (so the reply names both). Measured exactly as bench_reports.py
measures (the production Dispatcher fed with `dp.feed_update`, replies kept, not sent):
"/bonus (employee)" is an employee's own payout with its arithmetic and what-if deal,
"/bonus (manager)" a manager's list of the whole team and their own, alternately. The exit
code is 1 when a median is over --target ms (50).
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from aiogram.types import Update  # noqa: E402

from tests.perf import bench_reports as reports  # noqa: E402

EMPLOYEE = "/bonus (employee)"
MANAGER = "/bonus (manager)"
PER_DEAL = 500 * 100
TIERS = "0:500 100:800"
THRESHOLD = 80
CAP = 150_000 * 100


class BonusFeeder(reports.Feeder):
    """/bonus from employees across the teams, and from the managers."""

    def update(self, text: str, team: int, person: int) -> Update:
        return super().update("/bonus", team, person)

    def who(self, command: str, index: int) -> tuple[int, int]:
        team = index % self.shape.teams + 1
        if command == EMPLOYEE:
            return team, 1 + (index // self.shape.teams) % (self.shape.people - 1)
        return team, 0


def add_schemes(path: Path, shape: reports.Shape) -> None:
    """Each team's scheme from a year back and a change from next month (idempotent: one
    scheme per team and month)."""
    this_month = shape.today.replace(day=1)
    year_back = (this_month - timedelta(days=365)).replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    created = reports.Formats().instant(datetime.combine(year_back, datetime.min.time(), UTC))
    rows: list[tuple[object, ...]] = []
    for team in range(1, shape.teams + 1):
        manager = shape.user_id(team, 0)
        rows.append(
            (team, year_back.isoformat(), PER_DEAL, TIERS, THRESHOLD, CAP, manager, created)
        )
        rows.append((team, next_month.isoformat(), PER_DEAL * 2, TIERS, 0, None, manager, created))
    db = sqlite3.connect(path)
    try:
        with db:
            db.executemany(
                "INSERT OR IGNORE INTO bonus_schemes (team_id, starts_on, per_deal_kopecks,"
                " tiers, threshold_percent, cap_kopecks, created_by_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    finally:
        db.close()


def main() -> int:
    prepare = reports.prepare_database

    def prepare_with_schemes(shape: reports.Shape, reuse: bool) -> Path:
        cached = prepare(shape, reuse)
        add_schemes(cached, shape)
        return cached

    reports.prepare_database = prepare_with_schemes
    reports.COMMANDS = (EMPLOYEE, MANAGER)
    reports.Feeder = BonusFeeder  # type: ignore[misc]
    return reports.main()


if __name__ == "__main__":
    sys.exit(main())
