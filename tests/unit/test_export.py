from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.services.export import (
    CONVERSION_FORMAT,
    CSV_DELIMITER,
    METRIC_KEYS,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    WHOLE_MONEY_FORMAT,
    ExportEntry,
    ExportLabels,
    SummaryRow,
    build_csv,
    build_workbook,
    kopecks_to_rubles,
    neutralise_csv,
    summary_totals,
)

TZ = "Europe/Moscow"
LABELS = ExportLabels(
    entries_sheet="Entries",
    summary_sheet="Summary",
    entry_headers=("Date", "Person", "Kind", "Count", "Amount", "Tag", "Note", "Logged at"),
    summary_person="Person",
    metric_names={
        "calls": "Calls",
        "meetings": "Meetings",
        "leads": "Leads",
        "deals": "Deals",
        "revenue": "Revenue",
    },
    target_suffix="target",
    percent_suffix="% of target",
    conversion="Conversion",
    average_deal="Average deal",
    total="Total",
)
RU_LABELS = replace(
    LABELS,
    entries_sheet="Записи",
    summary_sheet="Итоги",
    summary_person="Сотрудник",
    entry_headers=("Дата", "Сотрудник", "Тип", "Кол-во", "Сумма", "Тег", "Заметка", "Записано"),
    total="Итого",
)
SUMMARY_HEADERS = [
    "Person",
    "Calls",
    "Calls target",
    "Calls % of target",
    "Meetings",
    "Meetings target",
    "Meetings % of target",
    "Leads",
    "Leads target",
    "Leads % of target",
    "Deals",
    "Deals target",
    "Deals % of target",
    "Revenue",
    "Revenue target",
    "Revenue % of target",
    "Conversion",
    "Average deal",
]
COL = {name: index for index, name in enumerate(SUMMARY_HEADERS)}


def entry(
    *,
    day: date = date(2026, 11, 27),
    person: str = "Анна Смирнова",
    kind: str = "Call",
    count: int = 1,
    amount: int | None = None,
    tag: str | None = None,
    note: str | None = None,
    logged_at: datetime = datetime(2026, 11, 27, 9, 15, tzinfo=UTC),
    repeat: bool = False,
) -> ExportEntry:
    return ExportEntry(day, person, kind, count, amount, tag, note, logged_at, repeat)


def person_row(
    person: str,
    values: dict[str, int],
    targets: dict[str, Fraction | None] | None = None,
    conversion: Fraction | None = None,
    average: Fraction | None = None,
) -> SummaryRow:
    return SummaryRow(person, values, targets or {}, conversion, average)


SUMMARY = [
    person_row(
        "Анна Смирнова",
        {"calls": 10, "meetings": 3, "leads": 5, "deals": 2, "revenue": 3_000_050},
        {"calls": 20, "meetings": None, "leads": 4, "deals": 4, "revenue": Fraction(6_000_100)},
        Fraction(2, 5),
        Fraction(3_000_050, 2),
    ),
    person_row(
        "Boris",
        {"calls": 30, "meetings": 1, "leads": 3, "deals": 1, "revenue": 1_000_000},
        {"calls": 20, "meetings": 2, "leads": 4, "deals": None, "revenue": 4_000_000},
        Fraction(1, 3),
        Fraction(1_000_000),
    ),
]


def workbook(
    entries: list[ExportEntry] | None = None,
    summary: list[SummaryRow] | None = None,
    labels: ExportLabels = LABELS,
    title: str = "Sales North — November 2026",
) -> Workbook:
    data = build_workbook(entries or [], summary or [], labels, TZ, title)
    assert data[:2] == b"PK"
    return load_workbook(io.BytesIO(data))


def rows(ws: Worksheet) -> list[tuple[Any, ...]]:
    return [tuple(cell.value for cell in row) for row in ws.iter_rows()]


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


# --------------------------------------------------------------------------- labels


