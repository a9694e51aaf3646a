"""/chart [week|month] (own numbers) and /teamchart [week|month] (manager) as pictures."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import render_person_chart, render_png, render_team_chart
from bot.db import finish_database_work
from bot.filters import InTeam, IsManager, PrivateChat
from bot.services.parsing import ParseError
from bot.services.periods import local_date, period_range
from bot.services.weekly import (
    load_results,
    parse_chart_period,
    person_caption,
    person_chart,
    team_caption,
    team_chart,
)
from bot.texts import Translator
from models import Team, User
from models.base import utcnow

# Tried in this order: managers, then everyone in a team, then people without one.
manager_router = Router(name=f"{__name__}.manager")
manager_router.message.filter(PrivateChat(), IsManager())
router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())
no_team_router = Router(name=f"{__name__}.no_team")
no_team_router.message.filter(PrivateChat())

FILENAME = "chart.png"


def _argument_error(t: Translator, command: CommandObject, error: ParseError) -> str:
    return t(f"error.{error.code}", command=command.command.lower(), **error.params)


@manager_router.message(Command("teamchart"))
async def show_team_chart(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage | SendPhoto:
    try:
        period = parse_chart_period(command.args)
    except ParseError as error:
        return message.answer(_argument_error(t, command, error))
    today = local_date(utcnow(), team.timezone)
    results = await load_results(session, team, period_range(period, today), today)
    data, caption = team_chart(results, t), team_caption(t, results)
    # Nothing to write: end the update's transaction (and SQLite's write lock) before rendering.
    await finish_database_work(session)
    png = await render_png(render_team_chart, data)
    return message.answer_photo(BufferedInputFile(png, FILENAME), caption=caption)


@router.message(Command("chart"))
async def show_own_chart(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage | SendPhoto:
    try:
        period = parse_chart_period(command.args)
    except ParseError as error:
        return message.answer(_argument_error(t, command, error))
    today = local_date(utcnow(), team.timezone)
    results = await load_results(session, team, period_range(period, today), today, user)
    person = results.of(user.id)
    data, caption = person_chart(results, person, t), person_caption(t, results, person)
    await finish_database_work(session)
    png = await render_png(render_person_chart, data)
    return message.answer_photo(BufferedInputFile(png, FILENAME), caption=caption)


@router.message(Command("teamchart"))
async def team_chart_not_manager(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("manager_only"))


@no_team_router.message(Command("chart", "teamchart"))
async def chart_without_team(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("no_team"))
