"""Wiring: the Bot and the Dispatcher that production and the tests both run."""

from concurrent.futures import Executor
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import (
    DisabledEventIsolation,
    MemoryStorage,
    SimpleEventIsolation,
)

import handlers
from bot.lazy_models import keep_response_types
from bot.middlewares import (
    HoldForRedelivery,
    SenderMiddleware,
    UnitOfWorkMiddleware,
)
from bot.retry import RetryMiddleware
from bot.sender import OutboxSender
from bot.services.outbox import QUEUED
from bot.services.pace import is_known_country
from bot.session import BotSession
from bot.views.menu import members_menu
from models import UnitOfWork
from models.database import Database
from models.team import DEFAULT_COUNTRY
from scheduler import LEASE_TTL, KpiScheduler


def create_bot(token: str, api_url: str | None = None, retry: RetryMiddleware | None = None) -> Bot:
    keep_response_types()
    session = BotSession(api=TelegramAPIServer.from_base(api_url)) if api_url else BotSession()
    session.middleware(retry or RetryMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def fsm_backends(redis_url: str | None) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state and the per-person lock: in Redis, shared by every instance, when
    `redis_url` is set; in this process's memory otherwise."""
    if not redis_url:
        return MemoryStorage(), SimpleEventIsolation()
    # Imported only when used: the redis package is an optional extra.
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

    storage = RedisStorage.from_url(redis_url)
    # One connection pool for both, closed with the storage (the isolation's close() does not).
    return storage, RedisEventIsolation(storage.redis)


def create_dispatcher(
    db: Database,
    storage: BaseStorage | None = None,
    outbox: OutboxSender | None = None,
    with_scheduler: bool = True,
    chart_executor: Executor | None = None,
    in_order: bool = True,
    lease_ttl: timedelta = LEASE_TTL,
    events_isolation: BaseEventIsolation | None = None,
    dashboard_url: str | None = None,
) -> Dispatcher:
    """`in_order`: each person's updates one after another (different people's side by side);
    off only in tests that prove the database alone keeps things right. `storage` and
    `events_isolation` default to this process's memory (see `fsm_backends`).
    `dashboard_url`: where /dashboard and /tv open the team dashboard (None: not served)."""
    isolation = events_isolation or (
        SimpleEventIsolation() if in_order else DisabledEventIsolation()
    )
    dp = Dispatcher(storage=storage or MemoryStorage(), events_isolation=isolation)
    dp.errors.outer_middleware(HoldForRedelivery())
    # Outer middlewares run inside aiogram's per-person lock, in this order.
    dp.update.outer_middleware(SenderMiddleware(db))
    unit_of_work = UnitOfWorkMiddleware(db)
    for observer in (dp.message, dp.callback_query, dp.my_chat_member):
        observer.middleware(unit_of_work)
    dp.include_routers(*handlers.setup())
    dp["db"] = db
    dp["outbox"] = outbox = outbox or OutboxSender(db)
    # Where charts are drawn (processes of their own in production; a thread when None).
    dp["charts"] = chart_executor
    dp["dashboard_url"] = dashboard_url

    def wake_outbox(session: UnitOfWork) -> None:
        if session.info.get(QUEUED):
            outbox.wake()

    db.commit_hooks.append(wake_outbox)
    dp["scheduler"] = (
        KpiScheduler(db, outbox, chart_executor, lease_ttl) if with_scheduler else None
    )
    dp.startup.register(register_commands)
    dp.startup.register(start_background)
    dp.shutdown.register(stop_background)
    return dp


async def start_background(bot: Bot, outbox: OutboxSender, scheduler: KpiScheduler | None) -> None:
    # Loads the holiday calendars' registry now, not on the first request (about 0.1 s).
    is_known_country(DEFAULT_COUNTRY)
    if scheduler is None:
        outbox.start(bot)  # the only instance (tests without a scheduler): always sends
    else:
        scheduler.start(bot)  # sends the outbox while this instance holds the lease


async def stop_background(outbox: OutboxSender, scheduler: KpiScheduler | None) -> None:
    if scheduler is not None:
        await scheduler.shutdown()
    await outbox.stop()


async def register_commands(bot: Bot, dashboard_url: str | None = None) -> None:
    """The phone's command menu, in English by default and in Russian for Russian clients;
    and the bot's own profile, which /invite needs (asked now, not inside an update)."""
    await bot.me()
    for method in members_menu(dashboard=dashboard_url is not None):
        await bot(method)
