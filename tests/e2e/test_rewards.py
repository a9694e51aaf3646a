"""Streaks, records and the daily digest as a team meets them (issue 13, items 2-4).

December 2026 in Moscow; the team is set up on Tuesday the 1st and has no targets unless a test
sets some, so a day keeps a streak when something was logged on it. Working days: 1-4, 7-11.
Quiet hours 22:00-08:00; the digest at 09:30 (the defaults).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Achievement, ClosedDay, Entry, EntryKind, OutboxMessage
from models.base import Clock
from scheduler.jobs import run_reminders, run_rewards
from tests.e2e.conftest import RunningBot
from tests.e2e.test_numbers import text
from tests.e2e.test_walkthrough import invite_token, join_team, set_up_team
from tests.fake_telegram import FakeGroup, FakeTelegram, FakeUser
from tests.people import back_then, month_start

LEASE = timedelta(minutes=3)
WORKING_DAYS = [1, 2, 3, 4, 7]  # the first five working days of December 2026


def moscow(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Europe/Moscow"))


async def rewards_tick(kpi: RunningBot, clock: Clock, moment: datetime) -> int:
    clock.freeze(moment)
    queued = await run_rewards(kpi.db, "test", LEASE, kpi.outbox.wake)
    kpi.outbox.wake()
    return queued


async def team_with_group(
    kpi: RunningBot, clock: Clock
) -> tuple[FakeUser, FakeUser, FakeUser, FakeGroup]:
    """Anna manages Bob and Carl (all since 1 December); the team's group is bound."""
    clock.freeze(moment := moscow(1, 10))
    anna = kpi.tg.user(1001, "Anna", username="anna")
    bob = kpi.tg.user(1002, "Bob", username="bob")
    carl = kpi.tg.user(1003, "Carl", username="carl")
    token = await set_up_team(kpi, anna, bob, "Sales")
    with back_then(month_start(moment)):
        await join_team(kpi, carl, token, anna)
    group = kpi.tg.group(-100500, "Sales chat")
    kpi.tg.add_bot_to_group(group, anna)
    await group.receive()
    await group.say(anna, "/bindchat")
    return anna, bob, carl, group


async def crm_deal(kpi: RunningBot, user_id: int, day: date) -> None:
    """A deal that came from elsewhere (a CRM): no Telegram message behind it."""
    async with kpi.db.write() as session:
        session.add(
            Entry(
                team_id=1, user_id=user_id, kind=EntryKind.DEAL, count=1,
                amount_kopecks=50_000_00, business_date=day, source="amocrm",
                created_at=datetime.combine(day, time(12), ZoneInfo("Europe/Moscow")),
            )
        )  # fmt: skip


def group_limits_only(tg: FakeTelegram) -> None:
    """Telegram's limits on, but for private chats: a person typing fast is answered at
    once (the replies' own retries are another test's); the group's 20 a minute holds."""
    tg.per_chat_per_second = 1000
    tg.enforce_limits = True


async def group_posts(kpi: RunningBot, group: FakeGroup) -> list[str]:
    return [text(m) for m in kpi.tg.chat_messages(group.chat_id)]


async def digests(kpi: RunningBot) -> list[str]:
    async with kpi.db.read() as session:
        rows = await session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like("digest:%"))
        )
        return list(rows)


async def five_days_of_calls(kpi: RunningBot, clock: Clock, person: FakeUser) -> list[int]:
    """One /call at noon on each of the first five working days, each day closed after
    midnight; the ids of the log messages."""
    ids = []
    for day in WORKING_DAYS:
        clock.freeze(moscow(day, 12))
        reply = await person.say("/call")
        ids.append(reply.message_id - 1)  # the person's own message, just before the reply
        await rewards_tick(kpi, clock, moscow(day + 1, 0, 5))
    return ids


async def closed_days(kpi: RunningBot) -> list[date]:
    """The days the scheduler has looked at for small wins."""
    async with kpi.db.read() as session:
        return list(await session.scalars(select(ClosedDay.day).order_by(ClosedDay.day)))


