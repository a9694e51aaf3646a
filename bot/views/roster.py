"""/team: the roster with roles, last activity and today's numbers."""

from zoneinfo import ZoneInfo

from bot.services.roster import RosterRow
from bot.texts import Safe, Translator
from bot.views.common import kpi_parts, quantities
from bot.views.paging import Page, page
from models import Person, Role, TeamInfo


def _today(t: Translator, row: RosterRow) -> str:
    totals = row.today
    if totals.is_empty:
        return t("roster.nothing_today")
    return ", ".join(quantities(t, totals) + kpi_parts(t, totals))


def _row(t: Translator, row: RosterRow, team: TeamInfo) -> str:
    user = row.user
    name = user.first_name + (f" (@{user.username})" if user.username else "")
    if row.last_activity is None:
        activity = t("roster.never")
    else:
        local = row.last_activity.astimezone(ZoneInfo(team.timezone))
        activity = t("roster.last", day=t.day(local.date()), time=local.strftime("%H:%M"))
    return t(
        "roster.row",
        icon="👑" if user.role is Role.MANAGER else "•",
        name=name,
        role=t(f"roster.role.{user.role.value if user.role else 'employee'}"),
        activity=activity,
        today=Safe(_today(t, row)),
    )


def roster(t: Translator, team: TeamInfo, rows: list[RosterRow], index: int) -> Page:
    """Page `index` of the roster: a big team's does not fit one message."""
    title = t("roster.title", team=team.name, people=t.plural("n_people", len(rows)))
    return page(t, title, [_row(t, row, team) for row in rows], t("roster.hint"), index)


def join_notice(t: Translator, team: TeamInfo, newcomer: Person) -> str:
    """To a manager: who joined their team."""
    name = newcomer.first_name + (f" (@{newcomer.username})" if newcomer.username else "")
    return t("join.notice", team=team.name, name=name)


def removal_notice(t: Translator, team: TeamInfo) -> str:
    """To whoever a manager removed from the team."""
    return t("remove.notice", team=team.name)
