"""The log an admin reads: quiet at the default level (no line per update, nothing every
minute from the scheduler), the detail with LOG_LEVEL=DEBUG."""

import asyncio
import logging
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.__main__ import CHATTY_LOGGERS, configure_logging
from bot.config import Settings
from bot.sender import OutboxSender
from scheduler import KpiScheduler
from tests.db import migrated_database
from tests.e2e.test_process import start_bot
from tests.fake_telegram import FakeTelegram

DEFAULT_LEVEL = Settings.model_fields["log_level"].default
EVERY_MINUTE = ("reminders", "weekly")
TOKEN = "42:TEST-TOKEN-NEVER-USED"


@pytest.fixture
def restored_levels() -> Iterator[None]:
    names = ["", *CHATTY_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def run_ticks(db_url: str, ticks: int, caplog: pytest.LogCaptureFixture) -> None:
    """The real scheduler, its two every-minute jobs made due now, `ticks` times each; the
    log captured from its start (the migration before it says what it did)."""
    async with migrated_database(db_url) as db:
        caplog.clear()
        scheduler = KpiScheduler(db, OutboxSender(db))
        scheduler.start(Bot(TOKEN))  # no request is made: nothing is queued to send
        aps = scheduler._scheduler
        assert aps is not None
        executed: list[str] = []
        ran = asyncio.Event()

        def count(event: JobExecutionEvent) -> None:
            if event.job_id in EVERY_MINUTE:
                executed.append(event.job_id)
                ran.set()

        aps.add_listener(count, EVENT_JOB_EXECUTED)
        for tick in range(1, ticks + 1):
            for job_id in EVERY_MINUTE:
                aps.modify_job(job_id, next_run_time=datetime.now(UTC))
            while len(executed) < 2 * tick:
                ran.clear()
                await asyncio.wait_for(ran.wait(), 10)
        await scheduler.shutdown()


@pytest.mark.usefixtures("restored_levels")
async def test_scheduler_ticks_write_nothing_at_the_default_level(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert DEFAULT_LEVEL == "INFO"
    configure_logging(DEFAULT_LEVEL)
    await run_ticks(db_url, 3, caplog)
    # Once, at start: which instance took the scheduler. Nothing for the ticks themselves.
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if not m.startswith("This instance runs the scheduler")] == []


@pytest.mark.usefixtures("restored_levels")
async def test_scheduler_ticks_are_told_at_debug(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("debug")
    await run_ticks(db_url, 2, caplog)
    messages = [record.getMessage() for record in caplog.records]
    ticks = [m for m in messages if "reminders" in m or "weekly" in m]
    assert sum("Running job" in message for message in ticks) == 4
    assert sum("executed successfully" in message for message in ticks) == 4
    assert messages.count("Reminders tick: 0 queued") == 2


async def chat_with_process(tg: FakeTelegram, tmp_path: Path, db_url: str, **env: str) -> str:
    """A user's few messages to `python -m bot`; what it wrote to its log."""
    process = await start_bot(tg, tmp_path, db_url, output=asyncio.subprocess.PIPE, **env)
    try:
        anna = tg.user(1001, "Anna")
        await anna.say("/start", timeout=30)
        await anna.say("/newteam Sales")
        for _ in range(5):
            await anna.say("/call")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return err.decode()


async def test_updates_are_not_logged_one_by_one_by_default(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    log = await chat_with_process(fake_tg, tmp_path, db_url)
    assert "Update id=" not in log and "aiogram.event" not in log
    assert "Polling stopped" in log  # what is worth telling still is


async def test_log_level_debug_shows_each_update(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    log = await chat_with_process(fake_tg, tmp_path, db_url, LOG_LEVEL="DEBUG")
    assert log.count(" is handled. Duration ") >= 7
