"""/remind: a person's own reminder time, reminders on/off, and the "on track" line."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.domain import ParseError
from bot.filters import Command
from bot.middlewares import WRITES
from bot.services.team_settings import change_reminder
from bot.texts import Translator
from bot.views.common import parse_problem
from bot.views.settings import clock, reminder_state
from models import Person, TeamInfo, UnitOfWork


async def remind(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    if not (command.args or "").strip():
        return message.answer(reminder_state(t, user, team))
    try:
        change, changed = await change_reminder(session, user.id, command.args or "")
    except ParseError as error:
        return message.answer(f"{parse_problem(t, error)}\n{t('personal_reminder.examples')}")
    at = clock(changed.reminder_time or team.reminder_time)
    return message.answer(t(f"personal_reminder.changed.{change.value}", time=at))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(remind, Command("remind"), flags=WRITES)
