"""One-thumb logging and what people type on phones, as issue 11 describes it (items 10-17)."""

import logging
import time

import pytest

from tests.e2e.conftest import RunningBot
from tests.e2e.test_access import forge_press
from tests.e2e.test_robustness import team_of_two
from tests.fake_telegram import FakeUser


def said(message: object) -> str:
    return getattr(message, "plain", None) or ""


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
