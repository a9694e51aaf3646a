from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, defer, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.unit_of_work import UnitOfWork


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # handed to Telegram; a crash here means "maybe sent": never repeated
    SENT = "sent"
    FAILED = "failed"  # gave up after bounded retries
    DROPPED = "dropped"  # the person blocked the bot


class OutboxMessage(Base):
    """A message the bot sends on its own, written in the same transaction as what caused it.

    The sender commits SENDING before the API call and SENT after it. After a kill, PENDING
    rows are sent; SENDING rows were handed to Telegram and are not sent again.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OutboxStatus.PENDING,
    )
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A reaction (an emoji) to set on message `message_id` of the chat instead of a message.
    reaction: Mapped[str | None] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(BigInteger)


async def due_messages(session: UnitOfWork, now: datetime, limit: int) -> list[OutboxMessage]:
    """Due rows without their chart bytes (the claim that takes one for sending returns them)."""
    query = (
        select(OutboxMessage)
        .options(defer(OutboxMessage.photo, raiseload=True))
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def queued_keys(session: UnitOfWork, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    query = select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))
    return set((await session.scalars(query)).all())


async def sent_since(session: UnitOfWork, moment: datetime) -> list[tuple[int, datetime]]:
    """(chat, when) of every message sent since `moment`, oldest first: what Telegram's
    windows still count."""
    query = (
        select(OutboxMessage.chat_id, OutboxMessage.sent_at)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at >= moment)
        .order_by(OutboxMessage.sent_at)
    )
    return [(chat_id, sent_at) for chat_id, sent_at in await session.execute(query)]
