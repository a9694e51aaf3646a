"""A team's choices about small wins (/settings streaks|records|digest and their buttons)."""

from collections.abc import Callable
from datetime import time

from bot.domain import ParseError, ParseErrorCode
from bot.services.team_settings import (
    SWITCH_WORDS,
    Setting,
    in_quiet_hours,
    parse_switch,
    parse_time,
    quiet_hours_on,
    shift_time,
)
from models import TeamInfo, TeamRewards, UnitOfWork
from models.team import lock_teams
from models.team_rewards import DEFAULT_DIGEST_TIME, Rewards, rewards_of


def digest_send_time(team: TeamInfo, rewards: Rewards) -> time:
    """When the digest goes out: its time, or the end of quiet hours when the time falls inside
    them (a digest at 23:00 with quiet hours 22-08 would otherwise never go)."""
    if quiet_hours_on(team) and in_quiet_hours(team, rewards.digest_time):
        return team.quiet_end
    return rewards.digest_time


def apply_reward_setting(row: TeamRewards, setting: Setting, value: str) -> None:
    """`streaks on|off`, `records on|off`, `digest on|off|19:00` (a time turns it on)."""
    if setting is Setting.STREAKS:
        row.streaks_on = parse_switch(value)
    elif setting is Setting.RECORDS:
        row.records_on = parse_switch(value)
    elif setting is Setting.DIGEST:
        if value.strip().lower() in SWITCH_WORDS:
            row.digest_on = parse_switch(value)
        else:
            row.digest_time, row.digest_on = parse_time(value), True
    else:
        raise ParseError(ParseErrorCode.SWITCH_INVALID, value=value.strip()[:32])


def toggle_streaks(row: TeamRewards) -> None:
    row.streaks_on = not row.streaks_on


def toggle_records(row: TeamRewards) -> None:
    row.records_on = not row.records_on


def toggle_digest(row: TeamRewards) -> None:
    row.digest_on = not row.digest_on


def move_digest(row: TeamRewards, hours: int) -> None:
    row.digest_time = shift_time(row.digest_time, hours)


async def change_rewards(
    session: UnitOfWork, team_id: int, change: Callable[[TeamRewards], None]
) -> Rewards:
    """Apply `change` to the team's row (made with the defaults if it has none); the team's
    row is locked first, so two managers' changes never both make one. Bad input (ParseError)
    changes nothing."""
    await lock_teams(session, team_id)
    row = await session.get(TeamRewards, team_id, populate_existing=True)
    if row is None:
        row = TeamRewards(
            team_id=team_id,
            streaks_on=True,
            records_on=True,
            digest_on=True,
            digest_time=DEFAULT_DIGEST_TIME,
        )
        change(row)  # raises before anything is added
        session.add(row)
    else:
        try:
            change(row)
        except BaseException:
            session.expire(row)
            raise
    await session.flush()
    return rewards_of(row)
