"""aiogram's `Response[...]` classes, made once per process: a garbage collection between two
API answers must not make the next answer build its class again (hundreds of ms each)."""

import gc

from aiogram.methods import GetUpdates, SendMessage
from aiogram.methods.base import Response

from bot.factory import create_bot

TOKEN = "123456789:" + "A" * 35


def made_for(method: type) -> int:
    """What aiogram does for each answer: the class made inside a function, nothing keeping it."""
    return id(Response[method.__returning__])  # type: ignore[name-defined,attr-defined]


async def test_an_answers_class_outlives_a_garbage_collection() -> None:
    bot = create_bot(TOKEN)
    try:
        first = {method: made_for(method) for method in (SendMessage, GetUpdates)}
        gc.collect()
        again = {method: made_for(method) for method in (SendMessage, GetUpdates)}
    finally:
        await bot.session.close()
    assert again == first


async def test_an_answer_is_still_read_into_its_type() -> None:
    bot = create_bot(TOKEN)
    try:
        answer = Response[SendMessage.__returning__].model_validate(  # type: ignore[name-defined,misc]
            {
                "ok": True,
                "result": {"message_id": 7, "date": 0, "chat": {"id": 1, "type": "private"}},
            },
            context={"bot": bot},
        )
    finally:
        await bot.session.close()
    assert answer.result.message_id == 7