def test_labels_need_eight_or_nine_headers() -> None:
    with pytest.raises(ValueError, match="entry_headers"):
        replace(LABELS, entry_headers=("Date", "Person"))
    with pytest.raises(ValueError, match="entry_headers"):
        replace(LABELS, entry_headers=(*LABELS.entry_headers, "Repeat", "Extra"))


def test_labels_need_every_metric_name() -> None:
    with pytest.raises(ValueError, match="revenue"):
        replace(LABELS, metric_names={k: k for k in METRIC_KEYS if k != "revenue"})


def test_summary_headers_follow_metric_order() -> None:
    assert LABELS.summary_headers() == SUMMARY_HEADERS


def test_kopecks_to_rubles_is_exact() -> None:
    assert kopecks_to_rubles(1_500_050) == Decimal("15000.50")
    assert str(kopecks_to_rubles(0)) == "0.00"
    assert str(kopecks_to_rubles(7)) == "0.07"
    assert str(kopecks_to_rubles(-150)) == "-1.50"


# --------------------------------------------------------------------------- workbook: entries


def test_sheets_headers_title_and_layout() -> None:
    wb = workbook([entry()], SUMMARY)
    assert wb.sheetnames == ["Entries", "Summary"]
    assert wb.properties.title == "Sales North — November 2026"
    ws = wb["Entries"]
    assert rows(ws)[0] == LABELS.entry_headers
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H2"
    assert ws.column_dimensions["A"].width >= 10
    assert ws.column_dimensions["G"].width == len("Note") * 1.2 + 2  # no notes: the header's
    note = "Перезвонить после обеда, спросить про оптовую цену"
    noted = workbook([entry(note=note)], SUMMARY)["Entries"]
    assert noted.column_dimensions["G"].width == len(note) + 2  # sized to the longest note
    assert rows(wb["Summary"])[0] == tuple(SUMMARY_HEADERS)
    assert wb["Summary"].column_dimensions["A"].width >= len("Анна Смирнова")


def test_zero_entries_gives_headers_only() -> None:
    wb = workbook([], [])
    ws = wb["Entries"]
    assert rows(ws) == [LABELS.entry_headers]
    assert ws.auto_filter.ref == "A1:H1"
    summary = rows(wb["Summary"])
    assert len(summary) == 2  # header + total
    total = summary[1]
    assert total[0] == "Total"
    assert [total[COL[name]] for name in ("Calls", "Deals", "Revenue")] == [0, 0, 0]
    assert total[COL["Calls target"]] is None
    assert total[COL["Conversion"]] is None
    assert total[COL["Average deal"]] is None


def test_entry_cells_are_typed() -> None:
    deal = entry(
        day=date(2026, 11, 20),
        kind="Deal",
        amount=1_500_050,
        tag="b2b",
        note="Договор подписан",
        logged_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    )
    wb = workbook([deal, entry(count=3)])
    ws = wb["Entries"]
    day, person, kind, count, amount, tag, note, logged = ws[2]

    assert isinstance(day.value, datetime)  # openpyxl reads date cells back as datetime
    assert day.value.date() == date(2026, 11, 20)
    assert day.is_date and day.number_format == "YYYY-MM-DD"

    assert person.value == "Анна Смирнова" and person.data_type == "s"
    assert kind.value == "Deal"
    assert count.value == 1 and type(count.value) is int
    assert isinstance(amount.value, float) and amount.value == 15000.5
    assert amount.data_type == "n" and amount.number_format == MONEY_FORMAT
    assert tag.value == "b2b" and note.value == "Договор подписан"

    assert isinstance(logged.value, datetime) and logged.value.tzinfo is None
    assert logged.value == datetime(2026, 11, 20, 15, 0)  # UTC+3
    assert logged.number_format == "YYYY-MM-DD HH:MM"

    second = [cell.value for cell in ws[3]]
    assert second[3] == 3 and type(second[3]) is int
    assert second[4] is None  # no amount -> empty cell
    assert second[5] is None and second[6] is None


