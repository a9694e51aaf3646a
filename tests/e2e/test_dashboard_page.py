"""The dashboard page in a real headless Chromium, on the real bot: its web server serves the
page and the API from the database the chat wrote to. Telegram's script is blocked (no network
but loopback); `window.Telegram.WebApp` is a stub carrying initData signed with the bot's token.
Screenshots go to test-artifacts/dashboard/. Wednesday 16 December 2026, noon in Moscow.

The page does not depend on the database kind (the API's tests run both): SQLite here."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from models.base import Clock
from tests.chrome import DARK, LIGHT, Chrome, WebAppStub
from tests.e2e.test_dashboard_api import (
    NOON_16_DEC,
    Dashboard,
    dashboard_bot,
    people,
    shown,
    team_of,
)
from tests.fake_telegram import FakeTelegram, FakeUser

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

PHONE = (360, 740)
FULL_HD = (1920, 1080)
# Mallory's first name, and the initial of a last name typed as SQL, as the bot shows names.
MALLORY = "<img src=x onerror=alert(1)> '."
# The page's timers, kept for the test to run: "a minute passes" without waiting for it.
TIMERS = (
    "window.pageTimers = [];"
    "const setIntervalForReal = window.setInterval;"
    "window.setInterval = (task, ms, ...args) => {"
    "  window.pageTimers.push({task, ms});"
    "  return setIntervalForReal(task, ms, ...args);"
    "};"
)
A_MINUTE_PASSES = "window.pageTimers.forEach((timer) => timer.task())"
# An older Telegram client: no WebApp.ready, and an expand() it refuses.
OLD_CLIENT = (
    "delete window.Telegram.WebApp.ready;"
    "window.Telegram.WebApp.expand = () => { throw new Error('WebAppMethodUnsupported'); };"
)
# The first /session answer is not what the page expects; the page's retries are kept to be run
# by hand (`window.retries`) instead of after half a minute.
ODD_FIRST_SESSION = (
    "const fetchForReal = window.fetch;"
    "let odd = true;"
    "window.fetch = (url, ...args) => {"
    "  if (odd && String(url).includes('/api/session')) {"
    "    odd = false;"
    "    const headers = {'Content-Type': 'application/json'};"
    "    return Promise.resolve(new Response('{}', {headers}));"
    "  }"
    "  return fetchForReal(url, ...args);"
    "};"
    "window.retries = [];"
    "const setTimeoutForReal = window.setTimeout;"
    "window.setTimeout = (task, ms, ...args) => {"
    "  if (ms >= 30000) { window.retries.push(task); return 0; }"
    "  return setTimeoutForReal(task, ms, ...args);"
    "};"
)


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_16_DEC)
    return frozen_clock


@pytest.fixture
async def dash(fake_tg: FakeTelegram, db_url: str) -> AsyncIterator[Dashboard]:
    async with dashboard_bot(fake_tg, db_url) as running:
        yield running


@pytest.fixture
async def chrome() -> AsyncIterator[Chrome]:
    browser = await asyncio.to_thread(Chrome)
    try:
        yield browser
    finally:
        await asyncio.to_thread(browser.close)


async def sales(dash: Dashboard) -> tuple[FakeUser, FakeUser, FakeUser, FakeUser]:
    """Anna manages Sales; Bob and Carl (Russian) sell; Mallory's name is made to break pages."""
    anna, bob, carl, mallory = people(dash.kpi.tg)
    await team_of(dash, anna, "Sales", bob, carl, mallory)
    await anna.say("/target calls 50 week")
    await anna.say("/target revenue 100000 month")
    await bob.say("/call 12")
    await bob.say("/meeting 2")
    await bob.say("/deal 15000 #avito2")
    await bob.say("/call 7 10.12")  # last week's Thursday
    await carl.say("/call 30 #site")
    await carl.say("/deal 7500 #site")
    await mallory.say("/call 1")
    return anna, bob, carl, mallory


def webapp(dash: Dashboard, user: FakeUser, theme: str, *, age: int = 60) -> WebAppStub:
    unsafe = {"id": user.id, "first_name": user.first_name, "language_code": user.language_code}
    return WebAppStub(dash.init_data(user, age=age), unsafe, theme)


async def open_page(
    chrome: Chrome, url: str, size: tuple[int, int], stub: WebAppStub | None, before: str = ""
) -> None:
    await asyncio.to_thread(chrome.open, url, *size, stub, before)


async def run(chrome: Chrome, method: str, *args: Any) -> Any:
    return await asyncio.to_thread(getattr(chrome, method), *args)


