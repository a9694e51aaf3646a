"""Per-update context: one DB session, redelivery guard, the sender and their language."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people import TelegramProfile, sync_user
from bot.texts import DEFAULT_LANGUAGE, language_for, translator
from models.processed_update import claim_update

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens the update's session and commits after the handler.

    The update id is stored in the same transaction as the handler's changes, so an update
    redelivered after a crash is skipped exactly when its effects were committed. Handlers
    return their reply as a method object; aiogram sends it after this commit.
    """

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.session_pool() as session:
            if not await claim_update(session, event.update_id):
                logger.info("Update %s was already processed; skipped", event.update_id)
                return None
            data["session"] = session
            result = await handler(event, data)
            await session.commit()
            return result


def profile_of(sender: TelegramUser) -> TelegramProfile:
    """What the bot keeps of a Telegram account, from the update's sender."""
    return TelegramProfile(
        id=sender.id,
        first_name=sender.first_name,
        last_name=sender.last_name,
        username=sender.username,
        language_code=sender.language_code,
    )


class UserMiddleware(BaseMiddleware):
    """Registers or refreshes the sender and puts `user`, `team` and `t` into handler data."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None or sender.is_bot:
            data.update(user=None, team=None, t=translator(DEFAULT_LANGUAGE))
            return await handler(event, data)
        profile = profile_of(sender)
        chat = data.get("event_chat")
        private = chat is not None and chat.type == "private"
        user, team = await sync_user(data["session"], profile, in_private_chat=private)
        data.update(user=user, team=team, t=translator(language_for(user.language_code)))
        return await handler(event, data)
