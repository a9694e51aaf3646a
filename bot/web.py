"""The bot's one HTTP server: liveness and readiness here; the webhook (`bot.webhook`) and later
features add their routes to the app `create_app` returns, before it is served."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import text

from models.database import Database

logger = logging.getLogger(__name__)

# A database that has not answered in this long is as good as gone.
HEALTH_TIMEOUT_SECONDS = 5.0


@dataclass
class Readiness:
    """Ready once start-up is done; not ready again from the moment shutdown begins."""

    ready: bool = False


READINESS = web.AppKey("readiness", Readiness)
DATABASE = web.AppKey("database", Database)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the database answers a trivial query."""
    db = request.app[DATABASE]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        logger.warning("Health check: the database does not answer: %s", type(error).__name__)
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if request.app[READINESS].ready:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "not ready"}, status=503)


def create_app(db: Database) -> web.Application:
    """/healthz and /readyz; a feature adds its routes with `app.router` before serving."""
    app = web.Application()
    app[DATABASE] = db
    app[READINESS] = Readiness()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


@dataclass
class WebServer:
    app: web.Application
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def readiness(self) -> Readiness:
        return self.app[READINESS]


@asynccontextmanager
async def serving(
    app: web.Application, host: str, port: int, shutdown_timeout: float
) -> AsyncIterator[WebServer]:
    """Serve `app` for the block (port 0: any free one). On leaving: not ready, stop accepting,
    let the requests in flight finish (up to `shutdown_timeout`), then close."""
    # Handlers are not cancelled when a client hangs up: an update's unit of work runs to its end.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if port == 0 else port
        server = WebServer(app, host, bound)
        logger.info("Serving HTTP on %s", server.base_url)
        yield server
    finally:
        app[READINESS].ready = False
        await runner.cleanup()
