"""/settings with its buttons and arguments, and /remind, as managers and employees use them."""

from datetime import time

from sqlalchemy import select

from models import Team, User
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team
from tests.fake_telegram import FakeUser

ANNA, BOB, DORA = 1001, 1002, 1004
MANAGER_ONLY = "⛔ Only the team's manager can do this."
KEYBOARD = [
    ["✅ Mon", "✅ Tue", "✅ Wed", "✅ Thu"],
    ["✅ Fri", "▫️ Sat", "▫️ Sun"],
    ["⏰ Reminder −1h", "⏰ Reminder +1h"],
    ["📊 ◀ Report day", "📊 Report day ▶"],
    ["📊 Report −1h", "📊 Report +1h"],
    ["✅ Quiet hours", "✅ Public stats"],
    ["✅ Streaks", "✅ Records"],
    ["✅ Daily digest"],
    ["✨ Digest −1h", "✨ Digest +1h"],
]


async def team_of_two(kpi: RunningBot, language: str = "en") -> tuple[FakeUser, FakeUser]:
    anna = kpi.tg.user(ANNA, "Anna", username="anna", language_code=language)
    bob = kpi.tg.user(BOB, "Bob", username="bob", language_code=language)
    await set_up_team(kpi, anna, bob, "Sales")
    return anna, bob


async def team(kpi: RunningBot, name: str = "Sales") -> Team:
    async with kpi.db.read() as session:
        found = await session.scalar(select(Team).where(Team.name == name))
        assert found is not None
        return found


def settings_of(team: Team) -> tuple[object, ...]:
    return (
        team.weekdays_mask,
        team.country,
        team.reminder_time,
        team.report_weekday,
        team.report_time,
        team.quiet_start,
        team.quiet_end,
        team.public_stats,
    )


async def person(kpi: RunningBot, user_id: int) -> User:
    async with kpi.db.read() as session:
        found = await session.get(User, user_id)
        assert found is not None
        return found


