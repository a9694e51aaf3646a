"""Time travel: the clock is frozen and moved by the test; the scheduler's tick runs for real."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.sender import OutboxSender
from bot.services.entries import record_entry
from bot.services.parsing import parse_entry
from bot.services.targets import parse_target_command, set_target
from models import EntryKind, OutboxMessage, Team, TeamInfo, User, Vacation
from models.base import Clock
from models.database import Database
from models.outbox import due_messages
from models.processed_update import ProcessedUpdate, claim_update
from scheduler import LEASE_TTL, PRUNE_EVERY, KpiScheduler
from scheduler.jobs import (
    PROCESSED_UPDATES_KEPT,
    prune_processed_updates,
    run_due_work,
    teams_if_leader,
)
from tests.people import join, new_team, register, reread

TTL = timedelta(minutes=3)


async def seed(database: Database, timezone: str = "Europe/Moscow", lang: str = "en") -> TeamInfo:
    """Anna (1) manages Sales, Bob (2) works in it."""
    async with database.write() as session:
        await register(session, 1, "Anna", username="anna", language_code=lang)
        await register(session, 2, "Bob", username="bob", language_code=lang)
        team = await new_team(session, 1, "Sales")
        await join(session, 2, team)
        row = await session.get(Team, team.id)
        assert row is not None
        row.timezone = timezone
    async with database.read() as session:
        team = await reread(session, team)
    assert team.timezone == timezone
    return team


async def reminders(database: Database) -> list[tuple[int, str]]:
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(row.chat_id, row.text or "") for row in rows if row.dedup_key.startswith("remind:")]


async def tick_at(database: Database, clock: Clock, moment: datetime, holder: str = "A") -> int:
    clock.freeze(moment)
    return await run_due_work(database, holder, TTL)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_moscow_reminder_fires_at_18_local_once(
    database: Database, frozen_clock: Clock
) -> None:
    await seed(database)
    # Wednesday 18 November 2026; Moscow is UTC+3 all year.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 14, 59)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 0)) == 2
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 1)) == 0
    sent = await reminders(database)
    assert sorted(chat for chat, _ in sent) == [1, 2]
    assert all(text.startswith("⏰ Today so far: nothing logged yet") for _, text in sent)


async def test_vladivostok_reminder_follows_its_own_clock(
    database: Database, frozen_clock: Clock
) -> None:
    await seed(database, timezone="Asia/Vladivostok")  # UTC+10
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 7, 59)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 8, 0)) == 2
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 0)) == 0


async def test_daylight_saving_change_keeps_wall_clock_time(
    database: Database, frozen_clock: Clock
) -> None:
    team = await seed(database, timezone="Europe/Berlin")
    async with database.write() as session:
        row = await session.get(Team, team.id)
        assert row is not None
        row.country = "DE"
    # Friday 23 October 2026: CEST (UTC+2), 18:00 local is 16:00 UTC.
    assert await tick_at(database, frozen_clock, utc(2026, 10, 23, 15, 59)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 10, 23, 16, 0)) == 2
    # Clocks go back on Sunday 25 October; Monday 26 October is CET (UTC+1): 18:00 is 17:00 UTC.
    assert await tick_at(database, frozen_clock, utc(2026, 10, 26, 16, 0)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 10, 26, 17, 0)) == 2


async def test_no_reminder_on_public_holiday_weekend_or_vacation(
    database: Database, frozen_clock: Clock
) -> None:
    team = await seed(database)
    # 4 November 2026 is Unity Day; 21 November is a Saturday.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 4, 15, 0)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 21, 15, 0)) == 0
    async with database.write() as session:
        session.add(
            Vacation(
                team_id=team.id,
                user_id=2,
                start=date(2026, 11, 23),
                end=date(2026, 11, 24),
                created_by_id=1,
            )
        )
    assert await tick_at(database, frozen_clock, utc(2026, 11, 23, 15, 0)) == 1
    assert [chat for chat, _ in await reminders(database)] == [1]


async def test_restart_before_and_after_the_fire_time(
    database: Database, frozen_clock: Clock
) -> None:
    await seed(database)
    # Process A ticks at 17:59 and dies; B starts at 18:10 (missed by 10 min, within the grace)
    # once A's lease has expired, and sends each reminder once.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 14, 59), "A") == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 1), "B") == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 10), "B") == 2
    # A restarted just after: the lease is B's, and the outbox keys stop any second copy.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 11), "A") == 0
    frozen_clock.freeze(utc(2026, 11, 18, 15, 30))
    assert await run_due_work(database, "A", timedelta(0)) == 0
    assert len(await reminders(database)) == 2
    # A reminder missed by more than the grace (an hour) is skipped, not sent late.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 19, 16, 5), "B") == 0


async def test_pace_nudge_on_track_line_and_personal_settings(
    database: Database, frozen_clock: Clock
) -> None:
    team = await seed(database)
    frozen_clock.freeze(utc(2026, 11, 18, 9, 0))
    today = date(2026, 11, 18)
    async with database.write() as session:
        await set_target(session, team.id, 1, parse_target_command("calls 150"), None, today)
        # Anna manages and sells: team targets leave managers out, her own one counts.
        await set_target(session, team.id, 1, parse_target_command("calls 150"), 1, today)
        await record_entry(
            session, 1, team.id, EntryKind.CALL, parse_entry(EntryKind.CALL, "95", today)
        )
        bob = await session.get(User, 2)
        assert bob is not None
        bob.reminder_time = time(19, 0)
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 15, 0)) == 1
    assert await tick_at(database, frozen_clock, utc(2026, 11, 18, 16, 0)) == 1
    texts = dict(await reminders(database))
    # 150 * 12/20 = 90 due by tonight: Anna (95) is on track, Bob (0) is 90 behind, and the
    # 9 working days left need 150 / 9 = 16.7 -> 17 a day (not the whole gap today).
    assert texts[1] == "✅ On track today: 95 calls. Keep it up!"
    assert texts[2] == (
        "⏰ Today so far: nothing logged yet\nBehind pace:\n"
        "• Calls: 90 behind the 90 due by today. Need 17 calls a day for the 9 working days "
        "left (target: 150 this month)\n"
        "/call · /meeting · /lead · /deal 15000 · /today"
    )


async def test_monday_report_prepared_early_and_due_at_nine_local(
    database: Database, frozen_clock: Clock
) -> None:
    team = await seed(database)
    # Sunday 23:59 Moscow is too early; Monday 23 November 00:05 prepares last week's charts,
    # due at 09:00 Moscow (06:00 UTC).
    assert await tick_at(database, frozen_clock, utc(2026, 11, 22, 20, 59)) == 0
    assert await tick_at(database, frozen_clock, utc(2026, 11, 22, 21, 5)) == 2
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        assert not await due_messages(session, utc(2026, 11, 23, 5, 59), 10)
        assert len(await due_messages(session, utc(2026, 11, 23, 6, 0), 10)) == 2
    keys = sorted(row.dedup_key for row in rows)
    assert keys == [f"weekly:{team.id}:2026-11-16:1", f"weekly:{team.id}:2026-11-16:2"]
    assert all(row.photo and row.photo.startswith(b"\x89PNG") for row in rows)
    assert {row.not_before for row in rows} == {utc(2026, 11, 23, 6, 0)}
    assert await tick_at(database, frozen_clock, utc(2026, 11, 23, 6, 1)) == 0
    # Not on Tuesday.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 24, 6, 0)) == 0


async def test_monday_report_after_a_restart_within_the_grace(
    database: Database, frozen_clock: Clock
) -> None:
    await seed(database)
    # Down all night, back at 10:30 Moscow: still sent (due at once); at 12:30 it would be late.
    assert await tick_at(database, frozen_clock, utc(2026, 11, 23, 7, 30)) == 2
    async with database.read() as session:
        assert len(await due_messages(session, utc(2026, 11, 23, 7, 30), 10)) == 2


async def test_monday_report_missed_beyond_the_grace_is_skipped(
    database: Database, frozen_clock: Clock
) -> None:
    await seed(database)
    assert await tick_at(database, frozen_clock, utc(2026, 11, 23, 9, 30)) == 0


async def test_a_stopped_scheduler_hands_over_at_once(database: Database) -> None:
    """The lease of a scheduler that shuts down is released: another instance's scheduler
    takes over at its next tick, not when the lease would have run out."""
    first = KpiScheduler(database, OutboxSender(database))
    second = KpiScheduler(database, OutboxSender(database))
    assert await teams_if_leader(database, first.holder, LEASE_TTL) is not None
    assert await teams_if_leader(database, second.holder, LEASE_TTL) is None
    await first.shutdown()
    assert await teams_if_leader(database, second.holder, LEASE_TTL) is not None
    assert await teams_if_leader(database, first.holder, LEASE_TTL) is None


async def test_processed_update_ids_pruned_by_the_lease_holder_past_the_retention(
    database: Database, frozen_clock: Clock
) -> None:
    """Hourly, the holder forgets update ids older than a week; a redelivery of a younger one
    is still recognised."""
    now = utc(2026, 11, 18, 12, 0)
    ages = {
        1: timedelta(days=8),
        2: timedelta(days=7, minutes=1),
        3: timedelta(days=6, hours=23, minutes=30),
        4: timedelta(0),
    }
    async with database.write() as session:
        for update_id, age in ages.items():
            frozen_clock.freeze(now - age)
            assert await claim_update(session, update_id)
    frozen_clock.freeze(now)
    assert PROCESSED_UPDATES_KEPT >= timedelta(days=1)  # Telegram redelivers within 24 hours
    assert await teams_if_leader(database, "A", TTL) is not None
    assert await prune_processed_updates(database, "B", TTL) == 0  # not the holder
    assert await prune_processed_updates(database, "A", TTL) == 2
    assert await remembered(database) == [3, 4]
    frozen_clock.freeze(now + PRUNE_EVERY)
    assert await prune_processed_updates(database, "A", TTL) == 1
    assert await remembered(database) == [4]
    async with database.write() as session:
        assert not await claim_update(session, 4)  # redelivered: skipped
        assert await claim_update(session, 1)  # long forgotten: a new id to us


async def remembered(database: Database) -> list[int]:
    async with database.read() as session:
        query = select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id)
        return list((await session.scalars(query)).all())
