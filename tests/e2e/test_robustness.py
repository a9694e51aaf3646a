"""Bad input, access refusals, redelivery, 429s, API errors and restarts, as users meet them."""

import time

import pytest

from tests.e2e.conftest import Mode, RunningBot, run_bot
from tests.e2e.test_walkthrough import join_team, set_up_team
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.postgres import drop_connections


async def team_of_two(kpi: RunningBot) -> tuple[FakeUser, FakeUser]:
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    return anna, bob


async def test_bad_input_gets_specific_reply_and_stores_nothing(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    cases = {
        "/call 0": "The number must be from 1 to 1000; “0” is not.",
        "/call 1001": "The number must be from 1 to 1000; “1001” is not.",
        "/meeting 2.5": "The number must be whole; “2.5” is not.",
        "/deal ₽": "“₽” is not an amount.",
        "/deal abc": "“abc” is not an amount.",
        "/deal 0": "The amount must be more than 0",
        "/deal 2000000000": "at most 1,000,000,000 ₽",
        "/deal 15000.555": "too many decimals",
        "/call 2 32.13": "“32.13” is not a real date.",
        "/call 2026-02-30": "“2026-02-30” is not a real date.",
        "/lead 2099-01-01": "2099-01-01 is in the future",
        "/lead 2020-01-01": "2020-01-01 is more than 31 days ago",
        "/call #a #b": "Give one #tag only",
        "/call #ab!c": "is not a tag",
        "/call 1 " + "x" * 501: "The note is 501 characters long; at most 500 fit.",
    }
    for text, expected in cases.items():
        reply = await bob.say(text)
        assert expected in (reply.plain or ""), (text, reply.plain)
        assert "Example: /" in (reply.plain or ""), text
    assert await kpi.live_entries() == 0


async def test_notes_are_shown_back_escaped(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    reply = await bob.say("/call 1 <b>Ivanov</b> & Co <script>")
    assert "📝 <b>Ivanov</b> & Co <script>" in (reply.plain or "")
    entries = await kpi.all_entries()
    assert entries[0].note == "<b>Ivanov</b> & Co <script>"


async def test_no_team_unknown_commands_and_plain_text(kpi: RunningBot) -> None:
    stranger = kpi.tg.user(3001, "Stranger")
    for command in ("/call", "/deal 100", "/undo", "/today", "/week", "/month", "/invite"):
        reply = await stranger.say(command)
        assert "You're not in a team yet" in (reply.plain or ""), command
    assert "I don't know /frobnicate" in ((await stranger.say("/frobnicate")).plain or "")
    assert "/call" in ((await stranger.say("hello there")).plain or "")
    assert await kpi.live_entries() == 0


async def test_employee_cannot_use_manager_commands(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    reply = await bob.say("/invite")
    assert reply.plain == "⛔ Only the team's manager can do this."
    reply = await bob.say("/invite reset")
    assert reply.plain == "⛔ Only the team's manager can do this."


async def test_forged_and_revoked_invites_change_nothing(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    old_link = (await anna.say("/invite")).plain or ""
    old_token = old_link.split("start=")[1].split()[0]
    reset = await anna.say("/invite reset")
    assert "The old link is revoked" in (reset.plain or "")
    carl = kpi.tg.user(1003, "Carl")
    for payload in (old_token, "forged-token-1234567890", "x" * 64):
        reply = await carl.say(f"/start {payload}")
        assert "This invite link doesn't work" in (reply.plain or "")
    assert "You're not in a team yet" in ((await carl.say("/call")).plain or "")
    new_token = (reset.plain or "").split("start=")[1].split()[0]
    assert "You've joined" in ((await join_team(kpi, carl, new_token, anna)).plain or "")


async def test_switching_teams_asks_first_and_keeps_history(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    await bob.say("/call 3")
    dora = kpi.tg.user(1004, "Dora")
    await dora.say("/newteam Rivals")
    rival_token = ((await dora.say("/invite")).plain or "").split("start=")[1].split()[0]

    ask = await bob.say(f"/start {rival_token}")
    assert ask.plain == (
        "You're in team «Sales». Move to «Rivals»? Your past entries stay with «Sales»."
    )
    assert ask.buttons() == [["Move to Rivals"], ["Stay in Sales"]]
    stay = await bob.press("Stay in Sales")
    assert stay.plain == "OK, you stay in team «Sales»."
    assert "Calls: 3" in ((await bob.say("/today")).plain or "")

    await bob.say(f"/start {rival_token}")
    moved = await bob.press("Move to Rivals")
    assert moved.plain is not None and "You've joined team «Rivals»" in moved.plain
    assert "Nothing logged yet" in ((await bob.say("/today")).plain or "")
    entries = await kpi.all_entries()
    assert [(e.user_id, e.count) for e in entries] == [(bob.id, 3)]


async def test_newteam_asks_for_a_name_and_validates_it(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Anna")
    ask = await anna.say("/newteam")
    assert "What's the team called?" in (ask.plain or "")
    too_long = await anna.say("x" * 65)
    assert "at most 64 characters" in (too_long.plain or "")
    created = await anna.say("Sales  South")
    assert "Team «Sales South» is created" in (created.plain or "")
    assert (await anna.say("/cancel")).plain == "Nothing to cancel."


async def test_newteam_while_in_a_team_confirms_the_move(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    refused = await anna.say("/newteam Second")
    assert "You are the only manager of «Sales»" in (refused.plain or "")
    assert "now a manager" in ((await anna.say("/promote @bob")).plain or "")
    ask = await anna.say("/newteam Second")
    assert "Create «Second» and move there as its manager?" in (ask.plain or "")
    done = await anna.press("Create and move")
    assert "Team «Second» is created" in (done.plain or "")
    assert "Invite link to team «Second»" in ((await anna.say("/invite")).plain or "")


async def test_undo_with_nothing_left(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    await bob.say("/lead")
    assert (await bob.say("/undo")).plain == "↩️ Removed: 1 lead"
    assert (await bob.say("/undo")).plain == (
        "Nothing to undo: you have no entries in this team yet."
    )
    entries = await kpi.all_entries()
    assert len(entries) == 1 and entries[0].deleted_at is not None
    assert entries[0].deleted_by_id == bob.id


async def test_redelivered_update_is_recorded_once(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    update_id = bob.send("/call 5")
    first = await bob.receive()
    assert first.plain == "✅ Recorded: 5 calls\nToday in total: 5 calls"
    kpi.tg.redeliver(update_id)
    await kpi.tg.wait_until_consumed()
    await kpi.tg.expect_silence(bob.id, 0.5)
    assert await kpi.live_entries() == 1
    assert (await bob.say("/call")).plain == "✅ Recorded: 1 call\nToday in total: 6 calls"


async def test_reply_that_gets_429_is_retried_after_retry_after(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    kpi.tg.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    reply = await bob.say("/call 2")
    assert reply.plain == "✅ Recorded: 2 calls\nToday in total: 2 calls"
    assert time.monotonic() - started >= 1.0
    failed = [r for r in kpi.tg.requests if r.method == "sendMessage" and r.status == 429]
    assert len(failed) == 1
    assert await kpi.live_entries() == 1


@pytest.mark.parametrize("mode", ["polling"])
async def test_server_errors_are_retried_and_polling_survives(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    kpi.tg.fail_next("sendMessage", 500, times=2)
    assert (await bob.say("/meeting")).plain == "✅ Recorded: 1 meeting\nToday in total: 1 meeting"
    kpi.tg.fail_next("getUpdates", 502, times=2)
    reply = await bob.say("/lead", timeout=10)
    assert reply.plain == "✅ Recorded: 1 lead\nToday in total: 1 lead"


async def test_restart_keeps_the_data(fake_tg: FakeTelegram, db_url: str, mode: Mode) -> None:
    anna = fake_tg.user(1001, "Anna")
    async with run_bot(fake_tg, db_url, mode=mode):
        await anna.say("/newteam Sales")
        await anna.say("/deal 15 000")
    async with run_bot(fake_tg, db_url, mode=mode) as second:
        day = (await anna.say("/today")).plain or ""
        assert "🤝 Deals: 1" in day and "💰 Revenue: 15,000 ₽" in day
        assert "Today in total: 2 deals · 17,000 ₽" in ((await anna.say("/deal 2000")).plain or "")
        assert await second.live_entries() == 2


async def test_commands_are_registered_in_english_and_russian(kpi: RunningBot) -> None:
    private = '{"type": "all_private_chats"}'
    english = kpi.tg.commands[(private, "")]
    russian = kpi.tg.commands[(private, "ru")]
    assert [c["command"] for c in english][:4] == ["call", "meeting", "lead", "deal"]
    assert {c["command"]: c["description"] for c in english}["deal"] == "Log a deal: /deal 15000"
    assert {c["command"]: c["description"] for c in russian}["today"] == "Мои цифры за сегодня"


async def test_a_nul_in_a_message_is_dropped_not_fatal(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    reply = await bob.say("/call 1 Ivanov\x00 called back")
    assert reply.plain == "✅ Recorded: 1 call\n📝 Ivanov called back\nToday in total: 1 call"
    assert (await kpi.all_entries())[0].note == "Ivanov called back"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no server
async def test_database_connections_dropped_by_the_server_go_unnoticed(
    kpi: RunningBot, db_url: str
) -> None:
    """A PostgreSQL restart or fail-over drops the pooled connections: the next commands are
    answered as usual (nothing lost, nothing twice), not with "something went wrong"."""
    _anna, bob = await team_of_two(kpi)
    assert "Today in total: 1 call" in ((await bob.say("/call")).plain or "")
    answers = {}
    for text in ("/month", "/log", "/targets"):
        assert await drop_connections(db_url) >= 1
        answers[text] = (await bob.say(text)).plain or ""
    assert "Calls: 1" in answers["/month"], answers["/month"]
    assert "call" in answers["/log"].lower(), answers["/log"]
    assert "went wrong" not in "".join(answers.values())
    assert await drop_connections(db_url) >= 1
    assert "Today in total: 3 calls" in ((await bob.say("/call 2")).plain or "")
    assert await kpi.live_entries() == 2