async def test_a_five_day_streak_gets_a_reaction_a_digest_line_and_shows_in_today(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    _anna, bob, carl, group = await team_with_group(kpi, frozen_clock)
    group_limits_only(tg)
    # Carl's deal came from the CRM: no message of his to react to, so the digest only.
    await crm_deal(kpi, carl.id, date(2026, 12, 7))
    ids = await five_days_of_calls(kpi, frozen_clock, bob)

    # Closed at 00:05 on the 8th, in quiet hours: nothing is set or posted before 08:00.
    await tg.expect_silence(group.chat_id)
    assert tg.reactions == {}
    await rewards_tick(kpi, frozen_clock, moscow(8, 8, 1))
    await tg.wait_for_request("setMessageReaction")
    assert tg.reactions == {(bob.id, ids[-1]): "🔥"}
    await tg.expect_silence(group.chat_id)  # the digest waits for 09:30

    mark = tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 30))
    post = await tg.next_in_chat(group.chat_id, mark)
    assert text(post) == (
        "✨ Small wins\n🔥 Bob: 5 working days in a row on pace\n"
        "🎉 Carl: first deal of December 2026"
    )

    # Once: again, and as another instance would after a restart (state is in the database).
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 31))
    await rewards_tick(kpi, frozen_clock, moscow(8, 12))
    await tg.expect_silence(group.chat_id)
    assert await digests(kpi) == ["digest:1:2026-12-08"]
    async with kpi.db.read() as session:
        wins = list(await session.scalars(select(Achievement)))
    assert sorted((w.kind, w.value, str(w.day)) for w in wins) == [
        ("first_deal", 1, "2026-12-07"),
        ("streak", 5, "2026-12-07"),
    ]
    assert tg.reactions == {(bob.id, ids[-1]): "🔥"}
    assert tg.stats["429"] == 0

    frozen_clock.freeze(moscow(8, 12))
    today = await bob.say("/today")
    assert "🔥 5 working days in a row on pace" in text(today)
    frozen_clock.freeze(moscow(8, 18))
    mark = tg.mark()
    await run_reminders(kpi.db, "test", LEASE, kpi.outbox.wake)
    reminder = await tg.next_in_chat(bob.id, mark)
    assert text(reminder).endswith(
        "🔥 5 working days in a row on pace: keep today on pace and it is day 6 in a row."
    ), text(reminder)


async def test_a_burst_of_wins_makes_one_digest_beside_the_celebrations(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    anna, bob, carl, group = await team_with_group(kpi, frozen_clock)
    group_limits_only(tg)
    frozen_clock.freeze(moscow(1, 11))
    await anna.say("/target deals 2")
    await anna.say("/target calls 10")
    # A first day with something, so that the 2nd can beat it.
    for person in (bob, carl):
        await person.say("/call")
    await rewards_tick(kpi, frozen_clock, moscow(2, 0, 5))

    frozen_clock.freeze(moscow(2, 12))
    deal_ids = {}
    for person in (bob, carl):
        first = await person.say("/deal 10000")
        deal_ids[person.id] = first.message_id - 1
        await person.say("/deal 20000")
        await person.say("/deal 30000")
        await person.say("/call 12")
    # A first deal of the month is marked at once, on the message that logged it.
    await tg.wait_for_request("setMessageReaction", lambda r: r.params["chat_id"] == carl.id)
    assert {tg.reactions.get((p, m)) for p, m in deal_ids.items()} == {"🎉"}

    await rewards_tick(kpi, frozen_clock, moscow(3, 0, 5))
    await rewards_tick(kpi, frozen_clock, moscow(3, 9, 30))
    # After the celebrations still queued for the group, a second apart.
    digest = await tg.wait_for(
        lambda m: m.chat_id == group.chat_id and "✨" in (m.plain or ""), timeout=30
    )
    await rewards_tick(kpi, frozen_clock, moscow(3, 9, 31))
    await tg.expect_silence(group.chat_id)
    # Besides the digest, the group heard only the targets crossed, each at once.
    posts = await group_posts(kpi, group)
    others = [p for p in posts if "✨" not in p and "bindchat" not in p and "Hi!" not in p]
    assert len(posts) - len(others) - 2 == 1, posts
    assert all("hit the" in p for p in others), others
    assert "🎉 Carl hit the target: 2 deals a month!" in others
    lines = text(digest).split("\n")
    assert lines[0] == "✨ Small wins"
    for name in ("Bob", "Carl"):
        assert f"🎉 {name}: first deal of December 2026" in lines
        assert f"💯 {name}: a monthly target met for the first time (Deals)" in lines
        assert f"💯 {name}: a monthly target met for the first time (Calls)" in lines
        assert f"🏆 {name}: best day yet, 12 calls" in lines
    # No deal the day before: a first day with deals is no record.
    assert len(lines) == 1 + 2 * 4, lines
    assert tg.stats["429"] == 0


async def test_turned_off_nothing_is_marked_or_posted(kpi: RunningBot, frozen_clock: Clock) -> None:
    tg = kpi.tg
    anna, bob, _carl, group = await team_with_group(kpi, frozen_clock)
    for setting in ("streaks off", "records off", "digest off"):
        saved = await anna.say(f"/settings {setting}")
        assert "Saved" in text(saved) or "saved" in text(saved), text(saved)
    panel = text(await anna.say("/settings"))
    assert "Streaks: off\nRecords: off\nDaily digest of small wins: off" in panel
    await five_days_of_calls(kpi, frozen_clock, bob)
    frozen_clock.freeze(moscow(8, 11))
    await bob.say("/deal 5000")
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 30))
    await rewards_tick(kpi, frozen_clock, moscow(8, 12))
    await tg.expect_silence(group.chat_id)
    assert tg.reactions == {}
    assert await digests(kpi) == []
    today = await bob.say("/today")
    assert "in a row" not in text(today)


