"""The daily reminder: who is due now, and what to tell them."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.outbox import enqueue
from bot.services.periods import period_range
from bot.services.progress import Totals
from bot.services.standing import load_standing, team_calendar
from bot.services.targets import in_force
from bot.texts import Translator, language_for, translator
from bot.views import metric_quantity, quantities
from models import Period, Team, User
from models.entry import kind_totals
from models.user import team_members

# A reminder missed (bot down) by less than this is still sent once; later, it is skipped.
REMINDER_GRACE = timedelta(hours=1)


def local_fire_time(day_local: datetime, at: time) -> datetime:
    """`at` on that local day, in the same zone (DST-correct: the zone decides the offset)."""
    return datetime.combine(day_local.date(), at, tzinfo=day_local.tzinfo)


def is_due(now_local: datetime, at: time, grace: timedelta) -> bool:
    fire = local_fire_time(now_local, at)
    return fire <= now_local < fire + grace


async def _totals(session: AsyncSession, team: Team, user: User, start: date, end: date) -> Totals:
    totals = Totals()
    for row in await kind_totals(session, team_id=team.id, user_id=user.id, start=start, end=end):
        totals.add(row)
    return totals


async def reminder_text(
    session: AsyncSession, team: Team, user: User, now_local: datetime, t: Translator
) -> str | None:
    """The nudge, an "on track" line, or None (on track and notes turned off)."""
    today = now_local.date()
    today_totals = await _totals(session, team, user, today, today)
    parts = quantities(t, today_totals)
    numbers = ", ".join(parts) if parts else t("remind.nothing_yet")
    month = period_range(Period.MONTH, today)
    standing = await load_standing(session, team, month, user.id)
    behind = []
    for metric in standing.metrics_with_targets(user.id):
        target = in_force(standing.targets, user.id, metric, today)
        if target is None:
            continue
        dates = period_range(target.period, today)
        if dates != month:
            standing = await load_standing(session, team, dates, user.id)
        done = (await _totals(session, team, user, dates.start, dates.end)).value(metric)
        pace = standing.pace(user.id, metric, today, done)
        if pace is None or pace.days_total == 0:
            continue
        left = pace.expected_by_now - done
        if left > 0:
            behind.append(
                t(
                    "remind.left",
                    left=metric_quantity(t, metric, left),
                    target=metric_quantity(t, metric, pace.target),
                    period=t(f"remind.period.{target.period.value}"),
                )
            )
    if behind:
        lines = [t("remind.title", numbers=numbers), t("remind.to_pace"), *behind]
        return "\n".join([*lines, t("remind.commands")])
    if standing.metrics_with_targets(user.id):
        return t("remind.on_track", numbers=numbers) if user.on_track_notes else None
    return t("remind.no_targets", numbers=numbers)


async def queue_reminders(session: AsyncSession, team: Team, now: datetime) -> int:
    """Queue today's reminders that are due; idempotent per person and local day."""
    now_local = now.astimezone(ZoneInfo(team.timezone))
    today = now_local.date()
    if not team_calendar(team).is_working_day(today):
        return 0
    queued = 0
    standing = await load_standing(session, team, period_range(Period.DAY, today))
    for user in await team_members(session, team.id):
        if user.blocked_bot or not user.reminders_on:
            continue
        if not is_due(now_local, user.reminder_time or team.reminder_time, REMINDER_GRACE):
            continue
        if today in standing.days_off(user.id):
            continue
        t = translator(language_for(user.language_code))
        text = await reminder_text(session, team, user, now_local, t)
        if text is None:
            continue
        if await enqueue(session, f"remind:{user.id}:{today}", user.id, text=text, user_id=user.id):
            queued += 1
    return queued
