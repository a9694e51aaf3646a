"""Teams and membership: creating a team, invite links, joining."""

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.roster import is_last_manager
from models import Role, Team, User
from models.team import team_by_invite

MAX_TEAM_NAME = 64
# 16 random bytes -> 22 URL-safe characters: 128 bits, within Telegram's 64-char deep-link limit.
INVITE_TOKEN_BYTES = 16


class TeamNameError(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def clean_team_name(raw: str | None) -> str | TeamNameError:
    name = " ".join((raw or "").split())
    if not name:
        return TeamNameError.EMPTY
    if len(name) > MAX_TEAM_NAME:
        return TeamNameError.TOO_LONG
    return name


def new_invite_token() -> str:
    return secrets.token_urlsafe(INVITE_TOKEN_BYTES)


async def create_team(session: AsyncSession, manager: User, name: str) -> Team:
    """A new team with `manager` as its manager (they leave any team they were in)."""
    team = Team(name=name, invite_token=new_invite_token())
    session.add(team)
    await session.flush()
    manager.team_id = team.id
    manager.role = Role.MANAGER
    return team


def reset_invite(team: Team) -> str:
    """Revoke the old link: its token stops matching anything."""
    team.invite_token = new_invite_token()
    return team.invite_token


def ensure_invite(team: Team) -> str:
    if team.invite_token is None:
        return reset_invite(team)
    return team.invite_token


class JoinOutcome(StrEnum):
    UNKNOWN_LINK = "unknown_link"
    ALREADY_MEMBER = "already_member"
    LAST_MANAGER = "last_manager"
    NEEDS_CONFIRMATION = "needs_confirmation"
    JOINED = "joined"


@dataclass(frozen=True, slots=True)
class JoinResult:
    outcome: JoinOutcome
    team: Team | None = None
    current_team: Team | None = None


async def join_by_invite(
    session: AsyncSession, user: User, current_team: Team | None, token: str, *, confirmed: bool
) -> JoinResult:
    """Join the team behind `token`; moving from another team needs `confirmed`."""
    team = await team_by_invite(session, token)
    if team is None:
        return JoinResult(JoinOutcome.UNKNOWN_LINK)
    if user.team_id == team.id:
        return JoinResult(JoinOutcome.ALREADY_MEMBER, team)
    if await is_last_manager(session, user):
        return JoinResult(JoinOutcome.LAST_MANAGER, team, current_team)
    if current_team is not None and not confirmed:
        return JoinResult(JoinOutcome.NEEDS_CONFIRMATION, team, current_team)
    user.team_id = team.id
    user.role = Role.EMPLOYEE
    return JoinResult(JoinOutcome.JOINED, team, current_team)
