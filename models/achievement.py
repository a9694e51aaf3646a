from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Achievement(Base):
    """A small win (a streak step, a record, a first): announced once, as its key decides."""

    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_achievements_team_digest", "team_id", "digest_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    key: Mapped[str] = mapped_column(String(96))  # what it is about, e.g. "streak:<user>:<day>"
    kind: Mapped[str] = mapped_column(String(16))  # bot.services.achievements.WinKind
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the whole team
    name: Mapped[str] = mapped_column(String(128))  # the person's (or team's) name, as it was
    metric: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)  # the day, or the first day of the week/month
    value: Mapped[int] = mapped_column(BigInteger)  # days in a row, or the record's amount
    digest_day: Mapped[date | None] = mapped_column(Date)  # the team's digest that named it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
