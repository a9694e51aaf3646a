"""/dashboard: the team dashboard (a Mini App) from the private chat; /tv (manager): the
read-only link for the office screen, /tv reset revokes it."""

from aiogram import Bot, Router
from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import LinkPreviewOptions, Message

from bot.dashboard.auth import tv_token
from bot.filters import Command
from bot.middlewares import WRITES
from bot.services.dashboard import tv_link_secret
from bot.texts import Translator
from bot.views import dashboard as views
from models import Person, TeamInfo, UnitOfWork


async def open_dashboard(
    message: Message, t: Translator, user: Person, dashboard_url: str | None = None
) -> SendMessage:
    if dashboard_url is None:
        return message.answer(views.not_served(t, user))
    return message.answer(t("dashboard_bot.open"), reply_markup=views.open_button(t, dashboard_url))


async def tv_link(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    bot: Bot,
    t: Translator,
    user: Person,
    team: TeamInfo,
    dashboard_url: str | None = None,
) -> SendMessage:
    argument = (command.args or "").strip().lower()
    if argument not in ("", "reset"):
        return message.answer(t("dashboard_bot.tv_usage"))
    if dashboard_url is None:
        return message.answer(views.not_served(t, user))
    secret = await tv_link_secret(session, team, reset=argument == "reset")
    link = f"{dashboard_url}tv/{tv_token(bot.token, team.id, secret)}"
    key = "dashboard_bot.tv_reset" if argument == "reset" else "dashboard_bot.tv_link"
    return message.answer(
        t(key, team=team.name, link=link), link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(open_dashboard, Command("dashboard"))


def register_managers(router: Router) -> None:
    """Managers, in private."""
    router.message.register(tv_link, Command("tv"), flags=WRITES)
