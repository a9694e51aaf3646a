"""Streak rules against a hand-computed calendar: Russia, 16 December 2024 - 17 January 2025.

Working days, from the production calendar as published: 16-20 and 23-27 December, Saturday
28 December (worked for the 30th, which is off), then the New Year holidays (29 December -
8 January) and 9-10, 13-17 January. Everything else in the range is a day off.
"""

from datetime import UTC, date, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Totals
from bot.services.pace import WorkCalendar
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import standing_of
from bot.services.streaks import PersonDays, day_kept, streak_length
from bot.texts import translator
from models import EntryKind, Metric, Person, Role, Target, TeamInfo
from models.entry import KindTotal

RANGE = DateRange(date(2024, 12, 16), date(2025, 1, 17))
WORKING = [
    *(date(2024, 12, d) for d in (16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 28)),
    *(date(2025, 1, d) for d in (9, 10, 13, 14, 15, 16, 17)),
]
ALL_DAYS = RANGE.days()
DAYS_OFF = [d for d in ALL_DAYS if d not in WORKING]
RU = WorkCalendar()


def hand_streak(last: date, kept: set[date], vacation: set[date]) -> int:
    """The rule, over the hand-made list: counted days back from `last` while kept."""
    length = 0
    for day in reversed([d for d in WORKING if d <= last and d not in vacation]):
        if day not in kept:
            break
        length += 1
    return length


def computed(last: date, kept: set[date], vacation: set[date], joined: date | None = None) -> int:
    days = PersonDays(RU, frozenset(vacation), joined)
    length, _ = streak_length(last, RANGE.start, days.counts, kept.__contains__)
    return length


def test_the_calendar_is_the_hand_computed_one() -> None:
    assert RU.working_days(RANGE) == WORKING


def test_kept_through_the_new_year_holidays_and_the_working_saturday() -> None:
    every_working_day = set(WORKING)
    assert computed(date(2024, 12, 27), every_working_day, set()) == 10
    assert computed(date(2024, 12, 28), every_working_day, set()) == 11  # a Saturday worked
    assert computed(date(2025, 1, 8), every_working_day, set()) == 11  # holidays: no change
    assert computed(date(2025, 1, 9), every_working_day, set()) == 12
    # The Saturday left out breaks it: it was a working day.
    assert computed(date(2025, 1, 9), every_working_day - {date(2024, 12, 28)}, set()) == 1


def test_a_vacation_neither_counts_nor_breaks() -> None:
    away = set(DateRange(date(2024, 12, 23), date(2024, 12, 27)).days())
    kept = set(WORKING) - away  # nothing logged while away
    assert computed(date(2025, 1, 9), kept, away) == 7  # 16-20 Dec, 28 Dec, 9 Jan


def test_days_before_joining_end_it() -> None:
    assert computed(date(2024, 12, 20), set(WORKING), set(), joined=date(2024, 12, 18)) == 3


kept_days = st.sets(st.sampled_from(ALL_DAYS))
vacations = st.sets(st.sampled_from(ALL_DAYS), max_size=10)
last_days = st.sampled_from(ALL_DAYS)


@given(last_days, kept_days, vacations)
def test_matches_the_hand_computed_calendar(last: date, kept: set[date], away: set[date]) -> None:
    assert computed(last, kept, away) == hand_streak(last, kept, away)


@given(last_days, kept_days, vacations, st.sets(st.sampled_from(DAYS_OFF)))
def test_days_off_neither_count_nor_break(
    last: date, kept: set[date], away: set[date], days_off: set[date]
) -> None:
    assert computed(last, kept | days_off, away) == computed(last, kept - days_off, away)


@given(last_days, kept_days, vacations)
def test_a_missed_working_day_resets_it(last: date, kept: set[date], away: set[date]) -> None:
    missed = [d for d in WORKING if d <= last and d not in away and d not in kept]
    counted_after = [d for d in WORKING if missed and missed[-1] < d <= last and d not in away]
    if missed:
        assert computed(last, kept, away) == len(counted_after)
    else:
        assert computed(last, kept, away) == len([d for d in WORKING if d <= last]) - len(
            [d for d in away if d in WORKING and d <= last]
        )


# --- a day kept: on month-to-date pace for every metric with a target ---------------------------

TEAM = TeamInfo(
    1, "Sales", "Europe/Moscow", "RU", 0b0011111, time(18), 0, time(9), time(22), time(8),
    True, None, None, datetime(2020, 1, 1, tzinfo=UTC),
)  # fmt: skip
BOB = Person(
    2, "Bob", None, None, "en", 1, Role.EMPLOYEE, None, True, True, False,
    datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC), None,
)  # fmt: skip
DEC_2024 = period_range(Period.MONTH, date(2024, 12, 1))
DEC_WORKING = len(RU.working_days(DEC_2024))  # 21: the 28th worked, the 30th and 31st off


def target(metric: Metric, value: int, valid_from: date = date(2024, 1, 1)) -> Target:
    return Target(
        id=1, team_id=1, user_id=None, metric=metric, period=Period.MONTH, value=value,
        valid_from=valid_from, valid_to=None, created_by_id=2,
    )  # fmt: skip


def calls(n: int) -> Totals:
    totals = Totals()
    totals.add(KindTotal(EntryKind.CALL, None, n, 0, 0))
    return totals


def test_without_a_target_one_activity_keeps_the_day() -> None:
    standing = standing_of(TEAM, DEC_2024, [], [])
    assert day_kept(date(2024, 12, 16), BOB, standing, calls(1), calls(1))
    assert not day_kept(date(2024, 12, 16), BOB, standing, calls(5), Totals())


@given(st.integers(min_value=0, max_value=40), st.sampled_from(RU.working_days(DEC_2024)))
def test_with_a_target_the_day_is_kept_when_on_month_to_date_pace(done: int, day: date) -> None:
    standing = standing_of(TEAM, DEC_2024, [target(Metric.CALLS, DEC_WORKING)], [])
    due = len([d for d in RU.working_days(DEC_2024) if d <= day])  # one call a working day
    assert day_kept(day, BOB, standing, calls(done), Totals()) == (done >= due)


def test_a_target_not_in_force_yet_asks_for_an_activity() -> None:
    late = target(Metric.CALLS, DEC_WORKING, date(2024, 12, 20))
    standing = standing_of(TEAM, DEC_2024, [late], [])
    assert not day_kept(date(2024, 12, 17), BOB, standing, Totals(), Totals())
    assert day_kept(date(2024, 12, 17), BOB, standing, calls(1), calls(1))
    # From the 20th it asks for the pace since then: one call a working day.
    assert day_kept(date(2024, 12, 20), BOB, standing, calls(1), Totals())
    assert not day_kept(date(2024, 12, 23), BOB, standing, calls(1), calls(0))


def test_russian_plurals_of_a_streak() -> None:
    t = translator("ru")
    assert [t.plural("streak.line", n) for n in (1, 2, 5, 11, 21, 22, 50)] == [
        "🔥 1 рабочий день подряд в темпе",
        "🔥 2 рабочих дня подряд в темпе",
        "🔥 5 рабочих дней подряд в темпе",
        "🔥 11 рабочих дней подряд в темпе",
        "🔥 21 рабочий день подряд в темпе",
        "🔥 22 рабочих дня подряд в темпе",
        "🔥 50 рабочих дней подряд в темпе",
    ]
