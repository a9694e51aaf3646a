from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.enums import Metric, Period


class Celebration(Base):
    """A target crossed: once per (person or team, metric, period). Posted when quiet hours end."""

    __tablename__ = "celebrations"
    __table_args__ = (UniqueConstraint("team_id", "subject", "metric", "period", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    subject: Mapped[int] = mapped_column(BigInteger)  # a user id, or 0 for the whole team
    metric: Mapped[Metric] = mapped_column(
        Enum(Metric, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    period: Mapped[Period] = mapped_column(
        Enum(Period, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    period_start: Mapped[date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(BigInteger)  # revenue targets are kopecks
    name: Mapped[str] = mapped_column(String(128))
    posted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
