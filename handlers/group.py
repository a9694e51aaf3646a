"""The team's group: /bindchat, /unbindchat and the bot joining or leaving. Nothing else in a
group gets an answer."""

from aiogram import Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter, Command
from aiogram.methods import SendMessage
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import GroupChat, IsManager, MigratedToSupergroup
from bot.texts import Translator
from models import Team, User

router = Router(name=__name__)
router.message.filter(GroupChat())
router.my_chat_member.filter(GroupChat())


async def _bound_team(session: AsyncSession, chat_id: int) -> Team | None:
    return await session.scalar(select(Team).where(Team.chat_id == chat_id))


@router.my_chat_member(ChatMemberUpdatedFilter(JOIN_TRANSITION))
async def added_to_group(event: ChatMemberUpdated, t: Translator) -> SendMessage:
    return event.answer(t("group.hello"))


@router.my_chat_member(ChatMemberUpdatedFilter(LEAVE_TRANSITION))
async def removed_from_group(event: ChatMemberUpdated, session: AsyncSession) -> None:
    # Nothing can be posted there any more: stop queueing celebrations for it.
    await session.execute(update(Team).where(Team.chat_id == event.chat.id).values(chat_id=None))
    await session.commit()


@router.message(MigratedToSupergroup())
async def upgraded_to_supergroup(message: Message, session: AsyncSession) -> None:
    # A group that becomes a supergroup gets a new id; the old one stops accepting messages.
    await session.execute(
        update(Team)
        .where(Team.chat_id == message.chat.id)
        .values(chat_id=message.migrate_to_chat_id)
    )
    await session.commit()


@router.message(Command("bindchat"), IsManager())
async def bind_chat(
    message: Message, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    bound = await _bound_team(session, message.chat.id)
    if bound is not None:
        key = "group.already_bound" if bound.id == team.id else "group.bound_elsewhere"
        return message.answer(t(key, team=bound.name))
    team.chat_id = message.chat.id  # a team has one group: binding here moves it from any other
    await session.commit()
    return message.answer(t("group.bound", team=team.name))


@router.message(Command("unbindchat"))
async def unbind_chat(
    message: Message, session: AsyncSession, t: Translator, user: User | None
) -> SendMessage:
    bound = await _bound_team(session, message.chat.id)
    if bound is None:
        return message.answer(t("group.not_bound"))
    # Only the bound team's own manager: a manager of another team may not release it.
    if user is None or not user.is_manager or user.team_id != bound.id:
        return message.answer(t("group.unbind_refused", team=bound.name))
    bound.chat_id = None
    await session.commit()
    return message.answer(t("group.unbound", team=bound.name))


@router.message(Command("bindchat"))
async def bind_refused(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("group.bind_refused"))
