"""Retries of Bot API calls: 429 after `retry_after`, 5xx and network errors with backoff."""

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

logger = logging.getLogger(__name__)

# Set by callers with their own retry policy (the outbox sender paces every attempt through
# its rate limiter, so a retry here would slip past it).
retries_handled_by_caller: ContextVar[bool] = ContextVar("retries_handled_by_caller", default=False)


class RetryMiddleware(BaseRequestMiddleware):
    """Bounded retries; getUpdates is left to the dispatcher's own polling backoff."""

    def __init__(
        self,
        attempts: int = 5,
        max_retry_after: float = 60.0,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates) or retries_handled_by_caller.get():
            # Polling has the dispatcher's own backoff; the outbox has its own retries.
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self.attempts or error.retry_after > self.max_retry_after:
                    raise
                delay: float = error.retry_after
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt >= self.attempts:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                logger.warning(
                    "%s failed (%s); retry %d in %.1fs", _name(method), error, attempt, delay
                )
            attempt += 1
            await asyncio.sleep(delay)


def _name(method: Any) -> str:
    return type(method).__name__
