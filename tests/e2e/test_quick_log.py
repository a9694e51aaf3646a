"""The log commands' short way (bot/quick_log.py): the same entries and replies as the usual
way through the ORM, and a failure half-way still answers and leaves nothing behind."""

import dataclasses

from sqlalchemy import select

from bot.quick_log import QuickLogMiddleware
from bot.services.entries import ENTRY_FIELDS
from models import Entry, User
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team

# What both ways write (the moment aside), and the soft-delete mark both leave empty.
COLUMNS = (*(name for name in ENTRY_FIELDS if name != "created_at"), "deleted_at")


def stored(entry: Entry) -> tuple[object, ...]:
    return tuple(getattr(entry, name) for name in COLUMNS)


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


async def test_a_failure_on_the_quick_way_answers_and_saves_nothing(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    quick = kpi.dp["quick_log"]
    assert isinstance(quick, QuickLogMiddleware)
    working = quick.add_entry
    quick.add_entry = dataclasses.replace(working, sql="INSERT INTO no_such_table VALUES (1)")

    reply = await bob.say("/call 5")
    assert "went wrong" in (reply.plain or "")
    assert "Traceback" not in (reply.plain or "")
    assert await kpi.live_entries() == 0

    quick.add_entry = working
    assert (await bob.say("/call 2")).plain == "✅ Recorded: 2 calls\nToday in total: 2 calls"
    assert await kpi.live_entries() == 1
