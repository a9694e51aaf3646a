"""A person's numbers over a day, week or month."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.pace import Pace
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import load_standing
from models import EntryKind, Metric, Team, User
from models.entry import KindTotal, kind_totals


@dataclass(slots=True)
class Totals:
    calls: int = 0
    meetings: int = 0
    leads: int = 0
    deals: int = 0
    revenue_kopecks: int = 0
    repeat_deals: int = 0

    def add(self, row: KindTotal) -> None:
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
        return {
            Metric.CALLS: self.calls,
            Metric.MEETINGS: self.meetings,
            Metric.LEADS: self.leads,
            Metric.DEALS: self.deals,
            Metric.REVENUE: self.revenue_kopecks,
        }[metric]

    @property
    def is_empty(self) -> bool:
        return not (self.calls or self.meetings or self.leads or self.deals)

    @property
    def average_deal_kopecks(self) -> int | None:
        """Revenue per deal, rounded to the kopeck; undefined without deals."""
        if not self.deals:
            return None
        return (self.revenue_kopecks + self.deals // 2) // self.deals


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


async def progress_report(
    session: AsyncSession, user: User, team: Team, period: Period, today: date
) -> ProgressReport:
    dates = period_range(period, today)
    rows = await kind_totals(
        session, team_id=team.id, user_id=user.id, start=dates.start, end=dates.end
    )
    report = build_report(period, dates, rows)
    standing = await load_standing(session, team, dates, user.id)
    for metric in standing.metrics_with_targets(user.id):
        found = standing.pace(user.id, metric, today, report.totals.value(metric))
        if found is not None:
            report.paces[metric] = found
    return report
