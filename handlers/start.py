"""/start: registration, the welcome text, and joining a team by an invite deep link."""

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import JoinTeam
from bot.filters import PrivateChat
from bot.keyboards import quick_commands
from bot.services.teams import JoinOutcome, JoinResult, join_by_invite
from bot.texts import Translator
from models import Team, User

router = Router(name=__name__)
router.message.filter(PrivateChat())


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


@router.message(CommandStart(deep_link=True))
async def start_with_invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team | None,
) -> SendMessage:
    token = (command.args or "").strip()
    result = await join_by_invite(session, user, team, token, confirmed=False)
    await session.commit()
    markup: InlineKeyboardMarkup | None = None
    if result.outcome is JoinOutcome.NEEDS_CONFIRMATION:
        markup = confirm_keyboard(t, result, token)
    elif result.outcome is JoinOutcome.JOINED:
        return message.answer(join_reply(t, result), reply_markup=quick_commands())
    return message.answer(join_reply(t, result), reply_markup=markup)


@router.message(CommandStart())
async def start(message: Message, t: Translator, team: Team | None) -> SendMessage:
    if team is None:
        return message.answer(t("start.welcome"))
    return message.answer(t("start.welcome_back", team=team.name), reply_markup=quick_commands())


@router.callback_query(JoinTeam.filter())
async def answer_join(
    query: CallbackQuery,
    callback_data: JoinTeam,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team | None,
) -> EditMessageText | None:
    if not callback_data.confirm:
        text = t("join.stayed", team=team.name) if team else t("join.cancelled")
    else:
        result = await join_by_invite(session, user, team, callback_data.token, confirmed=True)
        text = join_reply(t, result)
    await session.commit()
    await query.answer()
    if not isinstance(query.message, Message):
        return None
    return query.message.edit_text(text)
