"""/export: which period, whose entries, and the rows the file builders in `export` lay out."""

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from bot.domain import ParseError, ParseErrorCode, Totals
from bot.services.bonus import BonusRules, Payout, in_force, payout, rules_of
from bot.services.export import (
    METRIC_KEYS,
    BonusSheet,
    ExportEntry,
    ExportLabels,
    SummaryRow,
    build_csv,
    build_workbook,
)
from bot.services.periods import DateRange, Period, parse_period, period_range
from bot.services.standing import load_standing
from models import Entry, Metric, Person, TeamInfo, UnitOfWork, User
from models.bonus_scheme import team_schemes
from models.entry import KindTotal
from models.entry_log import period_entries
from models.user import person_of, team_members

_CSV_WORDS = frozenset({"csv"})
_XLSX_WORDS = frozenset({"xlsx", "excel"})
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})")


@dataclass(frozen=True, slots=True)
class ExportRequest:
    as_csv: bool
    period: Period  # WEEK or MONTH
    dates: DateRange


def parse_export_args(args: str | None, today: date) -> ExportRequest:
    """`[csv] [week|month|YYYY-MM]` in any order; this month by default.

    Raises ParseError: `export_argument` (value) or `export_future` (value).
    """
    as_csv = False
    dates: DateRange | None = None
    period = Period.MONTH
    for token in (args or "").split():
        word = token.casefold()
        if word in _CSV_WORDS or word in _XLSX_WORDS:
            as_csv = word in _CSV_WORDS
            continue
        if dates is not None:
            raise ParseError(ParseErrorCode.EXPORT_ARGUMENT, value=token[:64])
        if (found := parse_period(word)) in (Period.WEEK, Period.MONTH):
            assert found is not None
            period = found
            dates = period_range(period, today)
        elif (match := _MONTH_RE.fullmatch(token)) and 1 <= int(match[2]) <= 12:
            first = date(int(match[1]), int(match[2]), 1)
            if first > today:
                raise ParseError(ParseErrorCode.EXPORT_FUTURE, value=token)
            dates = period_range(Period.MONTH, first)
        else:
            raise ParseError(ParseErrorCode.EXPORT_ARGUMENT, value=token[:64])
    return ExportRequest(as_csv, period, dates or period_range(Period.MONTH, today))


def person_name(user: User | Person) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part)


@dataclass(frozen=True, slots=True)
class MonthBonus:
    """The bonus scheme of an exported month and what it pays each person (summary order)."""

    rules: BonusRules
    payouts: list[tuple[str, Payout]]


@dataclass(frozen=True, slots=True)
class ExportData:
    team: TeamInfo
    entries: list[tuple[Entry, str]]  # each with its author's name
    summary: list[SummaryRow]
    person: Person | None = None  # whose own entries these are; None: the whole team's
    bonus: MonthBonus | None = None  # a manager's workbook of a month with a bonus scheme


def _summary_row(
    name: str, totals: Totals, targets: dict[str, Fraction | None], bonus: Payout | None
) -> SummaryRow:
    conversion = totals.conversion
    return SummaryRow(
        person=name,
        values={key: totals.value(Metric(key)) for key in METRIC_KEYS},
        targets=targets,
        conversion=conversion if isinstance(conversion, Fraction) else None,
        average_deal=totals.average_deal,
        bonus_kopecks=None if bonus is None else bonus.kopecks,
    )


def _whole_month(dates: DateRange) -> bool:
    return period_range(Period.MONTH, dates.start) == dates


async def load_export(
    session: UnitOfWork, viewer: Person, team: TeamInfo, dates: DateRange
) -> ExportData:
    """A manager gets the whole team (people who have left included), anyone else their own
    entries. Summary: everyone with entries in the period plus every current member."""
    own_only = not viewer.is_manager
    rows = await period_entries(
        session,
        team_id=team.id,
        start=dates.start,
        end=dates.end,
        user_id=viewer.id if own_only else None,
    )
    entries: list[tuple[Entry, str]] = []
    people: dict[int, User | Person] = {viewer.id: viewer} if own_only else {}
    if not own_only:
        people.update((member.id, member) for member in await team_members(session, team.id))
    totals: dict[int, Totals] = {}
    for entry, author in rows:
        people.setdefault(author.id, author)
        entries.append((entry, person_name(author)))
        repeat = entry.count if entry.is_repeat else 0
        totals.setdefault(author.id, Totals()).add(
            KindTotal(entry.kind, entry.tag, entry.count, entry.amount_kopecks or 0, repeat)
        )
    standing = await load_standing(session, team, dates, viewer.id if own_only else None)
    ordered = sorted(people.values(), key=lambda user: (person_name(user).casefold(), user.id))
    # Bonus amounts are private: only a manager's workbook of a whole month has them.
    scheme = None
    if not own_only and _whole_month(dates):
        scheme = in_force(await team_schemes(session, team.id, dates.start), dates.start)
    rules = None if scheme is None else rules_of(scheme)
    summary = []
    payouts = []
    for user in ordered:
        person = person_of(user)
        person_totals = totals.get(user.id, Totals())
        paid = None
        if rules is not None:
            plan = standing.target(person, Metric.REVENUE)
            paid = payout(rules, person_totals.deals, person_totals.revenue_kopecks, plan)
            payouts.append((person_name(user), paid))
        targets = {key: standing.target(person, Metric(key)) for key in METRIC_KEYS}
        summary.append(_summary_row(person_name(user), person_totals, targets, paid))
    bonus = None if rules is None else MonthBonus(rules, payouts)
    return ExportData(team, entries, summary, viewer if own_only else None, bonus)


_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        **{"ё": "e", "ж": "zh", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch"},
        **{"ъ": "", "ь": "", "ю": "yu", "я": "ya"},
    }
)


def _slug(name: str) -> str:
    """An ASCII file-name part: 'Продажи Север' -> 'prodazhi-sever'; empty if nothing is left."""
    letters = name.casefold().translate(_TRANSLIT)
    return re.sub(r"[^a-z0-9]+", "-", letters).strip("-")[:40].strip("-")


def team_slug(team: TeamInfo) -> str:
    return _slug(team.name) or f"team-{team.id}"


def person_slug(person: Person) -> str:
    return _slug(person_name(person)) or _slug(person.username or "") or f"user-{person.id}"


def export_filename(data: ExportData, request: ExportRequest) -> str:
    """`kpi-<team>-<month>.xlsx` for the team, `kpi-<team>-<person>-<month>.xlsx` for oneself."""
    if request.period is Period.WEEK:
        year, week, _ = request.dates.start.isocalendar()
        period = f"{year}-W{week:02d}"
    else:
        period = request.dates.start.strftime("%Y-%m")
    parts = [team_slug(data.team)]
    if data.person is not None:
        parts.append(person_slug(data.person))
    return f"kpi-{'-'.join(parts)}-{period}.{'csv' if request.as_csv else 'xlsx'}"


async def render_export(
    data: ExportData,
    request: ExportRequest,
    labels: ExportLabels,
    rows: list[ExportEntry],
    bonus: BonusSheet | None = None,
) -> bytes:
    """The file's bytes; built in a worker thread so a big team doesn't stall other chats."""
    if request.as_csv:
        return await asyncio.to_thread(build_csv, rows, labels, data.team.timezone)
    title = f"KPI {data.team.name} {request.dates.start:%Y-%m-%d} – {request.dates.end:%Y-%m-%d}"
    return await asyncio.to_thread(
        build_workbook, rows, data.summary, labels, data.team.timezone, title, bonus
    )