def test_logged_at_is_shown_in_team_local_time_across_midnight() -> None:
    late = entry(logged_at=datetime(2026, 11, 27, 21, 30, tzinfo=UTC))
    ws = workbook([late])["Entries"]
    assert ws["H2"].value == datetime(2026, 11, 28, 0, 30)


def test_logged_at_from_another_zone_is_converted() -> None:
    vladivostok = datetime(2026, 11, 28, 8, 30, tzinfo=ZoneInfo("Asia/Vladivostok"))
    ws = workbook([entry(logged_at=vladivostok)])["Entries"]
    assert ws["H2"].value == datetime(2026, 11, 28, 1, 30)


def test_naive_logged_at_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_workbook([entry(logged_at=datetime(2026, 11, 27, 9))], [], LABELS, TZ, "t")
    with pytest.raises(ValueError, match="timezone-aware"):
        build_csv([entry(logged_at=datetime(2026, 11, 27, 9))], LABELS, TZ)


@pytest.mark.parametrize(
    "note",
    ["=cmd|' /C calc'!A0", "=1+1", "+1+1", "-2+3", "@SUM(A1:A2)", "#N/A", '=HYPERLINK("x")'],
)
def test_formula_looking_text_stays_text(note: str) -> None:
    ws = workbook([entry(note=note, tag=note, person=note)])["Entries"]
    for ref in ("B2", "F2", "G2"):
        cell = ws[ref]
        assert cell.value == note
        assert cell.data_type == "s"


def test_control_characters_are_dropped_and_newlines_kept() -> None:
    ws = workbook([entry(note="a\x07b\nc\td")])["Entries"]
    assert ws["G2"].value == "a" + "b\nc\td"


def test_cyrillic_round_trips_with_russian_labels() -> None:
    wb = workbook(
        [entry(person="Пётр Ёлкин", kind="Звонок", tag="холодный", note="Перезвонить в пятницу")],
        [person_row("Пётр Ёлкин", {"calls": 1})],
        labels=RU_LABELS,
        title="Продажи Север — ноябрь 2026",
    )
    assert wb.sheetnames == ["Записи", "Итоги"]
    assert wb.properties.title == "Продажи Север — ноябрь 2026"
    ws = wb["Записи"]
    assert rows(ws)[0] == RU_LABELS.entry_headers
    assert rows(ws)[1][1:3] == ("Пётр Ёлкин", "Звонок")
    assert rows(ws)[1][5:7] == ("холодный", "Перезвонить в пятницу")
    assert [r[0] for r in rows(wb["Итоги"])] == ["Сотрудник", "Пётр Ёлкин", "Итого"]


def test_sheet_names_are_made_valid() -> None:
    labels = replace(LABELS, entries_sheet="Entries: 2026/11 [all]", summary_sheet="S" * 40)
    wb = workbook([entry()], labels=labels)
    assert wb.sheetnames == ["Entries  2026 11  all", "S" * 31]


def test_optional_repeat_column() -> None:
    labels = replace(LABELS, entry_headers=(*LABELS.entry_headers, "Repeat"))
    entries = [entry(repeat=True), entry()]
    ws = workbook(entries, labels=labels)["Entries"]
    assert rows(ws)[0][-1] == "Repeat"
    assert ws.auto_filter.ref == "A1:I3"
    assert ws["I2"].value is True and ws["I3"].value is False
    parsed = csv_rows(build_csv(entries, labels, TZ))
    assert [r[-1] for r in parsed] == ["Repeat", "1", "0"]


def test_many_rows_keep_their_own_values() -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    entries = [
        entry(
            day=date(2026, 11, 1) + timedelta(days=i % 28),
            count=i + 1,
            amount=i * 101 if i % 2 else None,
            logged_at=base + timedelta(minutes=7 * i),
        )
        for i in range(300)
    ]
    ws = workbook(entries)["Entries"]
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
        assert row[0] == datetime(2026, 11, 1) + timedelta(days=i % 28)
        assert row[3] == i + 1
        assert row[4] == (pytest.approx(i * 1.01) if i % 2 else None)
        assert row[7] == datetime(2026, 11, 1, 3) + timedelta(minutes=7 * i)
    assert ws.max_row == 301


