"""The log commands' short way on SQLite: /call, /meeting, /lead and /deal from a known member.

These are most of what the bot receives, and they come in bursts (a team logging the day's
calls at six). Through the ORM each took a transaction of its own: five statements, each a few
trips between the event loop and aiosqlite's thread, and a commit that waits for the disk
(`synchronous=FULL`), all while every other write waited for its turn. Here the commands that
arrive while one transaction runs are logged together in the next one (a group commit), with
the same statements, written by SQLAlchemy from the models and compiled once
(`bot.db.prepare`), on one connection of the engine's pool:

1. BEGIN IMMEDIATE; which of the update ids are claimed already; the senders with their teams;
2. claim the update ids; insert the entries; read the day's totals;
3. COMMIT, once every statement before it succeeded. Then each command's reply, as the
   handler in `handlers/activity.py` gives it: the running total counts the batch's earlier
   entries and not its later ones, as if they had been logged one by one.

Anything out of the ordinary goes the usual way, with nothing written here: a sender the bot
does not know or who has no team, a changed profile or a `last_seen_at` to refresh, someone
who had blocked the bot, input that does not parse, a command with a @mention. So does a whole
batch whose transaction failed (it is rolled back first). A team with a bound group still gets
its celebrations, checked in a session of its own after the commit, as the handler does.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Message, TelegramObject, Update
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot import views
from bot.db import prepare, write_lock
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
# At most this many commands in one transaction: the other writers wait for it to end.
BATCH = 100

T = TypeVar("T")


def _listed(name: str) -> Any:
    """The values of a JSON array parameter: one statement, however many there are."""
    return select(func.json_each(bindparam(name)).table_valued("value").c.value)


CLAIMED = select(ProcessedUpdate.update_id).where(
    ProcessedUpdate.update_id.in_(_listed("update_ids"))
)
CLAIM = (
    sqlite_insert(ProcessedUpdate)
    .values(update_id=bindparam("update_id"), processed_at=bindparam("processed_at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
)
SENDERS = (
    select(
        User.id,
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
    .where(User.id.in_(_listed("user_ids")))
)
ADD_ENTRY = insert(Entry).values({name: bindparam(name) for name in ENTRY_FIELDS})
DAY_KEY = ("user_id", "team_id", "kind", "day")  # DAY_TOTAL's parameters


@dataclass(slots=True)
class _Command:
    update_id: int
    profile: TelegramProfile
    kind: EntryKind
    args: str | None
    outcome: "asyncio.Future[_Logged | object | None]"


@dataclass(frozen=True, slots=True)
class _Sender:
    profile: dict[str, Any]
    last_seen_at: Any
    blocked_bot: bool
    team_id: int
    timezone: str
    chat_id: int | None


@dataclass(frozen=True, slots=True)
class _Accepted:
    """A command that will be logged here: its entry, the sender's today and team."""

    entry: Entry
    today: date
    sender: _Sender


@dataclass(frozen=True, slots=True)
class _Logged:
    accepted: _Accepted
    total: DayTotal  # the sender's total of the kind for the entry's day, with the entry


_ALREADY_DONE = object()


