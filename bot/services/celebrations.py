"""Celebrating crossed targets in the team's group: once per (person or team, metric, period),
held through quiet hours and then posted together in one outbox message."""

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.outbox import enqueue
from bot.services.periods import DateRange, period_range
from bot.services.progress import Totals
from bot.services.standing import Standing, load_standing
from bot.services.targets import in_force
from bot.services.team_settings import in_quiet_hours
from bot.texts import Safe, Translator, language_for, translator
from bot.views import metric_quantity
from models import Celebration, Metric, Period, Role, Target, Team, User
from models.base import utcnow
from models.entry import team_kind_totals
from models.target import team_targets
from models.user import team_members

TEAM_SUBJECT = 0  # Celebration.subject of a team-wide target
# Held longer than any quiet window (a bot that was down, a chat unbound and bound again):
# too late to cheer, so it is dropped instead of posted.
STALE_AFTER = timedelta(hours=24)
MAX_MESSAGE_CHARS = 4000  # Telegram's limit is 4096; a long night's list is split below it


def quiet_now(team: Team, now: datetime) -> bool:
    return in_quiet_hours(team, now.astimezone(ZoneInfo(team.timezone)).time())


@dataclass
class _PeriodData:
    """A team's targets and everyone's totals over one period, loaded once per check."""

    standing: Standing
    totals: dict[int, Totals] = field(default_factory=dict)

    def done(self, user_id: int, metric: Metric) -> int:
        totals = self.totals.get(user_id)
        return totals.value(metric) if totals else 0


async def _period_data(
    session: AsyncSession, team: Team, dates: DateRange, cache: dict[DateRange, _PeriodData]
) -> _PeriodData:
    if dates not in cache:
        data = _PeriodData(await load_standing(session, team, dates))
        rows = await team_kind_totals(session, team_id=team.id, start=dates.start, end=dates.end)
        for row in rows:
            data.totals.setdefault(row.user_id, Totals()).add(row.total)
        cache[dates] = data
    return cache[dates]


async def _celebrate(
    session: AsyncSession,
    team: Team,
    subject: int,
    name: str,
    metric: Metric,
    period: Period,
    dates: DateRange,
    target: int,
) -> None:
    """Insert the celebration unless this (subject, metric, period) already had one."""
    existing = await session.scalar(
        select(Celebration.id).where(
            Celebration.team_id == team.id,
            Celebration.subject == subject,
            Celebration.metric == metric,
            Celebration.period == period,
            Celebration.period_start == dates.start,
        )
    )
    if existing is not None:
        return
    # The check and the insert share one transaction (SQLite: BEGIN IMMEDIATE, bot/db.py); the
    # savepoint keeps a concurrent duplicate on another database from failing the whole update.
    with suppress(IntegrityError):
        async with session.begin_nested():
            session.add(
                Celebration(
                    team_id=team.id,
                    subject=subject,
                    metric=metric,
                    period=period,
                    period_start=dates.start,
                    target=target,
                    name=name[:128],
                    created_at=utcnow(),
                )
            )


def _team_period(
    targets: list[Target], members: list[User], metric: Metric, today: date
) -> Period | None:
    """The period of the team-wide target: the team default's, else the one all members share.

    None when someone has no target for the metric (the team sum would be meaningless).
    """
    rows = [in_force(targets, member.id, metric, today) for member in members]
    if not members or any(row is None for row in rows):
        return None
    default = in_force(targets, None, metric, today)
    if default is not None:
        return default.period
    periods = {row.period for row in rows if row is not None}
    return periods.pop() if len(periods) == 1 else None


