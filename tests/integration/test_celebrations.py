"""Celebrations of crossed targets, on a real database and a frozen clock.

Wednesday 18 November 2026 in Moscow (UTC+3); the team's group is chat -1001.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.outgoing.celebrations import celebrate_crossings, post_held
from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import parse_entry
from bot.services.targets import parse_target_command, set_target
from bot.services.teams import bind_chat
from models import Celebration, EntryKind, Metric, OutboxMessage, Period, Person, TeamInfo
from models.base import Clock
from models.database import Database
from models.tv_link import keep_tv_secret
from models.user import person_by_id
from tests.people import join, new_team, register, reread

GROUP = -1001
WEDNESDAY = date(2026, 11, 18)
NOON = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
LATE = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: quiet hours


@pytest.fixture(autouse=True)
def noon(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON)
    return frozen_clock


async def sales_team(
    database: Database,
    *,
    name: str = "Sales",
    bound: bool = True,
    manager_language: str = "en",
) -> tuple[Person, Person, TeamInfo]:
    """Anna manages, Bob works; the group is bound unless `bound` is False."""
    async with database.write() as session:
        anna = await register(session, 1, "Anna", username="anna", language_code=manager_language)
        await register(session, 2, "Bob", username="bob")
        team = await new_team(session, anna.id, name)
        bob = await join(session, 2, team)
        if bound:
            await bind_chat(session, team.id, GROUP)
    async with database.read() as session:
        team = await reread(session, team)
        anna = await person_by_id(session, anna.id) or anna  # now the team's manager
    assert team.chat_id == (GROUP if bound else None)
    return anna, bob, team


async def target(
    database: Database, team: TeamInfo, manager: Person, args: str, who: Person | None = None
) -> None:
    """/target `args` for the team, or for `who` (a manager who sells gets their own)."""
    async with database.write() as session:
        command = parse_target_command(args)
        user_id = who.id if who else None
        await set_target(session, team.id, manager.id, command, user_id, WEDNESDAY)


async def queued_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


async def log(
    database: Database,
    user: Person,
    team: TeamInfo,
    kind: EntryKind,
    args: str,
    day: date = WEDNESDAY,
    screens: bool = True,
) -> bool:
    """What the /call handler does: record and celebrate in one unit of work; True when a
    message was queued."""
    before = await queued_count(database)
    async with database.write() as session:
        await record_entry(session, user.id, team.id, kind, parse_entry(kind, args, day))
        await celebrate_crossings(session, team, user, day, screens=screens)
    return await queued_count(database) > before


async def post(database: Database, now: datetime) -> int:
    """What the scheduler's tick does with celebrations held through quiet hours."""
    async with database.write() as session:
        return await post_held(session, now)


async def outbox_texts(database: Database) -> list[str | None]:
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert all(row.chat_id == GROUP for row in rows)
    return [row.text for row in rows]


async def celebrations(database: Database) -> list[tuple[int, str, str, date, int, bool]]:
    async with database.read() as session:
        rows = (await session.scalars(select(Celebration).order_by(Celebration.id))).all()
    return [
        (c.subject, c.metric.value, c.period.value, c.period_start, c.target, c.posted)
        for c in rows
    ]


async def test_month_target_celebrates_once_even_after_undo(database: Database) -> None:
    anna, bob, team = await sales_team(database)
    await target(database, team, anna, "calls 20")
    assert await log(database, bob, team, EntryKind.CALL, "15") is False
    assert await log(database, bob, team, EntryKind.CALL, "5") is True
    # Anna manages and has no target of her own: the team's target would be Bob's alone.
    assert await outbox_texts(database) == ["🎉 Bob hit the target: 20 calls a month!"]

    async with database.write() as session:
        assert await undo_last_entry(session, bob.id, team.id) is not None  # 15: below again
    assert await log(database, bob, team, EntryKind.CALL, "7") is False  # 22: crossed again
    assert await outbox_texts(database) == ["🎉 Bob hit the target: 20 calls a month!"]
    assert await celebrations(database) == [(bob.id, "calls", "month", date(2026, 11, 1), 20, True)]