async def looks_right(
    chrome: Chrome, size: tuple[int, int], theme: dict[str, str], name: str
) -> None:
    """Drawn in the theme's colors, no wider than the screen, nothing refused by the CSP, and a
    screenshot kept."""
    card = await run(
        chrome, "js", "return getComputedStyle(document.querySelector('.card')).backgroundColor"
    )
    assert card == rgb(theme["section_bg_color"]), card
    text = await run(chrome, "js", "return getComputedStyle(document.body).color")
    assert text == rgb(theme["text_color"]), text
    assert await run(chrome, "js", "return document.documentElement.scrollWidth") <= size[0]
    assert await run(chrome, "console_errors") == []
    # Names came in as text: nothing Mallory typed became an element.
    assert (
        await run(chrome, "js", "return document.querySelectorAll('img, script:not([src])').length")
        == 0
    )
    await run(chrome, "screenshot", name)


def rgb(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


async def metric_row(chrome: Chrome, key: str) -> str:
    return shown(await run(chrome, "text", f"#numbers .metric[data-key={key}]"))


async def pick(chrome: Chrome, section: str, key: str) -> None:
    """Press a chip and wait for the section to come back with it pressed."""
    await run(chrome, "click", f"#{section} .chip[data-key={key}]")
    await run(chrome, "wait_for", f"#{section} .chip.on[data-key={key}]")


async def test_an_employee_sees_their_numbers_the_board_and_the_tags(
    dash: Dashboard, chrome: Chrome
) -> None:
    _anna, bob, _carl, _mallory = await sales(dash)
    for theme, size in (("light", PHONE), ("dark", FULL_HD)):
        await open_page(chrome, dash.base + "/dashboard/", size, webapp(dash, bob, theme))
        assert await run(chrome, "text", "h1") == "Sales"
        assert await run(chrome, "text", "#numbers h2") == "My numbers"
        await pick(chrome, "numbers", "week")
        # 12 calls of 50 this week; by Wednesday (3 of 5 working days) 30 are due.
        calls = await metric_row(chrome, "calls")
        assert calls.splitlines() == [
            "Calls",
            "12 / 50",
            "24% behind pace · due by today: 30",
        ], calls
        assert (await metric_row(chrome, "meetings")).splitlines() == [
            "Meetings",
            "2",
            "no target set",
        ]
        assert "15,000 ₽" in await metric_row(chrome, "revenue")
        assert "working days left" in await run(chrome, "text", "#numbers .hint")

        board = [shown(row) for row in await run(chrome, "texts", "#board .row")]
        assert [row.splitlines()[:2] for row in board] == [
            ["1", "Carl"],
            ["2", "Bob"],
            ["3", MALLORY],
            ["4", "Anna"],
        ], board
        assert "30" in board[0] and "60%" in board[0]
        assert await run(chrome, "text", "#board .row.me .name") == "Bob"
        # Columns for what was tagged: calls too, not only deals.
        assert shown(await run(chrome, "text", "#tags thead")) == "Tag Calls Deals Revenue"
        tags = [shown(row) for row in await run(chrome, "texts", "#tags tbody tr")]
        assert tags == ["#avito2 0 1 15,000 ₽", "#site 30 1 7,500 ₽"], tags
        # Employees get no team table and no week chart.
        assert await run(chrome, "texts", "#team, #week") == []
        await looks_right(
            chrome, size, LIGHT if theme == "light" else DARK, f"employee-en-{theme}-{size[0]}"
        )

        await pick(chrome, "board", "revenue")
        revenue = [shown(row) for row in await run(chrome, "texts", "#board .row")]
        assert revenue[0].splitlines()[1:3] == ["Bob", "15,000 ₽"], revenue

    # The user switches Telegram from night to day while the page is open: the page follows.
    day = json.dumps({"themeParams": LIGHT, "colorScheme": "light"})
    await run(chrome, "js", f"Object.assign(Telegram.WebApp, {day});")
    await run(chrome, "js", "Telegram.WebApp.handlers.themeChanged()")
    await looks_right(chrome, FULL_HD, LIGHT, "employee-en-light-after-dark-1920")


async def test_private_stats_hide_the_board(dash: Dashboard, chrome: Chrome) -> None:
    anna, bob, _carl, _mallory = await sales(dash)
    await anna.say("/settings public off")
    await open_page(chrome, dash.base + "/dashboard/", PHONE, webapp(dash, bob, "light"))
    assert await run(chrome, "text", "#board") == (
        "Leaderboard\nThe team's figures are private: only the manager sees the leaderboard."
    )
    assert "12 / 10" in await metric_row(chrome, "calls")  # today
    tags = [shown(row) for row in await run(chrome, "texts", "#tags tbody tr")]
    assert tags == ["#avito2 1 15,000 ₽"], tags  # his own deals only
    await run(chrome, "screenshot", "employee-en-private-360")

    link = re.search(r"/dashboard/tv/(\S+)", (await anna.say("/tv")).plain or "")
    assert link
    await open_page(chrome, dash.base + link.group(0), FULL_HD, None)
    assert await run(chrome, "text", "#notice") == (
        "The team's figures are private, so there is nothing to show here. The manager can open"
        " them: /settings public on"
    )
    await run(chrome, "screenshot", "tv-en-private-1920")


async def test_a_manager_sees_the_team_a_person_and_last_week(
    dash: Dashboard, chrome: Chrome
) -> None:
    anna, bob, _carl, _mallory = await sales(dash)
    for theme, size in (("dark", PHONE), ("light", FULL_HD)):
        await open_page(chrome, dash.base + "/dashboard/", size, webapp(dash, anna, theme))
        team = [shown(row) for row in await run(chrome, "texts", "#team tbody tr")]
        assert [row.splitlines()[0] for row in team] == ["Bob", "Carl", MALLORY, "Anna"], team
        bob_calls = shown(
            await run(chrome, "text", f"#team tr[data-user='{bob.id}'] td[data-key=calls]")
        )
        assert bob_calls.splitlines() == ["12", "24%"]
        week = [shown(row) for row in await run(chrome, "texts", "#week .row")]
        assert week[0].splitlines() == ["Bob", "7"], week  # last week: Bob's 7 calls of the 10th
        assert "Dec 7 – Dec 13" in await run(chrome, "text", "#week")

        await run(chrome, "click", f"#team tr[data-user='{bob.id}'] button")
        await run(chrome, "wait_for", "#person svg.days")
        assert await run(chrome, "text", "#person h2") == "Last 30 days"
        await run(chrome, "wait_for", "#numbers .link")
        assert await run(chrome, "text", "#numbers h2") == "Bob"
        assert "12" in await metric_row(chrome, "calls")
        columns = await run(
            chrome,
            "js",
            "return [...document.querySelectorAll('#person rect.day')].map(r => r.textContent)",
        )
        assert len(columns) == 30
        assert columns[-1].endswith(": 12") and any(c.endswith(": 7") for c in columns), columns
        await looks_right(
            chrome, size, DARK if theme == "dark" else LIGHT, f"manager-en-{theme}-{size[0]}"
        )


async def test_in_russian(dash: Dashboard, chrome: Chrome) -> None:
    _anna, _bob, carl, _mallory = await sales(dash)
    for theme, size in (("dark", PHONE), ("light", FULL_HD)):
        await open_page(chrome, dash.base + "/dashboard/", size, webapp(dash, carl, theme))
        assert await run(chrome, "text", "#numbers h2") == "Мои показатели"
        assert await run(chrome, "js", "return document.documentElement.lang") == "ru"
        await pick(chrome, "numbers", "week")
        calls = (await metric_row(chrome, "calls")).splitlines()
        assert calls[1] == "30 / 50" and calls[2].startswith("60% "), calls
        assert "7 500 ₽" in await metric_row(chrome, "revenue")
        assert await run(chrome, "text", "#board h2") == "Рейтинг"
        assert shown(await run(chrome, "text", "#tags thead")) == "Тег Звонки Сделки Выручка"
        tags = [shown(row) for row in await run(chrome, "texts", "#tags tbody tr")]
        assert tags == ["#avito2 0 1 15 000 ₽", "#site 30 1 7 500 ₽"], tags
        await looks_right(
            chrome, size, DARK if theme == "dark" else LIGHT, f"employee-ru-{theme}-{size[0]}"
        )


async def test_stale_init_data_asks_to_reopen(
    dash: Dashboard, chrome: Chrome, wednesday: Clock
) -> None:
    """Telegram signs initData when the page opens; a page left open past the bot's limit
    (24 h) is refused at its next refresh, and says so instead of going quiet."""
    _anna, bob, _carl, _mallory = await sales(dash)
    await open_page(chrome, dash.base + "/dashboard/", PHONE, webapp(dash, bob, "light"), TIMERS)
    assert await run(chrome, "js", "return window.pageTimers.map((timer) => timer.ms)") == [60_000]
    wednesday.freeze(NOON_16_DEC + timedelta(days=1, minutes=2))
    await run(chrome, "js", A_MINUTE_PASSES)
    await run(chrome, "wait_for", "#notice")
    assert await run(chrome, "text", "#notice") == (
        "This dashboard was opened too long ago. Close it and open it again with /dashboard in "
        "the chat with the bot."
    )
    assert await run(chrome, "texts", ".card") == []  # no figures left that may be old
    await run(chrome, "click", "#app button.action")
    assert await run(chrome, "js", "return window.Telegram.WebApp.closed") is True
    await run(chrome, "screenshot", "stale-en-light-360")


async def test_an_older_client_and_an_odd_answer_end_in_words_not_dots(
    dash: Dashboard, chrome: Chrome
) -> None:
    _anna, bob, _carl, _mallory = await sales(dash)
    stub = webapp(dash, bob, "light")
    await open_page(chrome, dash.base + "/dashboard/", PHONE, stub, OLD_CLIENT + ODD_FIRST_SESSION)
    assert await run(chrome, "text", "#notice") == "Could not reach the bot. Trying again…"
    await run(chrome, "js", "window.retries.splice(0).forEach((task) => task())")
    await run(chrome, "wait_for", "#numbers .metric[data-key=calls]")
    assert "12 / 10" in await metric_row(chrome, "calls")  # today
    assert await run(chrome, "js", "return document.documentElement.dataset.ready") == "shown"


async def test_tv_mode_refreshes_and_celebrates(
    dash: Dashboard, chrome: Chrome, wednesday: Clock
) -> None:
    anna, bob, _carl, _mallory = await sales(dash)
    # Crossings are recorded for a team with a group to cheer in.
    group = dash.kpi.tg.group(-100_500, "Sales chat")
    assert ((await group.say(anna, "/bindchat")).plain or "").startswith("✅")
    link = re.search(r"/dashboard/tv/(\S+)", (await anna.say("/tv")).plain or "")
    assert link
    await open_page(chrome, dash.base + link.group(0), FULL_HD, None, TIMERS)
    assert await run(chrome, "text", "h1") == "Sales"
    assert await run(chrome, "text", "#metric") == "Calls"
    week = [shown(row).splitlines()[:2] for row in await run(chrome, "texts", "#board-week .row")]
    assert week == [["1", "Carl"], ["2", "Bob"], ["3", MALLORY], ["4", "Anna"]], week
    font = await run(
        chrome,
        "js",
        "return parseFloat(getComputedStyle(document.querySelector('.board .name')).fontSize)",
    )
    assert font >= 36, font  # read across a room
    assert await run(chrome, "console_errors") == []
    await run(chrome, "screenshot", "tv-en-1920")

    assert await run(chrome, "js", "return window.pageTimers.map((timer) => timer.ms)") == [60_000]

    # Bob crosses his 50 calls a minute later: the next refresh shows it on a banner, and the
    # screen has moved on to the next metric.
    wednesday.freeze(NOON_16_DEC + timedelta(minutes=1))
    await bob.say("/call 40")
    await run(chrome, "js", A_MINUTE_PASSES)
    await run(chrome, "wait_for", "#banner:not([hidden]) .cheer")
    await run(chrome, "wait_for", "#board-week .row")
    assert await run(chrome, "text", "#metric") == "Meetings"
    cheer = shown(await run(chrome, "text", "#banner .cheer"))
    assert cheer == "Bob hit the target: 50 calls a week!", cheer
    await run(chrome, "screenshot", "tv-en-1920-celebration")

    # The manager resets the link: the screen still showing the old one says so.
    await anna.say("/tv reset")
    await run(chrome, "js", A_MINUTE_PASSES)
    await run(chrome, "wait_for", "#notice")
    assert await run(chrome, "text", "#notice") == (
        "This TV link is no longer valid. Ask the manager for a new one (/tv)."
    )
    await run(chrome, "screenshot", "tv-en-1920-revoked")

    # The screen restarted on the old link: it says so again, in the words it last had.
    await open_page(chrome, dash.base + link.group(0), FULL_HD, None)
    assert await run(chrome, "text", "#notice") == (
        "This TV link is no longer valid. Ask the manager for a new one (/tv)."
    )


async def test_a_page_without_a_session_says_why(dash: Dashboard, chrome: Chrome) -> None:
    """A browser that never had a session: the texts come from the API on their own."""
    for link in ("/dashboard/tv/1.made-up.link", "/dashboard/tv/1.made-up.link/"):
        await open_page(chrome, dash.base + link, FULL_HD, None)
        assert await run(chrome, "text", "#notice") == (
            "This TV link is no longer valid. Ask the manager for a new one (/tv)."
        ), link
    await run(chrome, "screenshot", "tv-en-1920-invalid")
    # Outside Telegram (Telegram's script there, but no initData): open it from the bot.
    outside = WebAppStub("", {}, "light")
    await open_page(chrome, dash.base + "/dashboard/", PHONE, outside)
    assert await run(chrome, "text", "#notice") == (
        "Open the dashboard from the bot: send /dashboard in the private chat."
    )
