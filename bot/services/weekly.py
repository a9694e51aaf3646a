"""Charts of a team's and a person's week or month, their captions, and the Monday report.

Results are loaded once per team and period (`load_results`, language-free), then turned into
chart data and captions per language. The weekly report renders the team chart once per
language its recipients need and queues everything through the outbox.
"""

import asyncio
import html
import itertools
from collections.abc import Awaitable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from babel.dates import format_date, format_interval
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import (
    PersonChartData,
    PersonWeek,
    TeamChartData,
    render_person_chart,
    render_png,
    render_team_chart,
)
from bot.services.outbox import enqueue
from bot.services.pace import Pace, daily_share, round_half_up
from bot.services.parsing import ParseError
from bot.services.periods import DateRange, Period, parse_period, period_range
from bot.services.progress import Totals
from bot.services.standing import Standing, load_standing
from bot.services.targets import person_spans
from bot.texts import DEFAULT_LANGUAGE, Safe, Translator, language_for, translator
from bot.views import metric_quantity
from models import Metric, Role, Team, User
from models.entry_charts import daily_kind_totals, period_people
from models.outbox import queued_keys
from models.user import team_members

# What the charts show, in this order; revenue is in kopecks everywhere but on the person chart.
CHART_METRICS = (Metric.CALLS, Metric.MEETINGS, Metric.DEALS, Metric.REVENUE)
MAX_NAMES_IN_CAPTION = 10  # a caption is at most 1024 characters

_NO_TOTALS = Totals()


def parse_chart_period(args: str | None) -> Period:
    """`[week|month]` (Russian words too); this week by default. Raises `chart_argument`."""
    words = (args or "").split()
    if not words:
        return Period.WEEK
    period = parse_period(words[0])
    if period not in (Period.WEEK, Period.MONTH) or len(words) > 1:
        bad = words[0] if period not in (Period.WEEK, Period.MONTH) else words[1]
        raise ParseError("chart_argument", value=bad[:64])
    assert period is not None
    return period


def display_name(user: User) -> str:
    """'Anna I.': short enough for a chart row, and tells two Annas apart."""
    if user.last_name:
        return f"{user.first_name} {user.last_name[:1]}."
    return user.first_name


@dataclass(frozen=True, slots=True)
class PersonResult:
    user: User
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
    team: Team
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
    session: AsyncSession, team: Team, dates: DateRange, today: date, user: User | None = None
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
        for metric in standing.metrics_with_targets(person.id):
            found = standing.pace(person.id, metric, today, totals.value(metric))
            if found is not None:
                paces[metric] = found
        results.append(PersonResult(person, totals, by_day, paces))
    results.sort(key=_rank)
    return PeriodResults(team, dates, today, standing, results)


# --- chart data -----------------------------------------------------------------------------


def period_text(t: Translator, dates: DateRange) -> str:
    """'November 2026' for a calendar month, else 'Nov 23 – 29' / '23—29 нояб.'."""
    if dates == period_range(Period.MONTH, dates.start):
        return t.month(dates.start)
    return format_interval(dates.start, dates.end, "MMMd", locale=t.language)


def day_label(t: Translator, day: date) -> str:
    """'Mon 23' / 'Пн 23'."""
    text = format_date(day, "EEE d", locale=t.language)
    return text[:1].upper() + text[1:]


def _metric_labels(t: Translator) -> dict[str, str]:
    return {metric.value: t.plain(f"metric.{metric.value}") for metric in CHART_METRICS}


def team_chart(results: PeriodResults, t: Translator) -> TeamChartData:
    people = [
        PersonWeek(
            name=person.name,
            values={metric.value: person.totals.value(metric) for metric in CHART_METRICS},
            targets={
                metric.value: found.target if (found := person.paces.get(metric)) else None
                for metric in CHART_METRICS
            },
        )
        for person in results.people
    ]
    return TeamChartData(
        title=t.plain("chart.title", name=results.team.name, period=period_text(t, results.dates)),
        metric_labels=_metric_labels(t),
        target_label=t.plain("chart.target"),
        revenue_label=t.plain("chart.revenue"),
        people=people,
        language=t.language,
        empty_text=t.plain("chart.empty_team"),
    )


