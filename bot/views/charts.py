"""Charts of a week or a month and their captions, from the results the services load."""

import itertools
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from functools import partial

from babel.dates import format_date, format_interval

from bot.charts import PersonChartData, PersonWeek, TeamChartData
from bot.domain import Totals, round_half_up
from bot.services.pace import daily_share
from bot.services.periods import DateRange, Period, period_range
from bot.services.weekly import CHART_METRICS, PeriodResults, PersonResult
from bot.texts import Safe, Translator
from bot.views.common import metric_quantity
from bot.views.paging import Caption, caption_with_list, fit_caption
from models import Metric

_NO_TOTALS = Totals()


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
                metric.value: float(found.target) if (found := person.paces.get(metric)) else None
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
    days_off = standing.days_off(person.user)
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
        spans = standing.spans(person.user, metric)
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


# --- captions (HTML) ------------------------------------------------------------------------


def _totals_text(t: Translator, totals: Totals) -> Safe:
    return Safe(
        " · ".join(metric_quantity(t, metric, totals.value(metric)) for metric in CHART_METRICS)
    )


def _behind_names(t: Translator, results: PeriodResults) -> list[str]:
    """'Bob (calls, deals)': who is behind pace on what, alphabetically (HTML)."""
    behind = sorted((p for p in results.people if p.behind), key=lambda p: p.name.casefold())
    return [
        t(
            "chart.caption.person_behind",
            name=person.name,
            metrics=", ".join(t.plain(f"metric.{m.value}").lower() for m in person.behind),
        )
        for person in behind
    ]


def _behind_line(t: Translator, names: Sequence[str], rest: int) -> str:
    shown = Safe(", ".join(names))
    if rest > 0:
        shown = Safe(t("chart.caption.more", names=shown, n=t.number(rest)))
    return t("chart.caption.behind", names=shown)


def team_caption(t: Translator, results: PeriodResults) -> Caption:
    """What a caption holds of it (at most 1,024 characters); a long "behind pace" list is cut
    to "…and N more" and follows the picture whole, in messages of its own."""
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
        behind = _behind_names(t, results)
        if behind:
            full_list = [t("chart.behind_list", n=t.number(len(behind))), *behind]
            return caption_with_list(lines, partial(_behind_line, t), behind, full_list)
        lines.append(t("chart.caption.all_on_pace"))
    return fit_caption("\n".join(lines))


def person_caption(t: Translator, results: PeriodResults, person: PersonResult) -> Caption:
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
    return fit_caption("\n".join(lines))
