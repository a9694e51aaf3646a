"""The Monday report: what gets queued, to whom, in which language, and only once."""

import struct
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import TelegramProfile, sync_user
from bot.services.periods import DateRange
from bot.services.teams import create_team, join_by_invite
from bot.services.weekly import (
    load_results,
    person_chart_data,
    queue_weekly_reports,
    team_caption,
    team_chart_data,
)
from bot.texts import translator
from models import Entry, EntryKind, Metric, OutboxMessage, Period, Target, Team, User, Vacation

WEEK = DateRange(date(2026, 11, 16), date(2026, 11, 22))  # Monday to Sunday, no holidays
MON, TUE, WED, THU, FRI = (date(2026, 11, day) for day in range(16, 21))
GROUP_CHAT = -1001234567890
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EN, RU = translator("en"), translator("ru")
SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " "})


def spaced(text: str | None) -> str:
    """Babel's no-break and thin spaces as plain ones, to compare with readable literals."""
    return (text or "").translate(SPACES)


def assert_phone_png(png: bytes | None) -> None:
    assert png is not None and png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, _height = struct.unpack(">II", png[16:24])
    assert width >= 1080
    assert len(png) < 1_000_000


async def person(
    session: AsyncSession, user_id: int, first: str, last: str | None, language: str
) -> User:
    profile = TelegramProfile(user_id, first, last, first.lower(), language)
    user, _ = await sync_user(session, profile)
    return user


def entry(
    team: Team, user: User, kind: EntryKind, day: date, count: int = 1, rub: int = 0
) -> Entry:
    return Entry(
        team_id=team.id,
        user_id=user.id,
        kind=kind,
        count=count,
        amount_kopecks=rub * 100 if kind is EntryKind.DEAL else None,
        business_date=day,
    )


def week_target(team: Team, anna: User, metric: Metric, value: int) -> Target:
    return Target(
        team_id=team.id,
        user_id=None,
        metric=metric,
        period=Period.WEEK,
        value=value,
        valid_from=date(2026, 11, 2),
        created_by_id=anna.id,
    )


async def seeded(session: AsyncSession) -> tuple[Team, User, User, User]:
    """Anna manages (English); Bob (English) beats the week's targets; Carl (Russian) was off
    on Wednesday and is behind. Team default targets: 50 calls and 2 deals a week."""
    anna = await person(session, 1, "Anna", None, "en")
    bob = await person(session, 2, "Bob", None, "en-US")
    carl = await person(session, 3, "Карл", "Петров", "ru")
    team = await create_team(session, anna, "Продажи Север")
    assert team.invite_token
    for member in (bob, carl):
        await join_by_invite(session, member, None, team.invite_token, confirmed=False)
    team.chat_id = GROUP_CHAT
    session.add_all(
        [
            week_target(team, anna, Metric.CALLS, 50),
            week_target(team, anna, Metric.DEALS, 2),
            Vacation(team_id=team.id, user_id=carl.id, start=WED, end=WED, created_by_id=anna.id),
            *(entry(team, bob, EntryKind.CALL, day, 12) for day in (MON, TUE, WED, THU, FRI)),
            entry(team, bob, EntryKind.DEAL, TUE, rub=100_000),
            entry(team, bob, EntryKind.DEAL, THU, 2, rub=250_000),
            entry(team, carl, EntryKind.CALL, MON, 5),
            entry(team, carl, EntryKind.DEAL, FRI, rub=500_000),
            entry(team, bob, EntryKind.DEAL, date(2026, 11, 23), 9),  # next week: not counted
        ]
    )
    deleted = entry(team, carl, EntryKind.DEAL, THU, 7)
    deleted.deleted_at, deleted.deleted_by_id = datetime(2026, 11, 19, 12, tzinfo=UTC), carl.id
    session.add(deleted)
    await session.commit()
    return team, anna, bob, carl


async def outbox(session: AsyncSession) -> dict[str, OutboxMessage]:
    rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return {row.dedup_key: row for row in rows}


