"""The team's group: binding it, celebrations through the outbox, and silence otherwise.

Wednesday 18 November 2026, noon in Moscow: outside quiet hours.
"""

import asyncio
import time
from datetime import UTC, datetime

import pytest

from models import Team
from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team

NOON_18_NOV = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_18_NOV)
    return frozen_clock


async def chat_of(kpi: RunningBot, team_id: int, expected: int | None) -> int | None:
    """The team's bound chat once it equals `expected` (handlers commit a moment later)."""
    for _ in range(100):
        async with kpi.db.read() as session:
            team = await session.get(Team, team_id)
            assert team is not None
            if team.chat_id == expected:
                return team.chat_id
        await asyncio.sleep(0.02)
    return team.chat_id


async def test_manager_binds_group_and_bob_is_celebrated_once(kpi: RunningBot) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    group = tg.group(-100500, "Sales chat")

    tg.add_bot_to_group(group, anna)
    hello = await group.receive()
    assert "celebrate everyone who hits a target" in (hello.plain or "")
    assert "A team manager: send /bindchat here" in (hello.plain or "")

    refused = await group.say(bob, "/bindchat")
    assert refused.plain == "⛔ Only a team's manager can connect a group to the team."
    bound = await group.say(anna, "/bindchat@kpi_test_bot")
    assert bound.plain == (
        "✅ This group is now the group of team «Sales»: targets hit will be celebrated here. "
        "To stop: /unbindchat"
    )
    assert (await group.say(anna, "/bindchat")).plain == (
        "This group is already the group of team «Sales»."
    )
    group.send(bob, "hi all, 3 calls done")
    group.send(bob, "/help")
    group.send(bob, "/call 5")
    # One pointer to the private chat for the commands; nothing for the talk, nothing logged.
    pointer = await tg.wait_for(lambda m: m.chat_id == group.chat_id, timeout=5)
    assert (pointer.plain or "").startswith("📬 I answer commands in a private chat")
    await tg.expect_silence(group.chat_id, 0.5)
    # A secret sent here by mistake is deleted from the group (no second pointer this minute).
    assert tg.deleted == []
    group.send(anna, "/connect zadarma c2a8b0f1e9d74a6b")
    group.send(anna, "/connect@kpi_test_bot bitrix24 https://x.bitrix24.ru/rest/1/k3y/ tok")
    group.send(anna, "/connect")
    await tg.expect_silence(group.chat_id, 0.5)
    assert [chat for chat, _message in tg.deleted] == [group.chat_id, group.chat_id]

    await anna.say("/target calls 10 day")
    await bob.say("/call 10")
    celebration = await tg.wait_for(lambda m: m.chat_id == group.chat_id, timeout=5)
    assert celebration.plain == "🎉 Bob hit the target: 10 calls a day!"

    await bob.say("/undo")
    await bob.say("/call 10")
    await tg.expect_silence(group.chat_id, 1.5)

    assert (await group.say(bob, "/unbindchat")).plain == (
        "⛔ Only a manager of team «Sales» can disconnect this group."
    )
    assert (await group.say(anna, "/unbindchat")).plain == (
        "This group is no longer the group of team «Sales»: no more celebrations here."
    )
    assert (await group.say(anna, "/unbindchat")).plain == "This group isn't connected to any team."


async def test_a_group_serves_one_team(kpi: RunningBot) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    vera = tg.user(1003, "Vera", username="vera", language_code="ru")
    stranger = tg.user(1004, "Sam", username="sam")
    await set_up_team(kpi, anna, bob, "Sales")
    await vera.say("/start")
    await vera.say("/newteam Опт")
    group = tg.group(-100600, "Shared chat")
    await group.say(anna, "/bindchat")

    taken = await group.say(vera, "/bindchat")
    assert taken.plain == (
        "⛔ Эта группа привязана к команде «Sales». "
        "Её руководитель может отвязать группу командой /unbindchat."
    )
    assert (await group.say(vera, "/unbindchat")).plain == (
        "⛔ Отвязать группу может только руководитель команды «Sales»."
    )
    assert (await group.say(stranger, "/bindchat")).plain == (
        "⛔ Only a team's manager can connect a group to the team."
    )


async def test_group_upgraded_or_bot_removed_keeps_the_binding_right(kpi: RunningBot) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    group = tg.group(-4200, "Sales chat")
    await group.say(anna, "/bindchat")
    team_id = 1

    tg.push_update(
        {
            "message": {
                "message_id": 77,
                "from": anna.obj,
                "chat": {"id": -4200, "type": "group", "title": "Sales chat"},
                "date": int(time.time()),
                "migrate_to_chat_id": -1004200,
            }
        }
    )
    assert await chat_of(kpi, team_id, -1004200) == -1004200

    supergroup = tg.group(-1004200, "Sales chat")
    tg.push_update(
        {
            "my_chat_member": {
                "chat": supergroup.chat_obj,
                "from": anna.obj,
                "date": int(time.time()),
                "old_chat_member": {"user": tg.bot_user, "status": "member"},
                "new_chat_member": {"user": tg.bot_user, "status": "kicked", "until_date": 0},
            }
        }
    )
    assert await chat_of(kpi, team_id, None) is None
    await tg.expect_silence(supergroup.chat_id, 0.3)
