from datetime import datetime

from sqlalchemy import BigInteger, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ProcessedUpdate(Base):
    """Telegram update ids whose effects are committed; a redelivered update is skipped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    query = select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    return await session.scalar(query) is not None


async def forget_processed_before(session: AsyncSession, moment: datetime) -> None:
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
