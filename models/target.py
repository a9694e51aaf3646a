from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, bindparam, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, from_row, utcnow
from models.enums import Metric, Period
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork


def _enum(kind: type[Metric] | type[Period]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Target(Base):
    """A target in force over [valid_from, valid_to); `user_id` None is the team default.

    Changing a target closes the current row and opens a new one, so a past period is judged
    by what was in force then.
    """

    __tablename__ = "targets"
    __table_args__ = (Index("ix_targets_team_metric", "team_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    metric: Mapped[Metric] = mapped_column(_enum(Metric))
    period: Mapped[Period] = mapped_column(_enum(Period))
    value: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _touching(with_user: bool) -> Prepared:
    query = select(*columns_of(Target)).where(
        Target.team_id == bindparam("team_id"),
        Target.valid_from <= bindparam("end", type_=Target.valid_from.type),
        or_(
            Target.valid_to.is_(None),
            Target.valid_to > bindparam("start", type_=Target.valid_from.type),
        ),
        Target.valid_to.is_(None) | (Target.valid_to > Target.valid_from),
    )
    if with_user:
        query = query.where(or_(Target.user_id.is_(None), Target.user_id == bindparam("user_id")))
    return Prepared(query.order_by(Target.valid_from, Target.id))


_TEAM_TARGETS = _touching(with_user=False)
_PERSON_TARGETS = _touching(with_user=True)


def _targets(rows: list[Row]) -> list[Target]:
    return [from_row(Target, row) for row in rows]


def targets_query(
    team_id: int, start: date, end: date, user_id: int | None = None
) -> Query[list[Target]]:
    """Targets of a team touching [start, end]: the defaults and every personal one, or only
    `user_id`'s personal ones besides the defaults. As read: attached to no session."""
    params: dict[str, object] = {"team_id": team_id, "start": start, "end": end}
    if user_id is None:
        return Query(_TEAM_TARGETS, params, _targets)
    return Query(_PERSON_TARGETS, params | {"user_id": user_id}, _targets)


async def team_targets(
    session: UnitOfWork, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[Target]:
    return await session.one(targets_query(team_id, start, end, user_id))


async def open_target(
    session: UnitOfWork, team_id: int, user_id: int | None, metric: Metric
) -> Target | None:
    query = select(Target).where(
        Target.team_id == team_id,
        Target.user_id.is_(None) if user_id is None else Target.user_id == user_id,
        Target.metric == metric,
        Target.valid_to.is_(None),
    )
    return await session.scalar(query)


async def last_target_end(
    session: UnitOfWork, team_id: int, user_id: int | None, metric: Metric
) -> date | None:
    query = select(func.max(Target.valid_to)).where(
        Target.team_id == team_id,
        Target.user_id.is_(None) if user_id is None else Target.user_id == user_id,
        Target.metric == metric,
    )
    return await session.scalar(query)
