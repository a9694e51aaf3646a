"""/chart and /teamchart as users meet them, on a frozen clock.

Wednesday 25 November 2026, noon in Moscow: the week is 23-29 November.
"""

import struct
from datetime import UTC, datetime

import pytest

from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import join_team, set_up_team
from tests.fake_telegram import BotMessage, FakeUser

NOON_25_NOV = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " "})


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_25_NOV)
    return frozen_clock


def caption(reply: BotMessage) -> str:
    """The caption as the user reads it, Babel's thin and no-break spaces as plain ones."""
    return (reply.plain or "").translate(SPACES)


def assert_chart(reply: BotMessage) -> None:
    assert reply.method == "sendPhoto"
    png = reply.photo
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    width, _height = struct.unpack(">II", png[16:24])
    assert width >= 1080 and len(png) < 1_000_000


async def sales_team(kpi: RunningBot) -> tuple[FakeUser, FakeUser, FakeUser]:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    ivan = kpi.tg.user(1003, "Иван", username="ivan", language_code="ru")
    token = await set_up_team(kpi, anna, bob, "Sales")
    await join_team(kpi, ivan, token, anna)
    await anna.say("/target calls 50 week")
    await bob.say("/call 12")
    await bob.say("/deal 15 000")
    await ivan.say("/call 3")
    return anna, bob, ivan


async def test_own_chart_for_the_week_and_the_month(kpi: RunningBot) -> None:
    _anna, bob, _ivan = await sales_team(kpi)
    week = await bob.say("/chart")
    assert_chart(week)
    # Due by Wednesday: 3 of the week's 5 working days of 50 calls = 30.
    assert caption(week) == (
        "📈 Your numbers · Nov 23 – 29\n"
        "12 calls · 0 meetings · 1 deal · 15,000 ₽\n"
        "⚠️ Behind pace: Calls"
    )
    month = await bob.say("/chart month")
    assert_chart(month)
    assert caption(month).startswith("📈 Your numbers · November 2026\n12 calls")
    assert month.photo != week.photo


async def test_team_chart_for_the_manager_only(kpi: RunningBot) -> None:
    anna, bob, _ivan = await sales_team(kpi)
    reply = await anna.say("/teamchart")
    assert_chart(reply)
    assert caption(reply) == (
        "📊 Sales · Nov 23 – 29\n"
        "Team: 15 calls · 0 meetings · 1 deal · 15,000 ₽\n"
        "🏆 Top performer: Bob — 1 deal, 15,000 ₽\n"
        "⚠️ Behind pace: Bob (calls), Иван (calls)"  # Anna manages: team targets aren't hers
    )
    assert_chart(await anna.say("/teamchart month"))
    refused = await bob.say("/teamchart")
    assert refused.plain == "⛔ Only the team's manager can do this."


async def test_bad_argument_and_no_team(kpi: RunningBot) -> None:
    anna, bob, _ivan = await sales_team(kpi)
    reply = await bob.say("/chart yesterday")
    assert reply.plain == (
        "I don't understand “yesterday”. Examples: /chart (this week), /chart month"
    )
    reply = await anna.say("/teamchart week please")
    assert reply.plain == (
        "I don't understand “please”. Examples: /teamchart (this week), /teamchart month"
    )
    stranger = kpi.tg.user(1009, "Zoe")
    await stranger.say("/start")
    assert "You're not in a team yet" in ((await stranger.say("/chart")).plain or "")


async def test_russian_user_gets_a_russian_caption(kpi: RunningBot) -> None:
    _anna, _bob, ivan = await sales_team(kpi)
    reply = await ivan.say("/chart неделя")
    assert_chart(reply)
    assert caption(reply) == (
        "📈 Ваши цифры · 23—29 нояб.\n"
        "3 звонка · 0 встреч · 0 сделок · 0 ₽\n"
        "⚠️ Отстаёте от плана: Звонки"
    )
    error = await ivan.say("/chart вчера")
    assert error.plain == "Не понимаю «вчера». Примеры: /chart (эта неделя), /chart месяц"
