"""/export data: the team's entries from a real database, read back from the workbook."""

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.domain import ParseError
from bot.services.entries import record_entry, undo_last_entry
from bot.services.exporting import (
    ExportData,
    ExportRequest,
    export_filename,
    load_export,
    parse_export_args,
    render_export,
)
from bot.services.parsing import parse_entry
from bot.services.periods import DateRange, Period, period_range
from bot.texts import Translator, translator
from bot.views.export import export_labels, export_rows
from models import EntryKind, Metric, Person, Target, TeamInfo, UnitOfWork, User
from models.database import Database
from models.user import person_by_id
from tests.people import join, new_team, register

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


async def person(session: UnitOfWork, user_id: int, first: str, last: str | None) -> Person:
    return await register(
        session, user_id, first, username=first.lower(), language_code="en", last_name=last
    )


async def log(
    session: UnitOfWork, user: Person, team: TeamInfo, kind: EntryKind, args: str
) -> None:
    await record_entry(session, user.id, team.id, kind, parse_entry(kind, args, TODAY))


async def seeded(database: Database) -> tuple[Person, Person, Person, TeamInfo]:
    """Anna manages; Bob works and has a calls target; Carl worked, then left; Dora is new."""
    async with database.write() as session:
        anna = await person(session, 1, "Anna", "Ivanova")
        for user_id, first in ((2, "Bob"), (3, "Carl"), (4, "Dora")):
            await person(session, user_id, first, None)
        team = await new_team(session, anna.id, "Продажи Север")
        bob, carl, dora = [await join(session, user_id, team) for user_id in (2, 3, 4)]
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
    async with database.write() as session:
        await log(session, bob, team, EntryKind.CALL, "30 20.11 #avito Иванов: перезвонить")
        await log(session, bob, team, EntryKind.CALL, "20")
        await log(session, bob, team, EntryKind.LEAD, "4")
        await log(session, bob, team, EntryKind.DEAL, "15 000,50 #avito")
        await log(session, bob, team, EntryKind.DEAL, "5000 repeat =SUM(A1)")
        await log(session, bob, team, EntryKind.DEAL, "999 999")
        # Soft-deleted: not exported.
        assert await undo_last_entry(session, bob.id, team.id) is not None
        await log(session, carl, team, EntryKind.MEETING, "2 2026-11-03")
        await log(session, anna, team, EntryKind.CALL, "1 2026-10-31")  # October: outside
    async with database.write() as session:
        # Carl leaves; his November work stays in the team's export.
        row = await session.get(User, carl.id)
        assert row is not None
        row.team_id, row.role = None, None
    async with database.read() as session:
        manager = await person_by_id(session, anna.id)
        gone = await person_by_id(session, carl.id)
    assert manager is not None and manager.is_manager
    assert gone is not None and gone.team_id is None
    return manager, bob, dora, team


async def export(
    database: Database, viewer: Person, team: TeamInfo, request: ExportRequest, t: Translator
) -> bytes:
    """What /export sends: the viewer's data, in their language."""
    async with database.read() as session:
        data = await load_export(session, viewer, team, request.dates)
    return await render_export(data, request, export_labels(t), export_rows(t, data))


def rows(content: bytes, sheet: str) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


async def test_manager_workbook_has_typed_entries_and_summary(database: Database) -> None:
    anna, _bob, _dora, team = await seeded(database)
    content = await export(database, anna, team, NOVEMBER, EN)
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
    assert bob["Average deal, ₽"] == 10000  # computed: whole rubles (10 000.25 typed twice)
    assert by_person["Carl"]["Meetings"] == 2
    assert (by_person["Dora"]["Calls"], by_person["Anna Ivanova"]["Calls"]) == (0, 0)
    total = by_person["Total"]
    assert (total["Calls"], total["Meetings"], total["Revenue"]) == (50, 2, 20000.5)


async def test_employee_gets_only_own_rows(database: Database) -> None:
    _anna, bob, dora, team = await seeded(database)
    async with database.read() as session:
        data = await load_export(session, bob, team, NOVEMBER.dates)
        empty = await load_export(session, dora, team, NOVEMBER.dates)
    assert {author for _entry, author in data.entries} == {"Bob"}
    assert {entry.user_id for entry, _author in data.entries} == {bob.id}
    assert len(data.entries) == 5
    assert [row.person for row in data.summary] == ["Bob"]
    assert empty.entries == []
    assert [(r.person, r.values["calls"]) for r in empty.summary] == [("Dora", 0)]


async def test_csv_has_bom_semicolons_and_cyrillic(database: Database) -> None:
    anna, _bob, _dora, team = await seeded(database)
    request = ExportRequest(True, Period.MONTH, NOVEMBER.dates)
    content = await export(database, anna, team, request, RU)
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["Дата", "Сотрудник", "Тип"]
    assert ["2026-11-20", "Bob", "Звонок", "30", "", "avito", "Иванов: перезвонить"] == table[2][:7]
    assert table[5][2:5] == ["Сделка", "1", "15000.50"]
    assert export_filename(ExportData(team, [], []), request) == "kpi-prodazhi-sever-2026-11.csv"


async def test_russian_labels(database: Database) -> None:
    anna, _bob, _dora, team = await seeded(database)
    content = await export(database, anna, team, NOVEMBER, RU)
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
