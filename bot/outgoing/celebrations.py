"""Celebrations: recorded with the entry that crossed a target (the TV banner reads them), and
posted to the team's group, if it has one, at once or, in quiet hours, when they end."""

from collections.abc import Iterable
from datetime import date, datetime

from bot.outgoing.group import group_translator
from bot.services.celebrations import quiet_now, record_crossings, take_pending, teams_with_held
from bot.services.outbox import enqueue
from bot.services.periods import local_date
from bot.views.celebrations import celebration_messages
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team import team_by_id
from models.tv_link import tv_secret
from models.user import person_by_id


async def celebrate_crossings(
    session: UnitOfWork, team: TeamInfo, user: Person, today: date, *, screens: bool
) -> None:
    """After `user` logged an entry (by hand or through a connection): record what it crossed,
    and cheer it in the bound group. Recorded only where someone will see it: a bound group, or
    the banner of the team's TV link when the dashboard is served (`screens`); working out a
    team's crossings is most of a /call's cost."""
    if team.chat_id is None and not (screens and await tv_secret(session, team.id) is not None):
        return
    await record_crossings(session, team, user, today)
    now = utcnow()
    if team.chat_id is not None and not quiet_now(team, now):
        await post_pending(session, team, now)


async def celebrate_applied(session: UnitOfWork, changed: Iterable[tuple[int, int]]) -> None:
    """After a connection's events logged entries for these (team id, user id): the same (the
    connections come through the web server, which serves the dashboard too)."""
    now = utcnow()
    for team_id, user_id in sorted(changed):
        team, user = await team_by_id(session, team_id), await person_by_id(session, user_id)
        if team is not None and user is not None and user.team_id == team_id:
            today = local_date(now, team.timezone)
            await celebrate_crossings(session, team, user, today, screens=True)


async def post_pending(session: UnitOfWork, team: TeamInfo, now: datetime) -> int:
    """Queue the team's unposted celebrations to its group; how many messages were queued
    (more than one only past Telegram's length limit)."""
    if team.chat_id is None:
        return 0
    pending = await take_pending(session, team, now)
    if not pending:
        return 0
    t = await group_translator(session, team)
    queued = 0
    for first_id, text in celebration_messages(t, pending):
        key = f"celebrate:{team.id}:{first_id}"
        queued += await enqueue(session, key, team.chat_id, text=text, not_before=now)
    return queued


async def post_held(session: UnitOfWork, now: datetime) -> int:
    """What quiet hours held, for every bound team now outside them."""
    queued = 0
    for team in await teams_with_held(session):
        if not quiet_now(team, now):
            queued += await post_pending(session, team, now)
    return queued
