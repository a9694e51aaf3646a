"""/leaderboard (manager): the team ranked by one metric."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.domain import ParseError
from bot.filters import Command
from bot.services.leaderboard import leaderboard, parse_leaderboard_args
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import leaderboard as views
from bot.views.common import parse_problem
from models import TeamInfo, UnitOfWork
from models.base import utcnow


async def show_leaderboard(
    message: Message, command: CommandObject, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage | list[SendMessage]:
    try:
        query = parse_leaderboard_args(command.args)
    except ParseError as error:
        return message.answer(parse_problem(t, error))
    board = await leaderboard(session, team, query, local_date(utcnow(), team.timezone))
    return [message.answer(text) for text in views.leaderboard(t, board)]


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(show_leaderboard, Command("leaderboard"))
