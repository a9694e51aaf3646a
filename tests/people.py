"""Setting up people and teams directly through the services, for tests below the chat."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.services.people import TelegramProfile, stored_profile
from bot.services.teams import JoinOutcome, create_team, join_by_invite
from models import Person, TeamInfo, UnitOfWork
from models.base import clock, utcnow
from models.team import team_by_id
from models.user import person_by_id, upsert_profile

LONG_AGO = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)


async def register(
    session: UnitOfWork,
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    language_code: str | None = "en",
    last_name: str | None = None,
) -> Person:
    """What the first message of a Telegram user does: their row, as the bot stores it."""
    profile = TelegramProfile(user_id, first_name, last_name, username, language_code)
    await upsert_profile(session, stored_profile(profile), now=utcnow(), in_private=True)
    person = await person_by_id(session, user_id)
    assert person is not None
    return person


async def new_team(
    session: UnitOfWork, manager_id: int, name: str, *, leaving: int | None = None
) -> TeamInfo:
    """A team its founder has managed for long (before any period a test looks at)."""
    with back_then(LONG_AGO):
        team = await create_team(session, manager_id, name, leaving=leaving)
    assert isinstance(team, TeamInfo), team
    return team


async def join(session: UnitOfWork, user_id: int, team: TeamInfo) -> Person:
    assert team.invite_token is not None
    person = await person_by_id(session, user_id)
    assert person is not None
    with back_then(LONG_AGO):  # a member since before any period a test looks at
        result = await join_by_invite(
            session, user_id, team.invite_token, confirmed=True, leaving=person.team_id
        )
    assert result.outcome is JoinOutcome.JOINED, result
    person = await person_by_id(session, user_id)
    assert person is not None
    return person


async def reread(session: UnitOfWork, team: TeamInfo) -> TeamInfo:
    found = await team_by_id(session, team.id)
    assert found is not None
    return found


@contextmanager
def back_then(moment: datetime) -> Iterator[None]:
    """The frozen clock at `moment` for a while (a team set up before the days a test looks
    at: pace counts from the day a person joined), then back where it was."""
    then = clock.frozen
    clock.freeze(moment)
    try:
        yield
    finally:
        if then is None:
            clock.unfreeze()
        else:
            clock.freeze(then)


def month_start(moment: datetime | None = None) -> datetime:
    """Noon UTC on the first of the (frozen) clock's month: members from then on are paced
    over the whole month."""
    now = moment or clock.now()
    return min(now, now.replace(day=1, hour=9, minute=0, second=0, microsecond=0))
