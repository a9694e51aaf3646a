"""The dashboard's JSON: facts from the services, each number raw (for bars and sorting) and as
the chat shows it (`*_shown`, the bot's own formatting). Names and tags go out as typed: plain
data, which the page puts in with textContent."""

from datetime import date
from fractions import Fraction
from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from bot.domain import RUBLE, Totals
from bot.services.dashboard import TagTotal
from bot.services.leaderboard import Ranked
from bot.services.pace import Pace, WorkCalendar
from bot.services.periods import DateRange
from bot.services.progress import ProgressReport
from bot.services.weekly import PeriodResults, PersonResult, display_name
from bot.texts import LOCALES_DIR, Translator
from bot.views.common import metric_amount, metric_quantity, metric_target
from models import Celebration, Metric, Period, Person, TeamInfo

Json = dict[str, Any]
# The page's own texts: every msgid of this file goes to the page, translated.
PAGE_TEXTS = "dashboard.po"
# The periods the page offers, by the names it asks for them with.
PERIOD_KEYS = {"today": Period.DAY, "week": Period.WEEK, "month": Period.MONTH}
REFRESH_SECONDS = 60


@cache
def page_msgids() -> tuple[str, ...]:
    path = LOCALES_DIR / "en" / "LC_MESSAGES" / PAGE_TEXTS
    if not path.exists():
        return ()
    with path.open("rb") as po:
        return tuple(str(message.id) for message in read_po(po) if message.id)


def page_texts(t: Translator) -> dict[str, str]:
    return {msgid: t.template(msgid) for msgid in page_msgids()}


def period_key(period: Period) -> str:
    return next(key for key, value in PERIOD_KEYS.items() if value is period)


def raw(metric: Metric, value: int | Fraction) -> int | float:
    """A value as a number for the page: counts as they are, money in rubles."""
    if metric is Metric.REVENUE:
        return float(Fraction(value) / RUBLE)
    return value if isinstance(value, int) else float(value)


def metric_label(t: Translator, metric: Metric) -> Json:
    return {"key": metric.value, "label": t.plain(f"metric.{metric.value}")}


def metric_labels(t: Translator) -> list[Json]:
    return [metric_label(t, metric) for metric in Metric]


def period_label(t: Translator, period: Period) -> Json:
    key = period_key(period)
    return {"key": key, "label": t.plain(f"dashboard_bot.period.{key}")}


def session(t: Translator, team: TeamInfo, user: Person | None) -> Json:
    answer: Json = {}
    if user is not None:
        role = "manager" if user.is_manager else "employee"
        answer["user"] = {"id": user.id, "name": display_name(user), "role": role}
    answer |= {
        "team": {"name": team.name, "public_stats": team.public_stats, "timezone": team.timezone},
        "lang": t.language,
        "texts": page_texts(t),
        "metrics": metric_labels(t),
        "periods": [period_label(t, period) for period in PERIOD_KEYS.values()],
        "refresh_seconds": REFRESH_SECONDS,
    }
    return answer


def status(found: Pace | None) -> str:
    if found is None or found.days_total == 0:
        return "no_target"
    if found.reached:
        return "done"
    if not found.on_track:
        return "behind"
    return "ahead" if found.ahead > 0 else "on_pace"


def _percent(t: Translator, done: int, target: Fraction | None) -> tuple[float | None, str | None]:
    if not target:
        return None, None
    return float(Fraction(done) / target), t.percent(done, target, 0)


def metric_figures(t: Translator, metric: Metric, done: int, found: Pace | None) -> Json:
    target = found.target if found is not None and found.days_total else None
    percent, percent_shown = _percent(t, done, target)
    return {
        **metric_label(t, metric),
        "value": raw(metric, done),
        "value_shown": metric_amount(t, metric, done),
        "target": raw(metric, target) if target is not None else None,
        "target_shown": metric_target(t, metric, target) if target is not None else None,
        "percent": percent,
        "percent_shown": percent_shown,
        "pace": raw(metric, found.due_by_now) if target is not None and found else None,
        "pace_shown": (
            metric_amount(t, metric, found.due_by_now) if target is not None and found else None
        ),
        "status": status(found),
    }


def period_facts(t: Translator, period: Period, dates: DateRange, days_left: int) -> Json:
    return {
        **period_label(t, period),
        "start": dates.start.isoformat(),
        "end": dates.end.isoformat(),
        "working_days_left": days_left,
        "working_days_left_shown": t.plural("n_working_days_left", days_left),
    }


