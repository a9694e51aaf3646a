"""Streaks: consecutive working days at whose end a person was on pace.

A day counts when it is one of the person's working days (the team's production calendar, not
on vacation, not before they joined); other days neither count nor break a streak. A counted
day is kept when, at its end, the person was on month-to-date pace for every metric with a
target in force that day, or (no target in force) had logged at least one activity. A day is
over at midnight in the team's time zone: a streak runs up to the last day that is over, and is
computed from the entries every time it is asked for (so it is right after a restart, on any
instance, and after an entry logged "for yesterday").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import func, select

from bot.domain import Totals
from bot.services.pace import (
    TargetSpan,
    WorkCalendar,
    daily_share,
    person_working_days,
    span_at,
)
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import (
    Standing,
    standing_of,
    standing_queries,
    team_calendar,
    vacation_days,
)
from models import Entry, EntryKind, Metric, Person, Target, TeamInfo, UnitOfWork, Vacation
from models.entry import TEAM_LIVE_BETWEEN, KindTotal, day_kind_totals_query
from models.prepared import Prepared
from models.unit_of_work import Query, Reads

MILESTONES = (5, 10, 20, 50)  # celebrated streak lengths, in working days
# How far back a streak is first looked for; a longer one widens the look threefold each time.
FIRST_LOOK = timedelta(days=120)
LONGEST_LOOK = timedelta(days=3 * 366)


def streak_length(
    last: date, earliest: date, counts: Callable[[date], bool], kept: Callable[[date], bool]
) -> tuple[int, bool]:
    """Kept counted days in a row, from `last` back; and whether the look reached `earliest`
    without a break (so the streak may go on before it)."""
    length = 0
    day = last
    while day >= earliest:
        if counts(day):
            if not kept(day):
                return length, False
            length += 1
        day -= timedelta(days=1)
    return length, True


@dataclass(frozen=True, slots=True)
class PersonDays:
    """Which days count for one person."""

    calendar: WorkCalendar
    vacation: frozenset[date]
    joined: date | None

    def counts(self, day: date) -> bool:
        return (
            (self.joined is None or day >= self.joined)
            and day not in self.vacation
            and self.calendar.is_working_day(day)
        )


@dataclass(frozen=True, slots=True)
class MonthPace:
    """One person's month-to-date pace over one month, worked out once: per metric with a
    target, its spans and what is due by the end of each of the month's days."""

    spans: dict[Metric, list[TargetSpan]]
    due: dict[Metric, dict[date, Fraction]]  # cumulative; a metric with no working day: absent

    def kept(self, day: date, month_to_date: Totals, on_day: Totals) -> bool:
        """On pace at the end of `day` for every metric with a target in force that day, or
        active that day when none is."""
        in_force = [m for m, spans in self.spans.items() if span_at(spans, day) is not None]
        if not in_force:
            return not on_day.is_empty
        return all(month_to_date.value(m) >= self.due[m][day] for m in in_force if m in self.due)


def month_pace(standing: Standing, person: Person) -> MonthPace:
    """`standing`: over the month. What `pace` says is due by a day, for every day at once."""
    spans: dict[Metric, list[TargetSpan]] = {}
    due: dict[Metric, dict[date, Fraction]] = {}
    days_off = standing.days_off(person)
    working = set(person_working_days(standing.dates, standing.calendar, days_off))
    for metric in Metric:
        found = standing.spans(person, metric)
        if not any(span.touches(standing.dates) for span in found):
            continue
        spans[metric] = found
        if not working:
            continue  # no working day in the month: not paced (as `pace` has it)
        running = Fraction(0)
        due[metric] = {}
        for day in standing.dates.days():
            if day in working:
                running += daily_share(found, day, standing.calendar)
            due[metric][day] = running
    return MonthPace(spans, due)


def day_kept(
    day: date, person: Person, standing: Standing, month_to_date: Totals, on_day: Totals
) -> bool:
    """On pace at the end of `day` (standing: the day's month), or active with no target."""
    return month_pace(standing, person).kept(day, month_to_date, on_day)


