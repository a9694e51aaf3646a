"""/timezone, /settings with its buttons, and /remind."""

from collections.abc import Callable
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from bot.services.team_settings import quiet_hours_on
from bot.texts import Translator
from bot.views.rewards import panel as rewards_panel
from models import Person, TeamInfo
from models.base import utcnow
from models.team_rewards import Rewards

A_MONDAY = date(2024, 1, 1)
# Rows of the settings keyboard: 4 + 3 weekdays, then pairs of buttons; the last three rows
# are the small wins' (streaks and records, the digest, its time).
KEYBOARD_ROWS = (4, 3, 2, 2, 2, 2, 2, 1, 2)
# What a button of the settings keyboard sends: (which button, its value) -> callback data.
Press = Callable[[str, int], CallbackData]


def local_time(team: TeamInfo) -> str:
    return utcnow().astimezone(ZoneInfo(team.timezone)).strftime("%H:%M")


def clock(value: time) -> str:
    return value.strftime("%H:%M")


def day_name(t: Translator, weekday: int, pattern: str = "EEE") -> str:
    """`Mon` / `пн` (pattern EEE) or `Monday` / `понедельник` (EEEE)."""
    return format_date(A_MONDAY + timedelta(days=weekday), pattern, locale=t.language)


def weekday_names(t: Translator, team: TeamInfo) -> str:
    return ", ".join(day_name(t, day) for day in sorted(team.weekdays))


def panel(t: Translator, team: TeamInfo, rewards: Rewards) -> str:
    if quiet_hours_on(team):
        quiet = t("settings.value.quiet", start=clock(team.quiet_start), end=clock(team.quiet_end))
    else:
        quiet = t("settings.value.off")
    return (
        t(
            "settings.panel",
            team=team.name,
            tz=team.timezone,
            country=team.country or t("settings.no_country"),
            weekdays=weekday_names(t, team),
            reminder=clock(team.reminder_time),
            report_day=day_name(t, team.report_weekday, "EEEE"),
            report_time=clock(team.report_time),
            quiet=quiet,
            public=t("settings.value.on" if team.public_stats else "settings.value.off"),
            group=t("settings.value.group_bound" if team.chat_id else "settings.value.group_none"),
        )
        + "\n"
        + rewards_panel(t, team, rewards)
    )


def keyboard(t: Translator, team: TeamInfo, rewards: Rewards, press: Press) -> InlineKeyboardMarkup:
    """The buttons under the panel; `press` makes each one's callback data."""
    builder = InlineKeyboardBuilder()

    def add(key: str, button: str, value: int = 0, **params: str) -> None:
        builder.button(text=t.plain(key, **params), callback_data=press(button, value))

    for day in range(7):
        state = "on" if day in team.weekdays else "off"
        add(f"settings.button.day_{state}", "wd", day, day=day_name(t, day))
    add("settings.button.reminder_earlier", "rm", -1)
    add("settings.button.reminder_later", "rm", 1)
    add("settings.button.report_day_back", "rd", -1)
    add("settings.button.report_day_next", "rd", 1)
    add("settings.button.report_earlier", "rt", -1)
    add("settings.button.report_later", "rt", 1)
    add(f"settings.button.quiet_{'on' if quiet_hours_on(team) else 'off'}", "qt")
    add(f"settings.button.public_{'on' if team.public_stats else 'off'}", "pb")
    add(f"rewards.button.streaks_{'on' if rewards.streaks_on else 'off'}", "sk")
    add(f"rewards.button.records_{'on' if rewards.records_on else 'off'}", "rc")
    add(f"rewards.button.digest_{'on' if rewards.digest_on else 'off'}", "dg")
    add("rewards.button.digest_earlier", "dt", -1)
    add("rewards.button.digest_later", "dt", 1)
    builder.adjust(*KEYBOARD_ROWS)
    return builder.as_markup()


def reminder_state(t: Translator, user: Person, team: TeamInfo) -> str:
    if not user.reminders_on:
        reminder = t("personal_reminder.state.off")
    elif user.reminder_time is not None:
        reminder = t(
            "personal_reminder.state.own",
            time=clock(user.reminder_time),
            team_time=clock(team.reminder_time),
        )
    else:
        reminder = t("personal_reminder.state.team", time=clock(team.reminder_time))
    on_track = t("settings.value.on" if user.on_track_notes else "settings.value.off")
    return t("personal_reminder.show", reminder=reminder, on_track=on_track)
