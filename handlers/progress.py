"""Own numbers: /today, /week, /month."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.filters import Command
from bot.services.periods import Period, local_date
from bot.services.progress import day_reads, progress_report
from bot.services.streaks import last_day_over, person_streak
from bot.texts import Translator
from bot.views import progress as views
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team_rewards import rewards_query

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
    if period is not Period.DAY:
        report = await progress_report(session, user, team, period, today)
        return message.answer(views.report(t, report, 0))
    # The day's report, the streak's first look and the team's choices: one trip.
    (report, first), rewards = await session.together(
        day_reads(user, team, today), rewards_query(team.id)
    )
    streak = 0
    if rewards.streaks_on:
        streak = await person_streak(session, team, user, last_day_over(today), first)
    return message.answer(views.report(t, report, streak))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_progress, Command(*PERIOD_COMMANDS))
