"""What the team dashboard shows that the chat does not already compute: the board ranked by
share of target, the #tags over a period, a person's last days, the crossings since a moment,
and the team's TV link. Facts only; `bot.dashboard.views` shapes them for the page."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import select

from bot.domain import Totals
from bot.services.leaderboard import Leaderboard, Ranked
from bot.services.periods import DateRange
from models import Celebration, Entry, EntryKind, TeamInfo, UnitOfWork
from models.entry import TOTAL_COLUMNS, KindTotal
from models.tv_link import keep_tv_secret, replace_tv_secret

# A person's recent days, as the dashboard draws them.
RECENT_DAYS = 30
# At most this many crossings per refresh: a wall screen cheers the latest.
CELEBRATIONS_SHOWN = 20
TV_SECRET_BYTES = 16  # 22 URL-safe characters


def recent_days(today: date) -> DateRange:
    return DateRange(today - timedelta(days=RECENT_DAYS - 1), today)


def last_week(today: date) -> DateRange:
    """The week before this one (Monday to Sunday): what the Monday report covers."""
    monday = today - timedelta(days=today.weekday() + 7)
    return DateRange(monday, monday + timedelta(days=6))


def share(row: Ranked) -> Fraction | None:
    return Fraction(row.value) / row.target if row.target else None


def ranked_by_share(board: Leaderboard) -> list[Ranked]:
    """People with a target by the share of it they have done (fair to someone who joined
    mid-month: their target counts from the day they joined), then the others by value."""

    def key(row: Ranked) -> tuple[int, Fraction, str, int]:
        found = share(row)
        if found is None:
            return (1, Fraction(-row.value), row.user.first_name.casefold(), row.user.id)
        return (0, -found, row.user.first_name.casefold(), row.user.id)

    return sorted(board.rows, key=key)


@dataclass(frozen=True, slots=True)
class TagTotal:
    tag: str
    totals: Totals


async def tag_totals(
    session: UnitOfWork, team: TeamInfo, dates: DateRange, user_id: int | None = None
) -> list[TagTotal]:
    """Calls, meetings, leads, deals and revenue per #tag over `dates` (as the chat's per-tag
    lines count them): the team's, or one person's; most revenue first, then most deals."""
    query = (
        select(Entry.tag, Entry.kind, *TOTAL_COLUMNS)
        .where(
            Entry.team_id == team.id,
            Entry.business_date.between(dates.start, dates.end),
            Entry.tag.is_not(None),
            Entry.deleted_at.is_(None),
        )
        .group_by(Entry.tag, Entry.kind)
    )
    if user_id is not None:
        query = query.where(Entry.user_id == user_id)
    by_tag: dict[str, Totals] = {}
    for tag, kind, count, amount, repeat in await session.execute(query):
        totals = by_tag.setdefault(str(tag), Totals())
        totals.add(KindTotal(EntryKind(kind), tag, int(count), int(amount), int(repeat)))
    rows = [TagTotal(tag, totals) for tag, totals in by_tag.items()]
    rows.sort(
        key=lambda row: (
            -row.totals.revenue_kopecks,
            -row.totals.deals,
            -(row.totals.leads + row.totals.meetings + row.totals.calls),
            row.tag,
        )
    )
    return rows


async def celebrations_since(
    session: UnitOfWork, team: TeamInfo, since: datetime, *, people: bool
) -> list[Celebration]:
    """Targets crossed after `since`, oldest first (the latest few); the team's own only,
    unless `people` (the team's stats are public)."""
    query = (
        select(Celebration)
        .where(Celebration.team_id == team.id, Celebration.created_at > since)
        .order_by(Celebration.created_at.desc(), Celebration.id.desc())
        .limit(CELEBRATIONS_SHOWN)
    )
    if not people:
        query = query.where(Celebration.subject == 0)
    return list(reversed((await session.scalars(query)).all()))


async def tv_link_secret(session: UnitOfWork, team: TeamInfo, *, reset: bool) -> str:
    """The secret the team's TV link is signed with: the one in force, or a new one that
    revokes the old link (`reset`)."""
    if reset:
        secret = secrets.token_urlsafe(TV_SECRET_BYTES)
        await replace_tv_secret(session, team.id, secret)
        return secret
    return await keep_tv_secret(session, team.id, secrets.token_urlsafe(TV_SECRET_BYTES))
