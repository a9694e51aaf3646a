"""A team's TV link: the secret its dashboard link for a wall screen carries (one per team);
a new secret revokes the old link."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.prepared import Prepared, bound
from models.unit_of_work import UnitOfWork


class TvLink(Base):
    __tablename__ = "tv_links"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_SECRET = Prepared(select(TvLink.secret).where(TvLink.team_id == bindparam("team_id")))


def _keep(insert: Any) -> Any:
    statement = insert(TvLink).values(bound("team_id", "secret", created_at="now"))
    return statement.on_conflict_do_nothing(index_elements=[TvLink.team_id])


def _replace(insert: Any) -> Any:
    statement = insert(TvLink).values(bound("team_id", "secret", created_at="now"))
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[TvLink.team_id],
        set_={"secret": new.secret, "created_at": new.created_at},
    )


_KEEP = Prepared(_keep)
_REPLACE = Prepared(_replace)


async def tv_secret(session: UnitOfWork, team_id: int) -> str | None:
    row = await session.first(_SECRET, team_id=team_id)
    return str(row[0]) if row else None


async def keep_tv_secret(session: UnitOfWork, team_id: int, secret: str) -> str:
    """The team's secret: the one it has, or `secret` stored as its first (two managers asking
    at once get the same one)."""
    await session.changed(_KEEP, team_id=team_id, secret=secret, now=utcnow())
    found = await tv_secret(session, team_id)
    assert found is not None
    return found


async def replace_tv_secret(session: UnitOfWork, team_id: int, secret: str) -> None:
    """`secret` from now on: the links made with the old one stop working."""
    await session.changed(_REPLACE, team_id=team_id, secret=secret, now=utcnow())
