"""Rendering of replies from service results (texts come from the locale files)."""

from datetime import date, timedelta

from bot.services.entries import DayTotal
from bot.services.pace import Pace, bar
from bot.services.parsing import ParseError
from bot.services.periods import Period
from bot.services.progress import ProgressReport, Totals
from bot.texts import Safe, Translator
from models import Entry, EntryKind, Metric, User

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


def day_label(t: Translator, day: date, today: date) -> str:
    if day == today:
        return t("day.today")
    if day == today - timedelta(days=1):
        return t("day.yesterday")
    return t.day(day)


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def entry_summary(t: Translator, entry: Entry, today: date) -> str:
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


def kind_total(t: Translator, kind: EntryKind, total: DayTotal) -> str:
    text = t.plural(KIND_PLURAL_KEY[kind], total.count)
    if kind is EntryKind.DEAL:
        text += t("total.revenue", amount=t.money(total.amount_kopecks))
    return text


def recorded(t: Translator, entry: Entry, total: DayTotal, today: date) -> str:
    lines = [t("ack.recorded", what=entry_summary(t, entry, today))]
    if entry.note:
        lines.append(t("ack.note", note=entry.note))
    lines.append(
        t(
            "ack.day_total",
            day=upper_first(day_label(t, entry.business_date, today)),
            total=kind_total(t, entry.kind, total),
        )
    )
    return "\n".join(lines)


def undone(t: Translator, entry: Entry, today: date) -> str:
    return t("undo.done", what=entry_summary(t, entry, today))


def parse_error(t: Translator, error: ParseError, kind: EntryKind) -> str:
    return t(f"error.{error.code}", **error.params) + "\n" + t(f"example.{kind.value}")


def metric_amount(t: Translator, metric: Metric, value: int) -> str:
    return t.money(value) if metric is Metric.REVENUE else t.number(value)


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


def kpi_parts(t: Translator, totals: Totals) -> list[str]:
    """Conversion, average deal and repeat share, where defined."""
    parts = []
    if totals.leads:
        parts.append(t("kpi.conversion", percent=t.percent(totals.deals, totals.leads)))
    if totals.average_deal_kopecks is not None:
        parts.append(t("kpi.average", amount=t.money(totals.average_deal_kopecks)))
    if totals.repeat_deals:
        parts.append(t("kpi.repeat", percent=t.percent(totals.repeat_deals, totals.deals)))
    return parts


def _tag_line(t: Translator, tag: str | None, totals: Totals) -> str:
    parts = [
        t.plural(KIND_PLURAL_KEY[kind], count)
        for kind, count in (
            (EntryKind.CALL, totals.calls),
            (EntryKind.MEETING, totals.meetings),
            (EntryKind.LEAD, totals.leads),
            (EntryKind.DEAL, totals.deals),
        )
        if count
    ]
    summary = ", ".join(parts)
    if totals.revenue_kopecks:
        summary += t("total.revenue", amount=t.money(totals.revenue_kopecks))
    summary = " · ".join([summary, *kpi_parts(t, totals)])
    name = f"#{tag}" if tag else t("report.untagged")
    return t("report.tag_line", tag=name, summary=Safe(summary))


def _with_target(t: Translator, metric: Metric, line: str, found: Pace | None) -> str:
    if found is None or found.days_total == 0:
        return line
    return line + t(
        "report.of_target",
        target=metric_amount(t, metric, found.target),
        bar=bar(found.percent),
        percent=found.percent,
    )


def _pace_line(t: Translator, metric: Metric, found: Pace) -> str:
    name = t(f"metric.{metric.value}")
    if found.done >= found.target:
        return t("pace.reached", metric=name)
    if found.on_track:
        return t(
            "pace.on_track",
            metric=name,
            ahead=metric_amount(t, metric, found.ahead),
            expected=metric_amount(t, metric, found.expected_by_now),
        )
    if found.need_per_day is None:
        return t(
            "pace.missed", metric=name, left=metric_amount(t, metric, found.target - found.done)
        )
    return t(
        "pace.behind",
        metric=name,
        behind=metric_amount(t, metric, -found.ahead),
        expected=metric_amount(t, metric, found.expected_by_now),
        need=Safe(metric_quantity(t, metric, found.need_per_day)),
        days=Safe(t.plural("n_working_days_left", found.days_left)),
    )


def report(t: Translator, rep: ProgressReport) -> str:
    if rep.period is Period.DAY:
        title = t("report.title.day", day=t.day(rep.dates.start))
    elif rep.period is Period.WEEK:
        title = t("report.title.week", start=t.day(rep.dates.start), end=t.day(rep.dates.end))
    else:
        title = t("report.title.month", month=t.month(rep.dates.start))
    totals = rep.totals
    lines = [title, ""]
    if totals.is_empty and not rep.paces:
        lines.append(t("report.empty"))
        return "\n".join(lines)
    for metric in Metric:
        line = t(f"report.{metric.value}", value=metric_amount(t, metric, totals.value(metric)))
        lines.append(_with_target(t, metric, line, rep.paces.get(metric)))
    if totals.leads:
        lines.append(
            t(
                "report.conversion",
                percent=t.percent(totals.deals, totals.leads),
                deals=t.number(totals.deals),
                leads=t.number(totals.leads),
            )
        )
    if totals.average_deal_kopecks is not None:
        lines.append(t("report.average", amount=t.money(totals.average_deal_kopecks)))
    if totals.repeat_deals:
        lines.append(
            t(
                "report.repeat",
                percent=t.percent(totals.repeat_deals, totals.deals),
                repeat=t.number(totals.repeat_deals),
                deals=t.number(totals.deals),
            )
        )
    paced = {m: p for m, p in rep.paces.items() if p.days_total}
    if rep.period is not Period.DAY and paced:
        first = next(iter(paced.values()))
        lines += [
            "",
            t(
                "pace.days",
                gone=t.number(first.days_gone),
                left=t.number(first.days_left),
                total=t.number(first.days_total),
            ),
        ]
        lines += [_pace_line(t, metric, found) for metric, found in paced.items()]
    if rep.has_tags:
        lines += ["", t("report.by_tag")]
        lines += [_tag_line(t, tag, tag_totals) for tag, tag_totals in rep.by_tag.items()]
    return "\n".join(lines)


def help_text(t: Translator, user: User | None, has_team: bool) -> str:
    parts = [t("help.title")]
    if has_team:
        parts.append(t("help.logging"))
        parts.append(t("help.progress"))
    else:
        parts.append(t("help.no_team"))
    if user is not None and user.is_manager:
        parts.append(t("help.manager"))
    parts.append(t("help.general"))
    return "\n\n".join(parts)