async def test_the_digest_time_is_the_managers_and_bad_input_changes_nothing(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    anna, _bob, _carl, _group = await team_with_group(kpi, frozen_clock)
    bad = text(await anna.say("/settings digest 25:00"))
    assert "“25:00” is not a time of day" in bad
    assert "Daily digest of small wins: at 09:30" in text(await anna.say("/settings"))
    saved = text(await anna.say("/settings digest 19:00"))
    assert "Daily digest of small wins: at 19:00" in saved
    panel = await anna.say("/settings")
    pressed = await anna.press("✨ Digest +1h")
    assert "Daily digest of small wins: at 20:00" in text(pressed), panel


async def test_with_public_stats_off_the_digest_goes_to_the_managers(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    anna, bob, _carl, group = await team_with_group(kpi, frozen_clock)
    await anna.say("/settings public off")
    await five_days_of_calls(kpi, frozen_clock, bob)
    mark = kpi.tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 30))
    digest = await kpi.tg.next_in_chat(anna.id, mark)
    assert text(digest) == "✨ Small wins\n🔥 Bob: 5 working days in a row on pace"
    await kpi.tg.expect_silence(group.chat_id)


async def test_russian_streaks_are_counted_in_proper_plurals(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    anna, bob, _carl, _group = await team_with_group(kpi, frozen_clock)
    ivan = kpi.tg.user(1005, "Иван", username="ivan", language_code="ru")
    token = invite_token(text(await anna.say("/invite")))
    with back_then(month_start(moscow(1, 10))):
        await join_team(kpi, ivan, token, anna)
    for day, expected in ((7, "1 рабочий день"), (8, "2 рабочих дня"), (9, "3 рабочих дня")):
        frozen_clock.freeze(moscow(day, 12))
        await ivan.say("/call")
        frozen_clock.freeze(moscow(day + 1, 12))
        assert f"🔥 {expected} подряд в темпе" in text(await ivan.say("/today"))
    # Bob logged nothing: no streak to show him.
    assert "in a row" not in text(await bob.say("/today"))


async def test_a_digest_time_in_quiet_hours_goes_out_when_they_end(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    anna, bob, _carl, group = await team_with_group(kpi, frozen_clock)
    saved = text(await anna.say("/settings digest 23:00"))
    assert "Daily digest of small wins: at 23:00, in quiet hours: it goes out at 08:00" in saved
    await five_days_of_calls(kpi, frozen_clock, bob)
    await rewards_tick(kpi, frozen_clock, moscow(7, 23))
    await kpi.tg.expect_silence(group.chat_id)
    mark = kpi.tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(8, 8))
    digest = await kpi.tg.next_in_chat(group.chat_id, mark)
    assert text(digest) == "✨ Small wins\n🔥 Bob: 5 working days in a row on pace"
    await rewards_tick(kpi, frozen_clock, moscow(8, 23))
    await kpi.tg.expect_silence(group.chat_id)
    assert await digests(kpi) == ["digest:1:2026-12-08"]


async def test_days_missed_by_the_scheduler_are_looked_at_in_order(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    _anna, bob, _carl, group = await team_with_group(kpi, frozen_clock)
    for day in (1, 2, 3, 4, 7):
        frozen_clock.freeze(moscow(day, 12))
        await bob.say("/call")
    frozen_clock.freeze(moscow(8, 12))
    await bob.say("/call 10")
    await rewards_tick(kpi, frozen_clock, moscow(2, 0, 5))
    # The scheduler missed every night from the 3rd to the 15th (down, or a clock jump):
    # the 7th's fifth day in a row, the 8th's best day and the week of the 7th are not lost.
    mark = kpi.tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(15, 9, 30))
    digest = await kpi.tg.next_in_chat(group.chat_id, mark)
    assert text(digest) == (
        "✨ Small wins\n🔥 Bob: 5 working days in a row on pace\n"
        "🏆 Bob: best day yet, 10 calls\n🏆 Bob: best week yet, 11 calls\n"
        "🏆 Team «Sales»: best week yet, 11 calls"
    )
    await rewards_tick(kpi, frozen_clock, moscow(15, 9, 31))
    await kpi.tg.expect_silence(group.chat_id)
    assert await closed_days(kpi) == [date(2026, 12, day) for day in range(1, 15)]


async def test_a_long_outage_looks_back_two_weeks_at_most(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    await team_with_group(kpi, frozen_clock)
    await rewards_tick(kpi, frozen_clock, moscow(2, 0, 5))
    await rewards_tick(kpi, frozen_clock, moscow(31, 0, 5))
    assert await closed_days(kpi) == [date(2026, 12, 1)] + [
        date(2026, 12, day) for day in range(17, 31)
    ]


async def test_a_first_deal_from_the_crm_marks_none_of_the_persons_messages(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    _anna, _bob, carl, group = await team_with_group(kpi, frozen_clock)
    frozen_clock.freeze(moscow(7, 12))
    await carl.say("/call")
    await crm_deal(kpi, carl.id, date(2026, 12, 7))
    await rewards_tick(kpi, frozen_clock, moscow(8, 0, 5))
    mark = tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 30))
    digest = await tg.next_in_chat(group.chat_id, mark)
    assert text(digest) == "✨ Small wins\n🎉 Carl: first deal of December 2026"
    await tg.expect_silence(carl.id, 0.5)
    assert tg.reactions == {}


async def test_a_day_logged_late_still_earns_its_streak_step(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    tg = kpi.tg
    _anna, bob, _carl, group = await team_with_group(kpi, frozen_clock)
    for day in WORKING_DAYS[:4]:
        frozen_clock.freeze(moscow(day, 12))
        await bob.say("/call")
        await rewards_tick(kpi, frozen_clock, moscow(day + 1, 0, 5))
    await rewards_tick(kpi, frozen_clock, moscow(8, 0, 5))  # the 7th closed with nothing
    # Bob logs Monday's call on Tuesday morning: Monday is his fifth working day in a row.
    frozen_clock.freeze(moscow(8, 9))
    late = await bob.say("/call yesterday")
    mark = tg.mark()
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 30))
    digest = await tg.next_in_chat(group.chat_id, mark)
    assert text(digest) == "✨ Small wins\n🔥 Bob: 5 working days in a row on pace"
    await tg.wait_for_request("setMessageReaction")
    assert tg.reactions == {(bob.id, late.message_id - 1): "🔥"}
    await rewards_tick(kpi, frozen_clock, moscow(8, 9, 31))
    await tg.expect_silence(group.chat_id)
    assert await closed_days(kpi) == [date(2026, 12, day) for day in range(1, 8)]


