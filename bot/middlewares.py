"""Per-update context, outermost first:

1. `SenderMiddleware` (inside aiogram's per-user lock): the sender's facts (`user`, `team`)
   and their language (`t`), first contact or a changed profile written first, in a small unit
   of work of its own; and, once the handler is done, what it returned is sent (its unit of
   work has committed by then), in order, before the person's next update is looked at. One
   layer, not two: every layer an update passes costs it aiogram's middleware wrapping.
2. `UnitOfWorkMiddleware` (inner, around the chosen handler): a reader, or for a handler
   flagged `{"db": "write"}` a writer that claims the update, and commits once, at the end.

`HoldForRedelivery` sits on the errors observer: a webhook update that failed is left to
Telegram's redelivery instead of being answered with the error line.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import TelegramMethod
from aiogram.types import ErrorEvent, TelegramObject, Update
from aiogram.types import User as TelegramUser

from bot.services.people import TelegramProfile, sync_sender
from bot.session import answers_unread
from bot.texts import DEFAULT_LANGUAGE, language_for, translator
from models.database import Database

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# The flag a handler that changes the database carries: @router.message(..., flags=WRITES)
WRITES = {"db": "write"}


def writes(data: dict[str, Any]) -> bool:
    handler = data.get("handler")  # the chosen handler: its flags say what it needs
    return handler is not None and handler.flags.get("db") == "write"


async def send_replies(result: Any, bot: Bot) -> None:
    """Sends what a handler returned (a method, or several in order); returns nothing to
    aiogram, so that a person's next update is handled only after this one's reply went out."""
    methods: Sequence[Any] = result if isinstance(result, list | tuple) else (result,)
    unread = answers_unread.set(True)  # what Telegram answers is checked, not read
    try:
        for method in methods:
            if isinstance(method, TelegramMethod):
                try:
                    await bot(method)
                except TelegramAPIError as error:
                    logger.warning("Reply %s failed: %s", type(method).__name__, error)
    finally:
        answers_unread.reset(unread)


def profile_of(sender: TelegramUser) -> TelegramProfile:
    """What the bot keeps of a Telegram account, from the update's sender."""
    return TelegramProfile(
        id=sender.id,
        first_name=sender.first_name,
        last_name=sender.last_name,
        username=sender.username,
        language_code=sender.language_code,
    )


class SenderMiddleware(BaseMiddleware):
    """Puts `user` (a Person), `team` (their TeamInfo or None) and `t` into handler data, and
    sends what the handler returns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        chat = data.get("event_chat")
        in_private = chat is not None and chat.type == "private"
        if sender is None and in_private:
            # Telegram always names the sender in a private chat: a forged or broken update.
            update_id = getattr(event, "update_id", None)
            logger.warning("Update %s in a private chat has no sender; ignored", update_id)
            return None
        if sender is None or sender.is_bot:
            data.update(user=None, team=None, t=translator(DEFAULT_LANGUAGE))
        else:
            user, team = await sync_sender(self.db, profile_of(sender), in_private=in_private)
            data.update(user=user, team=team, t=translator(language_for(user.language_code)))
        await send_replies(await handler(event, data), data["bot"])
        return None


class UnitOfWorkMiddleware(BaseMiddleware):
    """The update's one unit of work, around its handler: put into handler data as `session`.

    A writer claims the update in the same transaction as its changes, so an update delivered
    again after a crash is skipped exactly when its effects were committed.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not writes(data):
            async with self.db.read() as session:
                data["session"] = session
                return await handler(event, data)
        update: Update = data["event_update"]
        async with self.db.write(claim=update.update_id) as session:
            if not session.claimed:
                logger.info("Update %s was already processed; skipped", update.update_id)
                return None
            data["session"] = session
            return await handler(event, data)


@dataclass
class Delivery:
    """One webhook delivery of an update, passed to the dispatcher as `delivery`. `final`: the
    last attempt this instance allows, when a failure is answered as in polling mode."""

    final: bool
    failed: bool = False


class HoldForRedelivery(BaseMiddleware):
    """A failed update delivered by webhook, not on its final attempt: noted, not answered, so
    the webhook can refuse it and Telegram delivers it again (nothing of it was committed)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        delivery = data.get("delivery")
        if not isinstance(delivery, Delivery) or delivery.final:
            return await handler(event, data)
        assert isinstance(event, ErrorEvent)
        delivery.failed = True
        logger.warning(
            "Update %s failed; left to Telegram's redelivery",
            event.update.update_id,
            exc_info=event.exception,
        )
        return None
