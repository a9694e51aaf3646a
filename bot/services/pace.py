"""Working days, targets with history and vacations, and "am I on track?" (pure functions).

Every target becomes a daily share on each working day (`daily_share`); any period's target is
the sum of those shares over the person's working days in it. Exact `Fraction` arithmetic
throughout; `Pace` keeps them exact, and only what is shown is rounded (`bot.domain`).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate

import holidays

from bot.domain import needed
from bot.services.periods import DateRange, Period, period_range

_ALL_WEEKDAYS = frozenset(range(7))


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries(include_aliases=True))


def is_known_country(code: str) -> bool:
    """Whether `holidays` knows this country code exactly as given (e.g. "RU", "RUS"; not "ru")."""
    return code in _supported_countries()


@lru_cache(maxsize=1024)
def _country_holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    country: str | None = "RU"
    weekdays: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday == 0

    def __post_init__(self) -> None:
        if self.country is not None and not is_known_country(self.country):
            raise ValueError(f"unknown holiday calendar country: {self.country!r}")
        if not self.weekdays <= _ALL_WEEKDAYS:
            raise ValueError(f"weekdays must be within 0..6: {sorted(self.weekdays)}")

    def is_working_day(self, d: date) -> bool:
        return _is_working_day(self, d)

    def working_days(self, dates: DateRange) -> list[date]:
        return list(_working_days(self, dates.start, dates.end))


@lru_cache(maxsize=65536)  # asked day by day by streaks and paces: the holidays lookup is slow
def _is_working_day(calendar: WorkCalendar, d: date) -> bool:
    if calendar.country is None:
        return d.weekday() in calendar.weekdays
    holidays_of_year = _country_holidays(calendar.country, d.year)
    # A team on the country's own working week follows its production calendar in full,
    # transferred working Saturdays included; a custom week keeps only the days off.
    if calendar.weekdays == _ALL_WEEKDAYS - holidays_of_year.weekend:
        return holidays_of_year.is_working_day(d)
    return d.weekday() in calendar.weekdays and d not in holidays_of_year


@lru_cache(maxsize=8192)
def _working_days(calendar: WorkCalendar, start: date, end: date) -> tuple[date, ...]:
    return tuple(d for d in DateRange(start, end).days() if calendar.is_working_day(d))


def _working_day_count(calendar: WorkCalendar, dates: DateRange) -> int:
    return len(_working_days(calendar, dates.start, dates.end))


@dataclass(frozen=True, slots=True)
class TargetSpan:
    value: int  # a count, or kopecks for revenue
    period: Period
    valid_from: date
    valid_to: date | None  # exclusive; None while still in force

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"target must not be negative: {self.value}")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"span ends before it starts: {self.valid_from}..{self.valid_to}")

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def touches(self, dates: DateRange) -> bool:
        return self.valid_from <= dates.end and (
            self.valid_to is None or self.valid_to > max(dates.start, self.valid_from)
        )


def span_at(spans: Iterable[TargetSpan], day: date) -> TargetSpan | None:
    """The span in force on `day` (spans should not overlap; if they do, the latest start wins)."""
    found: TargetSpan | None = None
    for span in spans:
        if span.in_force(day) and (found is None or span.valid_from > found.valid_from):
            found = span
    return found


def daily_share(spans: Sequence[TargetSpan], day: date, calendar: WorkCalendar) -> Fraction:
    """The part of the target that falls on `day`, by the span in force that day.

    0 on non-working days. A day target counts in full; a week (month) target is split evenly
    over the calendar's working days of the ISO week (calendar month) containing `day`.
    Vacations are not considered here: they are days the person simply doesn't count.
    """
    span = span_at(spans, day)
    if span is None or not calendar.is_working_day(day):
        return Fraction(0)
    if span.period is Period.DAY:
        return Fraction(span.value)
    # `day` is a working day, so its week or month has at least one.
    return Fraction(span.value, _working_day_count(calendar, period_range(span.period, day)))


@dataclass(frozen=True, slots=True)
class _Shares:
    """Each working day of a period with its share of the target, and the running sums."""

    days: tuple[date, ...]
    shares: tuple[Fraction, ...]
    running: tuple[Fraction, ...]  # running[i] == sum(shares[: i + 1])

    def due(self, vacation: frozenset[date], today: date) -> tuple[Fraction, Fraction, int, int]:
        """The target, the part of it due by the end of `today`, the working days (vacation
        excluded) and how many of them are gone (before today)."""
        if vacation.isdisjoint(self.days):
            upto = bisect_right(self.days, today)
            expected = self.running[upto - 1] if upto else Fraction(0)
            total = self.running[-1] if self.days else Fraction(0)
            return total, expected, len(self.days), bisect_left(self.days, today)
        kept = [(d, s) for d, s in zip(self.days, self.shares, strict=True) if d not in vacation]
        total = sum((s for _, s in kept), Fraction(0))
        expected = sum((s for d, s in kept if d <= today), Fraction(0))
        return total, expected, len(kept), sum(1 for d, _ in kept if d < today)


@lru_cache(maxsize=4096)
def _shares(
    spans: tuple[TargetSpan, ...], start: date, end: date, calendar: WorkCalendar
) -> _Shares:
    """A team's people mostly share their spans (the team's defaults): worked out once for a
    team's board, not once a person."""
    days = _working_days(calendar, start, end)
    shares = tuple(daily_share(spans, d, calendar) for d in days)
    return _Shares(days, shares, tuple(accumulate(shares)))


