"""Celebrations of crossed targets, on a real database and a frozen clock.

Wednesday 18 November 2026 in Moscow (UTC+3); the team's group is chat -1001.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.celebrations import check_crossings, flush_due
from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import parse_entry
from bot.services.people import TelegramProfile, sync_user
from bot.services.targets import parse_target_command, set_target
from bot.services.teams import create_team, join_by_invite
from models import Celebration, EntryKind, Metric, OutboxMessage, Period, Team, User
from models.base import Clock

GROUP = -1001
WEDNESDAY = date(2026, 11, 18)
NOON = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
LATE = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: quiet hours


@pytest.fixture(autouse=True)
def noon(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON)
    return frozen_clock


async def person(session: AsyncSession, user_id: int, name: str, language: str = "en") -> User:
    user, _ = await sync_user(session, TelegramProfile(user_id, name, None, name.lower(), language))
    return user


async def sales_team(
    session: AsyncSession, *, name: str = "Sales", bound: bool = True, manager_language: str = "en"
) -> tuple[User, User, Team]:
    """Anna manages, Bob works; the group is bound unless `bound` is False."""
    anna = await person(session, 1, "Anna", manager_language)
    bob = await person(session, 2, "Bob")
    team = await create_team(session, anna, name)
    assert team.invite_token
    await join_by_invite(session, bob, None, team.invite_token, confirmed=False)
    team.chat_id = GROUP if bound else None
    await session.commit()
    return anna, bob, team


async def target(session: AsyncSession, team: Team, manager: User, args: str) -> None:
    await set_target(session, team, manager, parse_target_command(args), None, WEDNESDAY)


async def log(
    session: AsyncSession, user: User, team: Team, kind: EntryKind, args: str, day: date = WEDNESDAY
) -> bool:
    """What the /call handler does: record, check, commit; True when a message was queued."""
    await record_entry(session, user, team, kind, parse_entry(kind, args, day))
    queued = await check_crossings(session, team, user, day)
    await session.commit()
    return queued


async def outbox_texts(session: AsyncSession) -> list[str | None]:
    rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    assert all(row.chat_id == GROUP for row in rows.all())
    return list(await session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id)))


async def celebrations(session: AsyncSession) -> list[tuple[int, str, str, date, int, bool]]:
    rows = await session.scalars(select(Celebration).order_by(Celebration.id))
    return [
        (c.subject, c.metric.value, c.period.value, c.period_start, c.target, c.posted)
        for c in rows
    ]


async def test_month_target_celebrates_once_even_after_undo(session: AsyncSession) -> None:
    anna, bob, team = await sales_team(session)
    await target(session, team, anna, "calls 20")
    assert await log(session, bob, team, EntryKind.CALL, "15") is False
    assert await log(session, bob, team, EntryKind.CALL, "5") is True
    assert await outbox_texts(session) == ["🎉 Bob hit the target: 20 calls a month!"]

    assert await undo_last_entry(session, bob, team) is not None  # 15: below again
    assert await log(session, bob, team, EntryKind.CALL, "7") is False  # 22: crossed again
    assert await outbox_texts(session) == ["🎉 Bob hit the target: 20 calls a month!"]
    assert await celebrations(session) == [(bob.id, "calls", "month", date(2026, 11, 1), 20, True)]


async def test_day_target_celebrates_each_day(session: AsyncSession, frozen_clock: Clock) -> None:
    anna, bob, team = await sales_team(session)
    await target(session, team, anna, "calls 3 day")
    assert await log(session, bob, team, EntryKind.CALL, "4") is True
    assert await log(session, bob, team, EntryKind.CALL, "1") is False  # same day: once
    thursday = date(2026, 11, 19)
    frozen_clock.freeze(datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    assert await log(session, bob, team, EntryKind.CALL, "3", thursday) is True
    assert await outbox_texts(session) == [
        "🎉 Bob hit the target: 3 calls a day!",
        "🎉 Bob hit the target: 3 calls a day!",
    ]
    assert [c[3] for c in await celebrations(session)] == [WEDNESDAY, thursday]


async def test_team_target_celebrated_with_the_person_who_completed_it(
    session: AsyncSession,
) -> None:
    anna, bob, team = await sales_team(session, name="Sales <North> & Co")
    await target(session, team, anna, "calls 5 day")
    assert await log(session, bob, team, EntryKind.CALL, "6") is True
    assert await log(session, anna, team, EntryKind.CALL, "4") is True  # team 10 of 10
    texts = await outbox_texts(session)
    assert texts[1:] == [
        "🏆 Team «Sales &lt;North&gt; &amp; Co» hit the team target: 10 calls a day!"
    ]
    assert await log(session, anna, team, EntryKind.CALL, "1") is True  # Anna's own 5 of 5
    assert (await outbox_texts(session))[2] == "🎉 Anna hit the target: 5 calls a day!"
    subjects = [(c[0], c[4]) for c in await celebrations(session)]
    assert subjects == [(bob.id, 5), (0, 10), (anna.id, 5)]


async def test_team_target_needs_everyone_to_have_one(session: AsyncSession) -> None:
    anna, bob, team = await sales_team(session)
    command = parse_target_command("deals 1 week @bob")
    await set_target(session, team, anna, command, bob, WEDNESDAY)
    assert await log(session, bob, team, EntryKind.DEAL, "15 000") is True
    assert await outbox_texts(session) == ["🎉 Bob hit the target: 1 deal a week!"]
    assert [c[0] for c in await celebrations(session)] == [bob.id]  # Anna has none: no team sum


async def test_quiet_hours_hold_celebrations_and_group_them_in_the_morning(
    session: AsyncSession, frozen_clock: Clock
) -> None:
    anna, bob, team = await sales_team(session)
    await target(session, team, anna, "calls 2 day")
    await target(session, team, anna, "revenue 10 000")
    frozen_clock.freeze(LATE)
    assert await log(session, bob, team, EntryKind.CALL, "2") is False
    assert await log(session, bob, team, EntryKind.DEAL, "12 000") is False
    assert await log(session, anna, team, EntryKind.CALL, "3") is False
    assert await outbox_texts(session) == []
    assert [c[5] for c in await celebrations(session)] == [False] * 4

    assert await flush_due(session, datetime(2026, 11, 19, 4, 59, tzinfo=UTC)) == 0  # 07:59
    morning = datetime(2026, 11, 19, 5, 1, tzinfo=UTC)  # 08:01
    assert await flush_due(session, morning) == 1
    await session.commit()
    assert await outbox_texts(session) == [
        "🎉 Bob hit the target: 2 calls a day!\n"
        "🎉 Bob hit the target: 10,000 ₽ in revenue a month!\n"
        "🎉 Anna hit the target: 2 calls a day!\n"
        "🏆 Team «Sales» hit the team target: 4 calls a day!"
    ]
    message = await session.scalar(select(OutboxMessage))
    assert message is not None and message.not_before == morning
    assert [c[5] for c in await celebrations(session)] == [True] * 4
    assert await flush_due(session, morning) == 0


async def test_celebration_held_for_a_day_is_dropped_not_posted(
    session: AsyncSession, frozen_clock: Clock
) -> None:
    anna, bob, team = await sales_team(session)
    await target(session, team, anna, "calls 2 day")
    frozen_clock.freeze(LATE)
    await log(session, bob, team, EntryKind.CALL, "2")
    assert await flush_due(session, datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) == 0
    await session.commit()
    assert await outbox_texts(session) == []
    assert [c[5] for c in await celebrations(session)] == [True]


async def test_a_long_night_is_split_below_telegrams_length_limit(session: AsyncSession) -> None:
    _anna, _bob, team = await sales_team(session)
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
    await session.commit()
    queued = await flush_due(session, NOON)
    await session.commit()
    texts = [text or "" for text in await outbox_texts(session)]
    assert queued == len(texts) == 3  # about 8 100 characters in all
    assert all(len(text.encode("utf-16-le")) // 2 <= 4000 for text in texts)
    lines = "\n".join(texts).splitlines()
    assert [line.split()[2] for line in lines] == [str(n) for n in range(1, 61)]


async def test_russian_group_hears_the_managers_language(session: AsyncSession) -> None:
    anna, bob, team = await sales_team(session, manager_language="ru")
    await target(session, team, anna, "calls 21 day")
    await target(session, team, anna, "revenue 1,5млн")
    await log(session, bob, team, EntryKind.CALL, "21")
    await log(session, bob, team, EntryKind.DEAL, "1 500 000")
    assert await outbox_texts(session) == [
        "🎉 Bob: план выполнен — 21 звонок в день!",
        "🎉 Bob: план выполнен — выручка 1\xa0500\xa0000 ₽ в месяц!",
    ]


async def test_no_bound_group_no_celebration(session: AsyncSession) -> None:
    anna, bob, team = await sales_team(session, bound=False)
    await target(session, team, anna, "calls 1 day")
    assert await log(session, bob, team, EntryKind.CALL, "5") is False
    assert await celebrations(session) == []
    assert await outbox_texts(session) == []
