"""Recording and undoing activity entries."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.parsing import ParsedEntry
from models import Entry, EntryKind, Team, User
from models.base import utcnow
from models.entry import latest_live_entry


@dataclass(frozen=True, slots=True)
class DayTotal:
    count: int
    amount_kopecks: int


@dataclass(frozen=True, slots=True)
class Recorded:
    entry: Entry
    day_total: DayTotal


# Built once: the acknowledgement of every logged entry runs it.
DAY_TOTAL = select(
    func.coalesce(func.sum(Entry.count), 0), func.coalesce(func.sum(Entry.amount_kopecks), 0)
).where(
    Entry.user_id == bindparam("user_id"),
    Entry.team_id == bindparam("team_id"),
    Entry.kind == bindparam("kind", type_=Entry.kind.type),
    Entry.business_date == bindparam("day", type_=Entry.business_date.type),
    Entry.deleted_at.is_(None),
)


async def day_total(
    session: AsyncSession, *, user_id: int, team_id: int, kind: EntryKind, day: date
) -> DayTotal:
    params = {"user_id": user_id, "team_id": team_id, "kind": kind, "day": day}
    count, amount = (await session.execute(DAY_TOTAL, params)).one()
    return DayTotal(int(count or 0), int(amount or 0))


ENTRY_FIELDS = (
    "team_id",
    "user_id",
    "kind",
    "count",
    "amount_kopecks",
    "is_repeat",
    "tag",
    "note",
    "business_date",
    "created_at",
)


def new_entry(
    *, user_id: int, team_id: int, kind: EntryKind, parsed: ParsedEntry, now: datetime
) -> Entry:
    return Entry(
        team_id=team_id,
        user_id=user_id,
        kind=kind,
        count=parsed.count,
        amount_kopecks=parsed.amount_kopecks,
        is_repeat=parsed.is_repeat,
        tag=parsed.tag,
        note=parsed.note,
        business_date=parsed.business_date,
        created_at=now,
    )


async def record_entry(
    session: AsyncSession, user: User, team: Team, kind: EntryKind, parsed: ParsedEntry
) -> Recorded:
    """Store the entry and commit: the caller acknowledges only what is durable."""
    entry = new_entry(user_id=user.id, team_id=team.id, kind=kind, parsed=parsed, now=utcnow())
    session.add(entry)
    await session.flush()
    total = await day_total(
        session, user_id=user.id, team_id=team.id, kind=kind, day=parsed.business_date
    )
    await session.commit()
    return Recorded(entry, total)


async def undo_last_entry(session: AsyncSession, user: User, team: Team) -> Entry | None:
    """Soft-delete the sender's latest live entry in their team (kept for audit)."""
    entry = await latest_live_entry(session, user_id=user.id, team_id=team.id)
    if entry is None:
        return None
    entry.deleted_at = utcnow()
    entry.deleted_by_id = user.id
    await session.commit()
    return entry
