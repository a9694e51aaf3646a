"""Small wins, quietly: a reaction on the person's own log message at once (after quiet
hours), and one digest a day in the team's group at the time the manager picked."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.outgoing.group import group_translator
from bot.services.achievements import Win, close_day, record_wins, take_for_digest
from bot.services.celebrations import quiet_now
from bot.services.outbox import enqueue
from bot.services.reminders import local_fire_time
from bot.services.reward_settings import digest_send_time
from bot.services.standing import team_calendar
from bot.services.team_settings import quiet_hours_on
from bot.views.rewards import digest, reaction
from models import Role, TeamInfo, UnitOfWork
from models.outbox import queued_keys
from models.team_rewards import Rewards
from models.user import team_members


class DigestTaken(Exception):
    """Another unit of work queued this digest first: this one's marks are rolled back."""


def after_quiet_hours(team: TeamInfo, now: datetime) -> datetime:
    """`now`, or when the team's quiet hours end if they hold now."""
    if not quiet_hours_on(team) or not quiet_now(team, now):
        return now
    now_local = now.astimezone(ZoneInfo(team.timezone))
    end = local_fire_time(now_local, team.quiet_end)
    if end <= now_local:
        end = local_fire_time(now_local + timedelta(days=1), team.quiet_end)
    return end


async def react(session: UnitOfWork, team: TeamInfo, wins: Iterable[Win], now: datetime) -> int:
    """A reaction on each win's log message (one per message: the first win marks it)."""
    not_before = after_quiet_hours(team, now)
    queued = 0
    for win in wins:
        if win.user_id is None or win.message_id is None:
            continue  # nothing to react to (a team's win, an entry from a CRM): digest only
        queued += await enqueue(
            session,
            f"react:{win.user_id}:{win.message_id}",
            win.user_id,
            user_id=win.user_id,
            reaction=reaction(win.kind),
            message_id=win.message_id,
            not_before=not_before,
        )
    return queued


async def note_logged_wins(
    session: UnitOfWork, team: TeamInfo, rewards: Rewards, wins: list[Win], now: datetime
) -> int:
    """Record what a logged entry won and react to it."""
    if not wins:
        return 0
    return await react(session, team, await record_wins(session, team, rewards, wins), now)


async def close_team_day(
    session: UnitOfWork, team: TeamInfo, rewards: Rewards, day: date, now: datetime
) -> int:
    """Find the wins of `day` (once), and react to them."""
    return await react(session, team, await close_day(session, team, rewards, day), now)


def digest_due(team: TeamInfo, rewards: Rewards, now: datetime) -> date | None:
    """The local day whose digest may go now: a working day of the team (a weekend's wins
    wait for Monday's), from the digest time on (the end of quiet hours if it falls inside
    them), outside quiet hours."""
    if not rewards.digest_on:
        return None
    now_local = now.astimezone(ZoneInfo(team.timezone))
    send_at = local_fire_time(now_local, digest_send_time(team, rewards))
    if now_local < send_at or quiet_now(team, now):
        return None
    if not team_calendar(team).is_working_day(now_local.date()):
        return None
    return now_local.date()


async def post_digest(
    session: UnitOfWork, team: TeamInfo, rewards: Rewards, day: date, now: datetime
) -> int:
    """The day's one digest: to the group when the team's numbers are public, else to its
    managers. Exactly once per team and day: the outbox key decides, and a unit of work that
    finds it taken rolls its marks back (DigestTaken)."""
    chats: list[tuple[str, int]] = []
    if team.chat_id is not None and team.public_stats:
        chats.append((f"digest:{team.id}:{day}", team.chat_id))
    elif team.chat_id is not None:
        managers = [m for m in await team_members(session, team.id) if m.role is Role.MANAGER]
        chats += [(f"digest:{team.id}:{day}:{m.id}", m.id) for m in managers if not m.blocked_bot]
    if not chats:
        return 0  # no group bound: wins keep for when one is
    if await queued_keys(session, [key for key, _ in chats]):
        return 0  # today's went out: later wins wait for tomorrow's
    wins = await take_for_digest(session, team, day, now)
    if not wins:
        return 0
    text = digest(await group_translator(session, team), wins)
    for key, chat_id in chats:
        user_id = chat_id if chat_id > 0 else None
        if not await enqueue(session, key, chat_id, text=text, user_id=user_id, not_before=now):
            raise DigestTaken(key)
    return len(chats)
