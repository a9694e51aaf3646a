from dataclasses import dataclass
from datetime import datetime, time
from functools import cache

from sqlalchemy import BigInteger, String, Time, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, utcnow
from models.prepared import Prepared, Row
from models.unit_of_work import UnitOfWork

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
        return weekdays_of(self.weekdays_mask)


@cache  # 128 masks at most; asked by every report
def weekdays_of(mask: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if mask >> day & 1)


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """A team as read, in the order of the `teams` table's columns."""

    id: int
    name: str
    timezone: str
    country: str | None
    weekdays_mask: int
    reminder_time: time
    report_weekday: int
    report_time: time
    quiet_start: time
    quiet_end: time
    public_stats: bool
    chat_id: int | None
    invite_token: str | None
    created_at: datetime

    @property
    def weekdays(self) -> frozenset[int]:
        return weekdays_of(self.weekdays_mask)


TEAM_COLUMNS = columns_of(Team)


def team_info(row: Row) -> TeamInfo:
    return TeamInfo(*row)


def info_of(team: Team) -> TeamInfo:
    """The facts of a team the unit of work holds (after changing it)."""
    return TeamInfo(*(getattr(team, column.key) for column in TEAM_COLUMNS))


_BY_ID = Prepared(select(*TEAM_COLUMNS).where(Team.id == bindparam("team_id")))
_BY_INVITE = Prepared(select(*TEAM_COLUMNS).where(Team.invite_token == bindparam("token")))
_BY_CHAT = Prepared(select(*TEAM_COLUMNS).where(Team.chat_id == bindparam("chat_id")))
_ALL = Prepared(select(*TEAM_COLUMNS).order_by(Team.id))


async def team_by_id(session: UnitOfWork, team_id: int) -> TeamInfo | None:
    row = await session.first(_BY_ID, team_id=team_id)
    return team_info(row) if row else None


async def team_by_invite(session: UnitOfWork, token: str) -> TeamInfo | None:
    row = await session.first(_BY_INVITE, token=token)
    return team_info(row) if row else None


async def team_by_chat(session: UnitOfWork, chat_id: int) -> TeamInfo | None:
    row = await session.first(_BY_CHAT, chat_id=chat_id)
    return team_info(row) if row else None


async def all_teams(session: UnitOfWork) -> list[TeamInfo]:
    return [team_info(row) for row in await session.run(_ALL)]


_LOCK = Prepared(select(Team.id).where(Team.id == bindparam("team_id")).with_for_update())


async def lock_teams(session: UnitOfWork, *team_ids: int | None) -> None:
    """Hold the teams' rows until the unit of work ends: membership and roles of a team change
    one unit at a time (PostgreSQL; SQLite's writers take turns anyway). In id order, so two
    units that lock the same teams never wait for each other in a circle."""
    for team_id in sorted({team_id for team_id in team_ids if team_id is not None}):
        await session.run(_LOCK, team_id=team_id)
