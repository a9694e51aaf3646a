from datetime import datetime, time

from sqlalchemy import BigInteger, Enum, ForeignKey, String, Time, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.enums import Role


class User(Base):
    """A Telegram user; `team_id`/`role` is their current membership (one team at a time)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    language_code: Mapped[str | None] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    reminder_time: Mapped[time | None] = mapped_column(Time)  # None: the team's time
    reminders_on: Mapped[bool] = mapped_column(default=True)
    on_track_notes: Mapped[bool] = mapped_column(default=True)
    blocked_bot: Mapped[bool] = mapped_column(default=False)  # 403: no messages until they write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_manager(self) -> bool:
        return self.team_id is not None and self.role is Role.MANAGER


async def find_member(session: AsyncSession, team_id: int, username: str) -> User | None:
    """A current member of the team by @username (case-insensitive, '@' optional)."""
    name = username.removeprefix("@").casefold()
    query = select(User).where(User.team_id == team_id, func.lower(User.username) == name)
    return await session.scalar(query)


async def team_members(session: AsyncSession, team_id: int) -> list[User]:
    query = select(User).where(User.team_id == team_id).order_by(User.first_name, User.id)
    return list((await session.scalars(query)).all())
