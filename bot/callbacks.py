"""Typed inline-button payloads (short prefixes: Telegram allows 64 bytes)."""

from aiogram.filters.callback_data import CallbackData


class JoinTeam(CallbackData, prefix="jn"):
    token: str
    confirm: bool


class SwitchToNewTeam(CallbackData, prefix="nt"):
    confirm: bool
