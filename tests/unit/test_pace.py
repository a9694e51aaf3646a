from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.pace import (
    Pace,
    TargetSpan,
    WorkCalendar,
    bar,
    daily_share,
    is_known_country,
    pace,
    period_target,
    span_at,
)
from bot.services.periods import DateRange, Period, local_date, period_range

RU = WorkCalendar()  # Russia, Monday to Friday
NO_HOLIDAYS = WorkCalendar(country=None)
MON_SAT = WorkCalendar(weekdays=frozenset(range(6)))
NONE: frozenset[date] = frozenset()

JAN_2026 = period_range(Period.MONTH, date(2026, 1, 1))
MAY_2026 = period_range(Period.MONTH, date(2026, 5, 1))
JUN_2026 = period_range(Period.MONTH, date(2026, 6, 1))
AUG_2026 = period_range(Period.MONTH, date(2026, 8, 1))
NOV_2026 = period_range(Period.MONTH, date(2026, 11, 1))
DEC_2026 = period_range(Period.MONTH, date(2026, 12, 1))


def span(
    value: int, period: Period = Period.MONTH, start: date | None = None, end: date | None = None
) -> TargetSpan:
    return TargetSpan(value, period, start or date(2020, 1, 1), end)


def days(start: date, end: date) -> set[date]:
    return set(DateRange(start, end).days())


# --- working days ---------------------------------------------------------------------------


def test_january_2026_in_russia():
    # Jan 1-8 are the New Year holidays (Thu 1 .. Thu 8), Fri 9 is a day off transferred from
    # Sat 3, Jan 10-11 a weekend. Working: 12-16, 19-23, 26-30 = 3 weeks * 5 = 15 days.
    assert not RU.is_working_day(date(2026, 1, 9))
    working = RU.working_days(JAN_2026)
    assert working[0] == date(2026, 1, 12)
    assert working[-1] == date(2026, 1, 30)
    assert len(working) == 15


def test_may_2026_in_russia():
    # May 2026 starts on a Friday: weekdays Fri 1, 4-8, 11-15, 18-22, 25-29 = 1 + 4*5 = 21.
    # Off: Fri May 1 (Labour Day) and Mon May 11 (Victory Day, Sat May 9, moved) -> 19.
    assert not RU.is_working_day(date(2026, 5, 1))
    assert not RU.is_working_day(date(2026, 5, 11))
    assert len(RU.working_days(MAY_2026)) == 19


def test_december_2026_ends_on_the_30th():
    # Thu Dec 31 2026 is a day off (transferred from Sat Jan 3).
    # Weekdays: Tue 1 - Fri 4 (4), 7-11, 14-18, 21-25 (15), 28-31 (4) = 23; minus Dec 31 -> 22.
    assert not RU.is_working_day(date(2026, 12, 31))
    working = RU.working_days(DEC_2026)
    assert working[-1] == date(2026, 12, 30)
    assert len(working) == 22


@pytest.mark.parametrize(
    "day", [date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)]
)
def test_transferred_working_saturdays(day):
    assert day.weekday() == 5
    assert RU.is_working_day(day)  # the team follows the national week: Saturday made working
    assert MON_SAT.is_working_day(day)  # works Saturdays anyway
    assert not WorkCalendar(weekdays=frozenset(range(4))).is_working_day(day)  # Mon-Thu team
    assert not NO_HOLIDAYS.is_working_day(day)  # no calendar, no transfer


def test_custom_weekdays_still_honour_holidays():
    # Mon-Sat team in January 2026: the 15 Mon-Fri working days + Saturdays 10, 17, 24, 31 = 19.
    # Sat Jan 3 is a holiday and Fri Jan 9 a transferred day off: both stay off.
    assert not MON_SAT.is_working_day(date(2026, 1, 3))
    assert not MON_SAT.is_working_day(date(2026, 1, 9))
    assert MON_SAT.is_working_day(date(2026, 1, 10))
    assert len(MON_SAT.working_days(JAN_2026)) == 19
    # Nov 3 2025 (Mon) was the day off swapped for working Sat Nov 1: off for a Mon-Sat team too.
    assert not MON_SAT.is_working_day(date(2025, 11, 3))


def test_no_country_means_plain_weekdays():
    # January 2026 weekdays: Thu 1, Fri 2, then 5-9, 12-16, 19-23, 26-30 -> 2 + 20 = 22.
    assert len(NO_HOLIDAYS.working_days(JAN_2026)) == 22
    assert NO_HOLIDAYS.is_working_day(date(2026, 1, 1))


