"""/timezone and /settings (manager): the team's calendar, reminder and report times, buttons."""

from enum import StrEnum
from functools import partial

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain import ButtonStep, ParseError, RowId
from bot.filters import Command, IsManager
from bot.middlewares import WRITES
from bot.services.reward_settings import (
    apply_reward_setting,
    change_rewards,
    move_digest,
    toggle_digest,
    toggle_records,
    toggle_streaks,
)
from bot.services.team_settings import (
    REWARD_SETTINGS,
    SETTING_WORDS,
    apply_setting,
    change_team,
    parse_timezone,
    shift_time,
    toggle_quiet_hours,
    toggle_weekday,
)
from bot.texts import Translator
from bot.views import settings as views
from bot.views.common import parse_problem
from models import Team, TeamInfo, TeamRewards, UnitOfWork
from models.team_rewards import Rewards, team_rewards


class SettingsButton(StrEnum):
    WEEKDAY = "wd"  # value: the weekday (0 = Monday)
    REMINDER = "rm"  # value: hours to move by (-1 / +1)
    REPORT_DAY = "rd"  # value: days to move by (-1 / +1)
    REPORT_TIME = "rt"  # value: hours to move by (-1 / +1)
    QUIET = "qt"
    PUBLIC = "pb"
    STREAKS = "sk"
    RECORDS = "rc"
    DIGEST = "dg"
    DIGEST_TIME = "dt"  # value: hours to move by (-1 / +1)


REWARD_BUTTONS = frozenset(
    {
        SettingsButton.STREAKS,
        SettingsButton.RECORDS,
        SettingsButton.DIGEST,
        SettingsButton.DIGEST_TIME,
    }
)


class SettingsPress(CallbackData, prefix="st"):
    """A button under the settings of `team_id`: a stale or foreign message changes nothing."""

    team_id: RowId
    button: SettingsButton
    value: ButtonStep = 0


def _press(team_id: int, button: str, value: int) -> SettingsPress:
    return SettingsPress(team_id=team_id, button=SettingsButton(button), value=value)


def _keyboard(t: Translator, team: TeamInfo, rewards: Rewards) -> InlineKeyboardMarkup:
    return views.keyboard(t, team, rewards, partial(_press, team.id))


async def timezone(
    message: Message, command: CommandObject, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage:
    if not command.args:
        return message.answer(t("tz.current", tz=team.timezone, time=views.local_time(team)))
    try:
        zone = parse_timezone(command.args)
    except ParseError as error:
        return message.answer(parse_problem(t, error))

    def set_zone(stored: Team) -> bool:
        stored.timezone = zone
        return True

    changed = await change_team(session, team.id, set_zone)
    assert changed is not None
    return message.answer(t("tz.set", tz=changed.timezone, time=views.local_time(changed)))


async def settings(
    message: Message, command: CommandObject, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage:
    words = (command.args or "").split(maxsplit=1)
    if not words:
        rewards = await team_rewards(session, team.id)
        return message.answer(
            views.panel(t, team, rewards), reply_markup=_keyboard(t, team, rewards)
        )
    setting = SETTING_WORDS.get(words[0].lower())
    if setting is None:
        return message.answer(t("settings.usage"))
    example = t(f"settings.example.{setting.value}")
    if len(words) < 2:
        return message.answer(example)
    value = words[1]

    def apply(stored: Team) -> bool:
        apply_setting(stored, setting, value)
        return True

    try:
        if setting in REWARD_SETTINGS:
            rewards = await change_rewards(
                session, team.id, partial(apply_reward_setting, setting=setting, value=value)
            )
            changed: TeamInfo | None = team
        else:
            changed = await change_team(session, team.id, apply)
            rewards = await team_rewards(session, team.id)
    except ParseError as error:
        return message.answer(f"{parse_problem(t, error)}\n{example}")
    assert changed is not None
    return message.answer(
        t("settings.saved") + "\n\n" + views.panel(t, changed, rewards),
        reply_markup=_keyboard(t, changed, rewards),
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


def apply_reward_press(row: TeamRewards, press: SettingsPress) -> None:
    if press.button is SettingsButton.STREAKS:
        toggle_streaks(row)
    elif press.button is SettingsButton.RECORDS:
        toggle_records(row)
    elif press.button is SettingsButton.DIGEST:
        toggle_digest(row)
    else:
        move_digest(row, press.value)


async def press_setting(
    query: CallbackQuery,
    callback_data: SettingsPress,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    if callback_data.team_id != team.id:
        return query.answer(t.plain("settings.toast.other_team"))
    changed: TeamInfo | None
    if callback_data.button in REWARD_BUTTONS:
        changed = team
        rewards = await change_rewards(
            session, team.id, partial(apply_reward_press, press=callback_data)
        )
    else:
        changed = await change_team(session, team.id, partial(apply_press, press=callback_data))
        rewards = await team_rewards(session, team.id)
    if changed is None:
        return query.answer(t.plain("settings.toast.last_workday"))
    if not isinstance(query.message, Message):  # too old to edit: say it worked, at least
        return query.answer(t.plain("settings.toast.saved"))
    return query.answer(), query.message.edit_text(
        views.panel(t, changed, rewards), reply_markup=_keyboard(t, changed, rewards)
    )


async def refuse_setting(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    """Someone who does not manage a team pressed a (forwarded or stale) settings button."""
    return query.answer(t.plain("manager_only"))


def register_managers(router: Router) -> None:
    """Managers, in private; the settings buttons answer anyone who presses them."""
    router.message.register(timezone, Command("timezone"), flags=WRITES)
    router.message.register(settings, Command("settings"), flags=WRITES)
    router.callback_query.register(press_setting, SettingsPress.filter(), IsManager(), flags=WRITES)
    router.callback_query.register(refuse_setting, SettingsPress.filter())
