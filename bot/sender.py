"""Delivers the outbox within Telegram's limits: overall per second, per private chat, per group."""

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, ReactionTypeEmoji
from sqlalchemy import bindparam, update

from bot.retry import retries_handled_by_caller
from bot.wakeup import cancelled, woken
from models import OutboxMessage, OutboxStatus, User
from models.base import utcnow
from models.database import Database
from models.outbox import due_messages, sent_since
from models.prepared import Prepared

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# The longest of Telegram's windows: 20 messages a minute in a group.
GROUP_WINDOW_SECONDS = 60.0

# Taken for sending by exactly one sender, whichever instance it runs in: the row changes from
# PENDING only once. Its chart comes back with it.
_CLAIM = Prepared(
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message"), OutboxMessage.status == OutboxStatus.PENDING)
    .values(status=OutboxStatus.SENDING)
    .returning(OutboxMessage.photo)
)


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 25.0
    chat_interval: float = 1.05  # Telegram: about one message a second in any one chat
    group_per_minute: int = 20


class RateLimiter:
    """Sliding windows on the monotonic clock; `wait` says how long until a chat may be sent to.

    Two steps per message: `acquire` takes its turn under every limit, then `pace`, right at
    the HTTP request, keeps the requests themselves evenly spaced. Between the two the sender
    writes to the database, and a write held up (an SQLite checkpoint) would otherwise release
    the sends queued behind it as one burst that breaks Telegram's window.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._global: deque[float] = deque()
        self._last_in_chat: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._turns = asyncio.Lock()
        self._wire = asyncio.Lock()
        self._last_request = float("-inf")
        self._paused: dict[int, float] = {}

    def pause(self, chat_id: int, seconds: float, now: float) -> None:
        """Telegram said 429 for this chat: nothing goes to it for `seconds`; the others,
        already evenly spaced under the overall limit, go on."""
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), now + seconds)

    def wait(self, chat_id: int, now: float) -> float:
        delay = max(0.0, self._paused.get(chat_id, 0.0) - now)
        window = self._global
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.limits.per_second:
            delay = window[0] + 1.0 - now
        if window:
            # Evenly spaced, not in bursts: a late burst would stack on the next second's
            # sends at Telegram's end and break its window there.
            delay = max(delay, window[-1] + 1.0 / self.limits.per_second - now)
        last = self._last_in_chat.get(chat_id)
        if last is not None:
            delay = max(delay, last + self.limits.chat_interval - now)
        if chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            while group and now - group[0] >= GROUP_WINDOW_SECONDS:
                group.popleft()
            if len(group) >= self.limits.group_per_minute:
                delay = max(delay, group[0] + GROUP_WINDOW_SECONDS - now)
        return max(delay, 0.0)

    async def acquire(self, chat_id: int) -> None:
        """Wait for this chat's turn, in arrival order, and take it."""
        loop = asyncio.get_running_loop()
        async with self._turns:
            while (delay := self.wait(chat_id, loop.time())) > 0:  # noqa: ASYNC110 (a clock)
                await asyncio.sleep(delay)
            self.record(chat_id, loop.time())

    async def pace(self, chat_id: int) -> None:
        """Right before the HTTP request of a message that has its turn: at least 1/limit after
        the previous request, and the chat's own limits counted from this moment."""
        loop = asyncio.get_running_loop()
        async with self._wire:
            delay = self._last_request + 1.0 / self.limits.per_second - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.sent_now(chat_id, loop.time())

    def resume(self, sent: list[tuple[int, float]]) -> None:
        """Count sends made before this limiter existed (by the previous lease holder), as
        (chat, loop time), oldest first."""
        for chat_id, moment in sent:
            self.record(chat_id, moment)
            self._last_request = max(self._last_request, moment)

    def record(self, chat_id: int, now: float) -> None:
        self._global.append(now)
        self._last_in_chat[chat_id] = now
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)

    def sent_now(self, chat_id: int, now: float) -> None:
        """The recorded turn (one in flight per chat) moves to when the request really went."""
        self._last_request = now
        self._last_in_chat[chat_id] = max(now, self._last_in_chat.get(chat_id, now))
        group = self._groups.get(chat_id)
        if group:
            group[-1] = max(group[-1], now)


