"""The outbox against a fake Bot API answering 429, 500 and 403."""

import asyncio
import contextlib
import itertools
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.sender import OutboxSender
from bot.services.outbox import enqueue
from models import OutboxMessage, OutboxStatus, User
from models.base import utcnow
from tests.db import migrated_database
from tests.e2e.conftest import RunningBot
from tests.fake_telegram import FakeTelegram


async def queue(kpi: RunningBot, *messages: tuple[str, int, str]) -> None:
    async with kpi.db.write() as session:
        for key, chat_id, text in messages:
            await enqueue(session, key, chat_id, text=text, user_id=chat_id)


async def statuses(kpi: RunningBot) -> dict[str, OutboxStatus]:
    async with kpi.db.read() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    return {row.dedup_key: row.status for row in rows}


def delivered(kpi: RunningBot, text: str) -> int:
    return sum(1 for m in kpi.tg.messages if m.text == text)


async def register(kpi: RunningBot, *ids: int) -> None:
    for user_id in ids:
        await kpi.tg.user(user_id, f"U{user_id}").say("/start")


async def test_429_500_and_403_end_exactly_once_or_inactive(kpi: RunningBot) -> None:
    await register(kpi, 11, 12, 13)
    kpi.tg.fail_next("sendMessage", 429, retry_after=1)
    kpi.tg.fail_next("sendMessage", 500, times=2)
    kpi.tg.user(13, "U13").block()
    await queue(kpi, ("a", 11, "hello 11"), ("b", 12, "hello 12"), ("c", 13, "hello 13"))
    kpi_outbox_wake(kpi)
    for text in ("hello 11", "hello 12"):
        await kpi.tg.wait_for(lambda m, text=text: m.text == text, timeout=15)
    expected = {"a": OutboxStatus.SENT, "b": OutboxStatus.SENT, "c": OutboxStatus.DROPPED}
    deadline = time.monotonic() + 10
    # The delivery is marked right after Telegram answers: wait for the marks to settle.
    while await statuses(kpi) != expected:
        assert time.monotonic() < deadline, await statuses(kpi)
        await kpi.tg.expect_silence(13, 0.1)
    assert (delivered(kpi, "hello 11"), delivered(kpi, "hello 12"), delivered(kpi, "hello 13")) == (
        1,
        1,
        0,
    )
    async with kpi.db.read() as session:
        blocked = await session.get(User, 13)
        assert blocked is not None and blocked.blocked_bot
    # Writing to the bot again makes them reachable.
    kpi.tg.user(13, "U13").unblock()
    await kpi.tg.user(13, "U13").say("/help")
    async with kpi.db.read() as session:
        back = await session.get(User, 13)
        assert back is not None and not back.blocked_bot


