from dataclasses import dataclass
from datetime import time

from sqlalchemy import ForeignKey, Time, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork

DEFAULT_DIGEST_TIME = time(9, 30)


class TeamRewards(Base):
    """A team's choices about small wins; a team without a row has every kind on."""

    __tablename__ = "team_rewards"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    streaks_on: Mapped[bool] = mapped_column(default=True)
    records_on: Mapped[bool] = mapped_column(default=True)
    digest_on: Mapped[bool] = mapped_column(default=True)
    digest_time: Mapped[time] = mapped_column(Time, default=DEFAULT_DIGEST_TIME)


@dataclass(frozen=True, slots=True)
class Rewards:
    streaks_on: bool = True
    records_on: bool = True
    digest_on: bool = True
    digest_time: time = DEFAULT_DIGEST_TIME


def rewards_of(row: TeamRewards | None) -> Rewards:
    if row is None:
        return Rewards()
    return Rewards(row.streaks_on, row.records_on, row.digest_on, row.digest_time)


_OF_TEAM = Prepared(
    select(
        TeamRewards.streaks_on,
        TeamRewards.records_on,
        TeamRewards.digest_on,
        TeamRewards.digest_time,
    ).where(TeamRewards.team_id == bindparam("team_id"))
)


def _rewards(rows: list[Row]) -> Rewards:
    return Rewards(*rows[0]) if rows else Rewards()


def rewards_query(team_id: int) -> Query[Rewards]:
    """A team's choices (read with every /today and /deal, together with their other reads)."""
    return Query(_OF_TEAM, {"team_id": team_id}, _rewards)


async def team_rewards(session: UnitOfWork, team_id: int) -> Rewards:
    return await session.one(rewards_query(team_id))


async def all_team_rewards(session: UnitOfWork) -> dict[int, Rewards]:
    rows = await session.scalars(select(TeamRewards))
    return {row.team_id: rewards_of(row) for row in rows}
