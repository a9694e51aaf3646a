"""Queries behind /log and /export: a person's day, deleting an entry, a team's period."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, or_, select, update

from models.base import utcnow
from models.entry import Entry
from models.enums import Role
from models.prepared import Prepared
from models.unit_of_work import UnitOfWork
from models.user import User


async def day_entries(session: UnitOfWork, *, team_id: int, user_id: int, day: date) -> list[Entry]:
    """A person's live entries of one business day in one team, oldest first."""
    query = (
        select(Entry)
        .where(
            Entry.team_id == team_id,
            Entry.user_id == user_id,
            Entry.business_date == day,
            Entry.deleted_at.is_(None),
        )
        .order_by(Entry.created_at, Entry.id)
    )
    return list((await session.scalars(query)).all())


def _may_delete() -> Any:
    """The presser is in the entry's team now, and wrote it or manages that team."""
    return (
        select(User.id)
        .where(
            User.id == bindparam("presser_id"),
            User.team_id == Entry.team_id,
            or_(Entry.user_id == User.id, User.role == Role.MANAGER),
        )
        .exists()
    )


_ALLOWED = Prepared(select(_may_delete()).where(Entry.id == bindparam("entry_id")))
_SOFT_DELETE = Prepared(
    update(Entry)
    .where(Entry.id == bindparam("entry_id"), Entry.deleted_at.is_(None), _may_delete())
    .values(deleted_at=bindparam("now"), deleted_by_id=bindparam("presser_id"))
    .returning(Entry.id)
)


@dataclass(frozen=True, slots=True)
class SoftDeleted:
    allowed: bool
    done: bool  # False: it was deleted already (by this press's twin, or someone else)


async def soft_delete(session: UnitOfWork, entry_id: int, *, by_user_id: int) -> SoftDeleted | None:
    """Mark a live entry deleted by `by_user_id` if they may; None if there is no such entry.

    One conditional UPDATE, so two presses racing on the same entry record one deletion only.
    """
    rows = await session.run(_ALLOWED, entry_id=entry_id, presser_id=by_user_id)
    if not rows:
        return None
    if not rows[0][0]:
        return SoftDeleted(allowed=False, done=False)
    done = await session.run(_SOFT_DELETE, entry_id=entry_id, presser_id=by_user_id, now=utcnow())
    return SoftDeleted(allowed=True, done=bool(done))


async def period_entries(
    session: UnitOfWork, *, team_id: int, start: date, end: date, user_id: int | None = None
) -> list[tuple[Entry, User]]:
    """Live entries of a team (or of one person in it) over [start, end] with their authors,
    in business-date then logging order. Authors who have left the team are included."""
    query = (
        select(Entry, User)
        .join(User, User.id == Entry.user_id)
        .where(
            Entry.team_id == team_id,
            Entry.business_date.between(start, end),
            Entry.deleted_at.is_(None),
        )
        .order_by(Entry.business_date, Entry.created_at, Entry.id)
    )
    if user_id is not None:
        query = query.where(Entry.user_id == user_id)
    rows = await session.execute(query)
    return [(entry, user) for entry, user in rows]
