"""Contests: the setup's questions and buttons, the standing, and the group's posts, within
Telegram's limits for a team of any size."""

from collections.abc import Callable
from fractions import Fraction

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import shown_share, whole_rubles
from bot.services.contests import (
    TAG_METRICS,
    Contender,
    ContestRules,
    ContestStanding,
    DatesError,
    PeriodChoice,
)
from bot.services.periods import Period
from bot.services.weekly import display_name
from bot.texts import Safe, Translator
from bot.views.common import metric_quantity
from bot.views.paging import split_message
from models import Metric, Person
from models.contest import ContestFacts

MEDALS = ("🥇", "🥈", "🥉")
NAMES_SHOWN = 20  # names in one line (winners, the unranked); the rest are counted
Press = Callable[[str, str], CallbackData]  # (step, value) -> the button's callback data


def what(t: Translator, metric: Metric, tag: str | None) -> str:
    """'deals', '#avito revenue': what the contest counts."""
    name = t(f"contest.what.{metric.value}")
    return t("contest.what.tagged", tag=tag, what=name) if tag else name


def dates_text(t: Translator, contest: ContestFacts) -> str:
    return t("vacation.range", start=t.day(contest.start), end=t.day(contest.end))


def rules_text(t: Translator, contest: ContestFacts) -> str:
    """Everything a contender needs to know, in a few lines."""
    lines = [
        t("contest.title", what=what(t, contest.metric, contest.tag)),
        t("contest.dates", dates=dates_text(t, contest)),
        t("contest.ranking.by_target" if contest.by_target else "contest.ranking.absolute"),
        t("contest.prize", prize=contest.prize) if contest.prize else t("contest.no_prize"),
        t("contest.ties"),
    ]
    if contest.repeat is not None:
        lines.append(t(f"contest.repeat.{contest.repeat.value}"))
    return "\n".join(lines)


def _value(t: Translator, metric: Metric, value: int) -> str:
    return metric_quantity(t, metric, value)


def _target(t: Translator, metric: Metric, target: Fraction) -> str:
    if metric is Metric.REVENUE:
        return t.money(whole_rubles(target))
    return t.number(shown_share(target))


def contender_line(t: Translator, contest: ContestFacts, contender: Contender) -> str:
    medal = contender.place <= len(MEDALS) and contender.score > 0
    place = MEDALS[contender.place - 1] if medal else f"{contender.place}."
    value = _value(t, contest.metric, contender.value)
    if contender.target is not None:
        value = t(
            "contest.of_target",
            value=value,
            percent=t.percent(contender.value, contender.target, 0),
            target=_target(t, contest.metric, contender.target),
        )
    return t("contest.row", place=place, name=display_name(contender.person), value=Safe(value))