async def test_manager_changes_settings_with_buttons(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    shown = await anna.say("/settings")
    text = shown.plain or ""
    for line in (
        "⚙️ Settings of Sales",
        "Time zone: Europe/Moscow",
        "Holiday calendar: RU",
        "Working days: Mon, Tue, Wed, Thu, Fri",
        "Reminder (team default): 18:00",
        "Weekly report: Monday, 09:00",
        "Quiet hours: 22:00–08:00",
        "Public stats in the group: on",
        "Team group: not connected (send /bindchat in the team's group)",
    ):
        assert f"{line}\n" in text, line
    assert shown.buttons() == KEYBOARD

    saturday = await anna.press("▫️ Sat")
    assert saturday.edited and saturday.message_id == shown.message_id
    assert "Working days: Mon, Tue, Wed, Thu, Fri, Sat\n" in (saturday.plain or "")
    assert saturday.buttons()[1] == ["✅ Fri", "✅ Sat", "▫️ Sun"]
    assert (await team(kpi)).weekdays_mask == 0b0111111

    public = await anna.press("✅ Public stats")
    assert "Public stats in the group: off" in (public.plain or "")
    assert public.buttons()[5] == ["✅ Quiet hours", "▫️ Public stats"]
    assert (await team(kpi)).public_stats is False
    await anna.press("▫️ Public stats")
    assert (await team(kpi)).public_stats is True

    assert "Reminder (team default): 19:00" in ((await anna.press("Reminder +1h")).plain or "")
    assert "Weekly report: Sunday, 09:00" in ((await anna.press("◀ Report day")).plain or "")
    assert "Weekly report: Sunday, 08:00" in ((await anna.press("Report −1h")).plain or "")
    quiet = await anna.press("✅ Quiet hours")
    assert "Quiet hours: off" in (quiet.plain or "")
    saved = await team(kpi)
    assert (saved.reminder_time, saved.report_weekday, saved.report_time) == (
        time(19),
        6,
        time(8),
    )
    assert saved.quiet_start == saved.quiet_end
    assert "Quiet hours: 22:00–08:00" in ((await anna.press("▫️ Quiet hours")).plain or "")

    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        await anna.press(f"✅ {day}")
    assert (await team(kpi)).weekdays_mask == 0b0100000  # Saturday alone
    query_id = anna.press_nowait("✅ Sat")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert answer.text == "At least one working day must stay on."
    await kpi.tg.expect_silence(ANNA)
    assert (await team(kpi)).weekdays_mask == 0b0100000


async def test_manager_changes_settings_with_arguments(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    saved = await anna.say("/settings reminder 18:30")
    assert (saved.plain or "").startswith("✅ Saved.\n\n⚙️ Settings of Sales")
    assert "Reminder (team default): 18:30" in (saved.plain or "")
    assert saved.buttons() == KEYBOARD
    assert "Weekly report: Friday, 17:00" in (
        (await anna.say("/settings report fri 17:00")).plain or ""
    )
    assert "Weekly report: Monday, 09:00" in (
        (await anna.say("/settings report пн 9:00")).plain or ""
    )
    assert "Quiet hours: 23:00–07:00" in (
        (await anna.say("/settings quiet 23:00-07:00")).plain or ""
    )
    assert "Public stats in the group: off" in (
        (await anna.say("/settings public off")).plain or ""
    )
    assert "Working days: Mon, Tue, Wed" in (
        (await anna.say("/settings workdays mon-wed")).plain or ""
    )
    saved_team = await team(kpi)
    assert settings_of(saved_team) == (
        0b0000111,
        "RU",
        time(18, 30),
        0,
        time(9),
        time(23),
        time(7),
        False,
    )
    assert "Public stats in the group: on" in ((await anna.say("/settings public вкл")).plain or "")
    assert "Quiet hours: off" in ((await anna.say("/settings quiet off")).plain or "")
    after = await team(kpi)
    assert after.public_stats is True and after.quiet_start == after.quiet_end


async def test_bad_setting_values_get_clear_errors_and_change_nothing(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    before = settings_of(await team(kpi))
    cases = {
        "/settings reminder 25:00": "“25:00” is not a time of day. Use H:MM or HH:MM, "
        "from 00:00 to 23:59.\nExample: /settings reminder 18:30",
        "/settings report someday 9:00": "“someday” is not a day of the week. Use mon, tue, "
        "wed, thu, fri, sat or sun.\nExample: /settings report mon 09:00",
        "/settings report mon": "“mon” is not a day and a time.\n"
        "Example: /settings report mon 09:00",
        "/settings quiet 22:00": "“22:00” is not a range of quiet hours: give a start and a "
        "different end, or off.\nExample: /settings quiet 22:00-08:00, or /settings quiet off",
        "/settings public maybe": "“maybe” is neither on nor off.\n"
        "Example: /settings public on, or /settings public off",
        "/settings reminder": "Example: /settings reminder 18:30",
    }
    for command, expected in cases.items():
        assert (await anna.say(command)).plain == expected, command
    usage = (await anna.say("/settings lunch 13:00")).plain or ""
    assert usage.startswith("Use /settings to see everything with buttons")
    assert "/settings report mon 09:00" in usage
    assert "is not a set of weekdays" in (
        (await anna.say("/settings workdays sat-mon")).plain or ""
    )
    assert "is not a country code" in ((await anna.say("/settings country XX")).plain or "")
    assert settings_of(await team(kpi)) == before


async def test_only_the_teams_manager_changes_settings(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    assert (await bob.say("/settings")).plain == MANAGER_ONLY
    assert (await bob.say("/settings reminder 10:00")).plain == MANAGER_ONLY
    await anna.say("/settings")
    before = settings_of(await team(kpi))

    # Bob presses the button of Anna's message (forwarded, or a forged callback).
    query_id = kpi.tg.press_button(ANNA, bob, "▫️ Sat")
    assert (await kpi.tg.wait_callback_answer(query_id)).text == MANAGER_ONLY
    await kpi.tg.expect_silence()
    assert settings_of(await team(kpi)) == before

    # A manager of another team changes neither team through these buttons.
    dora = kpi.tg.user(DORA, "Dora", username="dora")
    await dora.say("/newteam Rivals")
    rivals_before = settings_of(await team(kpi, "Rivals"))
    query_id = kpi.tg.press_button(ANNA, dora, "✅ Public stats")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert answer.text == "These buttons are from another team's settings. Open /settings again."
    await kpi.tg.expect_silence()
    assert settings_of(await team(kpi)) == before
    assert settings_of(await team(kpi, "Rivals")) == rivals_before


async def test_remind_sets_a_personal_time_and_switches(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    shown = (await bob.say("/remind")).plain or ""
    assert shown.startswith("⏰ Your reminder: 18:00 on working days (the team's time)\n")
    assert "“On track” line on days you keep the pace: on" in shown

    assert (await bob.say("/remind 19:30")).plain == (
        "⏰ Done: your reminder comes at 19:30 on working days."
    )
    assert (await person(kpi, BOB)).reminder_time == time(19, 30)
    assert ((await bob.say("/remind")).plain or "").startswith(
        "⏰ Your reminder: 19:30 on working days (your own time; the team's is 18:00)"
    )

    assert (await bob.say("/remind off")).plain == (
        "🔕 Reminders are off. Turn them back on: /remind on"
    )
    assert (await person(kpi, BOB)).reminders_on is False
    assert ((await bob.say("/remind")).plain or "").startswith("⏰ Your reminder: off\n")
    assert (await bob.say("/remind on")).plain == "⏰ Reminders are on: 19:30 on working days."
    assert (await person(kpi, BOB)).reminders_on is True

    assert (await bob.say("/remind ontrack off")).plain == (
        "Done: on days you keep the pace, no reminder at all. Back: /remind ontrack on"
    )
    assert (await person(kpi, BOB)).on_track_notes is False
    assert "keep the pace: off" in ((await bob.say("/remind")).plain or "")

    examples = (
        "Examples: /remind 19:30 · /remind team · /remind off · /remind on · /remind ontrack off"
    )
    assert (await bob.say("/remind 24:00")).plain == (
        f"“24:00” is not a time of day. Use H:MM or HH:MM, from 00:00 to 23:59.\n{examples}"
    )
    assert (await bob.say("/remind sometimes")).plain == (
        f"/remind doesn't understand “sometimes”.\n{examples}"
    )
    bob_row = await person(kpi, BOB)
    assert (bob_row.reminder_time, bob_row.reminders_on, bob_row.on_track_notes) == (
        time(19, 30),
        True,
        False,
    )

    # The team's default follows /settings; "team" drops the personal time.
    await anna.say("/settings reminder 17:00")
    assert (await bob.say("/remind team")).plain == (
        "⏰ Done: your reminder follows the team's time, 17:00."
    )
    assert (await person(kpi, BOB)).reminder_time is None
    assert ((await anna.say("/remind 9:00")).plain or "").endswith("at 09:00 on working days.")

    stranger = kpi.tg.user(1009, "Sam", username="sam")
    assert ((await stranger.say("/remind off")).plain or "").startswith("You're not in a team yet")


async def test_russian_settings_and_reminder(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi, language="ru")
    shown = await anna.say("/settings")
    text = shown.plain or ""
    assert "⚙️ Настройки «Sales»\n" in text
    assert "Рабочие дни: пн, вт, ср, чт, пт\n" in text
    assert "Еженедельный отчёт: понедельник, 09:00\n" in text
    assert "Тихие часы: 22:00–08:00\n" in text
    assert shown.buttons()[0] == ["✅ пн", "✅ вт", "✅ ср", "✅ чт"]
    assert shown.buttons()[2] == ["⏰ Напоминание −1 ч", "⏰ Напоминание +1 ч"]
    pressed = await anna.press("▫️ сб")
    assert "Рабочие дни: пн, вт, ср, чт, пт, сб\n" in (pressed.plain or "")

    saved = (await anna.say("/settings отчёт пт 17:00")).plain or ""
    assert saved.startswith("✅ Сохранено.") and "Еженедельный отчёт: пятница, 17:00" in saved
    assert (await anna.say("/settings reminder 9")).plain == (
        "«9» — не время. Нужно Ч:ММ или ЧЧ:ММ, от 00:00 до 23:59.\nПример: /settings reminder 18:30"
    )
    assert (await bob.say("/settings")).plain == "⛔ Это может только руководитель команды."

    assert (await bob.say("/remind выкл")).plain == (
        "🔕 Напоминания выключены. Включить снова: /remind вкл"
    )
    assert ((await bob.say("/remind")).plain or "").startswith("⏰ Ваше напоминание: выключено")
    assert (await bob.say("/remind 8:15")).plain == (
        "⏰ Готово: напоминание будет приходить в 08:15 по рабочим дням."
    )
    bob_row = await person(kpi, BOB)
    assert (bob_row.reminder_time, bob_row.reminders_on) == (time(8, 15), True)
