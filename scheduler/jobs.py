"""What the scheduler's tick does: reminders, weekly reports, held celebrations, contest posts,
small wins."""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.outgoing.celebrations import post_held
from bot.outgoing.connections import tell_silent
from bot.outgoing.contests import post_stage
from bot.outgoing.reminders import queue_reminders
from bot.outgoing.rewards import DigestTaken, close_team_day, digest_due, post_digest
from bot.outgoing.weekly import render_weekly_reports, store_weekly_reports
from bot.services.achievements import CATCH_UP, days_to_close, last_closed_days
from bot.services.celebrations import quiet_now
from bot.services.contests import due_stages
from bot.services.periods import DateRange, Period, period_range
from bot.services.reminders import local_fire_time
from bot.services.weekly import plan_weekly_reports
from models import TeamInfo
from models.base import utcnow
from models.contest import contests_to_post
from models.database import Database
from models.lease import release_lease, take_lease
from models.processed_update import forget_processed_before
from models.team import all_teams, team_by_id
from models.team_rewards import Rewards, all_team_rewards

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A weekly report missed (bot down) by less than this is still sent once.
REPORT_GRACE = timedelta(hours=3)
# Charts are rendered ahead, from this long after the report day starts, and queued to go
# out at the report time: rendering a thousand teams takes longer than sending them.
PREPARE_FROM = timedelta(minutes=5)
REPORT_TEAMS_AT_ONCE = 4
# Telegram keeps an undelivered update for 24 hours at most (getUpdates and webhook retries
# alike); ids are remembered a week, well past any redelivery.
PROCESSED_UPDATES_KEPT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ReportDue:
    week: DateRange
    send_at: datetime


def report_due(team: TeamInfo, now: datetime) -> ReportDue | None:
    """Last full Monday-Sunday week's report, from early on the report day until the grace."""
    now_local = now.astimezone(ZoneInfo(team.timezone))
    if now_local.weekday() != team.report_weekday:
        return None
    send_at = local_fire_time(now_local, team.report_time)
    day_start = local_fire_time(now_local, time(0, 0))
    if not day_start + PREPARE_FROM <= now_local < send_at + REPORT_GRACE:
        return None
    week = period_range(Period.WEEK, now_local.date() - timedelta(days=7))
    return ReportDue(week, send_at)


async def weekly_reports(
    db: Database, team_id: int, due: ReportDue, executor: Executor | None
) -> int:
    async with db.read() as session:
        team = await team_by_id(session, team_id)
        plan = await plan_weekly_reports(session, team, due.week) if team else None
    if plan is None:
        return 0
    # Rendering happens between two units of work: nothing is held meanwhile.
    outgoing = await render_weekly_reports(plan, executor)
    async with db.write() as session:
        return await store_weekly_reports(session, outgoing, not_before=due.send_at)


async def hold_leadership(db: Database, holder: str, lease_ttl: timedelta) -> bool:
    """Take the scheduler lease, or renew it; True while `holder` has it."""
    now = utcnow()
    async with db.write() as session:
        return await take_lease(session, LEASE_NAME, holder, now, now + lease_ttl)


async def teams_if_leader(db: Database, holder: str, lease_ttl: timedelta) -> list[TeamInfo] | None:
    if not await hold_leadership(db, holder, lease_ttl):
        return None
    async with db.read() as session:
        return await all_teams(session)


async def release_leadership(db: Database, holder: str) -> None:
    async with db.write() as session:
        await release_lease(session, LEASE_NAME, holder, utcnow())


async def prune_processed_updates(db: Database, holder: str, lease_ttl: timedelta) -> int:
    """Forget update ids older than PROCESSED_UPDATES_KEPT (the lease holder, hourly); returns
    how many."""
    if not await hold_leadership(db, holder, lease_ttl):
        return 0
    async with db.write() as session:
        return await forget_processed_before(session, utcnow() - PROCESSED_UPDATES_KEPT)


