"""/export as a manager and a salesperson receive it: a workbook that reads and prints well
(columns as wide as what they show, no ### for big amounts, header frozen and repeated on every
printed page, landscape, one page wide) and a file name that says whose numbers it holds."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import invite_token, set_up_team

NOON_25_NOV = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(NOON_25_NOV)
    return frozen_clock


def shown(cell: Cell) -> int:
    """The characters LibreOffice draws for a cell, its number format applied."""
    value, number_format = cell.value, cell.number_format
    if value is None:
        return 0
    if isinstance(value, bool):
        return len("ИСТИНА")
    if isinstance(value, date):
        return len("2026-11-25 12:00") if "HH" in number_format else len("2026-11-25")
    if number_format == "#,##0.00":
        return len(f"{value:,.2f}")
    if number_format.endswith("%"):
        decimals = number_format.count("0") - 1
        return len(f"{value * 100:.{decimals}f}%")
    return len(str(value))


def assert_fits_and_prints(sheet: Worksheet, frozen: str) -> None:
    for column in sheet.iter_cols():
        letter = get_column_letter(column[0].column)
        width = sheet.column_dimensions[letter].width
        longest = max(shown(cell) for cell in column[1:])
        assert width >= longest + 1, (letter, width, [cell.value for cell in column])
        assert width >= len(str(column[0].value)) + 1, (letter, column[0].value)
    assert sheet.freeze_panes == frozen
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"


async def test_workbook_columns_fit_their_numbers_and_it_prints_landscape(
    kpi: RunningBot,
) -> None:
    anna = kpi.tg.user(1001, "Анна", username="anna", language_code="ru")
    boris = kpi.tg.user(1002, "Борис", username="boris", last_name="Петров", language_code="ru")
    await set_up_team(kpi, anna, boris, "Продажи Север")
    await anna.say("/target revenue 1000000000")
    for _ in range(3):
        await boris.say("/deal 999 999 999,99 #опт крупный клиент")
    await boris.say("/lead 3")

    reply = await anna.say("/export")
    assert reply.document is not None
    workbook = load_workbook(io.BytesIO(reply.document[1]))
    summary = workbook["Итоги"]
    revenue = [row for row in summary.iter_rows(min_row=2, values_only=True)][-1]
    assert "2,999,999,999.97" in {f"{value:,.2f}" for value in revenue if isinstance(value, float)}
    assert_fits_and_prints(summary, "B2")
    assert_fits_and_prints(workbook["Записи"], "A2")


async def test_file_names_say_whose_numbers(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Анна", username="anna", language_code="ru")
    boris = kpi.tg.user(1002, "Борис", username="boris", last_name="Петров", language_code="ru")
    await set_up_team(kpi, anna, boris, "Продажи Север")
    await boris.say("/call")
    team = await anna.say("/export")
    assert team.document is not None and team.document[0] == "kpi-prodazhi-sever-2026-11.xlsx"
    own = await boris.say("/export csv")
    assert own.document is not None
    assert own.document[0] == "kpi-prodazhi-sever-boris-petrov-2026-11.csv"
    week = await boris.say("/export неделя")
    assert week.document is not None
    assert week.document[0] == "kpi-prodazhi-sever-boris-petrov-2026-W48.xlsx"
    nameless = kpi.tg.user(1003, "<&>", username="x_y", language_code="ru")
    token = invite_token((await anna.say("/invite")).plain or "")
    await nameless.say(f"/start {token}")
    await nameless.say("/call")
    odd = await nameless.say("/export")
    assert odd.document is not None and odd.document[0] == "kpi-prodazhi-sever-x-y-2026-11.xlsx"
