"""Who may see and change what: every team command against the whole role matrix.

Two teams on a frozen clock (Wednesday 18 November 2026, noon in Moscow):

* «Alpha»: manager Anna (@anna), employees Bob (@bob) and Carl (@carl);
* «Bravo»: manager Mia (@mia), employee Max (@max);
* and Sam (@sam), who is in no team.

Everybody logs a deal with a distinctive amount, so a leak shows up as a number that has no
business in a reply: Bob 111,111 ₽, Carl 222,222 ₽, Anna 333,333 ₽ (Alpha in total 666,666 ₽),
Max 777,777 ₽, Mia 888,888 ₽ (Bravo in total 1,666,665 ₽).
"""

import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, select

from handlers.entry_log import DeleteEntry
from handlers.team import SwitchToNewTeam
from handlers.team_settings import SettingsButton, SettingsPress
from models import Entry, Role, Target, Team, User, Vacation
from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import invite_token, join_team, set_up_team
from tests.fake_telegram import BotMessage, FakeUser

NOON_18_NOV = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

NO_TEAM = (
    "You're not in a team yet. Open your manager's invite link to join one, "
    "or create your own: /newteam Sales"
)
MANAGER_ONLY = "⛔ Only the team's manager can do this."
LOG_NOT_MANAGER = (
    "⛔ Only the team's manager can open someone else's entries. Yours: /log, /log yesterday"
)
NOT_ALLOWED_TOAST = "⛔ You can't remove this entry."


def no_such_member(username: str) -> str:
    return f"There is no @{username} in your team. /team lists the members."


def no_such_log_member(username: str) -> str:
    return f"There's no member @{username} in your team."


@dataclass(frozen=True)
class Marks:
    """What identifies a team's data in a reply or a file."""

    team: str
    names: tuple[str, ...]
    money: tuple[str, ...]  # as replies show amounts, totals included
    raw_amounts: tuple[str, ...]  # as files hold them

    @property
    def all(self) -> tuple[str, ...]:
        return (self.team, *self.names, *self.money)


ALPHA = Marks(
    team="Alpha",
    names=("Anna", "Bob", "Carl"),
    money=("111,111", "222,222", "333,333", "666,666"),
    raw_amounts=("111111", "222222", "333333"),
)
BRAVO = Marks(
    team="Bravo",
    names=("Mia", "Max"),
    money=("777,777", "888,888", "1,666,665"),
    raw_amounts=("777777", "888888"),
)
BOB_AND_ANNA = ("Bob", "Anna", "111,111", "333,333", "666,666")  # what Carl must never see


def traces(text: str | None, marks: tuple[str, ...]) -> list[str]:
    """The marks found in `text` as whole words (case-sensitive: the hint "@bob" is no leak)."""
    return [
        mark for mark in marks if re.search(rf"(?<![\w,]){re.escape(mark)}(?![\w,])", text or "")
    ]


def assert_clean(text: str | None, marks: tuple[str, ...], context: str) -> None:
    found = traces(text, marks)
    assert not found, f"{context}: leaked {found} in {text!r}"


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_18_NOV)
    return frozen_clock


@dataclass
class World:
    anna: FakeUser
    bob: FakeUser
    carl: FakeUser
    mia: FakeUser
    max: FakeUser
    sam: FakeUser


async def two_teams(kpi: RunningBot) -> World:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    carl = tg.user(1003, "Carl", username="carl")
    mia = tg.user(2001, "Mia", username="mia")
    max_ = tg.user(2002, "Max", username="max")
    sam = tg.user(3001, "Sam", username="sam")

    alpha = await set_up_team(kpi, anna, bob, "Alpha")
    assert "You've joined team «Alpha»" in ((await join_team(kpi, carl, alpha, anna)).plain or "")
    await set_up_team(kpi, mia, max_, "Bravo")
    assert "/newteam" in ((await sam.say("/start")).plain or "")

    seed = [
        (bob, "/call 41"),
        (bob, "/deal 111111 #avito"),
        (carl, "/call 29"),
        (carl, "/deal 222222"),
        (anna, "/deal 333333"),
        (max_, "/call 67"),
        (max_, "/deal 777777"),
        (mia, "/deal 888888"),
    ]
    for user, text in seed:
        assert ((await user.say(text)).plain or "").startswith("✅ Recorded"), text
    settings = [
        (anna, "/target calls 150", "Team target from 1 November"),
        (anna, "/target deals 4 @bob", "Target for Bob"),
        (anna, "/vacation 23.11 27.11 @bob", "Vacation for Bob"),
        (mia, "/target calls 90", "Team target from 1 November"),
        (mia, "/vacation 30.11 @max", "Vacation for Max"),
    ]
    for user, text, expected in settings:
        assert expected in ((await user.say(text)).plain or ""), text
    return World(anna, bob, carl, mia, max_, sam)


