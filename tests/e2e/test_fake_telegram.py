"""The fake Bot API server against a real aiogram Bot and Dispatcher (no mocks)."""

import asyncio
import struct
import zlib

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReactionTypeEmoji,
    Update,
    WebAppInfo,
)
from aiohttp import web

from tests.fake_telegram import FakeTelegram, parse_html


def make_bot(tg: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token or tg.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def test_get_me_and_send_message_are_recorded(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    assert tg.base_url.startswith("http://127.0.0.1:")
    assert len(tg.token.split(":", 1)[1]) == 35
    bob = tg.user(1001, "Bob", username="bob")
    bot = make_bot(tg)
    try:
        me = await bot.get_me()
        assert me.username == "kpi_test_bot"
        assert me.id == tg.bot_id

        sent = await bot.send_message(bob.id, "<b>15,000 ₽</b> &amp; more")
        assert sent.chat.id == 1001
        assert sent.from_user is not None and sent.from_user.id == tg.bot_id
        assert sent.text == "15,000 ₽ & more"  # Telegram parses the HTML away
        assert sent.entities is not None and sent.entities[0].type == "bold"
        assert sent.html_text == "<b>15,000 ₽</b> &amp; more"

        request = next(r for r in tg.requests if r.method == "sendMessage")
        assert request.params["chat_id"] == 1001
        assert request.params["parse_mode"] == "HTML"
        assert bob.last is not None
        assert bob.last.text == "<b>15,000 ₽</b> &amp; more"
        assert bob.last.plain == "15,000 ₽ & more"
        assert bob.last.message_id == sent.message_id
        assert not bob.last.edited

        second = await bot.send_message("1001", "again")  # a string chat_id is fine too
        assert second.message_id == sent.message_id + 1
    finally:
        await bot.session.close()


async def test_echo_bot_with_real_polling(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = make_bot(tg)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        bob = tg.user(1001, "Bob", username="bob")
        reply = await bob.say("hi")
        assert reply.text == "hi"
        assert reply.chat_id == 1001
        reply = await bob.say("/start abc")
        assert reply.text == "/start abc"
        await tg.wait_until_consumed()
        assert tg.pending_updates == 0
    finally:
        await dp.stop_polling()
        await task
        await bot.session.close()
    assert [m.text for m in tg.chat_messages(1001)] == ["hi", "/start abc"]


async def test_command_entity_and_message_ids(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    seen: list[Message] = []
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        seen.append(message)
        await message.answer(f"welcome {message.from_user.first_name if message.from_user else ''}")

    dp = Dispatcher()
    dp.include_router(router)
    async with tg.polling(dp, make_bot(tg)):
        ann = tg.user(2002, "Ann", username="ann", language_code="ru")
        reply = await ann.say("/start abc")
    assert reply.text == "welcome Ann"
    message = seen[0]
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].offset, message.entities[0].length) == (
        "bot_command",
        0,
        6,
    )
    assert message.from_user is not None and message.from_user.language_code == "ru"
    assert message.message_id == 1
    assert reply.message_id == 2  # ids are shared by both sides of a chat


async def test_press_inline_button_reaches_callback_handler(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    router = Router()
    pressed: list[str] = []

    @router.message(Command("deal"))
    async def deal(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Yes, join", callback_data="join:yes"),
                    InlineKeyboardButton(text="No", callback_data="join:no"),
                ]
            ]
        )
        await message.answer("Join the deal?", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("join:"))
    async def on_join(callback: CallbackQuery) -> None:
        pressed.append(callback.data or "")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(f"You chose {callback.data}")
        await callback.answer("Saved")

    dp = Dispatcher()
    dp.include_router(router)
    async with tg.polling(dp, make_bot(tg)):
        bob = tg.user(1001, "Bob")
        question = await bob.say("/deal 15 000")
        assert question.buttons() == [["Yes, join", "No"]]
        assert question.callback_data("Yes") == "join:yes"

        reply = await bob.press("Yes, join")
        assert reply.edited
        assert reply.message_id == question.message_id
        assert reply.text == "You chose join:yes"
        assert reply.buttons() == []  # editMessageText without reply_markup drops the keyboard
        answer = await tg.wait_callback_answer()

    assert pressed == ["join:yes"]
    assert answer.text == "Saved"
    assert answer.data == "join:yes"
    assert answer.user_id == 1001
    assert tg.callback_answers == [answer]
    with pytest.raises(AssertionError, match="no inline button"):
        bob.press_nowait("No")  # the keyboard is gone after the edit


async def test_failure_injection(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    tg.user(1001, "Bob")
    tg.group(-100500, "Sales")
    bot = make_bot(tg)
    try:
        tg.fail_next("sendMessage", 429, retry_after=1)
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(1001, "one")
        assert retry.value.retry_after == 1
        await bot.send_message(1001, "two")
        assert [m.text for m in tg.messages] == ["two"]
        failed = [r for r in tg.requests if r.method == "sendMessage" and not r.ok]
        assert len(failed) == 1 and failed[0].status == 429
        assert tg.stats["429"] == 1

        tg.fail_next("sendMessage", 500)
        with pytest.raises(TelegramServerError):
            await bot.send_message(1001, "three")
        tg.fail_next("sendMessage", 403)
        with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
            await bot.send_message(1001, "four")

        tg.fail_next("sendMessage", 500, times=2)
        for _ in range(2):
            with pytest.raises(TelegramServerError):
                await bot.send_message(1001, "five")
        await bot.send_message(1001, "six")

        tg.fail_chat(1001)
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(1001, "seven")
        with pytest.raises(TelegramForbiddenError):
            await bot.send_chat_action(1001, "typing")
        await bot.send_message(-100500, "the group still works")
        tg.unfail_chat(1001)
        await bot.send_message(1001, "eight")

        assert [m.text for m in tg.chat_messages(1001)] == ["two", "six", "eight"]

        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(424242, "nobody")
    finally:
        await bot.session.close()


async def test_bad_requests_like_telegram(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    tg.user(1001, "Bob")
    bot = make_bot(tg)
    try:
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(1001, "Bob <3 deals")  # an unescaped "<"
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(1001, "<b>open")
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(1001, "x" * 4097)
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                1001,
                "too much data",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="d" * 65)]]
                ),
            )
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await bot.send_message(
                1001,
                "the dashboard",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text="x", web_app=WebAppInfo(url="http://e.x/"))]
                    ]
                ),
            )
        sent = await bot.send_message(1001, "Bob &lt;3 deals", parse_mode=None)
        assert sent.text == "Bob &lt;3 deals"  # no parse mode: nothing is unescaped
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text(
                "Bob &lt;3 deals", chat_id=1001, message_id=1, parse_mode=None
            )
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await bot.edit_message_text("x", chat_id=1001, message_id=99)
        assert tg.messages[-1].text == "Bob &lt;3 deals"
        assert len(tg.messages) == 1
    finally:
        await bot.session.close()

    plain, entities = parse_html('<a href="https://e.x/?a=1&amp;b=2">💰 deal</a> <i>ok</i>')
    assert plain == "💰 deal ok"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 7, "url": "https://e.x/?a=1&b=2"},
        {"type": "italic", "offset": 8, "length": 2},
    ]


