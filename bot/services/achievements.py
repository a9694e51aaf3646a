"""Small wins: streak steps, records and firsts, found from the entries and recorded once each
(the unique key of an Achievement decides, whoever else looks at the same time).

A day's wins are looked for once the day is over (`close_day`, run by the scheduler after
midnight in the team's time zone, once per team and day: a ClosedDay row decides); a first deal
of the month is also noticed the moment it is logged (`logged_wins`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, update

from bot.domain import Totals
from bot.services.periods import DateRange, Period, period_range
from bot.services.streaks import MILESTONES, StreakData, load_streak_data
from models import Achievement, ClosedDay, Entry, EntryKind, Metric, Person, TeamInfo, UnitOfWork
from models.base import columns_of, from_row, utcnow
from models.entry import EntryFacts
from models.prepared import Prepared, bound
from models.team_rewards import Rewards
from models.user import team_members

# Records are measured against this much history (a year and a month).
RECORD_HISTORY = timedelta(days=400)
# Wins older than this are not news any more (a group bound long after): past the longest
# run of days off (the New Year holidays), whose wins wait for the first working day's digest.
DIGEST_STALE_AFTER = timedelta(days=14)
# Days missed (the bot down over midnight, a clock jump) are looked at later, this far back.
CATCH_UP = timedelta(days=14)


class WinKind(StrEnum):
    STREAK = "streak"
    BEST_DAY = "best_day"
    BEST_WEEK = "best_week"
    BEST_MONTH = "best_month"
    FIRST_DEAL = "first_deal"
    TARGET_MET = "target_met"  # the first month ever at 100 % of a monthly target
    TEAM_WEEK = "team_week"  # the team's best week


STREAK_KINDS = frozenset({WinKind.STREAK})


@dataclass(frozen=True, slots=True)
class Win:
    kind: WinKind
    key: str
    user_id: int | None  # None: the whole team
    name: str
    metric: Metric | None
    day: date  # the day, or the first day of the week or month
    value: int  # days in a row, or the record (a count; kopecks for revenue)
    message_id: int | None = None  # the person's own log message to react to, if any


def _add(insert: Any) -> Any:
    return (
        insert(Achievement)
        .values(
            bound(
                "team_id",
                "key",
                "kind",
                "user_id",
                "name",
                "metric",
                "day",
                "value",
                "digest_day",
                "created_at",
            )
        )
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
        .returning(Achievement.id)
    )


_ADD = Prepared(_add)


async def record_wins(
    session: UnitOfWork, team: TeamInfo, rewards: Rewards, wins: Iterable[Win]
) -> list[Win]:
    """Store the wins not stored before; those are returned (to be reacted to). With the
    digest off they are stored as named already: turning it on later does not dig them up."""
    now = utcnow()
    named = None if rewards.digest_on else now.date()
    new = []
    for win in wins:
        added = await session.run(
            _ADD,
            team_id=team.id,
            key=win.key,
            kind=win.kind.value,
            user_id=win.user_id,
            name=win.name[:128],
            metric=win.metric.value if win.metric else None,
            day=win.day,
            value=win.value,
            digest_day=named,
            created_at=now,
        )
        if added:
            new.append(win)
    return new


def logged_wins(rewards: Rewards, person: Person, entry: EntryFacts) -> list[Win]:
    """What an entry wins the moment it is logged: the month's first deal."""
    if not rewards.records_on or entry.kind is not EntryKind.DEAL:
        return []
    month = period_range(Period.MONTH, entry.business_date).start
    return [_first_deal(person, month, entry.business_date, entry.message_id)]


def _first_deal(person: Person, month: date, day: date, message_id: int | None) -> Win:
    return Win(
        WinKind.FIRST_DEAL,
        f"first_deal:{person.id}:{month:%Y-%m}",
        person.id,
        person.first_name,
        Metric.DEALS,
        day,
        1,
        message_id,
    )


# --- the day's close ---------------------------------------------------------------------------


def _close(insert: Any) -> Any:
    return (
        insert(ClosedDay)
        .values(bound("team_id", "day"))
        .on_conflict_do_nothing(index_elements=["team_id", "day"])
        .returning(ClosedDay.team_id)
    )


_CLOSE = Prepared(_close)


