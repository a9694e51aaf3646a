"""Last in line: what nobody else handled gets a short, specific hint."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.filters import CommandText, PrivateChat
from bot.texts import Translator
from handlers.activity import LOG_COMMANDS
from handlers.progress import PERIOD_COMMANDS
from models import Team

router = Router(name=__name__)
router.message.filter(PrivateChat())

TEAM_COMMANDS = (
    *LOG_COMMANDS,
    "undo",
    *PERIOD_COMMANDS,
    "targets",
    "log",
    "export",
    "vacation",
    "remind",
)
MANAGER_COMMANDS = (
    "invite",
    "target",
    "leaderboard",
    "team",
    "promote",
    "demote",
    "remove",
    "timezone",
    "settings",
)


@router.message(Command(*TEAM_COMMANDS))
async def needs_team(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("no_team"))


@router.message(Command(*MANAGER_COMMANDS))
async def needs_manager(message: Message, t: Translator, team: Team | None) -> SendMessage:
    return message.answer(t("manager_only") if team is not None else t("no_team"))


@router.message(CommandText())
async def unknown_command(message: Message, t: Translator) -> SendMessage:
    command = (message.text or "").split(maxsplit=1)[0][:40]
    return message.answer(t("unknown_command", command=command))


@router.message()
async def anything_else(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("hint"))