async def test_same_update_pushed_twice_is_delivered_twice(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    handled: list[int] = []
    router = Router()

    @router.message()
    async def record(message: Message, event_update: Update) -> None:
        handled.append(event_update.update_id)
        await message.answer(f"handled {len(handled)}")

    dp = Dispatcher()
    dp.include_router(router)
    bob = tg.user(1001, "Bob")
    update_id = bob.send("/deal 100")
    update = tg._queue[-1].update  # the update exactly as queued
    async with tg.polling(dp, make_bot(tg)):
        first = await bob.receive()
        await tg.wait_until_consumed()
        tg.push_raw(update)  # a redelivery after the bot already confirmed it
        second = await bob.receive()
        tg.push_raw(update)
        tg.push_raw(update)
        third, fourth = await tg.next_n_in_chat(1001, first.seq, 2)
    assert handled == [update_id] * 4
    assert [first.text, second.text, third.text, fourth.text] == [
        "handled 1",
        "handled 2",
        "handled 3",
        "handled 4",
    ]


async def test_long_polling_semantics(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    bob = tg.user(1001, "Bob")
    bot = make_bot(tg)
    tasks: list[asyncio.Task[list[Update]]] = []
    try:
        first = bob.send("one")
        second = bob.send("two")
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [first, second]
        again = await bot.get_updates(limit=1)  # nothing confirmed yet: delivered again
        assert [u.update_id for u in again] == [first]
        assert tg.pending_updates == 2
        rest = await bot.get_updates(offset=first + 1, timeout=0)
        assert [u.update_id for u in rest] == [second]
        assert tg.pending_updates == 1

        waiting = asyncio.create_task(bot.get_updates(offset=second + 1, timeout=5))
        tasks.append(waiting)
        await tg.wait_for_request("getUpdates", lambda r: r.params.get("offset") == second + 1)
        assert tg.pending_updates == 0
        third = bob.send("three")
        woken = await asyncio.wait_for(waiting, 2)  # long poll answers as soon as one arrives
        assert [u.message.text for u in woken if u.message] == ["three"]
        assert woken[0].update_id == third

        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.get_updates(offset=third + 1, timeout=1) == []
        assert loop.time() - started >= 0.9

        first_poll = asyncio.create_task(bot.get_updates(offset=third + 1, timeout=5))
        tasks.append(first_poll)
        await tg.wait_for_request("getUpdates", lambda r: r.status == 0, after=len(tg.requests) - 1)
        second_poll = asyncio.create_task(bot.get_updates(offset=third + 1, timeout=0))
        with pytest.raises(TelegramConflictError):
            await first_poll
        assert await second_poll == []
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bot.session.close()


async def test_wrong_token_is_unauthorized(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    bot = make_bot(tg, token="123456789:AAHwrongwrongwrongwrongwrongwrong123")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()

    async with aiohttp.ClientSession() as http:
        url = f"{tg.base_url}/bot{tg.token}/noSuchMethod"
        async with http.post(url, json={"chat_id": 1}) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.get(f"{tg.base_url}/bot{tg.token}/getme") as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["username"] == "kpi_test_bot"
        tg.user(1001, "Bob")
        url = f"{tg.base_url}/bot{tg.token}/sendMessage?chat_id=1001"
        async with http.post(url, json={"text": "via json", "reply_markup": {}}) as response:
            assert response.status == 200
    assert tg.messages[-1].text == "via json"
    assert tg.messages[-1].chat_id == 1001


async def test_send_photo_and_document_record_bytes(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    tg.user(1001, "Bob")
    png = tiny_png(3, 2)
    bot = make_bot(tg)
    try:
        sent = await bot.send_photo(1001, BufferedInputFile(png, "c.png"), caption="<b>Chart</b>")
        assert sent.photo is not None
        assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
        assert sent.caption == "Chart"
        record = tg.messages[-1]
        assert record.method == "sendPhoto"
        assert record.photo == png
        assert record.text == "<b>Chart</b>"
        request = tg.requests[-1]
        assert request.files["photo"] == ("c.png", png)

        again = await bot.send_photo(1001, sent.photo[-1].file_id)  # re-send by file_id
        assert again.photo is not None
        assert tg.messages[-1].photo == png

        doc = await bot.send_document(1001, BufferedInputFile(b"a;b\n1;2\n", "kpi.csv"))
        assert doc.document is not None
        assert doc.document.file_name == "kpi.csv"
        assert doc.document.mime_type == "text/csv"
        assert doc.document.file_size == 8
        assert tg.messages[-1].document == ("kpi.csv", b"a;b\n1;2\n")

        downloaded = await bot.download(doc.document.file_id)
        assert downloaded is not None and downloaded.read() == b"a;b\n1;2\n"
    finally:
        await bot.session.close()


async def test_groups_and_my_chat_member(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    router = Router()

    @router.my_chat_member()
    async def added(event: ChatMemberUpdated, bot: Bot) -> None:
        await bot.send_message(event.chat.id, f"Hello, {event.chat.title}!")

    @router.message(Command("report"))
    async def report(message: Message) -> None:
        await message.reply(f"report for {message.chat.type}")

    dp = Dispatcher()
    dp.include_router(router)
    ann = tg.user(2002, "Ann")
    sales = tg.group(-1001234567890, "Sales")
    async with tg.polling(dp, make_bot(tg)):
        tg.add_bot_to_group(sales, ann)
        hello = await sales.receive()
        assert hello.text == "Hello, Sales!"
        reply = await sales.say(ann, "/report@kpi_test_bot")
        assert reply.text == "report for supergroup"
        await tg.expect_silence(sales.id, 0.05)
        tg.push_update({"edited_message": {"nonsense": True}})  # not asked for: filtered
        await tg.wait_until_consumed()
    assert sales.last is reply
    assert [m.text for m in sales.messages] == ["Hello, Sales!", "report for supergroup"]
    assert tg.allowed_updates == {"message", "my_chat_member"}
    assert len(tg.filtered_updates) == 1


async def test_wait_for_times_out_with_a_dump(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    tg.user(1001, "Bob")
    bot = make_bot(tg)
    try:
        await bot.send_message(1001, "first")
        tg.fail_next("sendMessage", 500)
        with pytest.raises(TelegramServerError):
            await bot.send_message(1001, "lost")
    finally:
        await bot.session.close()
    found = await tg.wait_for(lambda m: m.text == "first")
    assert found.text == "first"
    with pytest.raises(AssertionError) as error:
        await tg.wait_for(lambda m: m.text == "first", timeout=0.05)  # already consumed
    dump = str(error.value)
    assert "'first'" in dump
    assert "sendMessage -> 500 Internal Server Error" in dump


async def test_enforced_flood_limits() -> None:
    async with FakeTelegram(enforce_limits=True) as tg:
        tg.user(1001, "Bob")
        tg.user(1002, "Ann")
        bot = make_bot(tg)
        try:
            await bot.send_message(1001, "one")
            with pytest.raises(TelegramRetryAfter) as retry:
                await bot.send_message(1001, "two")
            assert retry.value.retry_after == 1
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(1001, "three")
            await bot.send_message(1002, "another chat is fine")
        finally:
            await bot.session.close()
        assert tg.stats["429"] == 2
        assert tg.stats["sent"] == 2
        assert [m.text for m in tg.messages] == ["one", "another chat is fine"]


async def test_webhook_posts_with_the_secret_retries_refusals_and_keeps_each_chat_in_order(
    fake_tg: FakeTelegram,
) -> None:
    tg = fake_tg
    seen: list[tuple[int, str | None, str]] = []  # (update id, secret header, text)
    refuse_first: set[int] = set()

    async def receive(request: web.Request) -> web.Response:
        update = await request.json()
        text = update.get("message", {}).get("text", "")
        seen.append(
            (update["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token"), text)
        )
        if text == "refused once" and update["update_id"] not in refuse_first:
            refuse_first.add(update["update_id"])
            return web.Response(status=500)
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    bot = make_bot(tg)
    try:
        with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
            await bot.set_webhook("http://example.com/hook")
        with pytest.raises(TelegramBadRequest, match="unallowed characters"):
            await bot.set_webhook(url, secret_token="not allowed!")
        await bot.set_webhook(url, secret_token="s3cret", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        assert info.url == url and info.allowed_updates == ["message"]
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        anna, bob = tg.user(1, "Anna"), tg.user(2, "Bob")
        group = tg.group(-100, "Team")
        tg.add_bot_to_group(group, anna)  # my_chat_member: not allowed, filtered
        anna.send("refused once")
        anna.send("after it")
        bob.send("hello")
        await tg.wait_until_consumed()
        assert len(tg.filtered_updates) == 1
        assert {secret for _, secret, _ in seen} == {"s3cret"}
        annas = [text for _, _, text in seen if text != "hello"]
        assert annas == ["refused once", "refused once", "after it"]  # in order, retried first
        assert [p.status for p in tg.webhook_posts if p.attempt == 2] == [200]
        await bot.delete_webhook()
        assert tg.webhook is None
        assert await bot.get_updates(timeout=0) == []
    finally:
        await bot.session.close()
        await runner.cleanup()


async def test_a_bot_sets_one_reaction_on_a_message_the_chat_has(fake_tg: FakeTelegram) -> None:
    tg = fake_tg
    bob = tg.user(1001, "Bob", username="bob")
    own = tg.payload(bob.send("/call"))["message"]["message_id"]  # the person's own message
    bot = make_bot(tg)
    try:
        assert await bot.set_message_reaction(bob.id, own, [ReactionTypeEmoji(emoji="🔥")])
        assert tg.reactions == {(bob.id, own): "🔥"}
        assert await bot.set_message_reaction(bob.id, own, [ReactionTypeEmoji(emoji="🏆")])
        assert tg.reactions == {(bob.id, own): "🏆"}  # replaced: one per bot
        two = [ReactionTypeEmoji(emoji="🔥"), ReactionTypeEmoji(emoji="🎉")]
        with pytest.raises(TelegramBadRequest, match="REACTIONS_TOO_MANY"):
            await bot.set_message_reaction(bob.id, own, two)
        with pytest.raises(TelegramBadRequest, match="message to react not found"):
            await bot.set_message_reaction(bob.id, own + 50, [ReactionTypeEmoji(emoji="🔥")])
        assert await bot.set_message_reaction(bob.id, own, [])
        assert tg.reactions == {}
    finally:
        await bot.session.close()
