"""One person's updates are handled in the order they were sent, and answered in that order;
different people's at the same time."""

from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team


async def test_undo_sent_with_a_call_undoes_that_call(kpi: RunningBot) -> None:
    anna, bob = kpi.tg.user(1001, "Anna"), kpi.tg.user(1002, "Bob")
    await set_up_team(kpi, anna, bob, "Sales")
    await bob.say("/meeting")
    mark = kpi.tg.mark()
    bob.send("/call 5 #oops")
    bob.send("/undo")
    replies = [m.plain for m in await kpi.tg.next_n_in_chat(bob.id, mark, 2)]
    assert replies == [
        "✅ Recorded: 5 calls #oops\nToday in total: 5 calls",
        "↩️ Removed: 5 calls #oops",
    ]
    today = (await bob.say("/today")).plain or ""
    assert "Calls: 0" in today and "Meetings: 1" in today


async def test_today_right_after_two_calls_counts_them(kpi: RunningBot) -> None:
    anna, bob = kpi.tg.user(1001, "Anna"), kpi.tg.user(1002, "Bob")
    await set_up_team(kpi, anna, bob, "Sales")
    mark = kpi.tg.mark()
    bob.send("/call")
    bob.send("/call 2")
    bob.send("/today")
    replies = [m.plain or "" for m in await kpi.tg.next_n_in_chat(bob.id, mark, 3)]
    assert replies[:2] == [
        "✅ Recorded: 1 call\nToday in total: 1 call",
        "✅ Recorded: 2 calls\nToday in total: 3 calls",
    ]
    assert "📞 Calls: 3" in replies[2]


async def test_a_burst_is_answered_in_order_while_others_go_on(kpi: RunningBot) -> None:
    anna, bob = kpi.tg.user(1001, "Anna"), kpi.tg.user(1002, "Bob")
    await set_up_team(kpi, anna, bob, "Sales")
    mark = kpi.tg.mark()
    for _ in range(10):
        bob.send("/call")
        anna.send("/lead")
    bobs = [m.plain for m in await kpi.tg.next_n_in_chat(bob.id, mark, 10)]
    annas = [m.plain for m in await kpi.tg.next_n_in_chat(anna.id, mark, 10)]
    assert bobs == [
        f"✅ Recorded: 1 call\nToday in total: {n} call{'s' if n > 1 else ''}" for n in range(1, 11)
    ]
    assert annas == [
        f"✅ Recorded: 1 lead\nToday in total: {n} lead{'s' if n > 1 else ''}" for n in range(1, 11)
    ]
