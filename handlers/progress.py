"""Own numbers: /today, /week, /month."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.filters import Command
from bot.services.periods import Period, local_date
from bot.services.progress import progress_report
from bot.services.streaks import last_day_over, person_streak
from bot.texts import Translator
from bot.views import progress as views
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team_rewards import team_rewards

PERIOD_COMMANDS = {"today": Period.DAY, "week": Period.WEEK, "month": Period.MONTH}


async def show_progress(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    period = PERIOD_COMMANDS[command.command.lower()]
    today = local_date(utcnow(), team.timezone)
    report = await progress_report(session, user, team, period, today)
    streak = 0
    if period is Period.DAY and (await team_rewards(session, team.id)).streaks_on:
        streak = await person_streak(session, team, user, last_day_over(today))
    return message.answer(views.report(t, report, streak))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_progress, Command(*PERIOD_COMMANDS))
