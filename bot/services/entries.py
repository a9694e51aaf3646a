"""Recording and undoing activity entries."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from bot.domain import DayTotal
from bot.services.parsing import ParsedEntry
from models import Entry, EntryKind, UnitOfWork
from models.base import columns_of, utcnow
from models.entry import EntryFacts
from models.entry import recent_tags as recent_tags_since
from models.prepared import Prepared, bound

# What an entry is made of when it is logged (the rest: the columns' own defaults).
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
    "message_id",
)

ADD_ENTRY = Prepared(insert(Entry).values(bound(*ENTRY_FIELDS)))
DAY_TOTAL = Prepared(
    select(
        func.coalesce(func.sum(Entry.count), 0), func.coalesce(func.sum(Entry.amount_kopecks), 0)
    ).where(
        Entry.user_id == bindparam("user_id"),
        Entry.team_id == bindparam("team_id"),
        Entry.kind == bindparam("kind", type_=Entry.kind.type),
        Entry.business_date == bindparam("day", type_=Entry.business_date.type),
        Entry.deleted_at.is_(None),
    )
)
# The latest live entry of a person in a team, marked deleted in the same statement: two /undo
# at once never remove the same entry, and each removes one.
UNDO_LATEST = Prepared(
    update(Entry)
    .where(
        Entry.id
        == select(Entry.id)
        .where(
            Entry.user_id == bindparam("author"),
            Entry.team_id == bindparam("team"),
            Entry.deleted_at.is_(None),
        )
        .order_by(Entry.id.desc())
        .limit(1)
        .scalar_subquery(),
        Entry.deleted_at.is_(None),
    )
    .values(deleted_at=bindparam("now"), deleted_by_id=bindparam("author"))
    .returning(*columns_of(Entry))
)
# On PostgreSQL a concurrent /undo can take the entry this one picked; the next try picks anew.
UNDO_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Recorded:
    entry: EntryFacts  # as stored
    day_total: DayTotal  # the person's total of its kind on its day, with it


async def day_total(
    session: UnitOfWork, *, user_id: int, team_id: int, kind: EntryKind, day: date
) -> DayTotal:
    count, amount = (
        await session.run(DAY_TOTAL, user_id=user_id, team_id=team_id, kind=kind, day=day)
    )[0]
    return DayTotal(int(count or 0), int(amount or 0))


async def record_entry(
    session: UnitOfWork,
    user_id: int,
    team_id: int,
    kind: EntryKind,
    parsed: ParsedEntry,
    message_id: int | None = None,
) -> Recorded:
    """Store the entry (the unit of work commits it) and read the day's total with it;
    `message_id`: the person's message that logged it, if typed in Telegram."""
    values: dict[str, Any] = {
        "team_id": team_id,
        "user_id": user_id,
        "kind": kind,
        "count": parsed.count,
        "amount_kopecks": parsed.amount_kopecks,
        "is_repeat": parsed.is_repeat,
        "tag": parsed.tag,
        "note": parsed.note,
        "business_date": parsed.business_date,
        "created_at": utcnow(),
        "message_id": message_id,
    }
    entry_id = await session.inserted(ADD_ENTRY, **values)
    entry = EntryFacts(id=entry_id, deleted_at=None, deleted_by_id=None, **values)
    total = await day_total(
        session, user_id=user_id, team_id=team_id, kind=kind, day=parsed.business_date
    )
    return Recorded(entry, total)


async def undo_last_entry(session: UnitOfWork, user_id: int, team_id: int) -> EntryFacts | None:
    """Soft-delete the person's latest live entry in the team (kept for audit)."""
    for _ in range(UNDO_ATTEMPTS):
        rows = await session.run(UNDO_LATEST, author=user_id, team=team_id, now=utcnow())
        if rows:
            return EntryFacts(*rows[0])
        if not await session.run(_ANY_LIVE, user_id=user_id, team_id=team_id):
            return None
    return None


_ANY_LIVE = Prepared(
    select(Entry.id)
    .where(
        Entry.user_id == bindparam("user_id"),
        Entry.team_id == bindparam("team_id"),
        Entry.deleted_at.is_(None),
    )
    .limit(1)
)


# The tags offered as buttons when a deal's amount is asked for: used in the last weeks.
RECENT_TAG_DAYS = 60
RECENT_TAG_BUTTONS = 6


async def recent_tags(session: UnitOfWork, user_id: int, team_id: int, today: date) -> list[str]:
    since = today - timedelta(days=RECENT_TAG_DAYS)
    return await recent_tags_since(
        session, user_id=user_id, team_id=team_id, since=since, limit=RECENT_TAG_BUTTONS
    )
