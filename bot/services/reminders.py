"""The daily reminder: who is due now, and where each of them stands (facts; the views word
them)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.domain import Totals
from bot.services.pace import Pace
from bot.services.periods import period_range
from bot.services.standing import load_standing
from bot.services.targets import in_force
from models import Metric, Period, Person, TeamInfo, UnitOfWork
from models.entry import kind_totals

# A reminder missed (bot down) by less than this is still sent once; later, it is skipped.
REMINDER_GRACE = timedelta(hours=1)


def local_fire_time(day_local: datetime, at: time) -> datetime:
    """`at` on that local day, in the same zone (DST-correct: the zone decides the offset)."""
    return datetime.combine(day_local.date(), at, tzinfo=day_local.tzinfo)


def is_due(now_local: datetime, at: time, grace: timedelta) -> bool:
    fire = local_fire_time(now_local, at)
    return fire <= now_local < fire + grace


async def _totals(
    session: UnitOfWork, team: TeamInfo, user_id: int, start: date, end: date
) -> Totals:
    totals = Totals()
    for row in await kind_totals(session, team_id=team.id, user_id=user_id, start=start, end=end):
        totals.add(row)
    return totals


@dataclass(frozen=True, slots=True)
class Behind:
    metric: Metric
    pace: Pace  # over the target's own period
    period: Period


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a person stands at reminder time."""

    today: Totals
    behind: list[Behind]
    has_targets: bool


async def reminder_standing(
    session: UnitOfWork, team: TeamInfo, user: Person, today: date
) -> Standing:
    today_totals = await _totals(session, team, user.id, today, today)
    month = period_range(Period.MONTH, today)
    standing = await load_standing(session, team, month, user.id)
    metrics = standing.metrics_with_targets(user)
    behind = []
    for metric in metrics:
        target = in_force(
            standing.targets,
            user.id,
            metric,
            today,
            team_defaults=standing.takes_team_targets(user),
        )
        if target is None:
            continue
        dates = period_range(target.period, today)
        period_standing = standing
        if dates != month:
            period_standing = await load_standing(session, team, dates, user.id)
        done = (await _totals(session, team, user.id, dates.start, dates.end)).value(metric)
        pace = period_standing.pace(user, metric, today, done)
        if pace is None or pace.days_total == 0:
            continue
        if not pace.on_track:
            behind.append(Behind(metric, pace, target.period))
    return Standing(today_totals, behind, bool(metrics))


def due_members(
    team: TeamInfo, members: list[Person], now_local: datetime, days_off: dict[int, bool]
) -> list[Person]:
    """Who gets a reminder now: reachable, reminders on, at their time, not on vacation."""
    return [
        user
        for user in members
        if not user.blocked_bot
        and user.reminders_on
        and is_due(now_local, user.reminder_time or team.reminder_time, REMINDER_GRACE)
        and not days_off.get(user.id, False)
    ]
