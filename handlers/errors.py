"""The last line of defence: log the failure, tell the user in one line, never a traceback."""

import logging

from aiogram import Router
from aiogram.methods import SendMessage
from aiogram.types import ErrorEvent, Message

from bot.texts import DEFAULT_LANGUAGE, Translator, translator

logger = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, t: Translator | None = None) -> SendMessage | None:
    logger.exception("Update %s failed", event.update.update_id, exc_info=event.exception)
    t = t or translator(DEFAULT_LANGUAGE)
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if not isinstance(message, Message) or message.chat.type != "private":
        return None
    return message.answer(t("error.internal"))


def setup() -> Router:
    router = Router(name=__name__)
    router.error.register(on_error)
    return router
