"""Two real bot processes on one database: the scheduler lease holder alone sends the outbox,
within Telegram's limits for both; a holder that stops hands over at once, one killed with
-9 is replaced once its lease runs out; nothing is sent twice or lost."""

import asyncio
import itertools
import os
import signal
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from models import OutboxMessage, OutboxStatus, Team
from models.base import utcnow
from models.database import Database
from models.lease import Lease
from scheduler.jobs import LEASE_NAME
from tests.db import migrated_database
from tests.e2e.test_process import start_bot
from tests.fake_telegram import BotMessage, FakeTelegram
from tests.people import join, new_team, register

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
# Telegram's limits, which the fake Bot API enforces with 429s (FakeTelegram(enforce_limits))
TELEGRAM_PER_SECOND = 30
GROUP = -1001


@dataclass
class Instances:
    tg: FakeTelegram
    db: Database
    processes: list[asyncio.subprocess.Process]

    async def holder_pid(self) -> int | None:
        """The process whose scheduler lease is current, if any."""
        async with self.db.read() as session:
            lease = await session.get(Lease, LEASE_NAME)
        if lease is None or lease.expires_at <= utcnow():
            return None
        return int(lease.holder.rsplit(":", 2)[1])

    async def wait_holder(self, other_than: int | None = None, within: float = 60) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pid = await self.holder_pid()
            if pid is not None and pid != other_than:
                return pid
            await asyncio.sleep(0.05)
        raise AssertionError("no instance took the scheduler lease")

    def process(self, pid: int) -> asyncio.subprocess.Process:
        [process] = [p for p in self.processes if p.pid == pid]
        return process

    async def unsent(self) -> int:
        async with self.db.read() as session:
            query = select(func.count()).where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
            )
            return await session.scalar(query) or 0

    async def wait_all_sent(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while await self.unsent():
            assert time.monotonic() < deadline, f"{await self.unsent()} never sent"
            await asyncio.sleep(0.1)

    async def statuses(self) -> dict[str, OutboxStatus]:
        async with self.db.read() as session:
            rows = await session.execute(select(OutboxMessage.text, OutboxMessage.status))
            return {text: status for text, status in rows}

    async def delivered_at_least(self, count: int) -> None:
        await self.tg.wait_for(lambda _: len(self.delivered()) >= count, timeout=60)

    def delivered(self) -> list[BotMessage]:
        return [m for m in self.tg.messages if (m.text or "").startswith("note ")]


@asynccontextmanager
async def two_instances(
    tg: FakeTelegram, tmp_path: Path, db_url: str, lease_seconds: int
) -> AsyncIterator[Instances]:
    async with migrated_database(db_url) as db:
        processes = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            processes.append(await start_bot(tg, folder, db_url, LEASE_SECONDS=str(lease_seconds)))
        try:
            yield Instances(tg, db, processes)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), 60)


async def seed(db_url: str, tg: FakeTelegram, chats: list[int]) -> None:
    """One note per entry of `chats` (a chat listed twice gets two), all due long ago."""
    for chat_id in set(chats):
        if chat_id < 0:
            tg.group(chat_id, "Sales floor")
        else:
            tg.user(chat_id, f"U{chat_id}")
    async with migrated_database(db_url) as db, db.write() as session:
        await session.execute(
            insert(OutboxMessage),
            [
                {
                    "dedup_key": f"k{i}",
                    "chat_id": chat_id,
                    "text": f"note {i}",
                    "not_before": LONG_AGO,
                    "created_at": LONG_AGO,
                }
                for i, chat_id in enumerate(chats)
            ],
        )


