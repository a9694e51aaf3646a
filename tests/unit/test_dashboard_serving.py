"""The dashboard's page and files as a browser gets them: headers, gzip, versions and caching;
and its request limit on a hand-driven clock."""

import gzip
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.dashboard.api import DashboardConfig
from bot.dashboard.limits import RateLimiter
from bot.dashboard.routes import STATIC_DIR, add_dashboard_routes

PAGE = """<!doctype html><html><head>
<script src="https://telegram.org/js/telegram-web-app.js"></script>
<script src="static/app.js?v=hash" defer></script>
<link rel="stylesheet" href="static/css/app.css?v=hash">
</head><body></body></html>
"""
APP_JS = b"console.log('dashboard');\n" * 50


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[str]:
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "app.js").write_bytes(APP_JS)
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { margin: 0 }\n")
    app = web.Application()
    config = DashboardConfig("123456789:" + "A" * 35, 86400, 60, public_path="/kpi")
    add_dashboard_routes(app, config, static=tmp_path)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def version(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:12]


async def test_the_page_names_its_files_by_content_and_sends_its_headers(site: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site}/dashboard/") as page:
            assert page.status == 200
            html = await page.text()
            assert page.headers["Content-Encoding"] == "gzip"  # aiohttp asks for it
            assert page.headers["Cache-Control"] == "no-cache"
            csp = page.headers["Content-Security-Policy"]
        assert f'src="/kpi/dashboard/static/app.js?v={version(APP_JS)}"' in html
        assert "/kpi/dashboard/static/css/app.css?v=" in html
        assert "default-src 'none'" in csp and "script-src 'self' https://telegram.org" in csp
        assert '<script src="https://telegram.org/js/telegram-web-app.js"></script>' in html
        # A wall screen's page: the same, but for Telegram's script (a network that drops
        # telegram.org must not hold its first render up).
        on_a_wall = html.replace(
            '<script src="https://telegram.org/js/telegram-web-app.js"></script>\n', ""
        )
        assert "telegram.org" not in on_a_wall and "static/app.js" in on_a_wall
        for tv_link in ("/dashboard/tv/1.abc.def", "/dashboard/tv/1.abc.def/"):
            async with http.get(site + tv_link, allow_redirects=False) as tv:
                assert (tv.status, await tv.text()) == (200, on_a_wall), tv_link
        async with http.get(f"{site}/dashboard", allow_redirects=False) as bare:
            assert (bare.status, bare.headers["Location"]) == (301, "/kpi/dashboard/")

        url = f"{site}/dashboard/static/app.js"
        async with http.get(url, params={"v": version(APP_JS)}) as script:
            assert await script.read() == APP_JS
            assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
            etag = script.headers["ETag"]
        async with http.get(url, params={"v": version(APP_JS)[:8]}) as short:
            assert short.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        for old in ("old", "0" * 8, version(APP_JS)[:7]):
            async with http.get(url, params={"v": old}) as stale:
                assert stale.headers["Cache-Control"] == "no-cache", old
        async with http.get(url, headers={"If-None-Match": etag}) as unchanged:
            assert unchanged.status == 304
        plain = {"Accept-Encoding": "identity"}
        async with http.get(url, headers=plain, auto_decompress=False) as raw:
            assert "Content-Encoding" not in raw.headers and await raw.read() == APP_JS
        zipped = {"Accept-Encoding": "gzip"}
        async with http.get(url, headers=zipped, auto_decompress=False) as packed:
            body = await packed.read()
            assert gzip.decompress(body) == APP_JS and len(body) < len(APP_JS) // 10

        for outside in ("../routes.py", "..%2Froutes.py", "index.html", "nothing.js"):
            async with http.get(f"{site}/dashboard/static/{outside}") as missing:
                assert missing.status == 404, outside


def test_the_placeholder_page_is_there() -> None:
    assert (STATIC_DIR / "index.html").is_file()


def test_requests_beyond_the_limit_wait_their_turn() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert [limiter.retry_after("user:1") for _ in range(3)] == [0, 0, 30]
    assert limiter.retry_after("user:2") == 0  # each person their own
    now[0] = 29.0
    assert limiter.retry_after("user:1") == 1
    now[0] = 30.0
    assert limiter.retry_after("user:1") == 0
    assert limiter.retry_after("user:1") == 30
