from dataclasses import dataclass
from datetime import time

from sqlalchemy import ForeignKey, Time, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.prepared import Prepared
from models.unit_of_work import UnitOfWork

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


async def team_rewards(session: UnitOfWork, team_id: int) -> Rewards:
    """One prepared read (it runs with every /today and /deal)."""
    row = await session.first(_OF_TEAM, team_id=team_id)
    return Rewards(*row) if row else Rewards()


async def all_team_rewards(session: UnitOfWork) -> dict[int, Rewards]:
    rows = await session.scalars(select(TeamRewards))
    return {row.team_id: rewards_of(row) for row in rows}
