"""A newcomer's walk-through, as users would type it, in English and in Russian."""

import re
from datetime import timedelta

from bot.services.periods import Period, local_date, period_range
from models.base import utcnow
from tests.e2e.conftest import RunningBot
from tests.fake_telegram import BotMessage, FakeUser
from tests.people import back_then, month_start

NBSP = "\u00a0"


def invite_token(text: str) -> str:
    match = re.search(r"https://t\.me/kpi_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def moscow_today():  # type: ignore[no-untyped-def]
    return local_date(utcnow(), "Europe/Moscow")


async def join_team(
    kpi: RunningBot, member: FakeUser, token: str, *managers: FakeUser
) -> BotMessage:
    """`member` opens the invite; the managers' "new in the team" notices (sent through the
    outbox, on their own time) are in before the script goes on."""
    mark = kpi.tg.mark()
    reply = await member.say(f"/start {token}")
    for manager in managers:
        notice = await kpi.tg.next_in_chat(manager.id, mark, context=f"{manager} told")
        assert "👋" in (notice.plain or ""), notice.plain
    return reply


async def set_up_team(kpi: RunningBot, manager: FakeUser, member: FakeUser, name: str) -> str:
    """The team, set up on the first of the month (so both are paced over the whole month)."""
    with back_then(month_start()):
        await manager.say("/start")
        await manager.say(f"/newteam {name}")
        reply = await manager.say("/invite")
        token = invite_token(reply.plain or "")
        await join_team(kpi, member, token, manager)
    return token


async def test_english_walkthrough(kpi: RunningBot) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna", language_code="en")
    bob = tg.user(1002, "Bob", username="bob", language_code="en-US")

    welcome = await anna.say("/start")
    assert "/newteam" in (welcome.plain or "")
    created = await anna.say("/newteam Sales North")
    assert "Team «Sales North» is created" in (created.plain or "")
    link = await anna.say("/invite")
    assert "https://t.me/kpi_test_bot?start=" in (link.plain or "")
    token = invite_token(link.plain or "")
    assert len(token) >= 22

    joined = await join_team(kpi, bob, token, anna)
    assert "You've joined team «Sales North»" in (joined.plain or "")
    assert ["/call", "/meeting", "/lead", "/deal"] in joined.reply_buttons()

    reply = await bob.say("/call")
    assert reply.plain == "✅ Recorded: 1 call\nToday in total: 1 call"
    reply = await bob.say("/call 4 #Avito2 asked to call back")
    assert reply.plain == (
        "✅ Recorded: 4 calls #avito2\n📝 asked to call back\nToday in total: 5 calls"
    )
    reply = await bob.say("/call 3 yesterday")
    assert reply.plain == "✅ Recorded: 3 calls for yesterday\nYesterday in total: 3 calls"
    assert (await bob.say("/meeting 2")).plain == (
        "✅ Recorded: 2 meetings\nToday in total: 2 meetings"
    )
    assert (await bob.say("/lead 4 #avito2")).plain == (
        "✅ Recorded: 4 leads #avito2\nToday in total: 4 leads"
    )
    reply = await bob.say("/deal 15 000 #avito2")
    assert reply.plain == "✅ Recorded: deal 15,000 ₽ #avito2\nToday in total: 1 deal · 15,000 ₽"
    reply = await bob.say("/deal 1,5k repeat")
    assert reply.plain == (
        "✅ Recorded: deal 1,500 ₽, repeat sale\nToday in total: 2 deals · 16,500 ₽"
    )
    reply = await bob.say("/deal 100")
    assert reply.plain == "✅ Recorded: deal 100 ₽\nToday in total: 3 deals · 16,600 ₽"
    undo = await bob.say("/undo")
    assert undo.plain == "↩️ Removed: deal 100 ₽"

    # Anna logs too; her numbers never mix with Bob's.
    assert (await anna.say("/call 10")).plain == "✅ Recorded: 10 calls\nToday in total: 10 calls"

    today = moscow_today()
    yesterday = today - timedelta(days=1)
    day = (await bob.say("/today")).plain or ""
    assert day.splitlines()[2:] == [
        "📞 Calls: 5",
        "👥 Meetings: 2",
        "🎯 Leads: 4",
        "🤝 Deals: 2",
        "💰 Revenue: 16,500 ₽",
        "📈 Conversion lead → deal: 50% (2 of 4)",
        "🧾 Average deal: 8,250 ₽",
        "🔁 Repeat sales: 50% (1 of 2)",
        "",
        "By tag",
        "#avito2: 4 calls, 4 leads, 1 deal · 15,000 ₽ · conv. 25% · avg 15,000 ₽",
        "no tag: 1 call, 2 meetings, 1 deal · 1,500 ₽ · avg 1,500 ₽ · repeat 100%",
        "Conversion is left out where deals outnumber leads: no tag.",
    ]
    for command, period in (("/week", Period.WEEK), ("/month", Period.MONTH)):
        text = (await bob.say(command)).plain or ""
        calls = 5 + (3 if yesterday >= period_range(period, today).start else 0)
        assert f"📞 Calls: {calls}\n" in text
        assert "💰 Revenue: 16,500 ₽" in text
    month_title = (await anna.say("/month")).plain or ""
    assert month_title.startswith(f"📊 {today.strftime('%B %Y')}")
    assert "📞 Calls: 10" in month_title
    assert await kpi.live_entries() == 8


async def test_russian_walkthrough(kpi: RunningBot) -> None:
    tg = kpi.tg
    olga = tg.user(2001, "Ольга", username="olga", language_code="ru")
    ivan = tg.user(2002, "Иван", username="ivan", language_code="ru")

    welcome = await olga.say("/start")
    assert "Привет" in (welcome.plain or "")
    created = await olga.say("/newteam Продажи Север")
    assert "Команда «Продажи Север» создана" in (created.plain or "")
    token = invite_token((await olga.say("/invite")).plain or "")
    joined = await join_team(kpi, ivan, token, olga)
    assert "Вы в команде «Продажи Север»" in (joined.plain or "")

    assert (await ivan.say("/call")).plain == "✅ Записано: 1 звонок\nСегодня всего: 1 звонок"
    assert (await ivan.say("/call 3")).plain == ("✅ Записано: 3 звонка\nСегодня всего: 4 звонка")
    assert (await ivan.say("/call 1")).plain == ("✅ Записано: 1 звонок\nСегодня всего: 5 звонков")
    assert (await ivan.say("/meeting 2 вчера")).plain == (
        "✅ Записано: 2 встречи за вчера\nВчера всего: 2 встречи"
    )
    assert (await ivan.say("/lead 5 #авито")).plain == (
        "✅ Записано: 5 лидов #авито\nСегодня всего: 5 лидов"
    )
    reply = await ivan.say("/deal 15 000 ₽ #авито")
    assert reply.plain == (
        f"✅ Записано: сделка на 15{NBSP}000 ₽ #авито\nСегодня всего: 1 сделка · 15{NBSP}000 ₽"
    )
    reply = await ivan.say("/deal 1,5млн повтор")
    assert reply.plain == (
        f"✅ Записано: сделка на 1{NBSP}500{NBSP}000 ₽, повторная продажа\n"
        f"Сегодня всего: 2 сделки · 1{NBSP}515{NBSP}000 ₽"
    )
    day = (await ivan.say("/today")).plain or ""
    assert day.splitlines()[2:9] == [
        "📞 Звонки: 5",
        "👥 Встречи: 0",
        "🎯 Лиды: 5",
        "🤝 Сделки: 2",
        f"💰 Выручка: 1{NBSP}515{NBSP}000 ₽",
        "📈 Конверсия лид → сделка: 40% (2 из 5)",
        f"🧾 Средний чек: 757{NBSP}500 ₽",
    ]
    assert "#авито: 5 лидов, 1 сделка · 15" in day
    assert "без тега: 5 звонков, 1 сделка" in day
    undo = await ivan.say("/undo")
    assert undo.plain == f"↩️ Удалено: сделка на 1{NBSP}500{NBSP}000 ₽, повторная продажа"
    week = (await ivan.say("/week")).plain or ""
    assert week.startswith("📊 Неделя ")
    assert "🤝 Сделки: 1" in week
    assert await kpi.live_entries() == 6


async def test_backdated_by_date_and_empty_views(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Anna")
    await anna.say("/newteam Solo")
    empty = await anna.say("/today")
    assert "Nothing logged yet" in (empty.plain or "")
    today = moscow_today()
    three_days_ago = today - timedelta(days=3)
    reply = await anna.say(f"/lead 2 {three_days_ago.isoformat()}")
    label = f"{three_days_ago.day} {three_days_ago.strftime('%B')}"
    assert reply.plain == f"✅ Recorded: 2 leads for {label}\n{label} in total: 2 leads"
    entries = await kpi.all_entries()
    assert [(e.count, e.business_date) for e in entries] == [(2, three_days_ago)]