def busiest_second(messages: list[BotMessage]) -> int:
    times = sorted(m.time for m in messages)
    return max(
        (sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0
    )


def closest_in_one_chat(messages: list[BotMessage]) -> float:
    by_chat: dict[int, list[float]] = defaultdict(list)
    for m in messages:
        by_chat[m.chat_id].append(m.time)
    gaps = [
        later - earlier
        for times in by_chat.values()
        for earlier, later in itertools.pairwise(sorted(times))
    ]
    return min(gaps, default=float("inf"))


def assert_each_once(messages: list[BotMessage]) -> None:
    texts = [m.text for m in messages]
    assert len(texts) == len(set(texts)), "a message was delivered twice"


async def test_one_sender_for_two_instances_within_telegrams_limits(
    tmp_path: Path, db_url: str
) -> None:
    # 60 private chats, one of them with 4 messages, and a group with 4.
    chats = [6000 + i for i in range(60)] + [7000] * 4 + [GROUP] * 4
    async with FakeTelegram(enforce_limits=True) as tg:
        await seed(db_url, tg, chats)
        async with two_instances(tg, tmp_path, db_url, lease_seconds=3) as bots:
            await bots.wait_all_sent()
            await tg.expect_silence(duration=0.5)
            sent = bots.delivered()
            statuses = await bots.statuses()
        stopped = [await p.stderr.read() if p.stderr else b"" for p in bots.processes]
    assert [p.returncode for p in bots.processes] == [0, 0], stopped
    print(
        f"two instances: busiest second {busiest_second(sent)} messages, "
        f"closest two in one chat {closest_in_one_chat(sent):.3f} s apart"
    )
    assert_each_once(sent)
    assert len(sent) == len(chats)
    assert set(statuses.values()) == {OutboxStatus.SENT}
    assert tg.stats["429"] == 0
    assert busiest_second(sent) <= TELEGRAM_PER_SECOND
    assert closest_in_one_chat(sent) >= 1.0


async def test_kill_9_of_the_sending_instance(tmp_path: Path, db_url: str) -> None:
    lease_seconds = 3
    chats = [8000 + i for i in range(150)]
    async with FakeTelegram(enforce_limits=True) as tg:
        await seed(db_url, tg, chats)
        async with two_instances(tg, tmp_path, db_url, lease_seconds) as bots:
            holder = await bots.wait_holder()
            await bots.delivered_at_least(20)
            os.kill(holder, signal.SIGKILL)
            killed_at = time.monotonic()
            await bots.process(holder).wait()
            delivered_by_then = len(bots.delivered())
            successor = await bots.wait_holder(other_than=holder)
            first = await tg.wait_for(
                lambda m: (
                    (m.text or "").startswith("note ")
                    and m.seq > bots.delivered()[delivered_by_then - 1].seq
                ),
                timeout=60,
            )
            takeover = first.time - killed_at
            await bots.wait_all_sent()
            await tg.expect_silence(duration=0.5)
            sent = bots.delivered()
            statuses = await bots.statuses()
    assert successor != holder
    print(f"kill -9 of the sender: the other instance sent again {takeover:.2f} s later")
    # The lease runs out lease_seconds after its last renewal; the other instance looks every
    # tenth of that; its sender then starts (a second at most on this machine).
    assert takeover <= lease_seconds * 1.1 + 1.0
    assert_each_once(sent)
    assert tg.stats["429"] == 0
    assert busiest_second(sent) <= TELEGRAM_PER_SECOND
    # Everything pending at the kill is delivered; what the killed one had handed to Telegram
    # without hearing back is marked sent (maybe delivered), never repeated.
    assert set(statuses.values()) == {OutboxStatus.SENT}
    unconfirmed = set(statuses) - {m.text for m in sent}
    assert len(unconfirmed) <= 2, unconfirmed


async def test_a_stopped_sender_hands_over_at_once(tmp_path: Path, db_url: str) -> None:
    lease_seconds = 20  # long: a hand-over well before it runs out shows the lease was released
    chats = [9000 + i for i in range(150)]
    async with FakeTelegram(enforce_limits=True) as tg:
        await seed(db_url, tg, chats)
        async with two_instances(tg, tmp_path, db_url, lease_seconds) as bots:
            holder = await bots.wait_holder()
            await bots.delivered_at_least(20)
            bots.process(holder).send_signal(signal.SIGTERM)
            stopping_at = time.monotonic()
            await bots.wait_holder(other_than=holder)
            handover = time.monotonic() - stopping_at
            assert await asyncio.wait_for(bots.process(holder).wait(), 30) == 0
            await bots.wait_all_sent()
            await tg.expect_silence(duration=0.5)
            sent = bots.delivered()
            statuses = await bots.statuses()
    times = sorted(m.time for m in sent)
    pause = max(later - earlier for earlier, later in itertools.pairwise(times))
    print(
        f"graceful stop of the sender: the lease moved {handover:.2f} s after SIGTERM; "
        f"longest pause between two sends {pause:.2f} s"
    )
    # The stopping instance settles its sends and releases the lease; the other looks every
    # tenth of the lease. Well before the lease would have run out.
    assert handover <= lease_seconds / 10 + 3.0
    assert pause <= lease_seconds / 10 + 3.0
    assert_each_once(sent)
    assert len(sent) == len(chats)  # a graceful stop leaves nothing unconfirmed
    assert set(statuses.values()) == {OutboxStatus.SENT}
    assert tg.stats["429"] == 0
    assert busiest_second(sent) <= TELEGRAM_PER_SECOND


async def seed_team_due_for_reminders(db_url: str, tg: FakeTelegram, people: list[int]) -> None:
    """A team of `people` (the first manages it) whose daily reminder time passed two minutes
    ago: every day a working day, so the next scheduler tick queues one reminder each."""
    now = utcnow()
    due_at = (
        (now - timedelta(minutes=2)).time() if now.hour or now.minute >= 2 else clock_time(0, 0)
    )
    async with migrated_database(db_url) as db, db.write() as session:
        for user_id in people:
            tg.user(user_id, f"P{user_id}")
            await register(session, user_id, f"P{user_id}")
        team = await new_team(session, people[0], "Noon")
        for user_id in people[1:]:
            await join(session, user_id, team)
        await session.execute(
            update(Team)
            .where(Team.id == team.id)
            .values(timezone="UTC", country=None, weekdays_mask=0b1111111, reminder_time=due_at)
        )
        await session.execute(delete(OutboxMessage))  # the join notices: not this test's subject


async def test_reminders_go_out_once_each_with_kill_9_of_the_holder_midway(
    tmp_path: Path, db_url: str
) -> None:
    lease_seconds = 3
    people = [5000 + i for i in range(50)]
    async with FakeTelegram(enforce_limits=True) as tg:
        await seed_team_due_for_reminders(db_url, tg, people)

        def reminders() -> list[BotMessage]:
            return [m for m in tg.messages if m.chat_id in people]

        async with two_instances(tg, tmp_path, db_url, lease_seconds) as bots:
            holder = await bots.wait_holder()
            # The next minute's tick queues them; the holder sends about 30 a second.
            await tg.wait_for(lambda _: len(reminders()) >= 10, timeout=90)
            os.kill(holder, signal.SIGKILL)
            await bots.process(holder).wait()
            await bots.wait_holder(other_than=holder)
            await bots.wait_all_sent()
            await tg.expect_silence(duration=1.0)
            sent = reminders()
            async with bots.db.read() as session:
                rows = list(
                    await session.execute(select(OutboxMessage.chat_id, OutboxMessage.status))
                )
    print(f"kill -9 midway: {len(sent)} of {len(people)} reminders confirmed delivered")
    assert sorted(chat_id for chat_id, _ in rows) == people  # one reminder each, queued once
    assert {status for _, status in rows} == {OutboxStatus.SENT}
    by_chat = [m.chat_id for m in sent]
    assert len(by_chat) == len(set(by_chat)), "someone got their reminder twice"
    # What the killed holder had handed to Telegram without hearing back counts as sent (maybe
    # delivered), never repeated: at most the ones in flight at the kill.
    assert len(sent) >= len(people) - 2
    assert tg.stats["429"] == 0
    assert busiest_second(sent) <= TELEGRAM_PER_SECOND
