"""The vocabulary every layer shares: totals, the metric of each kind of entry, and the
problems with what someone typed (every code a ParseError can carry).

Plain values only: no database, no texts. Who is talking (a `Person` and their `TeamInfo`, as
read) lives beside their tables in `models`.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from models.enums import EntryKind, Metric

if TYPE_CHECKING:
    from models.entry import KindTotal

# --- what a button carries -----------------------------------------------------------------

# A row id in a button's callback data: a forged one beyond the database's 64 bits (or below 1)
# does not unpack, so no handler sees it and the press gets the "stale button" answer.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
# A small step or index a settings button carries (a weekday, an hour or a day to move by).
ButtonStep = Annotated[int, Field(ge=-7, le=7)]

# --- what someone typed ---------------------------------------------------------------------


class ParseErrorCode(StrEnum):
    """Every problem with a command's arguments; the locale files say each as `error.<code>`."""

    COUNT_RANGE = "count_range"  # min, max, value
    COUNT_NOT_WHOLE = "count_not_whole"  # value
    COUNT_WORD = "count_word"  # value: a number word where the digits go ("/call five")
    AMOUNT_MISSING = "amount_missing"
    AMOUNT_INVALID = "amount_invalid"  # value
    AMOUNT_PRECISION = "amount_precision"  # value
    AMOUNT_RANGE = "amount_range"  # max, value
    DATE_INVALID = "date_invalid"  # value
    DATE_FUTURE = "date_future"  # value
    DATE_TOO_OLD = "date_too_old"  # value, days
    DATE_TWICE = "date_twice"  # value
    TAG_INVALID = "tag_invalid"  # value, max
    TAG_TWICE = "tag_twice"  # value
    NOTE_TOO_LONG = "note_too_long"  # max, length
    CHART_ARGUMENT = "chart_argument"  # value
    LOG_ARGUMENT = "log_argument"  # value
    EXPORT_ARGUMENT = "export_argument"  # value
    EXPORT_FUTURE = "export_future"  # value
    TARGET_USAGE = "target_usage"
    METRIC_UNKNOWN = "metric_unknown"  # value
    TARGET_VALUE = "target_value"  # value
    TARGET_RANGE = "target_range"  # value, max
    VACATION_USAGE = "vacation_usage"
    VACATION_DATE = "vacation_date"  # value
    VACATION_ORDER = "vacation_order"
    VACATION_TOO_LONG = "vacation_too_long"  # max
    LEADERBOARD_WORD = "leaderboard_word"  # value
    TIMEZONE_UNKNOWN = "timezone_unknown"  # value
    COUNTRY_UNKNOWN = "country_unknown"  # value
    WEEKDAYS_INVALID = "weekdays_invalid"  # value
    TIME_OF_DAY_INVALID = "time_of_day_invalid"  # value
    WEEKDAY_UNKNOWN = "weekday_unknown"  # value
    REPORT_INVALID = "report_invalid"  # value
    QUIET_INVALID = "quiet_invalid"  # value
    SWITCH_INVALID = "switch_invalid"  # value
    REMIND_UNKNOWN = "remind_unknown"  # value
    BONUS_NUMBER = "bonus_number"  # value: text where a number goes
    BONUS_NEGATIVE = "bonus_negative"  # value
    BONUS_PERCENT_RANGE = "bonus_percent_range"  # value, max
    BONUS_PERCENT_PRECISION = "bonus_percent_precision"  # value
    BONUS_TIER_SHAPE = "bonus_tier_shape"  # value: not "<from % of plan> <rate %>"
    BONUS_TIER_ORDER = "bonus_tier_order"  # value: a tier not above the one before
    BONUS_TIERS_MANY = "bonus_tiers_many"  # max
    BONUS_CAP_ZERO = "bonus_cap_zero"


class ParseError(ValueError):
    """Invalid command arguments: a code and the values its text needs."""

    def __init__(self, code: ParseErrorCode | str, **params: str | int) -> None:
        code = ParseErrorCode(code)  # an unknown code is a bug: ValueError here
        super().__init__(code, params)
        self.code: ParseErrorCode = code
        self.params: dict[str, str | int] = dict(params)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_parse_error, (self.code.value, self.params))


def _rebuild_parse_error(code: str, params: dict[str, str | int]) -> ParseError:
    return ParseError(code, **params)


# --- numbers --------------------------------------------------------------------------------

# Every number is exact (int, Fraction) until it is shown; then it is rounded here, once, by one
# rule: half up (away from zero, as spreadsheets round), in chat, charts and workbooks alike.
# (Babel and Python's round() round half to even: 112.5 % would read 112 in chat, 113 in Excel.)

