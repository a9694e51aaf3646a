"""Inline-button payloads of /settings (short prefix: Telegram allows 64 bytes)."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class SettingsButton(StrEnum):
    WEEKDAY = "wd"  # value: the weekday (0 = Monday)
    REMINDER = "rm"  # value: hours to move by (-1 / +1)
    REPORT_DAY = "rd"  # value: days to move by (-1 / +1)
    REPORT_TIME = "rt"  # value: hours to move by (-1 / +1)
    QUIET = "qt"
    PUBLIC = "pb"


class SettingsPress(CallbackData, prefix="st"):
    """A button under the settings of `team_id`: a stale or foreign message changes nothing."""

    team_id: int
    button: SettingsButton
    value: int = 0
