"""Numbers that read right, as a salesperson and a manager see them (issue 11, items 1-9).

Wednesday 16 December 2026, noon in Moscow. December 2026 in Russia has 22 working days
(the 31st is off); 11 of them are before the 16th (1-4, 7-11, 14-15), 11 from it on (16-18,
21-25, 28-30). The week of the 16th is 14-18 December, 5 working days. The team was set up on
the 1st unless a test says otherwise.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from models.base import Clock
from scheduler.jobs import run_reminders, run_weekly_reports
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import invite_token, join_team, set_up_team
from tests.fake_telegram import BotMessage, FakeUser
from tests.people import back_then, month_start

NOON_16_DEC = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)
SIX_PM_16_DEC = datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " "})


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_16_DEC)
    return frozen_clock


def text(reply: BotMessage) -> str:
    """What the person reads, Babel's no-break and thin spaces as plain ones."""
    return (reply.plain or "").translate(SPACES)


async def said(user: FakeUser, command: str) -> str:
    return text(await user.say(command))


async def sales_team(kpi: RunningBot, *, ru: bool = False) -> tuple[FakeUser, FakeUser, FakeUser]:
    """Anna manages; Bob and Carl sell. All of them since 1 December."""
    language = "ru" if ru else "en"
    anna = kpi.tg.user(1001, "Anna", username="anna", language_code=language)
    bob = kpi.tg.user(1002, "Bob", username="bob", language_code=language)
    carl = kpi.tg.user(1003, "Carl", username="carl", language_code=language)
    token = await set_up_team(kpi, anna, bob, "Sales")
    with back_then(month_start()):
        await join_team(kpi, carl, token, anna)
    return anna, bob, carl


async def reminders_at_six(kpi: RunningBot, clock: Clock) -> int:
    clock.freeze(SIX_PM_16_DEC)  # 18:00 in Moscow
    return await run_reminders(kpi.db, "test", timedelta(minutes=3), kpi.outbox.wake)


async def monday_caption(kpi: RunningBot, clock: Clock, manager: FakeUser) -> str:
    """The Monday report of the week 14-20 December, as the manager gets it."""
    clock.freeze(datetime(2026, 12, 21, 6, 1, tzinfo=UTC))  # Monday 09:01 in Moscow
    assert await run_weekly_reports(kpi.db, "test", timedelta(minutes=3), None, kpi.outbox.wake)
    report = await kpi.tg.wait_for(
        lambda m: m.chat_id == manager.id and m.method == "sendPhoto", timeout=20
    )
    return text(report)


# --- 1. a share of a target: exact, shown as it is, rounded half up ----------------------------