def test_other_countries_and_validation():
    us = WorkCalendar(country="US")
    assert not us.is_working_day(date(2026, 7, 3))  # July 4 is a Saturday, observed on Friday
    assert us.is_working_day(date(2026, 7, 6))
    assert is_known_country("RU")
    assert is_known_country("DE")
    assert not is_known_country("ru")
    assert not is_known_country("XX")
    assert not is_known_country("country_holidays")
    with pytest.raises(ValueError):
        WorkCalendar(country="XX")
    with pytest.raises(ValueError):
        WorkCalendar(weekdays=frozenset({7}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        RU.country = "US"  # type: ignore[misc]


# --- targets ----------------------------------------------------------------------------------


def test_span_validation_and_lookup():
    with pytest.raises(ValueError):
        TargetSpan(-1, Period.DAY, date(2026, 1, 1), None)
    with pytest.raises(ValueError):
        TargetSpan(1, Period.DAY, date(2026, 1, 2), date(2026, 1, 1))
    old = span(150, end=date(2026, 8, 15))
    new = span(200, start=date(2026, 8, 15))
    assert span_at([old, new], date(2026, 8, 14)) is old
    assert span_at([old, new], date(2026, 8, 15)) is new  # valid_to is exclusive
    assert span_at([new], date(2026, 8, 14)) is None


def test_day_target_on_a_holiday_and_over_a_week():
    twenty = [span(20, Period.DAY)]
    # Wed Nov 4 2026 (Unity Day) is a holiday, Sat Nov 7 a weekend.
    assert daily_share(twenty, date(2026, 11, 4), RU) == 0
    assert daily_share(twenty, date(2026, 11, 7), RU) == 0
    assert daily_share(twenty, date(2026, 11, 5), RU) == 20
    # Week Nov 2-8: Mon, Tue, Thu, Fri work -> 4 days * 20 = 80.
    week = period_range(Period.WEEK, date(2026, 11, 4))
    assert period_target(twenty, week, RU, NONE) == 80
    # The same week for a team without a holiday calendar: 5 * 20 = 100.
    assert period_target(twenty, week, NO_HOLIDAYS, NONE) == 100
    # One vacation day on Thursday: 3 * 20 = 60.
    assert period_target(twenty, week, RU, frozenset({date(2026, 11, 5)})) == 60


def test_day_target_over_a_month():
    # January 2026: 15 working days * 2 meetings = 30.
    assert period_target([span(2, Period.DAY)], JAN_2026, RU, NONE) == 30


def test_month_target_with_a_vacation():
    # August 2026 starts on a Saturday: 3-7, 10-14, 17-21, 24-28, Mon 31 = 21 working days, no
    # holidays. A vacation Mon 17 - Sun 23 takes 5 working days: 16 remain.
    assert len(RU.working_days(AUG_2026)) == 21
    vacation = frozenset(days(date(2026, 8, 17), date(2026, 8, 23)))
    assert period_target([span(150)], AUG_2026, RU, vacation) == Fraction(150 * 16, 21)
    result = pace([span(150)], AUG_2026, date(2026, 8, 3), 0, RU, vacation)
    assert result is not None
    assert result.target == Fraction(2400, 21)  # 114.28..., exact
    assert result.days_total == 16
    assert (result.days_gone, result.days_left) == (0, 16)
    assert result.expected == Fraction(150, 21)  # Aug 3 alone: 7.14 ...
    assert result.due_by_now == 8  # ... so 8 calls are due
    assert result.need_per_day == 8  # ceil(114.28 / 16) = ceil(7.14)
    # Judged on the 24th, back from vacation: gone 3-7, 10-14 = 10 days, left 24-28, 31 = 6.
    # Expected through the 24th: 11 * 150/21 = 78.57 -> 79 due. Done 70 -> behind by 9;
    # need ceil((114.28 - 70) / 6) = ceil(7.38) = 8.
    result = pace([span(150)], AUG_2026, date(2026, 8, 24), 70, RU, vacation)
    assert result is not None
    assert (result.days_gone, result.days_left) == (10, 6)
    assert result.due_by_now == 79
    assert (result.behind, result.ahead) == (9, 0)
    assert result.need_per_day == 8
    assert not result.on_track


def test_target_changed_mid_month():
    # August 2026: 10 working days before the 15th (3-7, 10-14), 11 from it (17-21, 24-28, 31).
    spans = [span(150, end=date(2026, 8, 15)), span(200, start=date(2026, 8, 15))]
    exact = period_target(spans, AUG_2026, RU, NONE)
    assert exact == Fraction(150 * 10, 21) + Fraction(200 * 11, 21) == Fraction(3700, 21)
    # 3700/21 = 176.19, kept exact
    result = pace(spans, AUG_2026, date(2026, 8, 14), 90, RU, NONE)
    assert result is not None
    assert result.target == exact
    # Through Fri Aug 14 only the old target was in force: 10 * 150/21 = 71.43 -> 72 due.
    assert result.due_by_now == 72
    assert (result.ahead, result.behind) == (18, 0)
    assert result.on_track
    assert (result.days_gone, result.days_left) == (9, 12)
    assert result.need_per_day == 8  # ceil((176.19 - 90) / 12) = ceil(7.18)
    # A past month is judged by what was in force then: the new target alone would be 200.
    assert period_target(spans[1:], AUG_2026, RU, NONE) == Fraction(200 * 11, 21)


def test_week_target_viewed_for_a_month():
    # June 2026: Fri June 12 is Russia Day. ISO weeks touching June and their working days:
    # 1-7: 5, 8-14: 4, 15-21: 5, 22-28: 5 -> each gets the full 50;
    # June 29 - July 5: Mon 29, Tue 30, Wed 1 - Fri 3 = 5 days, 2 of them in June -> 50 * 2/5 = 20.
    # 4 * 50 + 20 = 220.
    assert period_target([span(50, Period.WEEK)], JUN_2026, RU, NONE) == 220
    # A week's target sums back to the week value even with a holiday in it.
    week = period_range(Period.WEEK, date(2026, 6, 12))
    assert period_target([span(50, Period.WEEK)], week, RU, NONE) == 50
    assert daily_share([span(50, Period.WEEK)], date(2026, 6, 11), RU) == Fraction(50, 4)


def test_month_target_viewed_for_a_week():
    # Week June 29 - July 5 2026. June has 21 working days (1-5, 8-11, 15-19, 22-26, 29-30),
    # July 23 (1-3, 6-10, 13-17, 20-24, 27-31). A month target of 210:
    # 2 * 210/21 + 3 * 210/23 = 20 + 630/23 = 1090/23 = 47.39 -> 47.
    assert len(RU.working_days(JUN_2026)) == 21
    week = period_range(Period.WEEK, date(2026, 6, 29))
    assert period_target([span(210)], week, RU, NONE) == Fraction(1090, 23)
    result = pace([span(210)], week, date(2026, 7, 1), 30, RU, NONE)
    assert result is not None
    # Expected through Wed July 1: 20 + 210/23 = 670/23 = 29.13 -> 30 due, 30 done.
    assert (result.target, result.expected) == (Fraction(1090, 23), Fraction(670, 23))
    assert (result.due_by_now, result.ahead, result.on_track) == (30, 0, True)
    assert (result.days_gone, result.days_left) == (2, 3)
    assert result.need_per_day == 6  # ceil(17.39 / 3)


def test_no_span_touching_the_period():
    assert period_target([], JAN_2026, RU, NONE) is None
    assert pace([], JAN_2026, date(2026, 1, 20), 5, RU, NONE) is None
    ended = span(150, end=date(2026, 1, 1))
    later = span(150, start=date(2026, 2, 1))
    assert period_target([ended, later], JAN_2026, RU, NONE) is None
    # A span starting on the last day touches the period, even if that day is not working.
    assert period_target([span(150, start=date(2026, 1, 31))], JAN_2026, RU, NONE) == 0
    # Set and replaced on the same day: never in force.
    assert (
        period_target([span(5, start=date(2026, 1, 20), end=date(2026, 1, 20))], JAN_2026, RU)
        is None
    )


# --- pace ---------------------------------------------------------------------------------------


def test_pace_january_2026():
    # 150 calls over 15 working days = 10 a day. On Tue Jan 20: gone 12-16, 19 = 6 days;
    # left 20-23, 26-30 = 9; expected through the 20th = 7 * 10 = 70.
    result = pace([span(150)], JAN_2026, date(2026, 1, 20), 55, RU, NONE)
    assert result == Pace(
        target=Fraction(150),
        done=55,
        expected=Fraction(70),
        days_total=15,
        days_gone=6,
        days_left=9,
    )
    assert result.share == Fraction(55, 150)
    assert (result.due_by_now, result.behind, result.ahead) == (70, 15, 0)
    assert result.need_per_day == 11  # ceil(95 / 9) = ceil(10.56)
    assert not result.on_track and not result.reached


def test_pace_may_2026():
    # 150 over 19 days. On Fri May 15: gone 4-8, 12-14 = 8; left 15, 18-22, 25-29 = 11.
    # Expected through the 15th: 9 * 150/19 = 1350/19 = 71.05 -> 72 due.
    result = pace([span(150)], MAY_2026, date(2026, 5, 15), 80, RU, NONE)
    assert result is not None
    assert (result.days_total, result.days_gone, result.days_left) == (19, 8, 11)
    assert result.due_by_now == 72
    assert result.ahead == 8
    assert result.on_track
    assert result.share == Fraction(80, 150)
    assert result.need_per_day == 7  # ceil(70 / 11) = ceil(6.36)


def test_last_working_day_of_the_month():
    # November 2026: 2-6, 9-13, 16-20, 23-27, Mon 30 = 21 weekdays, minus Wed Nov 4 = 20.
    # 200 a month -> 10 a day. On Mon Nov 30 one day is left and everything is expected.
    result = pace([span(200)], NOV_2026, date(2026, 11, 30), 185, RU, NONE)
    assert result is not None
    assert (result.days_total, result.days_gone, result.days_left) == (20, 19, 1)
    assert result.due_by_now == 200
    assert result.need_per_day == 15
    # December 2026: Wed Dec 30 is the last working day (Dec 31 is off), 150 over 22 days.
    result = pace([span(150)], DEC_2026, date(2026, 12, 30), 140, RU, NONE)
    assert result is not None
    assert (result.days_gone, result.days_left) == (21, 1)
    assert result.due_by_now == 150
    assert result.need_per_day == 10
    # On the 31st the month is effectively over.
    result = pace([span(150)], DEC_2026, date(2026, 12, 31), 140, RU, NONE)
    assert result is not None
    assert result.days_left == 0
    assert result.need_per_day is None


def test_today_before_and_after_the_period():
    before = pace([span(150)], JAN_2026, date(2025, 12, 20), 0, RU, NONE)
    assert before is not None
    assert (before.days_gone, before.days_left, before.due_by_now) == (0, 15, 0)
    assert before.on_track
    assert before.need_per_day == 10  # 150 / 15
    after = pace([span(150)], JAN_2026, date(2026, 2, 5), 100, RU, NONE)
    assert after is not None
    assert (after.days_gone, after.days_left, after.due_by_now) == (15, 0, 150)
    assert after.need_per_day is None
    assert (after.behind, after.short) == (50, 50)
    done = pace([span(150)], JAN_2026, date(2026, 2, 5), 160, RU, NONE)
    assert done is not None
    assert (done.need_per_day, done.share, done.on_track) == (0, Fraction(160, 150), True)
    assert done.reached


def test_zero_target_and_whole_vacation():
    vacation = frozenset(JAN_2026.days())
    result = pace([span(150)], JAN_2026, date(2026, 1, 20), 3, RU, vacation)
    assert result is not None
    assert (result.target, result.share, result.days_total, result.need_per_day) == (0, None, 0, 0)
    assert result.on_track


def test_revenue_asks_for_whole_rubles():
    # 1 000 000.01 rubles over 15 days; by Jan 12 (1 day): 100000001 / 15 = 6666666.73 kopecks,
    # so 66 667 rubles are due; each day needs the same.
    result = pace([span(100_000_001)], JAN_2026, date(2026, 1, 12), 0, RU, NONE, unit=100)
    assert result is not None
    assert result.target == 100_000_001
    assert result.due_by_now == 6_666_700
    assert result.need_per_day == 6_666_700
    assert result.short == 100_000_100


def test_country_none_and_custom_weekdays_change_the_pace():
    # No calendar: 22 working days in January; by Jan 20: Jan 1, 2, 5-9, 12-16, 19, 20 = 14.
    # 220 a month -> 10 a day -> expected 140.
    plain = pace([span(220)], JAN_2026, date(2026, 1, 20), 0, NO_HOLIDAYS, NONE)
    assert plain is not None
    assert (plain.days_total, plain.due_by_now) == (22, 140)
    # Mon-Sat with Russian holidays: 19 days; by Jan 20: 10, 12-17, 19, 20 = 9; 190 -> 90.
    six = pace([span(190)], JAN_2026, date(2026, 1, 20), 0, MON_SAT, NONE)
    assert six is not None
    assert (six.days_total, six.days_gone, six.due_by_now) == (19, 8, 90)


def test_far_east_time_zone():
    # 16:00 UTC on Sun Jan 11 is 02:00 Mon Jan 12 in Vladivostok (UTC+10), 19:00 Sun in Moscow.
    moment = datetime(2026, 1, 11, 16, 0, tzinfo=UTC)
    vladivostok = local_date(moment, "Asia/Vladivostok")
    moscow = local_date(moment, "Europe/Moscow")
    assert (vladivostok, moscow) == (date(2026, 1, 12), date(2026, 1, 11))
    east = pace([span(150)], JAN_2026, vladivostok, 0, RU, NONE)
    west = pace([span(150)], JAN_2026, moscow, 0, RU, NONE)
    assert east is not None and west is not None
    # Vladivostok's first working day has begun: 10 expected, behind by 10.
    assert (east.due_by_now, east.behind, east.on_track) == (10, 10, False)
    # Moscow is still on Sunday: nothing expected yet.
    assert (west.due_by_now, west.ahead, west.on_track) == (0, 0, True)
    assert east.days_left == west.days_left == 15


def test_bar():
    assert bar(Fraction(0)) == "░" * 10
    assert bar(Fraction(1, 2)) == "▓▓▓▓▓░░░░░"
    assert bar(Fraction(999, 1000)) == "▓" * 9 + "░"  # shown as 100 %, not reached: not full
    assert bar(Fraction(1)) == "▓" * 10
    assert bar(Fraction(5, 2)) == "▓" * 10
    assert bar(Fraction(-1, 20)) == "░" * 10
    assert bar(Fraction(1, 2), width=4) == "▓▓░░"
    assert bar(Fraction(1, 10), width=0) == ""
    with pytest.raises(ValueError):
        bar(Fraction(1, 10), width=-1)


# --- properties ---------------------------------------------------------------------------------

YEAR_START = date(2026, 1, 1)
calendars = st.sampled_from(
    [RU, NO_HOLIDAYS, MON_SAT, WorkCalendar(weekdays=frozenset({0, 2, 4})), WorkCalendar("DE")]
)
day_offsets = st.integers(min_value=0, max_value=364)


@st.composite
def span_lists(draw) -> list[TargetSpan]:
    cuts = sorted(draw(st.sets(day_offsets, min_size=1, max_size=4)))
    bounds = [YEAR_START + timedelta(days=c) for c in cuts]
    open_ended = draw(st.booleans())
    spans = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        if end is None and not open_ended:
            break
        value = draw(st.integers(min_value=0, max_value=10_000_000))
        spans.append(TargetSpan(value, draw(st.sampled_from(list(Period))), start, end))
    return spans


@settings(max_examples=60, deadline=None)
@given(
    spans=span_lists(),
    calendar=calendars,
    period=st.sampled_from(list(Period)),
    anchor=day_offsets,
    today=st.integers(min_value=-40, max_value=400),
    vacation=st.sets(day_offsets, max_size=40),
    done=st.integers(min_value=0, max_value=20_000_000),
)
def test_pace_invariants(spans, calendar, period, anchor, today, vacation, done):
    dates = period_range(period, YEAR_START + timedelta(days=anchor))
    off = frozenset(YEAR_START + timedelta(days=v) for v in vacation)
    result = pace(spans, dates, YEAR_START + timedelta(days=today), done, calendar, off)
    exact = period_target(spans, dates, calendar, off)
    if result is None:
        assert exact is None
        return
    assert exact is not None and result.target == exact
    assert 0 <= result.days_gone
    assert 0 <= result.days_left
    assert result.days_gone + result.days_left == result.days_total
    assert 0 <= result.expected <= result.target
    assert result.expected <= result.due_by_now < result.expected + 1
    assert result.on_track == (result.behind == 0) == (done >= result.due_by_now)
    if result.need_per_day is not None and result.need_per_day > 0:
        assert result.need_per_day * result.days_left >= result.target - done
        assert (result.need_per_day - 1) * result.days_left < result.target - done
    assert len(bar(result.share or Fraction(0))) == 10


@settings(max_examples=60, deadline=None)
@given(
    value=st.integers(min_value=0, max_value=10_000_000),
    month=st.integers(min_value=1, max_value=12),
    calendar=calendars,
)
def test_month_target_shares_sum_to_the_target(value, month, calendar):
    dates = period_range(Period.MONTH, date(2026, month, 1))
    spans = [span(value)]
    shares = sum((daily_share(spans, d, calendar) for d in dates.days()), Fraction(0))
    assert shares == value
    assert period_target(spans, dates, calendar, NONE) == value
