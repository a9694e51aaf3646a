"""/remind: a person's own reminder time, reminders on/off, and the "on track" line."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InTeam, PrivateChat
from bot.services.parsing import ParseError
from bot.services.team_settings import apply_remind
from bot.texts import Translator
from handlers.team_settings import clock
from models import Team, User

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())


def reminder_state(t: Translator, user: User, team: Team) -> str:
    if not user.reminders_on:
        reminder = t("personal_reminder.state.off")
    elif user.reminder_time is not None:
        reminder = t(
            "personal_reminder.state.own",
            time=clock(user.reminder_time),
            team_time=clock(team.reminder_time),
        )
    else:
        reminder = t("personal_reminder.state.team", time=clock(team.reminder_time))
    on_track = t("settings.value.on" if user.on_track_notes else "settings.value.off")
    return t("personal_reminder.show", reminder=reminder, on_track=on_track)


@router.message(Command("remind"))
async def remind(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage:
    if not (command.args or "").strip():
        return message.answer(reminder_state(t, user, team))
    try:
        change = apply_remind(user, command.args or "")
    except ParseError as error:
        problem = t(f"error.{error.code}", **error.params)
        return message.answer(f"{problem}\n{t('personal_reminder.examples')}")
    await session.commit()
    at = clock(user.reminder_time or team.reminder_time)
    return message.answer(t(f"personal_reminder.changed.{change.value}", time=at))
