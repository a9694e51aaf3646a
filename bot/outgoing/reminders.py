"""Queueing the daily reminders that are due now, once per person and local day."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.outbox import enqueue
from bot.services.periods import period_range
from bot.services.reminders import due_members, reminder_standing
from bot.services.standing import load_standing, team_calendar
from bot.services.streaks import last_day_over, person_streak
from bot.texts import language_for, translator
from bot.views.reminders import reminder
from models import Period, TeamInfo, UnitOfWork
from models.team_rewards import team_rewards
from models.user import team_members


async def queue_reminders(session: UnitOfWork, team: TeamInfo, now: datetime) -> int:
    now_local = now.astimezone(ZoneInfo(team.timezone))
    today = now_local.date()
    if not team_calendar(team).is_working_day(today):
        return 0
    members = await team_members(session, team.id)
    standing = await load_standing(session, team, period_range(Period.DAY, today))
    off = {user.id: today in standing.days_off(user) for user in members}
    queued = 0
    due = due_members(team, members, now_local, off)
    streaks_on = bool(due) and (await team_rewards(session, team.id)).streaks_on
    for user in due:
        streak = await person_streak(session, team, user, last_day_over(today)) if streaks_on else 0
        text = reminder(
            translator(language_for(user.language_code)),
            await reminder_standing(session, team, user, today),
            user.on_track_notes,
            streak,
        )
        if text is None:
            continue
        if await enqueue(session, f"remind:{user.id}:{today}", user.id, text=text, user_id=user.id):
            queued += 1
    return queued
