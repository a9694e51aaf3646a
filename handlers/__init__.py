"""All routers, in the order they are tried; the catch-all comes last."""

from aiogram import Router

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

ROUTERS: tuple[Router, ...] = (
    errors.router,
    common.router,
    start.router,
    team.router,
    team.manager_router,
    activity.router,
    progress.router,
    targets.router,
    targets.manager_router,
    vacations.router,
    leaderboard.router,
    roster.router,
    team_settings.router,
    entry_log.router,
    export.router,
    group.router,
    charts.manager_router,
    charts.router,
    charts.no_team_router,
    remind.router,
    fallback.router,
)


def routers() -> list[Router]:
    """The routers, detached from any previous dispatcher.

    A router attaches to one parent at a time and aiogram has no public detach; a process that
    builds a second dispatcher (a restart in tests) must release them first.
    """
    for router in ROUTERS:
        parent = router.parent_router
        if parent is not None:
            parent.sub_routers.remove(router)
            router._parent_router = None
    return list(ROUTERS)
