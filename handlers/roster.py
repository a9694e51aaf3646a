"""/team, /promote, /demote, /remove (manager)."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove

from bot.filters import Command, IsManager
from bot.middlewares import WRITES
from bot.services.periods import local_date
from bot.services.roster import RoleChange, remove_member, roster, set_role
from bot.texts import Translator, language_for, translator
from bot.views import roster as views
from bot.views.menu import drop_managers_menu, managers_menu
from bot.views.paging import page_buttons
from models import Person, Role, TeamInfo, UnitOfWork
from models.base import utcnow
from models.user import find_member


class RosterPage(CallbackData, prefix="rsp"):
    """◀ ▶ under /team: the page to show, drawn again from the roster as it is now."""

    page: int


async def _roster_page(
    session: UnitOfWork, t: Translator, team: TeamInfo, index: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows = await roster(session, team, local_date(utcnow(), team.timezone))
    shown = views.roster(t, team, rows, index)
    buttons = page_buttons(shown, lambda number: RosterPage(page=number))
    return shown.text, InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


async def show_team(
    message: Message, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage:
    text, markup = await _roster_page(session, t, team, 0)
    return message.answer(text, reply_markup=markup)


async def turn_roster_page(
    query: CallbackQuery,
    callback_data: RosterPage,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    if not isinstance(query.message, Message):  # too old to edit
        return query.answer()
    text, markup = await _roster_page(session, t, team, callback_data.page)
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def refuse_roster_page(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    """Someone who no longer manages a team pressed a roster page button."""
    return query.answer(t.plain("manager_only"))


async def _member(
    message: Message, command: CommandObject, session: UnitOfWork, t: Translator, team: TeamInfo
) -> Person | SendMessage:
    words = (command.args or "").split()
    if len(words) != 1 or not words[0].startswith("@") or len(words[0]) < 2:
        return message.answer(t("member.usage", command=command.command))
    member = await find_member(session, team.id, words[0])
    if member is None:
        return message.answer(t("error.user_unknown", value=words[0][1:]))
    return member


def _refusal(t: Translator, outcome: RoleChange, member: Person) -> str | None:
    if outcome is RoleChange.NOT_MEMBER:
        return t("error.user_unknown", value=member.username or member.first_name)
    if outcome is RoleChange.NOT_MANAGER:
        return t("manager_only")
    return None


async def change_role(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
    dashboard_url: str | None = None,
) -> SendMessage | list[TelegramMethod]:
    member = await _member(message, command, session, t, team)
    if not isinstance(member, Person):
        return member
    role = Role.MANAGER if command.command == "promote" else Role.EMPLOYEE
    outcome = await set_role(session, team.id, user.id, member.id, role)
    refused = _refusal(t, outcome, member)
    if refused is not None:
        return message.answer(refused)
    reply = message.answer(t(f"{command.command}.{outcome.value}", name=member.first_name))
    if outcome is not RoleChange.DONE:
        return reply
    menu = (
        managers_menu(member.id, dashboard=dashboard_url is not None)
        if role is Role.MANAGER
        else drop_managers_menu(member.id)
    )
    return [reply, *menu]


async def remove(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage | list[TelegramMethod]:
    member = await _member(message, command, session, t, team)
    if not isinstance(member, Person):
        return member
    outcome = await remove_member(session, team.id, user.id, member.id)
    refused = _refusal(t, outcome, member)
    if refused is not None:
        return message.answer(refused)
    if outcome is RoleChange.LAST_MANAGER:
        return message.answer(t("demote.last_manager", name=member.first_name))
    # The removed person hears it, and loses the keyboard and menu of a team they left.
    their_t = translator(language_for(member.language_code))
    told = SendMessage(
        chat_id=member.id,
        text=views.removal_notice(their_t, team),
        reply_markup=ReplyKeyboardRemove(),
    )
    menu = drop_managers_menu(member.id) if member.is_manager else []
    # Told first: by the time the manager reads "removed", so has the member.
    return [told, message.answer(t("remove.done", name=member.first_name, team=team.name)), *menu]


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(show_team, Command("team"))
    router.callback_query.register(turn_roster_page, RosterPage.filter(), IsManager())
    router.callback_query.register(refuse_roster_page, RosterPage.filter())
    router.message.register(change_role, Command("promote", "demote"), flags=WRITES)
    router.message.register(remove, Command("remove"), flags=WRITES)
