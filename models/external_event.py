"""Every event a connection delivered, stored before the sender hears 200, then applied."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ExternalEvent(Base):
    __tablename__ = "external_events"
    __table_args__ = (
        Index("ix_external_events_connection_received", "connection_id", "received_at"),
        Index("ix_external_events_applied_id", "applied_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # an EntryKind's value
    external_id: Mapped[str] = mapped_column(String(64))  # the deal's, lead's or call's id
    # won / open (a deal), done (anything else), fetch (a Bitrix24 deal to read first)
    state: Mapped[str] = mapped_column(String(8))
    amount_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    seconds: Mapped[int | None] = mapped_column(Integer)  # a call's length
    person: Mapped[str] = mapped_column(String(64))  # the system's user or extension; "": none
    person_name: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
