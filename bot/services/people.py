"""Who is talking to the bot: registration and profile refresh on every update."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models import Team, User
from models.base import utcnow


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


async def sync_user(
    session: AsyncSession, profile: TelegramProfile, *, in_private_chat: bool = True
) -> tuple[User, Team | None]:
    """Create the user on first contact, refresh name/username/language after; flush only."""
    user = await session.get(User, profile.id)
    if user is None:
        user = User(id=profile.id)
        session.add(user)
    user.first_name = profile.first_name[:128] or str(profile.id)
    user.last_name = profile.last_name[:128] if profile.last_name else None
    user.username = profile.username
    user.language_code = profile.language_code
    user.last_seen_at = utcnow()
    if in_private_chat:
        user.blocked_bot = False  # they wrote to us: messaging them works again
    team = await session.get(Team, user.team_id) if user.team_id is not None else None
    return user, team