class OutboxSender:
    """A background task: fetch due messages, send them under the limits, mark each at once.

    With several instances on one database only the scheduler lease holder runs it (started
    and stopped by `KpiScheduler`): its limiter then counts every message the bot sends.
    """

    def __init__(self, db: Database, limits: Limits | None = None, idle_poll: float = 1.0) -> None:
        self.bot: Bot | None = None
        self.db = db
        self.limiter = RateLimiter(limits or Limits())
        # About a second's worth in flight: few rows sit in SENDING waiting for their turn.
        self.max_in_flight = max(1, int(self.limiter.limits.per_second))
        # Enough rows per pass to find sendable chats past the busy ones, no more.
        self.batch = self.max_in_flight * 4
        self.idle_poll = idle_poll
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._busy_chats: set[int] = set()
        self.sent = 0

    def wake(self) -> None:
        """New messages were committed: look now instead of at the next poll."""
        self._wakeup.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, bot: Bot) -> None:
        if self.running:
            return
        self.bot = bot
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def _settle_interrupted(self) -> None:
        """Rows a killed process (or the previous lease holder) had handed to Telegram: maybe
        delivered, so never resent."""
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.SENDING)
                # Handed to Telegram some time before now: counted as sent now, so that the
                # limits' windows (which read sent_at) space that chat's next message.
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=utcnow(),
                    last_error="interrupted; delivery unconfirmed",
                )
            )

    async def _resume_limits(self) -> None:
        """The last minute's sends, whichever instance made them, count against the limits:
        a hand-over right after the previous holder's last send keeps every window."""
        loop_now, now = asyncio.get_running_loop().time(), utcnow()
        async with self.db.read() as session:
            sent = await sent_since(session, now - timedelta(seconds=GROUP_WINDOW_SECONDS))
        self.limiter.resume(
            [(chat_id, loop_now - (now - moment).total_seconds()) for chat_id, moment in sent]
        )

    async def stop(self) -> None:
        if self._task is not None:
            try:
                await cancelled(self._task)
            except Exception:  # it failed before its loop (the lease holder starts it again)
                logger.exception("The outbox sender had stopped")
            self._task = None
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=10)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        await self._settle_interrupted()
        await self._resume_limits()
        while True:
            try:
                next_check = await self._dispatch_due(loop.time)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Outbox pass failed; retrying shortly")
                next_check = self.idle_poll
            self._wakeup.clear()
            await woken(self._wakeup, next_check)

    async def _dispatch_due(self, clock: Callable[[], float]) -> float:
        async with self.db.read() as session:
            due = await due_messages(session, utcnow(), limit=self.batch)
        next_check = self.idle_poll
        for message in due:
            if len(self._in_flight) >= self.max_in_flight:
                break  # the rest waits for the next pass; the limiter paces these anyway
            if message.id in self._in_flight or message.chat_id in self._busy_chats:
                continue
            delay = self.limiter.wait(message.chat_id, clock())
            if delay > 0:
                next_check = min(next_check, delay)
                continue
            self._busy_chats.add(message.chat_id)
            task = asyncio.create_task(self._deliver(message))
            self._in_flight[message.id] = task
            task.add_done_callback(partial(self._done, message))
        if len(due) == self.batch:
            next_check = min(next_check, 0.05)
        return max(next_check, 0.005)

    def _done(self, message: OutboxMessage, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(message.id, None)
        self._busy_chats.discard(message.chat_id)
        self._wakeup.set()

    async def _deliver(self, message: OutboxMessage) -> None:
        assert self.bot is not None
        retries_handled_by_caller.set(True)  # this task's context only
        # The turn first, then SENDING: a row waits for its turn as PENDING, so a kill then
        # leaves it to be sent after the restart rather than taken for maybe-delivered.
        await self.limiter.acquire(message.chat_id)
        async with self.db.write() as session:
            claimed = await session.run(_CLAIM, message=message.id)
        if not claimed:
            return  # sent or being sent by someone else
        [(photo,)] = claimed
        # Usually no wait; after a held-up write, at most 1/limit per message queued behind it.
        await self.limiter.pace(message.chat_id)
        try:
            if message.reaction is not None and message.message_id is not None:
                await self.bot.set_message_reaction(
                    message.chat_id,
                    message.message_id,
                    [ReactionTypeEmoji(emoji=message.reaction)],
                )
            elif photo is not None:
                await self.bot.send_photo(
                    message.chat_id,
                    BufferedInputFile(photo, filename="chart.png"),
                    caption=message.text,
                )
            else:
                await self.bot.send_message(message.chat_id, message.text or "")
        except TelegramRetryAfter as error:
            loop_time = asyncio.get_running_loop().time()
            self.limiter.pause(message.chat_id, error.retry_after, loop_time)
            await self._retry_later(
                message, error.retry_after, f"429 retry after {error.retry_after}"
            )
        except TelegramForbiddenError as error:
            await self._blocked(message, str(error))
        except (TelegramServerError, TelegramNetworkError) as error:
            if message.attempts + 1 >= MAX_ATTEMPTS:
                await self._finish(message, OutboxStatus.FAILED, str(error))
            else:
                await self._retry_later(message, 2**message.attempts, str(error))
        except (TelegramBadRequest, TelegramAPIError) as error:
            await self._finish(message, OutboxStatus.FAILED, str(error))
        except Exception as error:
            logger.exception("Outbox message %s failed", message.id)
            await self._retry_later(message, 2**message.attempts, repr(error))
        else:
            self.sent += 1
            await self._finish(message, OutboxStatus.SENT, None)

    async def _finish(
        self, message: OutboxMessage, status: OutboxStatus, error: str | None
    ) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(
                    status=status,
                    sent_at=utcnow() if status is OutboxStatus.SENT else None,
                    last_error=error[:300] if error else None,
                    attempts=OutboxMessage.attempts + 1,
                    photo=None,  # delivered or given up: the chart bytes are not needed again
                )
            )

    async def _retry_later(self, message: OutboxMessage, seconds: float, error: str) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(
                    status=OutboxStatus.PENDING,
                    not_before=utcnow() + timedelta(seconds=seconds),
                    attempts=OutboxMessage.attempts + 1,
                    last_error=error[:300],
                )
            )

    async def _blocked(self, message: OutboxMessage, error: str) -> None:
        """403: the person blocked the bot. Drop what waits for that chat; mark them."""
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == message.chat_id,
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                )
                .values(status=OutboxStatus.DROPPED, last_error=error[:300])
            )
            if message.user_id is not None:
                await session.execute(
                    update(User).where(User.id == message.user_id).values(blocked_bot=True)
                )
