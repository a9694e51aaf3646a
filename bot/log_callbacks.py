"""Inline-button payloads of /log (short prefix: Telegram allows 64 bytes)."""

from aiogram.filters.callback_data import CallbackData


class DeleteEntry(CallbackData, prefix="lgd"):
    """❌ under a /log list: the entry itself says whose log and which day to redraw."""

    entry_id: int
