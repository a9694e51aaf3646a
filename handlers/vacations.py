"""/vacation: days off that leave a person's pace."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.domain import ParseError
from bot.filters import Command
from bot.middlewares import WRITES
from bot.services.periods import DateRange, local_date
from bot.services.standing import team_calendar
from bot.services.vacations import (
    add_vacation,
    cancel_vacation,
    parse_vacation_command,
    person_vacations,
)
from bot.texts import Translator
from bot.views.common import parse_problem
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.user import find_member


def date_range(t: Translator, dates: DateRange) -> str:
    if dates.start == dates.end:
        return t.day(dates.start)
    return t("vacation.range", start=t.day(dates.start), end=t.day(dates.end))


async def vacation(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    today = local_date(utcnow(), team.timezone)
    try:
        request = parse_vacation_command(command.args, today)
    except ParseError as error:
        return message.answer(parse_problem(t, error) + "\n" + t("example.vacation"))
    person = user
    if request.username is not None:
        if not user.is_manager:
            return message.answer(t("manager_only"))
        found = await find_member(session, team.id, request.username)
        if found is None:
            return message.answer(t("error.user_unknown", value=request.username))
        person = found
    if request.action == "list":
        vacations = await person_vacations(session, person.id, team.id)
        if not vacations:
            return message.answer(t("vacation.none", name=person.first_name))
        rows = [f"• {date_range(t, DateRange(v.start, v.end))}" for v in vacations]
        return message.answer("\n".join([t("vacation.list_title", name=person.first_name), *rows]))
    assert request.start is not None
    if request.action == "cancel":
        if await cancel_vacation(session, team.id, person.id, request.start):
            return message.answer(t("vacation.cancelled", day=t.day(request.start)))
        return message.answer(
            t("vacation.not_found", name=person.first_name, day=t.day(request.start))
        )
    assert request.end is not None
    dates = DateRange(request.start, request.end)
    if await add_vacation(session, team.id, user.id, person.id, dates.start, dates.end) is None:
        return message.answer(t("vacation.overlap"))
    working = len(team_calendar(team).working_days(dates))
    return message.answer(
        t(
            "vacation.added",
            name=person.first_name,
            range=date_range(t, dates),
            days=t.plural("n_working_days", working),
        )
    )


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(vacation, Command("vacation"), flags=WRITES)
