"""What people type into /settings and /remind, and the rules behind the buttons."""

from collections.abc import Callable
from datetime import time

import pytest

from bot.domain import ParseError
from bot.services.team_settings import (
    QUIET_OFF,
    RemindChange,
    Setting,
    apply_remind,
    apply_setting,
    in_quiet_hours,
    parse_country,
    parse_quiet,
    parse_report,
    parse_switch,
    parse_time,
    parse_weekday,
    parse_weekdays,
    quiet_hours_on,
    shift_time,
    toggle_quiet_hours,
    toggle_weekday,
)
from models import Team, User
from models.team import MONDAY_TO_FRIDAY


def a_team() -> Team:
    return Team(
        name="Sales",
        weekdays_mask=MONDAY_TO_FRIDAY,
        reminder_time=time(18),
        report_weekday=0,
        report_time=time(9),
        quiet_start=time(22),
        quiet_end=time(8),
        public_stats=True,
        country="RU",
    )


def a_user() -> User:
    return User(id=1, first_name="Bob", reminder_time=None, reminders_on=True, on_track_notes=True)


def error_code(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(ParseError) as raised:
        call(*args)
    return raised.value.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:30", time(18, 30)),
        ("9:05", time(9, 5)),
        ("09:00", time(9, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        (" 7.30 ", time(7, 30)),
    ],
)
def test_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "18", "18:5", "123:00", "6pm", "", "-1:00"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_time(text)
    assert raised.value.code == "time_of_day_invalid"
    assert raised.value.params == {"value": text.strip()}


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("mon", 0),
        ("Monday", 0),
        ("пн", 0),
        ("Понедельник", 0),
        ("wed", 2),
        ("среду", 2),
        ("Fri", 4),
        ("пт.", 4),
        ("вс", 6),
        ("sunday", 6),
        ("7", 6),
    ],
)
def test_day_names(text: str, day: int) -> None:
    assert parse_weekday(text) == day


@pytest.mark.parametrize("text", ["mo", "понед", "8", "0", "weekend", ""])
def test_unknown_day_names(text: str) -> None:
    assert error_code(parse_weekday, text) == "weekday_unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 09:00", (0, time(9))),
        ("пн 9:00", (0, time(9))),
        ("9:00 пн", (0, time(9))),
        ("Friday 17:30", (4, time(17, 30))),
    ],
)
def test_report_day_and_time(text: str, expected: tuple[int, time]) -> None:
    assert parse_report(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("mon", "report_invalid"),
        ("mon 9:00 weekly", "report_invalid"),
        ("someday 9:00", "weekday_unknown"),
        ("mon 25:00", "time_of_day_invalid"),
    ],
)
def test_bad_report(text: str, code: str) -> None:
    assert error_code(parse_report, text) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-08:00", (time(22), time(8))),
        ("23:30 - 7:00", (time(23, 30), time(7))),
        ("22:00–08:00", (time(22), time(8))),
        ("13:00-14:00", (time(13), time(14))),
        ("off", None),
        ("выкл", None),
        ("none", None),
    ],
)
def test_quiet_ranges(text: str, expected: tuple[time, time] | None) -> None:
    assert parse_quiet(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("22:00", "quiet_invalid"),
        ("22:00 08:00", "quiet_invalid"),
        ("08:00-08:00", "quiet_invalid"),
        ("on", "quiet_invalid"),
        ("22:00-31:00", "time_of_day_invalid"),
    ],
)
def test_bad_quiet_ranges(text: str, code: str) -> None:
    assert error_code(parse_quiet, text) == code


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("mon-fri", 0b0011111),
        ("пн-сб", 0b0111111),
        ("monday-friday", 0b0011111),
        ("mon,wed,fri", 0b0010101),
        ("1-7", 0b1111111),
        ("sun", 0b1000000),
    ],
)
def test_weekday_sets(text: str, mask: int) -> None:
    assert parse_weekdays(text) == mask


@pytest.mark.parametrize("text", ["fri-mon", "mon-", "mon-tue-wed", "", ",", "holidays"])
def test_bad_weekday_sets(text: str) -> None:
    assert error_code(parse_weekdays, text) == "weekdays_invalid"


