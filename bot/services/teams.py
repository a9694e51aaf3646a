"""Teams and membership: creating a team, invite links, joining, leaving.

Every change of who is in a team, or who manages it, locks the teams involved first (their
rows, on PostgreSQL) and checks the rule under the lock, so that no interleaving of units of
work, on any number of instances, leaves a team with members and no manager.
"""

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, case, delete, func, insert, select, update

from bot.services.periods import local_date
from models import Person, Role, TeamInfo, UnitOfWork
from models.base import utcnow
from models.prepared import Prepared
from models.team import TEAM_COLUMNS, Team, lock_teams, team_by_id, team_by_invite, team_info
from models.user import User, person_by_id

MAX_TEAM_NAME = 64
# 16 random bytes -> 22 URL-safe characters: 128 bits, within Telegram's 64-char deep-link limit.
INVITE_TOKEN_BYTES = 16


class TeamNameError(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def clean_team_name(raw: str | None) -> str | TeamNameError:
    name = " ".join((raw or "").replace("\x00", "").split())
    if not name:
        return TeamNameError.EMPTY
    if len(name) > MAX_TEAM_NAME:
        return TeamNameError.TOO_LONG
    return name


def new_invite_token() -> str:
    return secrets.token_urlsafe(INVITE_TOKEN_BYTES)


# --- who is in a team ---------------------------------------------------------------------------

_HEADCOUNT = Prepared(
    select(
        func.count(),
        func.coalesce(func.sum(case((User.role == Role.MANAGER, 1), else_=0)), 0),
    ).where(User.team_id == bindparam("team_id"))
)
# Moves a person only if they are still where the decision saw them.
_MOVE = Prepared(
    update(User)
    .where(
        User.id == bindparam("person"),
        User.team_id.is_not_distinct_from(bindparam("from_team", type_=User.team_id.type)),
    )
    .values(
        team_id=bindparam("to_team"),
        role=bindparam("new_role", type_=User.role.type),
        joined_on=bindparam("joined_on", type_=User.joined_on.type),
        left_team_id=func.coalesce(
            bindparam("left_team", type_=User.left_team_id.type), User.left_team_id
        ),
        left_on=func.coalesce(bindparam("left_on", type_=User.left_on.type), User.left_on),
    )
    .returning(User.id)
)


@dataclass(frozen=True, slots=True)
class Headcount:
    members: int
    managers: int


async def headcount(session: UnitOfWork, team_id: int) -> Headcount:
    members, managers = (await session.run(_HEADCOUNT, team_id=team_id))[0]
    return Headcount(int(members), int(managers))


async def may_leave(session: UnitOfWork, person: Person) -> bool:
    """Anyone but the only manager of a team that has other people in it."""
    if person.team_id is None or person.role is not Role.MANAGER:
        return True
    count = await headcount(session, person.team_id)
    return count.managers > 1 or count.members <= 1


async def is_last_manager(session: UnitOfWork, person: Person) -> bool:
    return not await may_leave(session, person)


async def _move(session: UnitOfWork, person: Person, to: TeamInfo, role: Role) -> bool:
    """Into `to` as `role`, joined today (the team's day: pace counts from it); the team they
    leave, if any, is kept with its day (their plan there counts their days in it)."""
    now = utcnow()
    left = await team_by_id(session, person.team_id) if person.team_id is not None else None
    rows = await session.run(
        _MOVE,
        person=person.id,
        from_team=person.team_id,
        to_team=to.id,
        new_role=role,
        joined_on=local_date(now, to.timezone),
        left_team=None if left is None else left.id,
        left_on=None if left is None else local_date(now, left.timezone),
    )
    return bool(rows)


# --- creating a team ----------------------------------------------------------------------------

_ADD_TEAM = Prepared(
    insert(Team)
    .values(name=bindparam("name"), invite_token=bindparam("token"))
    .returning(*TEAM_COLUMNS)
)
_DROP_TEAM = Prepared(delete(Team).where(Team.id == bindparam("team")))


class CreateRefusal(StrEnum):
    LAST_MANAGER = "last_manager"
    CHANGED = "changed"  # the person moved meanwhile (another update, another instance)


async def create_team(
    session: UnitOfWork, founder_id: int, name: str, *, leaving: int | None = None
) -> TeamInfo | CreateRefusal:
    """A new team with the founder as its manager; they leave the team they were in, which
    must be `leaving` (what they were told they leave; None: no team): otherwise CHANGED."""
    founder = await person_by_id(session, founder_id)
    assert founder is not None
    if founder.team_id != leaving:
        return CreateRefusal.CHANGED
    await lock_teams(session, founder.team_id)
    if not await may_leave(session, founder):
        return CreateRefusal.LAST_MANAGER
    [row] = await session.run(_ADD_TEAM, name=name, token=new_invite_token())
    team = team_info(row)
    if not await _move(session, founder, team, Role.MANAGER):
        await session.run(_DROP_TEAM, team=team.id)
        return CreateRefusal.CHANGED
    return team


# --- invite links -------------------------------------------------------------------------------

_SET_INVITE = Prepared(
    update(Team)
    .where(Team.id == bindparam("team"))
    .values(invite_token=bindparam("token"))
    .returning(Team.invite_token)
)
_KEEP_INVITE = Prepared(
    update(Team)
    .where(Team.id == bindparam("team"))
    .values(invite_token=func.coalesce(Team.invite_token, bindparam("token")))
    .returning(Team.invite_token)
)


async def reset_invite(session: UnitOfWork, team_id: int) -> str:
    """Revoke the old link: its token stops matching anything."""
    [(token,)] = await session.run(_SET_INVITE, team=team_id, token=new_invite_token())
    return str(token)


async def ensure_invite(session: UnitOfWork, team_id: int) -> str:
    [(token,)] = await session.run(_KEEP_INVITE, team=team_id, token=new_invite_token())
    return str(token)


# --- joining ------------------------------------------------------------------------------------


class JoinOutcome(StrEnum):
    UNKNOWN_LINK = "unknown_link"
    ALREADY_MEMBER = "already_member"
    LAST_MANAGER = "last_manager"
    NEEDS_CONFIRMATION = "needs_confirmation"
    JOINED = "joined"
    CHANGED = "changed"  # the person moved meanwhile: nothing done


@dataclass(frozen=True, slots=True)
class JoinResult:
    outcome: JoinOutcome
    team: TeamInfo | None = None
    current_team: TeamInfo | None = None


async def join_by_invite(
    session: UnitOfWork,
    user_id: int,
    token: str,
    *,
    confirmed: bool,
    leaving: int | None = None,
) -> JoinResult:
    """Join the team behind `token`. Moving from another team needs `confirmed`, given for
    leaving that team (`leaving`): if the person is elsewhere by now, nothing is done."""
    team = await team_by_invite(session, token)
    if team is None:
        return JoinResult(JoinOutcome.UNKNOWN_LINK)
    person = await person_by_id(session, user_id)
    assert person is not None
    if confirmed and person.team_id not in (leaving, team.id):
        return JoinResult(JoinOutcome.CHANGED, team)
    await lock_teams(session, person.team_id, team.id)
    if person.team_id == team.id:
        return JoinResult(JoinOutcome.ALREADY_MEMBER, team)
    if (await headcount(session, team.id)).managers == 0:
        return JoinResult(JoinOutcome.UNKNOWN_LINK)  # everyone left it: the team is gone
    current = await team_by_id(session, person.team_id) if person.team_id else None
    if not await may_leave(session, person):
        return JoinResult(JoinOutcome.LAST_MANAGER, team, current)
    if current is not None and not confirmed:
        return JoinResult(JoinOutcome.NEEDS_CONFIRMATION, team, current)
    if not await _move(session, person, team, Role.EMPLOYEE):
        return JoinResult(JoinOutcome.CHANGED, team, current)
    return JoinResult(JoinOutcome.JOINED, team, current)


# --- the team's group ---------------------------------------------------------------------------

_BIND = Prepared(update(Team).where(Team.id == bindparam("team")).values(chat_id=bindparam("chat")))
_FORGET_CHAT = Prepared(update(Team).where(Team.chat_id == bindparam("chat")).values(chat_id=None))
_MOVE_CHAT = Prepared(
    update(Team).where(Team.chat_id == bindparam("old")).values(chat_id=bindparam("new"))
)


async def bind_chat(session: UnitOfWork, team_id: int, chat_id: int) -> None:
    """A team has one group: binding here moves it from any other (the chat id is unique)."""
    await session.run(_BIND, team=team_id, chat=chat_id)


async def unbind_chat(session: UnitOfWork, chat_id: int) -> None:
    await session.run(_FORGET_CHAT, chat=chat_id)


async def chat_migrated(session: UnitOfWork, old_chat_id: int, new_chat_id: int) -> None:
    """A group that became a supergroup has a new id; the old one stops accepting messages."""
    await session.run(_MOVE_CHAT, old=old_chat_id, new=new_chat_id)
