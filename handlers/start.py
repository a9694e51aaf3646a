"""/start: registration, the welcome text, and joining a team by an invite deep link."""

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.middlewares import WRITES
from bot.outgoing.membership import announce_join
from bot.services.teams import JoinOutcome, JoinResult, join_by_invite
from bot.texts import Translator
from bot.views.help import quick_commands
from bot.views.menu import drop_managers_menu
from models import Person, TeamInfo, UnitOfWork


class JoinTeam(CallbackData, prefix="jn"):
    """The answer to "move to that team?" under a /start <invite> message."""

    token: str
    confirm: bool


def confirm_keyboard(t: Translator, result: JoinResult, token: str) -> InlineKeyboardMarkup:
    assert result.team is not None and result.current_team is not None
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t.plain("join.button.switch", team=result.team.name),
        callback_data=JoinTeam(token=token, confirm=True),
    )
    builder.button(
        text=t.plain("join.button.stay", team=result.current_team.name),
        callback_data=JoinTeam(token=token, confirm=False),
    )
    builder.adjust(1)
    return builder.as_markup()


def join_reply(t: Translator, result: JoinResult) -> str:
    if result.outcome is JoinOutcome.UNKNOWN_LINK:
        return t("join.unknown_link")
    if result.outcome is JoinOutcome.CHANGED:
        return t("error.changed")
    assert result.team is not None
    if result.outcome is JoinOutcome.LAST_MANAGER:
        assert result.current_team is not None
        return t("join.last_manager", current=result.current_team.name)
    if result.outcome is JoinOutcome.ALREADY_MEMBER:
        return t("join.already_member", team=result.team.name)
    if result.outcome is JoinOutcome.NEEDS_CONFIRMATION:
        assert result.current_team is not None
        return t("join.confirm", team=result.team.name, current=result.current_team.name)
    return t("join.joined", team=result.team.name)


async def _joined(session: UnitOfWork, result: JoinResult, user: Person) -> list[TelegramMethod]:
    """After a join: the team's managers hear of it; a manager who moved loses their menu."""
    assert result.team is not None
    await announce_join(session, result.team, user)
    return list(drop_managers_menu(user.id)) if user.is_manager else []


async def start_with_invite(
    message: Message, command: CommandObject, session: UnitOfWork, t: Translator, user: Person
) -> SendMessage | list[TelegramMethod]:
    token = (command.args or "").strip()
    result = await join_by_invite(session, user.id, token, confirmed=False)
    if result.outcome is JoinOutcome.NEEDS_CONFIRMATION:
        return message.answer(
            join_reply(t, result), reply_markup=confirm_keyboard(t, result, token)
        )
    if result.outcome is JoinOutcome.JOINED:
        after = await _joined(session, result, user)
        return [message.answer(join_reply(t, result), reply_markup=quick_commands()), *after]
    return message.answer(join_reply(t, result))


async def start(message: Message, t: Translator, team: TeamInfo | None) -> SendMessage:
    if team is None:
        return message.answer(t("start.welcome"))
    return message.answer(t("start.welcome_back", team=team.name), reply_markup=quick_commands())


async def answer_join(
    query: CallbackQuery,
    callback_data: JoinTeam,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
) -> list[TelegramMethod]:
    after: list[TelegramMethod] = []
    if not callback_data.confirm:
        text = t("join.stayed", team=team.name) if team else t("join.cancelled")
    else:
        result = await join_by_invite(
            session,
            user.id,
            callback_data.token,
            confirmed=True,
            leaving=team.id if team else None,
        )
        text = join_reply(t, result)
        if result.outcome is JoinOutcome.JOINED:
            after = await _joined(session, result, user)
    if not isinstance(query.message, Message):
        return [query.answer(text[:200]), *after]
    return [query.answer(), query.message.edit_text(text), *after]


def register(router: Router) -> None:
    """Anyone, in private (callback queries: anyone who presses)."""
    router.message.register(
        start_with_invite, CommandStart(deep_link=True, ignore_case=True), flags=WRITES
    )
    router.message.register(start, CommandStart(ignore_case=True))
    router.callback_query.register(answer_join, JoinTeam.filter(), flags=WRITES)