@pytest.mark.parametrize(
    ("text", "on"), [("on", True), ("ВКЛ", True), ("да", True), ("off", False), ("выкл", False)]
)
def test_switches(text: str, on: bool) -> None:
    assert parse_switch(text) is on


def test_country() -> None:
    assert parse_country("kz") == "KZ"
    assert parse_country("none") is None
    assert error_code(parse_country, "XX") == "country_unknown"


def test_apply_setting_changes_only_valid_values() -> None:
    team = a_team()
    apply_setting(team, Setting.REMINDER, "18:30")
    apply_setting(team, Setting.REPORT, "пт 17:00")
    apply_setting(team, Setting.PUBLIC, "выкл")
    assert (team.reminder_time, team.report_weekday, team.report_time) == (
        time(18, 30),
        4,
        time(17),
    )
    assert team.public_stats is False
    with pytest.raises(ParseError):
        apply_setting(team, Setting.REPORT, "mon 24:00")
    assert (team.report_weekday, team.report_time) == (4, time(17))
    apply_setting(team, Setting.QUIET, "off")
    assert not quiet_hours_on(team)
    apply_setting(team, Setting.QUIET, "23:00-07:00")
    assert (team.quiet_start, team.quiet_end) == (time(23), time(7))


def test_shift_time_goes_around_the_clock() -> None:
    assert shift_time(time(18), 1) == time(19)
    assert shift_time(time(23, 30), 1) == time(0, 30)
    assert shift_time(time(0, 15), -1) == time(23, 15)


def test_the_last_working_day_stays() -> None:
    assert toggle_weekday(MONDAY_TO_FRIDAY, 5) == 0b0111111
    assert toggle_weekday(MONDAY_TO_FRIDAY, 0) == 0b0011110
    assert toggle_weekday(0b0000100, 2) is None


def test_quiet_hours_window_and_toggle() -> None:
    team = a_team()
    assert in_quiet_hours(team, time(23)) and in_quiet_hours(team, time(7, 59))
    assert not in_quiet_hours(team, time(8)) and not in_quiet_hours(team, time(21, 59))
    team.quiet_start, team.quiet_end = time(13), time(14)
    assert in_quiet_hours(team, time(13, 30)) and not in_quiet_hours(team, time(14))
    toggle_quiet_hours(team)
    assert (team.quiet_start, team.quiet_end) == QUIET_OFF and not quiet_hours_on(team)
    assert not any(in_quiet_hours(team, time(hour)) for hour in range(24))
    toggle_quiet_hours(team)
    assert (team.quiet_start, team.quiet_end) == (time(22), time(8))


def test_remind_arguments() -> None:
    user = a_user()
    assert apply_remind(user, "19:30") is RemindChange.TIME
    assert (user.reminder_time, user.reminders_on) == (time(19, 30), True)
    assert apply_remind(user, "OFF") is RemindChange.OFF and user.reminders_on is False
    assert apply_remind(user, "вкл") is RemindChange.ON and user.reminders_on is True
    assert apply_remind(user, "ontrack off") is RemindChange.ON_TRACK_OFF
    assert user.on_track_notes is False
    assert apply_remind(user, "notes on") is RemindChange.ON_TRACK_ON and user.on_track_notes
    apply_remind(user, "off")
    assert apply_remind(user, "team") is RemindChange.TEAM_TIME
    assert (user.reminder_time, user.reminders_on) == (None, True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("25:00", "time_of_day_invalid"),
        ("7pm", "time_of_day_invalid"),
        ("later", "remind_unknown"),
        ("ontrack", "remind_unknown"),
        ("19:30 daily", "remind_unknown"),
        ("ontrack maybe", "switch_invalid"),
    ],
)
def test_bad_remind_arguments_change_nothing(text: str, code: str) -> None:
    user = a_user()
    user.reminder_time = time(17)
    assert error_code(apply_remind, user, text) == code
    assert (user.reminder_time, user.reminders_on, user.on_track_notes) == (time(17), True, True)
