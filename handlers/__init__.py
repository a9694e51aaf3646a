"""The routers, as a tree built anew by `setup()` for each dispatcher.

    members, in private: logging and progress first (what people send most; /undo and a
        deal's amount right after them), then targets, vacations, /log, export, chart,
        reminders, bonus, /contest, /dashboard
      managers: invite, targets, leaderboard, roster, settings, team chart, bonus scheme, /tv,
        connections
      a manager's command from a member -> "only the manager"
    everyone, in private: /help and /cancel, /start, /newteam; a group's command -> "send it in
        the group"; a team command from someone in no team -> "not in a team"; unknown
        commands; anything else
    groups: /bindchat, /unbindchat, the bot added or removed; the private chat's commands ->
        a pointer there (at most one a minute per group)
    buttons nobody answered (outdated or forged): a short notice
    errors: the last line of defence

Role checks are filters on the branches; a catch-all sits last on its branch, and the command
lists they answer are read from the branches themselves. The tree is shallow on purpose: every
level an update passes costs it a filter check and aiogram's middleware wrapping.
"""

from aiogram import Router

from bot.filters import IsManager, PrivateChat, PrivateMember
from handlers import (
    activity,
    bonus,
    charts,
    common,
    connections,
    contests,
    dashboard,
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
    for feature in (
        team,
        targets,
        leaderboard,
        roster,
        team_settings,
        charts,
        bonus,
        dashboard,
        connections,
    ):
        feature.register_managers(branch)
    return branch


def members() -> Router:
    branch = Router(name="members")
    branch.message.filter(PrivateMember())
    activity.register(branch)
    progress.register(branch)
    activity.register_after_reports(branch)
    for feature in (
        targets,
        vacations,
        entry_log,
        export,
        charts,
        remind,
        bonus,
        contests,
        dashboard,
    ):
        feature.register(branch)
    manager_branch = managers()
    branch.include_routers(manager_branch, fallback.for_members(manager_branch))
    return branch


def everyone(member_branch: Router) -> Router:
    branch = Router(name="everyone")
    branch.message.filter(PrivateChat())
    for feature in (common, start, team):
        feature.register(branch)
    group.register_private(branch)
    fallback.register_last(branch, member_branch)
    return branch


def setup() -> list[Router]:
    """The dispatcher's routers, in the order they are tried."""
    member_branch = members()
    everyone_branch = everyone(member_branch)
    private_commands = ("start", *fallback.commands_of([member_branch, everyone_branch]))
    return [
        member_branch,
        everyone_branch,
        group.setup(private_commands),
        fallback.for_buttons(),
        errors.setup(),
    ]
