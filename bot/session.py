"""How the bot's requests reach the Bot API: aiogram's aiohttp session, reading what Telegram
answers only when someone reads it.

A handler's replies are sent by `bot.middlewares.send_replies`, which keeps nothing of the
answers: for those, an answer that says "ok" is taken as it is, instead of being built into a
`Message` (aiogram validates every field of it, the nested ones too: about 30 µs a reply, as
much as the rest of sending it). An answer that is not "ok" is read as aiogram reads it, so a
refused reply or a 429 raises the same errors and is retried the same way.

The requests themselves stay aiogram's forms, which every Bot API server and proxy takes (a
JSON body, measured a few µs cheaper for a long Russian text, was left for that reason).
"""

import json
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

# Set while answers are not read (see above): `bot(method)` then returns None when it succeeds.
answers_unread: ContextVar[bool] = ContextVar("answers_unread", default=False)

_SENT: Response[Any] = Response(ok=True)


class BotSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if status_code == HTTPStatus.OK and answers_unread.get():
            try:
                answer = json.loads(content)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True:
                return _SENT
        return super().check_response(bot, method, status_code, content)
