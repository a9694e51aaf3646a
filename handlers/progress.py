"""Own numbers: /today, /week, /month."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import views
from bot.filters import InTeam, PrivateChat
from bot.services.periods import Period, local_date
from bot.services.progress import progress_report
from bot.texts import Translator
from models import Team, User
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())

PERIOD_COMMANDS = {"today": Period.DAY, "week": Period.WEEK, "month": Period.MONTH}


@router.message(Command(*PERIOD_COMMANDS))
async def show_progress(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage:
    period = PERIOD_COMMANDS[command.command.lower()]
    today = local_date(utcnow(), team.timezone)
    report = await progress_report(session, user, team, period, today)
    return message.answer(views.report(t, report))
