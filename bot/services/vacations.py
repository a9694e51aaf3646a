"""Vacations: days that leave a person's pacing and shrink their week and month targets."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from bot.domain import ParseError, ParseErrorCode
from bot.services.parsing import parse_calendar_date
from models import UnitOfWork, Vacation
from models.team import lock_teams

MAX_VACATION_DAYS = 366


@dataclass(frozen=True, slots=True)
class VacationCommand:
    action: str  # "list", "add", "cancel"
    start: date | None = None
    end: date | None = None
    username: str | None = None


def parse_vacation_command(args: str | None, today: date) -> VacationCommand:
    """`[cancel] <from> [<to>] [@username]`, or nothing to list."""
    words = (args or "").split()
    username = None
    if words and words[-1].startswith("@") and len(words[-1]) > 1:
        username = words.pop()[1:]
    action = "add"
    if words and words[0].casefold() in ("cancel", "отмена", "отменить"):
        action = "cancel"
        words.pop(0)
    if not words:
        if action == "cancel":
            raise ParseError(ParseErrorCode.VACATION_USAGE)
        return VacationCommand("list", username=username)
    dates = []
    for word in words:
        parsed = parse_calendar_date(word, today)
        if parsed is None:
            raise ParseError(ParseErrorCode.VACATION_DATE, value=word[:32])
        dates.append(parsed)
    if action == "cancel":
        if len(dates) != 1:
            raise ParseError(ParseErrorCode.VACATION_USAGE)
        return VacationCommand("cancel", dates[0], None, username)
    if len(dates) > 2:
        raise ParseError(ParseErrorCode.VACATION_USAGE)
    start, end = dates[0], dates[-1]
    if end < start:
        raise ParseError(ParseErrorCode.VACATION_ORDER)
    if (end - start).days + 1 > MAX_VACATION_DAYS:
        raise ParseError(ParseErrorCode.VACATION_TOO_LONG, max=MAX_VACATION_DAYS)
    return VacationCommand("add", start, end, username)


async def person_vacations(session: UnitOfWork, user_id: int, team_id: int) -> list[Vacation]:
    query = (
        select(Vacation)
        .where(Vacation.user_id == user_id, Vacation.team_id == team_id)
        .order_by(Vacation.start)
    )
    return list((await session.scalars(query)).all())


async def add_vacation(
    session: UnitOfWork, team_id: int, actor_id: int, person_id: int, start: date, end: date
) -> Vacation | None:
    """Stores the vacation; None (and nothing stored) when it overlaps one already there."""
    await lock_teams(session, team_id)  # two at once cannot both miss each other's overlap
    overlapping = await session.scalar(
        select(Vacation.id).where(
            Vacation.user_id == person_id,
            Vacation.team_id == team_id,
            Vacation.start <= end,
            Vacation.end >= start,
        )
    )
    if overlapping is not None:
        return None
    vacation = Vacation(
        team_id=team_id, user_id=person_id, start=start, end=end, created_by_id=actor_id
    )
    session.add(vacation)
    await session.flush()
    return vacation


async def cancel_vacation(session: UnitOfWork, team_id: int, person_id: int, start: date) -> bool:
    result = await session.execute(
        delete(Vacation)
        .where(Vacation.user_id == person_id, Vacation.team_id == team_id, Vacation.start == start)
        .returning(Vacation.id)
    )
    return bool(result.all())