def _rubles_per_day(kopecks: Sequence[int]) -> list[int]:
    """Day values in whole rubles whose running sum is the rounded running sum of kopecks."""
    cumulative = [round_half_up(Fraction(total, 100)) for total in itertools.accumulate(kopecks)]
    return [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]


def person_chart(results: PeriodResults, person: PersonResult, t: Translator) -> PersonChartData:
    """Days of the period so far against the pace: the target's daily shares added up.

    Metrics with neither a target nor any activity are left out."""
    days = results.dates.days()
    shown = [day for day in days if day <= results.today]
    standing = results.standing
    days_off = standing.days_off(person.user.id)
    series: dict[str, list[int]] = {}
    pace: dict[str, list[float]] = {}
    for metric in CHART_METRICS:
        values = [person.days.get(day, _NO_TOTALS).value(metric) for day in shown]
        if metric not in person.paces and not any(values):
            continue  # nothing done and nothing due: an empty panel would only take room
        divisor = 100 if metric is Metric.REVENUE else 1
        series[metric.value] = _rubles_per_day(values) if divisor == 100 else values
        if metric not in person.paces:
            continue
        spans = person_spans(standing.targets, person.user.id, metric)
        shares = (
            Fraction(0) if day in days_off else daily_share(spans, day, standing.calendar)
            for day in days
        )
        pace[metric.value] = [float(due / divisor) for due in itertools.accumulate(shares)]
    labels = _metric_labels(t)
    labels[Metric.REVENUE.value] = t.plain("chart.revenue")
    return PersonChartData(
        title=t.plain("chart.title", name=person.name, period=period_text(t, results.dates)),
        day_labels=[day_label(t, day) for day in days],
        metric_labels=labels,
        pace_label=t.plain("chart.pace"),
        series=series,
        pace=pace,
        language=t.language,
        empty_text=t.plain("chart.empty_person"),
    )


async def team_chart_data(
    session: AsyncSession, team: Team, dates: DateRange, t: Translator, today: date | None = None
) -> TeamChartData:
    """The team chart over `dates` (complete unless `today` falls inside it)."""
    return team_chart(await load_results(session, team, dates, today or dates.end), t)


async def person_chart_data(
    session: AsyncSession, team: Team, user: User, dates: DateRange, today: date, t: Translator
) -> PersonChartData:
    results = await load_results(session, team, dates, today, user)
    return person_chart(results, results.of(user.id), t)


# --- captions (HTML) ------------------------------------------------------------------------


def _totals_text(t: Translator, totals: Totals) -> Safe:
    return Safe(
        " · ".join(metric_quantity(t, metric, totals.value(metric)) for metric in CHART_METRICS)
    )


def _names(t: Translator, names: list[str]) -> Safe:
    shown = ", ".join(html.escape(name, quote=False) for name in names[:MAX_NAMES_IN_CAPTION])
    rest = len(names) - MAX_NAMES_IN_CAPTION
    if rest > 0:
        return Safe(t("chart.caption.more", names=Safe(shown), n=t.number(rest)))
    return Safe(shown)


def team_caption(t: Translator, results: PeriodResults) -> str:
    """Title, team totals, the top performer (most deals, then revenue), who is behind pace."""
    total = Totals()
    for person in results.people:
        total.merge(person.totals)
    lines = [
        t("chart.caption.team", name=results.team.name, period=period_text(t, results.dates)),
        t("chart.caption.totals", totals=_totals_text(t, total)),
    ]
    top = results.people[0] if results.people else None
    if top is not None and (top.totals.deals or top.totals.revenue_kopecks):
        result = ", ".join(
            [
                metric_quantity(t, Metric.DEALS, top.totals.deals),
                t.money(top.totals.revenue_kopecks),
            ]
        )
        lines.append(t("chart.caption.top", name=top.name, result=result))
    else:
        lines.append(t("chart.caption.no_top"))
    if any(person.paces for person in results.people):  # no targets: nothing to be behind of
        behind = sorted((p.name for p in results.people if p.behind), key=str.casefold)
        if behind:
            lines.append(t("chart.caption.behind", names=_names(t, behind)))
        else:
            lines.append(t("chart.caption.all_on_pace"))
    return "\n".join(lines)


