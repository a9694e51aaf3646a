"""A deal, lead or call of a connected system as the bot last knew it, and the entry it logged."""

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ExternalItem(Base):
    __tablename__ = "external_items"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(64))
    counts: Mapped[bool] = mapped_column(Boolean, default=False)  # won, or a call long enough
    amount_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    business_date: Mapped[date] = mapped_column(Date)
    # The entry it logged. Cleared when the deal leaves "won"; kept when a person deleted the
    # entry, so that it stays deleted however often the system repeats itself.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
