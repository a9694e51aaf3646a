"""/log: a person's entries of one day, and deleting them with an audit trail."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain import ParseError, ParseErrorCode
from bot.services.parsing import parse_date_token
from models import Entry, Person, TeamInfo, UnitOfWork
from models.entry_log import day_entries, soft_delete
from models.team import team_by_id
from models.user import find_member, person_by_id

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
            raise ParseError(ParseErrorCode.LOG_ARGUMENT, value=token[:64])
        day = parsed
    return LogArgs(username, day if day is not None else today)


@dataclass(frozen=True, slots=True)
class DayLog:
    owner: Person
    timezone: str  # the team's: entries show the time they were logged there
    day: date
    entries: list[Entry]  # the day's live entries, oldest first


class LogRefusal(StrEnum):
    NOT_MANAGER = "not_manager"
    NO_MEMBER = "no_member"
    GONE = "gone"  # a page button of a list its presser may no longer open


async def load_day_log(session: UnitOfWork, owner: Person, team: TeamInfo, day: date) -> DayLog:
    entries = await day_entries(session, team_id=team.id, user_id=owner.id, day=day)
    return DayLog(owner, team.timezone, day, entries)


def _is_self(viewer: Person, username: str) -> bool:
    return viewer.username is not None and (
        username.removeprefix("@").casefold() == viewer.username.casefold()
    )


async def open_log(
    session: UnitOfWork, viewer: Person, team: TeamInfo, args: LogArgs
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


async def reopen_log(
    session: UnitOfWork, viewer: Person, team: TeamInfo | None, owner_id: int, day_number: int
) -> DayLog | LogRefusal:
    """The list behind a ◀ ▶ press, with the rights of now: the presser's own day, or a
    current member's for a manager of the team (the button may be old or forged)."""
    if team is None or not 0 < owner_id < 2**63 or not 0 < day_number <= date.max.toordinal():
        return LogRefusal.GONE
    day = date.fromordinal(day_number)
    if owner_id == viewer.id:
        return await load_day_log(session, viewer, team, day)
    if not viewer.is_manager:
        return LogRefusal.NOT_MANAGER
    owner = await person_by_id(session, owner_id)
    if owner is None or owner.team_id != team.id:
        return LogRefusal.GONE
    return await load_day_log(session, owner, team, day)


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


async def delete_entry(session: UnitOfWork, presser_id: int, entry_id: int) -> Deletion:
    """Soft-delete an entry from a /log button. Who may is decided by the same statement that
    deletes (the author or a manager of the entry's team, while in it), not by the list shown:
    roles and teams change, and someone who has left keeps their history with the old team."""
    entry = await session.get(Entry, entry_id)
    if entry is None:
        return Deletion(DeleteOutcome.NOT_FOUND)
    deleted = await soft_delete(session, entry.id, by_user_id=presser_id)
    if deleted is None:
        return Deletion(DeleteOutcome.NOT_FOUND)
    if not deleted.allowed:
        # Permission first: someone else's entry gives away nothing, not even that it is gone.
        return Deletion(DeleteOutcome.NOT_ALLOWED)
    if not deleted.done:
        return Deletion(DeleteOutcome.ALREADY_DELETED, entry)
    owner = await person_by_id(session, entry.user_id)
    team = await team_by_id(session, entry.team_id)
    assert owner is not None and team is not None  # foreign keys
    log = await load_day_log(session, owner, team, entry.business_date)
    return Deletion(DeleteOutcome.DELETED, entry, log)
