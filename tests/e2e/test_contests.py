"""Contests end to end under a faked clock: the setup with buttons, the group's kick-off,
mid-way and final posts exactly once each (also across a restart), % of target with a
vacation and a newcomer, a tie, a change of the rules and a cancel.

The contest week: Monday 30 November - Sunday 6 December 2026, Moscow time; the team's report
time (09:00) is when the scheduled posts go out.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models import Contest, OutboxMessage
from models.base import Clock
from scheduler.jobs import run_contests
from tests.e2e.conftest import Mode, RunningBot, run_bot
from tests.e2e.test_walkthrough import join_team, set_up_team
from tests.fake_telegram import FakeGroup, FakeTelegram, FakeUser

MONDAY_NOON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
LEASE = timedelta(minutes=3)


async def tick(kpi: RunningBot) -> int:
    """One scheduler tick of the contest job: how many messages it queued."""
    return await run_contests(kpi.db, "test", LEASE, kpi.outbox.wake)


async def bind_group(kpi: RunningBot, manager: FakeUser) -> FakeGroup:
    group = kpi.tg.group(-100777, "Sales chat")
    kpi.tg.add_bot_to_group(group, manager)
    await group.receive()  # the hello
    assert "is now the group of team" in ((await group.say(manager, "/bindchat")).plain or "")
    return group


async def contest_keys(kpi: RunningBot) -> list[str]:
    async with kpi.db.read() as session:
        query = select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like("contest:%"))
        return sorted((await session.scalars(query)).all())


async def team_with_group(kpi: RunningBot) -> tuple[FakeUser, FakeUser, FakeGroup]:
    """Anna manages Sales, Bob is in it, and its group is bound."""
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    await set_up_team(kpi, anna, bob, "Sales")
    return anna, bob, await bind_group(kpi, anna)


async def team_of_three(kpi: RunningBot) -> tuple[FakeUser, FakeUser, FakeUser]:
    """Anna manages Sales, Bob and Carol are in it."""
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    carol = tg.user(1003, "Carol", username="carol")
    token = await set_up_team(kpi, anna, bob, "Sales")
    await join_team(kpi, carol, token, anna)
    return anna, bob, carol


async def test_a_week_by_target_with_vacation_newcomer_tie_and_restart(
    fake_tg: FakeTelegram, db_url: str, mode: Mode, frozen_clock: Clock
) -> None:
    tg = fake_tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    carol = tg.user(1003, "Carol", username="carol")
    dave = tg.user(1004, "Dave", username="dave")
    frozen_clock.freeze(MONDAY_NOON)
    async with run_bot(tg, db_url, mode=mode) as kpi:
        token = await set_up_team(kpi, anna, bob, "Sales")
        await join_team(kpi, carol, token, anna)
        group = await bind_group(kpi, anna)
        await anna.say("/target deals 5 week")
        await anna.say("/vacation 3.12 4.12 @carol")

        assert (await bob.say("/contest")).plain == (
            "No contest is running. Your manager can start one with /contest."
        )
        question = await anna.say("/contest")
        assert question.plain == "🏆 A new contest. What counts?"
        assert question.buttons() == [
            ["Calls", "Meetings", "Leads"],
            ["Deals", "Revenue"],
            ["#tag: deals", "#tag: revenue"],
            ["✖️ Stop"],
        ]
        assert (await anna.press("Deals")).plain == "When?"
        ranking = await anna.press("This week")
        assert ranking.plain == "How to rank?"
        prize = await anna.press("% of own target (fair: everyone can win)")
        assert prize.plain == "Send the prize (e.g. “A day off”), or press “No prize”."
        summary = await anna.say("A day off")
        assert summary.plain == (
            "🏆 Contest: deals\n"
            "📅 30 November – 6 December\n"
            "📊 Ranked by % of each person's own target (vacations and a later start shrink it)\n"
            "🎁 Prize: A day off\n"
            "\n"
            "Start it?"
        )
        started = await anna.press("✅ Start")
        assert started.plain == "✅ The contest is set.\nThe group is told."
        kickoff = await group.receive()
        assert kickoff.plain == (
            "🏁 The contest starts!\n"
            "🏆 Contest: deals\n"
            "📅 30 November – 6 December\n"
            "📊 Ranked by % of each person's own target (vacations and a later start shrink it)\n"
            "🎁 Prize: A day off\n"
            "🤝 A tie shares the place; every first place gets the prize.\n"
            "\n"
            "Log as usual: every entry counts. The standing: /contest in a private chat with me."
        )
        assert await tick(kpi) == 0  # the kick-off is out already

        for _ in range(2):
            await bob.say("/deal 1000")
            await carol.say("/deal 2000")

        # Dave joins on Wednesday: his target counts from then (3 working days of 5: 3 deals).
        frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
        await join_team(kpi, dave, token, anna)
        for _ in range(3):
            await dave.say("/deal 500")
        assert (await group.receive()).plain == "🎉 Dave hit the target: 3 deals a week!"

        # Thursday 08:59 in Moscow: not yet; 09:00: the mid-way standing, once.
        frozen_clock.freeze(datetime(2026, 12, 3, 5, 59, tzinfo=UTC))
        assert await tick(kpi) == 0
        frozen_clock.freeze(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
        assert await tick(kpi) == 1
        midway = await group.receive()
        # Carol is away Thursday and Friday: her week's target is 3 deals, not 5.
        assert midway.plain == (
            "⏱ Halfway through the contest: deals. ⏳ 4 days left.\n"
            "\n"
            "🥇 Dave — 100% (3 deals of 3)\n"
            "🥈 Carol — 67% (2 deals of 3)\n"
            "🥉 Bob — 40% (2 deals of 5)"
        )
        assert await tick(kpi) == 0

        standing = await bob.say("/contest")
        assert "🥇 Dave — 100% (3 deals of 3)" in (standing.plain or "")
        assert "⏳ 4 days left." in (standing.plain or "")
        assert standing.buttons() == []  # only a manager gets the change and cancel buttons
        await carol.say("/deal 2000")
        await bob.say("/deal 1000")
        assert (await group.receive()).plain == "🎉 Carol hit the target: 3 deals a week!"
        await tg.expect_silence(group.chat_id, 0.3)

    # A restart before the end: the final result still goes out once, and nothing again.
    frozen_clock.freeze(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))  # Monday 09:00 in Moscow
    async with run_bot(tg, db_url, mode=mode) as kpi:
        assert await tick(kpi) == 1
        final = await group.receive()
        assert final.plain == (
            "🏆 The contest is over: deals, 30 November – 6 December\n"
            "🥇 The winners, sharing first place: Carol, Dave!\n"
            "🎁 Prize: A day off\n"
            "\n"
            "🥇 Carol — 100% (3 deals of 3)\n"
            "🥇 Dave — 100% (3 deals of 3)\n"
            "🥉 Bob — 60% (3 deals of 5)"
        )
        assert await tick(kpi) == 0
    async with run_bot(tg, db_url, mode=mode) as kpi:
        assert await tick(kpi) == 0
        await tg.expect_silence(group.chat_id, 0.5)
        assert await contest_keys(kpi) == [
            "contest:1:final",
            "contest:1:kickoff",
            "contest:1:midway",
        ]
        async with kpi.db.read() as session:
            contest = await session.get(Contest, 1)
            assert contest is not None
            assert (contest.running_team, contest.final_posted) == (None, True)
            assert await session.scalar(select(func.count()).select_from(Contest)) == 1
        assert (await anna.say("/contest")).plain == "🏆 A new contest. What counts?"


async def test_a_tag_contest_without_a_group_then_changed_and_cancelled(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    frozen_clock.freeze(MONDAY_NOON)
    await set_up_team(kpi, anna, bob, "Sales")

    await anna.say("/contest")
    assert (await anna.press("#tag: revenue")).plain == (
        "Send the #tag whose entries count, e.g. #avito"
    )
    refused = await anna.say("#no way")
    assert refused.plain is not None and refused.plain.endswith(
        "Send the #tag whose entries count, e.g. #avito"
    )
    assert (await anna.say("#Avito")).plain == "When?"
    assert (await anna.press("📅 Dates…")).plain == (
        "Send the first and the last day, e.g. 01.12 15.12"
    )
    assert (await anna.say("15.12 1.12")).plain == (
        "The contest ends before it starts.\nSend the first and the last day, e.g. 01.12 15.12"
    )
    # No ranking question: a #tag has no targets, so it is ranked by the total.
    prize = await anna.say("1.12 10.12")
    assert prize.plain == "Send the prize (e.g. “A day off”), or press “No prize”."
    assert "🎁 No prize: the glory" in ((await anna.press("No prize")).plain or "")
    started = await anna.press("✅ Start")
    assert started.plain == (
        "✅ The contest is set.\n"
        "No group is connected, so nobody is told: send /bindchat in the team's group."
    )
    # The group, bound later, hears of the contest at the next tick after the start.
    group = await bind_group(kpi, anna)
    frozen_clock.freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert "🏆 Contest: #avito revenue" in ((await group.receive()).plain or "")
    await bob.say("/deal 5000 #avito")
    await bob.say("/deal 7000 #other")
    await anna.say("/deal 1000 #avito")

    standing = await anna.say("/contest")
    assert standing.plain == (
        "🏆 Contest: #avito revenue\n"
        "📅 1 December – 10 December\n"
        "📊 Ranked by the total\n"
        "🎁 No prize: the glory\n"
        "🤝 A tie shares the place; every first place gets the prize.\n"
        "\n"
        "⏳ 10 days left.\n"
        "\n"
        "🥇 Bob — 5,000 ₽\n"
        "🥈 Anna — 1,000 ₽"
    )
    assert standing.buttons() == [["✏️ Change the rules"], ["❌ Cancel the contest"]]
    # The buttons re-checked on every press: an employee pressing them (forwarded) changes nothing.
    query_id = tg.press_button(anna.id, bob, "❌ Cancel the contest")
    answer = await tg.wait_callback_answer(query_id)
    assert answer.text == "⛔ Only the team's manager can do this."

    # A change: the new rules count from the first day; the group is told once.
    assert (await anna.press("✏️ Change the rules")).plain == "🏆 A new contest. What counts?"
    assert (await anna.press("Deals")).plain == "How to rank?"
    await anna.press("Total")
    summary = await anna.say("Pizza")
    assert summary.plain == (
        "🏆 Contest: deals\n"
        "📊 Ranked by the total\n"
        "🎁 Prize: Pizza\n"
        "\n"
        "Save the new rules? They count from the contest's first day."
    )
    assert (await anna.press("✅ Save")).plain == "✅ The new rules are saved."
    changed = await group.receive()
    assert (changed.plain or "").startswith("✏️ The contest's rules have changed\n🏆 Contest: deals")
    assert (await bob.say("/contest")).plain is not None
    assert "🥇 Bob — 2 deals" in ((await anna.say("/contest")).plain or "")

    # Cancel: the group is told once; the old button afterwards changes nothing.
    await anna.press("❌ Cancel the contest")
    done = await anna.press("❌ Yes, cancel it")
    assert done.plain == "The contest is cancelled; the group is told."
    cancelled = await group.receive()
    assert cancelled.plain == (
        "❌ The contest (deals, 1 December – 10 December) is cancelled: no winners."
    )
    query_id = anna.press_nowait("❌ Cancel the contest")
    assert (await tg.wait_callback_answer(query_id)).text == "That contest is over."
    frozen_clock.freeze(datetime(2026, 12, 11, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 0
    await tg.expect_silence(group.chat_id, 0.5)
    assert (await bob.say("/contest")).plain == (
        "No contest is running. Your manager can start one with /contest."
    )
    assert await contest_keys(kpi) == [
        "contest:1:cancelled",
        "contest:1:changed:2",
        "contest:1:kickoff",
    ]


async def test_every_week_runs_again_quiet_hours_hold_and_private_stats_show_no_figures(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, group = await team_with_group(kpi)
    await anna.say("/settings public off")
    await anna.say("/contest")
    await anna.press("Calls")
    await anna.press("🔁 Every week")
    await anna.press("Total")
    await anna.press("No prize")
    await anna.press("✅ Start")
    assert "🔁 Every week" in ((await group.receive()).plain or "")
    await bob.say("/call 7")

    frozen_clock.freeze(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert (await group.receive()).plain == (
        "⏱ Halfway through the contest: calls. ⏳ 4 days left.\n"
        "The standing: /contest in a private chat with me."
    )
    # Quiet hours hold the result past the report time, until they end.
    assert "Quiet hours: 08:30–09:30" in (
        (await anna.say("/settings quiet 08:30-09:30")).plain or ""
    )
    frozen_clock.freeze(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 0
    frozen_clock.freeze(datetime(2026, 12, 7, 6, 30, tzinfo=UTC))
    assert await tick(kpi) == 1  # the result; the next round's kick-off comes at the next tick
    assert (await group.receive()).plain == (
        "🏆 The contest is over: calls, 30 November – 6 December\n🥇 The winner: Bob!"
    )
    assert await tick(kpi) == 1
    assert "📅 7 December – 13 December" in ((await group.receive()).plain or "")
    assert await tick(kpi) == 0


async def test_someone_who_leaves_drops_out_and_without_a_group_the_manager_gets_the_result(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, carol = await team_of_three(kpi)
    await anna.say("/contest")
    await anna.press("Meetings")
    await anna.press("This week")
    await anna.press("Total")
    await anna.press("No prize")
    assert "No group is connected" in ((await anna.press("✅ Start")).plain or "")
    await bob.say("/meeting 2")
    await carol.say("/meeting 3")
    assert "🥇 Carol — 3 meetings\n🥈 Bob — 2 meetings" in ((await bob.say("/contest")).plain or "")

    frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await anna.say("/remove @carol")
    assert (await bob.say("/contest")).plain.endswith("\n\n🥇 Bob — 2 meetings")  # type: ignore[union-attr]

    # Two instances' ticks at once: the result is queued once, to the manager who started it.
    frozen_clock.freeze(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    mark = tg.mark()
    assert sum(await asyncio.gather(tick(kpi), tick(kpi))) == 1
    result = await tg.next_in_chat(anna.id, mark, context="the result")
    assert result.plain == (
        "🏆 The contest is over: meetings, 30 November – 6 December\n"
        "🥇 The winner: Bob!\n"
        "\n"
        "🥇 Bob — 2 meetings\n"
        "\n"
        "No group is connected, so nobody is told: send /bindchat in the team's group."
    )
    assert await tick(kpi) == 0
    await tg.expect_silence(anna.id, 0.5)
    await tg.expect_silence(bob.id, 0.1)
    assert await contest_keys(kpi) == ["contest:1:final:manager"]


async def start_contest(anna: FakeUser, metric: str, period: str) -> str | None:
    await anna.say("/contest")
    await anna.press(metric)
    await anna.press(period)
    await anna.press("Total")
    await anna.press("No prize")
    return (await anna.press("✅ Start")).plain


async def test_a_contest_set_up_past_its_middle_kicks_off_with_the_standing_and_no_halfway(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, group = await team_with_group(kpi)
    frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await bob.say("/deal 1000")
    # "This month" chosen on Monday the 21st: the middle (the 16th) is behind it.
    frozen_clock.freeze(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    assert await start_contest(anna, "Deals", "This month") == (
        "✅ The contest is set.\nThe group is told."
    )
    kickoff = await group.receive()
    assert kickoff.plain == (
        "🏁 The contest starts!\n"
        "🏆 Contest: deals\n"
        "📅 1 December – 31 December\n"
        "📊 Ranked by the total\n"
        "🎁 No prize: the glory\n"
        "🤝 A tie shares the place; every first place gets the prize.\n"
        "\n"
        "Log as usual: every entry counts. The standing: /contest in a private chat with me.\n"
        "\n"
        "⏳ 11 days left.\n"
        "\n"
        "🥇 Bob — 1 deal"
    )
    frozen_clock.freeze(datetime(2026, 12, 21, 9, 1, tzinfo=UTC))
    assert await tick(kpi) == 0  # no "Halfway" a minute after the kick-off
    frozen_clock.freeze(datetime(2026, 12, 28, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 0
    await tg.expect_silence(group.chat_id, 0.5)
    assert await contest_keys(kpi) == ["contest:1:kickoff"]


async def test_a_group_bound_past_the_middle_gets_the_kickoff_with_the_standing(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    anna = tg.user(1001, "Anna", username="anna")
    bob = tg.user(1002, "Bob", username="bob")
    frozen_clock.freeze(MONDAY_NOON)
    await set_up_team(kpi, anna, bob, "Sales")
    assert "No group is connected" in (await start_contest(anna, "Calls", "This week") or "")
    await bob.say("/call 3")
    frozen_clock.freeze(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 0  # nobody to tell: the kick-off waits for a group

    frozen_clock.freeze(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    group = await bind_group(kpi, anna)
    assert await tick(kpi) == 1
    kickoff = await group.receive()
    assert (kickoff.plain or "").startswith("🏁 The contest starts!\n🏆 Contest: calls\n")
    assert (kickoff.plain or "").endswith("\n\n⏳ 4 days left.\n\n🥇 Bob — 3 calls")
    assert await tick(kpi) == 0
    frozen_clock.freeze(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert (await group.receive()).plain == (
        "🏆 The contest is over: calls, 30 November – 6 December\n"
        "🥇 The winner: Bob!\n"
        "\n"
        "🥇 Bob — 3 calls"
    )
    assert await contest_keys(kpi) == ["contest:1:final", "contest:1:kickoff"]


async def test_after_downtime_an_every_week_contest_goes_on_with_the_current_week(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, group = await team_with_group(kpi)
    await start_contest(anna, "Calls", "🔁 Every week")
    assert "🔁 Every week" in ((await group.receive()).plain or "")
    await bob.say("/call 2")

    # Down from Monday to Thursday 24 December, 09:00: the result of the week that ended, then
    # this week's round (from Monday the 21st, past its middle), not the weeks missed.
    frozen_clock.freeze(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    await bob.say("/call 5")
    frozen_clock.freeze(datetime(2026, 12, 24, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert (await group.receive()).plain == (
        "🏆 The contest is over: calls, 30 November – 6 December\n🥇 The winner: Bob!"
        "\n\n🥇 Bob — 2 calls"
    )
    assert await tick(kpi) == 1
    kickoff = (await group.receive()).plain or ""
    assert "📅 21 December – 27 December" in kickoff
    assert kickoff.endswith("\n\n⏳ 4 days left.\n\n🥇 Bob — 5 calls")
    assert await tick(kpi) == 0
    await tg.expect_silence(group.chat_id, 0.5)
    assert await contest_keys(kpi) == [
        "contest:1:final",
        "contest:1:kickoff",
        "contest:2:kickoff",
    ]


async def test_with_private_stats_an_employee_sees_only_their_own_place(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, carol = await team_of_three(kpi)
    await anna.say("/settings public off")
    await start_contest(anna, "Calls", "This week")
    await bob.say("/call 7")
    await carol.say("/call 3")

    own = (await bob.say("/contest")).plain or ""
    assert own.startswith("🏆 Contest: calls\n📅 30 November – 6 December\n")
    assert own.endswith(
        "⏳ 7 days left.\n\n🔒 The team's figures are private; yours:\n🥇 Bob — 7 calls"
    )
    assert "Carol" not in own
    assert ((await carol.say("/contest")).plain or "").endswith("yours:\n🥈 Carol — 3 calls")
    # The manager sees everyone, as on /leaderboard; with the stats public again, so does Bob.
    assert ((await anna.say("/contest")).plain or "").endswith(
        "\n\n🥇 Bob — 7 calls\n🥈 Carol — 3 calls"
    )
    await anna.say("/settings public on")
    assert ((await bob.say("/contest")).plain or "").endswith(
        "\n\n🥇 Bob — 7 calls\n🥈 Carol — 3 calls"
    )


async def test_every_month_posts_each_round_once_and_goes_on_with_the_next_month(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MONDAY_NOON)
    anna, bob, group = await team_with_group(kpi)
    await bob.say("/deal 1000")
    # Set up on 30 November: November's round, past its middle, kicks off with the standing.
    await start_contest(anna, "Deals", "🔁 Every month")
    november = (await group.receive()).plain or ""
    assert "📅 1 November – 30 November" in november and "🔁 Every month" in november
    assert november.endswith("\n\n⏳ 1 day left.\n\n🥇 Bob — 1 deal")

    frozen_clock.freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert (await group.receive()).plain == (
        "🏆 The contest is over: deals, 1 November – 30 November\n🥇 The winner: Bob!"
        "\n\n🥇 Bob — 1 deal"
    )
    assert await tick(kpi) == 1
    december = (await group.receive()).plain or ""
    assert (
        december.startswith("🏁 The contest starts!") and "📅 1 December – 31 December" in december
    )
    assert await tick(kpi) == 0
    frozen_clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await bob.say("/deal 2000")
    await bob.say("/deal 3000")
    frozen_clock.freeze(datetime(2026, 12, 16, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert (await group.receive()).plain == (
        "⏱ Halfway through the contest: deals. ⏳ 16 days left.\n\n🥇 Bob — 2 deals"
    )
    assert await tick(kpi) == 0
    frozen_clock.freeze(datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    assert await tick(kpi) == 1
    assert "deals, 1 December – 31 December" in ((await group.receive()).plain or "")
    assert await tick(kpi) == 1
    assert "📅 1 January – 31 January" in ((await group.receive()).plain or "")
    assert await contest_keys(kpi) == [
        "contest:1:final",
        "contest:1:kickoff",
        "contest:2:final",
        "contest:2:kickoff",
        "contest:2:midway",
        "contest:3:kickoff",
    ]