def person_caption(t: Translator, results: PeriodResults, person: PersonResult) -> str:
    lines = [
        t("chart.caption.own", period=period_text(t, results.dates)),
        _totals_text(t, person.totals),
    ]
    if person.paces:
        behind = [t.plain(f"metric.{metric.value}") for metric in person.behind]
        if behind:
            lines.append(t("chart.caption.own_behind", metrics=", ".join(behind)))
        else:
            lines.append(t("chart.caption.own_on_pace"))
    return "\n".join(lines)


# --- the Monday report ----------------------------------------------------------------------


def weekly_key(team: Team, week: DateRange, recipient: int | str) -> str:
    return f"weekly:{team.id}:{week.start.isoformat()}:{recipient}"


@dataclass(frozen=True, slots=True)
class _Outgoing:
    key: str
    chat_id: int
    user_id: int | None
    photo: bytes
    caption: str


@dataclass
class WeeklyPlan:
    """What one team's weekly report still needs, read from the database (no session held)."""

    team: Team
    results: PeriodResults
    pending: dict[str, User | None]
    chat_language: str


async def plan_weekly_reports(
    session: AsyncSession, team: Team, week: DateRange
) -> WeeklyPlan | None:
    """The recipients whose charts are not queued yet, and the week's numbers; None if none."""
    members = await team_members(session, team.id)
    managers = [m for m in members if m.role is Role.MANAGER]
    reachable = [m for m in members if not m.blocked_bot]
    wanted: dict[str, User | None] = {weekly_key(team, week, m.id): m for m in reachable}
    if team.chat_id is not None and team.public_stats:
        wanted[weekly_key(team, week, "chat")] = None
    done = await queued_keys(session, list(wanted))
    pending = {key: member for key, member in wanted.items() if key not in done}
    if not pending:
        return None
    results = await load_results(session, team, week, week.end)
    # The group gets the language of the team's (first) manager.
    chat_language = language_for(managers[0].language_code) if managers else DEFAULT_LANGUAGE
    return WeeklyPlan(team, results, pending, chat_language)


async def render_weekly_reports(
    plan: WeeklyPlan, executor: Executor | None = None
) -> list[_Outgoing]:
    """Render every pending chart off the event loop, all at once so that every worker of
    `executor` is busy; the team chart once per language."""
    results, team = plan.results, plan.team
    team_renders: dict[str, asyncio.Task[bytes]] = {}

    def team_png(language: str) -> asyncio.Task[bytes]:
        if language not in team_renders:
            data = team_chart(results, translator(language))
            team_renders[language] = asyncio.ensure_future(
                render_png(render_team_chart, data, executor)
            )
        return team_renders[language]

    jobs: list[tuple[str, int, int | None, Awaitable[bytes], str]] = []
    for key, member in plan.pending.items():
        if member is None:
            assert team.chat_id is not None
            t = translator(plan.chat_language)
            jobs.append(
                (key, team.chat_id, None, team_png(plan.chat_language), team_caption(t, results))
            )
            continue
        language = language_for(member.language_code)
        t = translator(language)
        if member.role is Role.MANAGER:
            jobs.append((key, member.id, member.id, team_png(language), team_caption(t, results)))
        else:
            person = results.of(member.id)
            render = render_png(render_person_chart, person_chart(results, person, t), executor)
            caption = person_caption(t, results, person)
            jobs.append((key, member.id, member.id, asyncio.ensure_future(render), caption))
    pngs = await asyncio.gather(*(job[3] for job in jobs))
    return [
        _Outgoing(key, chat_id, user_id, png, caption)
        for (key, chat_id, user_id, _render, caption), png in zip(jobs, pngs, strict=True)
    ]


async def store_weekly_reports(
    session: AsyncSession, outgoing: list[_Outgoing], not_before: datetime | None = None
) -> int:
    """Queue the rendered charts (keys make a second run a no-op); the caller commits."""
    queued = 0
    for message in outgoing:
        queued += await enqueue(
            session,
            message.key,
            message.chat_id,
            text=message.caption,
            photo=message.photo,
            user_id=message.user_id,
            not_before=not_before,
        )
    return queued


async def queue_weekly_reports(
    session: AsyncSession, team: Team, week: DateRange, executor: Executor | None = None
) -> int:
    """Plan, render and queue in one session (on-demand use and tests). The scheduler runs the
    three steps with the session closed while rendering, so no lock is held meanwhile."""
    plan = await plan_weekly_reports(session, team, week)
    if plan is None:
        return 0
    return await store_weekly_reports(session, await render_weekly_reports(plan, executor))
