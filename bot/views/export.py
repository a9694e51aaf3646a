"""/export: the words of the workbook and the CSV, and the caption under the file."""

import html
from fractions import Fraction

from bot.services.export import METRIC_KEYS, BonusLine, BonusSheet, ExportEntry, ExportLabels
from bot.services.exporting import ExportData, ExportRequest, MonthBonus
from bot.services.periods import Period
from bot.texts import Safe, Translator
from bot.views.bonus import rate_text, sentence
from bot.views.paging import Caption, fit_caption
from models import EntryKind, Person, TeamInfo

_ENTRY_HEADERS = (
    "date",
    "person",
    "kind",
    "count",
    "amount",
    "tag",
    "note",
    "logged_at",
    "repeat",
)


def export_labels(t: Translator, with_bonus: bool = False) -> ExportLabels:
    return ExportLabels(
        entries_sheet=t.plain("export.sheet.entries"),
        summary_sheet=t.plain("export.sheet.summary"),
        entry_headers=tuple(t.plain(f"export.header.{name}") for name in _ENTRY_HEADERS),
        summary_person=t.plain("export.header.person"),
        metric_names={key: t.plain(f"metric.{key}") for key in METRIC_KEYS},
        target_suffix=t.plain("export.summary.target"),
        percent_suffix=t.plain("export.summary.percent"),
        conversion=t.plain("export.summary.conversion"),
        average_deal=t.plain("export.summary.average_deal"),
        total=t.plain("export.summary.total"),
        bonus=t.plain("bonus.sheet.bonus") if with_bonus else None,
    )


def _bonus_note(t: Translator, line: MonthBonus, index: int) -> str:
    paid = line.payouts[index][1]
    if paid.missing_plan:
        return t.plain("bonus.sheet.no_plan")
    if paid.below_threshold:
        return t.plain("bonus.sheet.below")
    if paid.capped:
        return t.plain("bonus.sheet.capped")
    return ""


def bonus_sheet(t: Translator, data: ExportData) -> BonusSheet | None:
    """How each person's bonus is made, for a manager's workbook of a month with a scheme."""
    bonus = data.bonus
    if bonus is None:
        return None
    tiers = bonus.rules.tiers
    headers = [
        t.plain("export.header.person"),
        t.plain("metric.deals"),
        t.plain("metric.revenue"),
        t.plain("bonus.sheet.plan"),
        t.plain("bonus.sheet.threshold"),
        t.plain("bonus.sheet.base"),
    ]
    for tier in tiers:
        rate = rate_text(t, tier.rate)
        headers += [
            t.plain("bonus.sheet.tier_revenue", rate=rate),
            t.plain("bonus.sheet.tier_amount", rate=rate),
        ]
    headers += [
        t.plain("bonus.sheet.before_cap"),
        t.plain("bonus.sheet.bonus"),
        t.plain("bonus.sheet.note"),
    ]
    lines = []
    for index, (name, paid) in enumerate(bonus.payouts):
        parts = {part.tier: (part.revenue, part.amount) for part in paid.parts}
        zero = (Fraction(0), Fraction(0))
        lines.append(
            BonusLine(
                person=name,
                deals=paid.deals,
                revenue_kopecks=int(paid.revenue),
                plan=paid.plan,
                threshold=paid.threshold,
                base=paid.base,
                tiers=tuple(parts.get(tier, zero) for tier in tiers),
                before_cap=paid.before_cap,
                bonus_kopecks=paid.kopecks,
                note=_bonus_note(t, bonus, index),
            )
        )
    return BonusSheet(
        title=t.plain("bonus.sheet.title"),
        scheme=html.unescape(sentence(t, bonus.rules)),
        headers=tuple(headers),
        lines=lines,
    )


def export_rows(t: Translator, data: ExportData) -> list[ExportEntry]:
    kinds = {kind: t.plain(f"export.kind.{kind.value}") for kind in EntryKind}
    return [
        ExportEntry(
            business_date=entry.business_date,
            person=author,
            kind=kinds[entry.kind],
            count=entry.count,
            amount_kopecks=entry.amount_kopecks,
            tag=entry.tag,
            note=entry.note,
            logged_at=entry.created_at,
            is_repeat=entry.is_repeat,
        )
        for entry, author in data.entries
    ]


def period_text(t: Translator, request: ExportRequest) -> str:
    if request.period is Period.WEEK:
        return t(
            "export.period.week", start=t.day(request.dates.start), end=t.day(request.dates.end)
        )
    return t.month_in_text(request.dates.start)


def caption(
    t: Translator, viewer: Person, team: TeamInfo, request: ExportRequest, data: ExportData
) -> Caption:
    entries = t.plural("n_entries", len(data.entries))
    key = "export.caption.team" if viewer.is_manager else "export.caption.own"
    return fit_caption(
        t(key, team=team.name, period=Safe(period_text(t, request)), entries=Safe(entries))
    )
