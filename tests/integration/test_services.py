"""Services against a real, migrated database (SQLite and PostgreSQL)."""

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import parse_entry
from bot.services.people import TelegramProfile, sync_sender
from bot.services.periods import DateRange, Period
from bot.services.progress import day_reads, progress_report
from bot.services.roster import RoleChange, remove_member
from bot.services.standing import load_standing
from bot.services.targets import parse_target_command, set_target
from bot.services.teams import JoinOutcome, create_team, join_by_invite, reset_invite
from models import Entry, EntryKind, Metric, Person, Role, TeamInfo, UnitOfWork, User
from models.database import Database
from models.user import person_by_id
from tests.people import back_then, join, new_team, register, reread

TODAY = date(2026, 11, 25)  # a Wednesday


async def make_team(database: Database) -> tuple[Person, Person, TeamInfo]:
    """Anna manages Sales, Bob joined it; committed."""
    async with database.write() as session:
        await register(session, 1, "Anna", username="anna")
        await register(session, 2, "Bob", username="bob")
        team = await new_team(session, 1, "Sales")
        assert team.invite_token
        result = await join_by_invite(session, 2, team.invite_token, confirmed=False)
        assert result.outcome is JoinOutcome.JOINED
    async with database.read() as session:
        anna = await person_by_id(session, 1)
        bob = await person_by_id(session, 2)
    assert anna is not None and bob is not None
    return anna, bob, team


async def log(
    session: UnitOfWork, user: Person, team: TeamInfo, kind: EntryKind, args: str
) -> None:
    await record_entry(session, user.id, team.id, kind, parse_entry(kind, args, TODAY))


async def test_sync_user_registers_then_refreshes(database: Database) -> None:
    person, team = await sync_sender(
        database, TelegramProfile(7, "Ivan", None, "ivan", "ru"), in_private=True
    )
    assert team is None
    assert (person.id, person.username, person.language_code) == (7, "ivan", "ru")
    await sync_sender(database, TelegramProfile(7, "Ivan", "P", "ivan_new", "en"), in_private=True)
    async with database.read() as session:
        stored = await session.get(User, 7)
    assert stored is not None
    assert (stored.username, stored.language_code, stored.last_name) == ("ivan_new", "en", "P")


async def test_team_roles_and_invite_reset(database: Database) -> None:
    anna, bob, team = await make_team(database)
    assert (anna.role, bob.role) == (Role.MANAGER, Role.EMPLOYEE)
    assert anna.team_id == bob.team_id == team.id
    old = team.invite_token
    assert old is not None
    async with database.write() as session:
        new = await reset_invite(session, team.id)
    assert new != old and len(new) >= 22
    async with database.read() as session:
        assert (await reread(session, team)).invite_token == new
    async with database.write() as session:
        await register(session, 3, "Carl", username="carl")
        refused = await join_by_invite(session, 3, old, confirmed=False)
    assert refused.outcome is JoinOutcome.UNKNOWN_LINK
    async with database.read() as session:
        carl = await person_by_id(session, 3)
    assert carl is not None and carl.team_id is None


async def test_switching_team_needs_confirmation_and_keeps_old_entries(
    database: Database,
) -> None:
    _anna, bob, team = await make_team(database)
    async with database.write() as session:
        await log(session, bob, team, EntryKind.CALL, "3")
        await register(session, 3, "Carl", username="carl")
        other = await new_team(session, 3, "Other")
    assert other.invite_token
    async with database.write() as session:
        asked = await join_by_invite(session, bob.id, other.invite_token, confirmed=False)
    assert asked.outcome is JoinOutcome.NEEDS_CONFIRMATION
    async with database.read() as session:
        still = await person_by_id(session, bob.id)
    assert still is not None and still.team_id == team.id
    async with database.write() as session:
        done = await join_by_invite(
            session, bob.id, other.invite_token, confirmed=True, leaving=team.id
        )
    assert done.outcome is JoinOutcome.JOINED
    async with database.read() as session:
        moved = await person_by_id(session, bob.id)
        assert moved is not None and moved.team_id == other.id
        old_entries = (await session.scalars(select(Entry).where(Entry.user_id == bob.id))).all()
        assert [(e.team_id, e.count) for e in old_entries] == [(team.id, 3)]
        report = await progress_report(session, bob, other, Period.DAY, TODAY)
    assert report.totals.is_empty


