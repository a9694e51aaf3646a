"""The team's ranking over a period, by one metric."""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from bot.domain import ParseError, ParseErrorCode, Totals
from bot.services.periods import DateRange, parse_period, period_range
from bot.services.standing import load_standing
from bot.services.targets import METRIC_WORDS
from models import Metric, Period, Person, TeamInfo, UnitOfWork
from models.entry import team_kind_totals
from models.user import PERSON_COLUMNS, User, person


@dataclass(frozen=True, slots=True)
class LeaderboardQuery:
    metric: Metric | None  # None: deals, then revenue
    period: Period
    tag: str | None


def parse_leaderboard_args(args: str | None) -> LeaderboardQuery:
    metric: Metric | None = None
    period = Period.MONTH
    tag: str | None = None
    for word in (args or "").split():
        if word.startswith("#") and len(word) > 1:
            tag = word[1:].casefold()
        elif (found_metric := METRIC_WORDS.get(word.casefold())) is not None:
            metric = found_metric
        elif (found_period := parse_period(word)) is not None:
            period = found_period
        else:
            raise ParseError(ParseErrorCode.LEADERBOARD_WORD, value=word[:32])
    return LeaderboardQuery(metric, period, tag)


@dataclass(frozen=True, slots=True)
class Ranked:
    user: Person
    totals: Totals
    value: int
    target: Fraction | None  # exact, over the period (days off applied); None: no target


@dataclass(frozen=True, slots=True)
class Leaderboard:
    query: LeaderboardQuery
    dates: DateRange
    rows: list[Ranked]
    total: Totals


async def leaderboard(
    session: UnitOfWork, team: TeamInfo, query: LeaderboardQuery, today: date
) -> Leaderboard:
    dates = period_range(query.period, today)
    totals: dict[int, Totals] = {}
    for row in await team_kind_totals(
        session, team_id=team.id, start=dates.start, end=dates.end, tag=query.tag
    ):
        totals.setdefault(row.user_id, Totals()).add(row.total)
    # Current members with zeros, and people who since left but worked in this period.
    people = [
        person(tuple(row))
        for row in await session.execute(
            select(*PERSON_COLUMNS).where((User.team_id == team.id) | User.id.in_(list(totals)))
        )
    ]
    metric = query.metric or Metric.DEALS
    # Targets are per person, not per tag: no % of target for a tag's slice.
    standing = None if query.tag else await load_standing(session, team, dates)
    rows = []
    for user in people:
        person_totals = totals.get(user.id, Totals())
        target = standing.target(user, metric) if standing else None
        rows.append(Ranked(user, person_totals, person_totals.value(metric), target))

    def rank_key(row: Ranked) -> tuple[int, int, str, int]:
        second = row.totals.revenue_kopecks if query.metric is None else 0
        return (-row.value, -second, row.user.first_name.casefold(), row.user.id)

    rows.sort(key=rank_key)
    team_total = Totals()
    for person_totals in totals.values():
        team_total.merge(person_totals)
    return Leaderboard(query, dates, rows, team_total)
