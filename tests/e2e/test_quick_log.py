"""The log commands' short way (bot/quick_log.py): the same entries and replies as the usual
way through the ORM, commands that arrive together logged in one transaction, and a failed
transaction rolled back and done again the usual way."""

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from bot.quick_log import QuickLogMiddleware
from bot.services.entries import ENTRY_FIELDS
from models import Entry, User
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team
from tests.fake_telegram import FakeUser

# What both ways write (the moment aside), and the soft-delete mark both leave empty.
COLUMNS = (*(name for name in ENTRY_FIELDS if name != "created_at"), "deleted_at")


def stored(entry: Entry) -> tuple[object, ...]:
    return tuple(getattr(entry, name) for name in COLUMNS)


@dataclasses.dataclass
class Team:
    anna: FakeUser  # the manager
    bob: FakeUser
    quick: QuickLogMiddleware


@pytest.fixture
async def team(kpi: RunningBot) -> Team:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    quick = kpi.dp["quick_log"]
    assert isinstance(quick, QuickLogMiddleware)
    return Team(anna, bob, quick)


async def test_quick_and_usual_ways_store_the_same_entries(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Анна", username="anna", language_code="ru")
    bob = kpi.tg.user(1002, "Боб", username="bob", language_code="ru")
    await set_up_team(kpi, anna, bob, "Продажи")
    messages = (
        "/deal 15 000 #Avito повтор вчера «первый» клиент",
        "/call 3 #avito",
        "/meeting",
        "/lead 2 & <b>note</b>",
    )
    # Bob's profile is as stored: the short way.
    quick = [(await bob.say(text)).plain for text in messages]
    # A new username is a change for the user middleware to write: the usual way.
    bob.username = "bob_sales"
    usual = [(await bob.say(text)).plain for text in messages]

    async with kpi.session_pool() as session:
        entries = list(await session.scalars(select(Entry).order_by(Entry.id)))
        user = await session.get(User, bob.id)
    assert user is not None and user.username == "bob_sales"  # the usual way refreshed it
    assert len(entries) == 8
    assert [stored(e) for e in entries[:4]] == [stored(e) for e in entries[4:]]
    assert entries[0].amount_kopecks == 1_500_000 and entries[0].tag == "avito"
    assert entries[3].note == "& <b>note</b>"
    # The same replies; only the running totals differ (doubled).
    nbsp = "\u00a0"
    assert quick == [
        f"✅ Записано: сделка на 15{nbsp}000 ₽, повторная продажа за вчера #avito\n"
        f"📝 «первый» клиент\nВчера всего: 1 сделка · 15{nbsp}000 ₽",
        "✅ Записано: 3 звонка #avito\nСегодня всего: 3 звонка",
        "✅ Записано: 1 встреча\nСегодня всего: 1 встреча",
        "✅ Записано: 2 лида\n📝 & <b>note</b>\nСегодня всего: 2 лида",
    ]
    assert usual == [
        quick[0].replace(f"1 сделка · 15{nbsp}000 ₽", f"2 сделки · 30{nbsp}000 ₽"),
        "✅ Записано: 3 звонка #avito\nСегодня всего: 6 звонков",
        "✅ Записано: 1 встреча\nСегодня всего: 2 встречи",
        "✅ Записано: 2 лида\n📝 & <b>note</b>\nСегодня всего: 4 лида",
    ]


async def test_commands_arriving_together_are_logged_together(kpi: RunningBot, team: Team) -> None:
    anna, bob, quick = team.anna, team.bob, team.quick
    batches: list[int] = []
    log = quick._log

    async def counted(batch: list[Any]) -> list[Any]:
        batches.append(len(batch))
        return await log(batch)

    quick._log = counted  # type: ignore[method-assign]
    mark = kpi.tg.mark()
    bob.send("/call 2")
    anna.send("/deal 15k")
    bob.send("/call 3")
    bob.send("/call 0")  # bad input: the usual way explains
    bob.send("/meeting")
    anna.send("/deal 5000")
    bob.send("/call")

    bobs = sorted(m.plain or "" for m in await kpi.tg.next_n_in_chat(bob.id, mark, 5))
    annas = sorted(m.plain or "" for m in await kpi.tg.next_n_in_chat(anna.id, mark, 2))
    assert batches == [7]  # one transaction for all seven
    # Each reply counts the entries before it and not those after, as one by one.
    assert bobs[0] == (
        "The number must be from 1 to 1000; “0” is not.\nExample: /call, /call 5, "
        "/call 2 yesterday #avito"
    )
    assert bobs[1:] == [
        "✅ Recorded: 1 call\nToday in total: 6 calls",
        "✅ Recorded: 1 meeting\nToday in total: 1 meeting",
        "✅ Recorded: 2 calls\nToday in total: 2 calls",
        "✅ Recorded: 3 calls\nToday in total: 5 calls",
    ]
    assert annas == [
        "✅ Recorded: deal 15,000 ₽\nToday in total: 1 deal · 15,000 ₽",
        "✅ Recorded: deal 5,000 ₽\nToday in total: 2 deals · 20,000 ₽",
    ]
    assert await kpi.live_entries() == 6


async def test_an_update_twice_in_one_batch_is_logged_once(kpi: RunningBot, team: Team) -> None:
    bob = team.bob
    update_id = bob.send("/call 5")
    kpi.tg.redeliver(update_id)  # before the bot has seen either
    assert (await bob.receive()).plain == "✅ Recorded: 5 calls\nToday in total: 5 calls"
    await kpi.tg.wait_until_consumed()
    await kpi.tg.expect_silence(bob.id, 0.5)
    assert await kpi.live_entries() == 1


async def test_a_failed_batch_is_rolled_back_and_goes_the_usual_way(
    kpi: RunningBot, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    anna, bob, quick = team.anna, team.bob, team.quick
    working = quick.day_total
    # Fails after the update ids are claimed and the entries inserted.
    quick.day_total = dataclasses.replace(working, sql="SELECT * FROM no_such_table")

    mark = kpi.tg.mark()
    bob.send("/call 5")
    anna.send("/lead")
    assert (await kpi.tg.next_in_chat(bob.id, mark)).plain == (
        "✅ Recorded: 5 calls\nToday in total: 5 calls"
    )
    assert (await kpi.tg.next_in_chat(anna.id, mark)).plain == (
        "✅ Recorded: 1 lead\nToday in total: 1 lead"
    )
    assert "no_such_table" in caplog.text  # logged, not shown
    entries = sorted((e.user_id, e.kind.value, e.count) for e in await kpi.all_entries())
    assert entries == [(1001, "lead", 1), (1002, "call", 5)]  # each once

    quick.day_total = working
    assert (await bob.say("/call 2")).plain == "✅ Recorded: 2 calls\nToday in total: 7 calls"
    assert await kpi.live_entries() == 3


async def test_after_close_log_commands_go_the_usual_way(kpi: RunningBot, team: Team) -> None:
    bob, quick = team.bob, team.quick
    assert (await bob.say("/call")).plain == "✅ Recorded: 1 call\nToday in total: 1 call"
    await quick.close()  # the dispatcher's shutdown, while updates may still be in flight
    assert quick._connection is None
    assert (await bob.say("/call 2")).plain == "✅ Recorded: 2 calls\nToday in total: 3 calls"
    assert quick._connection is None  # the usual way logged it: no connection reopened
    assert await kpi.live_entries() == 2