async def test_record_returns_running_day_total(database: Database) -> None:
    _anna, bob, team = await make_team(database)
    async with database.write() as session:
        first = await record_entry(
            session, bob.id, team.id, EntryKind.CALL, parse_entry(EntryKind.CALL, "2", TODAY)
        )
        second = await record_entry(
            session,
            bob.id,
            team.id,
            EntryKind.CALL,
            parse_entry(EntryKind.CALL, "3 #avito", TODAY),
        )
        backdated = await record_entry(
            session, bob.id, team.id, EntryKind.CALL, parse_entry(EntryKind.CALL, "вчера", TODAY)
        )
        assert (first.day_total.count, second.day_total.count) == (2, 5)
        assert backdated.entry.business_date == date(2026, 11, 24)
        assert backdated.day_total.count == 1
        deal = await record_entry(
            session,
            bob.id,
            team.id,
            EntryKind.DEAL,
            parse_entry(EntryKind.DEAL, "15 000,50", TODAY),
        )
        assert deal.entry.amount_kopecks == 1_500_050
        assert deal.day_total.amount_kopecks == 1_500_050


async def test_undo_soft_deletes_latest_with_audit(database: Database) -> None:
    _anna, bob, team = await make_team(database)
    async with database.write() as session:
        await log(session, bob, team, EntryKind.CALL, "2")
        await log(session, bob, team, EntryKind.LEAD, "1")
    async with database.write() as session:
        removed = await undo_last_entry(session, bob.id, team.id)
    assert removed is not None and removed.kind is EntryKind.LEAD
    assert removed.deleted_by_id == bob.id and removed.deleted_at is not None
    async with database.read() as session:
        rows = (await session.scalars(select(Entry).order_by(Entry.id))).all()
    assert len(rows) == 2  # kept for audit
    assert [(row.kind, row.deleted_by_id) for row in rows] == [
        (EntryKind.CALL, None),
        (EntryKind.LEAD, bob.id),
    ]
    async with database.write() as session:
        removed_again = await undo_last_entry(session, bob.id, team.id)
    assert removed_again is not None and removed_again.kind is EntryKind.CALL
    async with database.write() as session:
        assert await undo_last_entry(session, bob.id, team.id) is None


async def test_progress_report_week_month_tags_and_kpis(database: Database) -> None:
    anna, bob, team = await make_team(database)
    async with database.write() as session:
        await log(session, bob, team, EntryKind.CALL, "10 #avito")
        await log(session, bob, team, EntryKind.CALL, "5 2026-11-23")  # Monday, same week
        await log(session, bob, team, EntryKind.CALL, "7 2026-11-01")  # same month, earlier week
        await log(session, bob, team, EntryKind.LEAD, "4 #avito")
        await log(session, bob, team, EntryKind.DEAL, "15000 #avito")
        await log(session, bob, team, EntryKind.DEAL, "10000.01 repeat")
        await log(session, bob, team, EntryKind.MEETING, "2 2026-10-30")  # previous month
        await log(session, anna, team, EntryKind.CALL, "100")  # someone else
        await undo_last_entry(session, anna.id, team.id)
        await log(session, anna, team, EntryKind.CALL, "1")

    async with database.read() as session:
        day = await progress_report(session, bob, team, Period.DAY, TODAY)
        week = await progress_report(session, bob, team, Period.WEEK, TODAY)
        month = await progress_report(session, bob, team, Period.MONTH, TODAY)
    assert (day.totals.calls, week.totals.calls, month.totals.calls) == (10, 15, 22)
    assert month.totals.meetings == 0
    assert (month.totals.leads, month.totals.deals) == (4, 2)
    assert month.totals.revenue_kopecks == 2_500_001
    assert month.totals.repeat_deals == 1
    assert month.totals.average_deal == Fraction(2_500_001, 2)  # exact: 12 500,005 ₽
    assert week.dates.start == date(2026, 11, 23) and week.dates.end == date(2026, 11, 29)
    assert list(month.by_tag) == ["avito", None]
    avito = month.by_tag["avito"]
    assert (avito.calls, avito.leads, avito.deals, avito.revenue_kopecks) == (10, 4, 1, 1_500_000)


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.write() as session:
            session.add(
                Entry(
                    team_id=999,
                    user_id=999,
                    kind=EntryKind.CALL,
                    count=1,
                    business_date=TODAY,
                )
            )
            await session.flush()
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Entry)) == 0


