"""kill -9 while a burst of log commands is being written, then a restart: every entry the
bot acknowledged is in the database, and no update is logged twice."""

import re
import signal
import sqlite3
from pathlib import Path

from bot.db import create_engine, create_session_pool, migrate
from bot.services.people import TelegramProfile, sync_user
from bot.services.teams import create_team, join_by_invite
from tests.e2e.test_process import start_bot
from tests.fake_telegram import BotMessage, FakeTelegram

USERS = 10
CALLS = 20
FIRST_USER_ID = 7000
TOTAL = re.compile(r"Today in total: (\d+) calls?")


async def seed_team(db: Path) -> None:
    """A manager and USERS members, as the fake's users present themselves."""
    url = f"sqlite+aiosqlite:///{db}"
    await migrate(url)
    engine = create_engine(url)
    async with create_session_pool(engine)() as session:
        manager, _ = await sync_user(session, TelegramProfile(6999, "Boss", None, None, "en"))
        team = await create_team(session, manager, "Sales")
        for i in range(USERS):
            profile = TelegramProfile(FIRST_USER_ID + i, f"U{i}", None, None, "en")
            user, _ = await sync_user(session, profile)
            await join_by_invite(session, user, None, team.invite_token, confirmed=True)
        await session.commit()
    await engine.dispose()


def acknowledged(messages: list[BotMessage]) -> dict[int, int]:
    """Each user's highest running total the bot has told them."""
    totals: dict[int, int] = {}
    for message in messages:
        match = TOTAL.search(message.text or "")
        if match:
            totals[message.chat_id] = max(totals.get(message.chat_id, 0), int(match.group(1)))
    return totals


def stored(db: Path) -> dict[int, int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select user_id, sum(count) from entries where deleted_at is null group by user_id"
        )
        return {user_id: total for user_id, total in rows}


async def test_kill_9_while_logging_then_restart(fake_tg: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "db" / "kpi.db"
    db.parent.mkdir(parents=True)
    await seed_team(db)
    users = [fake_tg.user(FIRST_USER_ID + i, f"U{i}") for i in range(USERS)]
    process = await start_bot(fake_tg, tmp_path)
    await users[0].say("/today", timeout=30)  # up and polling
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
    after_kill = stored(db)
    assert sum(told.values()) >= 5
    for user_id, total in told.items():
        assert after_kill.get(user_id, 0) >= total, f"user {user_id}: told {total}, kept less"

    process = await start_bot(fake_tg, tmp_path)
    try:
        await fake_tg.wait_until_consumed(30)
        await users[0].say("/today", timeout=30)  # after every update before it
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    final = stored(db)
    # Kept; none logged twice. Updates the bot had fetched (and so confirmed) but not yet
    # written are gone: Telegram does not send them again, and their senders were told nothing.
    for user in users:
        assert after_kill.get(user.id, 0) <= final.get(user.id, 0) <= CALLS
