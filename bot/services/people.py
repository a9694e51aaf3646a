"""Who is talking to the bot: their facts on every update, and registration or a refresh of
their profile when something changed (its own small write, before the update's handler)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Person, TeamInfo
from models.base import utcnow
from models.database import Database
from models.user import SENDER, sender_of, upsert_profile

LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


def stored_profile(profile: TelegramProfile) -> dict[str, str | int | None]:
    """The user's columns that their Telegram profile sets, as they are stored."""
    first_name = profile.first_name.replace("\x00", "")[:128]
    last_name = (profile.last_name or "").replace("\x00", "")[:128]
    return {
        "id": profile.id,
        "first_name": first_name or str(profile.id),
        "last_name": last_name or None,
        "username": profile.username,
        "language_code": profile.language_code,
    }


def seen_long_ago(last_seen_at: datetime, now: datetime) -> bool:
    """Time to write `last_seen_at` again (at most every few minutes, not on every update)."""
    return now - last_seen_at > LAST_SEEN_RESOLUTION


def needs_write(
    person: Person | None, profile: TelegramProfile, now: datetime, *, in_private: bool
) -> bool:
    """First contact, a changed name or language, a stale `last_seen_at`, or someone who had
    blocked the bot writing to it again."""
    if person is None:
        return True
    stored = stored_profile(profile)
    return (
        person.first_name != stored["first_name"]
        or person.last_name != stored["last_name"]
        or person.username != stored["username"]
        or person.language_code != stored["language_code"]
        or seen_long_ago(person.last_seen_at, now)
        or (in_private and person.blocked_bot)
    )


async def load_sender(db: Database, user_id: int) -> tuple[Person | None, TeamInfo | None]:
    rows = await db.fetch(SENDER, user_id=user_id)
    return sender_of(rows[0]) if rows else (None, None)


async def sync_sender(
    db: Database, profile: TelegramProfile, *, in_private: bool
) -> tuple[Person, TeamInfo | None]:
    """The sender's facts, registering or refreshing them first when needed."""
    person, team = await load_sender(db, profile.id)
    now = utcnow()
    if needs_write(person, profile, now, in_private=in_private):
        async with db.write() as session:
            await upsert_profile(session, stored_profile(profile), now=now, in_private=in_private)
        person, team = await load_sender(db, profile.id)
        assert person is not None
    assert person is not None
    return person, team
