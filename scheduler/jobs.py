"""What the scheduler's tick does: reminders, weekly reports, held celebrations."""

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.celebrations import flush_due
from bot.services.periods import DateRange, Period, period_range
from bot.services.reminders import is_due, queue_reminders
from bot.services.weekly import plan_weekly_reports, render_weekly_reports, store_weekly_reports
from models import Team
from models.base import utcnow
from models.lease import take_lease

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A weekly report missed (bot down) by less than this is still sent once.
REPORT_GRACE = timedelta(hours=3)


def report_week_due(team: Team, now: datetime) -> DateRange | None:
    """The last full Monday-Sunday week, when the team's report time has come today."""
    now_local = now.astimezone(ZoneInfo(team.timezone))
    if now_local.weekday() != team.report_weekday:
        return None
    if not is_due(now_local, team.report_time, REPORT_GRACE):
        return None
    return period_range(Period.WEEK, now_local.date() - timedelta(days=7))


async def weekly_reports(
    session_pool: async_sessionmaker[AsyncSession],
    team_id: int,
    week: DateRange,
    executor: Executor | None,
) -> int:
    async with session_pool() as session:
        team = await session.get(Team, team_id)
        plan = await plan_weekly_reports(session, team, week) if team else None
    if plan is None:
        return 0
    # Rendering happens with no session open: on SQLite a session holds the write turn.
    outgoing = await render_weekly_reports(plan, executor)
    async with session_pool() as session:
        queued = await store_weekly_reports(session, outgoing)
        await session.commit()
    return queued


async def run_due_work(
    session_pool: async_sessionmaker[AsyncSession],
    holder: str,
    lease_ttl: timedelta,
    executor: Executor | None = None,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """One pass over every team; only the lease holder works. Returns messages queued."""
    now = utcnow()
    async with session_pool() as session:
        if not await take_lease(session, LEASE_NAME, holder, now, lease_ttl):
            return 0
        teams = list((await session.scalars(select(Team).order_by(Team.id))).all())
    queued = 0
    for team in teams:
        try:
            async with session_pool() as session:
                queued += await queue_reminders(session, team, now)
                await session.commit()
            week = report_week_due(team, now)
            if week is not None:
                queued += await weekly_reports(session_pool, team.id, week, executor)
        except Exception:
            logger.exception("Scheduled work for team %s failed", team.id)
        if queued and on_queued is not None:
            on_queued()  # let the sender start while later teams are still being prepared
    async with session_pool() as session:
        queued += await flush_due(session, now)
        await session.commit()
    return queued
