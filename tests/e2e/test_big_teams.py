"""Teams of 100 and 150 people with the longest names Telegram allows: every message arrives
(the fake Bot API refuses what Telegram refuses: over 4,096 characters, over 1,024 in a
caption), long lists page or go on in the next message, and no name is ever left out.

Wednesday 25 November 2026, noon in Moscow.
"""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.outgoing.weekly import queue_weekly_reports
from bot.services.periods import Period, period_range
from bot.services.targets import TargetCommand, set_target
from models import Metric, TeamInfo
from models.base import Clock
from models.user import User
from tests.e2e.conftest import RunningBot
from tests.fake_telegram import BotMessage, FakeTelegram, FakeUser
from tests.people import join, new_team, register, reread

NOON_25_NOV = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MANAGER = 1
# Telegram's first names, last names and team names here are up to 64 characters.
TEAM_NAME = "Sales <North> & South".ljust(64, "!")


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_25_NOV)
    return frozen_clock


def long_name(number: int) -> str:
    """64 characters that HTML would escape, and Cyrillic letters."""
    return f"{number:03d} <Ann & Bob>".ljust(64, "Ж")


async def big_team(
    kpi: RunningBot, size: int, language: str = "en"
) -> tuple[FakeUser, list[str], TeamInfo]:
    """A manager (in the chat) and `size - 1` members with the longest names; their names."""
    manager = kpi.tg.user(MANAGER, "Anna <Boss> & Co", username="anna", language_code=language)
    names = []
    async with kpi.db.write() as session:
        await register(
            session, MANAGER, manager.first_name, username="anna", language_code=language
        )
        team = await new_team(session, MANAGER, TEAM_NAME)
        for number in range(1, size):
            name = long_name(number)
            username = f"seller_{number:03d}".ljust(32, "x")
            await register(session, 1000 + number, name, username=username, last_name="Й" * 64)
            await join(session, 1000 + number, team)
            names.append(name)
    return manager, names, team


def assert_nothing_refused(tg: FakeTelegram) -> None:
    refused = [(r.method, r.description) for r in tg.requests if r.status not in (0, 200)]
    assert refused == []


def page_label(message: BotMessage) -> tuple[int, int]:
    found = re.search(r"(?:Page|Страница) (\d+) (?:of|из) (\d+)$", message.plain or "")
    assert found is not None, message.plain
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("size", [100, 150])
async def test_team_roster_pages_through_everyone(kpi: RunningBot, size: int) -> None:
    anna, names, _team = await big_team(kpi, size)
    first = await anna.say("/team")
    assert (first.plain or "").startswith(f"👥 {TEAM_NAME}: {size} people\n")
    number, count = page_label(first)
    assert (number, count) == (1, count) and count > 1
    assert first.buttons() == [["▶"]]
    pages = [first]
    while len(pages) < count:
        pages.append(await anna.press("▶"))
        assert page_label(pages[-1]) == (len(pages), count)
        assert pages[-1].message_id == first.message_id  # the same message, turned
    assert pages[-1].buttons() == [["◀"]]
    assert pages[1].buttons() == ([["◀", "▶"]] if count > 2 else [["◀"]])
    seen = "\n".join(page.plain or "" for page in pages)
    for name in names:
        assert seen.count(f"• {name} (@") == 1, name
    assert seen.count("👑 Anna <Boss> & Co (@anna) — manager") == 1
    back = await anna.press("◀")
    assert page_label(back) == (count - 1, count)
    assert_nothing_refused(kpi.tg)


async def test_roster_page_button_rechecks_the_manager(kpi: RunningBot) -> None:
    anna, _names, _team = await big_team(kpi, 100)
    bob = kpi.tg.user(1001, long_name(1), username="seller_001".ljust(32, "x"))
    await anna.say(f"/promote @{bob.username}")
    await anna.say("/team")
    await bob.say("/demote @anna")
    query_id = anna.press_nowait("▶")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert answer.text == "⛔ Only the team's manager can do this."
    assert page_label(anna.messages[-1]) == (1, page_label(anna.messages[-1])[1])


@pytest.mark.parametrize("size", [100, 150])
async def test_leaderboard_goes_on_in_the_next_messages(kpi: RunningBot, size: int) -> None:
    anna, names, _team = await big_team(kpi, size, language="ru")
    first = await anna.say("/leaderboard")
    messages = [first]
    while not (messages[-1].plain or "").rstrip().splitlines()[-1].startswith("Команда:"):
        messages.append(await anna.receive())
    assert len(messages) > 1
    assert (first.plain or "").startswith("🏆 ")
    rows = [
        line
        for message in messages
        for line in (message.plain or "").splitlines()
        if re.match(r"^\d+\. ", line)
    ]
    assert len(rows) == size
    assert [int(row.split(".")[0]) for row in rows] == list(range(1, size + 1))
    for name in names:
        assert sum(f". {name} — " in row for row in rows) == 1, name
    assert_nothing_refused(kpi.tg)