async def test_the_days_read_reports_as_the_period_report_with_older_targets_about(
    database: Database,
) -> None:
    """/today reads the person's targets since the streak's first month: a meetings target
    that ended in October and a calls target changed this month must not show on the day."""
    anna, bob, team = await make_team(database)
    october = date(2026, 10, 14)
    async with database.write() as session:
        for args in ("meetings 20", "calls 100"):
            await set_target(session, team.id, anna.id, parse_target_command(args), None, october)
        await set_target(
            session, team.id, anna.id, parse_target_command("meetings off"), None, TODAY
        )
        await set_target(session, team.id, anna.id, parse_target_command("calls 200"), None, TODAY)
        await log(session, bob, team, EntryKind.CALL, "10 #avito")
        await log(session, bob, team, EntryKind.CALL, "3")
        await log(session, bob, team, EntryKind.MEETING, "2 2026-11-02")
    async with database.read() as session:
        ordinary = await progress_report(session, bob, team, Period.DAY, TODAY)
        day, streak = await session.one(day_reads(bob, team, TODAY))
    assert day == ordinary
    assert list(day.paces) == [Metric.CALLS]
    assert (day.totals.calls, list(day.by_tag)) == (13, ["avito", None])
    assert streak.on_day(bob.id, date(2026, 11, 2)).meetings == 2


async def test_a_plan_counts_the_days_someone_was_in_the_team(database: Database) -> None:
    """Dan is removed from Sales on Wednesday 25 November, Carl moves from Sales to a team of
    his own the same day: in Sales's November their days after that are off, before it on."""
    anna, _bob, team = await make_team(database)
    november = DateRange(date(2026, 11, 1), date(2026, 11, 30))
    async with database.write() as session:
        await register(session, 3, "Carl")
        await register(session, 4, "Dan")
        carl, dan = await join(session, 3, team), await join(session, 4, team)
        await set_target(session, team.id, anna.id, parse_target_command("calls 200"), None, TODAY)
        with back_then(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)):
            assert await remove_member(session, team.id, anna.id, dan.id) is RoleChange.DONE
            assert isinstance(await create_team(session, 3, "Carl's", leaving=team.id), TeamInfo)
    async with database.read() as session:
        standing = await load_standing(session, team, november)
        gone = [await person_by_id(session, person_id) for person_id in (dan.id, carl.id)]
    after = {date(2026, 11, day) for day in range(26, 31)}
    for person in gone:
        assert person is not None and person.left_on == date(2026, 11, 25)
        assert after <= standing.days_off(person)
        assert not {date(2026, 11, 24), date(2026, 11, 25)} & standing.days_off(person)
    # November has 20 working days; the 26th, 27th and 30th were after they left.
    assert standing.target(gone[0], Metric.CALLS) == Fraction(200 * 17, 20)
    assert standing.target(gone[1], Metric.CALLS) == Fraction(200 * 17, 20)
