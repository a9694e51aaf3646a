from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class Lease(Base):
    """Who runs a singleton (the scheduler) for this database, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


async def take_lease(
    session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease; True when `holder` has it now. Commits."""
    lease = await session.scalar(select(Lease).where(Lease.name == name))
    if lease is None:
        session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
    elif lease.holder == holder or lease.expires_at <= now:
        lease.holder = holder
        lease.expires_at = now + ttl
    else:
        await session.commit()
        return False
    await session.commit()
    return True