async def claim_day(session: UnitOfWork, team: TeamInfo, day: date) -> bool:
    """True for exactly one unit of work per team and day (the others find the row)."""
    return bool(await session.run(_CLOSE, team_id=team.id, day=day))


_REOPEN = Prepared(
    delete(ClosedDay).where(
        ClosedDay.team_id == bindparam("team_id"), ClosedDay.day >= bindparam("since")
    )
)


async def reopen_days(session: UnitOfWork, team_id: int, day: date, today: date) -> None:
    """An entry dated `day`, logged after that day was over ("/call yesterday" after midnight):
    the days from it on are looked at again by the scheduler's next run (as far back as it
    catches up), so the streak step it completes is not lost; wins found before stay once."""
    if day < today:
        await session.changed(_REOPEN, team_id=team_id, since=max(day, today - CATCH_UP))


async def last_closed_days(session: UnitOfWork, since: date) -> dict[int, date]:
    """Each team's latest closed day from `since` on (teams with none since are left out)."""
    rows = await session.execute(
        select(ClosedDay.team_id, func.max(ClosedDay.day))
        .where(ClosedDay.day >= since)
        .group_by(ClosedDay.team_id)
    )
    return {team_id: day for team_id, day in rows}


def days_to_close(team: TeamInfo, last_closed: date | None, now: datetime) -> list[date]:
    """The team's days over and not looked at yet, oldest first: from the day after the last
    closed one (at most CATCH_UP back, not before the team was made) up to yesterday."""
    zone = ZoneInfo(team.timezone)
    today = now.astimezone(zone).date()
    first = max(today - CATCH_UP, team.created_at.astimezone(zone).date())
    if last_closed is not None:
        first = max(first, last_closed + timedelta(days=1))
    return [first + timedelta(days=n) for n in range((today - first).days)]


async def last_messages(session: UnitOfWork, team: TeamInfo, dates: DateRange) -> dict[int, int]:
    """Each person's latest log message among their entries over `dates` (typed ones only)."""
    rows = await session.execute(
        select(Entry.user_id, Entry.message_id)
        .where(
            Entry.team_id == team.id,
            Entry.business_date.between(dates.start, dates.end),
            Entry.message_id.is_not(None),
            Entry.deleted_at.is_(None),
        )
        .order_by(Entry.id)
    )
    return {user_id: message_id for user_id, message_id in rows}


async def first_deal_messages(
    session: UnitOfWork, team: TeamInfo, dates: DateRange
) -> dict[int, int | None]:
    """Each person's first deal over `dates`: its own log message, or None for one with no
    message behind it (from a CRM: its win goes to the digest only)."""
    rows = await session.execute(
        select(Entry.user_id, Entry.message_id, Entry.source)
        .where(
            Entry.team_id == team.id,
            Entry.kind == EntryKind.DEAL,
            Entry.business_date.between(dates.start, dates.end),
            Entry.deleted_at.is_(None),
        )
        .order_by(Entry.business_date, Entry.id)
    )
    first: dict[int, int | None] = {}
    for user_id, message_id, source in rows:
        first.setdefault(user_id, message_id if source is None else None)
    return first


def _sums(days: dict[date, Totals], period: Period) -> dict[date, Totals]:
    """Daily totals summed per period (keyed by the period's first day)."""
    sums: dict[date, Totals] = {}
    for day, totals in days.items():
        sums.setdefault(period_range(period, day).start, Totals()).merge(totals)
    return sums


def _beaten(sums: dict[date, Totals], current: date, metric: Metric) -> int | None:
    """The value of the period starting `current` if it beats every earlier one (which had
    something: the first ever is no record)."""
    value = sums[current].value(metric) if current in sums else 0
    earlier = [totals.value(metric) for start, totals in sums.items() if start < current]
    best = max(earlier, default=0)
    return value if best and value > best else None


RECORD_PERIODS = (
    (Period.DAY, WinKind.BEST_DAY),
    (Period.WEEK, WinKind.BEST_WEEK),
    (Period.MONTH, WinKind.BEST_MONTH),
)


def _ends(period: Period, day: date) -> bool:
    return period_range(period, day).end == day