VOLATILE = frozenset({"last_seen_at"})


async def snapshot(kpi: RunningBot) -> dict[str, list[dict[str, Any]]]:
    """Every column a command could change: memberships and personal settings, teams and their
    settings, targets, vacations, entries (deletions included)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with kpi.db.read() as session:
        for model in (User, Team, Target, Vacation, Entry):
            columns = [c.key for c in inspect(model).column_attrs if c.key not in VOLATILE]
            rows = await session.scalars(select(model).order_by(model.id))
            tables[model.__tablename__] = [{c: getattr(row, c) for c in columns} for row in rows]
    return tables


async def user_row(kpi: RunningBot, user: FakeUser) -> tuple[int | None, Role | None]:
    async with kpi.db.read() as session:
        row = await session.get(User, user.id)
        assert row is not None
        return row.team_id, row.role


async def team_row(kpi: RunningBot, name: str) -> Team:
    async with kpi.db.read() as session:
        team = await session.scalar(select(Team).where(Team.name == name))
        assert team is not None
        return team


async def deal_of(kpi: RunningBot, user: FakeUser) -> Entry:
    deals = [e for e in await kpi.all_entries() if e.user_id == user.id and e.amount_kopecks]
    assert len(deals) == 1
    return deals[0]


def file_text(message: BotMessage) -> str:
    """Every cell of an exported workbook (or the CSV text), one per line."""
    assert message.document is not None, message.plain
    filename, content = message.document
    if filename.endswith(".csv"):
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
        return "\n".join(cell for row in rows for cell in row)
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def exported_people(message: BotMessage) -> list[str]:
    assert message.document is not None
    sheet = load_workbook(io.BytesIO(message.document[1])).worksheets[0]
    return sorted({str(row[1]) for row in sheet.iter_rows(min_row=2, values_only=True)})


LOG_LINE = re.compile(r"^\d+\. \d\d:\d\d · (.+)$")


def listed(message: BotMessage) -> list[str]:
    found = [LOG_LINE.match(line) for line in (message.plain or "").splitlines()]
    return [match[1] for match in found if match]


_forged_ids = itertools.count(1)


def forge_press(kpi: RunningBot, presser: FakeUser, data: str) -> str:
    """A callback query with `data` no button of the presser's chat carries (a modified client
    can send any), on the presser's latest message; returns the query id.

    The fake server learns of the query like of a pressed button, so answering it succeeds.
    """
    own = presser.last
    assert own is not None, f"{presser} has no message to press on"
    query_id = f"forged-{next(_forged_ids)}"
    kpi.tg._callbacks[query_id] = (data, presser.id, presser.id)
    kpi.tg.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": presser.obj,
                "message": dict(own.raw),
                "chat_instance": str(presser.id),
                "data": data,
            }
        }
    )
    return query_id


# Every command that shows or changes team data, with arguments that would do so.
TEAM_COMMANDS = (
    "/call 5",
    "/meeting 2",
    "/lead",
    "/deal 5000",
    "/undo",
    "/today",
    "/week",
    "/month",
    "/targets",
    "/vacation",
    "/vacation 30.11",
    "/vacation @bob",
    "/vacation 30.11 @bob",
    "/vacation cancel 23.11 @bob",
    "/log",
    "/log @bob",
    "/export",
    "/export csv week",
    "/chart",
    "/chart month",
    "/remind",
    "/remind 19:00",
    "/bonus",
)
MANAGER_COMMANDS = (
    "/invite",
    "/invite reset",
    "/target calls 5",
    "/target calls 5 @bob",
    "/target deals off @bob",
    "/leaderboard",
    "/leaderboard revenue week",
    "/team",
    "/promote @bob",
    "/promote @carl",
    "/demote @anna",
    "/remove @bob",
    "/remove @anna",
    "/timezone",
    "/timezone UTC",
    "/settings",
    "/settings country none",
    "/settings workdays mon-sat",
    "/settings public off",
    "/settings reminder 19:00",
    "/teamchart",
    "/teamchart month",
    "/bonusrules",
    "/connect amocrm",
    "/connect reset webhook",
    "/connections",
    "/link",
)


async def test_stranger_gets_the_no_team_reply_and_changes_nothing(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    sam = world.sam
    before = await snapshot(kpi)
    for text in (*TEAM_COMMANDS, *MANAGER_COMMANDS):
        assert (await sam.say(text)).plain == NO_TEAM, text
    for text in ("/start", "/help"):
        reply = await sam.say(text)
        assert_clean(reply.plain, (*ALPHA.all, *BRAVO.all), text)
    assert await snapshot(kpi) == before
    assert await user_row(kpi, sam) == (None, None)


async def test_employee_sees_only_own_numbers(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    carl = world.carl
    for text in ("/today", "/week", "/month"):
        report = (await carl.say(text)).plain or ""
        assert "📞 Calls: 29" in report and "💰 Revenue: 222,222 ₽" in report, text
        assert "🤝 Deals: 1" in report, text
        assert_clean(report, (*BOB_AND_ANNA, *BRAVO.all), text)

    targets = (await carl.say("/targets")).plain or ""
    assert "• Calls: 150 a month (team)" in targets
    assert "Deals: 4" not in targets and "Team defaults" not in targets
    assert_clean(targets, (*BOB_AND_ANNA, *BRAVO.all, "90"), "/targets")

    assert (await carl.say("/vacation")).plain == (
        "Carl has no vacations set. Add one: /vacation 2026-12-21 2026-12-25"
    )
    log = await carl.say("/log")
    assert (log.plain or "").startswith("📋 Your entries for today, ")
    assert listed(log) == ["29 calls", "deal 222,222 ₽"]
    assert_clean(log.plain, (*BOB_AND_ANNA, *BRAVO.all), "/log")
    assert "Your entries" in ((await carl.say("/log @carl")).plain or "")

    for text in ("/export", "/export csv", "/export week"):
        exported = await carl.say(text)
        assert (exported.plain or "").startswith("📎 Your entries in team «Alpha», "), text
        assert (exported.plain or "").endswith(": 2 entries."), text
        content = file_text(exported)
        assert "Carl" in content and "222222" in content, text
        forbidden = (*BOB_AND_ANNA, "111111", "333333", *BRAVO.names, *BRAVO.raw_amounts)
        assert_clean(content, forbidden, text)
    assert exported_people(await carl.say("/export")) == ["Carl"]

    for text in ("/chart", "/chart month"):
        chart = await carl.say(text)
        assert chart.photo is not None, text
        assert (chart.plain or "").startswith("📈 Your numbers · "), text
        assert "29 calls" in (chart.plain or ""), text
        assert_clean(chart.plain, (*BOB_AND_ANNA, *BRAVO.all, "70 calls", "137 calls"), text)

    # /undo takes back Carl's own latest entry, never a teammate's.
    assert (await carl.say("/undo")).plain == "↩️ Removed: deal 222,222 ₽"
    entries = await kpi.all_entries()
    gone = [(e.user_id, e.amount_kopecks) for e in entries if e.deleted_at is not None]
    assert gone == [(carl.id, 22_222_200)]


# (command, reply) for an employee: refused, whoever the command names.
EMPLOYEE_REFUSALS = (
    *((text, MANAGER_ONLY) for text in MANAGER_COMMANDS),
    ("/vacation @bob", MANAGER_ONLY),
    ("/vacation 30.11 @bob", MANAGER_ONLY),
    ("/vacation cancel 23.11 @bob", MANAGER_ONLY),
    ("/vacation 30.11 @carl", MANAGER_ONLY),
    ("/log @bob", LOG_NOT_MANAGER),
    ("/log @anna yesterday", LOG_NOT_MANAGER),
)


@pytest.mark.parametrize("who", ["carl", "max"])
async def test_employee_is_refused_manager_commands_and_changes_nothing(
    kpi: RunningBot, who: str
) -> None:
    """Carl is Bob's teammate; Max is in the other team: both get a plain refusal."""
    world = await two_teams(kpi)
    employee: FakeUser = getattr(world, who)
    before = await snapshot(kpi)
    for text, expected in EMPLOYEE_REFUSALS:
        assert (await employee.say(text)).plain == expected, text
    assert await snapshot(kpi) == before