# --------------------------------------------------------------------------- workbook: summary


def test_summary_person_rows() -> None:
    ws = workbook([], SUMMARY)["Summary"]
    assert ws.freeze_panes == "B2"
    anna = rows(ws)[1]
    assert anna[0] == "Анна Смирнова"
    assert anna[COL["Calls"]] == 10 and type(anna[COL["Calls"]]) is int
    assert anna[COL["Calls target"]] == 20
    assert anna[COL["Calls % of target"]] == 0.5
    assert anna[COL["Meetings target"]] is None
    assert anna[COL["Meetings % of target"]] is None
    assert anna[COL["Leads % of target"]] == 1.25
    assert anna[COL["Revenue"]] == 30000.5
    # Computed money in whole rubles (60 001 ₽; 15 000.25 -> 15 000 ₽); typed revenue keeps
    # its kopecks.
    assert anna[COL["Revenue target"]] == 60001
    assert anna[COL["Revenue % of target"]] == 0.5
    assert anna[COL["Conversion"]] == 0.4
    assert anna[COL["Average deal"]] == 15000

    boris = rows(ws)[2]
    assert boris[COL["Deals target"]] is None
    assert boris[COL["Conversion"]] == 0.333  # the 33.3 % shown, not 1/3

    row2 = ws[2]
    assert row2[COL["Calls % of target"]].number_format == PERCENT_FORMAT
    assert row2[COL["Conversion"]].number_format == CONVERSION_FORMAT
    assert row2[COL["Revenue"]].number_format == MONEY_FORMAT
    assert row2[COL["Revenue target"]].number_format == WHOLE_MONEY_FORMAT
    assert row2[COL["Average deal"]].number_format == WHOLE_MONEY_FORMAT


def test_summary_cells_hold_the_rounded_values_they_show() -> None:
    # 9 of 8 is 112.5 %: the cell holds 1.13 (113 %, half up, as chat says), not 1.125 for
    # the spreadsheet to round; a share of a target as chat shows it (2.3, 0.5).
    row = person_row(
        "Лиза",
        {"calls": 9, "meetings": 3, "leads": 3, "deals": 1},
        {"calls": Fraction(8), "meetings": Fraction(50, 22), "deals": Fraction(10, 22)},
        Fraction(1, 3),
    )
    ws = workbook([], [row])["Summary"]
    cells = rows(ws)[1]
    assert cells[COL["Calls % of target"]] == 1.13
    assert cells[COL["Meetings target"]] == 2.3
    assert cells[COL["Meetings % of target"]] == 1.32  # 3 against 2.27, not 3 against 2
    assert cells[COL["Deals target"]] == 0.5
    assert cells[COL["Deals % of target"]] == 2.2


def test_summary_total_row() -> None:
    ws = workbook([], SUMMARY)["Summary"]
    all_rows = rows(ws)
    assert len(all_rows) == 4
    total = all_rows[-1]
    assert total[0] == "Total"
    assert all(cell.font.b for cell in ws[4] if cell.value is not None)
    assert total[COL["Calls"]] == 40
    assert total[COL["Meetings"]] == 4
    assert total[COL["Leads"]] == 8
    assert total[COL["Deals"]] == 3
    assert total[COL["Revenue"]] == 40000.5
    # Targets add up only when every person has one.
    assert total[COL["Calls target"]] == 40
    assert total[COL["Calls % of target"]] == 1.0
    assert total[COL["Meetings target"]] is None
    assert total[COL["Meetings % of target"]] is None
    assert total[COL["Deals target"]] is None
    assert total[COL["Revenue target"]] == 100001
    assert total[COL["Revenue % of target"]] == 0.4  # 40.0 %
    # Team conversion and average deal come from the totals, not from averaging people.
    assert total[COL["Conversion"]] == 0.375
    assert total[COL["Average deal"]] == 13334  # 4 000 050 / 3 = 13 333.50 ₽ -> 13 334 ₽