def records(
    data: StreakData,
    person: Person,
    day: date,
    messages: dict[Period, dict[int, int]],
    first_deals: dict[int, int | None],
) -> list[Win]:
    """The person's records over periods ending on `day`, and the month's firsts (the first
    deal marked on its own message, `first_deals`)."""
    days = data.daily.get(person.id, {})
    wins = []
    for period, kind in RECORD_PERIODS:
        if not _ends(period, day):
            continue
        start = period_range(period, day).start
        sums = _sums(days, period)
        for metric in Metric:
            value = _beaten(sums, start, metric)
            if value is not None:
                key = f"{kind.value}:{person.id}:{metric.value}:{start}"
                message = messages[period].get(person.id)
                wins.append(
                    Win(kind, key, person.id, person.first_name, metric, start, value, message)
                )
    month = period_range(Period.MONTH, day)
    month_to_date = data.month_to_date(person.id, day)
    if month_to_date.deals:
        first = min(d for d, t in days.items() if month.start <= d <= day and t.deals)
        wins.append(_first_deal(person, month.start, first, first_deals.get(person.id)))
    standing = data.month(day)
    for metric in standing.metrics_with_targets(person):
        target = standing.target(person, metric)
        if target and month_to_date.value(metric) >= target:
            wins.append(
                Win(
                    WinKind.TARGET_MET,
                    f"{WinKind.TARGET_MET.value}:{person.id}:{metric.value}",
                    person.id,
                    person.first_name,
                    metric,
                    month.start,
                    month_to_date.value(metric),
                    messages[Period.DAY].get(person.id),
                )
            )
    return wins


def team_week(data: StreakData, team: TeamInfo, day: date) -> list[Win]:
    if not _ends(Period.WEEK, day):
        return []
    team_days: dict[date, Totals] = {}
    for days in data.daily.values():
        for d, totals in days.items():
            team_days.setdefault(d, Totals()).merge(totals)
    sums = _sums(team_days, Period.WEEK)
    start = period_range(Period.WEEK, day).start
    wins = []
    for metric in Metric:
        value = _beaten(sums, start, metric)
        if value is not None:
            key = f"{WinKind.TEAM_WEEK.value}:{metric.value}:{start}"
            wins.append(Win(WinKind.TEAM_WEEK, key, None, team.name, metric, start, value))
    return wins


async def close_day(session: UnitOfWork, team: TeamInfo, rewards: Rewards, day: date) -> list[Win]:
    """The wins of a day that is over, new ones only; nothing if another unit of work (or an
    earlier run) closed it."""
    if not await claim_day(session, team, day):
        return []
    if not (rewards.streaks_on or rewards.records_on):
        return []
    members = await team_members(session, team.id)
    data = await load_streak_data(session, team, DateRange(day - RECORD_HISTORY, day))
    messages = {
        period: await last_messages(session, team, period_range(period, day)) for period in Period
    }
    month = DateRange(period_range(Period.MONTH, day).start, day)
    first_deals = await first_deal_messages(session, team, month) if rewards.records_on else {}
    wins: list[Win] = []
    for person in members:
        if rewards.streaks_on and data.person_days(person).counts(day):
            length, _ = data.streak(person, day)
            if length in MILESTONES:
                key = f"{WinKind.STREAK.value}:{person.id}:{day}"
                message = messages[Period.DAY].get(person.id)
                wins.append(
                    Win(
                        WinKind.STREAK,
                        key,
                        person.id,
                        person.first_name,
                        None,
                        day,
                        length,
                        message,
                    )
                )
        if rewards.records_on:
            wins += records(data, person, day, messages, first_deals)
    if rewards.records_on:
        wins += team_week(data, team, day)
    return await record_wins(session, team, rewards, wins)


# --- the digest --------------------------------------------------------------------------------

_TAKE_FOR_DIGEST = Prepared(
    update(Achievement)
    .where(Achievement.team_id == bindparam("team"), Achievement.digest_day.is_(None))
    .values(digest_day=bindparam("day", type_=Achievement.digest_day.type))
    .returning(*columns_of(Achievement))
)


async def take_for_digest(
    session: UnitOfWork, team: TeamInfo, day: date, now: datetime
) -> list[Achievement]:
    """The team's wins no digest named yet, marked for `day`'s in the same statement; those
    too old to be news are marked and left out."""
    rows = await session.run(_TAKE_FOR_DIGEST, team=team.id, day=day)
    taken = [from_row(Achievement, row) for row in rows]
    taken.sort(key=lambda win: win.id)
    return [win for win in taken if now - win.created_at < DIGEST_STALE_AFTER]
