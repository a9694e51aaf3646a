"""The routers, as a tree built anew by `setup()` for each dispatcher.

    errors
    private chats
      members (in a team)
        logging, progress          — the commands people send most, tried first
        managers: invite, targets, leaderboard, roster, settings, team chart
        targets, vacations, /log, export, chart, reminders
        a manager's command from a member -> "only the manager"
      /help and /cancel, /start, /newteam
      a team command from someone in no team -> "not in a team"; unknown; anything else
    groups: /bindchat, /unbindchat, the bot added or removed

Role checks are filters on the branches; a catch-all sits last on its branch, and the command
lists they answer are read from the branches themselves.
"""

from aiogram import Router

from bot.filters import InTeam, IsManager, PrivateChat
from handlers import (
    activity,
    charts,
    common,
    entry_log,
    errors,
    export,
    fallback,
    group,
    leaderboard,
    progress,
    remind,
    roster,
    start,
    targets,
    team,
    team_settings,
    vacations,
)


def managers() -> Router:
    branch = Router(name="managers")
    branch.message.filter(IsManager())
    branch.include_routers(
        team.manager(),
        targets.manager(),
        leaderboard.manager(),
        roster.manager(),
        team_settings.manager(),
        charts.manager(),
    )
    return branch


def members() -> Router:
    branch = Router(name="members")
    branch.message.filter(InTeam())
    manager_branch = managers()
    branch.include_routers(
        activity.setup(),
        progress.setup(),
        manager_branch,
        targets.setup(),
        vacations.setup(),
        entry_log.setup(),
        export.setup(),
        charts.setup(),
        remind.setup(),
        fallback.for_members(manager_branch),
    )
    return branch


def private_chats() -> Router:
    branch = Router(name="private")
    branch.message.filter(PrivateChat())
    member_branch = members()
    branch.include_routers(
        member_branch,
        common.setup(),
        start.setup(),
        team.setup(),
        fallback.for_everyone(member_branch),
    )
    return branch


def setup() -> Router:
    root = Router(name="root")
    root.include_routers(errors.setup(), private_chats(), group.setup())
    return root
