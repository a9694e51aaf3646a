"""Celebrating crossed targets: once per (person or team, metric, period), recorded in the same
unit of work as the entry that crossed it, and held through the team's quiet hours."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update

from bot.domain import Totals, needed
from bot.services.periods import DateRange, period_range
from bot.services.standing import Standing, load_standing, metric_unit, takes_team_targets
from bot.services.targets import in_force
from bot.services.team_settings import in_quiet_hours
from models import Celebration, Metric, Period, Person, Target, TeamInfo, UnitOfWork
from models.base import columns_of, from_row, utcnow
from models.entry import team_kind_totals
from models.prepared import Prepared, bound
from models.target import team_targets
from models.team import TEAM_COLUMNS, Team, team_info
from models.user import team_members

TEAM_SUBJECT = 0  # Celebration.subject of a team-wide target
# Held longer than any quiet window (a bot that was down, a chat unbound and bound again):
# too late to cheer, so it is dropped instead of posted.
STALE_AFTER = timedelta(hours=24)


def quiet_now(team: TeamInfo, now: datetime) -> bool:
    return in_quiet_hours(team, now.astimezone(ZoneInfo(team.timezone)).time())


@dataclass
class _PeriodData:
    """A team's targets and everyone's totals over one period, loaded once per check."""

    standing: Standing
    totals: dict[int, Totals] = field(default_factory=dict)

    def done(self, user_id: int, metric: Metric) -> int:
        totals = self.totals.get(user_id)
        return totals.value(metric) if totals else 0


async def _period_data(
    session: UnitOfWork, team: TeamInfo, dates: DateRange, cache: dict[DateRange, _PeriodData]
) -> _PeriodData:
    if dates not in cache:
        data = _PeriodData(await load_standing(session, team, dates))
        rows = await team_kind_totals(session, team_id=team.id, start=dates.start, end=dates.end)
        for row in rows:
            data.totals.setdefault(row.user_id, Totals()).add(row.total)
        cache[dates] = data
    return cache[dates]


def _record(insert: Any) -> Any:
    return (
        insert(Celebration)
        .values(
            bound(
                "team_id",
                "subject",
                "metric",
                "period",
                "period_start",
                "target",
                "name",
                "posted",
                created_at="now",
            )
        )
        .on_conflict_do_nothing(
            index_elements=["team_id", "subject", "metric", "period", "period_start"]
        )
    )


_RECORD = Prepared(_record)


def _counted(
    team: TeamInfo, targets: list[Target], members: list[Person], metric: Metric, today: date
) -> list[Person]:
    """Who the team's target for `metric` is made of: everyone but the managers without a
    target of their own for it (managers who don't sell)."""
    return [
        member
        for member in members
        if takes_team_targets(team, member)
        or in_force(targets, member.id, metric, today, team_defaults=False) is not None
    ]


def _team_period(
    targets: list[Target], members: list[Person], metric: Metric, today: date
) -> Period | None:
    """The period of the team-wide target: the team default's, else the one all members share.

    None when someone has no target for the metric (the team sum would be meaningless).
    """
    rows = [in_force(targets, member.id, metric, today) for member in members]
    if not members or any(row is None for row in rows):
        return None
    default = in_force(targets, None, metric, today)
    if default is not None:
        return default.period
    periods = {row.period for row in rows if row is not None}
    return periods.pop() if len(periods) == 1 else None


async def record_crossings(session: UnitOfWork, team: TeamInfo, user: Person, today: date) -> None:
    """A Celebration for each target of `user`, and of the team, now crossed; once each (the
    unique key decides, whoever else records the same at the same time). The TV banner shows
    them all; a team without a group gets them as posted already, so a group bound later is not
    flooded with the day's old news."""
    targets = await team_targets(session, team.id, today, today)
    if not targets:
        return
    members = await team_members(session, team.id)
    cache: dict[DateRange, _PeriodData] = {}
    now = utcnow()

    async def celebrate(
        subject: int, name: str, metric: Metric, period: Period, dates: DateRange, target: int
    ) -> None:
        await session.run(
            _RECORD,
            team_id=team.id,
            subject=subject,
            metric=metric,
            period=period,
            period_start=dates.start,
            target=target,
            name=name[:128],
            posted=team.chat_id is None,
            now=now,
        )

    for metric in Metric:
        unit = metric_unit(metric)
        own = in_force(
            targets, user.id, metric, today, team_defaults=takes_team_targets(team, user)
        )
        if own is not None:
            dates = period_range(own.period, today)
            data = await _period_data(session, team, dates, cache)
            target = data.standing.target(user, metric)
            if target and data.done(user.id, metric) >= target:
                crossed = needed(target, unit)
                await celebrate(user.id, user.first_name, metric, own.period, dates, crossed)
        counted = _counted(team, targets, members, metric, today)
        period = _team_period(targets, counted, metric, today)
        if period is None or len(counted) < 2:  # a team target of one is that person's own
            continue
        dates = period_range(period, today)
        data = await _period_data(session, team, dates, cache)
        # Current members only, on both sides: their targets against their work.
        team_target = sum(
            (data.standing.target(m, metric) or Fraction(0) for m in counted), Fraction(0)
        )
        done = sum(data.done(m.id, metric) for m in counted)
        if team_target and done >= team_target:
            crossed = needed(team_target, unit)
            await celebrate(TEAM_SUBJECT, team.name, metric, period, dates, crossed)


_TAKE_PENDING = Prepared(
    update(Celebration)
    .where(Celebration.team_id == bindparam("team"), Celebration.posted.is_(False))
    .values(posted=True)
    .returning(*columns_of(Celebration))
)


async def take_pending(session: UnitOfWork, team: TeamInfo, now: datetime) -> list[Celebration]:
    """The team's celebrations not posted yet, marked posted in the same statement (so only one
    unit of work ever gets each); those too old to be news are left out. The caller queues the
    rest in the same unit of work."""
    rows = await session.run(_TAKE_PENDING, team=team.id)
    taken = [from_row(Celebration, row) for row in rows]
    taken.sort(key=lambda celebration: celebration.id)
    return [c for c in taken if now - c.created_at < STALE_AFTER]


async def teams_with_held(session: UnitOfWork) -> list[TeamInfo]:
    """Bound teams with celebrations held back (by quiet hours, or a bot that was down)."""
    rows = await session.execute(
        select(*TEAM_COLUMNS)
        .where(
            Team.chat_id.is_not(None),
            Team.id.in_(select(Celebration.team_id).where(Celebration.posted.is_(False))),
        )
        .order_by(Team.id)
    )
    return [team_info(tuple(row)) for row in rows]
