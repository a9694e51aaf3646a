from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, from_row, utcnow
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork


class Vacation(Base):
    """Days off of one person, [start, end] inclusive."""

    __tablename__ = "vacations"
    __table_args__ = (Index("ix_vacations_user_start", "user_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _touching(with_user: bool) -> Prepared:
    query = select(*columns_of(Vacation)).where(
        Vacation.team_id == bindparam("team_id"),
        Vacation.start <= bindparam("end", type_=Vacation.start.type),
        Vacation.end >= bindparam("start", type_=Vacation.start.type),
    )
    if with_user:
        query = query.where(Vacation.user_id == bindparam("user_id"))
    return Prepared(query.order_by(Vacation.start))


_TEAM_VACATIONS = _touching(with_user=False)
_PERSON_VACATIONS = _touching(with_user=True)


def _vacations(rows: list[Row]) -> list[Vacation]:
    return [from_row(Vacation, row) for row in rows]


def vacations_query(
    team_id: int, start: date, end: date, user_id: int | None = None
) -> Query[list[Vacation]]:
    """Vacations of a team (or of one person in it) touching [start, end]; as read."""
    params: dict[str, object] = {"team_id": team_id, "start": start, "end": end}
    if user_id is None:
        return Query(_TEAM_VACATIONS, params, _vacations)
    return Query(_PERSON_VACATIONS, params | {"user_id": user_id}, _vacations)


async def vacations_touching(
    session: UnitOfWork, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[Vacation]:
    return await session.one(vacations_query(team_id, start, end, user_id))
