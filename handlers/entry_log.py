"""/log [@username] [date]: a day's entries with a ❌ button each."""

import html
import re
from datetime import date
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import views
from bot.filters import InTeam, PrivateChat
from bot.log_callbacks import DeleteEntry
from bot.services.entry_log import (
    DayLog,
    DeleteOutcome,
    LogRefusal,
    delete_entry,
    open_log,
    parse_log_args,
)
from bot.services.parsing import ParseError
from bot.services.periods import local_date
from bot.texts import Safe, Translator
from models import Entry, Team, User
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())

BUTTONS_PER_ROW = 5
NOTE_PREVIEW = 80
# Telegram cuts messages at 4096 visible characters; leave room for the title and footer.
TEXT_BUDGET = 3500
_TAG_RE = re.compile(r"<[^>]*>")


def _visible_length(text: str) -> int:
    return len(html.unescape(_TAG_RE.sub("", text)))


def _day_text(t: Translator, day: date, today: date) -> str:
    """'today, 5 November' / '3 November'."""
    label = views.day_label(t, day, today)
    return label if label == t.day(day) else f"{label}, {t.day(day)}"


def _person(user: User) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} (@{user.username})" if user.username else name


def _entry_block(t: Translator, number: int, entry: Entry, zone: ZoneInfo) -> str:
    logged = entry.created_at.astimezone(zone).strftime("%H:%M")
    # The title names the day, so each line is summarised as of that day (no "for yesterday").
    what = views.entry_summary(t, entry, entry.business_date)
    lines = [t("log.line", n=number, time=logged, what=Safe(what))]
    if entry.note:
        note = entry.note if len(entry.note) <= NOTE_PREVIEW else entry.note[:NOTE_PREVIEW] + "…"
        lines.append(t("log.note", note=note))
    return "\n".join(lines)


def render_log(
    t: Translator, log: DayLog, viewer: User, today: date
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list text and its ❌ keyboard: the newest entries that fit, numbered oldest first."""
    day = _day_text(t, log.day, today)
    if log.owner.id == viewer.id:
        title = t("log.title.own", day=day)
    else:
        title = t("log.title.member", person=_person(log.owner), day=day)
    if not log.entries:
        return f"{title}\n\n{t('log.empty')}", None
    zone = ZoneInfo(log.team.timezone)
    shown: list[Entry] = []
    used = 0
    for entry in reversed(log.entries):
        size = _visible_length(_entry_block(t, len(log.entries), entry, zone)) + 1
        if shown and used + size > TEXT_BUDGET:
            break
        shown.append(entry)
        used += size
    shown.reverse()
    blocks = [_entry_block(t, number, entry, zone) for number, entry in enumerate(shown, 1)]
    footer = [t("log.hint")]
    if len(shown) < log.total:
        footer.insert(0, t("log.truncated", shown=len(shown), total=log.total))
    text = "\n".join([title, "", *blocks, "", *footer])
    builder = InlineKeyboardBuilder()
    for number, entry in enumerate(shown, 1):
        builder.button(
            text=t.plain("log.button", n=number), callback_data=DeleteEntry(entry_id=entry.id)
        )
    builder.adjust(BUTTONS_PER_ROW)
    return text, builder.as_markup()


@router.message(Command("log"))
async def show_log(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage:
    today = local_date(utcnow(), team.timezone)
    try:
        args = parse_log_args(command.args, today)
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    result = await open_log(session, user, team, args)
    if result is LogRefusal.NOT_MANAGER:
        return message.answer(t("log.not_manager"))
    if result is LogRefusal.NO_MEMBER:
        return message.answer(t("log.no_member", username=args.username or ""))
    assert isinstance(result, DayLog)
    text, markup = render_log(t, result, user, today)
    return message.answer(text, reply_markup=markup)


@router.callback_query(DeleteEntry.filter())
async def delete_from_log(
    query: CallbackQuery,
    callback_data: DeleteEntry,
    session: AsyncSession,
    t: Translator,
    user: User,
) -> AnswerCallbackQuery | EditMessageText | None:
    deletion = await delete_entry(session, user, callback_data.entry_id)
    if deletion.outcome is not DeleteOutcome.DELETED:
        return query.answer(t.plain(f"log.toast.{deletion.outcome.value}"))
    assert deletion.entry is not None and deletion.log is not None
    today = local_date(utcnow(), deletion.log.team.timezone)
    what = views.entry_summary(t, deletion.entry, today)
    await query.answer(t.plain("log.toast.deleted", what=html.unescape(what)))
    if not isinstance(query.message, Message):
        return None
    text, markup = render_log(t, deletion.log, user, today)
    return query.message.edit_text(text, reply_markup=markup)