def calendar_days_left(calendar: WorkCalendar, dates: DateRange, today: date) -> int:
    """Working days from today (counted while it lasts) to the period's end."""
    if today > dates.end:
        return 0
    return len(calendar.working_days(DateRange(max(today, dates.start), dates.end)))


def me(t: Translator, user: Person, report: ProgressReport, days_left: int) -> Json:
    return {
        "name": display_name(user),
        "period": period_facts(t, report.period, report.dates, days_left),
        "metrics": [
            metric_figures(t, metric, report.totals.value(metric), report.paces.get(metric))
            for metric in Metric
        ],
    }


def board(
    t: Translator, metric: Metric, period: Period, rows: list[Ranked], viewer_id: int | None
) -> Json:
    by_percent = any(row.target for row in rows)
    shaped = []
    for place, row in enumerate(rows, start=1):
        percent, percent_shown = _percent(t, row.value, row.target)
        shaped.append(
            {
                "place": place,
                "user_id": row.user.id,
                "name": display_name(row.user),
                "value": raw(metric, row.value),
                "value_shown": metric_amount(t, metric, row.value),
                "percent": percent,
                "percent_shown": percent_shown,
                "is_me": row.user.id == viewer_id,
            }
        )
    return {
        "metric": metric_label(t, metric),
        "period": period_label(t, period),
        "by": "percent" if by_percent else "value",
        "rows": shaped,
    }


def _cell(t: Translator, metric: Metric, person: PersonResult) -> Json:
    done = person.totals.value(metric)
    found = person.paces.get(metric)
    target = found.target if found is not None and found.days_total else None
    percent, percent_shown = _percent(t, done, target)
    return {
        "key": metric.value,
        "value": raw(metric, done),
        "value_shown": metric_amount(t, metric, done),
        "percent": percent,
        "percent_shown": percent_shown,
        "status": status(found),
    }


def team_table(t: Translator, period: Period, results: PeriodResults) -> Json:
    days_left = calendar_days_left(results.standing.calendar, results.dates, results.today)
    return {
        "period": period_facts(t, period, results.dates, days_left),
        "metrics": metric_labels(t),
        "rows": [
            {
                "user_id": person.user.id,
                "name": person.name,
                "cells": [_cell(t, metric, person) for metric in Metric],
            }
            for person in results.people
        ],
    }


def person_days(t: Translator, results: PeriodResults, person: PersonResult) -> Json:
    calendar = results.standing.calendar
    days = []
    for day in results.dates.days():
        totals = person.days.get(day, Totals())
        days.append(
            {
                "date": day.isoformat(),
                "date_shown": t.day(day),
                "working": calendar.is_working_day(day),
                "values": {metric.value: raw(metric, totals.value(metric)) for metric in Metric},
                "revenue_shown": t.money(totals.revenue_kopecks),
            }
        )
    return {"name": person.name, "metrics": metric_labels(t), "days": days}


def week(t: Translator, results: PeriodResults) -> Json:
    return {
        "start": results.dates.start.isoformat(),
        "end": results.dates.end.isoformat(),
        "metrics": metric_labels(t),
        "rows": [
            {
                "user_id": person.user.id,
                "name": person.name,
                "values": {m.value: raw(m, person.totals.value(m)) for m in Metric},
                "shown": {m.value: metric_amount(t, m, person.totals.value(m)) for m in Metric},
            }
            for person in results.people
        ],
    }


def tags(t: Translator, rows: list[TagTotal]) -> Json:
    return {
        "metrics": metric_labels(t),
        "rows": [
            {
                "tag": row.tag,
                "values": {m.value: raw(m, row.totals.value(m)) for m in Metric},
                "shown": {m.value: metric_amount(t, m, row.totals.value(m)) for m in Metric},
            }
            for row in rows
        ],
    }


def celebration(t: Translator, crossed: Celebration) -> Json:
    if crossed.metric is Metric.REVENUE:
        target = t.money(crossed.target)
    else:
        target = metric_quantity(t, crossed.metric, crossed.target)
    text = t.plain(
        "dashboard_bot.celebration", target=target, period=t.plain(f"per.{crossed.period}")
    )
    return {"name": crossed.name, "text": text}
