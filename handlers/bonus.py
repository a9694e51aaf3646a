"""/bonus (everyone in a team, in private) and /bonusrules (manager): the bonus scheme's dialog,
a step a question, typed numbers or buttons, then Save; /cancel (or its button) leaves it."""

from enum import StrEnum
from typing import Any

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain import ParseError
from bot.filters import Command, IsManager, PlainText
from bot.middlewares import WRITES
from bot.services import bonus as service
from bot.services.bonus import BonusRules, Tier
from bot.services.periods import local_date
from bot.texts import Safe, Translator
from bot.views import bonus as views
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow

STEPS = ("per_deal", "rate", "tiers", "threshold", "cap")


class BonusSteps(StatesGroup):
    per_deal = State()
    rate = State()
    tiers = State()
    threshold = State()
    cap = State()
    confirm = State()


class BonusStep(StrEnum):
    PER_DEAL = "per_deal"
    RATE = "rate"
    TIERS = "tiers"
    THRESHOLD = "threshold"
    CAP = "cap"
    SAVE = "save"
    CANCEL = "cancel"


class BonusPress(CallbackData, prefix="bn"):
    """A button of the dialog: the step it answers and its value (a threshold's per cent)."""

    step: BonusStep
    value: int = 0


def _press(step: str, value: int) -> BonusPress:
    return BonusPress(step=BonusStep(step), value=value)


async def show_bonus(
    message: Message, session: UnitOfWork, t: Translator, user: Person, team: TeamInfo
) -> list[SendMessage]:
    today = local_date(utcnow(), team.timezone)
    report = await service.bonus_report(session, user, team, today)
    return [message.answer(text) for text in views.bonus_texts(t, report, user.is_manager)]


async def _ask(state: FSMContext, step: str, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    await state.set_state(getattr(BonusSteps, step))
    return views.question(t, step, _press)


async def start_rules(
    message: Message, state: FSMContext, t: Translator, team: TeamInfo
) -> SendMessage:
    await state.set_data({"team_id": team.id})
    text, markup = await _ask(state, "per_deal", t)
    return message.answer(text, reply_markup=markup)


def rules_from(data: dict[str, Any]) -> BonusRules:
    tiers: tuple[Tier, ...] = ()
    if data.get("tiers"):
        tiers = service.tiers_of(str(data["tiers"]))
    elif data.get("rate"):
        tiers = (Tier(0, int(data["rate"])),)
    return BonusRules(
        per_deal_kopecks=int(data.get("per_deal") or 0),
        tiers=tiers,
        threshold_percent=int(data.get("threshold") or 0),
        cap_kopecks=None if data.get("cap") is None else int(data["cap"]),
    )


async def _after(
    step: str, session: UnitOfWork, state: FSMContext, t: Translator, team: TeamInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """The question after `step`; after the last, the scheme to confirm."""
    index = STEPS.index(step)
    if index + 1 < len(STEPS):
        return await _ask(state, STEPS[index + 1], t)
    await state.set_state(BonusSteps.confirm)
    today = local_date(utcnow(), team.timezone)
    starts = await service.next_change_starts(session, team.id, today)
    keeps = None
    if starts != service.month_start(today):
        keeps = t.month(today)
    rules = rules_from(await state.get_data())
    return views.confirm(t, rules, t.day(starts), keeps, _press)


def _parsed(step: str, text: str, data: dict[str, Any]) -> int | str:
    """What a typed answer to `step` stores (ParseError: what is wrong with it)."""
    if step == "per_deal":
        return service.parse_money(text)
    if step == "cap":
        return service.parse_cap(text)
    if step == "rate":
        return service.parse_rate(text)
    if step == "tiers":
        return service.tiers_text(service.parse_tiers(text, int(data.get("rate") or 0)))
    return service.parse_threshold(text)


async def answer_step(
    message: Message,
    session: UnitOfWork,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    team: TeamInfo,
) -> SendMessage:
    step = (raw_state or "").rpartition(":")[2]
    if step == "confirm":
        return message.answer(t("bonus.again.confirm"))
    data = await state.get_data()
    try:
        value = _parsed(step, message.text or "", data)
    except ParseError as error:
        return message.answer(views.bonus_problem(t, error, step))
    await state.update_data({step: value})
    text, markup = await _after(step, session, state, t, team)
    return message.answer(text, reply_markup=markup)


async def press_step(
    query: CallbackQuery,
    callback_data: BonusPress,
    session: UnitOfWork,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> AnswerCallbackQuery | list[Any]:
    step = (raw_state or "").rpartition(":")[2]
    data = await state.get_data()
    if (
        raw_state is None
        or not raw_state.startswith("BonusSteps")
        or data.get("team_id") != team.id
    ):
        return query.answer(t.plain("bonus.toast.closed"))
    edits: list[Any] = [query.answer()]
    if callback_data.step is BonusStep.CANCEL:
        await state.clear()
        return [*edits, *_replace(query, t("cancel.done"))]
    if callback_data.step is BonusStep.SAVE:
        if step != "confirm":
            return query.answer(t.plain("bonus.toast.closed"))
        rules = rules_from(data)
        today = local_date(utcnow(), team.timezone)
        starts = await service.save_scheme(session, team.id, user.id, rules, today)
        await state.clear()
        text = t("bonus.saved", day=t.day(starts), rules=Safe(views.sentence(t, rules)))
        return [*edits, *_replace(query, text)]
    if callback_data.step.value != step:
        return query.answer(t.plain("bonus.toast.closed"))
    labels = [
        label for label, s, v in views.QUESTIONS[step] if (s, v) == (step, callback_data.value)
    ]
    if not labels:  # a value no button of this question carries: forged
        return query.answer(t.plain("button.unknown"))
    # "No cap" stores None; every other button its value (0: none, or a threshold's per cent).
    await state.update_data({step: None if step == "cap" else callback_data.value})
    shown = t.plain(labels[0])
    text, markup = await _after(step, session, state, t, team)
    edits += _replace(query, views.answered(t, step, shown))
    if isinstance(query.message, Message):
        edits.append(query.message.answer(text, reply_markup=markup))
    return edits


def _replace(query: CallbackQuery, text: str) -> list[EditMessageText]:
    if not isinstance(query.message, Message):
        return []
    return [query.message.edit_text(text)]


async def refuse_press(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    """Someone who does not manage a team pressed a (forwarded or stale) dialog button."""
    return query.answer(t.plain("manager_only"))


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(show_bonus, Command("bonus"))


def register_managers(router: Router) -> None:
    """Managers, in private; the dialog's buttons answer anyone who presses them."""
    router.message.register(start_rules, Command("bonusrules"))
    router.message.register(answer_step, StateFilter(*BonusSteps.__states__), PlainText())
    router.callback_query.register(press_step, BonusPress.filter(), IsManager(), flags=WRITES)
    router.callback_query.register(refuse_press, BonusPress.filter())
