"""/help, /start and the keyboard under the input field."""

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

from bot.texts import Translator
from bot.views.paging import split_message
from models import Person


def help_text(
    t: Translator, user: Person | None, has_team: bool, dashboard: bool = False
) -> list[str]:
    """The commands, a section a paragraph; more than one message if they ever outgrow one.
    `dashboard`: whether the team dashboard is served (PUBLIC_URL set)."""
    parts = [t("help.title")]
    manager = user is not None and user.is_manager
    if has_team:
        parts.append(t("help.logging"))
        parts.append(t("help.progress"))
    else:
        parts.append(t("help.no_team"))
    if manager:
        parts.append(t("help.manager"))
    if has_team and dashboard:
        lines = [t("help.dashboard")] + ([t("help.dashboard.manager")] if manager else [])
        parts.append("\n".join(lines))
    elif manager:
        parts.append(t("help.dashboard.off"))
    general = t("help.general")
    # Teamless, /newteam is already under "Getting started".
    parts.append(t("help.another_team") + "\n" + general if has_team else general)
    return split_message(parts, separator="\n\n")


def quick_commands() -> ReplyKeyboardMarkup:
    """One-thumb logging: the commands a salesperson taps most, always under the input field."""
    rows = [["/call", "/meeting", "/lead", "/deal"], ["/today", "/week", "/undo"]]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=text) for text in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )
