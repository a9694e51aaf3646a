"""One-thumb logging and what people type on phones, as issue 11 describes it (items 10-17)."""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_access import forge_press
from tests.e2e.test_robustness import team_of_two
from tests.e2e.test_walkthrough import invite_token
from tests.fake_telegram import FakeUser


def said(message: object) -> str:
    return getattr(message, "plain", None) or ""


async def invite_of(manager: FakeUser) -> str:
    return invite_token(said(await manager.say("/invite")))


# --- 17. forged buttons and sender-less messages ------------------------------------------------


async def test_forged_button_beyond_64_bits_gets_a_notice_and_changes_nothing(
    kpi: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    _anna, bob = await team_of_two(kpi)
    await bob.say("/call 2")
    await bob.say("/log")
    caplog.set_level(logging.WARNING)
    for data in (
        "lgd:9223372036854775808",
        "lgd:-1",
        "lgd:0",
        "st:99999999999999999999999:pb:0",
        "st:1:wd:99999999999999999999",
    ):
        query_id = forge_press(kpi, bob, data)
        answer = await kpi.tg.wait_callback_answer(query_id)
        assert answer.text == "This button no longer works. Send the command again.", data
    await kpi.tg.expect_silence(bob.id, 0.1)
    assert await kpi.live_entries() == 1
    assert "lgd:9223372036854775808" in caplog.text
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


async def test_private_message_without_sender_is_ignored_with_a_warning(
    kpi: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    stranger = kpi.tg.user(3001, "Stranger")
    for text in ("/newteam Ghosts", "/call", "hello"):
        kpi.tg.push_update(
            {
                "message": {
                    "message_id": 1,
                    "chat": stranger.chat_obj,
                    "date": int(time.time()),
                    "text": text,
                }
            }
        )
    await kpi.tg.wait_until_consumed()
    await kpi.tg.expect_silence(stranger.id, 0.3)
    assert "has no sender; ignored" in caplog.text
    assert not any(record.exc_info for record in caplog.records)
    # The person themselves is answered as usual afterwards.
    assert "is created" in said(await stranger.say("/newteam Real"))


# --- 11. common typing --------------------------------------------------------------------------


async def test_common_typing_is_accepted_when_unambiguous(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # noon in Moscow
    _anna, bob = await team_of_two(kpi)
    assert said(await bob.say("/deal 15.000")).startswith("✅ Recorded: deal 15,000 ₽")
    assert said(await bob.say("/deal 15000.")).startswith("✅ Recorded: deal 15,000 ₽")
    assert said(await bob.say("/deal 1.500.000 #avito")).startswith(
        "✅ Recorded: deal 1,500,000 ₽ #avito"
    )
    assert said(await bob.say("/Call 2")) == "✅ Recorded: 2 calls\nToday in total: 2 calls"
    assert said(await bob.say("/MEETING")).startswith("✅ Recorded: 1 meeting")
    deals = [e.amount_kopecks for e in await kpi.all_entries() if e.amount_kopecks]
    assert deals == [1_500_000, 1_500_000, 150_000_000]


async def test_common_typing_is_refused_specifically_when_not(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    _anna, bob = await team_of_two(kpi)
    cases = {
        "/call five": "Write the number in digits: “five” is a word.",
        "/call 1 tomorrow": "tomorrow is in the future: you can log today or earlier.",
        "/meeting завтра": "завтра is in the future",
        "/call 3 10.12": "10.12 is in the future: you can log today or earlier.",
        "/deal 0.500": "“0.500” has too many decimals",
    }
    for text, expected in cases.items():
        reply = said(await bob.say(text))
        assert expected in reply, (text, reply)
        assert "more than 31 days ago" not in reply
    assert await kpi.live_entries() == 0

    ольга = kpi.tg.user(1003, "Ольга", language_code="ru")
    await ольга.say(f"/start {await invite_of(_anna)}")
    assert "Напишите число цифрами: «пять» — это слово." in said(await ольга.say("/call пять"))
    assert "завтра — это в будущем" in said(await ольга.say("/call 1 завтра"))
    assert await kpi.live_entries() == 0


# --- 10. a bare /deal asks for the amount -------------------------------------------------------


async def test_bare_deal_asks_for_the_amount_and_takes_the_next_message(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    joined = bob.messages[-1]
    assert "/deal" in joined.reply_buttons()[0]  # the keyboard's deal button sends a bare /deal
    await bob.say("/lead #avito")
    await bob.say("/call #site")

    question = await bob.say("/deal")
    assert said(question).startswith("🤝 How much was the deal?")
    assert question.buttons() == [["#site", "#avito"], ["Cancel"]]
    # A typo: told exactly what is wrong, and asked again; nothing stored.
    again = await bob.say("fifteen thousand")
    assert said(again) == (
        "“fifteen” is not an amount.\nSend the amount again, like 15000, or /cancel."
    )
    assert await kpi.live_entries() == 2
    done = await bob.say("15000 #avito Ivanov, windows")
    assert said(done) == (
        "✅ Recorded: deal 15,000 ₽ #avito\n📝 Ivanov, windows\nToday in total: 1 deal · 15,000 ₽"
    )
    # The question is closed: the next number is not a deal any more.
    assert said(await bob.say("20000")).startswith("To log work, send a command")
    assert (
        "This question is closed"
        in (await kpi.tg.wait_callback_answer(bob.press_nowait("#site"))).text
    )

    # A recent tag tapped first, then the amount alone.
    await bob.say("/deal")
    tagged = await bob.press("#site")
    assert said(tagged).startswith("🤝 A deal with #site. How much was it?")
    assert said(await bob.say("7.500")).startswith("✅ Recorded: deal 7,500 ₽ #site")

    # Cancelled by the button and by /cancel; a bare /call still logs one call.
    await bob.say("/deal")
    assert said(await bob.press("Cancel")) == "Cancelled."
    await bob.say("/deal")
    assert said(await bob.say("/cancel")) == "Cancelled."
    assert said(await bob.say("5000")).startswith("To log work")
    assert said(await bob.say("/call")) == "✅ Recorded: 1 call\nToday in total: 2 calls"
    deals = [(e.amount_kopecks, e.tag, e.note) for e in await kpi.all_entries() if e.amount_kopecks]
    assert deals == [(1_500_000, "avito", "Ivanov, windows"), (750_000, "site", None)]

    # In Russian, for someone with no tags yet.
    ольга = kpi.tg.user(1003, "Ольга", language_code="ru")
    await ольга.say(f"/start {await invite_of(anna)}")
    question = await ольга.say("/deal")
    assert said(question).startswith("🤝 На какую сумму сделка?")
    assert question.buttons() == [["Отмена"]]
    assert said(await ольга.say("15 тыс. Петров")).startswith(
        "✅ Записано: сделка на 15\u00a0000 ₽\n📝 Петров"
    )


# --- 12. commands in the wrong chat -------------------------------------------------------------


async def test_group_commands_in_private_and_private_commands_in_the_group(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    frozen_clock.freeze(start)
    anna, bob = await team_of_two(kpi)
    assert said(await anna.say("/bindchat")) == (
        "/bindchat works in a group: add me to your team's group and send /bindchat there."
    )
    assert said(await bob.say("/unbindchat")).startswith("/unbindchat works in a group")
    ольга = kpi.tg.user(1003, "Ольга", language_code="ru")
    assert said(await ольга.say("/bindchat")).startswith("/bindchat работает в группе")

    group = kpi.tg.group(-100_700, "Sales chat")
    assert said(await group.say(anna, "/bindchat")).startswith("✅ This group is now")
    mark = kpi.tg.mark()
    pointer = await group.say(bob, "/today")
    assert said(pointer) == (
        "📬 I answer commands in a private chat, so that everyone's numbers stay their own: "
        "open @kpi_test_bot and send it there."
    )
    # Within the minute: no more pointers; ordinary talk and other bots' commands: never.
    for text in ("/call 5", "/Month", "/leaderboard@kpi_test_bot", "hello all", "/help@other_bot"):
        group.send(bob, text)
    await kpi.tg.wait_until_consumed()
    await kpi.tg.expect_silence(group.id, 0.3)
    assert [m.seq for m in group.messages if m.seq > mark] == [pointer.seq]
    # A minute later, the next command gets the pointer again.
    frozen_clock.freeze(start + timedelta(minutes=1, seconds=1))
    assert said(await group.say(ольга, "/week")).startswith("📬 На команды я отвечаю в личном")
    assert await kpi.live_entries() == 0


# --- 13. joining and leaving are told; Russian wording --------------------------------------------


async def test_manager_hears_who_joined_and_a_removed_member_is_told(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    await anna.say("/newteam Sales")
    token = await invite_of(anna)
    bob = kpi.tg.user(1002, "Bob", username="bob")
    mark = kpi.tg.mark()
    await bob.say(f"/start {token}")
    notice = await kpi.tg.next_in_chat(anna.id, mark)
    assert said(notice) == "👋 New in team «Sales»: Bob (@bob). /team shows everyone."

    # A second manager, in Russian, hears the next one.
    assert said(await anna.say("/promote @bob")) == "👑 Bob is now a manager of the team."
    bob.language_code = "ru"  # his phone in Russian now: the bot learns it from his next message
    await bob.say("/today")
    ольга = kpi.tg.user(1003, "Ольга")
    mark = kpi.tg.mark()
    await ольга.say(f"/start {token}")
    to_anna = await kpi.tg.next_in_chat(anna.id, mark)
    to_bob = await kpi.tg.next_in_chat(bob.id, mark)
    assert said(to_anna) == "👋 New in team «Sales»: Ольга. /team shows everyone."
    assert said(to_bob) == "👋 Новый человек в команде «Sales»: Ольга. /team — все участники."

    mark = kpi.tg.mark()
    done = await anna.say("/remove @bob")
    assert said(done).startswith("Bob is no longer in «Sales».")
    told = await kpi.tg.next_in_chat(bob.id, mark)
    assert said(told).startswith("Вы больше не в команде «Sales»: руководитель исключил вас.")
    assert told.reply_markup == {"remove_keyboard": True}
    assert said(await bob.say("/call")).startswith("Вы пока не в команде")


async def test_help_and_russian_wording(kpi: RunningBot) -> None:
    stranger = kpi.tg.user(3001, "Stranger")
    assert said(await stranger.say("/help")).count("/newteam") == 1
    anna = kpi.tg.user(1001, "Анна", username="anna", language_code="ru")
    await anna.say("/newteam Продажи")
    assert said(await anna.say("/help")).count("/newteam") == 1
    ольга = kpi.tg.user(1003, "Ольга", username="olga", language_code="ru")
    await ольга.say(f"/start {await invite_of(anna)}")
    added = said(await ольга.say("/vacation 21.12 25.12"))
    assert added.startswith("🌴 Отпуск: Ольга, "), added
    assert said(await ольга.say("/vacation")).startswith("🌴 Отпуска: Ольга")
    export = await anna.say("/export 2026-11")
    assert said(export).startswith("📎 Команда «Продажи», ноябрь 2026:"), said(export)


# --- 14. the managers' "/" menu only for managers ----------------------------------------------


def menu(kpi: RunningBot, scope: dict[str, object], language: str = "") -> list[str] | None:
    key = (json.dumps(scope, sort_keys=True), language)
    commands = kpi.tg.commands.get(key)
    return None if commands is None else [c["command"] for c in commands]


def chat_menus(kpi: RunningBot, user: FakeUser) -> dict[str, list[str] | None]:
    scope = {"type": "chat", "chat_id": user.id}
    return {language: menu(kpi, scope, language) for language in ("", "ru")}


async def manager_menu_of(kpi: RunningBot, user: FakeUser, present: bool) -> None:
    """Wait for the menu calls that follow a reply; then both languages agree."""
    for _ in range(100):
        menus = chat_menus(kpi, user).values()
        if all((commands is not None and "team" in commands) == present for commands in menus):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{user}'s menu: {chat_menus(kpi, user)}")


async def test_managers_menu_only_in_managers_chats(kpi: RunningBot) -> None:
    everyone = {"type": "all_private_chats"}
    for language in ("", "ru"):
        members_menu = menu(kpi, everyone, language) or []
        assert "deal" in members_menu and "today" in members_menu
        assert not {"team", "leaderboard", "invite", "settings"} & set(members_menu)
        assert not {"dashboard", "tv"} & set(members_menu)  # no PUBLIC_URL: not served
    anna, bob = await team_of_two(kpi)
    await manager_menu_of(kpi, anna, True)
    for commands in chat_menus(kpi, anna).values():
        assert commands is not None
        assert {"team", "leaderboard", "invite", "settings", "deal", "today"} <= set(commands)
        assert not {"dashboard", "tv"} & set(commands)
    assert chat_menus(kpi, bob) == {"": None, "ru": None}
    russian = kpi.tg.commands[(json.dumps({"chat_id": anna.id, "type": "chat"}), "ru")]
    assert {"command": "team", "description": "Команда: люди, роли, сегодня"} in russian

    await anna.say("/promote @bob")
    await manager_menu_of(kpi, bob, True)
    await anna.say("/demote @bob")
    await manager_menu_of(kpi, bob, False)
    assert chat_menus(kpi, bob) == {"": None, "ru": None}
    await anna.say("/promote @bob")
    await manager_menu_of(kpi, bob, True)
    await anna.say("/remove @bob")
    await manager_menu_of(kpi, bob, False)
    # Someone who creates a team becomes its manager, menu and all.
    assert "is created" in said(await bob.say("/newteam Bob's"))
    await manager_menu_of(kpi, bob, True)
    await manager_menu_of(kpi, anna, True)
    # Back to Anna's team as an employee: the managers' menu goes.
    await bob.say(f"/start {await invite_of(anna)}")
    assert said(await bob.press("Move to Sales")).startswith("🎉 You've joined team «Sales»")
    await manager_menu_of(kpi, bob, False)


# --- 16. a team never loses its last manager -------------------------------------------------


async def test_create_and_move_is_refused_to_the_last_manager_when_pressed(
    kpi: RunningBot,
) -> None:
    anna, _bob = await team_of_two(kpi)
    await anna.say("/promote @bob")
    prompt = await anna.say("/newteam North")
    assert prompt.buttons() == [["Create and move"], ["Stay where I am"]]
    # Meanwhile Bob is a manager no more: Anna is the last one again.
    await anna.say("/demote @bob")
    refused = await anna.press("Create and move")
    assert said(refused).startswith("You are the only manager of «Sales»")
    assert "Sales" in said(await anna.say("/team"))
    assert "👑 Anna" in said(await anna.say("/team"))

    # The same for an invite to another team, confirmed after the rule stopped holding.
    dora = kpi.tg.user(1004, "Dora", username="dora")
    await dora.say("/newteam Rivals")
    await anna.say("/promote @bob")
    join_prompt = await anna.say(f"/start {await invite_of(dora)}")
    assert join_prompt.buttons() == [["Move to Rivals"], ["Stay in Sales"]]
    await anna.say("/demote @bob")
    refused = await anna.press("Move to Rivals")
    assert said(refused).startswith("You are the only manager of «Sales»")
    assert "👑 Anna" in said(await anna.say("/team"))

    # A "create and move" asked in one team is stale once its asker moved: nothing is created.
    await anna.say("/promote @bob")
    await anna.say("/newteam West")
    rivals = await invite_of(dora)
    await anna.say(f"/start {rivals}")
    moved = await anna.press("Move to Rivals")
    assert said(moved).startswith("🎉 You've joined team «Rivals»")
    stale = await anna.press("Create and move")
    assert said(stale).startswith("Something changed in the meantime")
    assert "You're already in team «Rivals»" in said(await anna.say(f"/start {rivals}"))
