"""The phone's "/" menu: the members' for every private chat, the managers' in each manager's
own chat (a chat scope, set for each language: a scope without a language would outrank the
Russian menu of all private chats). /dashboard and /tv are in it only when the dashboard is
served (PUBLIC_URL set)."""

from aiogram.methods import DeleteMyCommands, SetMyCommands
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, translator

MEMBER_COMMANDS = (
    "call",
    "meeting",
    "lead",
    "deal",
    "undo",
    "today",
    "week",
    "month",
    "log",
    "targets",
    "chart",
    "bonus",
    "contest",
    "help",
)
MANAGER_COMMANDS = (
    *MEMBER_COMMANDS[:-1],
    "team",
    "leaderboard",
    "teamchart",
    "target",
    "invite",
    "settings",
    "bonusrules",
    "connect",
    "help",
)


# Offered before "help" when the dashboard is served.
MEMBER_DASHBOARD_COMMANDS = ("dashboard",)
MANAGER_DASHBOARD_COMMANDS = ("dashboard", "tv")


def _with(names: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return (*names[:-1], *extra, names[-1])


def members_commands(*, dashboard: bool) -> tuple[str, ...]:
    return _with(MEMBER_COMMANDS, MEMBER_DASHBOARD_COMMANDS if dashboard else ())


def managers_commands(*, dashboard: bool) -> tuple[str, ...]:
    return _with(MANAGER_COMMANDS, MANAGER_DASHBOARD_COMMANDS if dashboard else ())


def _code(language: str) -> str | None:
    return None if language == DEFAULT_LANGUAGE else language


def _commands(language: str, names: tuple[str, ...]) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(command=name, description=t.plain(f"menu.{name}")) for name in names]


def _menu(
    names: tuple[str, ...], scope: BotCommandScopeAllPrivateChats | BotCommandScopeChat
) -> list[SetMyCommands]:
    """One menu, set for each language (a scope without a language outranks the ones with)."""
    return [
        SetMyCommands(
            commands=_commands(language, names), scope=scope, language_code=_code(language)
        )
        for language in LANGUAGES
    ]


def members_menu(*, dashboard: bool) -> list[SetMyCommands]:
    return _menu(members_commands(dashboard=dashboard), BotCommandScopeAllPrivateChats())


def managers_menu(chat_id: int, *, dashboard: bool) -> list[SetMyCommands]:
    """For someone who became a manager (their private chat's id is their user id)."""
    commands = managers_commands(dashboard=dashboard)
    return _menu(commands, BotCommandScopeChat(chat_id=chat_id))


def drop_managers_menu(chat_id: int) -> list[DeleteMyCommands]:
    """For someone who is a manager no more: the members' menu shows again."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    return [DeleteMyCommands(scope=scope, language_code=_code(language)) for language in LANGUAGES]
