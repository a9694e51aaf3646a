from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Time,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, columns_of, utcnow
from models.enums import Role
from models.prepared import Prepared, Row, bound
from models.team import TEAM_COLUMNS, Team, TeamInfo
from models.unit_of_work import UnitOfWork


class User(Base):
    """A Telegram user; `team_id`/`role` is their current membership (one team at a time)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    language_code: Mapped[str | None] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    reminder_time: Mapped[time | None] = mapped_column(Time)  # None: the team's time
    reminders_on: Mapped[bool] = mapped_column(default=True)
    on_track_notes: Mapped[bool] = mapped_column(default=True)
    blocked_bot: Mapped[bool] = mapped_column(default=False)  # 403: no messages until they write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The team's local day they joined their current team (None: before this was recorded).
    joined_on: Mapped[date | None] = mapped_column(Date)
    # The team they last left and that team's local day they left it (None: never recorded);
    # no foreign key: a team may be deleted, and an id that names none matches nothing.
    left_team_id: Mapped[int | None] = mapped_column(Integer)
    left_on: Mapped[date | None] = mapped_column(Date)

    @property
    def is_manager(self) -> bool:
        return self.team_id is not None and self.role is Role.MANAGER


@dataclass(frozen=True, slots=True)
class Person:
    """A user as read, in the order of the `users` table's columns."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    team_id: int | None
    role: Role | None
    reminder_time: time | None
    reminders_on: bool
    on_track_notes: bool
    blocked_bot: bool
    created_at: datetime
    last_seen_at: datetime
    joined_on: date | None
    left_team_id: int | None = None
    left_on: date | None = None

    @property
    def is_manager(self) -> bool:
        return self.team_id is not None and self.role is Role.MANAGER


PERSON_COLUMNS = columns_of(User)


def person(row: Row) -> Person:
    return Person(*row)


def person_of(user: User | Person) -> Person:
    """The facts of a loaded row (a Person stays as it is)."""
    if isinstance(user, Person):
        return user
    return Person(*(getattr(user, column.key) for column in PERSON_COLUMNS))


# --- the sender of an update: every update reads it; first contact and changes write it -------

SENDER = Prepared(
    select(*PERSON_COLUMNS, *TEAM_COLUMNS)
    .outerjoin(Team, User.team_id == Team.id)
    .where(User.id == bindparam("user_id")),
    remember=4096,  # the active people of the last minutes, converted once per change
)
_TEAM_FROM = len(PERSON_COLUMNS)


@lru_cache(maxsize=4096)  # the same row read again (unchanged) gives the same facts
def sender_of(row: Row) -> tuple[Person, TeamInfo | None]:
    team = row[_TEAM_FROM:]
    return Person(*row[:_TEAM_FROM]), TeamInfo(*team) if team[0] is not None else None


def _upsert_profile(insert: Any) -> Any:
    statement = insert(User).values(
        bound(
            "id",
            "first_name",
            "last_name",
            "username",
            "language_code",
            last_seen_at="now",
            created_at="now",
        )
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[User.id],
        set_={
            "first_name": new.first_name,
            "last_name": new.last_name,
            "username": new.username,
            "language_code": new.language_code,
            "last_seen_at": new.last_seen_at,
            # Someone who writes to the bot in private can be messaged again.
            "blocked_bot": case((bindparam("in_private"), False), else_=User.blocked_bot),
        },
    ).returning(User.id)


UPSERT_PROFILE = Prepared(_upsert_profile)


async def upsert_profile(
    session: UnitOfWork, profile: dict[str, Any], *, now: datetime, in_private: bool
) -> None:
    """Registration and refresh in one statement: two first messages at once both succeed."""
    await session.run(UPSERT_PROFILE, **profile, now=now, in_private=in_private)


# --- members ------------------------------------------------------------------------------------

_MEMBER = Prepared(
    select(*PERSON_COLUMNS).where(
        User.team_id == bindparam("team_id"), func.lower(User.username) == bindparam("name")
    )
)
_BY_ID = Prepared(select(*PERSON_COLUMNS).where(User.id == bindparam("user_id")))
_MEMBERS = Prepared(
    select(*PERSON_COLUMNS)
    .where(User.team_id == bindparam("team_id"))
    .order_by(User.first_name, User.id)
)


async def find_member(session: UnitOfWork, team_id: int, username: str) -> Person | None:
    """A current member of the team by @username (case-insensitive, '@' optional)."""
    row = await session.first(_MEMBER, team_id=team_id, name=username.removeprefix("@").casefold())
    return person(row) if row else None


async def team_members(session: UnitOfWork, team_id: int) -> list[Person]:
    return [person(row) for row in await session.run(_MEMBERS, team_id=team_id)]


async def person_by_id(session: UnitOfWork, user_id: int) -> Person | None:
    row = await session.first(_BY_ID, user_id=user_id)
    return person(row) if row else None


_MANAGERS_LANGUAGE = Prepared(
    select(User.language_code)
    .where(User.team_id == bindparam("team_id"), User.role == Role.MANAGER)
    .order_by(User.id)
    .limit(1)
)


async def managers_language(session: UnitOfWork, team_id: int) -> str | None:
    """The Telegram language of the team's first manager (the lowest user id)."""
    row = await session.first(_MANAGERS_LANGUAGE, team_id=team_id)
    return row[0] if row else None
