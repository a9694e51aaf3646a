"""The dashboard's routes on the bot's web server: the page (index.html, also for TV links),
its static files (gzipped once, at start; cached long when asked for by content hash) and the
API (`bot.dashboard.api`)."""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.config import DASHBOARD_PATH
from bot.dashboard.api import CONFIG, LIMITER, DashboardConfig, add_api_routes
from bot.dashboard.limits import RateLimiter

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX = "index.html"
# index.html names its files "static/app.js?v=hash": served as the file's content hash, so a
# new version is fetched at once and an unchanged one is never asked for again.
VERSIONED = re.compile(r"static/([A-Za-z0-9_./-]+)\?v=hash")
HASH_CHARS = 12
# Telegram's script, which only a page opened inside Telegram uses: a wall screen's page goes
# without it, so an office network that drops telegram.org cannot hold its first render up.
TELEGRAM_SCRIPT = re.compile(r'<script src="https://telegram\.org/[^"]*"></script>\n?')
MIN_HASH_CHARS = 8
LONG_CACHE = "public, max-age=31536000, immutable"
# Exactly what the page loads: its own scripts and styles, Telegram's telegram-web-app.js, the
# API; inside Telegram's web clients it is framed by them.
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    gzipped: bytes
    content_type: str
    version: str  # the content hash


def _static_file(body: bytes, name: str) -> StaticFile:
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith(("javascript", "json", "svg+xml")):
        content_type += "; charset=utf-8"
    version = hashlib.sha256(body).hexdigest()[:HASH_CHARS]
    return StaticFile(body, gzip.compress(body, 9, mtime=0), content_type, version)


def load_static(folder: Path, prefix: str) -> tuple[StaticFile, StaticFile, dict[str, StaticFile]]:
    """The page with its files' versions filled in, the same for a TV link (without Telegram's
    script), and the files by their path under `folder`."""
    files = {
        path.relative_to(folder).as_posix(): _static_file(path.read_bytes(), path.name)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != INDEX and not path.name.startswith(".")
    }

    def versioned(match: re.Match[str]) -> str:
        found = files.get(match[1])
        version = found.version if found is not None else "missing"
        return f"{prefix}static/{match[1]}?v={version}"

    page = VERSIONED.sub(versioned, (folder / INDEX).read_text(encoding="utf-8"))
    tv_page = TELEGRAM_SCRIPT.sub("", page)
    return _static_file(page.encode(), INDEX), _static_file(tv_page.encode(), INDEX), files


def is_current(version: str, found: StaticFile) -> bool:
    """Asked for by its content hash (sha256, hex, at least its first 8 characters)."""
    return len(version) >= MIN_HASH_CHARS and found.version.startswith(version)


def _serve(
    request: web.Request, found: StaticFile, cache: str, headers: dict[str, str]
) -> web.Response:
    etag = f'"{found.version}"'
    common = {"Cache-Control": cache, "ETag": etag, "Vary": "Accept-Encoding", **headers}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=common)
    response = web.Response(body=found.body, headers=common)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.body = found.gzipped
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Type"] = found.content_type
    return response


def add_dashboard_routes(
    app: web.Application, config: DashboardConfig, static: Path = STATIC_DIR
) -> None:
    """The page at /dashboard/ and /dashboard/tv/{token} (with or without a trailing slash), its
    files, and the API."""
    prefix = config.public_path.rstrip("/") + DASHBOARD_PATH
    page, tv_page, files = load_static(static, prefix)
    app[CONFIG] = config
    app[LIMITER] = RateLimiter(config.requests_per_minute)

    async def index(request: web.Request) -> web.Response:
        return _serve(request, page, "no-cache", PAGE_HEADERS)

    async def tv_index(request: web.Request) -> web.Response:
        return _serve(request, tv_page, "no-cache", PAGE_HEADERS)

    async def to_index(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(prefix)

    async def static_file(request: web.Request) -> web.Response:
        found = files.get(request.match_info["path"])
        if found is None:
            raise web.HTTPNotFound()
        cache = LONG_CACHE if is_current(request.query.get("v", ""), found) else "no-cache"
        return _serve(request, found, cache, {"X-Content-Type-Options": "nosniff"})

    base = DASHBOARD_PATH.rstrip("/")
    app.router.add_get(base, to_index)
    app.router.add_get(f"{base}/", index)
    app.router.add_get(f"{base}/tv/{{token}}", tv_index)
    app.router.add_get(f"{base}/tv/{{token}}/", tv_index)  # as a browser or a person may add it
    app.router.add_get(f"{base}/static/{{path:.+}}", static_file)
    add_api_routes(app, f"{base}/")