def test_summary_totals_helper() -> None:
    totals = summary_totals(SUMMARY)
    assert totals.values == {
        "calls": 40,
        "meetings": 4,
        "leads": 8,
        "deals": 3,
        "revenue": 4_000_050,
    }
    assert totals.targets["leads"] == 8 and totals.targets["deals"] is None
    assert totals.conversion == Fraction(3, 8)
    assert totals.average_deal == Fraction(4_000_050, 3)


def test_summary_missing_metrics_and_zero_targets() -> None:
    lone = person_row("Лиза", {"calls": 5}, {"calls": 0})
    ws = workbook([], [lone])["Summary"]
    row = rows(ws)[1]
    assert row[COL["Calls"]] == 5
    assert row[COL["Calls target"]] == 0
    assert row[COL["Calls % of target"]] is None  # no division by zero
    assert row[COL["Deals"]] == 0
    assert row[COL["Revenue"]] == 0
    assert row[COL["Conversion"]] is None
    assert row[COL["Average deal"]] is None


# --------------------------------------------------------------------------- CSV


def test_csv_encoding_header_and_line_endings() -> None:
    data = build_csv([entry()], LABELS, TZ)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8").startswith("\ufeffDate;Person;")
    assert data.count(b"\r\n") == 2
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert CSV_DELIMITER == ";"


def test_csv_zero_entries_is_header_only() -> None:
    assert csv_rows(build_csv([], RU_LABELS, TZ)) == [list(RU_LABELS.entry_headers)]


def test_csv_values() -> None:
    deal = entry(
        day=date(2026, 11, 5),
        person="Пётр Ёлкин",
        kind="Сделка",
        count=1,
        amount=1_500_050,
        tag="b2b",
        note="Оплата; счёт №5",
        logged_at=datetime(2026, 11, 5, 21, 30, tzinfo=UTC),
    )
    call = entry(count=12, amount=None, logged_at=datetime(2026, 11, 27, 9, 5, 59, tzinfo=UTC))
    parsed = csv_rows(build_csv([deal, call], RU_LABELS, TZ))
    assert parsed[0] == list(RU_LABELS.entry_headers)
    assert parsed[1] == [
        "2026-11-05",
        "Пётр Ёлкин",
        "Сделка",
        "1",
        "15000.50",
        "b2b",
        "Оплата; счёт №5",
        "2026-11-06 00:30",
    ]
    assert parsed[2] == [
        "2026-11-27",
        "Анна Смирнова",
        "Call",
        "12",
        "",
        "",
        "",
        "2026-11-27 12:05",
    ]


def test_csv_round_number_amount_keeps_two_decimals() -> None:
    parsed = csv_rows(build_csv([entry(amount=2_000_000)], LABELS, TZ))
    assert parsed[1][4] == "20000.00"


def test_csv_quotes_delimiters_quotes_and_newlines() -> None:
    note = 'Клиент сказал "да";\nперезвонить\r\nзавтра'
    data = build_csv([entry(note=note)], LABELS, TZ)
    parsed = csv_rows(data)
    assert len(parsed) == 2
    assert parsed[1][6] == note


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+7 999", "'+7 999"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("обычный текст", "обычный текст"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_csv(value: str, expected: str) -> None:
    assert neutralise_csv(value) == expected


def test_csv_formula_notes_are_neutralised() -> None:
    dangerous = entry(person="=Иван", tag="+tag", note="=cmd|' /C calc'!A0")
    parsed = csv_rows(build_csv([dangerous], LABELS, TZ))
    assert parsed[1][1] == "'=Иван"
    assert parsed[1][5] == "'+tag"
    assert parsed[1][6] == "'=cmd|' /C calc'!A0"
    assert not any(field.startswith(("=", "+", "-", "@")) for field in parsed[1])
