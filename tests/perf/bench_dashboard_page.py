"""Benchmark: the dashboard page's weight on first load and its first render, in headless Chromium.

Not part of the test suite (pytest ignores tests/perf). Run from the project root:

    .venv/bin/python tests/perf/bench_dashboard_page.py [--people 20] [--loads 10]

The real bot as `python -m bot` runs it with PUBLIC_URL set (polling against the fake Bot API
server of the tests, its web server on loopback, a fresh SQLite database): a team of `people`
(the first one the manager) sets targets and logs a few entries today and last week through the
chat. Then Debian's Chromium opens the page as the manager would inside Telegram (a stub
`window.Telegram.WebApp` with signed initData; telegram.org blocked, as it is not counted), with
the browser cache off, `loads` times at 360x740 and at 1920x1080, and once as the TV link.

Weight: the bytes on the wire (Chromium's encodedDataLength: gzip-compressed bodies plus
headers) of everything the page loads: index.html, app.css, app.js, the icon and every API
answer of the first render. First render: from the start of navigation to the moment every
section shows its figures (the page marks its root `data-ready`), the median over the loads;
first contentful paint beside it. The exit code is 1 when the weight is over 150 KB or the
median render over 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from models.base import clock  # noqa: E402
from tests.chrome import Chrome, WebAppStub  # noqa: E402
from tests.db import sqlite_url  # noqa: E402
from tests.e2e.test_dashboard_api import Dashboard, dashboard_bot, team_of  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

WEIGHT_LIMIT = 150 * 1024
RENDER_LIMIT_MS = 1000
# A Wednesday noon in Moscow: the week and the month are under way.
NOON = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)
# Set before the page's scripts (before <html> exists, hence the whole document watched): when
# the page marks itself ready, keep the time.
READY_WATCH = (
    "new MutationObserver((changes, watch) => {"
    "  if (document.documentElement.dataset.ready) {"
    "    window.benchReadyAt = performance.now(); watch.disconnect(); }"
    "}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-ready']});"
)


def load_once(
    chrome: Chrome, url: str, size: tuple[int, int], stub: WebAppStub | None
) -> dict[str, Any]:
    chrome.driver.get_log("performance")  # drop what earlier loads left
    chrome.open(url, *size, stub, READY_WATCH)
    ready = chrome.js("return window.benchReadyAt")
    paint = chrome.js(
        "const p = performance.getEntriesByName('first-contentful-paint')[0];"
        "return p ? p.startTime : null"
    )
    sent: dict[str, str] = {}
    weight = 0
    for entry in chrome.driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFinished":
            if "telegram.org" not in sent.get(params["requestId"], ""):
                weight += int(params["encodedDataLength"])
    counted = [url for url in sent.values() if "telegram.org" not in url]
    return {"ready_ms": ready, "fcp_ms": paint, "bytes": weight, "requests": len(counted)}


def measure(url: str, stub: WebAppStub, tv_url: str, loads: int) -> dict[str, Any]:
    chrome = Chrome(performance_log=True)
    try:
        chrome.cdp("Network.setCacheDisabled", cacheDisabled=True)
        results: dict[str, Any] = {}
        for name, size in (("phone 360x740", (360, 740)), ("screen 1920x1080", (1920, 1080))):
            runs = [load_once(chrome, url, size, stub) for _ in range(loads)]
            results[name] = runs
        results["TV 1920x1080"] = [load_once(chrome, tv_url, (1920, 1080), None)]
        return results
    finally:
        chrome.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()

    clock.freeze(NOON)
    with tempfile.TemporaryDirectory() as folder:
        db_url = sqlite_url(Path(folder))
        async with FakeTelegram() as tg, dashboard_bot(tg, db_url) as dash:
            url, stub, tv_url = await seed(dash, tg, args.people)
            results = await asyncio.to_thread(measure, url, stub, tv_url, args.loads)

    failed = False
    print(
        f"Dashboard page, a team of {args.people}, the manager's view;"
        f" cache off, {args.loads} loads"
    )
    for name, runs in results.items():
        ready = statistics.median(run["ready_ms"] for run in runs)
        paints = [run["fcp_ms"] for run in runs if run["fcp_ms"] is not None]
        paint = statistics.median(paints) if paints else float("nan")
        weight = max(run["bytes"] for run in runs)
        print(
            f"  {name:17} transferred {weight / 1024:6.1f} KB in {runs[0]['requests']} requests;"
            f" first render {ready:5.0f} ms median (max {max(r['ready_ms'] for r in runs):.0f});"
            f" first contentful paint {paint:4.0f} ms"
        )
        failed |= weight > WEIGHT_LIMIT or ready > RENDER_LIMIT_MS
    verdict = "NOT MET" if failed else "met"
    print(f"Limits: {WEIGHT_LIMIT // 1024} KB, {RENDER_LIMIT_MS} ms: {verdict}")
    return 1 if failed else 0


async def seed(dash: Dashboard, tg: FakeTelegram, people: int) -> tuple[str, WebAppStub, str]:
    manager = tg.user(5000, "Maria", username="maria")
    team = [tg.user(5001 + i, f"Seller {i + 1}", username=f"s{i + 1}") for i in range(people - 1)]
    await team_of(dash, manager, "Sales", *team)
    await manager.say("/target calls 50 week")
    await manager.say("/target revenue 300000 month")
    for number, seller in enumerate(team, start=1):
        await seller.say(f"/call {number * 3}")
        await seller.say(f"/deal {number * 5000} #avito{number % 3 + 1}")
        await seller.say(f"/call {number} 10.12")
    link = (await manager.say("/tv")).plain or ""
    tv_path = link[link.index("/dashboard/tv/") :].split()[0]
    unsafe = {"id": manager.id, "first_name": manager.first_name, "language_code": "en"}
    stub = WebAppStub(dash.init_data(manager), unsafe, "light")
    return dash.base + "/dashboard/", stub, dash.base + tv_path


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
