"""Contests: a team's race over one metric for a period, with its posts to the group.

A team has at most one contest that is not over: `running_team` holds the team's id until the
contest ends or is cancelled (a unique column: two managers starting one at once get one)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, utcnow
from models.entry import TEAM_LIVE_BETWEEN, TOTAL_COLUMNS, Entry, KindTotal, PersonKindTotal
from models.enums import Metric, Period
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork
from models.user import PERSON_COLUMNS, Person, User, person

MAX_PRIZE = 200


class Contest(Base):
    __tablename__ = "contests"
    __table_args__ = (Index("ix_contests_team_start", "team_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    # The team's id while the contest is upcoming or running; NULL once over or cancelled.
    running_team: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    metric: Mapped[Metric] = mapped_column(
        Enum(Metric, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    tag: Mapped[str | None] = mapped_column(String(32))  # only deals or revenue of this #tag
    by_target: Mapped[bool] = mapped_column()  # ranked by % of one's own target, else absolute
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # inclusive
    # Recurring: the next round (the next week or month) starts when this one ends.
    repeat: Mapped[Period | None] = mapped_column(
        Enum(Period, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    prize: Mapped[str | None] = mapped_column(String(MAX_PRIZE))
    rules_version: Mapped[int] = mapped_column(default=1)  # raised by each change of the rules
    kickoff_posted: Mapped[bool] = mapped_column(default=False)
    midway_posted: Mapped[bool] = mapped_column(default=False)
    final_posted: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class ContestFacts:
    """A contest as read, in the order of the `contests` table's columns."""

    id: int
    team_id: int
    running_team: int | None
    metric: Metric
    tag: str | None
    by_target: bool
    start: date
    end: date
    repeat: Period | None
    prize: str | None
    rules_version: int
    kickoff_posted: bool
    midway_posted: bool
    final_posted: bool
    created_by_id: int
    created_at: datetime
    cancelled_at: datetime | None


CONTEST_COLUMNS = columns_of(Contest)


_RUNNING = Prepared(select(*CONTEST_COLUMNS).where(Contest.running_team == bindparam("team_id")))


async def running_contest(session: UnitOfWork, team_id: int) -> ContestFacts | None:
    """The team's contest that is not over (upcoming or running), if any."""
    row = await session.first(_RUNNING, team_id=team_id)
    return ContestFacts(*row) if row else None


def _totals(with_tag: bool) -> Prepared:
    query = (
        select(Entry.user_id, Entry.kind, Entry.tag, *TOTAL_COLUMNS)
        .where(*TEAM_LIVE_BETWEEN)
        .group_by(Entry.user_id, Entry.kind, Entry.tag)
    )
    if with_tag:
        query = query.where(Entry.tag == bindparam("tag"))
    return Prepared(query)


_TOTALS = _totals(with_tag=False)
_TAG_TOTALS = _totals(with_tag=True)


def _person_totals(rows: list[Row]) -> list[PersonKindTotal]:
    return [
        PersonKindTotal(user_id, KindTotal(kind, tag, int(n), int(amount), int(rep)))
        for user_id, kind, tag, n, amount, rep in rows
    ]


def totals_query(
    team_id: int, start: date, end: date, tag: str | None
) -> Query[list[PersonKindTotal]]:
    """Live totals per (person, kind, tag) of a team over [start, end] (empty when end is
    before start), or of one #tag's entries."""
    params: dict[str, object] = {"team_id": team_id, "start": start, "end": end}
    if tag is None:
        return Query(_TOTALS, params, _person_totals)
    return Query(_TAG_TOTALS, params | {"tag": tag}, _person_totals)


_MEMBERS = Prepared(select(*PERSON_COLUMNS).where(User.team_id == bindparam("team_id")))


def members_query(team_id: int) -> Query[list[Person]]:
    """Who takes part: the team's current members."""
    return Query(_MEMBERS, {"team_id": team_id}, lambda rows: [person(row) for row in rows])


async def contest_by_id(session: UnitOfWork, contest_id: int) -> ContestFacts | None:
    row = (await session.execute(select(*CONTEST_COLUMNS).where(Contest.id == contest_id))).first()
    return ContestFacts(*row) if row else None


async def contests_to_post(session: UnitOfWork) -> list[ContestFacts]:
    """Every contest with a post still to come (upcoming and running ones)."""
    rows = await session.execute(
        select(*CONTEST_COLUMNS).where(Contest.running_team.is_not(None)).order_by(Contest.id)
    )
    return [ContestFacts(*row) for row in rows]


async def mark_posted(session: UnitOfWork, contest_id: int, *stages: str) -> bool:
    """Mark `stages` (kickoff, midway, final) posted; True only for the one unit of work that
    found the last of them not posted yet (the database decides, whoever else tries). The final
    also ends the contest."""
    last = getattr(Contest, f"{stages[-1]}_posted")
    values: dict[str, object] = {f"{stage}_posted": True for stage in stages}
    if stages[-1] == "final":
        values["running_team"] = None
    result = await session.execute(
        update(Contest)
        .where(Contest.id == contest_id, last.is_(False), Contest.cancelled_at.is_(None))
        .values(**values)
        .returning(Contest.id)
    )
    return result.first() is not None
