"""APScheduler wiring: one tick a minute derives what is due from our own tables.

Of all the instances on one database, the one holding the scheduler lease runs the jobs and
sends the outbox (every instance writes outbox rows; only the holder's sender delivers them,
so Telegram's limits hold across instances). The lease is renewed every tenth of its length;
a holder that stops releases it, and a holder that dies is replaced once it runs out.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.sender import OutboxSender
from bot.wakeup import cancelled
from models.database import Database
from scheduler.jobs import (
    hold_leadership,
    prune_processed_updates,
    release_leadership,
    run_contests,
    run_reminders,
    run_rewards,
    run_silence_check,
    run_weekly_reports,
)

logger = logging.getLogger(__name__)

# A holder that dies is replaced within LEASE_TTL + LEASE_TTL / LEASE_CHECKS_PER_TTL (33 s);
# one that stops within one check (3 s). Renewed ten times per length: a few slow writes (an
# SQLite writer waits up to 10 s for the lock) do not lose it.
LEASE_TTL = timedelta(seconds=30)
LEASE_CHECKS_PER_TTL = 10
PRUNE_EVERY = timedelta(hours=1)


class KpiScheduler:
    """Started in the dispatcher's startup hook and shut down in its shutdown hook."""

    def __init__(
        self,
        db: Database,
        outbox: OutboxSender,
        executor: Executor | None = None,
        lease_ttl: timedelta = LEASE_TTL,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.executor = executor
        self.lease_ttl = lease_ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._lease_task: asyncio.Task[None] | None = None

    def start(self, bot: Bot) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            # Set explicitly: a tick late by under 30 s still runs, a pile-up runs once,
            # and never two at a time. Missed wall-clock work is caught up by the tick itself.
            job_defaults={"coalesce": True, "misfire_grace_time": 30, "max_instances": 1},
        )
        every_minute = CronTrigger(second=0, timezone="UTC")
        self._scheduler.add_job(self.reminders, every_minute, id="reminders")
        self._scheduler.add_job(self.rewards, every_minute, id="rewards")
        # Its own job: a Monday's hour of rendering must not hold up anyone's reminder.
        self._scheduler.add_job(self.weekly, every_minute, id="weekly")
        self._scheduler.add_job(self.contests, every_minute, id="contests")
        self._scheduler.add_job(self.silence, every_minute, id="silence")
        # Also right away: an instance restarted often still prunes.
        self._scheduler.add_job(
            self.prune,
            IntervalTrigger(seconds=PRUNE_EVERY.total_seconds()),
            id="prune",
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()
        self._lease_task = asyncio.create_task(self._hold_lease(bot), name="scheduler-lease")

    async def _hold_lease(self, bot: Bot) -> None:
        """Take or renew the lease every check; send the outbox exactly while holding it."""
        loop = asyncio.get_running_loop()
        check_every = self.lease_ttl.total_seconds() / LEASE_CHECKS_PER_TTL
        held_until = float("-inf")
        while True:
            checked_at = loop.time()
            try:
                held = await hold_leadership(self.db, self.holder, self.lease_ttl)
            except Exception:
                logger.exception("Renewing the scheduler lease failed")
                held = loop.time() < held_until  # still ours until it would have run out
            else:
                if held:
                    held_until = checked_at + self.lease_ttl.total_seconds()
            if held and not self.outbox.running:
                logger.info(
                    "This instance runs the scheduler and sends the outbox (%s)", self.holder
                )
                self.outbox.start(bot)
            elif not held and self.outbox.running:
                logger.info("Another instance holds the scheduler lease: not sending the outbox")
                await self.outbox.stop()
            await asyncio.sleep(check_every)

    async def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._lease_task is not None:
            await cancelled(self._lease_task)
            self._lease_task = None
        for job in list(self._running):
            job.cancel()
        if self._running:
            await asyncio.wait(self._running, timeout=10)
        # What is in flight is settled first: the next holder's sender finds nothing of ours
        # half-sent.
        await self.outbox.stop()
        try:  # another instance takes over at its next check, not when the lease runs out
            await release_leadership(self.db, self.holder)
        except Exception:
            logger.exception("Releasing the scheduler lease failed")

    async def reminders(self) -> int:
        queued = await self._guarded(
            run_reminders(self.db, self.holder, self.lease_ttl, self.outbox.wake)
        )
        logger.debug("Reminders tick: %d queued", queued)  # every minute: DEBUG only
        return queued

    async def rewards(self) -> int:
        queued = await self._guarded(
            run_rewards(self.db, self.holder, self.lease_ttl, self.outbox.wake)
        )
        logger.debug("Small wins tick: %d queued", queued)
        return queued

    async def weekly(self) -> int:
        queued = await self._guarded(
            run_weekly_reports(
                self.db, self.holder, self.lease_ttl, self.executor, self.outbox.wake
            )
        )
        logger.debug("Weekly reports tick: %d queued", queued)
        return queued

    async def contests(self) -> int:
        queued = await self._guarded(
            run_contests(self.db, self.holder, self.lease_ttl, self.outbox.wake)
        )
        logger.debug("Contests tick: %d queued", queued)
        return queued

    async def silence(self) -> int:
        queued = await self._guarded(
            run_silence_check(self.db, self.holder, self.lease_ttl, self.outbox.wake)
        )
        logger.debug("Silent connections tick: %d queued", queued)
        return queued

    async def prune(self) -> int:
        return await self._guarded(prune_processed_updates(self.db, self.holder, self.lease_ttl))

    async def _guarded(self, work: Coroutine[Any, Any, int]) -> int:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            return await work
        except Exception:
            logger.exception("Scheduled job failed")
            return 0
        finally:
            self._running.discard(task)
