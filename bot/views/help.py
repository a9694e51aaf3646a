"""/help, /start and the keyboard under the input field."""

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

from bot.texts import Translator
from bot.views.paging import split_message
from models import Person


def help_text(t: Translator, user: Person | None, has_team: bool) -> list[str]:
    """The commands, a section a paragraph; more than one message if they ever outgrow one."""
    parts = [t("help.title")]
    if has_team:
        parts.append(t("help.logging"))
        parts.append(t("help.progress"))
    else:
        parts.append(t("help.no_team"))
    if user is not None and user.is_manager:
        parts.append(t("help.manager"))
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
