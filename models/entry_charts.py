"""Queries behind the charts: totals per person and day, and who belongs on a period's chart."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models.entry import TOTAL_COLUMNS, Entry, KindTotal
from models.unit_of_work import UnitOfWork
from models.user import PERSON_COLUMNS, Person, User, person


@dataclass(frozen=True, slots=True)
class DayKindTotal:
    user_id: int
    day: date
    total: KindTotal  # tag is always None: tags are summed over


async def daily_kind_totals(
    session: UnitOfWork, *, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[DayKindTotal]:
    """Live totals per (person, business day, kind) of a team over [start, end], or of one
    person in it."""
    query = (
        select(
            Entry.user_id,
            Entry.business_date,
            Entry.kind,
            *TOTAL_COLUMNS,
        )
        .where(
            Entry.team_id == team_id,
            Entry.business_date.between(start, end),
            Entry.deleted_at.is_(None),
        )
        .group_by(Entry.user_id, Entry.business_date, Entry.kind)
    )
    if user_id is not None:
        query = query.where(Entry.user_id == user_id)
    rows = await session.execute(query)
    return [
        DayKindTotal(user, day, KindTotal(kind, None, int(n), int(amount), int(rep)))
        for user, day, kind, n, amount, rep in rows
    ]


async def period_people(session: UnitOfWork, team_id: int, start: date, end: date) -> list[Person]:
    """Current members of the team, and people who have left it since but have live entries in
    it over [start, end]."""
    authors = select(Entry.user_id).where(
        Entry.team_id == team_id,
        Entry.business_date.between(start, end),
        Entry.deleted_at.is_(None),
    )
    query = (
        select(*PERSON_COLUMNS)
        .where((User.team_id == team_id) | User.id.in_(authors))
        .order_by(User.first_name, User.id)
    )
    return [person(tuple(row)) for row in await session.execute(query)]
