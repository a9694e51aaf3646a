from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, from_row, utcnow
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork


class BonusScheme(Base):
    """A team's bonus rules in force from `starts_on` (the 1st of a month) until the next row's
    month: a change adds (or, before it starts, replaces) a row, so past months keep theirs.

    `tiers`: "from_percent:rate" pairs, space-separated, rates in hundredths of a per cent of
    revenue, the first from 0 % of the plan ("0:500 100:800": 5 %, 8 % above the plan)."""

    __tablename__ = "bonus_schemes"
    __table_args__ = (UniqueConstraint("team_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    per_deal_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    tiers: Mapped[str] = mapped_column(String(200), default="")
    threshold_percent: Mapped[int] = mapped_column(Integer, default=0)  # 0: no threshold
    cap_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_TEAM_SCHEMES = Prepared(
    select(*columns_of(BonusScheme))
    .where(
        BonusScheme.team_id == bindparam("team_id"),
        BonusScheme.starts_on <= bindparam("until", type_=BonusScheme.starts_on.type),
    )
    .order_by(BonusScheme.starts_on)
)


def _schemes(rows: list[Row]) -> list[BonusScheme]:
    return [from_row(BonusScheme, row) for row in rows]


def schemes_query(team_id: int, until: date) -> Query[list[BonusScheme]]:
    """The team's schemes starting on or before `until`, oldest first; as read."""
    return Query(_TEAM_SCHEMES, {"team_id": team_id, "until": until}, _schemes)


async def team_schemes(session: UnitOfWork, team_id: int, until: date) -> list[BonusScheme]:
    return await session.one(schemes_query(team_id, until))


async def scheme_starting(session: UnitOfWork, team_id: int, starts_on: date) -> BonusScheme | None:
    query = select(BonusScheme).where(
        BonusScheme.team_id == team_id, BonusScheme.starts_on == starts_on
    )
    return await session.scalar(query)
