"""The Monday report: what gets queued, to whom, in which language, and only once."""

import struct
from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.outgoing.weekly import queue_weekly_reports
from bot.services.periods import DateRange
from bot.services.teams import bind_chat
from bot.services.weekly import load_results
from bot.texts import translator
from bot.views.charts import person_chart, team_caption, team_chart
from models import (
    Entry,
    EntryKind,
    Metric,
    OutboxMessage,
    Period,
    Person,
    Role,
    Target,
    Team,
    TeamInfo,
    User,
    Vacation,
)
from models.database import Database
from models.user import person_by_id
from tests.people import join, new_team, register, reread

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


def entry(
    team: TeamInfo, user: Person, kind: EntryKind, day: date, count: int = 1, rub: int = 0
) -> Entry:
    return Entry(
        team_id=team.id,
        user_id=user.id,
        kind=kind,
        count=count,
        amount_kopecks=rub * 100 if kind is EntryKind.DEAL else None,
        business_date=day,
    )


def week_target(team: TeamInfo, anna: Person, metric: Metric, value: int) -> Target:
    return Target(
        team_id=team.id,
        user_id=None,
        metric=metric,
        period=Period.WEEK,
        value=value,
        valid_from=date(2026, 11, 2),
        created_by_id=anna.id,
    )


async def seeded(database: Database) -> tuple[TeamInfo, Person, Person, Person]:
    """Anna manages (English); Bob (English) beats the week's targets; Carl (Russian) was off
    on Wednesday and is behind. Team default targets: 50 calls and 2 deals a week."""
    async with database.write() as session:
        anna = await register(session, 1, "Anna", username="anna", language_code="en")
        await register(session, 2, "Bob", username="bob", language_code="en-US")
        await register(session, 3, "Карл", username="карл", language_code="ru", last_name="Петров")
        team = await new_team(session, anna.id, "Продажи Север")
        bob = await join(session, 2, team)
        carl = await join(session, 3, team)
        await bind_chat(session, team.id, GROUP_CHAT)
        session.add_all(
            [
                week_target(team, anna, Metric.CALLS, 50),
                week_target(team, anna, Metric.DEALS, 2),
                Vacation(
                    team_id=team.id, user_id=carl.id, start=WED, end=WED, created_by_id=anna.id
                ),
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
    async with database.read() as session:
        team = await reread(session, team)
        manager = await person_by_id(session, anna.id)
    assert team.chat_id == GROUP_CHAT
    assert manager is not None and manager.role is Role.MANAGER
    return team, manager, bob, carl


async def queue(database: Database, team: TeamInfo) -> int:
    """Plan, render and queue the team's report for WEEK in one unit of work."""
    async with database.write() as session:
        return await queue_weekly_reports(session, team, WEEK)


async def outbox(database: Database) -> dict[str, OutboxMessage]:
    async with database.read() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {row.dedup_key: row for row in rows}


async def test_weekly_report_queues_each_chart_once(database: Database) -> None:
    team, anna, bob, carl = await seeded(database)
    assert await queue(database, team) == 4

    queued = await outbox(database)
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
        # Anna manages: the team's default targets are not hers.
        "⚠️ Behind pace: Карл П. (calls, deals)"
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
    assert await queue(database, team) == 0
    assert len(await outbox(database)) == 4


async def test_blocked_users_and_private_stats_get_nothing(database: Database) -> None:
    team, anna, bob, carl = await seeded(database)
    async with database.write() as session:
        blocked = await session.get(User, bob.id)
        row = await session.get(Team, team.id)
        assert blocked is not None and row is not None
        blocked.blocked_bot = True
        row.public_stats = False
    async with database.read() as session:
        team = await reread(session, team)
    assert await queue(database, team) == 2
    prefix = f"weekly:{team.id}:2026-11-16:"
    assert set(await outbox(database)) == {f"{prefix}{anna.id}", f"{prefix}{carl.id}"}


async def test_team_chart_rendered_per_language(database: Database) -> None:
    team, anna, _bob, _carl = await seeded(database)
    async with database.write() as session:
        dora = await register(session, 4, "Dora", username="dora", language_code="ru")
        row = await session.get(User, dora.id)
        assert row is not None
        row.team_id, row.role = team.id, anna.role
    assert await queue(database, team) == 5
    queued = await outbox(database)
    prefix = f"weekly:{team.id}:2026-11-16:"
    to_anna, to_dora = queued[f"{prefix}{anna.id}"], queued[f"{prefix}{dora.id}"]
    assert spaced(to_dora.text).startswith("📊 <b>Продажи Север · 16—22 нояб.")
    assert "🏆 Лучший результат: Bob — 3 сделки, 350 000 ₽" in spaced(to_dora.text)
    assert to_anna.photo != to_dora.photo
    # The group hears the team's manager with the lowest user id: Anna (1), not Dora (4).
    to_chat = queued[f"{prefix}chat"]
    assert to_chat.photo == to_anna.photo and to_chat.text == to_anna.text


async def test_chart_data_targets_and_pace(database: Database) -> None:
    team, _anna, bob, carl = await seeded(database)
    async with database.read() as session:
        week = await load_results(session, team, WEEK, WEEK.end)
        carl_week = await load_results(session, team, WEEK, date(2026, 11, 23), carl)
        # Mid-week: the days so far, the pace for the whole week, "behind" by what is due by
        # today.
        results = await load_results(session, team, WEEK, TUE)
        bob_midweek = await load_results(session, team, WEEK, TUE, bob)

    data = team_chart(week, EN)
    assert spaced(data.title) == "Продажи Север · Nov 16 – 22"
    assert [p.name for p in data.people] == ["Bob", "Карл П.", "Anna"]  # deals, then revenue
    bob_row, carl_row, _ = data.people
    assert bob_row.values == {"calls": 60, "meetings": 0, "deals": 3, "revenue": 35_000_000}
    assert bob_row.targets == {"calls": 50, "meetings": None, "deals": 2, "revenue": None}
    assert carl_row.targets["calls"] == 40  # four working days: Wednesday was off

    chart = person_chart(carl_week, carl_week.of(carl.id), RU)
    assert spaced(chart.title) == "Карл П. · 16—22 нояб."
    assert chart.day_labels == ["Пн 16", "Вт 17", "Ср 18", "Чт 19", "Пт 20", "Сб 21", "Вс 22"]
    assert chart.series["calls"] == [5, 0, 0, 0, 0, 0, 0]
    assert chart.series["revenue"] == [0, 0, 0, 0, 500_000, 0, 0]  # rubles on this chart
    assert chart.pace["calls"] == [10, 20, 20, 30, 40, 40, 40]
    assert chart.pace["deals"] == [0.4, 0.8, 0.8, 1.2, 1.6, 1.6, 1.6]
    assert set(chart.pace) == {"calls", "deals"}
    assert set(chart.series) == {"calls", "deals", "revenue"}  # no meetings, none due

    bob_now = results.of(bob.id)
    assert [m for m in bob_now.behind] == []
    assert results.of(carl.id).behind == [Metric.CALLS, Metric.DEALS]
    caption = team_caption(EN, results).text
    assert "🏆 Top performer: Bob — 1 deal, 100,000 ₽" in spaced(caption)
    midweek = person_chart(bob_midweek, bob_midweek.of(bob.id), EN)
    assert midweek.series["calls"] == [12, 12] and len(midweek.pace["calls"]) == 7
