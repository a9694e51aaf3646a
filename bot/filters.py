"""Role filters used at router level."""

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from models import Team, User


class InTeam(Filter):
    """The sender belongs to a team."""

    async def __call__(self, event: TelegramObject, team: Team | None = None) -> bool:
        return team is not None


class IsManager(Filter):
    """The sender manages their team."""

    async def __call__(self, event: TelegramObject, user: User | None = None) -> bool:
        return user is not None and user.is_manager
