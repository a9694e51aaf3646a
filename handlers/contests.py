"""/contest: the current standing for anyone in the team; for a manager without a contest, a
guided setup with buttons (metric, period, ranking, prize), and the running one's change and
cancel buttons."""

from datetime import date
from typing import Any

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain import ParseError
from bot.filters import Command, IsManager, PlainText
from bot.middlewares import WRITES
from bot.outgoing.contests import post_cancelled, post_changed, post_stage
from bot.services.celebrations import quiet_now
from bot.services.contests import (
    TAG_METRICS,
    ContestPeriod,
    ContestRules,
    DatesError,
    PeriodChoice,
    Stage,
    cancel_contest,
    change_rules,
    chosen_period,
    contest_standing,
    parse_contest_dates,
    start_contest,
)
from bot.services.parsing import parse_tag
from bot.services.periods import Period, local_date
from bot.texts import Translator
from bot.views import contests as views
from bot.views.common import parse_problem
from models import Metric, Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.contest import MAX_PRIZE, running_contest

Reply = AnswerCallbackQuery | tuple[AnswerCallbackQuery, TelegramMethod] | list[TelegramMethod]


class ContestSetup(StatesGroup):
    choosing = State()  # a question with buttons is open
    tag = State()  # waiting for the #tag typed
    dates = State()  # waiting for the dates typed
    prize = State()  # waiting for the prize typed (or its "no prize" button)


class ContestPress(CallbackData, prefix="cs"):
    """A setup or management button: `step` says which question, `value` the answer (or the
    contest's id, re-checked against the database)."""

    step: str
    value: str = ""


def _press(step: str, value: str) -> ContestPress:
    return ContestPress(step=step, value=str(value))


def _next_question(
    t: Translator, data: dict[str, Any]
) -> tuple[State, str, InlineKeyboardMarkup | None]:
    """What the setup asks next, from the answers so far."""
    if "metric" not in data:
        return ContestSetup.choosing, *views.metric_question(t, _press)
    if data.get("tag_wanted") and not data.get("tag"):
        return ContestSetup.tag, views.ask_tag(t), None
    if data.get("mode") == "new" and "start" not in data:
        return ContestSetup.choosing, *views.period_question(t, _press)
    if not data.get("tag") and "by_target" not in data:
        return ContestSetup.choosing, *views.ranking_question(t, _press)
    if "prize_set" not in data:
        return ContestSetup.prize, *views.prize_question(t, _press)
    rules = _rules(data)
    dates = None
    if data.get("mode") == "new":
        period = _period(data)
        dates = t("vacation.range", start=t.day(period.start), end=t.day(period.end))
        repeat = period.repeat
    else:
        repeat = None
    return ContestSetup.choosing, *views.summary(t, rules, dates, repeat, _press)


def _rules(data: dict[str, Any]) -> ContestRules:
    tag = data.get("tag") or None
    return ContestRules(
        metric=Metric(data["metric"]),
        tag=tag,
        by_target=bool(data.get("by_target")) and tag is None,
        prize=data.get("prize") or None,
    )


def _period(data: dict[str, Any]) -> ContestPeriod:
    repeat = data.get("repeat")
    return ContestPeriod(
        date.fromisoformat(data["start"]),
        date.fromisoformat(data["end"]),
        Period(repeat) if repeat else None,
    )


