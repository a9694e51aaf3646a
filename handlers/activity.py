"""Logging work: /call, /meeting, /lead, /deal and /undo."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import views
from bot.filters import InTeam, PrivateChat
from bot.sender import OutboxSender
from bot.services.celebrations import check_crossings
from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import ParseError, parse_entry
from bot.services.periods import local_date
from bot.texts import Translator
from models import EntryKind, Team, User
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())

LOG_COMMANDS = tuple(kind.value for kind in EntryKind)


@router.message(Command(*LOG_COMMANDS))
async def log_entry(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
    outbox: OutboxSender,
) -> SendMessage:
    kind = EntryKind(command.command.lower())
    today = local_date(utcnow(), team.timezone)
    try:
        parsed = parse_entry(kind, command.args, today)
    except ParseError as error:
        return message.answer(views.parse_error(t, error, kind))
    result = await record_entry(session, user, team, kind, parsed)
    if await check_crossings(session, team, user, today):
        await session.commit()
        outbox.wake()
    return message.answer(views.recorded(t, result.entry, result.day_total, today))


@router.message(Command("undo"))
async def undo(
    message: Message, session: AsyncSession, t: Translator, user: User, team: Team
) -> SendMessage:
    entry = await undo_last_entry(session, user, team)
    if entry is None:
        return message.answer(t("undo.nothing"))
    return message.answer(views.undone(t, entry, local_date(utcnow(), team.timezone)))
