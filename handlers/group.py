"""The team's group: /bindchat, /unbindchat and the bot joining or leaving. Nothing else in a
group gets an answer."""

from aiogram import Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.methods import SendMessage
from aiogram.types import ChatMemberUpdated, Message

from bot.filters import Command, GroupChat, IsManager, MigratedToSupergroup
from bot.middlewares import WRITES
from bot.services.teams import bind_chat, chat_migrated, unbind_chat
from bot.texts import Translator
from models import Person, TeamInfo, UnitOfWork
from models.team import team_by_chat


async def added_to_group(event: ChatMemberUpdated, t: Translator) -> SendMessage:
    return event.answer(t("group.hello"))


async def removed_from_group(event: ChatMemberUpdated, session: UnitOfWork) -> None:
    # Nothing can be posted there any more: stop queueing celebrations for it.
    await unbind_chat(session, event.chat.id)


async def upgraded_to_supergroup(message: Message, session: UnitOfWork) -> None:
    assert message.migrate_to_chat_id is not None
    await chat_migrated(session, message.chat.id, message.migrate_to_chat_id)


async def bind(message: Message, session: UnitOfWork, t: Translator, team: TeamInfo) -> SendMessage:
    bound = await team_by_chat(session, message.chat.id)
    if bound is not None:
        key = "group.already_bound" if bound.id == team.id else "group.bound_elsewhere"
        return message.answer(t(key, team=bound.name))
    await bind_chat(session, team.id, message.chat.id)
    return message.answer(t("group.bound", team=team.name))


async def unbind(
    message: Message, session: UnitOfWork, t: Translator, user: Person | None
) -> SendMessage:
    bound = await team_by_chat(session, message.chat.id)
    if bound is None:
        return message.answer(t("group.not_bound"))
    # Only the bound team's own manager: a manager of another team may not release it.
    if user is None or not user.is_manager or user.team_id != bound.id:
        return message.answer(t("group.unbind_refused", team=bound.name))
    await unbind_chat(session, message.chat.id)
    return message.answer(t("group.unbound", team=bound.name))


async def bind_refused(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("group.bind_refused"))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.filter(GroupChat())
    router.my_chat_member.filter(GroupChat())
    router.my_chat_member.register(added_to_group, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.my_chat_member.register(
        removed_from_group, ChatMemberUpdatedFilter(LEAVE_TRANSITION), flags=WRITES
    )
    router.message.register(upgraded_to_supergroup, MigratedToSupergroup(), flags=WRITES)
    router.message.register(bind, Command("bindchat"), IsManager(), flags=WRITES)
    router.message.register(unbind, Command("unbindchat"), flags=WRITES)
    router.message.register(bind_refused, Command("bindchat"))
    return router
