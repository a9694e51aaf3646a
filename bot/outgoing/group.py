"""The one rule for the language of a team's group chat."""

from bot.texts import Translator, language_for, translator
from models import TeamInfo, UnitOfWork
from models.user import managers_language


async def group_translator(session: UnitOfWork, team: TeamInfo) -> Translator:
    """A group has no language of its own: it hears its team's first manager's (by who became
    a user first), the same for celebrations and weekly charts."""
    return translator(language_for(await managers_language(session, team.id)))
