"""Logging: the acknowledgement of an entry, /undo, and the /log list with its ❌ buttons."""

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import DayTotal, ParseError
from bot.services.entry_log import DayLog
from bot.texts import Safe, Translator
from bot.views.common import KIND_PLURAL_KEY, day_label, entry_summary, parse_problem, upper_first
from bot.views.connections import system_name
from bot.views.paging import page, page_buttons
from models import Entry, EntryKind, Person
from models.entry import AnyEntry

BUTTONS_PER_ROW = 5
# Telegram allows 100 buttons under a message: 8 rows of ❌ and the ◀ ▶ row.
MAX_PER_PAGE = 40
NOTE_PREVIEW = 80
# The ❌ button's payload for an entry id, and ◀ ▶'s for a page number (beside the handler).
DeleteButton = Callable[[int], CallbackData]
# A button under "how much was the deal?": the index of a recent tag, or None for "cancel".
DealButton = Callable[[int | None], CallbackData]
TAG_BUTTONS_PER_ROW = 3
PageButton = Callable[[int], CallbackData]


def kind_total(t: Translator, kind: EntryKind, total: DayTotal) -> str:
    text = t.plural(KIND_PLURAL_KEY[kind], total.count)
    if kind is EntryKind.DEAL:
        text += t("total.revenue", amount=t.money(total.amount_kopecks))
    return text


def recorded(t: Translator, entry: AnyEntry, total: DayTotal, today: date) -> str:
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


def ask_deal_amount(
    t: Translator, tags: list[str], chosen: str | None, button: DealButton
) -> tuple[str, InlineKeyboardMarkup]:
    """The question a bare /deal asks, with the person's recent tags and a cancel button."""
    text = t("deal.ask") if chosen is None else t("deal.ask_tagged", tag=f"#{chosen}")
    builder = InlineKeyboardBuilder()
    for index, tag in enumerate(tags):
        mark = "✓ " if tag == chosen else ""
        builder.button(text=f"{mark}#{tag}", callback_data=button(index))
    builder.button(text=t.plain("deal.button.cancel"), callback_data=button(None))
    full, rest = divmod(len(tags), TAG_BUTTONS_PER_ROW)
    builder.adjust(*[TAG_BUTTONS_PER_ROW] * full, *([rest] if rest else []), 1)
    return text, builder.as_markup()


def deal_amount_problem(t: Translator, error: ParseError) -> str:
    """A typed amount that is not one: what is wrong, and the question again."""
    return parse_problem(t, error) + "\n" + t("deal.ask_again")


def undone(t: Translator, entry: AnyEntry, today: date) -> str:
    return t("undo.done", what=entry_summary(t, entry, today))


def entry_problem(t: Translator, error: ParseError, kind: EntryKind) -> str:
    """What is wrong, and an example of the command done right."""
    return parse_problem(t, error) + "\n" + t(f"example.{kind.value}")


def _day_text(t: Translator, day: date, today: date) -> str:
    """'today, 5 November' / '3 November'."""
    label = day_label(t, day, today)
    return label if label == t.day(day) else f"{label}, {t.day(day)}"


def _person(person: Person) -> str:
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    return f"{name} (@{person.username})" if person.username else name


def _entry_block(t: Translator, number: int, entry: Entry, zone: ZoneInfo) -> str:
    logged = entry.created_at.astimezone(zone).strftime("%H:%M")
    # The title names the day, so each line is summarised as of that day (no "for yesterday").
    what = entry_summary(t, entry, entry.business_date)
    if entry.source:
        what += t("log.via", system=system_name(entry.source))
    lines = [t("log.line", n=number, time=logged, what=Safe(what))]
    if entry.note:
        note = entry.note if len(entry.note) <= NOTE_PREVIEW else entry.note[:NOTE_PREVIEW] + "…"
        lines.append(t("log.note", note=note))
    return "\n".join(lines)


def day_log(
    t: Translator,
    log: DayLog,
    viewer_id: int,
    today: date,
    delete_button: DeleteButton,
    page_button: PageButton,
    index: int | None = None,
    *,
    showing: int | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the list (None: the newest entries, or the page with entry `showing`, an index
    into the day's entries) and its ❌ keyboard, entries numbered oldest first."""
    day = _day_text(t, log.day, today)
    if log.owner.id == viewer_id:
        title = t("log.title.own", day=day)
    else:
        title = t("log.title.member", person=_person(log.owner), day=day)
    if not log.entries:
        return f"{title}\n\n{t('log.empty')}", None
    zone = ZoneInfo(log.timezone)
    blocks = [_entry_block(t, n, entry, zone) for n, entry in enumerate(log.entries, 1)]
    shown = page(t, title, blocks, t("log.hint"), index, max_blocks=MAX_PER_PAGE, showing=showing)
    builder = InlineKeyboardBuilder()
    for number in shown.shown:
        entry = log.entries[number]
        builder.button(
            text=t.plain("log.button", n=number + 1), callback_data=delete_button(entry.id)
        )
    builder.adjust(BUTTONS_PER_ROW)
    if turns := page_buttons(shown, page_button):
        builder.row(*turns)
    return shown.text, builder.as_markup()
