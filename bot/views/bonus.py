"""The bonus scheme as one sentence, /bonus for a person and for a manager's team, and the
questions of the scheme's dialog. Payouts are shown to the kopeck; they are private: these
texts go only to the person and to managers, in private chats."""

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import ParseError, round_half_up, whole_rubles
from bot.services.bonus import BonusReport, BonusRules, PersonBonus, SchemeView, Tier
from bot.texts import Safe, Translator
from bot.views.common import parse_problem
from bot.views.paging import split_message


def rate_text(t: Translator, rate: int) -> str:
    """Hundredths of a per cent as shown: 500 -> "5%", 250 -> "2.5%"."""
    return f"{t.number(Decimal(rate).scaleb(-2).normalize())}%"


def share_text(t: Translator, percent: int) -> str:
    return f"{t.number(percent)}%"


def _rates(t: Translator, tiers: tuple[Tier, ...]) -> str:
    if len(tiers) == 1:
        return t("bonus.rule.rate", rate=rate_text(t, tiers[0].rate))
    parts = [
        t(
            "bonus.rule.rate_first",
            rate=rate_text(t, tiers[0].rate),
            upto=share_text(t, tiers[1].from_percent),
        )
    ]
    for tier, following in pairwise(tiers[1:]):
        parts.append(
            t(
                "bonus.rule.rate_middle",
                rate=rate_text(t, tier.rate),
                start=share_text(t, tier.from_percent),
                upto=share_text(t, following.from_percent),
            )
        )
    last = tiers[-1]
    parts.append(
        t(
            "bonus.rule.rate_last",
            rate=rate_text(t, last.rate),
            start=share_text(t, last.from_percent),
        )
    )
    return ", ".join(parts)


def sentence(t: Translator, rules: BonusRules) -> str:
    """The whole scheme as one plain sentence."""
    if not rules.pays_anything:
        return t("bonus.rule.nothing")
    parts = []
    if rules.per_deal_kopecks:
        parts.append(t("bonus.rule.per_deal", amount=t.money(rules.per_deal_kopecks)))
    if any(tier.rate for tier in rules.tiers):
        parts.append(_rates(t, rules.tiers))
    text = t("bonus.rule.and").join(parts)
    if rules.threshold_percent:
        text += t("bonus.rule.threshold", share=share_text(t, rules.threshold_percent))
    if rules.cap_kopecks is not None:
        text += t("bonus.rule.cap", amount=t.money(rules.cap_kopecks))
    if rules.needs_plan:
        text += t("bonus.rule.plan")
    return t("bonus.rule.sentence", rules=Safe(text))


def scheme_lines(t: Translator, scheme: SchemeView) -> list[str]:
    lines = []
    if scheme.current is not None:
        lines.append("📋 " + sentence(t, scheme.current))
    if scheme.next is not None:
        lines.append(
            t("bonus.next", day=t.day(scheme.next_from), rules=Safe(sentence(t, scheme.next)))
        )
    return lines


def _exact(t: Translator, kopecks: Fraction | int) -> str:
    """An amount of the arithmetic to the kopeck (half up: the parts are shown, the exact sum
    is what is rounded)."""
    return t.payout(round_half_up(Fraction(kopecks)))


def arithmetic(t: Translator, row: PersonBonus, rules: BonusRules) -> list[str]:
    """How the payout is made, a step a line."""
    paid = row.payout
    lines = [
        t(
            "bonus.numbers",
            deals=t.plural("n_deals", paid.deals),
            revenue=_exact(t, paid.revenue),
        )
    ]
    if paid.plan is not None:
        lines.append(t("bonus.plan", plan=_exact(t, paid.plan)))
    if paid.missing_plan:
        lines.append(t("bonus.why.no_plan"))
        return lines
    if paid.below_threshold and paid.threshold is not None:
        lines.append(
            t(
                "bonus.why.below",
                threshold=_exact(t, paid.threshold),
                share=share_text(t, rules.threshold_percent),
                missing=_exact(t, paid.threshold - paid.revenue),
            )
        )
        return lines
    if rules.per_deal_kopecks:
        lines.append(
            t(
                "bonus.step.per_deal",
                amount=t.money(rules.per_deal_kopecks),
                deals=t.number(paid.deals),
                total=_exact(t, paid.base),
            )
        )
    for part in paid.parts:
        if part.tier.rate and part.revenue:
            lines.append(
                t(
                    "bonus.step.rate",
                    rate=rate_text(t, part.tier.rate),
                    revenue=_exact(t, part.revenue),
                    total=_exact(t, part.amount),
                )
            )
    if paid.capped and rules.cap_kopecks is not None:
        lines.append(
            t("bonus.step.cap", cap=t.money(rules.cap_kopecks), before=_exact(t, paid.before_cap))
        )
    return lines


