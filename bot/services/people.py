"""Who is talking to the bot: registration and profile refresh on every update."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Team, User
from models.base import utcnow

LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


def stored_profile(profile: TelegramProfile) -> dict[str, str | None]:
    """The user's columns that their Telegram profile sets, as they are stored."""
    return {
        "first_name": profile.first_name[:128] or str(profile.id),
        "last_name": profile.last_name[:128] if profile.last_name else None,
        "username": profile.username,
        "language_code": profile.language_code,
    }


def seen_long_ago(last_seen_at: datetime, now: datetime) -> bool:
    """Time to write `last_seen_at` again (at most every few minutes, not on every update)."""
    return now - last_seen_at > LAST_SEEN_RESOLUTION


async def sync_user(
    session: AsyncSession, profile: TelegramProfile, *, in_private_chat: bool = True
) -> tuple[User, Team | None]:
    """Create the user on first contact, refresh name/username/language after; flush only."""
    row = (
        await session.execute(
            select(User, Team).outerjoin(Team, User.team_id == Team.id).where(User.id == profile.id)
        )
    ).first()
    now = utcnow()
    user, team = (row[0], row[1]) if row is not None else (User(id=profile.id), None)
    if row is None:
        session.add(user)
        user.last_seen_at = now
    # Assign only what changed: an unchanged user costs no UPDATE on the hot path.
    for name, value in stored_profile(profile).items():
        if getattr(user, name) != value:
            setattr(user, name, value)
    if seen_long_ago(user.last_seen_at, now):
        user.last_seen_at = now
    if in_private_chat and user.blocked_bot:
        user.blocked_bot = False  # they wrote to us: messaging them works again
    return user, team
