"""Entry point: `python -m bot` runs the bot, `python -m bot migrate` only migrates,
`python -m bot set-webhook` registers the webhook (a deploy step of webhook mode)."""

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.config import DatabaseSettings, Settings

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiohttp import web

    from models.database import Database

logger = logging.getLogger("bot")

EXIT_CONFIG_ERROR = 2
# In-flight updates get this long to finish after SIGTERM/SIGINT.
SHUTDOWN_GRACE_SECONDS = 15

# Young objects are collected every this many allocations (Python's default: 700). Every update
# is parsed into dozens of short-lived objects; collecting them in larger steps costs a busy bot
# a fraction of the time (measured: about a tenth of a /call), for a few MB more between steps.
GC_YOUNG_THRESHOLD = 50_000

# Loggers that write a line per update or per scheduler tick at INFO (aiogram's "Update id=...
# is handled", APScheduler's "Running job" and "executed successfully": thousands a day).
# Below DEBUG they are kept to warnings; at DEBUG they say everything.
CHATTY_LOGGERS = ("aiogram.event", "apscheduler")

ENV_NAMES = {
    "bot_token": "BOT_TOKEN",
    "telegram_api_url": "TELEGRAM_API_URL",
    "log_level": "LOG_LEVEL",
    "lease_seconds": "LEASE_SECONDS",
    "database": "DATABASE_URL",
}
PYDANTIC_VALUE_ERROR = "Value error, "


def config_error_line(error: ValidationError) -> str:
    """One line naming the variable and the problem, never its value (it may be a secret)."""
    first = error.errors()[0]
    if not first["loc"]:  # a rule across settings; its message names them
        return f"error: {first['msg'].removeprefix(PYDANTIC_VALUE_ERROR)}"
    field = str(first["loc"][0])
    name = ENV_NAMES.get(field, field.upper())
    if first["type"] == "missing":
        return f"error: {name} is not set (put it in .env or the environment; see .env.example)"
    if field == "bot_token":
        return f"error: {name} is malformed (expected the form 123456789:AA... from @BotFather)"
    return f"error: {name} is invalid ({first['msg'].removeprefix(PYDANTIC_VALUE_ERROR)})"


def configure_logging(level: str) -> None:
    """Quiet by default: start-up, shutdown, warnings and errors; the detail at DEBUG."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())
    chatty = logging.NOTSET if level.upper() == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)


def settle_memory() -> None:
    """Once the bot is up. Everything loaded so far lives as long as the process: keep it out of
    the collector's full passes, which otherwise stall the event loop for hundreds of ms on a
    busy Monday; and collect the young in larger steps."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 10)


async def finish_in_flight(grace: float) -> None:
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    if others:
        logger.info("Waiting for %d in-flight task(s)", len(others))
        await asyncio.wait(others, timeout=grace)


async def run_bot(settings: Settings) -> None:
    # Heavy imports only once the configuration is known to be good: errors come back fast.
    from bot.lazy_models import defer_model_builds

    defer_model_builds()  # before aiogram is imported
    from bot.factory import create_bot, create_dispatcher, fsm_backends
    from bot.workers import ChartWorkers
    from models.database import Database, migrate_in_child

    url = settings.database.url
    await migrate_in_child(url)
    db = Database(url)
    api_url = str(settings.telegram_api_url) if settings.telegram_api_url else None
    bot = create_bot(settings.bot_token.get_secret_value(), api_url)
    # Charts are CPU work: separate processes keep the GIL free, and one core is left to the
    # event loop so that a Monday of rendering does not starve the chats.
    workers = max(1, (os.cpu_count() or 2) - 1)
    charts = ChartWorkers(workers)
    storage, isolation = fsm_backends(settings.redis_url)
    dp = create_dispatcher(
        db,
        storage=storage,
        events_isolation=isolation,
        chart_executor=charts,
        lease_ttl=timedelta(seconds=settings.lease_seconds),
        dashboard_url=settings.dashboard_url,
    )
    settle_memory()
    try:
        if settings.mode == "webhook":
            await serve_webhook(settings, dp, bot, db)
        else:
            await serve_polling(settings, dp, bot, db)
        await finish_in_flight(SHUTDOWN_GRACE_SECONDS)
    finally:
        await bot.session.close()
        await storage.close()
        await isolation.close()
        await db.close()
        charts.shutdown(cancel_futures=True)
        logger.info("Stopped")


