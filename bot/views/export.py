"""/export: the words of the workbook and the CSV, and the caption under the file."""

from bot.services.export import METRIC_KEYS, ExportEntry, ExportLabels
from bot.services.exporting import ExportData, ExportRequest
from bot.services.periods import Period
from bot.texts import Safe, Translator
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


def export_labels(t: Translator) -> ExportLabels:
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
