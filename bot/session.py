"""How the bot's requests reach the Bot API: aiogram's aiohttp session, with a JSON body.

aiogram sends every method as a form, and a form percent-encodes each byte of a text in Python,
one at a time: a Russian letter is two bytes, six characters on the wire, and /today's report
costs more to encode than to write. The Bot API takes the same parameters as one JSON body,
which `json.dumps` writes in C. A method that carries files (a chart) is still sent as
aiogram's multipart form.

And what Telegram answers is read only when someone reads it. A handler's replies are sent by
`bot.middlewares.send_replies`, which keeps nothing of the answers: for those, an answer that
says "ok" is taken as it is, instead of being built into a `Message` (aiogram validates every
field of it, the nested ones too: about 30 µs a reply, as much as the rest of sending it). An
answer that is not "ok" is read as aiogram reads it, so a refused reply or a 429 raises the
same errors.
"""

import json
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import FormData
from aiohttp.payload import BytesPayload, Payload


class _JsonBody(FormData):
    """A body aiohttp takes where it takes a form (it calls a FormData for its payload)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self._body = body

    def __call__(self) -> Payload:
        return BytesPayload(self._body, content_type="application/json")


# Set while answers are not read (see above): `bot(method)` then returns None when it succeeds.
answers_unread: ContextVar[bool] = ContextVar("answers_unread", default=False)

_SENT: Response[Any] = Response(ok=True)


class JsonSession(AiohttpSession):
    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> FormData:
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            # As aiogram prepares a form's field, but nested values stay objects, not JSON text.
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                fields[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return _JsonBody(json.dumps(fields, ensure_ascii=False).encode())

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
