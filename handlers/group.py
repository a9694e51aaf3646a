"""The team's group: /bindchat, /unbindchat and the bot joining or leaving. The bot's other
commands get a pointer to the private chat (one a minute at most: a group takes 20 messages a
minute); nothing else in a group gets an answer."""

from collections.abc import Iterable
from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.methods import DeleteMessage, SendMessage
from aiogram.types import ChatMemberUpdated, Message

from bot.filters import Command, GroupChat, IsManager, MigratedToSupergroup
from bot.middlewares import WRITES
from bot.services.teams import bind_chat, chat_migrated, unbind_chat
from bot.texts import Translator
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team import team_by_chat

GROUP_COMMANDS = ("bindchat", "unbindchat")
POINTER_EVERY = timedelta(minutes=1)
# Commands whose arguments may be secrets (a PBX's API secret, a portal's webhook URL).
SECRET_COMMANDS = frozenset({"connect"})


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


def _holds_secret(message: Message) -> bool:
    words = (message.text or "").split(maxsplit=1)
    command = words[0].removeprefix("/").partition("@")[0].lower() if words else ""
    return len(words) == 2 and command in SECRET_COMMANDS


async def point_to_private(
    message: Message, bot: Bot, fsm_storage: BaseStorage, t: Translator
) -> list[DeleteMessage | SendMessage]:
    # A secret sent here is seen by the whole group: taken out of the chat at once.
    replies: list[DeleteMessage | SendMessage] = []
    if _holds_secret(message):
        replies.append(DeleteMessage(chat_id=message.chat.id, message_id=message.message_id))
    # Kept in the dispatcher's storage (shared by every instance when it is Redis).
    key = StorageKey(
        bot_id=bot.id, chat_id=message.chat.id, user_id=message.chat.id, destiny="group_pointer"
    )
    now = utcnow().timestamp()
    last = (await fsm_storage.get_data(key)).get("at")
    if isinstance(last, int | float) and 0 <= now - last < POINTER_EVERY.total_seconds():
        return replies
    await fsm_storage.set_data(key, {"at": now})
    me = await bot.me()
    return [*replies, message.answer(t("group.use_private", bot=me.username or ""))]


async def only_in_group(message: Message, t: Translator) -> SendMessage:
    command = (message.text or "").split(maxsplit=1)[0].partition("@")[0].lower()
    return message.answer(t("group.only_in_group", command=command))


def register_private(router: Router) -> None:
    """The group's commands sent in a private chat: say where they work."""
    router.message.register(only_in_group, Command(*GROUP_COMMANDS))


def setup(private_commands: Iterable[str] = ()) -> Router:
    """`private_commands`: the commands answered in private, which get a pointer here."""
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
    pointed = tuple(name for name in private_commands if name not in GROUP_COMMANDS)
    if pointed:
        router.message.register(point_to_private, Command(*pointed))
    return router
