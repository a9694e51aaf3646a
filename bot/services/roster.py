"""The manager's view of people: roster, promote, demote, remove."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import bindparam, update

from bot.domain import Totals
from bot.services.periods import local_date
from bot.services.teams import headcount
from models import Person, Role, TeamInfo, UnitOfWork
from models.base import utcnow
from models.entry import last_entry_times, team_kind_totals
from models.prepared import Prepared
from models.team import lock_teams, team_by_id
from models.user import User, person_by_id, team_members


@dataclass(frozen=True, slots=True)
class RosterRow:
    user: Person
    last_activity: datetime | None
    today: Totals


async def roster(session: UnitOfWork, team: TeamInfo, today: date) -> list[RosterRow]:
    members = await team_members(session, team.id)
    last = await last_entry_times(session, team.id)
    totals: dict[int, Totals] = {}
    for row in await team_kind_totals(session, team_id=team.id, start=today, end=today):
        totals.setdefault(row.user_id, Totals()).add(row.total)
    # Managers first, then by name: the order a manager scans the list in.
    members.sort(key=lambda u: (u.role is not Role.MANAGER, u.first_name.casefold(), u.id))
    return [RosterRow(u, last.get(u.id), totals.get(u.id, Totals())) for u in members]


class RoleChange(StrEnum):
    DONE = "done"
    ALREADY = "already"
    LAST_MANAGER = "last_manager"
    NOT_MEMBER = "not_member"  # not (or no longer) in the team
    NOT_MANAGER = "not_manager"  # the one asking is not (or no longer) its manager


_SET_ROLE = Prepared(
    update(User)
    .where(User.id == bindparam("person"), User.team_id == bindparam("team"))
    .values(role=bindparam("new_role", type_=User.role.type))
)
# Out of the team: the team and its day kept (their plan there counts their days in it).
_REMOVE = Prepared(
    update(User)
    .where(User.id == bindparam("person"), User.team_id == bindparam("team"))
    .values(team_id=None, role=None, left_team_id=bindparam("team"), left_on=bindparam("day"))
)


async def _checked(
    session: UnitOfWork, team_id: int, actor_id: int, member_id: int
) -> Person | RoleChange:
    """The member, read under the team's lock, if the actor manages the team right now."""
    await lock_teams(session, team_id)
    actor = await person_by_id(session, actor_id)
    if actor is None or actor.team_id != team_id or not actor.is_manager:
        return RoleChange.NOT_MANAGER
    member = await person_by_id(session, member_id)
    if member is None or member.team_id != team_id:
        return RoleChange.NOT_MEMBER
    return member


async def set_role(
    session: UnitOfWork, team_id: int, actor_id: int, member_id: int, role: Role
) -> RoleChange:
    member = await _checked(session, team_id, actor_id, member_id)
    if isinstance(member, RoleChange):
        return member
    if member.role is role:
        return RoleChange.ALREADY
    if role is Role.EMPLOYEE and (await headcount(session, team_id)).managers <= 1:
        return RoleChange.LAST_MANAGER
    await session.run(_SET_ROLE, person=member.id, team=team_id, new_role=role)
    return RoleChange.DONE


async def remove_member(
    session: UnitOfWork, team_id: int, actor_id: int, member_id: int
) -> RoleChange:
    """Out of the team; their entries stay with it for the periods they worked."""
    member = await _checked(session, team_id, actor_id, member_id)
    if isinstance(member, RoleChange):
        return member
    if member.is_manager and (await headcount(session, team_id)).managers <= 1:
        return RoleChange.LAST_MANAGER
    team = await team_by_id(session, team_id)
    assert team is not None
    day = local_date(utcnow(), team.timezone)
    await session.run(_REMOVE, person=member.id, team=team_id, day=day)
    return RoleChange.DONE
