"""What the scheduler's tick does: reminders, weekly reports, held celebrations."""

import logging
from concurrent.futures import Executor
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.reminders import queue_reminders
from models import Team
from models.base import utcnow
from models.lease import take_lease

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


async def run_due_work(
    session_pool: async_sessionmaker[AsyncSession],
    holder: str,
    lease_ttl: timedelta,
    executor: Executor | None = None,
) -> int:
    """One pass over every team; only the lease holder works. Returns messages queued."""
    now = utcnow()
    async with session_pool() as session:
        if not await take_lease(session, LEASE_NAME, holder, now, lease_ttl):
            return 0
        team_ids = list((await session.scalars(select(Team.id).order_by(Team.id))).all())
    queued = 0
    for team_id in team_ids:
        async with session_pool() as session:
            team = await session.get(Team, team_id)
            if team is None:
                continue
            try:
                queued += await queue_reminders(session, team, now)
                await session.commit()
            except Exception:
                logger.exception("Scheduled work for team %s failed", team_id)
                await session.rollback()
    return queued
