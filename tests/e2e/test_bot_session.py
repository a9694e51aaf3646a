"""How the bot's requests reach the Bot API (bot.session), against the fake server: the answers
to a handler's replies checked but not read, every other answer read as aiogram reads it."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.factory import create_bot
from bot.middlewares import send_replies
from bot.retry import RetryMiddleware
from bot.session import answers_unread
from tests.fake_telegram import FakeTelegram

CHAT = 4_000_001


def kpi_bot(tg: FakeTelegram) -> Bot:
    """The production Bot, with a private chat for it to write to (and one more)."""
    tg.user(CHAT, "Анна")
    tg.user(CHAT + 1, "Борис")
    return create_bot(tg.token, tg.base_url, RetryMiddleware(base_delay=0.01))


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да, сделка", callback_data="dl:0")]]
    )


async def test_a_message_outside_a_handlers_replies_is_read(fake_tg: FakeTelegram) -> None:
    bot = kpi_bot(fake_tg)
    try:
        sent = await bot.send_message(
            CHAT, "📊 <b>Сегодня</b>: 3 звонка & 15 000 ₽", reply_markup=keyboard()
        )
    finally:
        await bot.session.close()
    (message,) = fake_tg.chat_messages(CHAT)
    assert message.plain == "📊 Сегодня: 3 звонка & 15 000 ₽"
    assert message.reply_markup == {
        "inline_keyboard": [[{"text": "Да, сделка", "callback_data": "dl:0"}]]
    }
    # Outside a handler's replies the answer is read as aiogram reads it.
    assert isinstance(sent, Message) and sent.message_id == message.message_id
    assert sent.text == message.plain


async def test_a_replys_answer_is_checked_not_read(fake_tg: FakeTelegram) -> None:
    bot = kpi_bot(fake_tg)
    try:
        token = answers_unread.set(True)
        try:
            answered = await bot(SendMessage(chat_id=CHAT, text="✅ Звонок записан"))
            fake_tg.fail_next("sendMessage", 429, retry_after=1)
            retried = await bot(SendMessage(chat_id=CHAT, text="после 429"))
            fake_tg.fail_chat(CHAT + 1)
            with pytest.raises(TelegramForbiddenError):
                await bot(SendMessage(chat_id=CHAT + 1, text="заблокировал бота"))
        finally:
            answers_unread.reset(token)
        read = await bot(SendMessage(chat_id=CHAT, text="и снова прочитан"))
    finally:
        await bot.session.close()
    assert answered is None and retried is None  # not built into a Message
    assert isinstance(read, Message)
    texts = [message.plain for message in fake_tg.chat_messages(CHAT)]
    assert texts == ["✅ Звонок записан", "после 429", "и снова прочитан"]
    assert fake_tg.stats["429"] == 1


async def test_a_handlers_replies_leave_the_answers_read_after_them(
    fake_tg: FakeTelegram,
) -> None:
    """send_replies sets the mark for its own sends only."""
    bot = kpi_bot(fake_tg)
    try:
        await send_replies(
            [SendMessage(chat_id=CHAT, text="один"), SendMessage(chat_id=CHAT, text="два")], bot
        )
        assert answers_unread.get() is False
        after = await bot.send_message(CHAT, "три")
    finally:
        await bot.session.close()
    assert isinstance(after, Message)
    assert [m.plain for m in fake_tg.chat_messages(CHAT)] == ["один", "два", "три"]
