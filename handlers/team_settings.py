"""/timezone and /settings (manager): the calendar the team's numbers follow."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import IsManager
from bot.services.parsing import ParseError
from bot.services.team_settings import parse_country, parse_timezone, parse_weekdays
from bot.texts import Translator
from models import Team
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(F.chat.type == ChatType.PRIVATE, IsManager())

A_MONDAY = date(2024, 1, 1)


def local_time(team: Team) -> str:
    return utcnow().astimezone(ZoneInfo(team.timezone)).strftime("%H:%M")


def weekday_names(t: Translator, team: Team) -> str:
    days = [A_MONDAY + timedelta(days=d) for d in sorted(team.weekdays)]
    return ", ".join(format_date(d, "EEE", locale=t.language) for d in days)


@router.message(Command("timezone"))
async def timezone(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    if not command.args:
        return message.answer(t("tz.current", tz=team.timezone, time=local_time(team)))
    try:
        team.timezone = parse_timezone(command.args)
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    await session.commit()
    return message.answer(t("tz.set", tz=team.timezone, time=local_time(team)))


def show(t: Translator, team: Team) -> str:
    country = team.country or t("settings.no_country")
    return t(
        "settings.show",
        team=team.name,
        tz=team.timezone,
        country=country,
        weekdays=weekday_names(t, team),
    )


@router.message(Command("settings"))
async def settings(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    words = (command.args or "").split(maxsplit=1)
    if not words:
        return message.answer(show(t, team))
    name, value = words[0].lower(), (words[1] if len(words) > 1 else "")
    try:
        if name in ("country", "страна", "calendar", "календарь") and value:
            team.country = parse_country(value)
        elif name in ("workdays", "weekdays", "дни") and value:
            team.weekdays_mask = parse_weekdays(value)
        else:
            return message.answer(t("error.settings_usage"))
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    await session.commit()
    return message.answer(t("settings.saved") + "\n\n" + show(t, team))
