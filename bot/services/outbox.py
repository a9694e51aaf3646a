"""Queueing messages the bot sends on its own (reminders, charts, celebrations) and the
reactions it sets on people's messages."""

from datetime import datetime
from typing import Any

from models import OutboxMessage, UnitOfWork
from models.base import utcnow
from models.prepared import Prepared, bound

# Set on a unit of work that queued something: after its commit the sender looks at once.
QUEUED = "queued_messages"


def _enqueue(insert: Any) -> Any:
    return (
        insert(OutboxMessage)
        .values(
            bound(
                "dedup_key",
                "chat_id",
                "user_id",
                "text",
                "photo",
                "reaction",
                "message_id",
                "not_before",
            )
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxMessage.id)
    )


_ENQUEUE = Prepared(_enqueue)


async def enqueue(
    session: UnitOfWork,
    dedup_key: str,
    chat_id: int,
    *,
    text: str | None = None,
    photo: bytes | None = None,
    user_id: int | None = None,
    not_before: datetime | None = None,
    reaction: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Add a message unless one with `dedup_key` was ever queued; the unit of work commits.

    The key names what the message is for (e.g. "remind:<user>:<date>"), so running a job
    twice, or in two processes at once, never queues a second copy: the unique key decides.
    """
    added = await session.run(
        _ENQUEUE,
        dedup_key=dedup_key,
        chat_id=chat_id,
        user_id=user_id,
        text=text,
        photo=photo,
        reaction=reaction,
        message_id=message_id,
        not_before=not_before or utcnow(),
    )
    if added:
        session.info[QUEUED] = True
    return bool(added)
