"""Creating a team (/newteam) and inviting people to it (/invite)."""

from aiogram import Bot, Router
from aiogram.filters import CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import Command, PlainText
from bot.middlewares import WRITES
from bot.services.teams import (
    MAX_TEAM_NAME,
    CreateRefusal,
    TeamNameError,
    clean_team_name,
    create_team,
    ensure_invite,
    is_last_manager,
    reset_invite,
)
from bot.texts import Translator
from bot.views.help import quick_commands
from bot.views.menu import managers_menu
from models import Person, TeamInfo, UnitOfWork


class NewTeam(StatesGroup):
    name = State()
    confirm_switch = State()


class SwitchToNewTeam(CallbackData, prefix="nt"):
    """The answer to "create the team and move there?"."""

    confirm: bool


def _created(t: Translator, result: TeamInfo | CreateRefusal, current: TeamInfo | None) -> str:
    if result is CreateRefusal.LAST_MANAGER:
        return t("join.last_manager", current=current.name if current else "")
    if result is CreateRefusal.CHANGED:
        return t("error.changed")
    assert isinstance(result, TeamInfo)
    return t("newteam.created", team=result.name)


async def _create_or_confirm(
    message: Message,
    raw_name: str | None,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None,
) -> SendMessage | list[TelegramMethod]:
    name = clean_team_name(raw_name)
    if name is TeamNameError.TOO_LONG:
        return message.answer(t("newteam.too_long", max=MAX_TEAM_NAME))
    if name is TeamNameError.EMPTY:
        await state.set_state(NewTeam.name)
        return message.answer(t("newteam.ask_name"))
    if await is_last_manager(session, user):
        assert team is not None
        await state.clear()
        return message.answer(t("join.last_manager", current=team.name))
    if team is not None:
        await state.set_state(NewTeam.confirm_switch)
        await state.update_data(name=name, leaving=team.id)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=t.plain("newteam.button.switch"), callback_data=SwitchToNewTeam(confirm=True)
        )
        builder.button(
            text=t.plain("newteam.button.stay"), callback_data=SwitchToNewTeam(confirm=False)
        )
        builder.adjust(1)
        return message.answer(
            t("newteam.confirm_switch", team=name, current=team.name),
            reply_markup=builder.as_markup(),
        )
    result = await create_team(session, user.id, name, leaving=None)
    await state.clear()
    if isinstance(result, TeamInfo):
        reply = message.answer(_created(t, result, team), reply_markup=quick_commands())
        return [reply, *managers_menu(user.id, dashboard=dashboard_url is not None)]
    return message.answer(_created(t, result, team))


async def new_team(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None = None,
) -> SendMessage | list[TelegramMethod]:
    return await _create_or_confirm(
        message, command.args, session, state, t, user, team, dashboard_url
    )


async def new_team_name(
    message: Message,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None = None,
) -> SendMessage | list[TelegramMethod]:
    return await _create_or_confirm(
        message, message.text, session, state, t, user, team, dashboard_url
    )


async def confirm_new_team(
    query: CallbackQuery,
    callback_data: SwitchToNewTeam,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None = None,
) -> list[TelegramMethod]:
    asked = await state.get_data()
    name = asked.get("name")
    await state.clear()
    after: list[TelegramMethod] = []
    leaving = team.id if team else None
    if not callback_data.confirm or not isinstance(name, str):
        text = t("newteam.stayed", team=team.name) if team else t("cancel.done")
    elif asked.get("leaving") != leaving:  # asked in another team: that answer is not for this
        text = t("error.changed")
    else:
        # Every rule is checked again now: the button may be old (create_team: under the lock).
        result = await create_team(session, user.id, name, leaving=leaving)
        text = _created(t, result, team)
        if isinstance(result, TeamInfo):
            after = list(managers_menu(user.id, dashboard=dashboard_url is not None))
    if not isinstance(query.message, Message):
        return [query.answer(text[:200]), *after]
    return [query.answer(), query.message.edit_text(text), *after]


async def invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
) -> SendMessage:
    argument = (command.args or "").strip().lower()
    if argument not in ("", "reset"):
        return message.answer(t("invite.bad_argument"))
    if argument == "reset":
        token = await reset_invite(session, team.id)
    else:
        token = await ensure_invite(session, team.id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    key = "invite.reset" if argument == "reset" else "invite.link"
    return message.answer(
        t(key, team=team.name, link=link), link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def register(router: Router) -> None:
    """Anyone, in private."""
    router.message.register(new_team, Command("newteam"), flags=WRITES)
    router.message.register(new_team_name, StateFilter(NewTeam.name), PlainText(), flags=WRITES)
    router.callback_query.register(confirm_new_team, SwitchToNewTeam.filter(), flags=WRITES)


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(invite, Command("invite"), flags=WRITES)
