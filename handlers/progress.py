"""Own numbers: /today, /week, /month."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.filters import Command
from bot.services.periods import Period, local_date
from bot.services.progress import progress_reads
from bot.services.streaks import first_look, last_day_over, person_streak
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
    report_reads = progress_reads(user, team, period, today)
    if period is not Period.DAY:
        return message.answer(views.report(t, await session.one(report_reads), 0))
    # The day's report, the team's choices and the streak's first look: one trip.
    last = last_day_over(today)
    report, rewards, first = await session.together(
        report_reads, rewards_query(team.id), first_look(team, user, last)
    )
    streak = await person_streak(session, team, user, last, first) if rewards.streaks_on else 0
    return message.answer(views.report(t, report, streak))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_progress, Command(*PERIOD_COMMANDS))