@dataclass(frozen=True)
class Side:
    manager: str
    member: str  # an employee of the manager's team
    own: Marks
    foreign: Marks
    own_deal: str
    member_deal: str
    member_vacation: str
    roster_title: str
    board_total: str
    team_calls: str


SIDES = {
    "alpha": Side(
        manager="anna",
        member="bob",
        own=ALPHA,
        foreign=BRAVO,
        own_deal="333,333",
        member_deal="deal 111,111 ₽ #avito",
        member_vacation="• 23 November – 27 November",
        roster_title="👥 Alpha: 3 people",
        board_total="Team: 3 deals · 666,666 ₽",
        team_calls="Team: 70 calls",
    ),
    "bravo": Side(
        manager="mia",
        member="max",
        own=BRAVO,
        foreign=ALPHA,
        own_deal="888,888",
        member_deal="deal 777,777 ₽",
        member_vacation="• 30 November",
        roster_title="👥 Bravo: 2 people",
        board_total="Team: 2 deals · 1,666,665 ₽",
        team_calls="Team: 67 calls",
    ),
}


@pytest.mark.parametrize("side", list(SIDES))
async def test_manager_sees_only_own_team(kpi: RunningBot, side: str) -> None:
    world = await two_teams(kpi)
    s = SIDES[side]
    manager: FakeUser = getattr(world, s.manager)
    foreign = s.foreign.all

    board = (await manager.say("/leaderboard")).plain or ""
    assert s.board_total in board
    assert all(traces(board, (name,)) for name in s.own.names), board
    assert_clean(board, foreign, "/leaderboard")
    for text in ("/leaderboard revenue", "/leaderboard calls week", "/leaderboard deals #avito"):
        assert_clean((await manager.say(text)).plain, foreign, text)

    roster = (await manager.say("/team")).plain or ""
    assert roster.splitlines()[0] == s.roster_title
    assert all(f"{name} (@{name.lower()})" in roster for name in s.own.names), roster
    assert_clean(roster, foreign, "/team")

    for text in ("/targets", "/today", "/week", "/month", "/invite", "/timezone", "/settings"):
        assert_clean((await manager.say(text)).plain, foreign, text)
    today = (await manager.say("/today")).plain or ""
    assert f"💰 Revenue: {s.own_deal} ₽" in today  # the manager's own numbers, not the team's

    log = await manager.say(f"/log @{s.member}")
    assert listed(log)[-1] == s.member_deal
    assert_clean(log.plain, foreign, "/log @member")
    vacations = (await manager.say(f"/vacation @{s.member}")).plain or ""
    assert s.member_vacation in vacations
    assert_clean(vacations, foreign, "/vacation @member")

    for text in ("/export", "/export csv", "/export week"):
        exported = await manager.say(text)
        assert (exported.plain or "").startswith(f"📎 Team «{s.own.team}», "), text
        content = file_text(exported)
        assert all(amount in content for amount in s.own.raw_amounts), text
        assert_clean(content, (*s.foreign.names, *s.foreign.raw_amounts), text)
    assert exported_people(await manager.say("/export")) == sorted(s.own.names)

    for text in ("/teamchart", "/teamchart month"):
        chart = await manager.say(text)
        assert chart.photo is not None, text
        assert (chart.plain or "").startswith(f"📊 {s.own.team} · "), text
        assert s.team_calls in (chart.plain or ""), text
        assert_clean(chart.plain, foreign, text)

    link = (await manager.say("/invite")).plain or ""
    assert invite_token(link) == (await team_row(kpi, s.own.team)).invite_token