async def test_per_chat_pace_and_dedup(kpi: RunningBot) -> None:
    await register(kpi, 21)
    await queue(kpi, ("x1", 21, "one"), ("x2", 21, "two"), ("x3", 21, "three"), ("x1", 21, "dup"))
    kpi_outbox_wake(kpi)
    for text in ("one", "two", "three"):
        await kpi.tg.wait_for(lambda m, text=text: m.text == text, timeout=10)
    sent = [m for m in kpi.tg.messages if m.chat_id == 21 and m.text in ("one", "two", "three")]
    gaps = [b.time - a.time for a, b in itertools.pairwise(sent)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert delivered(kpi, "dup") == 0
    assert kpi.tg.stats["429"] == 0


def kpi_outbox_wake(kpi: RunningBot) -> None:
    kpi.outbox.wake()


async def test_chart_photos_are_sent_with_their_caption(kpi: RunningBot) -> None:
    await register(kpi, 31)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    async with kpi.db.write() as session:
        await enqueue(session, "chart", 31, text="Last week", photo=png, user_id=31)
    kpi.outbox.wake()
    sent = await kpi.tg.wait_for(lambda m: m.chat_id == 31 and m.photo is not None, timeout=10)
    assert (sent.photo, sent.text) == (png, "Last week")


async def test_two_senders_on_one_database_send_each_message_once(
    fake_tg: FakeTelegram, db_url: str
) -> None:
    """Two instances' outbox senders at the same rows: the claim decides who sends each."""
    chats = list(range(500, 540))
    async with AsyncExitStack() as stack:
        dbs = [await stack.enter_async_context(migrated_database(db_url)) for _ in range(2)]
        async with dbs[0].write() as session:
            for chat_id in chats:
                fake_tg.user(chat_id, f"U{chat_id}")
                await enqueue(session, f"note:{chat_id}", chat_id, text=f"note {chat_id}")
        senders = [OutboxSender(db, idle_poll=0.05) for db in dbs]
        bots = [fake_tg.make_bot() for _ in senders]
        for sender, bot in zip(senders, bots, strict=True):
            sender.start(bot)
        try:
            for chat_id in chats:
                await fake_tg.wait_for(lambda m, c=chat_id: m.chat_id == c, timeout=20)
            await fake_tg.expect_silence(duration=0.5)
        finally:
            for sender, bot in zip(senders, bots, strict=True):
                await sender.stop()
                await bot.session.close()
    texts = sorted(m.text or "" for m in fake_tg.messages if (m.text or "").startswith("note "))
    assert texts == sorted(f"note {chat_id}" for chat_id in chats)


async def test_a_new_sender_counts_the_last_minutes_sends_of_the_previous_one(
    fake_tg: FakeTelegram, db_url: str
) -> None:
    """A hand-over between instances: the lease's new holder starts its sender just after the
    old one's last sends; Telegram still counts those, and so does the new sender."""
    group, busy, idle = -1002, 41, 42
    fake_tg.group(group, "Floor")
    fake_tg.user(busy, "Busy")
    fake_tg.user(idle, "Idle")
    async with migrated_database(db_url) as db:
        now = utcnow()
        async with db.write() as session:
            # The previous holder: 20 in the group over the last minute, the oldest 59.2 s ago;
            # one to `busy` 0.3 s ago.
            sent = [(group, now - timedelta(seconds=59.2 - i)) for i in range(20)]
            sent.append((busy, now - timedelta(seconds=0.3)))
            for i, (chat_id, moment) in enumerate(sent):
                session.add(
                    OutboxMessage(
                        dedup_key=f"old{i}",
                        chat_id=chat_id,
                        text="old",
                        status=OutboxStatus.SENT,
                        not_before=moment,
                        sent_at=moment,
                    )
                )
            for chat_id in (group, busy, idle):
                await enqueue(session, f"new{chat_id}", chat_id, text=f"new {chat_id}")
        sender = OutboxSender(db, idle_poll=0.05)
        bot = fake_tg.make_bot()
        started, started_at = time.monotonic(), utcnow()
        sender.start(bot)
        try:
            arrived = {
                chat_id: (await fake_tg.wait_for(lambda m, c=chat_id: m.chat_id == c, 10)).time
                for chat_id in (idle, busy, group)
            }
        finally:
            await sender.stop()
            await bot.session.close()

    def after_now(chat_id: int) -> float:
        return (started_at - now).total_seconds() + arrived[chat_id] - started

    assert arrived[idle] - started < 0.5  # nothing held it
    assert after_now(busy) >= -0.3 + 1.0  # a second after the old one's
    assert after_now(group) >= -59.2 + 60 - 0.05  # 20 a minute in a group


async def ends_within(work: Coroutine[Any, Any, None], seconds: float) -> bool:
    """Whether `work` ends by itself within `seconds` (not cancelled at the end of them, as
    asyncio.wait_for would: a stop() that swallows that cancellation would look like success)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait([task], timeout=seconds)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return bool(done)


async def test_a_sender_stopped_as_it_is_woken_stops(fake_tg: FakeTelegram, db_url: str) -> None:
    """A stop that comes with a wake-up (new rows committed as the instance shuts down, or
    as it loses the lease) ends the sender, and the next start sends again."""
    fake_tg.user(61, "Late")
    async with migrated_database(db_url) as db:
        sender = OutboxSender(db, idle_poll=30)
        bot = fake_tg.make_bot()
        try:
            for _ in range(3):
                sender.start(bot)
                await asyncio.sleep(0.2)  # settled, asleep until woken
                sender.wake()
                assert await ends_within(sender.stop(), 5)
                assert not sender.running
            async with db.write() as session:
                await enqueue(session, "late", 61, text="after the stops")
            sender.start(bot)
            sender.wake()
            assert (await fake_tg.wait_for(lambda m: m.chat_id == 61, 5)).text == "after the stops"
        finally:
            await sender.stop()
            await bot.session.close()
