"""The manager's view of people: roster, promote, demote, remove."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.progress import Totals
from models import Role, Team, User
from models.entry import last_entry_times, team_kind_totals
from models.user import team_members


@dataclass(frozen=True, slots=True)
class RosterRow:
    user: User
    last_activity: datetime | None
    today: Totals


async def roster(session: AsyncSession, team: Team, today: date) -> list[RosterRow]:
    members = await team_members(session, team.id)
    last = await last_entry_times(session, team.id)
    totals: dict[int, Totals] = {}
    for row in await team_kind_totals(session, team_id=team.id, start=today, end=today):
        totals.setdefault(row.user_id, Totals()).add(row.total)
    # Managers first, then by name: the order a manager scans the list in.
    members.sort(key=lambda u: (u.role is not Role.MANAGER, u.first_name.casefold(), u.id))
    return [RosterRow(u, last.get(u.id), totals.get(u.id, Totals())) for u in members]


async def managers_count(session: AsyncSession, team_id: int) -> int:
    query = select(func.count()).where(User.team_id == team_id, User.role == Role.MANAGER)
    return await session.scalar(query) or 0


async def members_count(session: AsyncSession, team_id: int) -> int:
    return await session.scalar(select(func.count()).where(User.team_id == team_id)) or 0


async def is_last_manager(session: AsyncSession, user: User) -> bool:
    """The only manager of a team that has other people in it: they may not walk away."""
    if not user.is_manager or user.team_id is None:
        return False
    if await managers_count(session, user.team_id) > 1:
        return False
    return await members_count(session, user.team_id) > 1


class RoleChange(StrEnum):
    DONE = "done"
    ALREADY = "already"
    LAST_MANAGER = "last_manager"


async def set_role(session: AsyncSession, member: User, role: Role) -> RoleChange:
    if member.role is role:
        return RoleChange.ALREADY
    if role is Role.EMPLOYEE and member.team_id is not None:
        if await managers_count(session, member.team_id) <= 1:
            return RoleChange.LAST_MANAGER
    member.role = role
    await session.commit()
    return RoleChange.DONE


async def remove_member(session: AsyncSession, member: User) -> RoleChange:
    """Out of the team; their entries stay with it for the periods they worked."""
    if member.is_manager and member.team_id is not None:
        if await managers_count(session, member.team_id) <= 1:
            return RoleChange.LAST_MANAGER
    member.team_id = None
    member.role = None
    await session.commit()
    return RoleChange.DONE