def web_app(settings: Settings, dp: "Dispatcher", bot: "Bot", db: "Database") -> "web.Application":
    """The process's one web app: health and readiness; the features that serve HTTP add their
    routes here (the webhook route is added by webhook mode itself)."""
    from urllib.parse import urlsplit

    from bot import hooks
    from bot.dashboard.api import DashboardConfig
    from bot.dashboard.routes import add_dashboard_routes
    from bot.web import create_app

    app = create_app(db)
    if settings.public_url is not None:
        dashboard = DashboardConfig(
            bot_token=settings.bot_token.get_secret_value(),
            init_data_max_age=settings.dashboard_init_data_max_age,
            requests_per_minute=settings.dashboard_requests_per_minute,
            public_path=urlsplit(str(settings.public_url)).path.rstrip("/"),
        )
        add_dashboard_routes(app, dashboard)
        hooks.install(app, dp, db, str(settings.public_url))
    return app


async def serve_polling(settings: Settings, dp: "Dispatcher", bot: "Bot", db: "Database") -> None:
    """Long polling until SIGTERM/SIGINT; with PUBLIC_URL set, the web server runs beside it
    (for the features served over HTTP), ready once the dispatcher has started."""
    from bot.web import serving

    # A webhook left from webhook mode would answer every getUpdates with 409 Conflict.
    await bot.delete_webhook(drop_pending_updates=False)
    if settings.public_url is None:
        await dp.start_polling(bot, close_bot_session=False, handle_signals=True)
        return
    app = web_app(settings, dp, bot, db)
    async with serving(app, settings.web_host, settings.web_port, SHUTDOWN_GRACE_SECONDS) as server:

        def ready() -> None:
            server.readiness.ready = True

        dp.startup.register(ready)
        await dp.start_polling(bot, close_bot_session=False, handle_signals=True)


async def serve_webhook(settings: Settings, dp: "Dispatcher", bot: "Bot", db: "Database") -> None:
    """Until SIGTERM/SIGINT: then stop accepting, finish the updates in flight, shut down."""
    from bot.webhook import webhook_server

    assert settings.webhook_secret is not None
    from aiogram.exceptions import TelegramAPIError

    try:
        info = await bot.get_webhook_info()
    except TelegramAPIError as error:  # only a check: the updates may well arrive
        logger.warning("Could not check Telegram's webhook: %s", error)
    else:
        if info.url != settings.webhook_url:
            logger.warning(
                "Telegram's webhook is %r, not this bot's %s: run `python -m bot set-webhook`",
                info.url,
                settings.webhook_url,
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with webhook_server(
        dp,
        bot,
        db,
        secret=settings.webhook_secret.get_secret_value(),
        host=settings.web_host,
        port=settings.web_port,
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        app=web_app(settings, dp, bot, db),
    ):
        await stop.wait()
        logger.info("Stopping: finishing the updates in flight")


async def register_webhook(settings: Settings) -> int:
    """`python -m bot set-webhook`: once per deploy, from any one machine."""
    from bot.factory import create_bot, create_dispatcher
    from bot.webhook import allowed_updates, set_webhook
    from models.database import Database

    if settings.public_url is None or settings.webhook_secret is None:
        print("error: set-webhook needs PUBLIC_URL and WEBHOOK_SECRET", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    api_url = str(settings.telegram_api_url) if settings.telegram_api_url else None
    bot = create_bot(settings.bot_token.get_secret_value(), api_url)
    db = Database(settings.database.url)  # not connected: the dispatcher only names its updates
    try:
        dp = create_dispatcher(db, with_scheduler=False)
        await set_webhook(bot, dp, settings.webhook_url, settings.webhook_secret.get_secret_value())
    finally:
        await bot.session.close()
        await db.close()
    logger.info("Webhook set to %s for %s", settings.webhook_url, ", ".join(allowed_updates(dp)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="KPI bot for sales teams")
    parser.add_argument(
        "command", nargs="?", choices=["run", "migrate", "set-webhook"], default="run"
    )
    args = parser.parse_args(argv)
    try:
        settings: Settings | DatabaseSettings = (
            DatabaseSettings() if args.command == "migrate" else Settings()  # type: ignore[call-arg]
        )
    except ValidationError as error:
        print(config_error_line(error), file=sys.stderr)
        return EXIT_CONFIG_ERROR
    configure_logging(getattr(settings, "log_level", "INFO"))
    if isinstance(settings, DatabaseSettings):
        from models.database import upgrade_to_head

        upgrade_to_head(settings.url)
        logger.info("Database is at the latest revision")
        return 0
    if args.command == "set-webhook":
        return asyncio.run(register_webhook(settings))
    asyncio.run(run_bot(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
