"""/log: a person's entries of one day, and deleting them with an audit trail."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.parsing import ParseError, parse_date_token
from models import Entry, Team, User
from models.entry_log import day_entries, soft_delete
from models.user import find_member

# Telegram allows 100 buttons per keyboard; 50 keeps the list readable.
MAX_SHOWN = 50

_USERNAME_RE = re.compile(r"@[A-Za-z0-9_]{1,32}")


@dataclass(frozen=True, slots=True)
class LogArgs:
    username: str | None  # "@bob" as typed; None: the sender's own log
    day: date


def parse_log_args(args: str | None, today: date) -> LogArgs:
    """`[@username] [date]` in any order. Raises ParseError: the date codes or `log_argument`."""
    username: str | None = None
    day: date | None = None
    for token in (args or "").split():
        if username is None and _USERNAME_RE.fullmatch(token):
            username = token
            continue
        parsed = parse_date_token(token, today) if day is None else None
        if parsed is None:
            raise ParseError("log_argument", value=token[:64])
        day = parsed
    return LogArgs(username, day if day is not None else today)


@dataclass(frozen=True, slots=True)
class DayLog:
    owner: User
    team: Team
    day: date
    entries: list[Entry]  # at most MAX_SHOWN, oldest first
    total: int  # live entries that day


class LogRefusal(StrEnum):
    NOT_MANAGER = "not_manager"
    NO_MEMBER = "no_member"


async def load_day_log(session: AsyncSession, owner: User, team: Team, day: date) -> DayLog:
    found = await day_entries(session, team_id=team.id, user_id=owner.id, day=day, limit=MAX_SHOWN)
    return DayLog(owner, team, day, found.entries, found.total)


def _is_self(viewer: User, username: str) -> bool:
    return viewer.username is not None and (
        username.removeprefix("@").casefold() == viewer.username.casefold()
    )


async def open_log(
    session: AsyncSession, viewer: User, team: Team, args: LogArgs
) -> DayLog | LogRefusal:
    """The viewer's own day, or (managers only) a current member's day in the viewer's team."""
    owner = viewer
    if args.username is not None and not _is_self(viewer, args.username):
        if not viewer.is_manager:
            return LogRefusal.NOT_MANAGER
        member = await find_member(session, team.id, args.username)
        if member is None:
            return LogRefusal.NO_MEMBER
        owner = member
    return await load_day_log(session, owner, team, args.day)


def may_delete(presser: User, entry: Entry) -> bool:
    """The author or a manager of the entry's team, while in that team at the moment of pressing.

    Someone who has left keeps their history with the old team: it is no longer theirs to edit.
    """
    if presser.team_id != entry.team_id:
        return False
    return entry.user_id == presser.id or presser.is_manager


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    ALREADY_DELETED = "already_deleted"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True, slots=True)
class Deletion:
    outcome: DeleteOutcome
    entry: Entry | None = None
    log: DayLog | None = None  # the refreshed day, after a deletion


async def delete_entry(session: AsyncSession, presser: User, entry_id: int) -> Deletion:
    """Soft-delete an entry from a /log button and commit; the permission is checked now,
    not when the list was shown (roles and teams change)."""
    entry = await session.get(Entry, entry_id)
    if entry is None:
        return Deletion(DeleteOutcome.NOT_FOUND)
    # Permission first: someone else's entry gives away nothing, not even that it was deleted.
    if not may_delete(presser, entry):
        return Deletion(DeleteOutcome.NOT_ALLOWED)
    if not await soft_delete(session, entry.id, by_user_id=presser.id):
        return Deletion(DeleteOutcome.ALREADY_DELETED, entry)
    await session.commit()
    owner = presser if entry.user_id == presser.id else await session.get(User, entry.user_id)
    team = await session.get(Team, entry.team_id)
    assert owner is not None and team is not None  # foreign keys
    log = await load_day_log(session, owner, team, entry.business_date)
    return Deletion(DeleteOutcome.DELETED, entry, log)
