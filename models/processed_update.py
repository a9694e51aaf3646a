from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, CursorResult, bindparam, delete
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.prepared import Prepared
from models.unit_of_work import UnitOfWork


class ProcessedUpdate(Base):
    """Telegram update ids whose effects are committed; a redelivered update is skipped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _claim(insert: Any) -> Any:
    return (
        insert(ProcessedUpdate)
        .values(update_id=bindparam("update_id"), processed_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["update_id"])
    )


CLAIM = Prepared(_claim)


async def claim_update(session: UnitOfWork, update_id: int) -> bool:
    """Record the update id in the unit's transaction; False if it was recorded already (by
    this process or another: the primary key decides)."""
    return await session.changed(CLAIM, update_id=update_id, now=utcnow()) == 1


async def forget_processed_before(session: UnitOfWork, moment: datetime) -> int:
    """How many ids were forgotten."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
    )
    return cast(CursorResult[Any], result).rowcount
