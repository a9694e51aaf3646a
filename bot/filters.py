"""The routers' filters, all of them coroutines.

aiogram runs a synchronous filter (a magic `F` filter included) through `asyncio.to_thread`:
a trip to a worker thread and back for every update that reaches it, which cost /call about
a tenth of a millisecond per router on the way. These are the same checks without the trip.
"""

from dataclasses import replace
from typing import Any

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.filters import Command as AiogramCommand
from aiogram.filters import CommandObject, Filter
from aiogram.types import Message, TelegramObject

from models import Person, TeamInfo

GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


class IsManager(Filter):
    """The sender manages their team."""

    async def __call__(self, event: TelegramObject, user: Person | None = None) -> bool:
        return user is not None and user.is_manager


class PrivateMember(Filter):
    """A message in the bot's private chat from someone in a team: one check for the branch
    most updates go to (each filter an update passes costs it aiogram's call machinery)."""

    async def __call__(self, message: Message, team: TeamInfo | None = None) -> bool:
        return team is not None and message.chat.type == ChatType.PRIVATE


class PrivateChat(Filter):
    """A message in the bot's private chat with someone."""

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == ChatType.PRIVATE


class GroupChat(Filter):
    """A message or membership change in a group or supergroup."""

    async def __call__(self, event: TelegramObject, event_chat: object = None) -> bool:
        return getattr(event_chat, "type", None) in GROUP_TYPES


class CommandText(Filter):
    """Text that starts with "/": a command, known or not."""

    async def __call__(self, message: Message) -> bool:
        return (message.text or "").startswith("/")


class PlainText(Filter):
    """Text that is not a command (an answer to a question the bot asked)."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and not (message.text or "").startswith("/")


class MigratedToSupergroup(Filter):
    """The service message a group sends when it becomes a supergroup with a new id."""

    async def __call__(self, message: Message) -> bool:
        return message.migrate_to_chat_id is not None


class Command(AiogramCommand):
    """aiogram's Command, which tells a command it does not answer in a few string operations
    instead of raising and catching an exception each time (every update meets several), and
    reads one it answers without aiogram's general parsing (every command update passes here).

    Case does not matter (a phone capitalises the first letter: "/Call 2"); handlers read
    `command.command` lower-cased."""

    def __init__(self, *values: str) -> None:
        super().__init__(*values, ignore_case=True)
        self._names = frozenset(value.lower() for value in values)

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        text = message.text or message.caption if isinstance(message, Message) else None
        if not text or text[0] not in self.prefix:
            return False
        head, *args = text.split(maxsplit=1)
        name, _, mention = head[1:].partition("@")
        name = name.lower()
        if name not in self._names:
            return False
        if mention:  # "/call@some_bot": aiogram checks that it names this bot
            found = await super().__call__(message, bot)
            if isinstance(found, dict):
                command: CommandObject = found["command"]
                found["command"] = replace(command, command=name)
            return found
        return {
            "command": CommandObject(prefix=head[0], command=name, args=args[0] if args else None)
        }
