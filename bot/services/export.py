"""Building /export files (Excel workbook and CSV) from plain rows, entirely in memory.

The caller queries the database, translates every user-facing word (sheet names, headers,
kind names) from its locale files and hands over plain rows; this module only lays them out.
Rows are written in the order given: sorting is the caller's job.

Money arrives as exact integer kopecks and is turned into rubles only at the cell/field level;
targets, percentages, conversion and average deal arrive exact (Fraction) and are rounded here,
half up by `bot.domain`'s one rule, to the value the cell shows (the cell holds that value, so
the spreadsheet has nothing left to round). Computed money is in whole rubles.
Instants (``logged_at``) must be timezone-aware; they are shown in the team's local time
(as a naive local datetime in Excel, which has no time zones).

Text that looks like a spreadsheet formula is neutralised: in the workbook every text cell is
stored as a plain string (never a formula), in CSV such values get a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain import RUBLE, percent_of, rounded, shown_share, whole_rubles

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.properties import PageSetupProperties


def _load_openpyxl() -> None:
    """openpyxl (about 25 MB with the numpy it takes along when installed) is loaded by the
    first workbook: a bot whose people never export does without it."""
    global Workbook, WriteOnlyCell, ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, Font
    global get_column_letter, PageSetupProperties
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties


METRIC_KEYS: tuple[str, ...] = ("calls", "meetings", "leads", "deals", "revenue")
"""Summary metrics, in column order. ``revenue`` is money (kopecks); the rest are counts."""
MONEY_METRICS = frozenset({"revenue"})

ENTRY_COLUMNS = 8
"""date, person, kind, count, amount, tag, note, logged at (+ optional 9th: repeat flag)."""

DATE_FORMAT = "YYYY-MM-DD"
DATETIME_FORMAT = "YYYY-MM-DD HH:MM"
MONEY_FORMAT = "#,##0.00"
WHOLE_MONEY_FORMAT = "#,##0"  # computed amounts: whole rubles
PERCENT_FORMAT = "0%"
CONVERSION_FORMAT = "0.0%"

CSV_DELIMITER = ";"  # Russian-locale Excel uses ';' as the list separator when opening CSV.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = str.maketrans({ch: " " for ch in "\\/?*[]:"})

_TEXT_MAX_WIDTH = 60.0  # a longer name or note runs on past the column's edge


@dataclass(frozen=True, slots=True)
class ExportEntry:
    business_date: date
    person: str  # display name
    kind: str  # already translated label, e.g. "Call" / "Звонок"
    count: int
    amount_kopecks: int | None  # deals only; exact integer kopecks
    tag: str | None
    note: str | None
    logged_at: datetime  # timezone-aware instant
    is_repeat: bool = False


@dataclass(frozen=True, slots=True)
class SummaryRow:
    person: str
    values: dict[str, int]  # metric key -> value (counts; revenue in kopecks); missing = 0
    targets: dict[str, Fraction | None]  # metric key -> exact period target (kopecks) or None
    conversion: Fraction | None  # deals per lead (2/5 = 40 %); None where it means nothing
    average_deal: Fraction | None  # kopecks, exact; None without deals


@dataclass(frozen=True, slots=True)
class ExportLabels:
    """Every user-facing word of the export, already translated by the caller.

    ``entry_headers`` has 8 titles (date, person, kind, count, amount, tag, note, logged at) or 9:
    a 9th title adds a "repeat" column (Excel boolean in the workbook, ``1``/``0`` in CSV).
    ``metric_names`` must name every key of ``METRIC_KEYS``; summary columns are titled
    ``"<metric> <target_suffix>"`` and ``"<metric> <percent_suffix>"``.
    """

    entries_sheet: str
    summary_sheet: str
    entry_headers: tuple[str, ...]
    summary_person: str
    metric_names: dict[str, str]
    target_suffix: str
    percent_suffix: str
    conversion: str
    average_deal: str
    total: str

    def __post_init__(self) -> None:
        if len(self.entry_headers) not in (ENTRY_COLUMNS, ENTRY_COLUMNS + 1):
            raise ValueError(
                f"entry_headers needs {ENTRY_COLUMNS} or {ENTRY_COLUMNS + 1} titles, "
                f"got {len(self.entry_headers)}"
            )
        missing = [key for key in METRIC_KEYS if key not in self.metric_names]
        if missing:
            raise ValueError(f"metric_names lacks {', '.join(missing)}")

    @property
    def with_repeat(self) -> bool:
        return len(self.entry_headers) > ENTRY_COLUMNS

    def summary_headers(self) -> list[str]:
        headers = [self.summary_person]
        for key in METRIC_KEYS:
            name = self.metric_names[key]
            headers += [name, f"{name} {self.target_suffix}", f"{name} {self.percent_suffix}"]
        headers += [self.conversion, self.average_deal]
        return headers


# --------------------------------------------------------------------------- helpers


def kopecks_to_rubles(kopecks: int) -> Decimal:
    """Exact rubles, two decimal places: 1500050 -> Decimal('15000.50')."""
    return Decimal(kopecks).scaleb(-2)


def _check_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("logged_at must be timezone-aware")


def local_naive(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant as a naive wall-clock time in ``zone`` (seconds precision)."""
    _check_aware(instant)
    return instant.astimezone(zone).replace(tzinfo=None, microsecond=0)


