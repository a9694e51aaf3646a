"""A team's and a person's week or month: everyone's numbers and pace, loaded once per team
and period, and what the Monday report still has to send. Facts only: `bot.views.charts` turns
them into charts and captions, `bot.outgoing.weekly` queues them."""

from dataclasses import dataclass
from datetime import date

from bot.domain import ParseError, ParseErrorCode, Totals
from bot.services.pace import Pace
from bot.services.periods import DateRange, Period, parse_period
from bot.services.standing import Standing, load_standing
from models import Metric, Person, Role, TeamInfo, UnitOfWork
from models.entry_charts import daily_kind_totals, period_people
from models.outbox import queued_keys
from models.user import managers_language, team_members

# What the charts show, in this order; revenue is in kopecks everywhere but on the person chart.
CHART_METRICS = (Metric.CALLS, Metric.MEETINGS, Metric.DEALS, Metric.REVENUE)


def parse_chart_period(args: str | None) -> Period:
    """`[week|month]` (Russian words too); this week by default. Raises `chart_argument`."""
    words = (args or "").split()
    if not words:
        return Period.WEEK
    period = parse_period(words[0])
    if period not in (Period.WEEK, Period.MONTH) or len(words) > 1:
        bad = words[0] if period not in (Period.WEEK, Period.MONTH) else words[1]
        raise ParseError(ParseErrorCode.CHART_ARGUMENT, value=bad[:64])
    assert period is not None
    return period


def display_name(user: Person) -> str:
    """'Anna I.': short enough for a chart row, and tells two Annas apart."""
    if user.last_name:
        return f"{user.first_name} {user.last_name[:1]}."
    return user.first_name


@dataclass(frozen=True, slots=True)
class PersonResult:
    user: Person
    totals: Totals
    days: dict[date, Totals]
    paces: dict[Metric, Pace]  # metrics with a target in the period

    @property
    def name(self) -> str:
        return display_name(self.user)

    @property
    def behind(self) -> list[Metric]:
        """Metrics where the person is short of what was due by the results' `today`."""
        return [metric for metric, found in self.paces.items() if not found.on_track]


@dataclass(frozen=True, slots=True)
class PeriodResults:
    team: TeamInfo
    dates: DateRange
    today: date  # values count up to here; after `dates.end`, the period is complete
    standing: Standing
    people: list[PersonResult]  # best first: most deals, then revenue

    def of(self, user_id: int) -> PersonResult:
        return next(person for person in self.people if person.user.id == user_id)


def _rank(person: PersonResult) -> tuple[int, int, str, int]:
    totals = person.totals
    return (-totals.deals, -totals.revenue_kopecks, person.name.casefold(), person.user.id)


async def load_results(
    session: UnitOfWork, team: TeamInfo, dates: DateRange, today: date, user: Person | None = None
) -> PeriodResults:
    """Everyone's numbers and pace over `dates` (or only `user`'s), as of `today`."""
    user_id = user.id if user is not None else None
    people = (
        [user]
        if user is not None
        else await period_people(session, team.id, dates.start, dates.end)
    )
    rows = await daily_kind_totals(
        session, team_id=team.id, start=dates.start, end=min(today, dates.end), user_id=user_id
    )
    standing = await load_standing(session, team, dates, user_id)
    days: dict[int, dict[date, Totals]] = {}
    for row in rows:
        days.setdefault(row.user_id, {}).setdefault(row.day, Totals()).add(row.total)
    results = []
    for person in people:
        by_day = days.get(person.id, {})
        totals = Totals()
        for day_totals in by_day.values():
            totals.merge(day_totals)
        paces = {}
        for metric in standing.metrics_with_targets(person):
            found = standing.pace(person, metric, today, totals.value(metric))
            if found is not None:
                paces[metric] = found
        results.append(PersonResult(person, totals, by_day, paces))
    results.sort(key=_rank)
    return PeriodResults(team, dates, today, standing, results)


# --- the Monday report ----------------------------------------------------------------------


def weekly_key(team: TeamInfo, week: DateRange, recipient: int | str) -> str:
    return f"weekly:{team.id}:{week.start.isoformat()}:{recipient}"


@dataclass
class WeeklyPlan:
    """What one team's weekly report still needs, read from the database (no session held)."""

    team: TeamInfo
    results: PeriodResults
    pending: dict[str, Person | None]  # outbox key -> a member, or None for the team's group
    group_language: str | None  # the Telegram language code the group's texts follow


async def plan_weekly_reports(
    session: UnitOfWork, team: TeamInfo, week: DateRange
) -> WeeklyPlan | None:
    """The recipients whose charts are not queued yet, and the week's numbers; None if none."""
    members = await team_members(session, team.id)
    reachable = [m for m in members if not m.blocked_bot]
    wanted: dict[str, Person | None] = {weekly_key(team, week, m.id): m for m in reachable}
    if team.chat_id is not None and team.public_stats:
        wanted[weekly_key(team, week, "chat")] = None
    done = await queued_keys(session, list(wanted))
    pending = {key: member for key, member in wanted.items() if key not in done}
    if not pending:
        return None
    results = await load_results(session, team, week, week.end)
    return WeeklyPlan(team, results, pending, await managers_language(session, team.id))


def is_manager_copy(member: Person) -> bool:
    """Managers get the team chart; everyone else their own."""
    return member.role is Role.MANAGER
