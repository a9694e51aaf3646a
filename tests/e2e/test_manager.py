"""Targets, pace, vacations, leaderboard, roster and team settings, on a frozen clock.

Wednesday 18 November 2026, noon in Moscow. November 2026 in Russia has 20 working days
(the 4th is Unity Day); 11 of them are before the 18th, 9 are from the 18th on.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models import Entry, Target
from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import join_team, set_up_team
from tests.fake_telegram import FakeUser

NOON_18_NOV = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_18_NOV)
    return frozen_clock


async def team_of_three(kpi: RunningBot) -> tuple[FakeUser, FakeUser, FakeUser]:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    carl = kpi.tg.user(1003, "Carl", username="carl")
    token = await set_up_team(kpi, anna, bob, "Sales")
    await join_team(kpi, carl, token, anna)
    return anna, bob, carl


async def test_month_target_and_pace(kpi: RunningBot) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    reply = await anna.say("/target calls 150")
    assert reply.plain == (
        "🎯 Team target from 1 November: Calls: 150 a month. It applies to every employee "
        "without a personal target (a manager only by their own: /target … @name)."
    )
    await bob.say("/call 50")
    month = (await bob.say("/month")).plain or ""
    assert "📞 Calls: 50 / 150  ▓▓▓░░░░░░░ 33%" in month
    assert "⏱ Working days: 11 gone, 9 left of 20" in month
    # 150 * 12/20 = 90 due by the end of today; (150 - 50) / 9 = 11.1 -> 12 a day.
    assert (
        "⚠️ Calls: 40 behind the 90 due by today. Need 12 calls a day for the 9 working days left"
        in month
    )
    # The week 16-22 Nov has 5 working days: 150 * 5/20 = 37.5 -> 38.
    week = (await bob.say("/week")).plain or ""
    assert "📞 Calls: 50 / 38" in week and "🏆 Calls: target reached" in week
    # Today's share of the month: 150 / 20 = 7.5, shown as it is; 50 of 7.5 is 667 %.
    today = (await bob.say("/today")).plain or ""
    assert "📞 Calls: 50 / 7.5  ▓▓▓▓▓▓▓▓▓▓ 667%" in today


async def test_target_changed_mid_month_applies_to_the_whole_month(kpi: RunningBot) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    await anna.say("/target calls 150")
    reply = await anna.say("/target calls 200")
    assert "Team target from 1 November: Calls: 200 a month" in (reply.plain or "")
    await bob.say("/call 93")
    month = (await bob.say("/month")).plain or ""
    # The month is judged by 200: due by today 200 * 12/20 = 120; (200 - 93) / 9 = 11.9 -> 12.
    assert "📞 Calls: 93 / 200" in month
    assert "⚠️ Calls: 27 behind the 120 due by today. Need 12 calls a day" in month
    async with kpi.db.read() as session:
        rows = (await session.scalars(select(Target).order_by(Target.id))).all()
    # The 150 ended before it began (kept, empty, for the record).
    assert [(r.value, str(r.valid_from), str(r.valid_to)) for r in rows] == [
        (150, "2026-11-01", "2026-11-01"),
        (200, "2026-11-01", "None"),
    ]


async def test_personal_target_overrides_team_and_targets_lists_them(kpi: RunningBot) -> None:
    anna, bob, carl = await team_of_three(kpi)
    await anna.say("/target deals 10")
    reply = await anna.say("/target сделки 4 month @bob")
    assert reply.plain == "🎯 Target for Bob from 1 November: Deals: 4 a month."
    assert "• Deals: 4 a month (personal)" in ((await bob.say("/targets")).plain or "")
    assert "• Deals: 10 a month (team)" in ((await carl.say("/targets")).plain or "")
    manager_view = (await anna.say("/targets")).plain or ""
    assert "Team defaults" in manager_view and "• Bob: Deals: 4 a month" in manager_view
    await anna.say("/target revenue 1,5млн")
    assert "Revenue: 1,500,000 ₽ a month" in ((await carl.say("/targets")).plain or "")
    removed = await anna.say("/target deals off @bob")
    assert "Personal target of Bob for Deals removed" in (removed.plain or "")
    assert "• Deals: 10 a month (team)" in ((await bob.say("/targets")).plain or "")


async def test_target_errors_change_nothing(kpi: RunningBot) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    cases = {
        "/target": "Set a target: /target <metric> <value>",
        "/target calls": "Set a target",
        "/target bananas 5": "“bananas” is not a metric",
        "/target calls many": "“many” is not a target value",
        "/target calls 0": "A target is from 1 to 100000; “0” is not.",
        "/target calls 5 @nobody": "There is no @nobody in your team.",
        "/target revenue 2000000000": "at most 1,000,000,000 ₽",
    }
    for text, expected in cases.items():
        assert expected in ((await anna.say(text)).plain or ""), text
    assert (await bob.say("/target calls 5")).plain == "⛔ Only the team's manager can do this."
    async with kpi.db.read() as session:
        assert (await session.scalars(select(Target))).all() == []


async def test_vacation_shrinks_targets_and_pace(kpi: RunningBot) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    await anna.say("/target calls 150")
    reply = await bob.say("/vacation 23.11 27.11")
    assert reply.plain == (
        "🌴 Vacation for Bob: 23 November – 27 November. 5 working days off the pace; "
        "targets shrink to match."
    )
    month = (await bob.say("/month")).plain or ""
    # 15 working days left to Bob: 150 * 15/20 = 112.5 -> 113; 4 of them from today on.
    assert "📞 Calls: 0 / 113" in month
    assert "⏱ Working days: 11 gone, 4 left of 15" in month
    assert "• 23 November – 27 November" in ((await bob.say("/vacation")).plain or "")
    assert "overlaps" in ((await bob.say("/vacation 25.11")).plain or "")
    assert "is at most 366 days" in ((await bob.say("/vacation 01.01.2026 31.12.2027")).plain or "")
    assert "ends before it starts" in ((await bob.say("/vacation 27.11 23.11")).plain or "")
    assert (
        await bob.say("/vacation 30.11 @carl")
    ).plain == "⛔ Only the team's manager can do this."
    set_by_manager = await anna.say("/vacation 30.11 @carl")
    assert "Vacation for Carl: 30 November. 1 working day off" in (set_by_manager.plain or "")
    assert (await bob.say("/vacation cancel 23.11")).plain == "Vacation from 23 November cancelled."
    assert "📞 Calls: 0 / 150" in ((await bob.say("/month")).plain or "")


async def test_leaderboard_ranks_everyone_with_totals(kpi: RunningBot) -> None:
    anna, bob, carl = await team_of_three(kpi)
    await anna.say("/target deals 4 @bob")
    await bob.say("/lead 5 #avito")
    await bob.say("/deal 10000 #avito")
    await bob.say("/deal 20000")
    await anna.say("/deal 50000 #avito")
    board = (await anna.say("/leaderboard")).plain or ""
    assert board.splitlines() == [
        "🏆 Deals and revenue · November 2026",
        "",
        "🥇 Bob — 2 deals · 30,000 ₽ · 50% of target · conv. 40% · avg 15,000 ₽",
        "🥈 Anna — 1 deal · 50,000 ₽ · avg 50,000 ₽",
        "3. Carl — 0 deals · 0 ₽",
        "",
        "Team: 3 deals · 80,000 ₽ · conv. 60% · avg 26,667 ₽",  # computed: whole rubles
        "conv. is shown only where deals don't outnumber leads",
    ]
    tagged = (await anna.say("/leaderboard revenue #avito")).plain or ""
    assert tagged.splitlines()[:5] == [
        "🏆 Revenue · November 2026 · #avito",
        "",
        "🥇 Anna — 50,000 ₽ · avg 50,000 ₽",
        "🥈 Bob — 10,000 ₽ · avg 10,000 ₽",  # the revenue board: no conversion
        "3. Carl — 0 ₽",
    ]
    weekly = (await anna.say("/leaderboard calls week")).plain or ""
    assert weekly.startswith("🏆 Calls · 16 November – 22 November")
    assert "“yearly” is not a metric" in ((await anna.say("/leaderboard yearly")).plain or "")
    assert (await carl.say("/leaderboard")).plain == "⛔ Only the team's manager can do this."


async def test_roster_roles_and_last_manager(kpi: RunningBot) -> None:
    anna, bob, carl = await team_of_three(kpi)
    await bob.say("/call 3")
    roster = (await anna.say("/team")).plain or ""
    assert roster.splitlines()[0] == "👥 Sales: 3 people"
    assert "👑 Anna (@anna) — manager · no entries yet\n    today: nothing yet" in roster
    assert "• Bob (@bob) — employee · last entry 18 November 12:00\n    today: 3 calls" in roster
    assert "is the team's only manager" in ((await anna.say("/demote @anna")).plain or "")
    assert "is the team's only manager" in ((await anna.say("/remove @anna")).plain or "")
    assert (await anna.say("/promote @bob")).plain == "👑 Bob is now a manager of the team."
    assert (await anna.say("/promote @bob")).plain == "Bob is already a manager."
    assert (await bob.say("/demote @anna")).plain == "Anna is now an employee."
    removed = await bob.say("/remove @carl")
    assert "Carl is no longer in «Sales»" in (removed.plain or "")
    assert "You're not in a team yet" in ((await carl.say("/today")).plain or "")
    assert "Name one member: /remove @username" in ((await bob.say("/remove")).plain or "")


async def test_removed_person_keeps_history_in_reports(kpi: RunningBot) -> None:
    anna, _bob, carl = await team_of_three(kpi)
    await carl.say("/deal 7000")
    await anna.say("/remove @carl")
    board = (await anna.say("/leaderboard")).plain or ""
    assert "🥇 Carl — 1 deal · 7,000 ₽" in board
    assert "Team: 1 deal · 7,000 ₽" in board


async def test_timezone_moves_the_business_day(kpi: RunningBot, wednesday: Clock) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    assert "Team time zone: Europe/Moscow" in ((await anna.say("/timezone")).plain or "")
    bad = await anna.say("/timezone Mars/Olympus")
    assert "“Mars/Olympus” is not a time zone" in (bad.plain or "")
    wednesday.freeze(datetime(2026, 11, 18, 20, 30, tzinfo=UTC))  # 23:30 Moscow, 06:30 Vladivostok
    assert "Recorded: 1 call\n" in ((await bob.say("/call")).plain or "")
    ok = await anna.say("/timezone asia/vladivostok")
    assert "Time zone set to Asia/Vladivostok; it's 06:30 there now." in (ok.plain or "")
    await bob.say("/call 2")
    async with kpi.db.read() as session:
        days = [str(e.business_date) for e in (await session.scalars(select(Entry))).all()]
    assert days == ["2026-11-18", "2026-11-19"]
    assert (await bob.say("/timezone UTC")).plain == "⛔ Only the team's manager can do this."


async def test_settings_country_and_workdays_change_the_pace(kpi: RunningBot) -> None:
    anna, bob, _carl = await team_of_three(kpi)
    await anna.say("/target calls 210")
    shown = (await anna.say("/settings")).plain or ""
    assert "Holiday calendar: RU" in shown and "Working days: Mon, Tue, Wed, Thu, Fri" in shown
    assert "⏱ Working days: 11 gone, 9 left of 20" in ((await bob.say("/month")).plain or "")
    await anna.say("/settings country none")
    assert "⏱ Working days: 12 gone, 9 left of 21" in ((await bob.say("/month")).plain or "")
    saved = await anna.say("/settings workdays mon-sat")
    assert "Working days: Mon, Tue, Wed, Thu, Fri, Sat" in (saved.plain or "")
    assert "of 25" in ((await bob.say("/month")).plain or "")
    assert "is not a set of weekdays" in (
        (await anna.say("/settings workdays fri-mon")).plain or ""
    )
    assert "is not a country code" in ((await anna.say("/settings country XX")).plain or "")
