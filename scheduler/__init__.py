"""APScheduler wiring: one tick a minute derives what is due from our own tables."""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.sender import OutboxSender
from models.database import Database
from scheduler.jobs import release_leadership, run_reminders, run_weekly_reports

logger = logging.getLogger(__name__)

# The lease outlives two missed ticks: a crashed holder is replaced within three minutes.
LEASE_TTL = timedelta(minutes=3)


class KpiScheduler:
    """Started in the dispatcher's startup hook and shut down in its shutdown hook."""

    def __init__(
        self, db: Database, outbox: OutboxSender, executor: Executor | None = None
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.executor = executor
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            # Set explicitly: a tick late by under 30 s still runs, a pile-up runs once,
            # and never two at a time. Missed wall-clock work is caught up by the tick itself.
            job_defaults={"coalesce": True, "misfire_grace_time": 30, "max_instances": 1},
        )
        every_minute = CronTrigger(second=0, timezone="UTC")
        self._scheduler.add_job(self.reminders, every_minute, id="reminders")
        # Its own job: a Monday's hour of rendering must not hold up anyone's reminder.
        self._scheduler.add_job(self.weekly, every_minute, id="weekly")
        self._scheduler.start()

    async def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for job in list(self._running):
            job.cancel()
        if self._running:
            await asyncio.wait(self._running, timeout=10)
        try:  # another instance takes over at its next tick, not when the lease runs out
            await release_leadership(self.db, self.holder)
        except Exception:
            logger.exception("Releasing the scheduler lease failed")

    async def reminders(self) -> int:
        queued = await self._guarded(
            run_reminders(self.db, self.holder, LEASE_TTL, self.outbox.wake)
        )
        logger.debug("Reminders tick: %d queued", queued)  # every minute: DEBUG only
        return queued

    async def weekly(self) -> int:
        queued = await self._guarded(
            run_weekly_reports(self.db, self.holder, LEASE_TTL, self.executor, self.outbox.wake)
        )
        logger.debug("Weekly reports tick: %d queued", queued)
        return queued

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
