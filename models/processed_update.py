from datetime import datetime

from sqlalchemy import BigInteger, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ProcessedUpdate(Base):
    """Telegram update ids whose effects are committed; a redelivered update is skipped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Record the update id in the current transaction; False if it was already recorded."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_processed_before(session: AsyncSession, moment: datetime) -> None:
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