async def _record_crossings(session: AsyncSession, team: Team, user: User, today: date) -> None:
    """Add a Celebration for each target of `user`, and of the team, now crossed; flush only."""
    targets = await team_targets(session, team.id, today, today)
    members = await team_members(session, team.id)
    cache: dict[DateRange, _PeriodData] = {}
    for metric in Metric:
        own = in_force(targets, user.id, metric, today)
        if own is not None:
            dates = period_range(own.period, today)
            data = await _period_data(session, team, dates, cache)
            target = data.standing.target(user.id, metric)
            if target and data.done(user.id, metric) >= target:
                await _celebrate(
                    session, team, user.id, user.first_name, metric, own.period, dates, target
                )
        period = _team_period(targets, members, metric, today)
        if period is None:
            continue
        dates = period_range(period, today)
        data = await _period_data(session, team, dates, cache)
        # Current members only, on both sides: their targets against their work.
        team_target = sum(data.standing.target(m.id, metric) or 0 for m in members)
        done = sum(data.done(m.id, metric) for m in members)
        if team_target and done >= team_target:
            await _celebrate(
                session, team, TEAM_SUBJECT, team.name, metric, period, dates, team_target
            )


async def check_crossings(session: AsyncSession, team: Team, user: User, today: date) -> bool:
    """After `user`'s entry was committed: celebrate what it crossed, in the bound group.

    Outside quiet hours everything pending is queued at once; the caller commits and wakes
    the outbox when this returns True. Without a bound group nothing is recorded.
    """
    if team.chat_id is None:
        return False
    await _record_crossings(session, team, user, today)
    now = utcnow()
    if quiet_now(team, now):
        return False
    return await flush_team(session, team, now) > 0


async def group_language(session: AsyncSession, team: Team) -> str:
    """A group has no language: it hears the team's first manager's (only managers bind)."""
    code = await session.scalar(
        select(User.language_code)
        .where(User.team_id == team.id, User.role == Role.MANAGER)
        .order_by(User.id)
        .limit(1)
    )
    return language_for(code)


def celebration_line(t: Translator, celebration: Celebration) -> str:
    if celebration.metric is Metric.REVENUE:
        amount = t("celebrate.revenue", amount=t.money(celebration.target))
    else:
        amount = metric_quantity(t, celebration.metric, celebration.target)
    key = "celebrate.team" if celebration.subject == TEAM_SUBJECT else "celebrate.person"
    return t(
        key,
        name=celebration.name,
        target=Safe(amount),
        period=t(f"per.{celebration.period.value}"),
    )


def _chunks(lines: list[str]) -> list[list[str]]:
    """Lines grouped into messages that stay under Telegram's length limit."""
    chunks: list[list[str]] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-16-le")) // 2 + 1  # Telegram counts UTF-16 units
        if not chunks or size + length > MAX_MESSAGE_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += length
    return chunks


async def flush_team(session: AsyncSession, team: Team, now: datetime) -> int:
    """Queue the team's unposted celebrations as one message to its group; flush only.

    Returns how many messages were queued (more than one only past Telegram's length limit).
    """
    if team.chat_id is None:
        return 0
    pending = list(
        await session.scalars(
            select(Celebration)
            .where(Celebration.team_id == team.id, Celebration.posted.is_(False))
            .order_by(Celebration.id)
        )
    )
    if not pending:
        return 0
    for celebration in pending:
        celebration.posted = True  # queued below, or too old to be news
    fresh = [c for c in pending if now - c.created_at < STALE_AFTER]
    t = translator(await group_language(session, team))
    queued = 0
    first = 0  # index in `fresh` of the chunk's first celebration: names its dedup key
    for chunk in _chunks([celebration_line(t, c) for c in fresh]):
        key = f"celebrate:{team.id}:{fresh[first].id}"
        queued += await enqueue(session, key, team.chat_id, text="\n".join(chunk), not_before=now)
        first += len(chunk)
    await session.flush()
    return queued


async def flush_due(session: AsyncSession, now: datetime) -> int:
    """Post what quiet hours held, for every bound team now outside them; the caller commits
    and wakes the outbox. Returns how many messages were queued."""
    teams = await session.scalars(
        select(Team)
        .where(
            Team.chat_id.is_not(None),
            Team.id.in_(select(Celebration.team_id).where(Celebration.posted.is_(False))),
        )
        .order_by(Team.id)
    )
    queued = 0
    for team in list(teams):
        if not quiet_now(team, now):
            queued += await flush_team(session, team, now)
    return queued