async def test_a_best_month_is_found_when_the_month_is_over(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    _anna, bob, _carl, _group = await team_with_group(kpi, frozen_clock)
    november = date(2026, 11, 20)
    async with kpi.db.write() as session:  # from before the bot (imported)
        session.add(
            Entry(
                team_id=1, user_id=bob.id, kind=EntryKind.CALL, count=4, business_date=november,
                created_at=datetime.combine(november, time(12), ZoneInfo("Europe/Moscow")),
            )
        )  # fmt: skip
    frozen_clock.freeze(moscow(1, 12))
    await bob.say("/call 3")
    frozen_clock.freeze(moscow(21, 12))
    await bob.say("/call 2")
    await rewards_tick(kpi, frozen_clock, moscow(30, 0, 5))

    async def months() -> list[tuple[str, int, date]]:
        async with kpi.db.read() as session:
            wins = await session.scalars(
                select(Achievement).where(Achievement.kind == "best_month")
            )
            return [(w.name, w.value, w.day) for w in wins]

    assert await months() == []  # December is not over yet
    await rewards_tick(kpi, frozen_clock, moscow(31, 23, 59))
    assert await months() == []
    frozen_clock.freeze(datetime(2027, 1, 1, 0, 5, tzinfo=ZoneInfo("Europe/Moscow")))
    await run_rewards(kpi.db, "test", LEASE, kpi.outbox.wake)
    assert await months() == [("Bob", 5, date(2026, 12, 1))]
