"""Contests: the rules a manager sets, the standing counted from the entries table, and when
each of the group's posts (kick-off, mid-way, final) is due.

Who takes part: the team's current members (someone who leaves drops out; a newcomer joins
the race on their joining day). By % of target each person's target is counted over the
contest's days as /month counts it: vacation days and the days before joining shrink it, so a
part-time contender is measured pro rata; people without a target for the metric (or away for
the whole contest) are listed apart, not ranked. Managers take part only with a personal
target (by %) or with something logged (absolute). Equal scores share a place (1, 1, 3): every
one of several first places is a winner and gets the prize.

A change of the rules counts for the whole contest, from its first day: the standing is always
recounted from the entries, so nobody's earlier work is lost or counted twice."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.domain import ParseError, Totals
from bot.services.parsing import parse_calendar_date
from bot.services.periods import DateRange, Period, local_date, period_range
from bot.services.standing import standing_of, standing_queries
from models import Metric, Person, Role, TeamInfo, UnitOfWork
from models.base import utcnow
from models.contest import Contest, ContestFacts, members_query, totals_query
from models.prepared import Prepared, bound
from models.unit_of_work import Query

MAX_CONTEST_DAYS = 92
TAG_METRICS = (Metric.DEALS, Metric.REVENUE)  # what a #tag's entries can be counted by


class Stage(StrEnum):
    """The group's posts of one contest, in order; each goes out once."""

    KICKOFF = "kickoff"
    MIDWAY = "midway"
    FINAL = "final"


class PeriodChoice(StrEnum):
    WEEK = "week"  # this week
    MONTH = "month"  # this month
    EVERY_WEEK = "every_week"
    EVERY_MONTH = "every_month"
    DATES = "dates"  # typed


class DatesProblem(StrEnum):
    """Why typed contest dates were refused; the locale files say each as `contest.dates.<>`."""

    USAGE = "usage"
    ORDER = "order"
    PAST = "past"
    TOO_LONG = "too_long"
    TOO_FAR = "too_far"


class DatesError(ValueError):
    def __init__(self, problem: DatesProblem, value: str = "") -> None:
        super().__init__(problem, value)
        self.problem = problem
        self.value = value


@dataclass(frozen=True, slots=True)
class ContestRules:
    metric: Metric
    tag: str | None
    by_target: bool
    prize: str | None


@dataclass(frozen=True, slots=True)
class ContestPeriod:
    start: date
    end: date
    repeat: Period | None


def chosen_period(choice: PeriodChoice, today: date) -> ContestPeriod:
    """The current week or month, once or as the first round of a recurring contest."""
    period = Period.WEEK if choice in (PeriodChoice.WEEK, PeriodChoice.EVERY_WEEK) else Period.MONTH
    dates = period_range(period, today)
    repeat = period if choice in (PeriodChoice.EVERY_WEEK, PeriodChoice.EVERY_MONTH) else None
    return ContestPeriod(dates.start, dates.end, repeat)


def parse_contest_dates(text: str | None, today: date) -> ContestPeriod:
    """`<from> <to>` or `<from>-<to>` (any date /vacation takes); not over yet, at most
    MAX_CONTEST_DAYS long, starting within MAX_CONTEST_DAYS."""
    words = (text or "").replace("–", " ").replace("—", " ").split()
    if len(words) == 1 and words[0].count("-") == 1:
        words = words[0].split("-")
    if len(words) != 2:
        raise DatesError(DatesProblem.USAGE)
    dates = []
    for word in words:
        try:
            parsed = parse_calendar_date(word, today)
        except ParseError:
            parsed = None
        if parsed is None:
            raise DatesError(DatesProblem.USAGE, word[:32])
        dates.append(parsed)
    start, end = dates
    if end < start:
        raise DatesError(DatesProblem.ORDER)
    if end < today:
        raise DatesError(DatesProblem.PAST)
    if (end - start).days + 1 > MAX_CONTEST_DAYS:
        raise DatesError(DatesProblem.TOO_LONG)
    if (start - today).days > MAX_CONTEST_DAYS:
        raise DatesError(DatesProblem.TOO_FAR)
    return ContestPeriod(start, end, None)


# --- when the posts are due -----------------------------------------------------------------