@dataclass
class StreakData:
    """A team's (or one person's) targets, vacations and daily totals over a stretch of days."""

    team: TeamInfo
    dates: DateRange
    targets: list[Target]
    vacations: list[Vacation]
    daily: dict[int, dict[date, Totals]]  # user -> day -> totals
    _months: dict[date, Standing] = field(default_factory=dict)
    _paces: dict[tuple[int, date], MonthPace] = field(default_factory=dict)
    _to_date: dict[tuple[int, date], dict[date, Totals]] = field(default_factory=dict)

    def month(self, day: date) -> Standing:
        dates = period_range(Period.MONTH, day)
        if dates.start not in self._months:
            self._months[dates.start] = standing_of(self.team, dates, self.targets, self.vacations)
        return self._months[dates.start]

    def on_day(self, user_id: int, day: date) -> Totals:
        return self.daily.get(user_id, {}).get(day) or Totals()

    def month_to_date(self, user_id: int, day: date) -> Totals:
        month = day.replace(day=1)
        if (user_id, month) not in self._to_date:
            days = self.daily.get(user_id, {})
            running, by_day = Totals(), {}
            for past in period_range(Period.MONTH, day).days():
                if past in days:
                    running.merge(days[past])
                by_day[past] = replace(running)
            self._to_date[(user_id, month)] = by_day
        return self._to_date[(user_id, month)][day]

    def person_days(self, person: Person) -> PersonDays:
        # The days before joining are left to `joined`: listing them (a year's worth for a
        # newcomer) cost /today more than the rest of the streak.
        joined = person.joined_on if person.team_id == self.team.id else None
        vacation = vacation_days(self.vacations, person.id, self.dates)
        return PersonDays(team_calendar(self.team), vacation, joined)

    def kept(self, person: Person, day: date) -> bool:
        key = (person.id, day.replace(day=1))
        if key not in self._paces:
            self._paces[key] = month_pace(self.month(day), person)
        totals = self.month_to_date(person.id, day)
        return self._paces[key].kept(day, totals, self.on_day(person.id, day))

    def streak(self, person: Person, last: date) -> tuple[int, bool]:
        days = self.person_days(person)
        earliest = max(self.dates.start, days.joined or self.dates.start)
        length, open_ended = streak_length(
            last, earliest, days.counts, lambda day: self.kept(person, day)
        )
        return length, open_ended and earliest > (days.joined or date.min)


_TEAM_DAILY = Prepared(
    select(
        Entry.user_id,
        Entry.business_date,
        Entry.kind,
        func.sum(Entry.count),
        func.coalesce(func.sum(Entry.amount_kopecks), 0),
    )
    .where(*TEAM_LIVE_BETWEEN)
    .group_by(Entry.user_id, Entry.business_date, Entry.kind)
)


def daily_totals(
    rows: Iterable[tuple[int, date, EntryKind, int, int]],
) -> dict[int, dict[date, Totals]]:
    daily: dict[int, dict[date, Totals]] = {}
    for user_id, day, kind, count, amount in rows:
        totals = daily.setdefault(user_id, {}).setdefault(day, Totals())
        totals.add(KindTotal(kind, None, int(count), int(amount), 0))
    return daily


def person_daily(days: dict[date, list[KindTotal]]) -> dict[date, Totals]:
    """One person's totals a day, from their totals a day per kind and tag."""
    daily: dict[date, Totals] = {}
    for day, rows in days.items():
        totals = daily[day] = Totals()
        for row in rows:
            totals.add(row)
    return daily


def looked_from(dates: DateRange) -> date:
    """The first day whose entries, targets and vacations a streak over `dates` needs: the
    month-to-date pace needs the whole first month."""
    return dates.start.replace(day=1)


def streak_reads(team: TeamInfo, dates: DateRange, user_id: int | None = None) -> Reads[StreakData]:
    """What streaks over `dates` are made of: the team's (or one person's)."""
    start = looked_from(dates)
    targets, vacations = standing_queries(team, DateRange(start, dates.end), user_id)
    if user_id is None:
        params = {"team_id": team.id, "start": start, "end": dates.end}
        team_daily = Query(_TEAM_DAILY, params, daily_totals)
        return Reads(
            (targets, vacations, team_daily),
            lambda targets, vacations, daily: StreakData(team, dates, targets, vacations, daily),
        )
    days = day_kind_totals_query(team_id=team.id, user_id=user_id, start=start, end=dates.end)
    return Reads(
        (targets, vacations, days),
        lambda targets, vacations, days: StreakData(
            team, dates, targets, vacations, {user_id: person_daily(days)}
        ),
    )


async def load_streak_data(
    session: UnitOfWork, team: TeamInfo, dates: DateRange, user_id: int | None = None
) -> StreakData:
    return await session.one(streak_reads(team, dates, user_id))


def first_look(last: date) -> DateRange:
    """The days a streak up to `last` is first looked for in."""
    return DateRange(last - FIRST_LOOK, last)


async def person_streak(
    session: UnitOfWork,
    team: TeamInfo,
    person: Person,
    last: date,
    first: StreakData | None = None,
) -> int:
    """The person's streak up to `last` (the last day that is over), however long; `first`:
    the first look, if it was read already."""
    look = FIRST_LOOK
    data = first or await load_streak_data(session, team, first_look(last), person.id)
    while True:
        length, open_ended = data.streak(person, last)
        if not open_ended or look >= LONGEST_LOOK:
            return length
        look *= 3
        data = await load_streak_data(session, team, DateRange(last - look, last), person.id)


def last_day_over(today: date) -> date:
    """Streaks run up to yesterday: today is over at midnight in the team's time zone."""
    return today - timedelta(days=1)