async def run_reminders(
    db: Database,
    holder: str,
    lease_ttl: timedelta,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """Due reminders of every team, then celebrations held through quiet hours."""
    teams = await teams_if_leader(db, holder, lease_ttl)
    if teams is None:
        return 0
    now = utcnow()
    queued = 0
    for team in teams:
        try:
            async with db.write() as session:
                queued += await queue_reminders(session, team, now)
        except Exception:
            logger.exception("Reminders for team %s failed", team.id)
    async with db.write() as session:
        queued += await post_held(session, now)
    if queued and on_queued is not None:
        on_queued()
    return queued


async def run_rewards(
    db: Database,
    holder: str,
    lease_ttl: timedelta,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """Small wins: each team's days looked at once they are over (those missed while the bot
    was down too, oldest first), then the digests due."""
    teams = await teams_if_leader(db, holder, lease_ttl)
    if teams is None:
        return 0
    now = utcnow()
    async with db.read() as session:
        rewards = await all_team_rewards(session)
        # A day more than CATCH_UP: time zones are a day apart at most.
        closed = await last_closed_days(session, (now - CATCH_UP - timedelta(days=1)).date())
    queued = 0
    for team in teams:
        chosen = rewards.get(team.id, Rewards())
        try:
            for closing in days_to_close(team, closed.get(team.id), now):
                async with db.write() as session:
                    queued += await close_team_day(session, team, chosen, closing, now)
            day = digest_due(team, chosen, now)
            if day is not None:
                async with db.write() as session:
                    queued += await post_digest(session, team, chosen, day, now)
        except DigestTaken:
            pass  # another unit of work queued it; this one's marks were rolled back
        except Exception:
            logger.exception("Small wins for team %s failed", team.id)
    if queued and on_queued is not None:
        on_queued()
    return queued


async def run_weekly_reports(
    db: Database,
    holder: str,
    lease_ttl: timedelta,
    executor: Executor | None = None,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """Weekly charts of every team whose report is due (a long job on a busy Monday)."""
    teams = await teams_if_leader(db, holder, lease_ttl)
    if teams is None:
        return 0
    now = utcnow()
    # Several teams at a time: one team's queries overlap another's rendering.
    turns = asyncio.Semaphore(REPORT_TEAMS_AT_ONCE)

    async def report(team: TeamInfo, due: ReportDue) -> int:
        async with turns:
            try:
                count = await weekly_reports(db, team.id, due, executor)
            except Exception:
                logger.exception("Weekly report for team %s failed", team.id)
                return 0
        if count and on_queued is not None:
            on_queued()
        return count

    dues = [(team, due) for team in teams if (due := report_due(team, now)) is not None]
    return sum(await asyncio.gather(*(report(team, due) for team, due in dues)))


async def run_contests(
    db: Database,
    holder: str,
    lease_ttl: timedelta,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """Contest posts now due (kick-off, mid-way, final), outside each team's quiet hours."""
    teams = await teams_if_leader(db, holder, lease_ttl)
    if teams is None:
        return 0
    by_id = {team.id: team for team in teams}
    now = utcnow()
    async with db.read() as session:
        contests = await contests_to_post(session)
    queued = 0
    for contest in contests:
        team = by_id.get(contest.team_id)
        if team is None or quiet_now(team, now):
            continue
        stages = due_stages(contest, team, now)
        if not stages:
            continue
        try:
            async with db.write() as session:
                queued += await post_stage(session, team, contest.id, stages, now)
        except Exception:
            logger.exception("Contest %s post failed", contest.id)
    if queued and on_queued is not None:
        on_queued()
    return queued


async def run_silence_check(
    db: Database,
    holder: str,
    lease_ttl: timedelta,
    on_queued: Callable[[], None] | None = None,
) -> int:
    """Connections gone silent, told to their managers once per silence (by the outbox key)."""
    if not await hold_leadership(db, holder, lease_ttl):
        return 0
    async with db.write() as session:
        queued = await tell_silent(session, utcnow())
    if queued and on_queued is not None:
        on_queued()
    return queued


async def run_due_work(
    db: Database, holder: str, lease_ttl: timedelta, executor: Executor | None = None
) -> int:
    """Everything due now, in one pass (what a minute's ticks do); returns messages queued."""
    queued = await run_reminders(db, holder, lease_ttl)
    queued += await run_contests(db, holder, lease_ttl)
    queued += await run_rewards(db, holder, lease_ttl)
    queued += await run_silence_check(db, holder, lease_ttl)
    return queued + await run_weekly_reports(db, holder, lease_ttl, executor)
