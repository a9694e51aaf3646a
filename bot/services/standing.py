"""Where people stand against their targets over a period: the team's targets, calendar and
vacations loaded once, then asked per person and metric."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.services.pace import Pace, WorkCalendar, pace, period_target, round_half_up
from bot.services.periods import DateRange
from bot.services.targets import person_spans
from models import Metric, Target, TeamInfo, UnitOfWork, Vacation
from models.target import targets_query
from models.unit_of_work import Query
from models.vacation import vacations_query


def team_calendar(team: TeamInfo) -> WorkCalendar:
    return WorkCalendar(country=team.country, weekdays=team.weekdays)


def vacation_days(vacations: list[Vacation], user_id: int, dates: DateRange) -> frozenset[date]:
    days: set[date] = set()
    for vacation in vacations:
        if vacation.user_id != user_id:
            continue
        day = max(vacation.start, dates.start)
        while day <= min(vacation.end, dates.end):
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


@dataclass
class Standing:
    team: TeamInfo
    dates: DateRange
    calendar: WorkCalendar
    targets: list[Target]
    vacations: list[Vacation]
    _days_off: dict[int, frozenset[date]] = field(default_factory=dict)

    def days_off(self, user_id: int) -> frozenset[date]:
        if user_id not in self._days_off:
            self._days_off[user_id] = vacation_days(self.vacations, user_id, self.dates)
        return self._days_off[user_id]

    def metrics_with_targets(self, user_id: int) -> list[Metric]:
        if not self.targets:
            return []
        return [m for m in Metric if person_spans(self.targets, user_id, m)]

    def target(self, user_id: int, metric: Metric) -> int | None:
        spans = person_spans(self.targets, user_id, metric)
        if not spans:
            return None
        value = period_target(spans, self.dates, self.calendar, self.days_off(user_id))
        return None if value is None else round_half_up(value)

    def pace(self, user_id: int, metric: Metric, today: date, done: int) -> Pace | None:
        spans = person_spans(self.targets, user_id, metric)
        if not spans:
            return None
        return pace(spans, self.dates, today, done, self.calendar, self.days_off(user_id))


def standing_queries(
    team: TeamInfo, dates: DateRange, user_id: int | None = None
) -> tuple[Query[list[Target]], Query[list[Vacation]]]:
    """The reads behind a Standing: one person's targets (and the defaults) and vacations, or
    the whole team's."""
    return (
        targets_query(team.id, dates.start, dates.end, user_id),
        vacations_query(team.id, dates.start, dates.end, user_id),
    )


def standing_of(
    team: TeamInfo, dates: DateRange, targets: list[Target], vacations: list[Vacation]
) -> Standing:
    return Standing(team, dates, team_calendar(team), targets, vacations)


async def load_standing(
    session: UnitOfWork, team: TeamInfo, dates: DateRange, user_id: int | None = None
) -> Standing:
    """Everything needed for targets over `dates`: one person's (and defaults) or the team's."""
    targets, vacations = await session.together(*standing_queries(team, dates, user_id))
    return standing_of(team, dates, targets, vacations)
