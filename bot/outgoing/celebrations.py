"""Celebrations in the team's group: recorded with the entry that crossed a target, posted at
once or, in quiet hours, when they end."""

from datetime import date, datetime

from bot.outgoing.group import group_translator
from bot.services.celebrations import quiet_now, record_crossings, take_pending, teams_with_held
from bot.services.outbox import enqueue
from bot.views.celebrations import celebration_messages
from models import EntryKind, Person, TeamInfo, UnitOfWork
from models.base import utcnow


async def celebrate_crossings(
    session: UnitOfWork, team: TeamInfo, user: Person, kind: EntryKind, today: date
) -> None:
    """After `user` logged an entry of `kind`: cheer what it crossed, in the bound group."""
    if team.chat_id is None:
        return  # nowhere to cheer: nothing is recorded
    await record_crossings(session, team, user, today)
    now = utcnow()
    if not quiet_now(team, now):
        await post_pending(session, team, now)


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
