from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.enums import EntryKind
from models.prepared import Prepared, Row
from models.unit_of_work import Query, UnitOfWork


class Entry(Base):
    """One logged activity. Soft-deleted rows stay for audit (who removed it and when)."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_user_date", "user_id", "business_date"),
        Index("ix_entries_team_date", "team_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EntryKind] = mapped_column(
        Enum(
            EntryKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    count: Mapped[int] = mapped_column(Integer, default=1)
    amount_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    tag: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    business_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The person's own message that logged it (its private chat is the person's id); None
    # for entries that came from elsewhere (a CRM): small wins then have nothing to react to.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The connected system that logged it ("amocrm"...); None: logged by hand.
    source: Mapped[str | None] = mapped_column(String(16))


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """An entry as logged or read, in the order of the `entries` table's columns."""

    id: int
    team_id: int
    user_id: int
    kind: EntryKind
    count: int
    amount_kopecks: int | None
    is_repeat: bool
    tag: str | None
    note: str | None
    business_date: date
    created_at: datetime
    deleted_at: datetime | None
    deleted_by_id: int | None
    message_id: int | None = None
    source: str | None = None


# What the texts about an entry need, whichever way it was read.
AnyEntry = Entry | EntryFacts


# count, amount and repeat-sale count of a group of entries: what every total is made of.
TOTAL_COLUMNS = (
    func.sum(Entry.count),
    func.coalesce(func.sum(Entry.amount_kopecks), 0),
    func.sum(case((Entry.is_repeat, Entry.count), else_=0)),
)


# A team's live entries dated from the :start to the :end parameter: what every total reads.
TEAM_LIVE_BETWEEN = (
    Entry.team_id == bindparam("team_id"),
    Entry.business_date.between(
        bindparam("start", type_=Entry.business_date.type),
        bindparam("end", type_=Entry.business_date.type),
    ),
    Entry.deleted_at.is_(None),
)


@dataclass(frozen=True, slots=True)
class KindTotal:
    kind: EntryKind
    tag: str | None
    count: int
    amount_kopecks: int
    repeat_count: int


_KIND_TOTALS = Prepared(
    select(Entry.kind, Entry.tag, *TOTAL_COLUMNS)
    .where(Entry.user_id == bindparam("user_id"), *TEAM_LIVE_BETWEEN)
    .group_by(Entry.kind, Entry.tag)
)


def _kind_total(kind: EntryKind, tag: str | None, n: int, amount: int, rep: int) -> KindTotal:
    return KindTotal(kind, tag, int(n), int(amount), int(rep))


def _kind_totals(rows: list[Row]) -> list[KindTotal]:
    return [_kind_total(*row) for row in rows]


def kind_totals_query(
    *, team_id: int, user_id: int, start: date, end: date
) -> Query[list[KindTotal]]:
    """Live totals per (kind, tag) of one person in one team over [start, end]."""
    params = {"team_id": team_id, "user_id": user_id, "start": start, "end": end}
    return Query(_KIND_TOTALS, params, _kind_totals)


_DAY_KIND_TOTALS = Prepared(
    select(Entry.business_date, Entry.kind, Entry.tag, *TOTAL_COLUMNS)
    .where(Entry.user_id == bindparam("user_id"), *TEAM_LIVE_BETWEEN)
    .group_by(Entry.business_date, Entry.kind, Entry.tag)
)


def _day_kind_totals(rows: list[Row]) -> dict[date, list[KindTotal]]:
    days: dict[date, list[KindTotal]] = {}
    for day, *total in rows:
        days.setdefault(day, []).append(_kind_total(*total))
    return days


def day_kind_totals_query(
    *, team_id: int, user_id: int, start: date, end: date
) -> Query[dict[date, list[KindTotal]]]:
    """Live totals per day and (kind, tag) of one person in one team over [start, end]."""
    params = {"team_id": team_id, "user_id": user_id, "start": start, "end": end}
    return Query(_DAY_KIND_TOTALS, params, _day_kind_totals)


async def kind_totals(
    session: UnitOfWork, *, team_id: int, user_id: int, start: date, end: date
) -> list[KindTotal]:
    return await session.one(
        kind_totals_query(team_id=team_id, user_id=user_id, start=start, end=end)
    )


async def latest_live_entry(session: UnitOfWork, *, user_id: int, team_id: int) -> Entry | None:
    query = (
        select(Entry)
        .where(Entry.user_id == user_id, Entry.team_id == team_id, Entry.deleted_at.is_(None))
        .order_by(Entry.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def recent_tags(
    session: UnitOfWork, *, user_id: int, team_id: int, since: date, limit: int
) -> list[str]:
    """The person's tags in the team since `since`, the most recently used first."""
    query = (
        select(Entry.tag)
        .where(
            Entry.user_id == user_id,
            Entry.team_id == team_id,
            Entry.business_date >= since,
            Entry.tag.is_not(None),
            Entry.deleted_at.is_(None),
        )
        .group_by(Entry.tag)
        .order_by(func.max(Entry.id).desc())
        .limit(limit)
    )
    return [str(tag) for tag in await session.scalars(query)]


@dataclass(frozen=True, slots=True)
class PersonKindTotal:
    user_id: int
    total: KindTotal


async def team_kind_totals(
    session: UnitOfWork, *, team_id: int, start: date, end: date, tag: str | None = None
) -> list[PersonKindTotal]:
    """Live totals per (person, kind, tag) of a team over [start, end], optionally one tag."""
    query = (
        select(
            Entry.user_id,
            Entry.kind,
            Entry.tag,
            *TOTAL_COLUMNS,
        )
        .where(
            Entry.team_id == team_id,
            Entry.business_date.between(start, end),
            Entry.deleted_at.is_(None),
        )
        .group_by(Entry.user_id, Entry.kind, Entry.tag)
    )
    if tag is not None:
        query = query.where(Entry.tag == tag)
    rows = await session.execute(query)
    return [
        PersonKindTotal(user_id, KindTotal(kind, row_tag, int(n), int(amount), int(rep)))
        for user_id, kind, row_tag, n, amount, rep in rows
    ]


async def last_entry_times(session: UnitOfWork, team_id: int) -> dict[int, datetime]:
    query = (
        select(Entry.user_id, func.max(Entry.created_at))
        .where(Entry.team_id == team_id, Entry.deleted_at.is_(None))
        .group_by(Entry.user_id)
    )
    rows = await session.execute(query)
    # max() keeps the column type, so the instants come back timezone-aware.
    return {user_id: moment for user_id, moment in rows}


_TEAM_KIND_TOTALS = Prepared(
    select(Entry.user_id, Entry.kind, *TOTAL_COLUMNS)
    .where(*TEAM_LIVE_BETWEEN)
    .group_by(Entry.user_id, Entry.kind)
)


def _people_kind_totals(rows: list[Row]) -> list[PersonKindTotal]:
    return [
        PersonKindTotal(user_id, KindTotal(kind, None, int(n), int(amount), int(rep)))
        for user_id, kind, n, amount, rep in rows
    ]


def team_kind_totals_query(*, team_id: int, start: date, end: date) -> Query[list[PersonKindTotal]]:
    """Live totals per (person, kind) of a team over [start, end], tags together."""
    params = {"team_id": team_id, "start": start, "end": end}
    return Query(_TEAM_KIND_TOTALS, params, _people_kind_totals)
