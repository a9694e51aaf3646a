"""/team, /promote, /demote, /remove (manager)."""

from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import IsManager, PrivateChat
from bot.services.periods import local_date
from bot.services.roster import RoleChange, RosterRow, remove_member, roster, set_role
from bot.texts import Safe, Translator
from bot.views import kpi_parts, quantities
from models import Role, Team, User
from models.base import utcnow
from models.user import find_member

router = Router(name=__name__)
router.message.filter(PrivateChat(), IsManager())


def _today(t: Translator, row: RosterRow) -> str:
    totals = row.today
    if totals.is_empty:
        return t("roster.nothing_today")
    return ", ".join(quantities(t, totals) + kpi_parts(t, totals))


def _row(t: Translator, row: RosterRow, team: Team) -> str:
    user = row.user
    name = user.first_name + (f" (@{user.username})" if user.username else "")
    if row.last_activity is None:
        activity = t("roster.never")
    else:
        local = row.last_activity.astimezone(ZoneInfo(team.timezone))
        activity = t("roster.last", day=t.day(local.date()), time=local.strftime("%H:%M"))
    return t(
        "roster.row",
        icon="👑" if user.role is Role.MANAGER else "•",
        name=name,
        role=t(f"roster.role.{user.role.value if user.role else 'employee'}"),
        activity=activity,
        today=Safe(_today(t, row)),
    )


@router.message(Command("team"))
async def show_team(
    message: Message, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    rows = await roster(session, team, local_date(utcnow(), team.timezone))
    lines = [t("roster.title", team=team.name, people=t.plural("n_people", len(rows))), ""]
    lines += [_row(t, row, team) for row in rows]
    lines += ["", t("roster.hint")]
    return message.answer("\n".join(lines))


async def _member(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> User | SendMessage:
    words = (command.args or "").split()
    if len(words) != 1 or not words[0].startswith("@") or len(words[0]) < 2:
        return message.answer(t("member.usage", command=command.command))
    member = await find_member(session, team.id, words[0])
    if member is None:
        return message.answer(t("error.user_unknown", value=words[0][1:]))
    return member


@router.message(Command("promote", "demote"))
async def change_role(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    member = await _member(message, command, session, t, team)
    if not isinstance(member, User):
        return member
    role = Role.MANAGER if command.command == "promote" else Role.EMPLOYEE
    outcome = await set_role(session, member, role)
    return message.answer(t(f"{command.command}.{outcome.value}", name=member.first_name))


@router.message(Command("remove"))
async def remove(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    member = await _member(message, command, session, t, team)
    if not isinstance(member, User):
        return member
    outcome = await remove_member(session, member)
    if outcome is RoleChange.LAST_MANAGER:
        return message.answer(t("demote.last_manager", name=member.first_name))
    return message.answer(t("remove.done", name=member.first_name, team=team.name))
