from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


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


async def vacations_touching(
    session: AsyncSession, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[Vacation]:
    query = select(Vacation).where(
        Vacation.team_id == team_id, Vacation.start <= end, Vacation.end >= start
    )
    if user_id is not None:
        query = query.where(Vacation.user_id == user_id)
    return list((await session.scalars(query.order_by(Vacation.start))).all())