def neutralise_csv(text: str) -> str:
    """Prefix text a spreadsheet would treat as a formula with ``'`` (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _clean(text: str) -> str:
    """Drop control characters that the xlsx format cannot store."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _needs_forced_text(text: str) -> bool:
    return text.startswith("=") or text in ERROR_CODES


def _sheet_title(name: str) -> str | None:
    title = name.translate(_SHEET_TITLE_FORBIDDEN).strip().strip("'").strip()
    return title[:_SHEET_TITLE_MAX] or None


def _percent_cell(part: int, whole: Fraction | None) -> Decimal | None:
    """part / whole as the whole per cent shown (1.13 for 113 %), rounded half up."""
    if whole is None or whole <= 0:
        return None
    return rounded(percent_of(part, whole), 0).scaleb(-2)


def _conversion_cell(conversion: Fraction | None) -> Decimal | None:
    """Per cent to one decimal, as shown (0.333 for 33.3 %)."""
    return None if conversion is None else rounded(conversion * 100, 1).scaleb(-2)


def _whole_rubles(kopecks: Fraction) -> Decimal:
    return Decimal(whole_rubles(kopecks) // RUBLE)


# --------------------------------------------------------------------------- workbook


class _CellMaker:
    """Cells for one write-only sheet.

    Plain values are handed to openpyxl as they are; a cell object is built only when it needs
    a style or when a string would otherwise be read as a formula or an error code.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.bold = Font(bold=True)

    def text(self, value: str | None, *, bold: bool = False) -> WriteOnlyCell | str | None:
        if value is None:
            return None
        value = _clean(value)
        if not bold and not _needs_forced_text(value):
            return value  # openpyxl stores an ordinary str as a string cell
        cell = WriteOnlyCell(self.ws, value)
        cell.data_type = "s"  # "=..." must never become a formula, "#N/A" never an error
        if bold:
            cell.font = self.bold
        return cell

    def number(self, value: Any, number_format: str, *, bold: bool = False) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value)
        cell.number_format = number_format
        if bold:
            cell.font = self.bold
        return cell

    def plain(self, value: Any, *, bold: bool = False) -> Any:
        if value is None or not bold:
            return value
        cell = WriteOnlyCell(self.ws, value)
        cell.font = self.bold
        return cell


class _Reused:
    """One styled cell reused row after row (write-only sheets serialise a row inside
    ``append``, so the object is free again once ``append`` returns): building a fresh
    styled cell per value would dominate the run time on large exports."""

    def __init__(self, ws: WriteOnlyWorksheet, number_format: str) -> None:
        self.cell = WriteOnlyCell(ws)
        self.cell.number_format = number_format

    def __call__(self, value: Any) -> WriteOnlyCell | None:
        if value is None:
            return None
        self.cell.value = value
        return self.cell


def _set_widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width


def shown_length(value: Any, number_format: str = "General") -> int:
    """How many characters a cell shows once its number format is applied (its longest line)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return len("ИСТИНА")  # the longest of TRUE/FALSE as a Russian LibreOffice shows them
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        return len(number_format)
    if isinstance(value, date):
        return len(DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT)
    if number_format == MONEY_FORMAT:
        return len(f"{Decimal(value):,.2f}")
    if number_format == PERCENT_FORMAT:
        return len(f"{Decimal(value) * 100:.0f}%")
    if number_format == CONVERSION_FORMAT:
        return len(f"{Decimal(value) * 100:.1f}%")
    return max((len(line) for line in str(value).split("\n")), default=0)


def column_width(lengths: Iterable[int], header: str, cap: float | None = None) -> float:
    """A column as wide as its longest value and its bold header (a little wider per
    character), plus a margin; text may be capped (the cell then wraps or is cut at the
    edge), numbers never are: a number too wide for its column prints as ###."""
    width = max(max(lengths, default=0) + 2.0, len(header) * 1.2 + 2.0)
    return width if cap is None else min(width, cap)


def _print_setup(ws: WriteOnlyWorksheet) -> None:
    """Landscape, as wide as one page, the header row repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"


def _write_entries(
    ws: WriteOnlyWorksheet, entries: Sequence[ExportEntry], labels: ExportLabels, zone: ZoneInfo
) -> None:
    make = _CellMaker(ws)
    headers = labels.entry_headers
    columns = len(headers)
    values: list[Iterable[int]] = [
        [len(DATE_FORMAT)] if entries else [],
        (len(e.person) for e in entries),
        (len(e.kind) for e in entries),
        (len(str(e.count)) for e in entries),
        (
            shown_length(kopecks_to_rubles(e.amount_kopecks), MONEY_FORMAT)
            for e in entries
            if e.amount_kopecks is not None
        ),
        (len(e.tag) for e in entries if e.tag),
        (shown_length(e.note) for e in entries if e.note),
        [len(DATETIME_FORMAT)] if entries else [],
        [shown_length(True)] if entries else [],
    ]
    _set_widths(
        ws,
        [
            column_width(lengths, header, _TEXT_MAX_WIDTH)
            for lengths, header in zip(values, headers, strict=False)
        ],
    )
    _print_setup(ws)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{len(entries) + 1}"
    ws.append([make.text(header, bold=True) for header in headers])

    text = make.text
    day_cell = _Reused(ws, DATE_FORMAT)
    amount_cell = _Reused(ws, MONEY_FORMAT)
    logged_cell = _Reused(ws, DATETIME_FORMAT)
    with_repeat = labels.with_repeat
    for entry in entries:
        amount = entry.amount_kopecks
        row: list[Any] = [
            day_cell(entry.business_date),
            text(entry.person),
            text(entry.kind),
            entry.count,
            None if amount is None else amount_cell(kopecks_to_rubles(amount)),
            text(entry.tag),
            text(entry.note),
            logged_cell(local_naive(entry.logged_at, zone)),
        ]
        if with_repeat:
            row.append(entry.is_repeat)
        ws.append(row)


@dataclass(frozen=True, slots=True)
class SummaryTotals:
    values: dict[str, int]
    targets: dict[str, Fraction | None]
    conversion: Fraction | None
    average_deal: Fraction | None


def summary_totals(summary: Sequence[SummaryRow]) -> SummaryTotals:
    """Team totals: summed values; a target total only when every person has that target
    (a partial sum would overstate the team's progress); conversion and average deal are
    recomputed from the totals (conversion only up to 100 %)."""
    values = {key: sum(row.values.get(key, 0) for row in summary) for key in METRIC_KEYS}
    targets: dict[str, Fraction | None] = {}
    for key in METRIC_KEYS:
        person_targets = [row.targets.get(key) for row in summary]
        if summary and all(target is not None for target in person_targets):
            targets[key] = sum((t for t in person_targets if t is not None), Fraction(0))
        else:
            targets[key] = None
    leads, deals = values["leads"], values["deals"]
    conversion = Fraction(deals, leads) if 0 < leads and deals <= leads else None
    average = Fraction(values["revenue"], deals) if deals > 0 else None
    return SummaryTotals(values, targets, conversion, average)


def _summary_row(
    make: _CellMaker,
    person: str,
    values: Mapping[str, int],
    targets: Mapping[str, Fraction | None],
    conversion: Fraction | None,
    average_deal: Fraction | None,
    *,
    bold: bool = False,
) -> list[Any]:
    row: list[Any] = [make.text(person, bold=bold)]
    for key in METRIC_KEYS:
        value = values.get(key, 0)
        target = targets.get(key)
        if key in MONEY_METRICS:
            row.append(make.number(kopecks_to_rubles(value), MONEY_FORMAT, bold=bold))
            row.append(
                None
                if target is None
                else make.number(_whole_rubles(target), WHOLE_MONEY_FORMAT, bold=bold)
            )
        else:
            row.append(make.plain(value, bold=bold))
            row.append(None if target is None else make.plain(shown_share(target), bold=bold))
        row.append(make.number(_percent_cell(value, target), PERCENT_FORMAT, bold=bold))
    row.append(make.number(_conversion_cell(conversion), CONVERSION_FORMAT, bold=bold))
    row.append(
        None
        if average_deal is None
        else make.number(_whole_rubles(average_deal), WHOLE_MONEY_FORMAT, bold=bold)
    )
    return row


def _write_summary(
    ws: WriteOnlyWorksheet, summary: Sequence[SummaryRow], labels: ExportLabels
) -> None:
    make = _CellMaker(ws)
    headers = labels.summary_headers()
    rows = [
        _summary_row(
            make,
            item.person,
            item.values,
            item.targets,
            item.conversion,
            item.average_deal,
        )
        for item in summary
    ]
    totals = summary_totals(summary)
    rows.append(
        _summary_row(
            make,
            labels.total,
            totals.values,
            totals.targets,
            totals.conversion,
            totals.average_deal,
            bold=True,
        )
    )
    # A row's cells are fresh objects here (nothing reused), so they can be measured first.
    lengths: list[list[int]] = [[] for _ in headers]
    for row in rows:
        for index, cell in enumerate(row):
            if isinstance(cell, Cell):
                lengths[index].append(shown_length(cell.value, cell.number_format))
            else:
                lengths[index].append(shown_length(cell))
    widths = [column_width(found, header) for found, header in zip(lengths, headers, strict=True)]
    widths[0] = min(widths[0], _TEXT_MAX_WIDTH)
    _set_widths(ws, widths)
    _print_setup(ws)
    ws.freeze_panes = "B2"
    ws.append([make.text(header, bold=True) for header in headers])
    for row in rows:
        ws.append(row)


def build_workbook(
    entries: Sequence[ExportEntry],
    summary: Sequence[SummaryRow],
    labels: ExportLabels,
    timezone: str,
    title: str,
) -> bytes:
    """The .xlsx file: sheet 1 = one row per entry, sheet 2 = per-person summary + total.

    ``timezone`` is an IANA name (e.g. "Europe/Moscow"); an unknown one raises
    ``zoneinfo.ZoneInfoNotFoundError``. ``title`` goes to the workbook properties.
    """
    _load_openpyxl()
    zone = ZoneInfo(timezone)
    # Fail before streaming starts: an error half-way would leave openpyxl's row writer open.
    for entry in entries:
        _check_aware(entry.logged_at)
    wb = Workbook(write_only=True)
    wb.properties.title = title
    entries_ws = wb.create_sheet(_sheet_title(labels.entries_sheet))
    _write_entries(entries_ws, entries, labels, zone)
    summary_ws = wb.create_sheet(_sheet_title(labels.summary_sheet))
    _write_summary(summary_ws, summary, labels)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- CSV


def _csv_text(value: str | None) -> str:
    return "" if value is None else neutralise_csv(value)


def build_csv(entries: Sequence[ExportEntry], labels: ExportLabels, timezone: str) -> bytes:
    """UTF-8 CSV with BOM, ';'-separated, CRLF rows: ISO dates, dot-decimal rubles,
    local ``YYYY-MM-DD HH:MM`` timestamps; formula-looking text prefixed with ``'``."""
    zone = ZoneInfo(timezone)
    with_repeat = labels.with_repeat
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise_csv(header) for header in labels.entry_headers])
    for entry in entries:
        amount = entry.amount_kopecks
        row = [
            entry.business_date.isoformat(),
            _csv_text(entry.person),
            _csv_text(entry.kind),
            str(entry.count),
            "" if amount is None else f"{kopecks_to_rubles(amount):f}",
            _csv_text(entry.tag),
            _csv_text(entry.note),
            local_naive(entry.logged_at, zone).strftime("%Y-%m-%d %H:%M"),
        ]
        if with_repeat:
            row.append("1" if entry.is_repeat else "0")
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")
