"""A person's numbers over a day, week or month."""

from dataclasses import dataclass, field
from datetime import date

from bot.domain import Totals
from bot.services.pace import Pace
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import standing_of, standing_queries
from models import Metric, Person, Target, TeamInfo, UnitOfWork, Vacation
from models.entry import KindTotal, kind_totals_query
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


def progress_reads(
    user: Person, team: TeamInfo, period: Period, today: date
) -> Reads[ProgressReport]:
    """What a report is made of, to be read together with whatever else the caller needs."""
    dates = period_range(period, today)

    def combine(
        rows: list[KindTotal], targets: list[Target], vacations: list[Vacation]
    ) -> ProgressReport:
        report = build_report(period, dates, rows)
        standing = standing_of(team, dates, targets, vacations)
        for metric in standing.metrics_with_targets(user):
            found = standing.pace(user, metric, today, report.totals.value(metric))
            if found is not None:
                report.paces[metric] = found
        return report

    return Reads(
        (
            kind_totals_query(team_id=team.id, user_id=user.id, start=dates.start, end=dates.end),
            *standing_queries(team, dates, user.id),
        ),
        combine,
    )


async def progress_report(
    session: UnitOfWork, user: Person, team: TeamInfo, period: Period, today: date
) -> ProgressReport:
    return await session.one(progress_reads(user, team, period, today))