RUBLE = 100  # kopecks


def round_half_up(value: Fraction | int) -> int:
    """The nearest whole number, halves away from zero: 2.5 -> 3, -2.5 -> -3."""
    magnitude = math.floor(abs(Fraction(value)) + Fraction(1, 2))
    return -magnitude if value < 0 else magnitude


def rounded(value: Fraction | int, places: int) -> Decimal:
    """`value` to `places` decimals, half up: the digits that are shown, as a Decimal."""
    return Decimal(round_half_up(Fraction(value) * 10**places)).scaleb(-places)


def shown_share(value: Fraction | int) -> Decimal:
    """A count (or a share of a target) as shown: whole from 10 on, one decimal below, and
    below 0.05 its first significant digit, so that a share is never shown as 0 when it isn't:
    37.5 -> 38, 2.27 -> 2.3, 0.45 -> 0.5, 0.045 -> 0.05, 3 -> 3."""
    value = Fraction(value)
    places = 1
    while value and not rounded(value, places) and places < 6:
        places += 1
    shown = rounded(value, places)
    if abs(shown) >= 10 or shown == shown.to_integral_value():
        return Decimal(round_half_up(value))
    return shown


def whole_rubles(kopecks: Fraction | int) -> int:
    """A computed amount of money in whole rubles (as kopecks): kopecks are shown only where
    someone typed them."""
    return round_half_up(Fraction(kopecks) / RUBLE) * RUBLE


def needed(value: Fraction | int, unit: int = 1) -> int:
    """The least whole number of `unit`s that is at least `value` (what has to be done: 90.2
    calls due means 91 calls; a ruble is the unit of money asked for)."""
    return math.ceil(Fraction(value) / unit) * unit


def percent_of(part: Fraction | int, whole: Fraction | int) -> Fraction:
    return Fraction(part) * 100 / Fraction(whole)


METRIC_OF_KIND = {
    EntryKind.CALL: Metric.CALLS,
    EntryKind.MEETING: Metric.MEETINGS,
    EntryKind.LEAD: Metric.LEADS,
    EntryKind.DEAL: Metric.DEALS,
}


@dataclass(frozen=True, slots=True)
class DayTotal:
    """One person's total of one kind on one day: a count, and for deals their amount."""

    count: int
    amount_kopecks: int


class ConversionGap(StrEnum):
    """Why lead -> deal conversion is not shown."""

    NO_LEADS = "no_leads"  # deals, but no leads logged (or none tagged alike)
    MORE_DEALS = "more_deals"  # more deals than leads: the deals came from leads not counted here


@dataclass(slots=True)
class Totals:
    calls: int = 0
    meetings: int = 0
    leads: int = 0
    deals: int = 0
    revenue_kopecks: int = 0
    repeat_deals: int = 0

    def add(self, row: "KindTotal") -> None:
        if row.kind is EntryKind.CALL:
            self.calls += row.count
        elif row.kind is EntryKind.MEETING:
            self.meetings += row.count
        elif row.kind is EntryKind.LEAD:
            self.leads += row.count
        else:
            self.deals += row.count
            self.revenue_kopecks += row.amount_kopecks
            self.repeat_deals += row.repeat_count

    def merge(self, other: "Totals") -> None:
        self.calls += other.calls
        self.meetings += other.meetings
        self.leads += other.leads
        self.deals += other.deals
        self.revenue_kopecks += other.revenue_kopecks
        self.repeat_deals += other.repeat_deals

    def value(self, metric: Metric) -> int:
        if metric is Metric.CALLS:
            return self.calls
        if metric is Metric.MEETINGS:
            return self.meetings
        if metric is Metric.LEADS:
            return self.leads
        if metric is Metric.DEALS:
            return self.deals
        return self.revenue_kopecks

    @property
    def is_empty(self) -> bool:
        return not (self.calls or self.meetings or self.leads or self.deals)

    @property
    def conversion(self) -> Fraction | ConversionGap | None:
        """Deals per lead, exact, where it means something (at most 100 %); otherwise why not;
        None with neither leads nor deals."""
        if not self.deals and not self.leads:
            return None
        if not self.leads:
            return ConversionGap.NO_LEADS
        if self.deals > self.leads:
            return ConversionGap.MORE_DEALS
        return Fraction(self.deals, self.leads)

    @property
    def average_deal(self) -> Fraction | None:
        """Revenue per deal in kopecks, exact; undefined without deals."""
        if not self.deals:
            return None
        return Fraction(self.revenue_kopecks, self.deals)