class Dated(Protocol):
    """A contest, or the dates of one not stored yet."""

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


def midway_day(contest: Dated) -> date | None:
    """The day the mid-way standing goes out; None for a contest too short to have one."""
    days = (contest.end - contest.start).days + 1
    return contest.start + timedelta(days=days // 2) if days >= 3 else None


def stage_moments(contest: Dated, team: TeamInfo) -> dict[Stage, datetime]:
    """When each post is due: its day at the team's report time (/settings); the result the
    day after the last day."""
    zone = ZoneInfo(team.timezone)

    def at(day: date) -> datetime:
        return datetime.combine(day, team.report_time, zone)

    moments = {Stage.KICKOFF: at(contest.start)}
    if (middle := midway_day(contest)) is not None:
        moments[Stage.MIDWAY] = at(middle)
    moments[Stage.FINAL] = at(contest.end + timedelta(days=1))
    return moments


def midway_passed(contest: Dated, team: TeamInfo, now: datetime) -> bool:
    """Whether the mid-way moment is due already: a contest set up (or a round begun) that
    late needs no mid-way post, its kick-off carries the standing."""
    moment = stage_moments(contest, team).get(Stage.MIDWAY)
    return moment is not None and now >= moment


def posted(contest: ContestFacts, stage: Stage) -> bool:
    return bool(getattr(contest, f"{stage.value}_posted"))


def due_stages(contest: ContestFacts, team: TeamInfo, now: datetime) -> list[Stage]:
    """The posts due and not yet made, in order; one post goes out for them all (see
    post_stage). Without a group only the result is due (it goes to the manager): the kick-off
    waits for a group bound later."""
    moments = stage_moments(contest, team)
    due = [
        stage for stage, moment in moments.items() if now >= moment and not posted(contest, stage)
    ]
    if team.chat_id is None and Stage.FINAL not in due:
        return []
    return due


# --- the standing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contender:
    person: Person
    value: int  # the metric's count, or kopecks of revenue
    target: Fraction | None  # by % of target: the person's target over the contest's days
    score: Fraction  # what is ranked: value / target, or the value itself
    place: int  # 1-based; equal scores share a place


@dataclass(frozen=True, slots=True)
class ContestStanding:
    contest: ContestFacts
    today: date
    ranked: list[Contender]
    unranked: list[Person]  # by %: no target for the metric, or away the whole contest

    @property
    def winners(self) -> list[Contender]:
        """Everyone in first place, if they did anything at all."""
        return [c for c in self.ranked if c.place == 1 and c.score > 0]

    @property
    def days_left(self) -> int:
        """Calendar days left, today included."""
        return max((self.contest.end - max(self.today, self.contest.start)).days + 1, 0)

    @property
    def started(self) -> bool:
        return self.today >= self.contest.start


def ranked(contenders: list[tuple[Person, int, Fraction | None, Fraction]]) -> list[Contender]:
    """(person, value, target, score), best first; equal scores share a place (1, 1, 3)."""
    contenders.sort(key=lambda c: (-c[3], c[0].first_name.casefold(), c[0].id))
    places: list[Contender] = []
    for index, (person, value, target, score) in enumerate(contenders):
        tied = places and places[-1].score == score
        place = places[-1].place if tied else index + 1
        places.append(Contender(person, value, target, score, place))
    return places


async def contest_standing(
    session: UnitOfWork, team: TeamInfo, contest: ContestFacts, today: date
) -> ContestStanding:
    """Everyone's place as of `today` (entries logged any way count: typed, or imported)."""
    dates = DateRange(contest.start, contest.end)
    # One trip where the database is a trip away: entries, people, and for % their targets.
    queries: list[Query[Any]] = [
        totals_query(team.id, contest.start, min(today, contest.end), contest.tag),
        members_query(team.id),
    ]
    if contest.by_target:
        queries += standing_queries(team, dates)
    results = await session.run_many(*((query.statement, query.params) for query in queries))
    rows, members, *reads = (
        query.convert(found) for query, found in zip(queries, results, strict=True)
    )
    totals: dict[int, Totals] = {}
    for row in rows:
        totals.setdefault(row.user_id, Totals()).add(row.total)
    standing = standing_of(team, dates, *reads) if reads else None
    contenders: list[tuple[Person, int, Fraction | None, Fraction]] = []
    unranked: list[Person] = []
    for member in sorted(members, key=lambda p: (p.first_name.casefold(), p.id)):
        person_totals = totals.get(member.id)
        value = person_totals.value(contest.metric) if person_totals else 0
        if standing is not None:
            target = standing.target(member, contest.metric)
            if not target:
                if member.role is not Role.MANAGER or target is not None:
                    unranked.append(member)
                continue
            contenders.append((member, value, target, Fraction(value) / target))
        elif member.role is not Role.MANAGER or value:
            contenders.append((member, value, None, Fraction(value)))
    return ContestStanding(contest, today, ranked(contenders), unranked)


# --- starting, changing, cancelling, posting --------------------------------------------------


def _insert_contest(insert: Any) -> Any:
    return (
        insert(Contest)
        .values(
            bound(
                "team_id",
                "running_team",
                "metric",
                "tag",
                "by_target",
                "start",
                "end",
                "repeat",
                "prize",
                "created_by_id",
                "midway_posted",
            )
        )
        .on_conflict_do_nothing(index_elements=["running_team"])
        .returning(Contest.id)
    )


_INSERT_CONTEST = Prepared(_insert_contest)


async def start_contest(
    session: UnitOfWork,
    team: TeamInfo,
    manager: Person,
    rules: ContestRules,
    period: ContestPeriod,
    now: datetime,
) -> int | None:
    """The new contest's id; None when the team already has one that is not over."""
    rows = await session.run(
        _INSERT_CONTEST,
        team_id=team.id,
        running_team=team.id,
        metric=rules.metric,
        tag=rules.tag,
        by_target=rules.by_target and rules.tag is None,
        start=period.start,
        end=period.end,
        repeat=period.repeat,
        prize=rules.prize,
        created_by_id=manager.id,
        midway_posted=midway_passed(period, team, now),
    )
    return int(rows[0][0]) if rows else None


async def next_round(
    session: UnitOfWork, team: TeamInfo, contest: ContestFacts, now: datetime
) -> int | None:
    """A recurring contest's next week or month, same rules (after its final post). After
    downtime it is the current week or month: the rounds missed are not replayed."""
    if contest.repeat is None:
        return None
    current = period_range(contest.repeat, local_date(now, team.timezone)).start
    start = max(contest.end + timedelta(days=1), current)
    dates = ContestPeriod(start, period_range(contest.repeat, start).end, contest.repeat)
    rows = await session.run(
        _INSERT_CONTEST,
        team_id=contest.team_id,
        running_team=contest.team_id,
        metric=contest.metric,
        tag=contest.tag,
        by_target=contest.by_target,
        start=dates.start,
        end=dates.end,
        repeat=contest.repeat,
        prize=contest.prize,
        created_by_id=contest.created_by_id,
        midway_posted=midway_passed(dates, team, now),
    )
    return int(rows[0][0]) if rows else None


async def change_rules(
    session: UnitOfWork, team: TeamInfo, contest_id: int, rules: ContestRules
) -> int | None:
    """The rules' new version number; None if that contest is over or cancelled by now."""
    result = await session.execute(
        update(Contest)
        .where(Contest.id == contest_id, Contest.running_team == team.id)
        .values(
            metric=rules.metric,
            tag=rules.tag,
            by_target=rules.by_target and rules.tag is None,
            prize=rules.prize,
            rules_version=Contest.rules_version + 1,
        )
        .returning(Contest.rules_version)
    )
    row = result.first()
    return int(row[0]) if row else None


async def cancel_contest(session: UnitOfWork, team: TeamInfo, contest_id: int) -> bool:
    """True for the one unit of work that cancelled it (a second press finds it over)."""
    result = await session.execute(
        update(Contest)
        .where(Contest.id == contest_id, Contest.running_team == team.id)
        .values(running_team=None, cancelled_at=utcnow())
        .returning(Contest.id)
    )
    return result.first() is not None


def contest_key(contest_id: int, what: str) -> str:
    """The outbox key of one of a contest's messages: the unique key makes it once."""
    return f"contest:{contest_id}:{what}"
