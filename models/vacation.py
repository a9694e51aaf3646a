from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, from_row, utcnow
from models.prepared import Prepared
from models.unit_of_work import UnitOfWork


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


async def vacations_touching(
    session: UnitOfWork, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[Vacation]:
    """As read: attached to no session."""
    if user_id is None:
        rows = await session.run(_TEAM_VACATIONS, team_id=team_id, start=start, end=end)
    else:
        rows = await session.run(
            _PERSON_VACATIONS, team_id=team_id, start=start, end=end, user_id=user_id
        )
    return [from_row(Vacation, row) for row in rows]
