"""The log commands' short way on SQLite: /call, /meeting, /lead and /deal from a known member.

These are most of what the bot receives. Through the ORM, each statement cost a handful of
trips between the event loop and aiosqlite's thread, one after another, and the Python around
them: 5 statements made /call about five times as expensive as an echo. Here the same
statements, written by SQLAlchemy from the models and compiled once (`bot.db.prepare`), run on
one connection of the engine's pool, queued together in two rounds, with the same effects and
the same reply as the handler in `handlers/activity.py`:

1. BEGIN IMMEDIATE; claim the update id; read the sender with their team;
2. insert the entry; read the day's total; COMMIT. Then the reply, after the commit.

Anything out of the ordinary goes the usual way, with nothing written here: a sender the bot
does not know or who has no team, a changed profile or a `last_seen_at` to refresh, someone
who had blocked the bot, input that does not parse, a command with a @mention. A team with a
bound group still gets its celebrations, checked in a session of its own after the commit, as
the handler does.
"""

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Message, TelegramObject, Update
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot import views
from bot.db import Prepared, prepare, write_lock
from bot.middlewares import Handler, profile_of
from bot.sender import OutboxSender
from bot.services.celebrations import check_crossings
from bot.services.entries import DAY_TOTAL, ENTRY_FIELDS, DayTotal, new_entry
from bot.services.parsing import ParseError, parse_entry
from bot.services.people import TelegramProfile, seen_long_ago, stored_profile
from bot.services.periods import local_date
from bot.texts import language_for, translator
from models import Entry, EntryKind, Team, User
from models.base import utcnow
from models.processed_update import ProcessedUpdate

logger = logging.getLogger(__name__)

COMMANDS = {f"/{kind.value}": kind for kind in EntryKind}

