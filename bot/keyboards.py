"""Keyboards shared by several handlers."""

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup


def quick_commands() -> ReplyKeyboardMarkup:
    """One-thumb logging: the commands a salesperson taps most, always under the input field."""
    rows = [["/call", "/meeting", "/lead"], ["/today", "/week", "/undo"]]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=text) for text in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )
