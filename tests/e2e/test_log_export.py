"""/log and /export as users meet them: listing, deleting with an audit trail, files."""

import csv
import io
import re

from openpyxl import load_workbook

from handlers.entry_log import DeleteEntry
from models import Entry
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import moscow_today, set_up_team
from tests.fake_telegram import FakeUser

ANNA, BOB = 1001, 1002
LINE_RE = re.compile(r"^(\d+)\. (\d\d:\d\d) · (.+)$")


async def team_of_two(kpi: RunningBot) -> tuple[FakeUser, FakeUser]:
    anna = kpi.tg.user(ANNA, "Anna", username="anna")
    bob = kpi.tg.user(BOB, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    return anna, bob


def listed(text: str | None) -> list[str]:
    """The entries of a /log message, without their numbers and times."""
    found = [LINE_RE.match(line) for line in (text or "").splitlines()]
    return [match[3] for match in found if match]


async def entries_of(kpi: RunningBot, user_id: int) -> list[Entry]:
    return [entry for entry in await kpi.all_entries() if entry.user_id == user_id]


async def test_own_log_and_deleting_an_entry(kpi: RunningBot) -> None:
    _anna, bob = await team_of_two(kpi)
    await bob.say("/call 3 #avito")
    await bob.say("/meeting <b>Ivanov</b> & Co")
    await bob.say("/deal 15 000")

    log = await bob.say("/log")
    text = log.plain or ""
    assert text.startswith("📋 Your entries for today, ")
    assert listed(text) == ["3 calls #avito", "1 meeting", "deal 15,000 ₽"]
    assert "📝 <b>Ivanov</b> & Co" in text  # the note, escaped and shown as typed
    assert log.buttons() == [["❌ 1", "❌ 2", "❌ 3"]]

    edited = await bob.press("❌ 2")
    assert edited.edited and edited.message_id == log.message_id
    assert listed(edited.plain) == ["3 calls #avito", "deal 15,000 ₽"]
    assert edited.buttons() == [["❌ 1", "❌ 2"]]
    assert (await kpi.tg.wait_callback_answer()).text == "Removed: 1 meeting"
    meeting = (await entries_of(kpi, BOB))[1]
    assert meeting.deleted_at is not None and meeting.deleted_by_id == BOB
    assert await kpi.live_entries() == 2

    await bob.press("❌ 1")
    last = await bob.press("❌ 1")
    assert "No entries for this day" in (last.plain or "")
    assert last.buttons() == []
    assert await kpi.live_entries() == 0


async def test_manager_deletes_a_members_entry_with_audit(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    await bob.say("/call 2 yesterday")
    await bob.say("/lead yesterday")
    stale = await bob.say("/log вчера")
    assert listed(stale.plain) == ["2 calls", "1 lead"]

    log = await anna.say("/log @Bob yesterday")
    assert (log.plain or "").startswith("📋 Bob (@bob): entries for yesterday, ")
    assert listed(log.plain) == ["2 calls", "1 lead"]
    edited = await anna.press("❌ 1")
    assert listed(edited.plain) == ["1 lead"]
    calls = (await entries_of(kpi, BOB))[0]
    assert calls.deleted_by_id == ANNA

    # Bob's own list still shows the removed entry: pressing it changes nothing.
    query_id = bob.press_nowait("❌ 1")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert answer.text == "This entry is already removed."
    await kpi.tg.expect_silence(BOB)
    assert (await entries_of(kpi, BOB))[0].deleted_by_id == ANNA


async def test_forged_button_cannot_delete_someone_elses_entry(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    await anna.say("/call 5")
    await bob.say("/call 1")
    own_log = await bob.say("/log")
    target = (await entries_of(kpi, ANNA))[0]

    forged = DeleteEntry(entry_id=target.id).pack()
    kpi.tg.push_update(
        {
            "callback_query": {
                "id": "forged-1",
                "from": {"id": BOB, "is_bot": False, "first_name": "Bob", "username": "bob"},
                "message": own_log.raw,
                "chat_instance": "1",
                "data": forged,
            }
        }
    )
    request = await kpi.tg.wait_for_request(
        "answerCallbackQuery", lambda r: r.params.get("callback_query_id") == "forged-1"
    )
    assert request.params["text"] == "⛔ You can't remove this entry."
    await kpi.tg.expect_silence(BOB)
    assert (await entries_of(kpi, ANNA))[0].deleted_at is None
    assert await kpi.live_entries() == 2


async def test_log_refusals_and_bad_arguments(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    dora = kpi.tg.user(1004, "Dora", username="dora")
    await dora.say("/newteam Rivals")

    assert (await bob.say("/log @anna")).plain == (
        "⛔ Only the team's manager can open someone else's entries. Yours: /log, /log yesterday"
    )
    assert "Your entries" in ((await bob.say("/log @BOB")).plain or "")
    assert (await anna.say("/log @dora")).plain == "There's no member @dora in your team."
    assert (await anna.say("/log @ghost")).plain == "There's no member @ghost in your team."
    assert "tomorrow is in the future" in ((await bob.say("/log tomorrow")).plain or "")
    assert "2099-01-01 is in the future" in ((await bob.say("/log 2099-01-01")).plain or "")
    empty = await bob.say("/log")
    assert "No entries for this day" in (empty.plain or "")
    assert empty.buttons() == []

    stranger = kpi.tg.user(3001, "Stranger")
    for command in ("/log", "/export"):
        assert "You're not in a team yet" in ((await stranger.say(command)).plain or "")


async def test_manager_export_workbook_and_csv(kpi: RunningBot) -> None:
    anna, bob = await team_of_two(kpi)
    await bob.say("/call 4 #avito Иванов перезвонить")
    await bob.say("/deal 15 000,50")
    await anna.say("/call 2")
    await bob.say("/undo")  # the deal is gone: not exported

    reply = await anna.say("/export")
    assert reply.document is not None
    filename, content = reply.document
    month = moscow_today().strftime("%Y-%m")
    assert filename == f"kpi-sales-{month}.xlsx"
    assert (reply.plain or "").startswith("📎 Team «Sales», ")
    assert (reply.plain or "").endswith(": 2 entries.")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Entries", "Summary"]
    entries = [row[1:5] for row in workbook["Entries"].iter_rows(min_row=2, values_only=True)]
    assert sorted(entries) == [("Anna", "Call", 2, None), ("Bob", "Call", 4, None)]
    people = [row[0] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)]
    assert people == ["Anna", "Bob", "Total"]

    own = await bob.say("/export month")
    assert (own.plain or "").startswith("📎 Your entries in team «Sales», ")
    assert own.document is not None
    rows = list(load_workbook(io.BytesIO(own.document[1]))["Entries"].values)
    assert [row[1] for row in rows[1:]] == ["Bob"]

    week = await anna.say("/export csv week")
    assert week.document is not None
    filename, content = week.document
    assert re.fullmatch(r"kpi-sales-\d{4}-W\d\d\.csv", filename)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "Иванов перезвонить" in text
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][:3] == ["Date", "Person", "Kind"]
    assert len(table) == 3


async def test_export_errors_and_russian_files(kpi: RunningBot) -> None:
    anna, _bob = await team_of_two(kpi)
    future = await anna.say("/export 2099-01")
    assert future.plain == (
        "2099-01 hasn't come yet: choose this month or an earlier one, like /export 2026-10."
    )
    bad = await anna.say("/export quarter")
    assert bad.plain is not None and bad.plain.startswith("I don't understand “quarter”")

    olga = kpi.tg.user(2001, "Ольга", username="olga", language_code="ru")
    await olga.say("/newteam Продажи Север")
    await olga.say("/call 3 Звонок клиенту")
    reply = await olga.say("/export")
    assert reply.document is not None
    filename, content = reply.document
    assert filename.startswith("kpi-prodazhi-sever-") and filename.isascii()
    assert (reply.plain or "").endswith(": 1 запись.")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Записи", "Итоги"]
    assert next(workbook["Записи"].values)[:3] == ("Дата", "Сотрудник", "Тип")