CLAIM = (
    sqlite_insert(ProcessedUpdate)
    .values(update_id=bindparam("update_id"), processed_at=bindparam("processed_at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(ProcessedUpdate.update_id)
)
SENDER = (
    select(
        User.first_name,
        User.last_name,
        User.username,
        User.language_code,
        User.last_seen_at,
        User.blocked_bot,
        Team.id,
        Team.timezone,
        Team.chat_id,
    )
    .join(Team, User.team_id == Team.id)
    .where(User.id == bindparam("user_id"))
)
ADD_ENTRY = insert(Entry).values({name: bindparam(name) for name in ENTRY_FIELDS})


@dataclass(frozen=True, slots=True)
class _Sender:
    profile: dict[str, Any]
    last_seen_at: Any
    blocked_bot: bool
    team_id: int
    timezone: str
    chat_id: int | None


class QuickLogMiddleware(BaseMiddleware):
    """An outer middleware on `dp.update`, before the session middleware (SQLite only)."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        engine = session_pool.kw["bind"]
        assert isinstance(engine, AsyncEngine) and engine.dialect.name == "sqlite"
        self.session_pool = session_pool
        self.engine = engine
        lock = write_lock(session_pool)
        assert lock is not None  # SQLite sessions take turns on it; so do these commands
        self.lock = lock
        dialect = engine.dialect
        self.claim = prepare(CLAIM, dialect)
        self.sender = prepare(SENDER, dialect)
        self.add_entry = prepare(ADD_ENTRY, dialect)
        self.day_total = prepare(DAY_TOTAL, dialect)
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = self._driver = None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        command = _log_command(message)
        if command is None:
            return await handler(event, data)
        assert message is not None and message.from_user is not None
        kind, args = command
        profile = profile_of(message.from_user)
        async with self.lock:
            outcome = await self._log(event.update_id, profile, kind, args)
        if outcome is None:
            return await handler(event, data)  # the usual way; nothing was written here
        if outcome is _ALREADY_DONE:
            logger.info("Update %s was already processed; skipped", event.update_id)
            return None
        entry, total, today, known = outcome
        if known.chat_id is not None:
            await self._celebrate(data["outbox"], profile.id, known.team_id, today)
        t = translator(language_for(profile.language_code))
        return message.answer(views.recorded(t, entry, total, today))

    async def _driver_connection(self) -> Any:
        if self._driver is None:
            self._connection = await self.engine.connect()
            raw = await self._connection.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver

    async def _run(self, *steps: tuple[Prepared | str, dict[str, Any]]) -> list[list[Any]]:
        """Queue the statements together on the driver's thread; their rows, in order."""
        db = await self._driver_connection()
        # Tasks, so that all are queued now (in this order) and the thread runs them back to
        # back: one trip there and back for the lot instead of one per statement.
        futures = [
            asyncio.ensure_future(
                db.execute_fetchall(step, ())
                if isinstance(step, str)
                else db.execute_fetchall(step.sql, step.params(values))
            )
            for step, values in steps
        ]
        results: list[list[Any]] = []
        error: BaseException | None = None
        for step_and_values, future in zip(steps, futures, strict=True):
            try:
                rows = await future
            except BaseException as failure:  # the rest were queued already: wait for them too
                error = error or failure
                continue
            step = step_and_values[0]
            results.append(step.rows(rows) if isinstance(step, Prepared) else list(rows))
        if error is not None:
            raise error
        return results

    async def _log(
        self, update_id: int, profile: TelegramProfile, kind: EntryKind, args: str | None
    ) -> Any:
        now = utcnow()
        try:
            _, claimed, rows = await self._run(
                ("BEGIN IMMEDIATE", {}),
                (self.claim, {"update_id": update_id, "processed_at": now}),
                (self.sender, {"user_id": profile.id}),
            )
            if not claimed:
                await self._run(("COMMIT", {}))
                return _ALREADY_DONE
            sender = _sender(rows)
            if sender is None or not _unchanged(sender, profile, now):
                await self._run(("ROLLBACK", {}))
                return None
            today = local_date(now, sender.timezone)
            try:
                parsed = parse_entry(kind, args, today)
            except ParseError:
                await self._run(("ROLLBACK", {}))
                return None
            entry = new_entry(
                user_id=profile.id, team_id=sender.team_id, kind=kind, parsed=parsed, now=now
            )
            _, totals, _ = await self._run(
                (self.add_entry, {name: getattr(entry, name) for name in ENTRY_FIELDS}),
                (
                    self.day_total,
                    {
                        "user_id": profile.id,
                        "team_id": sender.team_id,
                        "kind": kind,
                        "day": parsed.business_date,
                    },
                ),
                ("COMMIT", {}),
            )
        except BaseException:
            with suppress(Exception):
                await self._run(("ROLLBACK", {}))
            with suppress(Exception):
                await self.close()  # the next command starts on a fresh connection
            raise
        count, amount = totals[0]
        total = DayTotal(int(count or 0), int(amount or 0))
        return entry, total, today, sender

    async def _celebrate(
        self, outbox: OutboxSender, user_id: int, team_id: int, today: date
    ) -> None:
        """After the commit, as the handler does; the entry is saved whatever happens here."""
        try:
            async with self.session_pool() as session:
                user = await session.get(User, user_id)
                team = await session.get(Team, team_id)
                if user is not None and team is not None:
                    if await check_crossings(session, team, user, today):
                        await session.commit()
                        outbox.wake()
        except Exception:
            logger.exception("Celebration check for user %s failed", user_id)


_ALREADY_DONE = object()


def _log_command(message: Message | None) -> tuple[EntryKind, str | None] | None:
    """(kind, arguments) for a log command in a private chat, as aiogram's Command reads it."""
    if message is None or message.chat.type != ChatType.PRIVATE or not message.text:
        return None
    sender = message.from_user
    if sender is None or sender.is_bot:
        return None
    parts = message.text.split(maxsplit=1)
    kind = COMMANDS.get(parts[0])
    if kind is None:
        return None
    return kind, parts[1] if len(parts) > 1 else None


def _sender(rows: Sequence[tuple[Any, ...]]) -> "_Sender | None":
    if not rows:
        return None  # unknown, or in no team
    first, last, username, language, last_seen, blocked, team_id, timezone, chat_id = rows[0]
    return _Sender(
        profile={
            "first_name": first,
            "last_name": last,
            "username": username,
            "language_code": language,
        },
        last_seen_at=last_seen,
        blocked_bot=bool(blocked),
        team_id=team_id,
        timezone=timezone,
        chat_id=chat_id,
    )


def _unchanged(sender: "_Sender", profile: TelegramProfile, now: datetime) -> bool:
    """Nothing for the user middleware to write: same profile, seen lately, not blocked."""
    return (
        sender.profile == stored_profile(profile)
        and not seen_long_ago(sender.last_seen_at, now)
        and not sender.blocked_bot
    )
