"""A person's numbers over a day, week or month."""

from dataclasses import dataclass, field
from datetime import date

from bot.domain import Totals
from bot.services.pace import Pace
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import standing_of, standing_queries
from bot.services.streaks import (
    StreakData,
    first_look,
    last_day_over,
    looked_from,
    person_daily,
)
from models import Metric, Person, Target, TeamInfo, UnitOfWork, Vacation
from models.entry import KindTotal, day_kind_totals_query, kind_totals_query
from models.unit_of_work import Reads


@dataclass(slots=True)
class ProgressReport:
    period: Period
    dates: DateRange
    totals: Totals = field(default_factory=Totals)
    by_tag: dict[str | None, Totals] = field(default_factory=dict)
    paces: dict[Metric, Pace] = field(default_factory=dict)

    @property
    def has_tags(self) -> bool:
        return any(tag is not None for tag in self.by_tag)


def build_report(period: Period, dates: DateRange, rows: list[KindTotal]) -> ProgressReport:
    report = ProgressReport(period, dates)
    for row in rows:
        report.totals.add(row)
        report.by_tag.setdefault(row.tag, Totals()).add(row)
    # Tags alphabetically, untagged entries last.
    report.by_tag = dict(sorted(report.by_tag.items(), key=lambda item: (item[0] is None, item[0])))
    return report


def _report(
    user: Person,
    team: TeamInfo,
    period: Period,
    today: date,
    rows: list[KindTotal],
    targets: list[Target],
    vacations: list[Vacation],
) -> ProgressReport:
    dates = period_range(period, today)
    report = build_report(period, dates, rows)
    standing = standing_of(team, dates, targets, vacations)
    for metric in standing.metrics_with_targets(user):
        found = standing.pace(user, metric, today, report.totals.value(metric))
        if found is not None:
            report.paces[metric] = found
    return report


def progress_reads(
    user: Person, team: TeamInfo, period: Period, today: date
) -> Reads[ProgressReport]:
    """What a report is made of, to be read together with whatever else the caller needs."""
    dates = period_range(period, today)
    return Reads(
        (
            kind_totals_query(team_id=team.id, user_id=user.id, start=dates.start, end=dates.end),
            *standing_queries(team, dates, user.id),
        ),
        lambda rows, targets, vacations: _report(
            user, team, period, today, rows, targets, vacations
        ),
    )


async def progress_report(
    session: UnitOfWork, user: Person, team: TeamInfo, period: Period, today: date
) -> ProgressReport:
    return await session.one(progress_reads(user, team, period, today))


def day_reads(
    user: Person, team: TeamInfo, today: date
) -> Reads[tuple[ProgressReport, StreakData]]:
    """/today: the day's report and the first look for the streak up to yesterday, from one
    read of the person's days, targets and vacations since the look's first month."""
    look = first_look(last_day_over(today))
    start = looked_from(look)
    targets, vacations = standing_queries(team, DateRange(start, today), user.id)
    days = day_kind_totals_query(team_id=team.id, user_id=user.id, start=start, end=today)

    def combine(
        targets: list[Target], vacations: list[Vacation], days: dict[date, list[KindTotal]]
    ) -> tuple[ProgressReport, StreakData]:
        report = _report(user, team, Period.DAY, today, days.get(today, []), targets, vacations)
        streak = StreakData(team, look, targets, vacations, {user.id: person_daily(days)})
        return report, streak

    return Reads((targets, vacations, days), combine)
