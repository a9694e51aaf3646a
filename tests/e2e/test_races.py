"""Correctness from the database, not from a lock: two dispatchers (two instances of the bot)
on one database, each person's updates NOT kept in order, the updates arriving at the same
moment. Run on SQLite and on PostgreSQL.

The updates are fed to the dispatchers directly (no polling: two pollers of one token conflict);
the bot's replies go through its real HTTP session to the fake Bot API as usual.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy import func, select

from bot.factory import create_bot, create_dispatcher
from bot.retry import RetryMiddleware
from models import Entry, Role, Team, User
from models.base import utcnow
from models.database import Database
from models.lease import take_lease
from tests.db import migrated_database
from tests.fake_telegram import BotMessage, FakeTelegram, FakeUser

ERROR = "Something went wrong"


@dataclass
class Instances:
    tg: FakeTelegram
    bot: Bot
    dbs: list[Database]
    dps: list[Dispatcher]

    def _update(self, user: FakeUser, text: str) -> Update:
        update_id = user.send(text)  # queued at the fake, which nobody polls here
        return Update.model_validate(self.tg.payload(update_id), context={"bot": self.bot})

    async def say(self, user: FakeUser, text: str, instance: int = 0) -> BotMessage:
        """One update through one instance; its reply."""
        mark = self.tg.mark()
        await self.dps[instance].feed_update(self.bot, self._update(user, text))
        return await self.tg.next_in_chat(user.id, mark, 5.0, f"{user} said {text!r}")

    async def at_once(self, *said: tuple[FakeUser, str]) -> None:
        """The updates handled at the same time, alternating between the instances."""
        updates = [self._update(user, text) for user, text in said]
        await asyncio.gather(
            *(
                self.dps[number % len(self.dps)].feed_update(self.bot, update)
                for number, update in enumerate(updates)
            )
        )

    def replies(self, user: FakeUser, since: int) -> list[str]:
        return [m.plain or "" for m in self.tg.messages[since:] if m.chat_id == user.id]

    async def count(self, query: object) -> int:
        async with self.dbs[0].read() as session:
            return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.fixture
async def instances(fake_tg: FakeTelegram, db_url: str) -> AsyncIterator[Instances]:
    bot = create_bot(fake_tg.token, fake_tg.base_url, RetryMiddleware(base_delay=0.05))
    async with AsyncExitStack() as stack:
        dbs = [await stack.enter_async_context(migrated_database(db_url)) for _ in range(2)]
        dps = [create_dispatcher(db, with_scheduler=False, in_order=False) for db in dbs]
        yield Instances(fake_tg, bot, dbs, dps)
        await bot.session.close()


async def team_with(
    run: Instances, manager: FakeUser, *members: FakeUser, name: str = "Sales"
) -> None:
    await run.say(manager, f"/newteam {name}")
    invite = await run.say(manager, "/invite")
    token = re.search(r"start=([\w-]+)", invite.plain or "")
    assert token, invite.plain
    for member in members:
        assert "You've joined" in ((await run.say(member, f"/start {token[1]}")).plain or "")


async def test_one_persons_twenty_updates_at_once(instances: Instances) -> None:
    anna, bob = instances.tg.user(1, "Anna"), instances.tg.user(2, "Bob")
    await team_with(instances, anna, bob)
    mark = instances.tg.mark()
    await instances.at_once(*[(bob, "/call")] * 20)
    replies = instances.replies(bob, mark)
    assert len(replies) == 20 and all(r.startswith("✅ Recorded: 1 call") for r in replies)
    assert await instances.count(select(func.sum(Entry.count))) == 20
    today = (await instances.say(bob, "/today", instance=1)).plain or ""
    assert "Calls: 20" in today


async def test_a_new_persons_first_burst(instances: Instances) -> None:
    carl = instances.tg.user(3, "Carl", username="carl")
    mark = instances.tg.mark()
    await instances.at_once((carl, "/start"), (carl, "/help"), (carl, "/today"), (carl, "hi"))
    replies = instances.replies(carl, mark)
    assert len(replies) == 4 and not any(ERROR in reply for reply in replies)
    assert await instances.count(select(func.count()).where(User.id == carl.id)) == 1


async def test_two_undos_at_once_remove_two_entries_once_each(instances: Instances) -> None:
    anna, bob = instances.tg.user(1, "Anna"), instances.tg.user(2, "Bob")
    await team_with(instances, anna, bob)
    for count in (1, 2, 3):
        await instances.say(bob, f"/call {count}")
    mark = instances.tg.mark()
    await instances.at_once((bob, "/undo"), (bob, "/undo"))
    assert sorted(instances.replies(bob, mark)) == [
        "↩️ Removed: 2 calls",
        "↩️ Removed: 3 calls",
    ]
    assert await instances.count(select(func.count()).where(Entry.deleted_at.is_(None))) == 1


async def test_two_newteams_at_once_make_one_team(instances: Instances) -> None:
    dora = instances.tg.user(4, "Dora")
    await instances.say(dora, "/start")
    mark = instances.tg.mark()
    await instances.at_once((dora, "/newteam North"), (dora, "/newteam South"))
    replies = instances.replies(dora, mark)
    created = [reply for reply in replies if "is created" in reply]
    assert len(replies) == 2 and len(created) == 1, replies
    # The other either saw her in no team and lost the race, or saw the new team and asks.
    other = next(reply for reply in replies if reply not in created)
    assert "Something changed in the meantime" in other or "Create «" in other, other
    assert await instances.count(select(func.count()).select_from(Team)) == 1
    empty = select(func.count()).where(
        ~Team.id.in_(select(User.team_id).where(User.team_id.is_not(None)))
    )
    assert await instances.count(empty) == 0


async def test_two_managers_demoting_each_other_keep_one_manager(instances: Instances) -> None:
    anna = instances.tg.user(1, "Anna", username="anna")
    bob = instances.tg.user(2, "Bob", username="bob")
    carl = instances.tg.user(3, "Carl", username="carl")
    await team_with(instances, anna, bob, carl)
    await instances.say(anna, "/promote @carl")
    mark = instances.tg.mark()
    await instances.at_once((anna, "/demote @carl"), (carl, "/demote @anna"))
    said = instances.replies(anna, mark) + instances.replies(carl, mark)
    # The first to get the team's lock demotes the other, who then is no manager any more.
    assert len(said) == 2 and sum("is now an employee" in reply for reply in said) == 1, said
    managers = select(func.count()).where(User.role == Role.MANAGER)
    assert await instances.count(managers) == 1


async def test_two_lease_takers_at_once_one_holds_it(instances: Instances) -> None:
    now = utcnow()

    async def take(db: Database, holder: str) -> bool:
        async with db.write() as session:
            return await take_lease(session, "scheduler", holder, now, now + timedelta(minutes=3))

    for _ in range(5):
        got = await asyncio.gather(*(take(db, f"holder-{i}") for i, db in enumerate(instances.dbs)))
        assert sorted(got) == [False, True]
        now += timedelta(minutes=5)  # expired: the next round starts from a free lease
