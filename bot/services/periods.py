"""Business days and reporting periods in a team's time zone (pure functions)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.enums import Period

__all__ = ["PERIOD_WORDS", "DateRange", "Period", "local_date", "parse_period", "period_range"]

PERIOD_WORDS: dict[str, Period] = {
    **{p.value: p for p in Period},
    "день": Period.DAY,
    "неделя": Period.WEEK,
    "неделю": Period.WEEK,
    "месяц": Period.MONTH,
}


def parse_period(word: str) -> Period | None:
    """`day`/`week`/`month` or their Russian words, any case; None for anything else."""
    return PERIOD_WORDS.get(word.casefold())


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date
    end: date  # inclusive

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def local_date(moment: datetime, timezone: str) -> date:
    """The business date of an instant in a team's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def period_range(period: Period, day: date) -> DateRange:
    """The day itself, its Monday-to-Sunday week, or its calendar month."""
    if period is Period.DAY:
        return DateRange(day, day)
    if period is Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return DateRange(monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return DateRange(first, next_month - timedelta(days=1))