def own_bonus(t: Translator, report: BonusReport, row: PersonBonus, rules: BonusRules) -> str:
    lines = [
        t(
            "bonus.own",
            month=t.month_in_text(report.dates.start),
            amount=t.payout(row.payout.kopecks),
        ),
        *arithmetic(t, row, rules),
    ]
    if row.what_if is not None:
        lines.append(
            t(
                "bonus.what_if",
                average=t.money(whole_rubles(row.what_if.average_deal)),
                extra=t.payout(row.what_if.extra_kopecks),
            )
        )
    else:
        lines.append(t("bonus.what_if_none"))
    return "\n".join(lines)


def _team_line(t: Translator, row: PersonBonus) -> str:
    paid = row.payout
    note = ""
    if paid.missing_plan:
        note = t("bonus.team.no_plan")
    elif paid.below_threshold:
        note = t("bonus.team.below")
    elif paid.capped:
        note = t("bonus.team.capped")
    return t(
        "bonus.team.line",
        name=row.person.first_name,
        amount=t.payout(paid.kopecks),
        deals=t.plural("n_deals", paid.deals),
        revenue=_exact(t, paid.revenue),
        note=Safe(note),
    )


def bonus_texts(t: Translator, report: BonusReport, is_manager: bool) -> list[str]:
    """/bonus: the person's own payout, or a manager's team list and their own; every message
    within Telegram's limit, whatever the team's size."""
    rules = report.scheme.current
    if rules is None:
        key = "bonus.none_manager" if is_manager else "bonus.none"
        return split_message([t(key), *scheme_lines(t, report.scheme)], separator="\n\n")
    parts: list[str] = []
    if is_manager:
        total = sum(row.payout.kopecks for row in report.team)
        parts.append(t("bonus.team.title", month=t.month_in_text(report.dates.start)))
        parts += [_team_line(t, row) for row in report.team]
        parts.append(t("bonus.team.total", amount=t.payout(total)))
        parts.append("")
    if report.own is not None:
        parts += own_bonus(t, report, report.own, rules).split("\n")
        parts.append("")
    parts += scheme_lines(t, report.scheme)
    if is_manager:
        parts.append(t("bonus.change_hint"))
    return split_message(parts)


# --- the dialog -------------------------------------------------------------------------------


ButtonOf = Callable[[str, int], CallbackData]


def _keyboard(
    t: Translator, buttons: list[tuple[str, str, int]], press: ButtonOf
) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=t.plain(label), callback_data=press(step, value).pack())]
        for label, step, value in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


CANCEL = ("bonus.button.cancel", "cancel", 0)
QUESTIONS: dict[str, list[tuple[str, str, int]]] = {
    "per_deal": [("bonus.button.no_base", "per_deal", 0), CANCEL],
    "rate": [("bonus.button.no_rate", "rate", 0), CANCEL],
    "tiers": [("bonus.button.no_tiers", "tiers", 0), CANCEL],
    "threshold": [
        ("bonus.button.from_80", "threshold", 80),
        ("bonus.button.from_100", "threshold", 100),
        ("bonus.button.no_threshold", "threshold", 0),
        CANCEL,
    ],
    "cap": [("bonus.button.no_cap", "cap", 0), CANCEL],
}


def question(t: Translator, step: str, press: ButtonOf) -> tuple[str, InlineKeyboardMarkup]:
    return t(f"bonus.ask.{step}"), _keyboard(t, QUESTIONS[step], press)


def confirm(
    t: Translator, rules: BonusRules, day_text: str, keeps: str | None, press: ButtonOf
) -> tuple[str, InlineKeyboardMarkup]:
    """The new scheme's sentence, the day it applies from, and Save / Cancel."""
    text = t("bonus.confirm", rules=Safe(sentence(t, rules)), day=day_text)
    if keeps:
        text += "\n" + t("bonus.confirm_keeps", month=keeps)
    buttons = [("bonus.button.save", "save", 1), CANCEL]
    return text, _keyboard(t, buttons, press)


def answered(t: Translator, step: str, shown: str) -> str:
    """The question, once answered (its buttons gone): what was chosen."""
    return t(f"bonus.answered.{step}", value=shown)


def bonus_problem(t: Translator, error: ParseError, step: str) -> str:
    return f"{parse_problem(t, error)}\n{t(f'bonus.again.{step}')}"