async def test_log_of_a_long_day_pages_back_to_the_first_entry(kpi: RunningBot) -> None:
    anna, _names, _team = await big_team(kpi, 2)
    note = "<client> & co " * 6
    for number in range(1, 91):
        await anna.say(f"/call 1 #line{number} {note}{number}")
    newest = await anna.say("/log")
    assert page_label(newest) == (3, 3)
    assert newest.buttons()[-1] == ["◀"]
    assert "90. " in (newest.plain or "") and "❌ 90" in str(newest.buttons())
    await anna.press("◀")
    oldest = await anna.press("◀")
    assert page_label(oldest) == (1, 3)
    assert (oldest.plain or "").splitlines()[2].startswith("1. 12:00 · 1 call #line1")
    assert oldest.buttons()[0][0] == "❌ 1" and oldest.buttons()[-1] == ["▶"]
    after = await anna.press("❌ 1")
    assert page_label(after) == (1, 3)  # the page stays where the entry was
    assert (after.plain or "").splitlines()[2].startswith("1. 12:00 · 1 call #line2")
    assert await kpi.live_entries() == 89
    assert_nothing_refused(kpi.tg)


async def test_log_page_button_rechecks_who_may_read_it(kpi: RunningBot) -> None:
    anna, _names, _team = await big_team(kpi, 3)
    bob = kpi.tg.user(1001, long_name(1), username="seller_001".ljust(32, "x"))
    for number in range(1, 61):
        await bob.say(f"/call 1 note {number} " + "x" * 70)
    shown = await anna.say(f"/log @{bob.username}")
    assert page_label(shown) == (2, 2)
    await anna.say(f"/promote @{bob.username}")
    await bob.say("/demote @anna")
    query_id = anna.press_nowait("◀")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert answer.text == "⛔ Only the team's manager can open someone else's entries."


async def test_monday_caption_names_who_fits_and_sends_the_whole_list(kpi: RunningBot) -> None:
    anna, names, team = await big_team(kpi, 150)
    await anna.say("/target calls 100 week")
    async with kpi.db.write() as session:
        # The members have blocked the bot: only the manager's copy (the team chart) is drawn,
        # not 149 charts of their own, which this test is not about.
        await session.execute(update(User).where(User.id != MANAGER).values(blocked_bot=True))
        team = await reread(session, team)
        week = period_range(Period.WEEK, NOON_25_NOV.date())
        assert await queue_weekly_reports(session, team, week) > 0
    kpi.outbox.wake()
    photo = await kpi.tg.wait_for(lambda m: m.photo is not None, 20, chat_id=MANAGER)
    caption = photo.plain or ""
    assert len(caption.encode("utf-16-le")) // 2 <= 1024
    more = re.search(r"…and (\d+) more$", caption)
    assert more is not None, caption
    listed = caption.split("⚠️ Behind pace: ")[1].count(" <Ann & Bob>")
    assert listed > 5
    follow = [await kpi.tg.wait_for(lambda m: True, 10, chat_id=MANAGER)]
    header = re.fullmatch(r"⚠️ Behind pace, all (\d+):", (follow[0].plain or "").splitlines()[0])
    assert header is not None, follow[0].plain
    behind = int(header[1])
    assert listed + int(more[1]) == behind
    while sum(len((m.plain or "").splitlines()) for m in follow) < behind + 1:
        follow.append(await kpi.tg.wait_for(lambda m: True, 10, chat_id=MANAGER))
    lines = [line for m in follow for line in (m.plain or "").splitlines()]
    assert len(lines) == behind + 1
    # "Name Й. (calls)": the initial of the last name, and what they are behind on
    assert set(names) <= {re.sub(r" Й\. \(.*\)$", "", line) for line in lines[1:]}
    assert all(m.seq > photo.seq for m in follow)
    assert_nothing_refused(kpi.tg)


async def test_teamchart_caption_sends_the_whole_list_after_the_picture(kpi: RunningBot) -> None:
    anna, names, _team = await big_team(kpi, 100)
    await anna.say("/target calls 100 week")
    photo = await anna.say("/teamchart", timeout=30)
    assert photo.photo is not None
    assert re.search(r"…and \d+ more$", photo.plain or ""), photo.plain
    follow = [await anna.receive()]
    while not all(any(name in (m.plain or "") for m in follow) for name in names):
        follow.append(await anna.receive())
    assert (follow[0].plain or "").startswith("⚠️ Behind pace, all ")
    assert_nothing_refused(kpi.tg)


async def test_targets_of_everyone_go_on_in_the_next_messages(kpi: RunningBot) -> None:
    anna, names, team = await big_team(kpi, 100)
    today = NOON_25_NOV.date()
    async with kpi.db.write() as session:
        for number in range(1, 100):
            for metric, value in ((Metric.CALLS, 150 + number), (Metric.REVENUE, 100_000_000)):
                command = TargetCommand(metric, value, Period.MONTH, None)
                await set_target(session, team.id, MANAGER, command, 1000 + number, today)
    first = await anna.say("/targets")
    messages = [first]
    while "/target" not in (messages[-1].plain or "").splitlines()[-1]:
        messages.append(await anna.receive())
    assert len(messages) > 1
    lines = [line for message in messages for line in (message.plain or "").splitlines()]
    for number, name in enumerate(names, 1):
        assert f"• {name}: Calls: {150 + number} a month" in lines, name
        assert f"• {name}: Revenue: 1,000,000 ₽ a month" in lines, name
    assert_nothing_refused(kpi.tg)


async def test_help_and_export_caption_fit_a_big_team(kpi: RunningBot) -> None:
    anna, _names, _team = await big_team(kpi, 100, language="ru")
    help_messages = await anna.say_all("/help", 1)
    assert all(len(m.plain or "") <= 4096 for m in help_messages)
    assert "/leaderboard" in "".join(m.plain or "" for m in help_messages)
    export = await anna.say("/export")
    assert export.document is not None
    assert TEAM_NAME in (export.plain or "")
    assert_nothing_refused(kpi.tg)
