"""Pieces every feature's texts are made of: quantities with their units, days, KPIs."""

from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from bot.domain import ParseError, Totals, shown_share, whole_rubles
from bot.texts import Translator
from models import EntryKind, Metric
from models.entry import AnyEntry

METRIC_PLURAL_KEY = {
    Metric.CALLS: "n_calls",
    Metric.MEETINGS: "n_meetings",
    Metric.LEADS: "n_leads",
    Metric.DEALS: "n_deals",
}
KIND_PLURAL_KEY = {
    EntryKind.CALL: "n_calls",
    EntryKind.MEETING: "n_meetings",
    EntryKind.LEAD: "n_leads",
    EntryKind.DEAL: "n_deals",
}
# Telegram's limits, in UTF-16 code units.
MAX_TEXT = 4096
MAX_CAPTION = 1024


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def day_label(t: Translator, day: date, today: date) -> str:
    if day == today:
        return t("day.today")
    if day == today - timedelta(days=1):
        return t("day.yesterday")
    return t.day(day)


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def entry_summary(t: Translator, entry: AnyEntry, today: date) -> str:
    """'3 calls (yesterday) #avito' / 'deal 15 000 ₽, repeat sale'."""
    if entry.kind is EntryKind.DEAL:
        what = t("entry.deal", amount=t.money(entry.amount_kopecks or 0))
        if entry.is_repeat:
            what += t("entry.repeat")
    else:
        what = t.plural(KIND_PLURAL_KEY[entry.kind], entry.count)
    if entry.business_date != today:
        what += t("entry.on_day", day=day_label(t, entry.business_date, today))
    if entry.tag:
        what += f" #{entry.tag}"
    return what


def metric_amount(t: Translator, metric: Metric, value: int) -> str:
    """A value as logged or typed: a count, or money with its kopecks if any."""
    return t.money(value) if metric is Metric.REVENUE else t.number(value)


def metric_target(t: Translator, metric: Metric, value: Fraction | int) -> str:
    """A computed target or share of one: money in whole rubles; a count whole from 10 on,
    else with one decimal, never 0 when it isn't (0.5 deals a day)."""
    if metric is Metric.REVENUE:
        return t.money(whole_rubles(value))
    return t.number(shown_share(value))


def metric_quantity(t: Translator, metric: Metric, value: int) -> str:
    """'7 calls' / '15 000 ₽': a value with its unit, plural-aware."""
    if metric is Metric.REVENUE:
        return t.money(value)
    return t.plural(METRIC_PLURAL_KEY[metric], value)


def quantities(t: Translator, totals: Totals) -> list[str]:
    """'5 calls', '1 deal', '15 000 ₽': the non-zero numbers, for one-line summaries."""
    parts = [
        metric_quantity(t, metric, totals.value(metric))
        for metric in Metric
        if metric is not Metric.REVENUE and totals.value(metric)
    ]
    if totals.revenue_kopecks:
        parts.append(t.money(totals.revenue_kopecks))
    return parts


class Figure(StrEnum):
    """The figures beside a count: each board shows those of its metric."""

    CONVERSION = "conversion"
    AVERAGE = "average"
    REPEAT = "repeat"


ALL_FIGURES = frozenset(Figure)


def kpi_parts(t: Translator, totals: Totals, figures: frozenset[Figure] = ALL_FIGURES) -> list[str]:
    """Conversion (where it means something), average deal and repeat share, where defined."""
    parts = []
    conversion = totals.conversion
    if Figure.CONVERSION in figures and isinstance(conversion, Fraction):
        parts.append(t("kpi.conversion", percent=t.percent(conversion, 1)))
    average = totals.average_deal
    if Figure.AVERAGE in figures and average is not None:
        parts.append(t("kpi.average", amount=t.money(whole_rubles(average))))
    if Figure.REPEAT in figures and totals.repeat_deals:
        parts.append(t("kpi.repeat", percent=t.percent(totals.repeat_deals, totals.deals)))
    return parts


def parse_problem(t: Translator, error: ParseError, **context: str) -> str:
    """What is wrong with what was typed, in one line (`context`: what else the text names)."""
    return t(f"error.{error.code.value}", **context, **error.params)


def person_name(first_name: str, last_name: str | None) -> str:
    return " ".join(part for part in (first_name, last_name) if part)