async def _ask_next(state: FSMContext, t: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    data = await state.get_data()
    next_state, text, markup = _next_question(t, data)
    await state.set_state(next_state)
    return text, markup


async def show_contest(
    message: Message,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage | list[SendMessage]:
    contest = await running_contest(session, team.id)
    if contest is None:
        if not user.is_manager:
            return message.answer(t("contest.none"))
        await state.clear()
        await state.set_data({"mode": "new"})
        text, markup = await _ask_next(state, t)
        return message.answer(text, reply_markup=markup)
    today = local_date(utcnow(), team.timezone)
    standing = await contest_standing(session, team, contest, today)
    if user.is_manager or team.public_stats:
        texts = views.standing_messages(t, standing)
    else:  # as on the dashboard: with the team's stats not public, one's own numbers only
        texts = views.own_standing_messages(t, standing, user)
    replies = [message.answer(text) for text in texts[:-1]]
    markup = views.manage_buttons(t, lambda step, _: _press(step, str(contest.id)))
    replies.append(message.answer(texts[-1], reply_markup=markup if user.is_manager else None))
    return replies


def _shown(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> Reply:
    if not isinstance(query.message, Message):
        return query.answer(text[:200])
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def press_contest(
    query: CallbackQuery,
    callback_data: ContestPress,
    session: UnitOfWork,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> Reply:
    step, value = callback_data.step, callback_data.value
    if step == "x":
        await state.clear()
        return _shown(query, t("cancel.done"))
    if step in ("ch", "cn", "cy"):
        return await _manage(query, step, value, session, state, t, team)
    if raw_state not in ContestSetup.__all_states_names__:
        return query.answer(t.plain("contest.toast.closed"))
    data = await state.get_data()
    if step in ("m", "t"):
        if value not in Metric.__members__.values() or (
            step == "t" and Metric(value) not in TAG_METRICS
        ):
            return query.answer(t.plain("button.unknown"))
        await state.update_data(metric=value, tag_wanted=step == "t", tag=None)
    elif step == "p" and data.get("mode") == "new":
        if value not in PeriodChoice.__members__.values():
            return query.answer(t.plain("button.unknown"))
        if value == PeriodChoice.DATES:
            await state.set_state(ContestSetup.dates)
            return _shown(query, views.ask_dates(t))
        period = chosen_period(PeriodChoice(value), local_date(utcnow(), team.timezone))
        await state.update_data(
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            repeat=period.repeat.value if period.repeat else None,
        )
    elif step == "r":
        await state.update_data(by_target=value == "target")
    elif step == "z":
        await state.update_data(prize=None, prize_set=True)
    elif step == "go":
        return await _confirm(query, session, state, data, t, user, team)
    else:
        return query.answer(t.plain("button.unknown"))
    return _shown(query, *(await _ask_next(state, t)))


async def _confirm(
    query: CallbackQuery,
    session: UnitOfWork,
    state: FSMContext,
    data: dict[str, Any],
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> Reply:
    complete = "prize_set" in data and "metric" in data
    if not complete or ("start" not in data and data.get("mode") == "new"):
        return query.answer(t.plain("contest.toast.closed"))
    await state.clear()
    now = utcnow()
    rules = _rules(data)
    if data.get("mode") == "change":
        version = await change_rules(session, team, int(data["contest_id"]), rules)
        if version is None:
            return _shown(query, t("contest.over_meanwhile"))
        await post_changed(session, team, int(data["contest_id"]), version, now)
        return _shown(query, t("contest.saved_change"))
    period = _period(data)
    contest_id = await start_contest(session, team, user, rules, period, now)
    if contest_id is None:
        return _shown(query, t("contest.already_running"))
    lines = [t("contest.started")]
    if team.chat_id is None:
        lines.append(t("contest.no_group"))
    elif period.start <= local_date(now, team.timezone) and not quiet_now(team, now):
        await post_stage(session, team, contest_id, [Stage.KICKOFF], now)
        lines.append(t("contest.kickoff_posted"))
    else:
        lines.append(t("contest.kickoff_later"))
    return _shown(query, "\n".join(lines))


async def _manage(
    query: CallbackQuery,
    step: str,
    value: str,
    session: UnitOfWork,
    state: FSMContext,
    t: Translator,
    team: TeamInfo,
) -> Reply:
    contest = await running_contest(session, team.id)
    if contest is None or str(contest.id) != value:
        return query.answer(t.plain("contest.toast.over"))
    if step == "ch":
        await state.clear()
        await state.set_data({"mode": "change", "contest_id": contest.id})
        text, markup = await _ask_next(state, t)
        if not isinstance(query.message, Message):
            return query.answer(t.plain("contest.toast.closed"))
        return [query.answer(), query.message.answer(text, reply_markup=markup)]
    if step == "cn":
        text, markup = views.cancel_question(t, lambda s, _: _press(s, str(contest.id)))
        if not isinstance(query.message, Message):
            return query.answer(t.plain("contest.toast.closed"))
        return [query.answer(), query.message.answer(text, reply_markup=markup)]
    if not await cancel_contest(session, team, contest.id):
        return query.answer(t.plain("contest.toast.over"))
    await state.clear()
    told = await post_cancelled(session, team, contest, utcnow())
    return _shown(query, t("contest.cancel_done_told" if told else "contest.cancel_done"))


async def typed_tag(message: Message, state: FSMContext, t: Translator) -> SendMessage:
    try:
        tag = parse_tag(message.text or "")
    except ParseError as error:
        return message.answer(parse_problem(t, error) + "\n" + views.ask_tag(t))
    await state.update_data(tag=tag)
    text, markup = await _ask_next(state, t)
    return message.answer(text, reply_markup=markup)


async def typed_dates(
    message: Message, state: FSMContext, t: Translator, team: TeamInfo
) -> SendMessage:
    try:
        period = parse_contest_dates(message.text, local_date(utcnow(), team.timezone))
    except DatesError as error:
        return message.answer(views.dates_problem(t, error))
    await state.update_data(start=period.start.isoformat(), end=period.end.isoformat(), repeat=None)
    text, markup = await _ask_next(state, t)
    return message.answer(text, reply_markup=markup)


async def typed_prize(message: Message, state: FSMContext, t: Translator) -> SendMessage:
    prize = " ".join((message.text or "").split())
    if not prize or len(prize) > MAX_PRIZE:
        return message.answer(t("contest.prize_too_long", max=MAX_PRIZE))
    await state.update_data(prize=prize, prize_set=True)
    text, markup = await _ask_next(state, t)
    return message.answer(text, reply_markup=markup)


async def refuse_press(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    """Someone who does not manage a team pressed a (forwarded or stale) contest button."""
    return query.answer(t.plain("manager_only"))


def register(router: Router) -> None:
    """Members, in private: the standing for everyone, the setup for managers."""
    router.message.register(show_contest, Command("contest"))
    router.message.register(typed_tag, StateFilter(ContestSetup.tag), PlainText(), IsManager())
    router.message.register(typed_dates, StateFilter(ContestSetup.dates), PlainText(), IsManager())
    router.message.register(typed_prize, StateFilter(ContestSetup.prize), PlainText(), IsManager())
    router.callback_query.register(press_contest, ContestPress.filter(), IsManager(), flags=WRITES)
    router.callback_query.register(refuse_press, ContestPress.filter())
