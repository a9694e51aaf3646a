"""The replies of a batch logged at once show the totals that one-by-one logging would have."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.quick_log import _ALREADY_DONE, _Accepted, _day_key, _Logged, _Sender, _with_running_totals
from bot.services.entries import DayTotal
from models import Entry, EntryKind

DAY = date(2026, 11, 27)
SENDER = _Sender({}, None, False, team_id=1, timezone="Europe/Moscow", chat_id=None)

entries = st.builds(
    lambda user_id, kind, count, amount, day: Entry(
        user_id=user_id,
        team_id=1,
        kind=kind,
        count=1 if kind is EntryKind.DEAL else count,
        amount_kopecks=amount if kind is EntryKind.DEAL else None,
        business_date=day,
    ),
    st.sampled_from([1, 2]),
    st.sampled_from([EntryKind.CALL, EntryKind.DEAL]),
    st.integers(1, 1000),
    st.integers(1, 10**11),
    st.sampled_from([DAY, date(2026, 11, 26)]),
)
# Some commands in a batch are not logged here (the usual way, or already done).
outcomes = st.lists(
    st.one_of(
        entries.map(lambda e: _Accepted(e, DAY, SENDER)), st.sampled_from([None, _ALREADY_DONE])
    ),
    max_size=30,
)


def plus(total: DayTotal, entry: Entry) -> DayTotal:
    return DayTotal(total.count + entry.count, total.amount_kopecks + (entry.amount_kopecks or 0))


@given(outcomes, st.integers(0, 50), st.integers(0, 10**9))
def test_each_reply_counts_what_came_before_it(
    batch: list[object], count_before: int, amount_before: int
) -> None:
    # What the day held before the batch, for every key the batch touches.
    before = {
        _day_key(o.entry): DayTotal(count_before, amount_before)
        for o in batch
        if isinstance(o, _Accepted)
    }
    after_batch = dict(before)
    for o in batch:
        if isinstance(o, _Accepted):
            key = _day_key(o.entry)
            after_batch[key] = plus(after_batch[key], o.entry)

    logged = _with_running_totals(batch, after_batch)

    running = dict(before)
    for outcome, result in zip(batch, logged, strict=True):
        if not isinstance(outcome, _Accepted):
            assert result is outcome
            continue
        key = _day_key(outcome.entry)
        running[key] = plus(running[key], outcome.entry)
        assert result == _Logged(outcome, running[key])


def test_two_calls_and_a_deal_of_one_person() -> None:
    first, second = (
        Entry(user_id=1, team_id=1, kind=EntryKind.CALL, count=n, business_date=DAY) for n in (2, 3)
    )
    deal = Entry(
        user_id=1, team_id=1, kind=EntryKind.DEAL, count=1, amount_kopecks=500, business_date=DAY
    )
    batch = [_Accepted(e, DAY, SENDER) for e in (first, deal, second)]
    after_batch = {_day_key(first): DayTotal(5, 0), _day_key(deal): DayTotal(1, 500)}
    totals = [logged.total for logged in _with_running_totals(batch, after_batch)]
    assert totals == [DayTotal(2, 0), DayTotal(1, 500), DayTotal(5, 0)]