class QuickLogMiddleware(BaseMiddleware):
    """An outer middleware on `dp.update`, before the session middleware (SQLite only)."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        engine = session_pool.kw["bind"]
        assert isinstance(engine, AsyncEngine) and engine.dialect.name == "sqlite"
        self.session_pool = session_pool
        self.engine = engine
        lock = write_lock(session_pool)
        assert lock is not None  # SQLite sessions take turns on it; so do these batches
        self.lock = lock
        dialect = engine.dialect
        self.claimed = prepare(CLAIMED, dialect)
        self.claim = prepare(CLAIM, dialect)
        self.senders = prepare(SENDERS, dialect)
        self.add_entry = prepare(ADD_ENTRY, dialect)
        self.day_total = prepare(DAY_TOTAL, dialect)
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        self._waiting: list[_Command] = []
        self._logger: asyncio.Task[None] | None = None
        self._closed = False

    async def close(self) -> None:
        """At shutdown, once what waits is logged: commands still to come go the usual way."""
        self._closed = True
        if self._logger is not None:
            await self._logger
        await self._close_connection()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        parsed = _log_command(message)
        if parsed is None or self._closed:
            return await handler(event, data)
        assert message is not None and message.from_user is not None
        kind, args = parsed
        profile = profile_of(message.from_user)
        command = _Command(
            event.update_id, profile, kind, args, asyncio.get_running_loop().create_future()
        )
        self._waiting.append(command)
        if self._logger is None or self._logger.done():
            self._logger = asyncio.create_task(self._log_waiting(), name="quick-log")
        outcome = await command.outcome
        if outcome is None:
            return await handler(event, data)  # the usual way; nothing was written here
        if outcome is _ALREADY_DONE:
            logger.info("Update %s was already processed; skipped", event.update_id)
            return None
        assert isinstance(outcome, _Logged)
        accepted = outcome.accepted
        if accepted.sender.chat_id is not None:
            await self._celebrate(
                data["outbox"], profile.id, accepted.sender.team_id, accepted.today
            )
        t = translator(language_for(profile.language_code))
        return message.answer(views.recorded(t, accepted.entry, outcome.total, accepted.today))

    async def _log_waiting(self) -> None:
        """Log what waits, a batch per turn on the write lock, until nothing does."""
        while self._waiting:
            async with self.lock:
                batch = self._waiting[:BATCH]
                del self._waiting[:BATCH]
                outcomes: list[Any] = [None] * len(batch)  # the usual way, unless logged here
                try:
                    outcomes = await self._log(batch)
                except Exception:
                    logger.exception(
                        "Logging %s command(s) failed; they go the usual way", len(batch)
                    )
                finally:
                    for command, outcome in zip(batch, outcomes, strict=True):
                        if not command.outcome.done():  # its update's task may be cancelled
                            command.outcome.set_result(outcome)

    async def _driver_connection(self) -> Any:
        if self._driver is None:
            self._connection = await self.engine.connect()
            raw = await self._connection.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver

    async def _log(self, batch: list[_Command]) -> list[Any]:
        db = await self._driver_connection()
        now = utcnow()
        try:
            _, claimed_rows, sender_rows = await _together(
                db.execute_fetchall("BEGIN IMMEDIATE"),
                db.execute_fetchall(
                    self.claimed.sql,
                    self.claimed.params({"update_ids": json.dumps([c.update_id for c in batch])}),
                ),
                db.execute_fetchall(
                    self.senders.sql,
                    self.senders.params({"user_ids": json.dumps([c.profile.id for c in batch])}),
                ),
            )
            claimed = {update_id for (update_id,) in claimed_rows}
            senders = {row[0]: _sender(row[1:]) for row in self.senders.rows(sender_rows)}
            outcomes = [_decide(command, claimed, senders, now) for command in batch]
            accepted = [
                (command, outcome)
                for command, outcome in zip(batch, outcomes, strict=True)
                if isinstance(outcome, _Accepted)
            ]
            if not accepted:
                await db.execute_fetchall("ROLLBACK")  # nothing was written
                return outcomes
            entries = [outcome.entry for _, outcome in accepted]
            keys = list(dict.fromkeys(_day_key(entry) for entry in entries))
            claims = [
                self.claim.params({"update_id": command.update_id, "processed_at": now})
                for command, _ in accepted
            ]
            rows = [
                self.add_entry.params({name: getattr(entry, name) for name in ENTRY_FIELDS})
                for entry in entries
            ]
            _, _, *totals = await _together(
                _execute_many(db, self.claim.sql, claims),
                _execute_many(db, self.add_entry.sql, rows),
                *(
                    db.execute_fetchall(
                        self.day_total.sql,
                        self.day_total.params(dict(zip(DAY_KEY, key, strict=True))),
                    )
                    for key in keys
                ),
            )
            await db.execute_fetchall("COMMIT")  # only now: every statement before succeeded
        except BaseException:
            with suppress(Exception):
                await db.execute_fetchall("ROLLBACK")
            with suppress(Exception):
                await self._close_connection()  # the next batch starts on a fresh connection
            raise
        after_batch = {}
        for key, total_rows in zip(keys, totals, strict=True):
            count, amount = self.day_total.rows(total_rows)[0]
            after_batch[key] = DayTotal(int(count or 0), int(amount or 0))
        return _with_running_totals(outcomes, after_batch)

    async def _close_connection(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = self._driver = None

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


def _sender(row: Sequence[Any]) -> _Sender:
    first, last, username, language, last_seen, blocked, team_id, timezone, chat_id = row
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


def _decide(
    command: _Command, claimed: set[int], senders: dict[int, _Sender], now: datetime
) -> "_Accepted | object | None":
    """Already done, the usual way (None), or accepted to be logged here."""
    if command.update_id in claimed:
        return _ALREADY_DONE
    sender = senders.get(command.profile.id)  # None: unknown, or in no team
    if sender is None or not _unchanged(sender, command.profile, now):
        return None
    today = local_date(now, sender.timezone)
    try:
        parsed = parse_entry(command.kind, command.args, today)
    except ParseError:
        return None  # the handler explains what is wrong
    claimed.add(command.update_id)  # the same update twice in one batch is logged once
    entry = new_entry(
        user_id=command.profile.id,
        team_id=sender.team_id,
        kind=command.kind,
        parsed=parsed,
        now=now,
    )
    return _Accepted(entry, today, sender)


def _with_running_totals(
    outcomes: list[Any], after_batch: dict[tuple[Any, ...], DayTotal]
) -> list[Any]:
    """Each accepted entry with the day's total as it was right after it, as if logged one by
    one: the batch's later entries of the same person, kind and day come off the total."""
    running = dict(after_batch)
    logged = list(outcomes)
    for index in reversed(range(len(logged))):
        outcome = logged[index]
        if isinstance(outcome, _Accepted):
            key = _day_key(outcome.entry)
            total = running[key]
            logged[index] = _Logged(outcome, total)
            running[key] = DayTotal(
                total.count - outcome.entry.count,
                total.amount_kopecks - (outcome.entry.amount_kopecks or 0),
            )
    return logged


def _day_key(entry: Entry) -> tuple[Any, ...]:
    return (entry.user_id, entry.team_id, entry.kind, entry.business_date)


async def _together(*calls: Awaitable[T]) -> list[T]:
    """Queue the calls on the driver's thread now, in this order, so that it runs them back to
    back (one trip there and back for the lot); their results, after all have finished."""
    futures = [asyncio.ensure_future(call) for call in calls]
    results: list[T] = []
    error: BaseException | None = None
    for future in futures:
        try:
            results.append(await future)
        except BaseException as failure:  # the rest were queued already: wait for them too
            error = error or failure
    if error is not None:
        raise error
    return results


async def _execute_many(db: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    cursor = await db.executemany(sql, rows)
    await cursor.close()
