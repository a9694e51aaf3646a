"""/dashboard and /tv: the web-app button, and what to say when the dashboard is not served."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.texts import Translator
from models import Person


def open_button(t: Translator, url: str) -> InlineKeyboardMarkup:
    """An inline web-app button: the only launch that hands the page signed initData."""
    button = InlineKeyboardButton(text=t.plain("dashboard_bot.button"), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def not_served(t: Translator, user: Person) -> str:
    """Managers learn how to turn it on; the others, whom to ask."""
    return t("dashboard_bot.off_manager" if user.is_manager else "dashboard_bot.off")
