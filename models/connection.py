"""A team's connection to a CRM or a PBX: the endpoint it posts to and what proves the sender."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

# A call shorter than this (seconds) is not logged unless the team says otherwise.
DEFAULT_MIN_CALL_SECONDS = 30


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("team_id", "system"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    system: Mapped[str] = mapped_column(String(16))  # amocrm, bitrix24, zadarma, webhook
    # SHA-256 of the secret part of the endpoint's URL: the URL itself is shown once, never kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What a delivery is checked with: the webhook's signing key, Zadarma's API secret,
    # Bitrix24's application token (None: not given yet, every delivery refused).
    signing_secret: Mapped[str | None] = mapped_column(String(256))
    # Bitrix24: the portal's inbound REST webhook URL a deal is read through.
    rest_url: Mapped[str | None] = mapped_column(String(512))
    min_call_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_CALL_SECONDS)
    # Deliveries refused for a bad signature since the last good one; whether the manager heard.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failures_noted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
