"""Who joined: each manager of the team hears it, through the outbox (in the same transaction
as the join, each in their own language)."""

from bot.services.outbox import enqueue
from bot.texts import language_for, translator
from bot.views.roster import join_notice
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.user import team_members


async def announce_join(session: UnitOfWork, team: TeamInfo, newcomer: Person) -> int:
    """Queue "new in the team" to the team's managers; how many were queued."""
    now = utcnow()
    queued = 0
    for member in await team_members(session, team.id):
        if not member.is_manager or member.id == newcomer.id or member.blocked_bot:
            continue
        t = translator(language_for(member.language_code))
        # A person may leave and join again: the moment keeps each join's notice its own.
        key = f"joined:{team.id}:{newcomer.id}:{member.id}:{now:%Y%m%d%H%M%S%f}"
        text = join_notice(t, team, newcomer)
        queued += await enqueue(session, key, member.id, text=text, user_id=member.id)
    return queued
