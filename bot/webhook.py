"""Webhook mode: Telegram posts each update to PUBLIC_URL + WEBHOOK_PATH.

An update is answered (200, empty body) only once its unit of work has committed and its
replies went out through the Bot API; Telegram sends a chat's next update only after that, and
delivers again what was not answered 200 (the processed-update claim makes that safe on any
instance). Not aiogram's answer-first background mode, which would lose an update on a crash.
"""

import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.config import WEBHOOK_PATH
from bot.middlewares import Delivery
from bot.web import WebServer, create_app, serving
from models.database import Database

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A failing update is refused (Telegram delivers it again) this many times less one; on the
# last attempt the person is told it was not saved and the update is let go, since their chat's
# next updates wait behind it.
DELIVERY_ATTEMPTS = 3
# Attempts are remembered for this many failing updates at most.
REMEMBERED_FAILURES = 10_000


def allowed_updates(dp: Dispatcher) -> list[str]:
    """The update types the bot handles; my_chat_member always (the bot added to a group)."""
    return sorted({*dp.resolve_used_update_types(), "my_chat_member"})


async def set_webhook(bot: Bot, dp: Dispatcher, url: str, secret: str) -> None:
    """Register the webhook once (a deploy step: `python -m bot set-webhook`)."""
    await bot.set_webhook(
        url=url,
        secret_token=secret,
        allowed_updates=allowed_updates(dp),
        drop_pending_updates=False,
    )


class WebhookHandler:
    """POST WEBHOOK_PATH: checks the secret header, feeds the update to the dispatcher and awaits
    it; 200 when done, 500 when it failed and Telegram should deliver it again."""

    def __init__(self, dp: Dispatcher, bot: Bot, secret: str) -> None:
        self.dp = dp
        self.bot = bot
        self.secret = secret.encode()
        self.failures: OrderedDict[int, int] = OrderedDict()  # update id -> failed attempts

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            logger.warning("Webhook request without the right secret token refused")
            return web.Response(status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.Response(status=400)
        update_id = update.update_id
        delivery = Delivery(final=self.failures.get(update_id, 0) + 1 >= DELIVERY_ATTEMPTS)
        try:
            result = await self.dp.feed_update(self.bot, update, delivery=delivery)
        except Exception:
            logger.exception("Update %s failed", update_id)
            result, delivery.failed = None, True
        if delivery.failed and not delivery.final:
            self.failures[update_id] = self.failures.get(update_id, 0) + 1
            self.failures.move_to_end(update_id)
            while len(self.failures) > REMEMBERED_FAILURES:
                self.failures.popitem(last=False)
            return web.Response(status=500)
        self.failures.pop(update_id, None)
        if isinstance(result, TelegramMethod):  # the error line of a final failure
            await self.dp.silent_call_request(self.bot, result)
        return web.Response(status=200)


@asynccontextmanager
async def webhook_server(
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    *,
    secret: str,
    host: str,
    port: int,
    shutdown_timeout: float,
    app: web.Application | None = None,
) -> AsyncIterator[WebServer]:
    """The dispatcher started (its start-up hooks, as polling runs them), the web server (`app`
    with the features' routes, or the bare one) with the webhook route serving, and ready, for
    the block; then the reverse."""
    app = app or create_app(db)
    app.router.add_post(WEBHOOK_PATH, WebhookHandler(dp, bot, secret).handle)
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    await dp.emit_startup(bot=bot, **workflow)
    try:
        async with serving(app, host, port, shutdown_timeout) as server:
            server.readiness.ready = True
            logger.info("Webhook mode: updates are taken at %s", WEBHOOK_PATH)
            yield server
    finally:
        await dp.emit_shutdown(bot=bot, **workflow)
