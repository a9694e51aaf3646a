"""Where people stand against their targets over a period: the team's targets, calendar and
vacations loaded once, then asked per person and metric.

Who a target counts for: a personal target, else the team default; managers only by a
personal target (a manager who doesn't sell is not paced by the team's targets). Days off the
pace: vacations, the days before the person joined the team and those after they left it."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from bot.domain import RUBLE
from bot.services.pace import Pace, TargetSpan, WorkCalendar, pace, period_target
from bot.services.periods import DateRange, period_range
from bot.services.targets import in_force, person_spans
from models import Metric, Person, Role, Target, TeamInfo, UnitOfWork, Vacation
from models.target import targets_query, team_targets
from models.team import weekdays_of
from models.unit_of_work import Query
from models.vacation import vacations_query


def team_calendar(team: TeamInfo) -> WorkCalendar:
    return _calendar(team.country, team.weekdays_mask)


@lru_cache(maxsize=1024)
def _calendar(country: str | None, weekdays_mask: int) -> WorkCalendar:
    return WorkCalendar(country=country, weekdays=weekdays_of(weekdays_mask))


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


def takes_team_targets(team: TeamInfo, person: Person) -> bool:
    """Everyone but the team's managers (they are paced by personal targets only)."""
    return not (person.team_id == team.id and person.role is Role.MANAGER)


def metric_unit(metric: Metric) -> int:
    """The least that can be asked for: one action, or a whole ruble."""
    return RUBLE if metric is Metric.REVENUE else 1


@dataclass
class Standing:
    team: TeamInfo
    dates: DateRange
    calendar: WorkCalendar
    targets: list[Target]
    vacations: list[Vacation]
    _days_off: dict[int, frozenset[date]] = field(default_factory=dict)

    def takes_team_targets(self, person: Person) -> bool:
        return takes_team_targets(self.team, person)

    def joined_on(self, person: Person) -> date | None:
        """The day they joined this team: theirs now, or the one they left and are in no
        other team since (their joining day is still on record)."""
        if person.team_id == self.team.id or (person.team_id is None and self.left(person)):
            return person.joined_on
        return None

    def left(self, person: Person) -> date | None:
        """The day they left this team, if it is the team they last left (and not since back)."""
        if person.team_id != self.team.id and person.left_team_id == self.team.id:
            return person.left_on
        return None

    def days_off(self, person: Person) -> frozenset[date]:
        """Vacation days in the period, the days before the person joined the team and those
        after they left it."""
        if person.id not in self._days_off:
            days = set(vacation_days(self.vacations, person.id, self.dates))
            joined = self.joined_on(person)
            if joined is not None and joined > self.dates.start:
                before = min(joined - timedelta(days=1), self.dates.end)
                days.update(DateRange(self.dates.start, before).days())
            left = self.left(person)
            if left is not None and left < self.dates.end:
                after = max(left + timedelta(days=1), self.dates.start)
                days.update(DateRange(after, self.dates.end).days())
            self._days_off[person.id] = frozenset(days)
        return self._days_off[person.id]

    def spans(self, person: Person, metric: Metric) -> list[TargetSpan]:
        return person_spans(
            self.targets, person.id, metric, team_defaults=self.takes_team_targets(person)
        )

    def metrics_with_targets(self, person: Person) -> list[Metric]:
        if not self.targets:
            return []
        return [m for m in Metric if self.spans(person, m)]

    def target(self, person: Person, metric: Metric) -> Fraction | None:
        """The exact target over the period (vacations and joining applied); None: no target."""
        spans = self.spans(person, metric)
        if not spans:
            return None
        return period_target(spans, self.dates, self.calendar, self.days_off(person))

    def pace(self, person: Person, metric: Metric, today: date, done: int) -> Pace | None:
        spans = self.spans(person, metric)
        if not spans:
            return None
        return pace(
            spans,
            self.dates,
            today,
            done,
            self.calendar,
            self.days_off(person),
            metric_unit(metric),
        )


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


# --- /targets -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnTarget:
    target: Target  # the row in force today
    for_you: Fraction | None  # its current period's target for the person (days off applied)


@dataclass(frozen=True, slots=True)
class TargetsView:
    own: list[OwnTarget]
    defaults: list[Target]  # the team defaults in force today
    personal: list[Target]  # everyone's personal targets in force today


async def targets_view(
    session: UnitOfWork, team: TeamInfo, viewer: Person, today: date
) -> TargetsView:
    """The targets in force today: the viewer's, with what they make of the current period for
    them (as /today, /week and /month count it), the team's defaults and personal ones."""
    targets = await team_targets(session, team.id, today, today)
    standings: dict[DateRange, Standing] = {}
    own = []
    team_defaults = takes_team_targets(team, viewer)
    for metric in Metric:
        row = in_force(targets, viewer.id, metric, today, team_defaults=team_defaults)
        if row is None:
            continue
        dates = period_range(row.period, today)
        if dates not in standings:
            standings[dates] = await load_standing(session, team, dates, viewer.id)
        own.append(OwnTarget(row, standings[dates].target(viewer, metric)))
    defaults = [row for m in Metric if (row := in_force(targets, None, m, today)) is not None]
    personal = [
        row
        for row in targets
        if row.user_id is not None and in_force(targets, row.user_id, row.metric, today) is row
    ]
    return TargetsView(own, defaults, personal)
