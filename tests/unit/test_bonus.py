"""The bonus arithmetic against sums worked out by hand, to the kopeck, and the dialog's parsers."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import format_decimal

from bot.domain import ParseError, ParseErrorCode
from bot.services.bonus import (
    BonusReport,
    BonusRules,
    PersonBonus,
    SchemeView,
    Tier,
    change_starts,
    in_force,
    parse_cap,
    parse_money,
    parse_rate,
    parse_threshold,
    parse_tiers,
    payout,
    rules_of,
    scheme_view,
    tiers_text,
    what_if,
)
from bot.services.periods import DateRange
from bot.texts import translator
from bot.views.bonus import bonus_texts
from bot.views.common import MAX_TEXT
from bot.views.paging import visible_length
from models import BonusScheme, Person, Role
from tests.people import LONG_AGO

RUB = 100
PLAN = 100_000 * RUB
PER_DEAL = BonusRules(per_deal_kopecks=500 * RUB)
FLAT_5 = BonusRules(tiers=(Tier(0, 500),))
TIERED = BonusRules(tiers=(Tier(0, 500), Tier(100, 800)))
TIERED_FROM_80 = BonusRules(tiers=(Tier(0, 500), Tier(100, 800)), threshold_percent=80)
BASE_AND_RATE_FROM_80 = BonusRules(
    per_deal_kopecks=500 * RUB, tiers=(Tier(0, 500),), threshold_percent=80
)
CAPPED = BonusRules(per_deal_kopecks=500 * RUB, tiers=(Tier(0, 1000),), cap_kopecks=10_000 * RUB)
THREE_TIERS = BonusRules(tiers=(Tier(0, 300), Tier(100, 500), Tier(150, 1000)))
# 19 of the month's 21 working days (two on vacation): the plan shrinks to 19/21 of it.
SHRUNK_PLAN = Fraction(PLAN * 19, 21)


@pytest.mark.parametrize(
    ("rules", "deals", "revenue", "plan", "expected"),
    [
        # a base per deal: 3 × 500 ₽
        (PER_DEAL, 3, 40_000 * RUB, None, 1_500 * RUB),
        (PER_DEAL, 0, 0, None, 0),
        # a flat 5 %: 123 456,78 ₽ -> 6 172,839 ₽ -> 6 172,84 ₽
        (FLAT_5, 2, 12_345_678, None, 617_284),
        # half a kopeck rounds up (half up, once): 5 % of 10 kopecks, of 30 kopecks
        (FLAT_5, 1, 10, None, 1),
        (FLAT_5, 1, 30, None, 2),
        (FLAT_5, 1, 9, None, 0),  # 0,45 kopeck
        # 5 % up to the plan, 8 % on what is above
        (TIERED, 4, 120_000 * RUB, PLAN, 6_600 * RUB),
        (TIERED, 4, PLAN, PLAN, 5_000 * RUB),
        (TIERED, 4, PLAN + 1, PLAN, 5_000 * RUB),  # + 0,08 kopeck
        (TIERED, 4, PLAN + 7, PLAN, 5_000 * RUB + 1),  # + 0,56 kopeck
        (TIERED, 4, PLAN - 1, PLAN, 5_000 * RUB),  # 4 999,9995 ₽
        # ... paid from 80 % of the plan: 80 000 ₽ exactly is paid, a kopeck less is not
        (TIERED_FROM_80, 3, 80_000 * RUB, PLAN, 4_000 * RUB),
        (TIERED_FROM_80, 3, 80_000 * RUB - 1, PLAN, 0),
        # below the threshold the per-deal base is not paid either
        (BASE_AND_RATE_FROM_80, 10, 79_999 * RUB, PLAN, 0),
        (BASE_AND_RATE_FROM_80, 10, 80_000 * RUB, PLAN, 5_000 * RUB + 4_000 * RUB),
        # the plan shrunk by a vacation: the threshold is 7 238 095,238… kopecks
        (TIERED_FROM_80, 2, 7_238_095, SHRUNK_PLAN, 0),
        (TIERED_FROM_80, 2, 7_238_096, SHRUNK_PLAN, 361_905),  # 361 904,8 kopecks
        # 8 % from the shrunk plan, 90 476,19… ₽: 4 523,809… + 8 % of 9 523,809… = 5 285,714… ₽
        (TIERED, 2, 10_000_000, SHRUNK_PLAN, 528_571),
        # the cap bounds base and % together; at the cap exactly it is not "capped"
        (CAPPED, 4, 90_000 * RUB, None, 10_000 * RUB),
        (CAPPED, 4, 80_000 * RUB, None, 10_000 * RUB),
        (CAPPED, 4, 70_000 * RUB, None, 9_000 * RUB),
        # three tiers on a 200 000 ₽ plan: 3 % of 200 000, 5 % of 100 000, 10 % of 50 000
        (THREE_TIERS, 5, 350_000 * RUB, 2 * PLAN, 16_000 * RUB),
        (THREE_TIERS, 5, 250_000 * RUB, 2 * PLAN, 8_500 * RUB),
        # a scheme that needs a plan pays nothing without one, or with a plan of 0
        (TIERED, 4, 120_000 * RUB, None, 0),
        (TIERED_FROM_80, 4, 120_000 * RUB, Fraction(0), 0),
        # a flat rate needs no plan: a plan changes nothing
        (FLAT_5, 1, 100 * RUB, PLAN, 5 * RUB),
    ],
)
def test_payouts_by_hand(
    rules: BonusRules, deals: int, revenue: int, plan: Fraction | None, expected: int
) -> None:
    assert payout(rules, deals, revenue, plan).kopecks == expected


def test_the_arithmetic_is_kept_step_by_step() -> None:
    result = payout(TIERED_FROM_80, 4, 120_000 * RUB, PLAN)
    assert result.threshold == 80_000 * RUB and not result.below_threshold
    assert [(part.revenue, part.amount) for part in result.parts] == [
        (PLAN, 5_000 * RUB),
        (20_000 * RUB, 1_600 * RUB),
    ]
    capped = payout(CAPPED, 4, 90_000 * RUB, None)
    assert capped.capped and capped.before_cap == 11_000 * RUB
    assert not payout(CAPPED, 4, 80_000 * RUB, None).capped
    missing = payout(TIERED, 1, 1, None)
    assert missing.missing_plan and missing.kopecks == 0
    below = payout(TIERED_FROM_80, 1, 1, PLAN)
    assert below.below_threshold and not below.missing_plan


@pytest.mark.parametrize(
    ("rules", "deals", "revenue", "plan", "average", "extra"),
    [
        (FLAT_5, 2, 30_000 * RUB, None, 15_000 * RUB, 750 * RUB),
        # one more deal crosses the plan: 4 500 ₽ -> 6 600 ₽
        (TIERED, 3, 90_000 * RUB, PLAN, 30_000 * RUB, 2_100 * RUB),
        # and the threshold: 0 -> 5 % of 90 000 ₽
        (TIERED_FROM_80, 3, 60_000 * RUB, PLAN, 20_000 * RUB, 4_000 * RUB),
        # a third of a ruble: 500 kopecks -> 666,67 -> 667
        (FLAT_5, 3, 100 * RUB, None, Fraction(10_000, 3), 167),
        # at the cap already: nothing more
        (CAPPED, 4, 90_000 * RUB, None, 22_500 * RUB, 0),
    ],
)
def test_what_one_more_deal_of_average_size_adds(
    rules: BonusRules, deals: int, revenue: int, plan: int | None, average: Fraction, extra: int
) -> None:
    found = what_if(rules, payout(rules, deals, revenue, None if plan is None else Fraction(plan)))
    assert found is not None
    assert (found.average_deal, found.extra_kopecks) == (average, extra)


def test_no_what_if_before_the_first_deal() -> None:
    assert what_if(FLAT_5, payout(FLAT_5, 0, 0, None)) is None


def scheme(starts_on: date, rules: BonusRules) -> BonusScheme:
    return BonusScheme(
        team_id=1,
        starts_on=starts_on,
        per_deal_kopecks=rules.per_deal_kopecks,
        tiers=tiers_text(rules.tiers),
        threshold_percent=rules.threshold_percent,
        cap_kopecks=rules.cap_kopecks,
    )


def test_a_change_applies_from_the_next_month_the_first_scheme_from_this_one() -> None:
    assert change_starts([], date(2026, 12, 17)) == date(2026, 12, 1)
    december = scheme(date(2026, 12, 1), TIERED_FROM_80)
    assert change_starts([december], date(2026, 12, 31)) == date(2027, 1, 1)
    january = scheme(date(2027, 1, 1), CAPPED)
    schemes = [december, january]
    assert rules_of(in_force(schemes, date(2026, 12, 1)) or january) == TIERED_FROM_80
    assert in_force(schemes, date(2026, 11, 1)) is None
    view = scheme_view(schemes, date(2026, 12, 17))
    assert (view.current, view.next, view.next_from) == (TIERED_FROM_80, CAPPED, date(2027, 1, 1))
    assert scheme_view(schemes, date(2027, 1, 5)).next is None
    # a pending change only waits for its month: a team whose first scheme starts next month
    assert change_starts([january], date(2026, 12, 17)) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "rate"), [("5", 500), ("2,5", 250), ("7.25%", 725), ("0", 0), ("100", 10_000)]
)
def test_rates(text: str, rate: int) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    ("parse", "text", "code"),
    [
        (parse_rate, "-5", ParseErrorCode.BONUS_NEGATIVE),
        (parse_rate, "five", ParseErrorCode.BONUS_NUMBER),
        (parse_rate, "101", ParseErrorCode.BONUS_PERCENT_RANGE),
        (parse_rate, "2.555", ParseErrorCode.BONUS_PERCENT_PRECISION),
        (parse_threshold, "0", ParseErrorCode.BONUS_PERCENT_RANGE),
        (parse_threshold, "80.5", ParseErrorCode.BONUS_PERCENT_PRECISION),
        (parse_threshold, "1001", ParseErrorCode.BONUS_PERCENT_RANGE),
        (parse_cap, "-100", ParseErrorCode.BONUS_NEGATIVE),
        (parse_cap, "0", ParseErrorCode.BONUS_CAP_ZERO),
        (parse_cap, "a lot", ParseErrorCode.BONUS_NUMBER),
        (parse_money, "−500", ParseErrorCode.BONUS_NEGATIVE),
        (parse_money, "500 per deal", ParseErrorCode.BONUS_NUMBER),
    ],
)
def test_bad_numbers_are_refused_with_their_reason(parse, text: str, code: ParseErrorCode) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParseError) as error:
        parse(text)
    assert error.value.code is code


def test_amounts_and_thresholds() -> None:
    assert parse_money("500") == 500 * RUB
    assert parse_money("1 500,50 ₽") == 150_050
    assert parse_cap("100k") == 100_000 * RUB
    assert parse_threshold("80%") == 80


def test_tiers() -> None:
    assert parse_tiers("100 8", 500) == (Tier(0, 500), Tier(100, 800))
    assert parse_tiers("100% 8%; 120 10", 500) == (Tier(0, 500), Tier(100, 800), Tier(120, 1000))
    assert parse_tiers("100 8, 150 12,5", 0) == (Tier(0, 0), Tier(100, 800), Tier(150, 1250))
    for text, code in [
        ("120 10; 100 8", ParseErrorCode.BONUS_TIER_ORDER),
        ("100 8; 100 9", ParseErrorCode.BONUS_TIER_ORDER),
        ("100", ParseErrorCode.BONUS_TIER_SHAPE),
        ("100 -8", ParseErrorCode.BONUS_NEGATIVE),
        ("100 eight", ParseErrorCode.BONUS_NUMBER),
        ("; ".join(f"{100 + i} {i}" for i in range(1, 7)), ParseErrorCode.BONUS_TIERS_MANY),
    ]:
        with pytest.raises(ParseError) as error:
            parse_tiers(text, 500)
        assert error.value.code is code, text


def test_a_big_teams_list_is_split_within_telegrams_limit() -> None:
    rules = BonusRules(500 * RUB, (Tier(0, 500), Tier(100, 800), Tier(150, 1000)), 80, None)
    rows = []
    for index in range(1_000):
        paid = payout(rules, 3 + index % 7, 90_000 * RUB + index * 1_000 * RUB, Fraction(PLAN))
        who = Person(
            index + 1,
            "Александра-" + "я" * 40,
            None,
            None,
            "ru",
            1,
            Role.EMPLOYEE,
            None,
            True,
            True,
            False,
            LONG_AGO,
            LONG_AGO,
            None,
        )
        rows.append(PersonBonus(who, paid, what_if(rules, paid)))
    view = SchemeView(rules, BonusRules(1_000 * RUB), date(2027, 1, 1))
    report = BonusReport(DateRange(date(2026, 12, 1), date(2026, 12, 31)), view, rows[0], rows)
    for language in ("en", "ru"):
        texts = bonus_texts(translator(language), report, is_manager=True)
        assert all(visible_length(text) <= MAX_TEXT for text in texts)
        shown = "\n".join(texts)
        assert shown.count("Александра-") == 1_000  # everyone once (the own part names nobody)
        assert "🔜" in shown


@pytest.mark.parametrize("kopecks", [0, 1, 99, 100, 660_000, 123_456_789, -5_050])
def test_payouts_are_shown_to_the_kopeck_as_babel_writes_money(kopecks: int) -> None:
    for language in ("en", "ru"):
        rubles = format_decimal(Decimal(kopecks) / 100, format="#,##0.00", locale=language)
        assert translator(language).payout(kopecks) == f"{rubles} ₽"
