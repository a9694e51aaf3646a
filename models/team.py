from datetime import datetime, time

from sqlalchemy import BigInteger, String, Time, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_COUNTRY = "RU"
MONDAY_TO_FRIDAY = 0b0011111  # bit i set: weekday i (Monday = 0) is a working day


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    country: Mapped[str | None] = mapped_column(String(8), default=DEFAULT_COUNTRY)
    weekdays_mask: Mapped[int] = mapped_column(default=MONDAY_TO_FRIDAY)
    reminder_time: Mapped[time] = mapped_column(Time, default=time(18, 0))
    report_weekday: Mapped[int] = mapped_column(default=0)  # Monday
    report_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    quiet_start: Mapped[time] = mapped_column(Time, default=time(22, 0))
    quiet_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    public_stats: Mapped[bool] = mapped_column(default=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    invite_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(day for day in range(7) if self.weekdays_mask >> day & 1)


async def team_by_invite(session: AsyncSession, token: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.invite_token == token))
