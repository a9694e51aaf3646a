"""/chart [week|month] (own numbers) and /teamchart [week|month] (manager) as pictures."""

from concurrent.futures import Executor

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile, Message

from bot.charts import render_person_chart, render_png, render_team_chart
from bot.domain import ParseError
from bot.filters import Command
from bot.services.periods import local_date, period_range
from bot.services.weekly import load_results, parse_chart_period
from bot.texts import Translator
from bot.views.charts import person_caption, person_chart, team_caption, team_chart
from bot.views.common import parse_problem
from bot.views.paging import Caption
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow

FILENAME = "chart.png"


def _photo(message: Message, png: bytes, caption: Caption) -> list[SendMessage | SendPhoto]:
    """The chart, then what its caption could not hold."""
    photo = message.answer_photo(BufferedInputFile(png, FILENAME), caption=caption.text)
    return [photo, *(message.answer(text) for text in caption.follow_up)]


async def show_team_chart(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
    charts: Executor | None = None,
) -> SendMessage | list[SendMessage | SendPhoto]:
    try:
        period = parse_chart_period(command.args)
    except ParseError as error:
        return message.answer(parse_problem(t, error, command=command.command.lower()))
    today = local_date(utcnow(), team.timezone)
    results = await load_results(session, team, period_range(period, today), today)
    png = await render_png(render_team_chart, team_chart(results, t), charts)
    return _photo(message, png, team_caption(t, results))


async def show_own_chart(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
    charts: Executor | None = None,
) -> SendMessage | list[SendMessage | SendPhoto]:
    try:
        period = parse_chart_period(command.args)
    except ParseError as error:
        return message.answer(parse_problem(t, error, command=command.command.lower()))
    today = local_date(utcnow(), team.timezone)
    results = await load_results(session, team, period_range(period, today), today, user)
    person = results.of(user.id)
    png = await render_png(render_person_chart, person_chart(results, person, t), charts)
    return _photo(message, png, person_caption(t, results, person))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_own_chart, Command("chart"))


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(show_team_chart, Command("teamchart"))
