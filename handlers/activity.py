"""Logging work: /call, /meeting, /lead, /deal and /undo."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.domain import ParseError
from bot.filters import Command
from bot.middlewares import WRITES
from bot.outgoing.celebrations import celebrate_crossings
from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import parse_entry
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import log as views
from models import EntryKind, Person, TeamInfo, UnitOfWork
from models.base import utcnow

LOG_COMMANDS = tuple(kind.value for kind in EntryKind)


async def log_entry(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    kind = EntryKind(command.command.lower())
    today = local_date(utcnow(), team.timezone)
    try:
        parsed = parse_entry(kind, command.args, today)
    except ParseError as error:
        return message.answer(views.entry_problem(t, error, kind))
    result = await record_entry(session, user.id, team.id, kind, parsed)
    await celebrate_crossings(session, team, user, kind, today)
    return message.answer(views.recorded(t, result.entry, result.day_total, today))


async def undo(
    message: Message, session: UnitOfWork, t: Translator, user: Person, team: TeamInfo
) -> SendMessage:
    entry = await undo_last_entry(session, user.id, team.id)
    if entry is None:
        return message.answer(t("undo.nothing"))
    return message.answer(views.undone(t, entry, local_date(utcnow(), team.timezone)))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(log_entry, Command(*LOG_COMMANDS), flags=WRITES)
    router.message.register(undo, Command("undo"), flags=WRITES)