def names_line(t: Translator, people: list[Person]) -> str:
    """'Anna, Bob', and past NAMES_SHOWN '…and N more': one line, whatever the team's size."""
    names = ", ".join(display_name(person) for person in people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        names += " " + t.plural("contest.and_more", len(people) - NAMES_SHOWN)
    return names


def _unranked_line(t: Translator, people: list[Person]) -> list[str]:
    if not people:
        return []
    return ["", t("contest.unranked", names=names_line(t, people))]


def standing_lines(t: Translator, standing: ContestStanding) -> list[str]:
    contest = standing.contest
    lines = [contender_line(t, contest, contender) for contender in standing.ranked]
    if not lines:
        lines = [t("contest.nobody")]
    return lines + _unranked_line(t, standing.unranked)


def _winner_names(t: Translator, standing: ContestStanding) -> str:
    return names_line(t, [winner.person for winner in standing.winners])


def standing_messages(t: Translator, standing: ContestStanding) -> list[str]:
    """/contest: the rules, how long is left, and everyone's place."""
    contest = standing.contest
    if not standing.started:
        when = t("contest.starts_on", day=t.day(contest.start))
    else:
        when = t.plural("contest.n_days_left", standing.days_left)
    return split_message([rules_text(t, contest), "", when, "", *standing_lines(t, standing)])


def own_standing_messages(t: Translator, standing: ContestStanding, person: Person) -> list[str]:
    """/contest for someone who sees only their own numbers (the team's stats are not public):
    the rules, how long is left, and their own place alone."""
    contest = standing.contest
    if not standing.started:
        return split_message(
            [rules_text(t, contest), "", t("contest.starts_on", day=t.day(contest.start))]
        )
    own = next((c for c in standing.ranked if c.person.id == person.id), None)
    line = contender_line(t, contest, own) if own else t("contest.private_unranked")
    left = t.plural("contest.n_days_left", standing.days_left)
    return split_message([rules_text(t, contest), "", left, "", t("contest.private_own"), line])


def kickoff_messages(t: Translator, contest: ContestFacts) -> list[str]:
    return [t("contest.kickoff", rules=Safe(rules_text(t, contest)))]


def late_kickoff_messages(t: Translator, standing: ContestStanding, public: bool) -> list[str]:
    """The kick-off of a contest already past its middle: the rules and the standing so far."""
    head = [
        kickoff_messages(t, standing.contest)[0],
        "",
        t.plural("contest.n_days_left", standing.days_left),
    ]
    if not public:
        return split_message(head)
    return split_message([*head, "", *standing_lines(t, standing)])


def midway_messages(t: Translator, standing: ContestStanding, public: bool) -> list[str]:
    contest = standing.contest
    head = t(
        "contest.midway",
        what=what(t, contest.metric, contest.tag),
        left=t.plural("contest.n_days_left", standing.days_left),
    )
    if not public:
        return [head + "\n" + t("contest.ask_privately")]
    return split_message([head, "", *standing_lines(t, standing)])


def final_messages(t: Translator, standing: ContestStanding, public: bool) -> list[str]:
    contest = standing.contest
    title = what(t, contest.metric, contest.tag)
    head = [t("contest.final", what=title, dates=dates_text(t, contest))]
    if standing.winners:
        key = "contest.winners" if len(standing.winners) > 1 else "contest.winner"
        head.append(t(key, names=_winner_names(t, standing)))
        if contest.prize:
            head.append(t("contest.prize_goes", prize=contest.prize))
    else:
        head.append(t("contest.no_winner"))
    if not public:
        return split_message(head)
    return split_message([*head, "", *standing_lines(t, standing)])


def cancelled_message(t: Translator, contest: ContestFacts) -> str:
    return t(
        "contest.cancelled",
        what=what(t, contest.metric, contest.tag),
        dates=dates_text(t, contest),
    )


def changed_message(t: Translator, contest: ContestFacts) -> str:
    return t("contest.changed", rules=Safe(rules_text(t, contest)))


# --- the setup ------------------------------------------------------------------------------


def metric_question(t: Translator, press: Press) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for metric in Metric:
        builder.button(text=t.plain(f"metric.{metric.value}"), callback_data=press("m", metric))
    for metric in TAG_METRICS:
        builder.button(
            text=t.plain(f"contest.button.tag_{metric.value}"), callback_data=press("t", metric)
        )
    builder.button(text=t.plain("contest.button.stop"), callback_data=press("x", ""))
    builder.adjust(3, 2, 2, 1)
    return t("contest.ask.metric"), builder.as_markup()


def ask_tag(t: Translator) -> str:
    return t("contest.ask.tag")


def period_question(t: Translator, press: Press) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for choice in PeriodChoice:
        builder.button(
            text=t.plain(f"contest.button.{choice.value}"), callback_data=press("p", choice)
        )
    builder.button(text=t.plain("contest.button.stop"), callback_data=press("x", ""))
    builder.adjust(2, 2, 1, 1)
    return t("contest.ask.period"), builder.as_markup()


def ask_dates(t: Translator) -> str:
    return t("contest.ask.dates")


def dates_problem(t: Translator, error: DatesError) -> str:
    return t(f"contest.dates.{error.problem.value}", value=error.value) + "\n" + ask_dates(t)


def ranking_question(t: Translator, press: Press) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.plain("contest.button.by_target"), callback_data=press("r", "target"))
    builder.button(text=t.plain("contest.button.absolute"), callback_data=press("r", "absolute"))
    builder.button(text=t.plain("contest.button.stop"), callback_data=press("x", ""))
    builder.adjust(1)
    return t("contest.ask.ranking"), builder.as_markup()


def prize_question(t: Translator, press: Press) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.plain("contest.button.no_prize"), callback_data=press("z", ""))
    builder.button(text=t.plain("contest.button.stop"), callback_data=press("x", ""))
    builder.adjust(1)
    return t("contest.ask.prize"), builder.as_markup()


def summary(
    t: Translator,
    rules: ContestRules,
    dates: str | None,
    repeat: Period | None,
    press: Press,
) -> tuple[str, InlineKeyboardMarkup]:
    """The rules as chosen, before anything is saved; `dates` None: a change of the rules."""
    lines = [t("contest.title", what=what(t, rules.metric, rules.tag))]
    if dates is not None:
        lines.append(t("contest.dates", dates=dates))
    lines.append(t("contest.ranking.by_target" if rules.by_target else "contest.ranking.absolute"))
    lines.append(t("contest.prize", prize=rules.prize) if rules.prize else t("contest.no_prize"))
    if repeat is not None:
        lines.append(t(f"contest.repeat.{repeat.value}"))
    builder = InlineKeyboardBuilder()
    go = "contest.button.start" if dates is not None else "contest.button.save"
    builder.button(text=t.plain(go), callback_data=press("go", ""))
    builder.button(text=t.plain("contest.button.stop"), callback_data=press("x", ""))
    builder.adjust(1)
    key = "contest.ask.confirm" if dates is not None else "contest.ask.confirm_change"
    return t(key, rules=Safe("\n".join(lines))), builder.as_markup()


def manage_buttons(t: Translator, press: Press) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.plain("contest.button.change"), callback_data=press("ch", ""))
    builder.button(text=t.plain("contest.button.cancel"), callback_data=press("cn", ""))
    builder.adjust(1)
    return builder.as_markup()


def cancel_question(t: Translator, press: Press) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.plain("contest.button.cancel_yes"), callback_data=press("cy", ""))
    builder.button(text=t.plain("contest.button.cancel_no"), callback_data=press("x", ""))
    builder.adjust(1)
    return t("contest.ask.cancel"), builder.as_markup()
