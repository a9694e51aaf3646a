"""/export data: the team's entries from a real database, read back from the workbook."""

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.entries import record_entry, undo_last_entry
from bot.services.exporting import (
    ExportRequest,
    export_filename,
    export_labels,
    load_export,
    parse_export_args,
    render_export,
)
from bot.services.parsing import ParseError, parse_entry
from bot.services.people import TelegramProfile, sync_user
from bot.services.periods import DateRange, Period, period_range
from bot.services.teams import create_team, join_by_invite
from bot.texts import translator
from models import EntryKind, Metric, Target, Team, User

TODAY = date(2026, 11, 25)  # a Wednesday
NOVEMBER = ExportRequest(False, Period.MONTH, period_range(Period.MONTH, TODAY))
EN = translator("en")
RU = translator("ru")
ENTRY_HEADERS = [
    "Date",
    "Person",
    "Kind",
    "Count",
    "Amount, ₽",
    "Tag",
    "Note",
    "Logged at",
    "Repeat sale",
]


async def person(session: AsyncSession, user_id: int, first: str, last: str | None) -> User:
    user, _ = await sync_user(session, TelegramProfile(user_id, first, last, first.lower(), "en"))
    return user


async def log(session: AsyncSession, user: User, team: Team, kind: EntryKind, args: str) -> None:
    await record_entry(session, user, team, kind, parse_entry(kind, args, TODAY))


async def seeded(session: AsyncSession) -> tuple[User, User, User, Team]:
    """Anna manages; Bob works and has a calls target; Carl worked, then left; Dora is new."""
    anna = await person(session, 1, "Anna", "Ivanova")
    bob = await person(session, 2, "Bob", None)
    carl = await person(session, 3, "Carl", None)
    dora = await person(session, 4, "Dora", None)
    team = await create_team(session, anna, "Продажи Север")
    assert team.invite_token
    for member in (bob, carl, dora):
        await join_by_invite(session, member, None, team.invite_token, confirmed=False)
    session.add(
        Target(
            team_id=team.id,
            user_id=bob.id,
            metric=Metric.CALLS,
            period=Period.MONTH,
            value=100,
            valid_from=date(2026, 11, 1),
            created_by_id=anna.id,
        )
    )
    await session.commit()
    await log(session, bob, team, EntryKind.CALL, "30 20.11 #avito Иванов: перезвонить")
    await log(session, bob, team, EntryKind.CALL, "20")
    await log(session, bob, team, EntryKind.LEAD, "4")
    await log(session, bob, team, EntryKind.DEAL, "15 000,50 #avito")
    await log(session, bob, team, EntryKind.DEAL, "5000 repeat =SUM(A1)")
    await log(session, bob, team, EntryKind.DEAL, "999 999")
    assert await undo_last_entry(session, bob, team) is not None  # soft-deleted: not exported
    await log(session, carl, team, EntryKind.MEETING, "2 2026-11-03")
    await log(session, anna, team, EntryKind.CALL, "1 2026-10-31")  # October: outside
    carl.team_id = None  # Carl leaves; his November work stays in the team's export
    carl.role = None
    await session.commit()
    return anna, bob, dora, team


def rows(content: bytes, sheet: str) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


