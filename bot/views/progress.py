"""/today, /week, /month: the numbers against the targets, the pace, the #tags."""

from bot.domain import ConversionGap, Totals, whole_rubles
from bot.services.pace import Pace, bar
from bot.services.periods import Period
from bot.services.progress import ProgressReport
from bot.texts import Safe, Translator
from bot.views.common import (
    KIND_PLURAL_KEY,
    kpi_parts,
    metric_amount,
    metric_quantity,
    metric_target,
)
from models import EntryKind, Metric

MAX_TAGS_NAMED = 3
# Each metric's line, in the order shown (a member's .value costs a call: every report names all).
_METRIC_LINES = tuple((metric, f"report.{metric.value}") for metric in Metric)


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
    if found is None or found.days_total == 0 or found.share is None:
        return line
    return line + t(
        "report.of_target",
        target=metric_target(t, metric, found.target),
        bar=bar(found.share),
        percent=Safe(t.percent(found.done, found.target, 0)),
    )


def _pace_line(t: Translator, metric: Metric, found: Pace) -> str:
    name = t(f"metric.{metric.value}")
    if found.reached:
        return t("pace.reached", metric=name)
    if found.on_track:
        return t(
            "pace.on_track",
            metric=name,
            ahead=metric_amount(t, metric, found.ahead),
            expected=metric_amount(t, metric, found.due_by_now),
        )
    if found.need_per_day is None:
        return t("pace.missed", metric=name, left=metric_amount(t, metric, found.short))
    return t(
        "pace.behind",
        metric=name,
        behind=metric_amount(t, metric, found.behind),
        expected=metric_amount(t, metric, found.due_by_now),
        need=Safe(metric_quantity(t, metric, found.need_per_day)),
        days=Safe(t.plural("n_working_days_left", found.days_left)),
    )


def _conversion_line(t: Translator, totals: Totals) -> str | None:
    conversion = totals.conversion
    if conversion is None:
        return None
    if isinstance(conversion, ConversionGap):
        return t(
            f"report.conversion.{conversion.value}",
            deals=t.number(totals.deals),
            leads=t.number(totals.leads),
        )
    return t(
        "report.conversion",
        percent=t.percent(conversion, 1),
        deals=t.number(totals.deals),
        leads=t.number(totals.leads),
    )


def _tag_lines(t: Translator, rep: ProgressReport) -> list[str]:
    """Each tag's numbers, its conversion where it means something; where deals outnumber the
    leads (leads not tagged like the deals), a line saying so (unless there are no leads at
    all: the conversion line above says that)."""
    lines = [_tag_line(t, tag, totals) for tag, totals in rep.by_tag.items()]
    gaps = [
        f"#{tag}" if tag else t("report.untagged")
        for tag, totals in rep.by_tag.items()
        if isinstance(totals.conversion, ConversionGap)
    ]
    if gaps and rep.totals.leads:
        shown = ", ".join(gaps[:MAX_TAGS_NAMED])
        if len(gaps) > MAX_TAGS_NAMED:
            shown = Safe(t("report.more", names=shown, n=t.number(len(gaps) - MAX_TAGS_NAMED)))
        lines.append(t("report.by_tag.no_conversion", tags=shown))
    return lines


def report(t: Translator, rep: ProgressReport, streak: int = 0) -> str:
    """The numbers; for /today, with the person's streak up to yesterday, if any."""
    if rep.period is Period.DAY:
        title = t("report.title.day", day=t.day(rep.dates.start))
    elif rep.period is Period.WEEK:
        title = t("report.title.week", start=t.day(rep.dates.start), end=t.day(rep.dates.end))
    else:
        title = t("report.title.month", month=t.month(rep.dates.start))
    totals = rep.totals
    lines = [title, ""]
    if streak:
        lines[1:1] = [t.plural("streak.line", streak)]
    if totals.is_empty and not rep.paces:
        lines.append(t("report.empty"))
        return "\n".join(lines)
    for metric, key in _METRIC_LINES:
        line = t(key, value=metric_amount(t, metric, totals.value(metric)))
        lines.append(_with_target(t, metric, line, rep.paces.get(metric)))
    conversion = _conversion_line(t, totals)
    if conversion is not None:
        lines.append(conversion)
    if totals.average_deal is not None:
        lines.append(t("report.average", amount=t.money(whole_rubles(totals.average_deal))))
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
        lines += _tag_lines(t, rep)
    return "\n".join(lines)
