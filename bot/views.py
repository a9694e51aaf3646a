"""Rendering of replies from service results (texts come from the locale files)."""

from datetime import date, timedelta

from bot.services.entries import DayTotal
from bot.services.parsing import ParseError
from bot.services.periods import Period
from bot.services.progress import ProgressReport, Totals
from bot.texts import Safe, Translator
from models import Entry, EntryKind, User

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
    name = f"#{tag}" if tag else t("report.untagged")
    return t("report.tag_line", tag=name, summary=Safe(summary))


def report(t: Translator, rep: ProgressReport) -> str:
    if rep.period is Period.DAY:
        title = t("report.title.day", day=t.day(rep.dates.start))
    elif rep.period is Period.WEEK:
        title = t("report.title.week", start=t.day(rep.dates.start), end=t.day(rep.dates.end))
    else:
        title = t("report.title.month", month=t.month(rep.dates.start))
    totals = rep.totals
    lines = [title, ""]
    if totals.is_empty:
        lines.append(t("report.empty"))
        return "\n".join(lines)
    lines += [
        t("report.calls", n=t.number(totals.calls)),
        t("report.meetings", n=t.number(totals.meetings)),
        t("report.leads", n=t.number(totals.leads)),
        t("report.deals", n=t.number(totals.deals)),
        t("report.revenue", amount=t.money(totals.revenue_kopecks)),
    ]
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