async def test_a_days_share_under_one_is_shown_and_counted_exactly(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target deals 10")  # 10 / 22 = 0.45 a day
    await anna.say("/target calls 50")  # 50 / 22 = 2.27 a day
    await anna.say("/target meetings 2")  # this week: 2 * 5/22 = 0.45
    for _ in range(3):
        await bob.say("/deal 1000")
    await bob.say("/call 3")
    await bob.say("/meeting")

    today = await said(bob, "/today")
    # Not "3 / 0 ░░░░░░░░░░ 0%", and 3 against 2.27 is 132 %, not 3 against 2 (150 %).
    assert "🤝 Deals: 3 / 0.5  ▓▓▓▓▓▓▓▓▓▓ 660%" in today
    assert "📞 Calls: 3 / 2.3  ▓▓▓▓▓▓▓▓▓▓ 132%" in today
    week = await said(bob, "/week")
    assert "👥 Meetings: 1 / 0.5  ▓▓▓▓▓▓▓▓▓▓ 220%" in week
    assert "🏆 Meetings: target reached" in week
    assert "🤝 Deals: 3 / 2.3  ▓▓▓▓▓▓▓▓▓▓ 132%" in week  # 10 * 5/22 = 2.27
    board = await said(anna, "/leaderboard deals day")
    assert "🥇 Bob — 3 deals · 660% of target · avg 1,000 ₽" in board
    assert "3. Carl — 0 deals · 0% of target" in board
    assert "2. Anna — 0 deals\n" in board  # she manages: no team target of hers


async def test_half_a_percent_rounds_up_in_chat_and_workbook_alike(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target calls 8")
    await bob.say("/call 9")  # 112.5 % of the month's 8
    assert "📞 Calls: 9 / 8  ▓▓▓▓▓▓▓▓▓▓ 113%" in await said(bob, "/month")
    export = await anna.say("/export")
    assert export.document is not None
    summary = load_workbook(io.BytesIO(export.document[1]))["Summary"]
    header = [cell.value for cell in summary[1]]
    bob_row = dict(zip(header, [cell.value for cell in summary[3]], strict=True))
    assert bob_row["Person"] == "Bob"
    # The cell holds the 113 % it shows (1.13), not 1.125 for the spreadsheet to round.
    assert (bob_row["Calls target"], bob_row["Calls % of target"]) == (8, 1.13)


# --- 2. money computed from a target: whole rubles ---------------------------------------------


async def test_money_from_a_target_in_whole_rubles_typed_kopecks_kept(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target revenue 4 800 000")
    await bob.say("/deal 1000,50")
    today = await said(bob, "/today")
    assert "💰 Revenue: 1,000.50 ₽ / 218,182 ₽" in today  # 4 800 000 / 22 = 218 181.82
    month = await said(bob, "/month")
    assert "💰 Revenue: 1,000.50 ₽ / 4,800,000 ₽" in month
    # Due by tonight: 4 800 000 * 12/22 = 2 618 181.82; (4 800 000 - 1 000.50) / 11 = 436 272.68.
    assert (
        "⚠️ Revenue: 2,617,182 ₽ behind the 2,618,182 ₽ due by today. "
        "Need 436,273 ₽ a day for the 11 working days left"
    ) in month


# --- 3. removing a target: one rule, every view follows it -------------------------------------


async def test_a_removed_target_is_gone_from_every_view(kpi: RunningBot, wednesday: Clock) -> None:
    anna, bob, _carl = await sales_team(kpi)
    set_reply = await said(anna, "/target meetings 3 week")
    assert set_reply.startswith("🎯 Team target from 14 December: Meetings: 3 a week.")
    removed = await said(anna, "/target meetings off")
    assert removed.startswith("Team target for Meetings removed from 14 December")
    await anna.say("/target calls 200 month @bob")
    removed = await said(anna, "/target calls off @bob")
    assert removed.startswith("Personal target of Bob for Calls removed from 1 December")

    await bob.say("/call 2")
    week = await said(bob, "/week")
    assert "👥 Meetings: 0\n" in week and "behind" not in week
    assert "📞 Calls: 2\n" in await said(bob, "/month")  # not "2 / 100"
    assert (await said(bob, "/targets")).endswith("No targets yet.")
    board = await said(anna, "/leaderboard calls")
    assert "of target" not in board
    assert await reminders_at_six(kpi, wednesday) == 3
    nudge = await kpi.tg.wait_for(lambda m: m.chat_id == bob.id, timeout=10)
    assert text(nudge) == "⏰ Today so far: 2 calls. Log the rest: /call /meeting /lead /deal"


async def test_a_target_set_and_changed_judges_the_whole_period(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target calls 100")
    changed = await said(anna, "/target calls 220")
    assert changed.startswith("🎯 Team target from 1 December: Calls: 220 a month.")
    await bob.say("/call 30")
    # 220 * 12/22 = 120 due by tonight; (220 - 30) / 11 = 17.3 -> 18 a day.
    month = await said(bob, "/month")
    assert "📞 Calls: 30 / 220" in month
    assert "⚠️ Calls: 90 behind the 120 due by today. Need 18 calls a day" in month
    assert "• Calls: 220 a month (team)" in await said(bob, "/targets")


# --- 4. someone who joins mid-month ------------------------------------------------------------


async def test_a_newcomer_is_paced_from_the_day_they_joined(
    kpi: RunningBot, wednesday: Clock
) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target calls 110")  # 5 a working day
    token = invite_token(await said(anna, "/invite"))
    dina = kpi.tg.user(1004, "Dina", username="dina")
    await dina.say(f"/start {token}")  # on the 16th
    month = await said(dina, "/month")
    # 11 working days from the 16th: 110 * 11/22 = 55.
    assert "📞 Calls: 0 / 55" in month
    assert "⏱ Working days: 0 gone, 11 left of 11" in month
    assert "⚠️ Calls: 5 behind the 5 due by today. Need 5 calls a day" in month
    await dina.say("/call 15")
    await bob.say("/call 60")
    assert await reminders_at_six(kpi, wednesday) == 4
    nudge = await kpi.tg.wait_for(lambda m: m.chat_id == dina.id, timeout=10)
    assert text(nudge) == "✅ On track today: 15 calls. Keep it up!"  # 5 due today, not 60
    # Her week is the 16th-18th: 15 due, 15 done; Carl did nothing.
    caption = await monday_caption(kpi, wednesday, anna)
    assert caption.endswith("⚠️ Behind pace: Carl (calls)")


# --- 5. conversion only where it means something -----------------------------------------------


async def test_conversion_over_100_percent_is_not_shown_and_says_why(kpi: RunningBot) -> None:
    anna, bob, carl = await sales_team(kpi, ru=True)
    await bob.say("/lead 2")
    for _ in range(3):
        await bob.say("/deal 1000")
    month = await said(bob, "/month")
    assert "📈 Конверсия лид → сделка: не показана, сделок (3) больше, чем лидов (2) за период" in (
        month
    )
    assert "150%" not in month
    await carl.say("/lead 6")
    await carl.say("/lead 1 #avito")
    for _ in range(7):
        await carl.say("/deal 5000 #avito")
    carls = await said(carl, "/month")
    assert "📈 Конверсия лид → сделка: 100% (7 из 7)" in carls
    assert "#avito: 1 лид, 7 сделок · 35 000 ₽ · ср. чек 5 000 ₽\n" in carls
    assert carls.endswith("Конверсия не показана там, где сделок больше, чем лидов: #avito.")
    board = await said(anna, "/leaderboard сделки #avito")
    assert "700%" not in board and "конв." not in board.splitlines()[2]
    assert board.endswith("конв. показана только там, где сделок не больше, чем лидов")


# --- 6. each board its own figures -------------------------------------------------------------


async def test_the_calls_board_shows_calls_only(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await bob.say("/call 3")
    await bob.say("/lead 2")
    await bob.say("/deal 15000 repeat")
    calls = (await said(anna, "/leaderboard calls")).splitlines()
    assert calls[2] == "🥇 Bob — 3 calls"
    assert calls[-1] == "Team: 3 calls"
    revenue = (await said(anna, "/leaderboard revenue")).splitlines()
    assert revenue[2] == "🥇 Bob — 15,000 ₽ · avg 15,000 ₽ · repeat 100%"
    leads = (await said(anna, "/leaderboard leads")).splitlines()
    assert leads[2] == "🥇 Bob — 2 leads · conv. 50%"


# --- 7. /targets: what is in force for the person ----------------------------------------------


async def test_targets_show_the_vacation_as_month_does(kpi: RunningBot) -> None:
    anna, bob, _carl = await sales_team(kpi)
    await anna.say("/target calls 110")
    await bob.say("/vacation 21.12 25.12")  # 5 working days off: 110 * 17/22 = 85
    assert "📞 Calls: 0 / 85" in await said(bob, "/month")
    targets = await said(bob, "/targets")
    assert "• Calls: 110 a month (team) → for you this month: 85 (your days off counted)" in (
        targets
    )


# --- 8. team targets and managers who don't sell -----------------------------------------------


async def test_team_targets_leave_the_manager_out_unless_given_her_own(
    kpi: RunningBot, wednesday: Clock
) -> None:
    anna, bob, carl = await sales_team(kpi)
    await anna.say("/target calls 110 all")
    await bob.say("/call 60")
    await carl.say("/call 60")
    await anna.say("/call 1")
    assert "📞 Calls: 1\n" in await said(anna, "/month")
    assert (await said(anna, "/targets")).startswith("🎯 Your targets\nNo targets yet.")
    assert "a manager who sells gets their own: /target calls 100 @yourname" in await said(
        anna, "/help"
    )
    assert await reminders_at_six(kpi, wednesday) == 3
    nudge = await kpi.tg.wait_for(lambda m: m.chat_id == anna.id, timeout=10)
    assert text(nudge) == "⏰ Today so far: 1 call. Log the rest: /call /meeting /lead /deal"
    caption = await monday_caption(kpi, wednesday, anna)
    assert "Behind pace" not in caption and caption.endswith("✅ Everyone is on pace.")

    wednesday.freeze(NOON_16_DEC)
    own = await said(anna, "/target calls 44 @anna")
    assert own == (
        "🎯 Target for Anna from 1 December: Calls: 44 a month. "
        "A manager is paced by their own targets only."
    )
    assert "📞 Calls: 1 / 44" in await said(anna, "/month")


# --- 9. the 18:00 reminder and the Monday caption ----------------------------------------------


async def test_the_reminder_asks_what_a_day_needs_not_the_whole_gap(
    kpi: RunningBot, wednesday: Clock
) -> None:
    anna, bob, carl = await sales_team(kpi)
    await anna.say("/target calls 110")
    await anna.say("/target deals 22")
    await anna.say("/remind off")
    await carl.say("/call 60")
    await carl.say("/deal 12000")
    assert await reminders_at_six(kpi, wednesday) == 2
    nudge = await kpi.tg.wait_for(lambda m: m.chat_id == bob.id, timeout=10)
    # 110 * 12/22 = 60 due by tonight, not "60 more today": 110 / 11 days left = 10 a day.
    assert text(nudge) == (
        "⏰ Today so far: nothing logged yet\n"
        "Behind pace:\n"
        "• Calls: 60 behind the 60 due by today. Need 10 calls a day for the 11 working days "
        "left (target: 110 this month)\n"
        "• Deals: 12 behind the 12 due by today. Need 2 deals a day for the 11 working days "
        "left (target: 22 this month)\n"
        "/call · /meeting · /lead · /deal 15000 · /today"
    )
    caption = await monday_caption(kpi, wednesday, anna)
    # Carl's 60 calls beat the week's 25 (110 * 5/22); his 1 deal is short of 5.
    assert caption.endswith("⚠️ Behind pace: Bob (calls, deals), Carl (deals)")