def person_working_days(
    dates: DateRange, calendar: WorkCalendar, vacation: frozenset[date]
) -> list[date]:
    """The calendar's working days in `dates` that the person is not on vacation."""
    return [d for d in calendar.working_days(dates) if d not in vacation]


def period_target(
    spans: Sequence[TargetSpan],
    dates: DateRange,
    calendar: WorkCalendar,
    vacation: frozenset[date] = frozenset(),
) -> Fraction | None:
    """The exact target for `dates`, or None when no span touches the period."""
    if not any(span.touches(dates) for span in spans):
        return None
    target, _, _, _ = _shares(tuple(spans), dates.start, dates.end, calendar).due(
        vacation, dates.end
    )
    return target


@dataclass(frozen=True, slots=True)
class Pace:
    """Progress against a period's target, exact: shown values are rounded by the views
    (`bot.domain`), amounts asked for are whole `unit`s rounded up."""

    target: Fraction  # the period's target (for revenue, kopecks)
    done: int
    expected: Fraction  # the share of the target due by the end of today
    days_total: int  # the person's working days in the period (vacation excluded)
    days_gone: int  # of those, days strictly before today
    days_left: int  # of those, today and after (today counts as left while it lasts)
    unit: int = 1  # the least that can be asked for: one action, or a ruble (100 kopecks)

    @property
    def reached(self) -> bool:
        return self.done >= self.target

    @property
    def on_track(self) -> bool:
        return self.done >= self.expected

    @property
    def share(self) -> Fraction | None:
        """done / target; None without a target."""
        return Fraction(self.done) / self.target if self.target else None

    @property
    def due_by_now(self) -> int:
        """What has to be done by tonight to be on pace, in whole units."""
        return needed(self.expected, self.unit)

    @property
    def behind(self) -> int:
        """What is missing to be on pace tonight, in whole units (0 when on pace)."""
        return 0 if self.on_track else needed(self.expected - self.done, self.unit)

    @property
    def ahead(self) -> int:
        """The whole units done beyond what is due by tonight (0 when behind)."""
        if not self.on_track:
            return 0
        return math.floor((self.done - self.expected) / self.unit) * self.unit

    @property
    def short(self) -> int:
        """What is missing to the whole target, in whole units."""
        return max(needed(self.target - self.done, self.unit), 0)

    @property
    def need_per_day(self) -> int | None:
        """What each working day left needs to reach the target; None when none is left."""
        if self.reached:
            return 0
        if self.days_left == 0:
            return None
        return needed((self.target - self.done) / self.days_left, self.unit)


def pace(
    spans: Sequence[TargetSpan],
    dates: DateRange,
    today: date,
    done: int,
    calendar: WorkCalendar,
    vacation: frozenset[date] = frozenset(),
    unit: int = 1,
) -> Pace | None:
    """Progress against the target for `dates` as of `today` (before, inside or after it)."""
    if not any(span.touches(dates) for span in spans):
        return None
    found = _shares(tuple(spans), dates.start, dates.end, calendar)
    exact_target, exact_expected, days_total, days_gone = found.due(vacation, today)
    return Pace(
        target=exact_target,
        done=done,
        expected=exact_expected,
        days_total=days_total,
        days_gone=days_gone,
        days_left=days_total - days_gone,
        unit=unit,
    )


def bar(share: Fraction, width: int = 10) -> str:
    """A text progress bar of done/target, e.g. 1/2 -> "▓▓▓▓▓░░░░░"; full only once reached."""
    if width < 0:
        raise ValueError(f"width must not be negative: {width}")
    filled = min(math.floor(max(share, Fraction(0)) * width), width)
    return "▓" * filled + "░" * (width - filled)