async def test_day_target_celebrates_each_day(database: Database, frozen_clock: Clock) -> None:
    anna, bob, team = await sales_team(database)
    await target(database, team, anna, "calls 3 day")
    assert await log(database, bob, team, EntryKind.CALL, "4") is True
    assert await log(database, bob, team, EntryKind.CALL, "1") is False  # same day: once
    thursday = date(2026, 11, 19)
    frozen_clock.freeze(datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    assert await log(database, bob, team, EntryKind.CALL, "3", thursday) is True
    assert await outbox_texts(database) == [
        "🎉 Bob hit the target: 3 calls a day!",
        "🎉 Bob hit the target: 3 calls a day!",
    ]
    assert [c[3] for c in await celebrations(database)] == [WEDNESDAY, thursday]


async def test_team_target_celebrated_with_the_person_who_completed_it(
    database: Database,
) -> None:
    anna, bob, team = await sales_team(database, name="Sales <North> & Co")
    await target(database, team, anna, "calls 5 day")
    await target(database, team, anna, "calls 5 day", who=anna)  # a manager who sells
    assert await log(database, bob, team, EntryKind.CALL, "6") is True
    assert await log(database, anna, team, EntryKind.CALL, "4") is True  # team 10 of 10
    texts = await outbox_texts(database)
    assert texts[1:] == [
        "🏆 Team «Sales &lt;North&gt; &amp; Co» hit the team target: 10 calls a day!"
    ]
    assert await log(database, anna, team, EntryKind.CALL, "1") is True  # Anna's own 5 of 5
    assert (await outbox_texts(database))[2] == "🎉 Anna hit the target: 5 calls a day!"
    subjects = [(c[0], c[4]) for c in await celebrations(database)]
    assert subjects == [(bob.id, 5), (0, 10), (anna.id, 5)]


async def test_team_target_needs_everyone_to_have_one(database: Database) -> None:
    anna, bob, team = await sales_team(database)
    async with database.write() as session:
        await register(session, 3, "Carl", username="carl")
        await join(session, 3, team)
    await target(database, team, anna, "deals 1 week", who=bob)
    assert await log(database, bob, team, EntryKind.DEAL, "15 000") is True
    assert await outbox_texts(database) == ["🎉 Bob hit the target: 1 deal a week!"]
    assert [c[0] for c in await celebrations(database)] == [bob.id]  # Carl has none: no team sum


async def test_a_manager_without_a_target_of_their_own_is_not_in_the_team_target(
    database: Database,
) -> None:
    anna, bob, team = await sales_team(database)
    async with database.write() as session:
        await register(session, 3, "Carl", username="carl")
        carl = await join(session, 3, team)
    await target(database, team, anna, "deals 1 week")
    assert await log(database, anna, team, EntryKind.DEAL, "5 000") is False  # not hers
    assert await log(database, bob, team, EntryKind.DEAL, "15 000") is True
    # The team's target is Bob's and Carl's: 2 deals, Anna's deal not among them.
    assert await log(database, carl, team, EntryKind.DEAL, "15 000") is True
    assert await outbox_texts(database) == [
        "🎉 Bob hit the target: 1 deal a week!",
        "🎉 Carl hit the target: 1 deal a week!\n"
        "🏆 Team «Sales» hit the team target: 2 deals a week!",
    ]


async def test_quiet_hours_hold_celebrations_and_group_them_in_the_morning(
    database: Database, frozen_clock: Clock
) -> None:
    anna, bob, team = await sales_team(database)
    await target(database, team, anna, "calls 2 day")
    await target(database, team, anna, "calls 2 day", who=anna)
    await target(database, team, anna, "revenue 10 000")
    frozen_clock.freeze(LATE)
    assert await log(database, bob, team, EntryKind.CALL, "2") is False
    assert await log(database, bob, team, EntryKind.DEAL, "12 000") is False
    assert await log(database, anna, team, EntryKind.CALL, "3") is False
    assert await outbox_texts(database) == []
    assert [c[5] for c in await celebrations(database)] == [False] * 4

    assert await post(database, datetime(2026, 11, 19, 4, 59, tzinfo=UTC)) == 0  # 07:59
    assert [c[5] for c in await celebrations(database)] == [False] * 4
    morning = datetime(2026, 11, 19, 5, 1, tzinfo=UTC)  # 08:01
    assert await post(database, morning) == 1
    assert await outbox_texts(database) == [
        "🎉 Bob hit the target: 2 calls a day!\n"
        "🎉 Bob hit the target: 10,000 ₽ in revenue a month!\n"
        "🎉 Anna hit the target: 2 calls a day!\n"
        "🏆 Team «Sales» hit the team target: 4 calls a day!"
    ]
    async with database.read() as session:
        message = await session.scalar(select(OutboxMessage))
    assert message is not None and message.not_before == morning
    assert [c[5] for c in await celebrations(database)] == [True] * 4
    assert await post(database, morning) == 0


async def test_celebration_held_for_a_day_is_dropped_not_posted(
    database: Database, frozen_clock: Clock
) -> None:
    anna, bob, team = await sales_team(database)
    await target(database, team, anna, "calls 2 day")
    frozen_clock.freeze(LATE)
    await log(database, bob, team, EntryKind.CALL, "2")
    assert await post(database, datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) == 0
    assert await outbox_texts(database) == []
    assert [c[5] for c in await celebrations(database)] == [True]


async def test_a_long_night_is_split_below_telegrams_length_limit(database: Database) -> None:
    _anna, _bob, team = await sales_team(database)
    async with database.write() as session:
        for subject in range(1, 61):
            name = f"Person {subject} " + "x" * 90
            session.add(
                Celebration(
                    team_id=team.id,
                    subject=subject,
                    metric=Metric.CALLS,
                    period=Period.DAY,
                    period_start=WEDNESDAY,
                    target=10,
                    name=name,
                )
            )
    queued = await post(database, NOON)
    texts = [text or "" for text in await outbox_texts(database)]
    assert queued == len(texts) == 3  # about 8 100 characters in all
    assert all(len(text.encode("utf-16-le")) // 2 <= 4000 for text in texts)
    lines = "\n".join(texts).splitlines()
    assert [line.split()[2] for line in lines] == [str(n) for n in range(1, 61)]


async def test_russian_group_hears_the_managers_language(database: Database) -> None:
    anna, bob, team = await sales_team(database, manager_language="ru")
    await target(database, team, anna, "calls 21 day")
    await target(database, team, anna, "revenue 1,5млн")
    await log(database, bob, team, EntryKind.CALL, "21")
    await log(database, bob, team, EntryKind.DEAL, "1 500 000")
    assert await outbox_texts(database) == [
        "🎉 Bob: план выполнен — 21 звонок в день!",
        "🎉 Bob: план выполнен — выручка 1\xa0500\xa0000 ₽ в месяц!",
    ]


async def test_without_a_group_recorded_for_the_tv_and_never_posted(database: Database) -> None:
    anna, bob, team = await sales_team(database, bound=False)
    await target(database, team, anna, "calls 1 day")
    # Neither a group nor a wall screen: nobody would see it, nothing is worked out.
    assert await log(database, bob, team, EntryKind.CALL, "1") is False
    assert await celebrations(database) == []
    async with database.write() as session:
        await keep_tv_secret(session, team.id, "s" * 32)
    # A TV link made while the dashboard was served, the bot now running without it: none.
    assert await log(database, bob, team, EntryKind.CALL, "1", screens=False) is False
    assert await celebrations(database) == []
    assert await log(database, bob, team, EntryKind.CALL, "5") is False
    # The TV banner's source; nothing waits to be posted.
    assert await celebrations(database) == [(bob.id, "calls", "day", WEDNESDAY, 1, True)]
    async with database.write() as session:
        await bind_chat(session, team.id, GROUP)
    assert await post(database, NOON) == 0  # a group bound later hears no old news
    assert await outbox_texts(database) == []
