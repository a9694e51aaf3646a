"""Queueing messages the bot sends on its own (reminders, charts, celebrations)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage
from models.base import utcnow
from models.outbox import queued_keys


async def enqueue(
    session: AsyncSession,
    dedup_key: str,
    chat_id: int,
    *,
    text: str | None = None,
    photo: bytes | None = None,
    user_id: int | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message unless one with `dedup_key` was ever queued; the caller commits.

    The key names what the message is for (e.g. "remind:<user>:<date>"), so running a job
    twice, or in two processes, never queues a second copy.
    """
    if await queued_keys(session, [dedup_key]):
        return False
    session.add(
        OutboxMessage(
            dedup_key=dedup_key,
            chat_id=chat_id,
            user_id=user_id,
            text=text,
            photo=photo,
            not_before=not_before or utcnow(),
        )
    )
    await session.flush()
    return True
