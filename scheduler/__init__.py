"""APScheduler wiring: one tick a minute derives what is due from our own tables."""

import asyncio
import logging
import os
import socket
import uuid
from concurrent.futures import Executor
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sender import OutboxSender
from scheduler.jobs import run_due_work

logger = logging.getLogger(__name__)

# The lease outlives two missed ticks: a crashed holder is replaced within three minutes.
LEASE_TTL = timedelta(minutes=3)


class KpiScheduler:
    """Started in the dispatcher's startup hook and shut down in its shutdown hook."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        outbox: OutboxSender,
        executor: Executor | None = None,
    ) -> None:
        self.session_pool = session_pool
        self.outbox = outbox
        self.executor = executor
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            # Set explicitly: a tick late by under 30 s still runs, a pile-up runs once,
            # and never two at a time. Missed wall-clock work is caught up by the tick itself.
            job_defaults={"coalesce": True, "misfire_grace_time": 30, "max_instances": 1},
        )
        self._scheduler.add_job(self.tick, CronTrigger(second=0, timezone="UTC"), id="tick")
        self._scheduler.start()

    async def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._lock:  # let a running tick finish
            pass

    async def tick(self) -> int:
        async with self._lock:
            try:
                queued = await run_due_work(
                    self.session_pool, self.holder, LEASE_TTL, self.executor, self.outbox.wake
                )
            except Exception:
                logger.exception("Scheduler tick failed")
                return 0
        if queued:
            self.outbox.wake()
        return queued
