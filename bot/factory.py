"""Wiring: the Bot and the Dispatcher that production and the tests both run."""

from concurrent.futures import Executor

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import write_lock
from bot.middlewares import DbSessionMiddleware, UserMiddleware
from bot.quick_log import QuickLogMiddleware
from bot.retry import RetryMiddleware
from bot.sender import OutboxSender
from bot.services.pace import is_known_country
from bot.texts import LANGUAGES, translator
from handlers import routers
from models.team import DEFAULT_COUNTRY
from scheduler import KpiScheduler

MENU_COMMANDS = (
    "call",
    "meeting",
    "lead",
    "deal",
    "undo",
    "today",
    "week",
    "month",
    "log",
    "targets",
    "chart",
    "help",
)


def create_bot(token: str, api_url: str | None = None, retry: RetryMiddleware | None = None) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    )
    session.middleware(retry or RetryMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(
    session_pool: async_sessionmaker[AsyncSession],
    storage: BaseStorage | None = None,
    outbox: OutboxSender | None = None,
    with_scheduler: bool = True,
    chart_executor: Executor | None = None,
) -> Dispatcher:
    dp = Dispatcher(storage=storage) if storage else Dispatcher()
    quick_log = QuickLogMiddleware(session_pool) if write_lock(session_pool) else None
    if quick_log is not None:
        dp.update.outer_middleware(quick_log)  # before the session: it opens none
    dp["quick_log"] = quick_log
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    dp.update.outer_middleware(UserMiddleware())
    dp.include_routers(*routers())
    dp["outbox"] = outbox = outbox or OutboxSender(session_pool)
    dp["scheduler"] = KpiScheduler(session_pool, outbox, chart_executor) if with_scheduler else None
    dp.startup.register(register_commands)
    dp.startup.register(start_background)
    dp.shutdown.register(stop_background)
    return dp


async def start_background(bot: Bot, outbox: OutboxSender, scheduler: KpiScheduler | None) -> None:
    # Loads the holiday calendars' registry now, not on the first request (about 0.1 s).
    is_known_country(DEFAULT_COUNTRY)
    outbox.start(bot)
    if scheduler is not None:
        scheduler.start()


async def stop_background(
    outbox: OutboxSender, scheduler: KpiScheduler | None, quick_log: QuickLogMiddleware | None
) -> None:
    if scheduler is not None:
        await scheduler.shutdown()
    await outbox.stop()
    if quick_log is not None:
        await quick_log.close()


async def register_commands(bot: Bot) -> None:
    """The phone's command menu, in English by default and in Russian for Russian clients."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        t = translator(language)
        commands = [
            BotCommand(command=name, description=t.plain(f"menu.{name}")) for name in MENU_COMMANDS
        ]
        code = None if language == "en" else language
        await bot.set_my_commands(commands, scope=scope, language_code=code)
