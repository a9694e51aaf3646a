"""Services against a real, migrated SQLite file."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.entries import record_entry, undo_last_entry
from bot.services.parsing import parse_entry
from bot.services.people import TelegramProfile, sync_user
from bot.services.periods import Period
from bot.services.progress import progress_report
from bot.services.teams import JoinOutcome, create_team, join_by_invite, reset_invite
from models import Entry, EntryKind, Role, Team, User

TODAY = date(2026, 11, 25)  # a Wednesday


def profile(user_id: int, name: str, language: str = "en") -> TelegramProfile:
    return TelegramProfile(user_id, name, None, name.lower(), language)


async def make_team(session: AsyncSession) -> tuple[User, User, Team]:
    anna, _ = await sync_user(session, profile(1, "Anna"))
    bob, _ = await sync_user(session, profile(2, "Bob"))
    team = await create_team(session, anna, "Sales")
    assert team.invite_token
    result = await join_by_invite(session, bob, None, team.invite_token, confirmed=False)
    assert result.outcome is JoinOutcome.JOINED
    await session.commit()
    return anna, bob, team


async def log(session: AsyncSession, user: User, team: Team, kind: EntryKind, args: str) -> None:
    await record_entry(session, user, team, kind, parse_entry(kind, args, TODAY))


async def test_sync_user_registers_then_refreshes(session: AsyncSession) -> None:
    _user, team = await sync_user(session, profile(7, "Ivan", "ru"))
    await session.commit()
    assert team is None
    _user, _ = await sync_user(session, TelegramProfile(7, "Ivan", "P", "ivan_new", "en"))
    await session.commit()
    stored = await session.get(User, 7)
    assert stored is not None
    assert (stored.username, stored.language_code, stored.last_name) == ("ivan_new", "en", "P")


async def test_team_roles_and_invite_reset(session: AsyncSession) -> None:
    anna, bob, team = await make_team(session)
    assert (anna.role, bob.role) == (Role.MANAGER, Role.EMPLOYEE)
    assert anna.team_id == bob.team_id == team.id
    old = team.invite_token
    assert old is not None
    new = reset_invite(team)
    await session.commit()
    assert new != old and len(new) >= 22
    carl, _ = await sync_user(session, profile(3, "Carl"))
    refused = await join_by_invite(session, carl, None, old, confirmed=False)
    assert refused.outcome is JoinOutcome.UNKNOWN_LINK
    assert carl.team_id is None


async def test_switching_team_needs_confirmation_and_keeps_old_entries(
    session: AsyncSession,
) -> None:
    _anna, bob, team = await make_team(session)
    await log(session, bob, team, EntryKind.CALL, "3")
    carl, _ = await sync_user(session, profile(3, "Carl"))
    other = await create_team(session, carl, "Other")
    await session.commit()
    assert other.invite_token
    asked = await join_by_invite(session, bob, team, other.invite_token, confirmed=False)
    assert asked.outcome is JoinOutcome.NEEDS_CONFIRMATION
    assert bob.team_id == team.id
    done = await join_by_invite(session, bob, team, other.invite_token, confirmed=True)
    await session.commit()
    assert done.outcome is JoinOutcome.JOINED and bob.team_id == other.id
    old_entries = (await session.scalars(select(Entry).where(Entry.user_id == bob.id))).all()
    assert [(e.team_id, e.count) for e in old_entries] == [(team.id, 3)]
    report = await progress_report(session, bob, other, Period.DAY, TODAY)
    assert report.totals.is_empty


async def test_record_returns_running_day_total(session: AsyncSession) -> None:
    _anna, bob, team = await make_team(session)
    first = await record_entry(
        session, bob, team, EntryKind.CALL, parse_entry(EntryKind.CALL, "2", TODAY)
    )
    second = await record_entry(
        session, bob, team, EntryKind.CALL, parse_entry(EntryKind.CALL, "3 #avito", TODAY)
    )
    backdated = await record_entry(
        session, bob, team, EntryKind.CALL, parse_entry(EntryKind.CALL, "вчера", TODAY)
    )
    assert (first.day_total.count, second.day_total.count) == (2, 5)
    assert backdated.entry.business_date == date(2026, 11, 24)
    assert backdated.day_total.count == 1
    deal = await record_entry(
        session, bob, team, EntryKind.DEAL, parse_entry(EntryKind.DEAL, "15 000,50", TODAY)
    )
    assert deal.entry.amount_kopecks == 1_500_050
    assert deal.day_total.amount_kopecks == 1_500_050


async def test_undo_soft_deletes_latest_with_audit(session: AsyncSession) -> None:
    _anna, bob, team = await make_team(session)
    await log(session, bob, team, EntryKind.CALL, "2")
    await log(session, bob, team, EntryKind.LEAD, "1")
    removed = await undo_last_entry(session, bob, team)
    assert removed is not None and removed.kind is EntryKind.LEAD
    assert removed.deleted_by_id == bob.id and removed.deleted_at is not None
    rows = (await session.scalars(select(Entry).order_by(Entry.id))).all()
    assert len(rows) == 2  # kept for audit
    removed_again = await undo_last_entry(session, bob, team)
    assert removed_again is not None and removed_again.kind is EntryKind.CALL
    assert await undo_last_entry(session, bob, team) is None


async def test_progress_report_week_month_tags_and_kpis(session: AsyncSession) -> None:
    anna, bob, team = await make_team(session)
    await log(session, bob, team, EntryKind.CALL, "10 #avito")
    await log(session, bob, team, EntryKind.CALL, "5 2026-11-23")  # Monday, same week
    await log(session, bob, team, EntryKind.CALL, "7 2026-11-01")  # same month, earlier week
    await log(session, bob, team, EntryKind.LEAD, "4 #avito")
    await log(session, bob, team, EntryKind.DEAL, "15000 #avito")
    await log(session, bob, team, EntryKind.DEAL, "10000.01 repeat")
    await log(session, bob, team, EntryKind.MEETING, "2 2026-10-30")  # previous month
    await log(session, anna, team, EntryKind.CALL, "100")  # someone else
    await undo_last_entry(session, anna, team)
    await log(session, anna, team, EntryKind.CALL, "1")

    day = await progress_report(session, bob, team, Period.DAY, TODAY)
    week = await progress_report(session, bob, team, Period.WEEK, TODAY)
    month = await progress_report(session, bob, team, Period.MONTH, TODAY)
    assert (day.totals.calls, week.totals.calls, month.totals.calls) == (10, 15, 22)
    assert month.totals.meetings == 0
    assert (month.totals.leads, month.totals.deals) == (4, 2)
    assert month.totals.revenue_kopecks == 2_500_001
    assert month.totals.repeat_deals == 1
    assert month.totals.average_deal_kopecks == 1_250_001  # 12 500,005 rounded half up
    assert week.dates.start == date(2026, 11, 23) and week.dates.end == date(2026, 11, 29)
    assert list(month.by_tag) == ["avito", None]
    avito = month.by_tag["avito"]
    assert (avito.calls, avito.leads, avito.deals, avito.revenue_kopecks) == (10, 4, 1, 1_500_000)


async def test_foreign_keys_are_enforced(session_pool: async_sessionmaker[AsyncSession]) -> None:
    async with session_pool() as session:
        session.add(
            Entry(
                team_id=999,
                user_id=999,
                kind=EntryKind.CALL,
                count=1,
                business_date=TODAY,
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()
