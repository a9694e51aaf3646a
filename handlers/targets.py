"""/target (manager) and /targets (everyone in a team)."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.domain import ParseError
from bot.filters import Command
from bot.middlewares import WRITES
from bot.services.periods import local_date
from bot.services.standing import targets_view
from bot.services.targets import parse_target_command, set_target
from bot.texts import Translator
from bot.views import targets as views
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.user import find_member, team_members


async def set_or_remove(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    try:
        request = parse_target_command(command.args)
    except ParseError as error:
        return message.answer(views.target_problem(t, error))
    person = None
    if request.username is not None:
        person = await find_member(session, team.id, request.username)
        if person is None:
            return message.answer(t("error.user_unknown", value=request.username))
    today = local_date(utcnow(), team.timezone)
    change = await set_target(
        session, team.id, user.id, request, person.id if person else None, today
    )
    return message.answer(views.target_changed(t, request.metric, change, person))


async def show_targets(
    message: Message, session: UnitOfWork, t: Translator, user: Person, team: TeamInfo
) -> list[SendMessage]:
    today = local_date(utcnow(), team.timezone)
    view = await targets_view(session, team, user, today)
    members = await team_members(session, team.id) if user.is_manager else []
    return [message.answer(text) for text in views.targets_list(t, view, user, members)]


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_targets, Command("targets"))


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(set_or_remove, Command("target"), flags=WRITES)