async def test_weekly_report_queues_each_chart_once(session: AsyncSession) -> None:
    team, anna, bob, carl = await seeded(session)
    assert await queue_weekly_reports(session, team, WEEK) == 4
    await session.commit()

    queued = await outbox(session)
    prefix = f"weekly:{team.id}:2026-11-16:"
    assert set(queued) == {f"{prefix}{anna.id}", f"{prefix}{bob.id}", f"{prefix}{carl.id}"} | {
        f"{prefix}chat"
    }
    for row in queued.values():
        assert_phone_png(row.photo)
    to_anna, to_chat = queued[f"{prefix}{anna.id}"], queued[f"{prefix}chat"]
    to_bob, to_carl = queued[f"{prefix}{bob.id}"], queued[f"{prefix}{carl.id}"]
    assert (to_anna.chat_id, to_anna.user_id) == (anna.id, anna.id)
    assert (to_chat.chat_id, to_chat.user_id) == (GROUP_CHAT, None)
    assert (to_carl.chat_id, to_carl.user_id) == (carl.id, carl.id)

    # One team chart, in the manager's language, for the manager and the group.
    assert to_anna.photo == to_chat.photo and to_anna.text == to_chat.text
    assert spaced(to_anna.text) == (
        "📊 <b>Продажи Север · Nov 16 – 22</b>\n"
        "Team: 65 calls · 0 meetings · 4 deals · 850,000 ₽\n"
        "🏆 Top performer: Bob — 3 deals, 350,000 ₽\n"
        "⚠️ Behind pace: Anna, Карл П."  # Anna has the team's default targets too
    )
    assert spaced(to_bob.text) == (
        "📈 <b>Your numbers · Nov 16 – 22</b>\n"
        "60 calls · 0 meetings · 3 deals · 350,000 ₽\n"
        "✅ On pace."
    )
    assert spaced(to_carl.text) == (
        "📈 <b>Ваши цифры · 16—22 нояб.</b>\n"
        "5 звонков · 0 встреч · 1 сделка · 500 000 ₽\n"
        "⚠️ Отстаёте от плана: Звонки, Сделки"
    )
    assert to_bob.photo != to_carl.photo != to_anna.photo

    # A second run (a restart, another process) queues and renders nothing.
    assert await queue_weekly_reports(session, team, WEEK) == 0
    await session.commit()
    assert len(await outbox(session)) == 4


async def test_blocked_users_and_private_stats_get_nothing(session: AsyncSession) -> None:
    team, anna, bob, carl = await seeded(session)
    bob.blocked_bot = True
    team.public_stats = False
    await session.commit()
    assert await queue_weekly_reports(session, team, WEEK) == 2
    await session.commit()
    prefix = f"weekly:{team.id}:2026-11-16:"
    assert set(await outbox(session)) == {f"{prefix}{anna.id}", f"{prefix}{carl.id}"}


async def test_team_chart_rendered_per_language(session: AsyncSession) -> None:
    team, anna, _bob, _carl = await seeded(session)
    dora = await person(session, 4, "Dora", None, "ru")
    dora.team_id, dora.role = team.id, anna.role
    await session.commit()
    assert await queue_weekly_reports(session, team, WEEK) == 5
    queued = await outbox(session)
    prefix = f"weekly:{team.id}:2026-11-16:"
    to_anna, to_dora = queued[f"{prefix}{anna.id}"], queued[f"{prefix}{dora.id}"]
    assert spaced(to_dora.text).startswith("📊 <b>Продажи Север · 16—22 нояб.")
    assert "🏆 Лучший результат: Bob — 3 сделки, 350 000 ₽" in spaced(to_dora.text)
    assert to_anna.photo != to_dora.photo
    # The group follows the first manager (by name): Anna.
    assert queued[f"{prefix}chat"].photo == to_anna.photo


async def test_chart_data_targets_and_pace(session: AsyncSession) -> None:
    team, _anna, bob, carl = await seeded(session)
    data = await team_chart_data(session, team, WEEK, EN)
    assert spaced(data.title) == "Продажи Север · Nov 16 – 22"
    assert [p.name for p in data.people] == ["Bob", "Карл П.", "Anna"]  # deals, then revenue
    bob_row, carl_row, _ = data.people
    assert bob_row.values == {"calls": 60, "meetings": 0, "deals": 3, "revenue": 35_000_000}
    assert bob_row.targets == {"calls": 50, "meetings": None, "deals": 2, "revenue": None}
    assert carl_row.targets["calls"] == 40  # four working days: Wednesday was off

    chart = await person_chart_data(session, team, carl, WEEK, date(2026, 11, 23), RU)
    assert spaced(chart.title) == "Карл П. · 16—22 нояб."
    assert chart.day_labels == ["Пн 16", "Вт 17", "Ср 18", "Чт 19", "Пт 20", "Сб 21", "Вс 22"]
    assert chart.series["calls"] == [5, 0, 0, 0, 0, 0, 0]
    assert chart.series["revenue"] == [0, 0, 0, 0, 500_000, 0, 0]  # rubles on this chart
    assert chart.pace["calls"] == [10, 20, 20, 30, 40, 40, 40]
    assert chart.pace["deals"] == [0.4, 0.8, 0.8, 1.2, 1.6, 1.6, 1.6]
    assert set(chart.pace) == {"calls", "deals"}
    assert set(chart.series) == {"calls", "deals", "revenue"}  # no meetings, none due

    # Mid-week: the days so far, the pace for the whole week, "behind" by what is due by today.
    results = await load_results(session, team, WEEK, TUE)
    bob_now = results.of(bob.id)
    assert [m for m in bob_now.behind] == []
    assert results.of(carl.id).behind == [Metric.CALLS, Metric.DEALS]
    caption = team_caption(EN, results)
    assert "🏆 Top performer: Bob — 1 deal, 100,000 ₽" in spaced(caption)
    midweek = await person_chart_data(session, team, bob, WEEK, TUE, EN)
    assert midweek.series["calls"] == [12, 12] and len(midweek.pace["calls"]) == 7
