"""The one rounding rule (half up) and how computed numbers are shown."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import ConversionGap, Totals, needed, round_half_up, shown_share, whole_rubles
from bot.texts import translator


def test_round_half_up_not_to_even():
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, -1, -3)] == [1, 2, 3, -1, -2]
    assert round_half_up(Fraction(7, 3)) == 2
    # Python and Babel would say 112 for 112.5 (half to even); spreadsheets say 113.
    assert round(112.5) == 112 and round_half_up(Fraction(225, 2)) == 113


def test_a_share_under_one_is_never_shown_as_zero():
    assert shown_share(Fraction(10, 22)) == Decimal("0.5")  # 10 deals over 22 working days
    assert shown_share(Fraction(1, 22)) == Decimal("0.05")
    assert shown_share(Fraction(50, 22)) == Decimal("2.3")
    assert shown_share(Fraction(15, 2)) == Decimal("7.5")
    assert shown_share(Fraction(75, 2)) == 38  # from 10 on, whole
    assert shown_share(Fraction(199, 20)) == 10  # 9.95 -> 10, not "10.0"
    assert shown_share(3) == 3 and shown_share(0) == 0


@given(st.fractions(min_value=Fraction(1, 10**5), max_value=10**6))
def test_shown_share_is_close_and_never_zero(value: Fraction) -> None:
    shown = Fraction(shown_share(value))
    assert shown > 0
    assert abs(shown - value) <= max(Fraction(1, 2), value / 10)


def test_computed_money_in_whole_rubles_and_needs_rounded_up():
    assert whole_rubles(Fraction(2_181_818_182, 100)) == 21_818_200  # 218 181.82 -> 218 182 ₽
    assert whole_rubles(1_250) == 1_300  # 12.50 ₽ -> 13 ₽
    assert needed(Fraction(902, 10)) == 91  # 90.2 calls due: 91
    assert needed(Fraction(2_727_273, 1), 100) == 2_727_300


def test_percent_half_up_in_both_languages():
    en, ru = translator("en"), translator("ru")
    assert en.percent(9, 8, 0) == "113%"  # 112.5 %
    assert en.percent(3, Fraction(50, 22), 0) == "132%"  # 3 calls against 2.27 a day
    assert en.percent(1, 8) == "12.5%" and ru.percent(2, 3) == "66,7%"
    assert en.percent(1, 2000) == "0.1%"  # 0.05 %


def test_conversion_only_where_it_means_something():
    assert Totals(leads=5, deals=2).conversion == Fraction(2, 5)
    assert Totals(leads=2, deals=3).conversion is ConversionGap.MORE_DEALS
    assert Totals(deals=7).conversion is ConversionGap.NO_LEADS
    assert Totals(leads=4).conversion == 0
    assert Totals(calls=3).conversion is None
