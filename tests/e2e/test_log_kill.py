"""kill -9 while a burst of log commands is being written, then a restart: every entry the
bot acknowledged is in the database, and no update is logged twice."""

import re
import signal
from pathlib import Path

from sqlalchemy import func, select

from bot.services.people import TelegramProfile, stored_profile
from bot.services.teams import create_team, join_by_invite
from models import Entry, UnitOfWork
from models.base import utcnow
from models.user import upsert_profile
from tests.db import migrated_database
from tests.e2e.test_process import START_TIMEOUT, start_bot
from tests.fake_telegram import BotMessage, FakeTelegram

USERS = 10
CALLS = 20
FIRST_USER_ID = 7000
MANAGER_ID = 6999
TOTAL = re.compile(r"Today in total: (\d+) calls?")


async def register(session: UnitOfWork, user_id: int, name: str) -> None:
    profile = TelegramProfile(user_id, name, None, None, "en")
    await upsert_profile(session, stored_profile(profile), now=utcnow(), in_private=True)


async def seed_team(db_url: str) -> None:
    """A manager and USERS members, as the fake's users present themselves."""
    async with migrated_database(db_url) as db, db.write() as session:
        await register(session, MANAGER_ID, "Boss")
        team = await create_team(session, MANAGER_ID, "Sales")
        assert not isinstance(team, str) and team.invite_token
        for i in range(USERS):
            await register(session, FIRST_USER_ID + i, f"U{i}")
            await join_by_invite(session, FIRST_USER_ID + i, team.invite_token, confirmed=True)


def acknowledged(messages: list[BotMessage]) -> dict[int, int]:
    """Each user's highest running total the bot has told them."""
    totals: dict[int, int] = {}
    for message in messages:
        match = TOTAL.search(message.text or "")
        if match:
            totals[message.chat_id] = max(totals.get(message.chat_id, 0), int(match.group(1)))
    return totals


async def stored(db_url: str) -> dict[int, int]:
    async with migrated_database(db_url) as db, db.read() as session:
        rows = await session.execute(
            select(Entry.user_id, func.sum(Entry.count))
            .where(Entry.deleted_at.is_(None))
            .group_by(Entry.user_id)
        )
        return {user_id: int(total) for user_id, total in rows}


async def test_kill_9_while_logging_then_restart(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    await seed_team(db_url)
    users = [fake_tg.user(FIRST_USER_ID + i, f"U{i}") for i in range(USERS)]
    process = await start_bot(fake_tg, tmp_path, db_url)
    await users[0].say("/today", timeout=START_TIMEOUT)  # up and polling
    for _ in range(CALLS):
        for user in users:
            user.send("/call")
    # Killed at the fifth reply: the first batch is committed and its replies are going out,
    # the next may be being written, the rest are queued at the server.
    for _ in range(5):
        await fake_tg.wait_for(lambda m: TOTAL.search(m.text or "") is not None, 30)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    told = acknowledged(fake_tg.messages)
    after_kill = await stored(db_url)
    assert sum(told.values()) >= 5
    for user_id, total in told.items():
        assert after_kill.get(user_id, 0) >= total, f"user {user_id}: told {total}, kept less"

    process = await start_bot(fake_tg, tmp_path, db_url)
    try:
        await fake_tg.wait_until_consumed(30)
        await users[0].say("/today", timeout=START_TIMEOUT)  # after every update before it
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    final = await stored(db_url)
    # Kept; none logged twice. Updates the bot had fetched (and so confirmed) but not yet
    # written are gone: Telegram does not send them again, and their senders were told nothing.
    for user in users:
        assert after_kill.get(user.id, 0) <= final.get(user.id, 0) <= CALLS
