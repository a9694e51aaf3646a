"""Logging work: /call, /meeting, /lead, /deal and /undo; a bare /deal asks for the amount."""

from dataclasses import replace
from typing import Annotated

from aiogram import Router
from aiogram.filters import CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Message
from pydantic import Field

from bot.domain import ParseError
from bot.filters import Command, PlainText
from bot.middlewares import WRITES
from bot.outgoing.celebrations import celebrate_crossings
from bot.outgoing.rewards import note_logged_wins
from bot.services.achievements import logged_wins, reopen_days
from bot.services.entries import RECENT_TAG_BUTTONS, recent_tags, record_entry, undo_last_entry
from bot.services.parsing import ParsedEntry, parse_entry
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import log as views
from models import EntryKind, Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team_rewards import team_rewards

LOG_COMMANDS = tuple(kind.value for kind in EntryKind)


class DealSteps(StatesGroup):
    amount = State()  # data: "tags" offered as buttons, "tag" the one pressed


class DealPrompt(CallbackData, prefix="dl"):
    """A button under "how much was the deal?": a recent tag by its index, or -1 to cancel."""

    index: Annotated[int, Field(ge=-1, lt=RECENT_TAG_BUTTONS)]


def _deal_button(index: int | None) -> DealPrompt:
    return DealPrompt(index=-1 if index is None else index)


async def _record(
    message: Message,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
    kind: EntryKind,
    parsed: ParsedEntry,
    dashboard_url: str | None,
) -> SendMessage:
    now = utcnow()
    today = local_date(now, team.timezone)
    result = await record_entry(session, user.id, team.id, kind, parsed, message.message_id)
    await celebrate_crossings(session, team, user, today, screens=dashboard_url is not None)
    await reopen_days(session, team.id, parsed.business_date, today)
    if kind is EntryKind.DEAL:  # the only entry that wins something the moment it is logged
        rewards = await team_rewards(session, team.id)
        wins = logged_wins(rewards, user, result.entry)
        await note_logged_wins(session, team, rewards, wins, now)
    return message.answer(views.recorded(t, result.entry, result.day_total, today))


async def log_entry(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    user: Person,
    team: TeamInfo,
    dashboard_url: str | None = None,
) -> SendMessage:
    kind = EntryKind(command.command.lower())
    today = local_date(utcnow(), team.timezone)
    if kind is EntryKind.DEAL and not (command.args or "").strip():
        # What the "/" menu and the keyboard's button send: ask for the amount.
        tags = await recent_tags(session, user.id, team.id, today)
        await state.set_state(DealSteps.amount)
        await state.set_data({"tags": tags})
        text, markup = views.ask_deal_amount(t, tags, None, _deal_button)
        return message.answer(text, reply_markup=markup)
    if raw_state == DealSteps.amount.state:
        await state.clear()  # another entry instead: the question is dropped
    try:
        parsed = parse_entry(kind, command.args, today)
    except ParseError as error:
        return message.answer(views.entry_problem(t, error, kind))
    return await _record(message, session, t, user, team, kind, parsed, dashboard_url)


async def deal_amount(
    message: Message,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo,
    dashboard_url: str | None = None,
) -> SendMessage:
    """The answer to "how much was the deal?": the amount, then a tag, a date or a note."""
    today = local_date(utcnow(), team.timezone)
    try:
        parsed = parse_entry(EntryKind.DEAL, message.text, today)
    except ParseError as error:
        return message.answer(views.deal_amount_problem(t, error))
    chosen = (await state.get_data()).get("tag")
    if parsed.tag is None and isinstance(chosen, str):
        parsed = replace(parsed, tag=chosen)
    await state.clear()
    return await _record(message, session, t, user, team, EntryKind.DEAL, parsed, dashboard_url)


async def press_deal_prompt(
    query: CallbackQuery,
    callback_data: DealPrompt,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    if raw_state != DealSteps.amount.state:
        return query.answer(t.plain("deal.toast.closed"))
    tags = (await state.get_data()).get("tags") or []
    if callback_data.index < 0:
        await state.clear()
        text, markup = t("cancel.done"), None
    elif callback_data.index < len(tags):
        tag = str(tags[callback_data.index])
        await state.update_data(tag=tag)
        text, markup = views.ask_deal_amount(t, tags, tag, _deal_button)
    else:
        return query.answer(t.plain("button.unknown"))
    if not isinstance(query.message, Message):
        return query.answer(text)
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def undo(
    message: Message, session: UnitOfWork, t: Translator, user: Person, team: TeamInfo
) -> SendMessage:
    entry = await undo_last_entry(session, user.id, team.id)
    if entry is None:
        return message.answer(t("undo.nothing"))
    return message.answer(views.undone(t, entry, local_date(utcnow(), team.timezone)))


def register(router: Router) -> None:
    """Members, in private: the logging commands (tried first: what people send most)."""
    router.message.register(log_entry, Command(*LOG_COMMANDS), flags=WRITES)
    router.callback_query.register(press_deal_prompt, DealPrompt.filter())


def register_after_reports(router: Router) -> None:
    """Members, in private, after /today and the other reports (each handler tried before the
    one that takes an update costs it a filter check): /undo and a deal's amount."""
    router.message.register(deal_amount, StateFilter(DealSteps.amount), PlainText(), flags=WRITES)
    router.message.register(undo, Command("undo"), flags=WRITES)
