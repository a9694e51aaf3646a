"""Time travel: the clock is frozen and moved by the test; the scheduler's tick runs for real."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.entries import record_entry
from bot.services.parsing import parse_entry
from bot.services.people import TelegramProfile, sync_user
from bot.services.targets import parse_target_command, set_target
from bot.services.teams import create_team, join_by_invite
from models import EntryKind, OutboxMessage, Team, User, Vacation
from models.base import Clock
from models.outbox import due_messages
from scheduler.jobs import run_due_work

TTL = timedelta(minutes=3)


async def seed(
    pool: async_sessionmaker[AsyncSession], timezone: str = "Europe/Moscow", lang: str = "en"
) -> None:
    async with pool() as session:
        anna, _ = await sync_user(session, TelegramProfile(1, "Anna", None, "anna", lang))
        bob, _ = await sync_user(session, TelegramProfile(2, "Bob", None, "bob", lang))
        team = await create_team(session, anna, "Sales")
        team.timezone = timezone
        assert team.invite_token
        await join_by_invite(session, bob, None, team.invite_token, confirmed=False)
        await session.commit()


async def reminders(pool: async_sessionmaker[AsyncSession]) -> list[tuple[int, str]]:
    async with pool() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(row.chat_id, row.text or "") for row in rows if row.dedup_key.startswith("remind:")]


async def tick_at(
    pool: async_sessionmaker[AsyncSession], clock: Clock, moment: datetime, holder: str = "A"
) -> int:
    clock.freeze(moment)
    return await run_due_work(pool, holder, TTL)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_moscow_reminder_fires_at_18_local_once(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    # Wednesday 18 November 2026; Moscow is UTC+3 all year.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 14, 59)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 0)) == 2
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 1)) == 0
    sent = await reminders(session_pool)
    assert sorted(chat for chat, _ in sent) == [1, 2]
    assert all(text.startswith("⏰ Today so far: nothing logged yet") for _, text in sent)


async def test_vladivostok_reminder_follows_its_own_clock(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool, timezone="Asia/Vladivostok")  # UTC+10
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 7, 59)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 8, 0)) == 2
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 0)) == 0


async def test_daylight_saving_change_keeps_wall_clock_time(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool, timezone="Europe/Berlin")
    async with session_pool() as session:
        team = (await session.scalars(select(Team))).one()
        team.country = "DE"
        await session.commit()
    # Friday 23 October 2026: CEST (UTC+2), 18:00 local is 16:00 UTC.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 10, 23, 15, 59)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 10, 23, 16, 0)) == 2
    # Clocks go back on Sunday 25 October; Monday 26 October is CET (UTC+1): 18:00 is 17:00 UTC.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 10, 26, 16, 0)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 10, 26, 17, 0)) == 2


async def test_no_reminder_on_public_holiday_weekend_or_vacation(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    # 4 November 2026 is Unity Day; 21 November is a Saturday.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 4, 15, 0)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 21, 15, 0)) == 0
    async with session_pool() as session:
        session.add(
            Vacation(
                team_id=1,
                user_id=2,
                start=datetime(2026, 11, 23).date(),
                end=datetime(2026, 11, 24).date(),
                created_by_id=1,
            )
        )
        await session.commit()
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 23, 15, 0)) == 1
    assert [chat for chat, _ in await reminders(session_pool)] == [1]


async def test_restart_before_and_after_the_fire_time(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    # Process A ticks at 17:59 and dies; B starts at 18:10 (missed by 10 min, within the grace)
    # once A's lease has expired, and sends each reminder once.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 14, 59), "A") == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 1), "B") == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 10), "B") == 2
    # A restarted just after: the lease is B's, and the outbox keys stop any second copy.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 11), "A") == 0
    frozen_clock.freeze(utc(2026, 11, 18, 15, 30))
    assert await run_due_work(session_pool, "A", timedelta(0)) == 0
    assert len(await reminders(session_pool)) == 2
    # A reminder missed by more than the grace (an hour) is skipped, not sent late.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 19, 16, 5), "B") == 0


async def test_pace_nudge_on_track_line_and_personal_settings(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    frozen_clock.freeze(utc(2026, 11, 18, 9, 0))
    async with session_pool() as session:
        anna = await session.get(User, 1)
        bob = await session.get(User, 2)
        team = (await session.scalars(select(Team))).one()
        assert anna and bob
        today = datetime(2026, 11, 18).date()
        await set_target(session, team, anna, parse_target_command("calls 150"), None, today)
        await record_entry(
            session, anna, team, EntryKind.CALL, parse_entry(EntryKind.CALL, "95", today)
        )
        bob.reminder_time = time(19, 0)
        await session.commit()
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 15, 0)) == 1
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 18, 16, 0)) == 1
    texts = dict(await reminders(session_pool))
    # 150 * 12/20 = 90 due by tonight: Anna (95) is on track, Bob (0) needs 90 more.
    assert texts[1] == "✅ On track today: 95 calls. Keep it up!"
    assert texts[2] == (
        "⏰ Today so far: nothing logged yet\nTo stay on pace:\n"
        "• 90 calls more today, for 150 calls this month\n"
        "/call · /meeting · /lead · /deal 15000 · /today"
    )


async def test_monday_report_prepared_early_and_due_at_nine_local(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    # Sunday 23:59 Moscow is too early; Monday 23 November 00:05 prepares last week's charts,
    # due at 09:00 Moscow (06:00 UTC).
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 22, 20, 59)) == 0
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 22, 21, 5)) == 2
    async with session_pool() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        assert not await due_messages(session, utc(2026, 11, 23, 5, 59), 10)
        assert len(await due_messages(session, utc(2026, 11, 23, 6, 0), 10)) == 2
    keys = sorted(row.dedup_key for row in rows)
    assert keys == ["weekly:1:2026-11-16:1", "weekly:1:2026-11-16:2"]
    assert all(row.photo and row.photo.startswith(b"\x89PNG") for row in rows)
    assert {row.not_before for row in rows} == {utc(2026, 11, 23, 6, 0)}
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 23, 6, 1)) == 0
    # Not on Tuesday.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 24, 6, 0)) == 0


async def test_monday_report_after_a_restart_within_the_grace(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    # Down all night, back at 10:30 Moscow: still sent (due at once); at 12:30 it would be late.
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 23, 7, 30)) == 2
    async with session_pool() as session:
        assert len(await due_messages(session, utc(2026, 11, 23, 7, 30), 10)) == 2


async def test_monday_report_missed_beyond_the_grace_is_skipped(
    session_pool: async_sessionmaker[AsyncSession], frozen_clock: Clock
) -> None:
    await seed(session_pool)
    assert await tick_at(session_pool, frozen_clock, utc(2026, 11, 23, 9, 30)) == 0
