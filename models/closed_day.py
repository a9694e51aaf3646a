from datetime import date

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ClosedDay(Base):
    """A team's business day whose small wins were looked for (once: the key decides)."""

    __tablename__ = "closed_days"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
