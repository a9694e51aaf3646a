from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, update
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.prepared import Prepared
from models.unit_of_work import UnitOfWork

# PostgreSQL advisory lock held while migrating (alembic/env.py): instances started together
# migrate one after another, and all but the first find the schema at head.
MIGRATIONS_LOCK_KEY = 0x6B70_6962_6F74  # "kpibot"


class Lease(Base):
    """Who runs a singleton (the scheduler) for this database, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _take(insert: Any) -> Any:
    statement = insert(Lease).values(
        name=bindparam("name"), holder=bindparam("holder"), expires_at=bindparam("until")
    )
    return statement.on_conflict_do_update(
        index_elements=[Lease.name],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=(Lease.holder == statement.excluded.holder)
        | (Lease.expires_at <= bindparam("now", type_=Lease.expires_at.type)),
    ).returning(Lease.holder)


_TAKE = Prepared(_take)
_RELEASE = Prepared(
    update(Lease)
    .where(Lease.name == bindparam("lease"), Lease.holder == bindparam("who"))
    .values(expires_at=bindparam("now"))
)


async def take_lease(
    session: UnitOfWork, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take the lease, or renew it; True when `holder` has it now. One statement: of two
    takers at once exactly one gets it, whether the row exists yet or not."""
    return bool(await session.run(_TAKE, name=name, holder=holder, until=until, now=now))


async def release_lease(session: UnitOfWork, name: str, holder: str, now: datetime) -> None:
    """Let it go at once (at shutdown), so another instance takes over at its next tick."""
    await session.run(_RELEASE, lease=name, who=holder, now=now)