async def test_manager_workbook_has_typed_entries_and_summary(session: AsyncSession) -> None:
    anna, _bob, _dora, team = await seeded(session)
    data = await load_export(session, anna, team, NOVEMBER.dates, EN)
    content = await render_export(data, NOVEMBER, export_labels(EN))
    assert load_workbook(io.BytesIO(content)).sheetnames == ["Entries", "Summary"]

    entries = rows(content, "Entries")
    assert entries[0] == ENTRY_HEADERS
    body = entries[1:]
    assert [(r[0].date(), r[1], r[2], r[3]) for r in body] == [
        (date(2026, 11, 3), "Carl", "Meeting", 2),
        (date(2026, 11, 20), "Bob", "Call", 30),
        (date(2026, 11, 25), "Bob", "Call", 20),
        (date(2026, 11, 25), "Bob", "Lead", 4),
        (date(2026, 11, 25), "Bob", "Deal", 1),
        (date(2026, 11, 25), "Bob", "Deal", 1),
    ]
    assert all(isinstance(r[0], datetime) and isinstance(r[7], datetime) for r in body)
    call = body[1]
    assert (call[4], call[5], call[6], call[8]) == (None, "avito", "Иванов: перезвонить", False)
    deals = body[4:]
    assert [d[4] for d in deals] == [15000.5, 5000]
    assert all(isinstance(d[4], int | float) for d in deals)
    assert deals[1][6] == "=SUM(A1)" and deals[1][8] is True  # text, never a formula

    summary = rows(content, "Summary")
    headers = summary[0]
    assert headers[:4] == ["Person", "Calls", "Calls target", "Calls % of target"]
    assert headers[-2:] == ["Conversion lead → deal", "Average deal, ₽"]
    by_person = {r[0]: dict(zip(headers, r, strict=True)) for r in summary[1:]}
    assert list(by_person) == ["Anna Ivanova", "Bob", "Carl", "Dora", "Total"]
    bob = by_person["Bob"]
    assert (bob["Calls"], bob["Calls target"], bob["Calls % of target"]) == (50, 100, 0.5)
    assert (bob["Leads"], bob["Deals"], bob["Revenue"]) == (4, 2, 20000.5)
    assert bob["Conversion lead → deal"] == 0.5
    assert bob["Average deal, ₽"] == 10000.25
    assert by_person["Carl"]["Meetings"] == 2
    assert (by_person["Dora"]["Calls"], by_person["Anna Ivanova"]["Calls"]) == (0, 0)
    total = by_person["Total"]
    assert (total["Calls"], total["Meetings"], total["Revenue"]) == (50, 2, 20000.5)


async def test_employee_gets_only_own_rows(session: AsyncSession) -> None:
    _anna, bob, dora, team = await seeded(session)
    data = await load_export(session, bob, team, NOVEMBER.dates, EN)
    assert {e.person for e in data.entries} == {"Bob"}
    assert len(data.entries) == 5
    assert [row.person for row in data.summary] == ["Bob"]
    empty = await load_export(session, dora, team, NOVEMBER.dates, EN)
    assert empty.entries == []
    assert [(r.person, r.values["calls"]) for r in empty.summary] == [("Dora", 0)]


async def test_csv_has_bom_semicolons_and_cyrillic(session: AsyncSession) -> None:
    anna, _bob, _dora, team = await seeded(session)
    request = ExportRequest(True, Period.MONTH, NOVEMBER.dates)
    data = await load_export(session, anna, team, request.dates, RU)
    content = await render_export(data, request, export_labels(RU))
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["Дата", "Сотрудник", "Тип"]
    assert ["2026-11-20", "Bob", "Звонок", "30", "", "avito", "Иванов: перезвонить"] == table[2][:7]
    assert table[5][2:5] == ["Сделка", "1", "15000.50"]
    assert export_filename(team, request) == "kpi-prodazhi-sever-2026-11.csv"


async def test_russian_labels(session: AsyncSession) -> None:
    anna, _bob, _dora, team = await seeded(session)
    data = await load_export(session, anna, team, NOVEMBER.dates, RU)
    content = await render_export(data, NOVEMBER, export_labels(RU))
    assert load_workbook(io.BytesIO(content)).sheetnames == ["Записи", "Итоги"]
    assert rows(content, "Итоги")[-1][0] == "Итого"


@pytest.mark.parametrize(
    ("args", "as_csv", "period", "dates"),
    [
        (None, False, Period.MONTH, DateRange(date(2026, 11, 1), date(2026, 11, 30))),
        ("week", False, Period.WEEK, DateRange(date(2026, 11, 23), date(2026, 11, 29))),
        ("csv неделя", True, Period.WEEK, DateRange(date(2026, 11, 23), date(2026, 11, 29))),
        ("2026-02 CSV", True, Period.MONTH, DateRange(date(2026, 2, 1), date(2026, 2, 28))),
        ("месяц xlsx", False, Period.MONTH, DateRange(date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11", False, Period.MONTH, DateRange(date(2026, 11, 1), date(2026, 11, 30))),
    ],
)
def test_export_arguments(args: str | None, as_csv: bool, period: Period, dates: DateRange) -> None:
    assert parse_export_args(args, TODAY) == ExportRequest(as_csv, period, dates)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ("2026-12", "export_future"),
        ("2099-01", "export_future"),
        ("2026-13", "export_argument"),
        ("11.2026", "export_argument"),
        ("week month", "export_argument"),
        ("quarter", "export_argument"),
    ],
)
def test_bad_export_arguments(args: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_export_args(args, TODAY)
    assert caught.value.code == code
