"""/timezone and /settings (manager): the team's calendar, reminder and report times, buttons."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import IsManager, PrivateChat
from bot.services.parsing import ParseError
from bot.services.team_settings import (
    SETTING_WORDS,
    apply_setting,
    parse_timezone,
    quiet_hours_on,
    shift_time,
    toggle_quiet_hours,
    toggle_weekday,
)
from bot.settings_callbacks import SettingsButton, SettingsPress
from bot.texts import Translator
from models import Team
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), IsManager())

A_MONDAY = date(2024, 1, 1)
# Rows of the settings keyboard: 4 + 3 weekdays, then pairs of buttons.
KEYBOARD_ROWS = (4, 3, 2, 2, 2, 2)


def local_time(team: Team) -> str:
    return utcnow().astimezone(ZoneInfo(team.timezone)).strftime("%H:%M")


def clock(value: time) -> str:
    return value.strftime("%H:%M")


def day_name(t: Translator, weekday: int, pattern: str = "EEE") -> str:
    """`Mon` / `пн` (pattern EEE) or `Monday` / `понедельник` (EEEE)."""
    return format_date(A_MONDAY + timedelta(days=weekday), pattern, locale=t.language)


def weekday_names(t: Translator, team: Team) -> str:
    return ", ".join(day_name(t, day) for day in sorted(team.weekdays))


@router.message(Command("timezone"))
async def timezone(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    if not command.args:
        return message.answer(t("tz.current", tz=team.timezone, time=local_time(team)))
    try:
        team.timezone = parse_timezone(command.args)
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    await session.commit()
    return message.answer(t("tz.set", tz=team.timezone, time=local_time(team)))


def show(t: Translator, team: Team) -> str:
    if quiet_hours_on(team):
        quiet = t("settings.value.quiet", start=clock(team.quiet_start), end=clock(team.quiet_end))
    else:
        quiet = t("settings.value.off")
    return t(
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


def keyboard(t: Translator, team: Team) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()

    def add(key: str, button: SettingsButton, value: int = 0, **params: str) -> None:
        press = SettingsPress(team_id=team.id, button=button, value=value)
        builder.button(text=t.plain(key, **params), callback_data=press)

    for day in range(7):
        state = "on" if day in team.weekdays else "off"
        add(f"settings.button.day_{state}", SettingsButton.WEEKDAY, day, day=day_name(t, day))
    add("settings.button.reminder_earlier", SettingsButton.REMINDER, -1)
    add("settings.button.reminder_later", SettingsButton.REMINDER, 1)
    add("settings.button.report_day_back", SettingsButton.REPORT_DAY, -1)
    add("settings.button.report_day_next", SettingsButton.REPORT_DAY, 1)
    add("settings.button.report_earlier", SettingsButton.REPORT_TIME, -1)
    add("settings.button.report_later", SettingsButton.REPORT_TIME, 1)
    add(f"settings.button.quiet_{'on' if quiet_hours_on(team) else 'off'}", SettingsButton.QUIET)
    add(f"settings.button.public_{'on' if team.public_stats else 'off'}", SettingsButton.PUBLIC)
    builder.adjust(*KEYBOARD_ROWS)
    return builder.as_markup()


@router.message(Command("settings"))
async def settings(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    words = (command.args or "").split(maxsplit=1)
    if not words:
        return message.answer(show(t, team), reply_markup=keyboard(t, team))
    setting = SETTING_WORDS.get(words[0].lower())
    if setting is None:
        return message.answer(t("settings.usage"))
    example = t(f"settings.example.{setting.value}")
    if len(words) < 2:
        return message.answer(example)
    try:
        apply_setting(team, setting, words[1])
    except ParseError as error:
        return message.answer(f"{t(f'error.{error.code}', **error.params)}\n{example}")
    await session.commit()
    return message.answer(
        t("settings.saved") + "\n\n" + show(t, team), reply_markup=keyboard(t, team)
    )


def apply_press(team: Team, press: SettingsPress) -> bool:
    """Change what the button says; False if the change is refused (no working day left)."""
    if press.button is SettingsButton.WEEKDAY:
        mask = toggle_weekday(team.weekdays_mask, press.value % 7)
        if mask is None:
            return False
        team.weekdays_mask = mask
    elif press.button is SettingsButton.REMINDER:
        team.reminder_time = shift_time(team.reminder_time, press.value)
    elif press.button is SettingsButton.REPORT_DAY:
        team.report_weekday = (team.report_weekday + press.value) % 7
    elif press.button is SettingsButton.REPORT_TIME:
        team.report_time = shift_time(team.report_time, press.value)
    elif press.button is SettingsButton.QUIET:
        toggle_quiet_hours(team)
    elif press.button is SettingsButton.PUBLIC:
        team.public_stats = not team.public_stats
    return True


@router.callback_query(SettingsPress.filter(), IsManager())
async def press_setting(
    query: CallbackQuery,
    callback_data: SettingsPress,
    session: AsyncSession,
    t: Translator,
    team: Team,
) -> AnswerCallbackQuery | EditMessageText:
    if callback_data.team_id != team.id:
        return query.answer(t.plain("settings.toast.other_team"))
    if not apply_press(team, callback_data):
        return query.answer(t.plain("settings.toast.last_workday"))
    await session.commit()
    if not isinstance(query.message, Message):  # too old to edit: say it worked, at least
        return query.answer(t.plain("settings.toast.saved"))
    await query.answer()
    return query.message.edit_text(show(t, team), reply_markup=keyboard(t, team))


@router.callback_query(SettingsPress.filter())
async def refuse_setting(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    """Someone who does not manage a team pressed a (forwarded or stale) settings button."""
    return query.answer(t.plain("manager_only"))