# (command, reply) for Mia, manager of Bravo, aimed at Alpha's people.
FOREIGN_MEMBER_CASES = (
    ("/target calls 5 @bob", no_such_member("bob")),
    ("/target deals off @bob", no_such_member("bob")),
    ("/target deals 9 @anna", no_such_member("anna")),
    ("/promote @bob", no_such_member("bob")),
    ("/promote @BOB", no_such_member("BOB")),
    ("/demote @anna", no_such_member("anna")),
    ("/remove @bob", no_such_member("bob")),
    ("/remove @anna", no_such_member("anna")),
    ("/vacation 30.11 @bob", no_such_member("bob")),
    ("/vacation @bob", no_such_member("bob")),
    ("/vacation cancel 23.11 @bob", no_such_member("bob")),
    ("/log @bob", no_such_log_member("bob")),
    ("/log @anna yesterday", no_such_log_member("anna")),
)


async def test_manager_of_another_team_cannot_reach_its_people(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    mia = world.mia
    before = await snapshot(kpi)
    for text, expected in FOREIGN_MEMBER_CASES:
        assert (await mia.say(text)).plain == expected, text
    assert await snapshot(kpi) == before

    # Team-wide commands change Mia's own team only.
    alpha = (await team_row(kpi, "Alpha")).id
    for text in (
        "/timezone UTC",
        "/settings country none",
        "/settings workdays mon-sat",
        "/settings public off",
        "/target calls 5",
        "/invite reset",
    ):
        assert not ((await mia.say(text)).plain or "").startswith("⛔"), text
    bravo = await team_row(kpi, "Bravo")
    assert (bravo.timezone, bravo.country, bravo.public_stats) == ("UTC", None, False)
    after = await snapshot(kpi)
    for table in ("teams", "targets"):
        own_rows = {"teams": "id", "targets": "team_id"}[table]
        alpha_rows = [row for row in after[table] if row[own_rows] == alpha]
        assert alpha_rows == [row for row in before[table] if row[own_rows] == alpha], table
    # Anna's own command on the same person works: the refusals above were about the team.
    assert (await world.anna.say("/promote @bob")).plain == "👑 Bob is now a manager of the team."


async def test_forged_delete_buttons_change_nothing(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    target = await deal_of(kpi, world.bob)
    forged = DeleteEntry(entry_id=target.id).pack()
    # Someone from the other team (employee and manager), a teammate, and a stranger.
    for presser in (world.max, world.mia, world.carl, world.sam):
        query_id = forge_press(kpi, presser, forged)
        answer = await kpi.tg.wait_callback_answer(query_id)
        assert answer.text == NOT_ALLOWED_TOAST, presser
        await kpi.tg.expect_silence(presser.id)
        assert (await deal_of(kpi, world.bob)).deleted_at is None, presser
    assert "💰 Revenue: 111,111 ₽" in ((await world.bob.say("/today")).plain or "")

    # Bob's own manager may; the audit names her.
    query_id = forge_press(kpi, world.anna, forged)
    assert (await kpi.tg.wait_callback_answer(query_id)).text == "Removed: deal 111,111 ₽ #avito"
    deleted = await deal_of(kpi, world.bob)
    assert deleted.deleted_at is not None and deleted.deleted_by_id == world.anna.id


@pytest.mark.parametrize("how", ["removed", "moved to Bravo"])
async def test_who_left_the_team_cannot_delete_its_entries(kpi: RunningBot, how: str) -> None:
    """Carl's /log buttons outlive his membership. Once out of Alpha (a stranger, or Bravo's
    employee) he has no say over Alpha's data: his entries stay in its history and reports,
    like /undo, which only ever works in the sender's current team."""
    world = await two_teams(kpi)
    carl = world.carl
    log = await carl.say("/log")
    assert log.buttons() == [["❌ 1", "❌ 2"]]
    if how == "removed":
        assert "Carl is no longer in «Alpha»" in (
            (await world.anna.say("/remove @carl")).plain or ""
        )
        assert (await carl.say("/today")).plain == NO_TEAM
    else:
        bravo = invite_token((await world.mia.say("/invite")).plain or "")
        await carl.say(f"/start {bravo}")
        mark = kpi.tg.mark()
        assert "You've joined team «Bravo»" in ((await carl.press("Move to Bravo")).plain or "")
        await kpi.tg.next_in_chat(world.mia.id, mark)  # "new in the team"
    before = await snapshot(kpi)

    query_id = carl.press_nowait("❌ 2")
    answer = await kpi.tg.wait_callback_answer(query_id)
    assert not (answer.text or "").startswith("Removed"), f"{how} Carl deleted: {answer.text}"
    await kpi.tg.expect_silence(carl.id)  # and his old list is not redrawn
    assert (await deal_of(kpi, carl)).deleted_at is None
    assert await snapshot(kpi) == before
    board = (await world.anna.say("/leaderboard")).plain or ""
    assert "Carl — 1 deal · 222,222 ₽" in board


async def test_stale_buttons_of_a_demoted_manager_change_nothing(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    log = await world.anna.say("/log @bob")
    assert listed(log) == ["41 calls", "deal 111,111 ₽ #avito"]
    assert (await world.anna.say("/promote @carl")).plain == "👑 Carl is now a manager of the team."
    assert (await world.carl.say("/demote @anna")).plain == "Anna is now an employee."
    before = await snapshot(kpi)
    query_id = world.anna.press_nowait("❌ 2")
    assert (await kpi.tg.wait_callback_answer(query_id)).text == NOT_ALLOWED_TOAST
    await kpi.tg.expect_silence(world.anna.id)
    assert await snapshot(kpi) == before


async def test_who_moves_takes_no_history_along(kpi: RunningBot) -> None:
    """Bob moves to Bravo: his Alpha deal, target and vacation stay with Alpha."""
    world = await two_teams(kpi)
    bob, mia = world.bob, world.mia
    bravo = invite_token((await mia.say("/invite")).plain or "")
    await bob.say(f"/start {bravo}")
    mark = kpi.tg.mark()
    assert "You've joined team «Bravo»" in ((await bob.press("Move to Bravo")).plain or "")
    await kpi.tg.next_in_chat(mia.id, mark)  # "new in the team"
    alpha_history = ("111,111", "41 calls", "Calls: 41", "Deals: 4", "23 November", "Alpha")

    for text in ("/today", "/week", "/month", "/targets", "/vacation", "/log", "/chart"):
        reply = await bob.say(text)
        assert_clean(reply.plain, (*alpha_history, "Anna", "Carl"), f"Bob's {text}")
    assert "• Calls: 90 a month (team)" in ((await bob.say("/targets")).plain or "")
    own_export = file_text(await bob.say("/export"))
    assert_clean(own_export, ("111111", "Anna", "Carl"), "Bob's /export")

    for text in ("/leaderboard", "/team", "/teamchart", "/log @bob", "/vacation @bob"):
        reply = await mia.say(text)
        assert_clean(reply.plain, (*alpha_history, *BOB_AND_ANNA[1:], "Carl"), f"Mia's {text}")
    assert "Bob — 0 deals · 0 ₽" in ((await mia.say("/leaderboard")).plain or "")
    team_export = file_text(await mia.say("/export"))
    assert_clean(team_export, (*ALPHA.raw_amounts, "Anna", "Carl"), "Mia's /export")

    # Alpha keeps Bob's work in its reports.
    board = (await world.anna.say("/leaderboard")).plain or ""
    assert "Bob — 1 deal · 111,111 ₽" in board


async def test_join_confirmations_only_ever_move_the_presser(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    bravo = invite_token((await world.mia.say("/invite")).plain or "")
    prompt = await world.bob.say(f"/start {bravo}")
    assert prompt.buttons() == [["Move to Bravo"], ["Stay in Alpha"]]
    move, stay = prompt.callback_data("Move to Bravo"), prompt.callback_data("Stay in Alpha")
    before = await snapshot(kpi)

    # Bob's buttons pressed by others (forged: in Telegram only Bob can press them).
    cases = (
        (world.max, move, "You're already in team «Bravo»."),
        (world.sam, stay, "OK, nothing changed."),
        (world.carl, stay, "OK, you stay in team «Alpha»."),
        (world.anna, move, "You are the only manager of «Alpha»"),
    )
    for presser, data, expected in cases:
        mark = kpi.tg.mark()
        query_id = forge_press(kpi, presser, data)
        edited = await kpi.tg.next_in_chat(presser.id, mark, context=f"{presser} pressed")
        assert (edited.plain or "").startswith(expected), presser
        await kpi.tg.wait_callback_answer(query_id)
        await kpi.tg.expect_silence(world.bob.id, 0.1)
    # A "create the team and move" confirmation nobody asked for creates nothing.
    mark = kpi.tg.mark()
    forge_press(kpi, world.sam, SwitchToNewTeam(confirm=True).pack())
    assert (await kpi.tg.next_in_chat(world.sam.id, mark)).plain == "Cancelled."
    assert await snapshot(kpi) == before

    # A confirmation whose link was revoked meanwhile moves nobody.
    assert "The old link is revoked" in ((await world.mia.say("/invite reset")).plain or "")
    stale = await world.bob.press("Move to Bravo")
    assert "This invite link doesn't work" in (stale.plain or "")
    alpha = await team_row(kpi, "Alpha")
    assert await user_row(kpi, world.bob) == (alpha.id, Role.EMPLOYEE)
    assert "Revenue: 111,111 ₽" in ((await world.bob.say("/today")).plain or "")


async def test_forged_settings_buttons_change_nothing(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    alpha = await team_row(kpi, "Alpha")
    panel = await world.anna.say("/settings")
    assert panel.buttons(), panel.plain
    public = SettingsPress(team_id=alpha.id, button=SettingsButton.PUBLIC).pack()
    workday = SettingsPress(team_id=alpha.id, button=SettingsButton.WEEKDAY, value=5).pack()
    before = await snapshot(kpi)
    cases = (
        (world.mia, "These buttons are from another team's settings. Open /settings again."),
        (world.max, MANAGER_ONLY),
        (world.carl, MANAGER_ONLY),
        (world.sam, MANAGER_ONLY),
    )
    for presser, expected in cases:
        for data in (public, workday):
            query_id = forge_press(kpi, presser, data)
            assert (await kpi.tg.wait_callback_answer(query_id)).text == expected, presser
        await kpi.tg.expect_silence(presser.id, 0.1)
    assert await snapshot(kpi) == before

    # Alpha's manager: the same button works.
    mark = kpi.tg.mark()
    world.anna.press_nowait("✅ Public stats")
    redrawn = await kpi.tg.next_in_chat(world.anna.id, mark)
    assert redrawn.edited and redrawn.message_id == panel.message_id
    assert (await team_row(kpi, "Alpha")).public_stats is not alpha.public_stats


async def test_group_commands_reach_only_the_bound_team(kpi: RunningBot) -> None:
    world = await two_teams(kpi)
    group = kpi.tg.group(-100_500, "Lobby")
    bound = await group.say(world.anna, "/bindchat")
    assert (bound.plain or "").startswith("✅ This group is now the group of team «Alpha»")
    before = await snapshot(kpi)
    taken = "⛔ This group belongs to team «Alpha». Its manager can release it with /unbindchat."
    not_yours = "⛔ Only a manager of team «Alpha» can disconnect this group."
    managers_only = "⛔ Only a team's manager can connect a group to the team."
    cases = (
        (world.mia, "/bindchat", taken),
        (world.mia, "/unbindchat", not_yours),
        (world.bob, "/unbindchat", not_yours),
        (world.max, "/unbindchat", not_yours),
        (world.sam, "/unbindchat", not_yours),
        (world.bob, "/bindchat", managers_only),
        (world.sam, "/bindchat", managers_only),
    )
    for user, text, expected in cases:
        assert (await group.say(user, text)).plain == expected, (user, text)
    assert await snapshot(kpi) == before

    # Nothing else gets an answer in a group: no numbers for whoever else is in it; one
    # pointer to the private chat at most (a group takes 20 messages a minute).
    mark = kpi.tg.mark()
    for user, text in (
        (world.anna, "/leaderboard"),
        (world.anna, "/team"),
        (world.anna, "/teamchart"),
        (world.anna, "/export"),
        (world.anna, "/log @bob"),
        (world.bob, "/today"),
        (world.bob, "/month"),
        (world.bob, "/targets"),
        (world.mia, "/leaderboard"),
        (world.sam, "/month"),
    ):
        group.send(user, text)
    await kpi.tg.wait_until_consumed()
    pointer = await kpi.tg.next_in_chat(group.id, mark)
    assert (pointer.plain or "").startswith("📬 I answer commands in a private chat")
    await kpi.tg.expect_silence(group.id, 0.5)
    assert [m.seq for m in group.messages if m.seq > mark] == [pointer.seq]
