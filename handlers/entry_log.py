"""/log [@username] [date]: a day's entries with a ❌ button each."""

import html
from collections.abc import Callable

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.domain import ParseError, RowId
from bot.filters import Command
from bot.middlewares import WRITES
from bot.services.entry_log import (
    DayLog,
    DeleteOutcome,
    LogRefusal,
    delete_entry,
    open_log,
    parse_log_args,
    reopen_log,
)
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import log as views
from bot.views.common import entry_summary, parse_problem
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow


class DeleteEntry(CallbackData, prefix="lgd"):
    """❌ under a /log list: the entry itself says whose log and which day to redraw."""

    entry_id: RowId


class LogPage(CallbackData, prefix="lgp"):
    """◀ ▶ under a /log list: whose day (a date's ordinal) and the page to show."""

    owner: int
    day: int
    page: int


def _delete_button(entry_id: int) -> DeleteEntry:
    return DeleteEntry(entry_id=entry_id)


def _page_button(log: DayLog) -> Callable[[int], LogPage]:
    return lambda page: LogPage(owner=log.owner.id, day=log.day.toordinal(), page=page)


async def show_log(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage:
    today = local_date(utcnow(), team.timezone)
    try:
        args = parse_log_args(command.args, today)
    except ParseError as error:
        return message.answer(parse_problem(t, error))
    result = await open_log(session, user, team, args)
    if result is LogRefusal.NOT_MANAGER:
        return message.answer(t("log.not_manager"))
    if result is LogRefusal.NO_MEMBER:
        return message.answer(t("log.no_member", username=args.username or ""))
    assert isinstance(result, DayLog)
    text, markup = views.day_log(t, result, user.id, today, _delete_button, _page_button(result))
    return message.answer(text, reply_markup=markup)


async def turn_log_page(
    query: CallbackQuery,
    callback_data: LogPage,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    log = await reopen_log(session, user, team, callback_data.owner, callback_data.day)
    if not isinstance(log, DayLog):
        return query.answer(t.plain(f"log.toast.{log.value}"))
    if not isinstance(query.message, Message):  # too old to edit
        return query.answer()
    today = local_date(utcnow(), log.timezone)
    text, markup = views.day_log(
        t, log, user.id, today, _delete_button, _page_button(log), callback_data.page
    )
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def delete_from_log(
    query: CallbackQuery,
    callback_data: DeleteEntry,
    session: UnitOfWork,
    t: Translator,
    user: Person,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    deletion = await delete_entry(session, user.id, callback_data.entry_id)
    if deletion.outcome is not DeleteOutcome.DELETED:
        return query.answer(t.plain(f"log.toast.{deletion.outcome.value}"))
    assert deletion.entry is not None and deletion.log is not None
    today = local_date(utcnow(), deletion.log.timezone)
    what = entry_summary(t, deletion.entry, today)
    toast = query.answer(t.plain("log.toast.deleted", what=html.unescape(what)))
    if not isinstance(query.message, Message):
        return toast
    # The page where the removed entry was: the entries logged before it stay in place.
    log, removed = deletion.log, deletion.entry
    before = sum((e.created_at, e.id) < (removed.created_at, removed.id) for e in log.entries)
    text, markup = views.day_log(
        t, log, user.id, today, _delete_button, _page_button(log), showing=before
    )
    return toast, query.message.edit_text(text, reply_markup=markup)


def register(router: Router) -> None:
    """Members, in private (the ❌ buttons: anyone who presses; the deletion decides)."""
    router.message.register(show_log, Command("log"))
    router.callback_query.register(delete_from_log, DeleteEntry.filter(), flags=WRITES)
    router.callback_query.register(turn_log_page, LogPage.filter())
