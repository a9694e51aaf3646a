"""Team settings and personal reminder choices: parsing what people type, and the rules.

Parsing and the rules are pure functions (no texts): problems are `ParseError`s whose codes the
views render as `error.<code>`. `change_team` and `change_reminder` apply them in a unit of work.
"""

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

from bot.domain import ParseError, ParseErrorCode
from bot.services.pace import is_known_country
from models import Person, Team, TeamInfo, UnitOfWork, User
from models.team import info_of
from models.user import PERSON_COLUMNS

_DAY_NAMES: tuple[tuple[str, ...], ...] = (
    ("mon", "monday", "пн", "пон", "понедельник"),
    ("tue", "tues", "tuesday", "вт", "вторник"),
    ("wed", "wednesday", "ср", "среда", "среду"),
    ("thu", "thur", "thurs", "thursday", "чт", "четверг"),
    ("fri", "friday", "пт", "пятница", "пятницу"),
    ("sat", "saturday", "сб", "суббота", "субботу"),
    ("sun", "sunday", "вс", "воскресенье"),
)
WEEKDAY_WORDS: dict[str, int] = {
    **{name: day for day, names in enumerate(_DAY_NAMES) for name in names},
    **{str(day + 1): day for day in range(7)},
}
NO_COUNTRY_WORDS = frozenset({"none", "off", "нет"})
SWITCH_WORDS: dict[str, bool] = {
    **dict.fromkeys(("on", "yes", "вкл", "да"), True),
    **dict.fromkeys(("off", "no", "выкл", "нет"), False),
}
# `22:00-08:00`, `22.00 – 8.00`: phones turn "-" into a dash, people type "." for ":".
_TIME_RE = re.compile(r"(\d{1,2})[:.](\d{2})")
_RANGE_RE = re.compile(r"\s*(\S+?)\s*[-–—]\s*(\S+)\s*")
QUIET_OFF_WORDS = frozenset({*(word for word, on in SWITCH_WORDS.items() if not on), "none"})
DEFAULT_QUIET_HOURS = (time(22, 0), time(8, 0))
QUIET_OFF = (time(0), time(0))  # an empty window
_MAX_ECHO = 32
ON_TRACK_WORDS = frozenset({"ontrack", "on-track", "notes"})
TEAM_TIME_WORDS = frozenset({"team", "default", "команда", "общее"})


class Setting(StrEnum):
    """What `/settings <name> <value>` can change."""

    COUNTRY = "country"
    WORKDAYS = "workdays"
    REMINDER = "reminder"
    REPORT = "report"
    QUIET = "quiet"
    PUBLIC = "public"
    STREAKS = "streaks"
    RECORDS = "records"
    DIGEST = "digest"


# Kept in the team's TeamRewards row (bot.services.reward_settings), not in the team's own.
REWARD_SETTINGS = frozenset({Setting.STREAKS, Setting.RECORDS, Setting.DIGEST})

SETTING_WORDS: dict[str, Setting] = {
    **dict.fromkeys(("country", "страна", "calendar", "календарь"), Setting.COUNTRY),
    **dict.fromkeys(("workdays", "weekdays", "дни"), Setting.WORKDAYS),
    **dict.fromkeys(("reminder", "remind", "напоминание"), Setting.REMINDER),
    **dict.fromkeys(("report", "отчёт", "отчет"), Setting.REPORT),
    **dict.fromkeys(("quiet", "тишина"), Setting.QUIET),
    **dict.fromkeys(("public", "stats", "статистика"), Setting.PUBLIC),
    **dict.fromkeys(("streaks", "streak", "серии", "серия"), Setting.STREAKS),
    **dict.fromkeys(("records", "record", "рекорды"), Setting.RECORDS),
    **dict.fromkeys(("digest", "сводка", "итоги"), Setting.DIGEST),
}


def _echo(text: str) -> str:
    return text.strip()[:_MAX_ECHO]


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str:
    """The canonical IANA name (case-insensitive input)."""
    name = _zones_by_lower_name().get(text.strip().lower())
    if name is None:
        raise ParseError(ParseErrorCode.TIMEZONE_UNKNOWN, value=text.strip()[:64])
    return name


def parse_country(text: str) -> str | None:
    code = text.strip().upper()
    if code.lower() in NO_COUNTRY_WORDS or text.strip().lower() in NO_COUNTRY_WORDS:
        return None
    if not is_known_country(code):
        raise ParseError(ParseErrorCode.COUNTRY_UNKNOWN, value=text.strip()[:16])
    return code


def parse_weekdays(text: str) -> int:
    """`mon-fri`, `пн-сб`, `1-5`, `mon,wed,fri` -> a bit mask (bit 0 = Monday)."""
    mask = 0
    for part in text.replace(" ", "").lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(end not in WEEKDAY_WORDS for end in ends):
            raise ParseError(ParseErrorCode.WEEKDAYS_INVALID, value=text.strip()[:32])
        first, last = WEEKDAY_WORDS[ends[0]], WEEKDAY_WORDS[ends[-1]]
        if last < first:
            raise ParseError(ParseErrorCode.WEEKDAYS_INVALID, value=text.strip()[:32])
        for day in range(first, last + 1):
            mask |= 1 << day
    if not mask:
        raise ParseError(ParseErrorCode.WEEKDAYS_INVALID, value=text.strip()[:32])
    return mask


def parse_time(text: str) -> time:
    """`9:30`, `09:30`, `18.00` -> a time of day, 00:00 to 23:59."""
    match = _TIME_RE.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ParseError(ParseErrorCode.TIME_OF_DAY_INVALID, value=_echo(text))
    return time(int(match[1]), int(match[2]))


def parse_weekday(text: str) -> int:
    """A day name in English or Russian (`mon`, `Monday`, `пн`, `понедельник`) or 1-7."""
    day = WEEKDAY_WORDS.get(text.strip().lower().rstrip("."))
    if day is None:
        raise ParseError(ParseErrorCode.WEEKDAY_UNKNOWN, value=_echo(text))
    return day


def parse_report(text: str) -> tuple[int, time]:
    """`mon 09:00`, `пн 9:00` (either order) -> (weekday, time)."""
    words = text.split()
    if len(words) != 2:
        raise ParseError(ParseErrorCode.REPORT_INVALID, value=_echo(text))
    first, second = words
    day_word, time_word = (second, first) if _TIME_RE.fullmatch(first) else (first, second)
    return parse_weekday(day_word), parse_time(time_word)


def parse_quiet(text: str) -> tuple[time, time] | None:
    """`22:00-08:00` -> (start, end); `off` -> None (no quiet hours)."""
    if text.strip().lower() in QUIET_OFF_WORDS:
        return None
    match = _RANGE_RE.fullmatch(text)
    if match is None:
        raise ParseError(ParseErrorCode.QUIET_INVALID, value=_echo(text))
    start, end = parse_time(match[1]), parse_time(match[2])
    if start == end:
        raise ParseError(ParseErrorCode.QUIET_INVALID, value=_echo(text))
    return start, end


def parse_switch(text: str) -> bool:
    """`on`/`off`, `вкл`/`выкл`, `yes`/`no`, `да`/`нет`."""
    value = SWITCH_WORDS.get(text.strip().lower())
    if value is None:
        raise ParseError(ParseErrorCode.SWITCH_INVALID, value=_echo(text))
    return value


def quiet_hours_on(team: Team | TeamInfo) -> bool:
    """Quiet hours are stored as a window; an empty one (start == end) means they are off."""
    return team.quiet_start != team.quiet_end


def in_quiet_hours(team: Team | TeamInfo, local_time: time) -> bool:
    """Whether the team's local `local_time` falls in its quiet hours (they may span midnight)."""
    start, end = team.quiet_start, team.quiet_end
    if start <= end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def apply_setting(team: Team, setting: Setting, value: str) -> None:
    """Parse `value` and store it; nothing changes when it does not parse."""
    if setting is Setting.COUNTRY:
        team.country = parse_country(value)
    elif setting is Setting.WORKDAYS:
        team.weekdays_mask = parse_weekdays(value)
    elif setting is Setting.REMINDER:
        team.reminder_time = parse_time(value)
    elif setting is Setting.REPORT:
        team.report_weekday, team.report_time = parse_report(value)
    elif setting is Setting.QUIET:
        team.quiet_start, team.quiet_end = parse_quiet(value) or QUIET_OFF
    elif setting is Setting.PUBLIC:
        team.public_stats = parse_switch(value)


def shift_time(value: time, hours: int) -> time:
    """`value` moved by whole hours around the clock (23:30 + 1h = 00:30)."""
    moved = datetime.combine(datetime.min, value) + timedelta(hours=hours % 24)
    return moved.time()


def toggle_weekday(mask: int, day: int) -> int | None:
    """The mask with `day` switched; None if that would leave no working day."""
    toggled = mask ^ (1 << day)
    return toggled or None


def toggle_quiet_hours(team: Team) -> None:
    """Off -> the default 22:00-08:00; on -> off."""
    if quiet_hours_on(team):
        team.quiet_start, team.quiet_end = QUIET_OFF
    else:
        team.quiet_start, team.quiet_end = DEFAULT_QUIET_HOURS


class RemindChange(StrEnum):
    """What `/remind <args>` changed."""

    TIME = "time"
    TEAM_TIME = "team_time"
    ON = "on"
    OFF = "off"
    ON_TRACK_ON = "ontrack_on"
    ON_TRACK_OFF = "ontrack_off"


def apply_remind(user: User, args: str) -> RemindChange:
    """`19:30` (own time), `team` (the team's time), `on`/`off`, `ontrack on|off`.

    Choosing a time turns reminders on: nobody picks a time to stay silent.
    """
    words = args.lower().split()
    if len(words) == 2 and words[0] in ON_TRACK_WORDS:
        user.on_track_notes = parse_switch(words[1])
        return RemindChange.ON_TRACK_ON if user.on_track_notes else RemindChange.ON_TRACK_OFF
    if len(words) != 1:
        raise ParseError(ParseErrorCode.REMIND_UNKNOWN, value=_echo(args))
    word = words[0]
    if word in TEAM_TIME_WORDS:
        user.reminder_time, user.reminders_on = None, True
        return RemindChange.TEAM_TIME
    if word in SWITCH_WORDS:
        user.reminders_on = SWITCH_WORDS[word]
        return RemindChange.ON if user.reminders_on else RemindChange.OFF
    if not any(char.isdigit() for char in word):
        raise ParseError(ParseErrorCode.REMIND_UNKNOWN, value=_echo(args))
    user.reminder_time, user.reminders_on = parse_time(word), True
    return RemindChange.TIME


async def change_team(
    session: UnitOfWork, team_id: int, change: Callable[[Team], bool]
) -> TeamInfo | None:
    """Apply `change` to the team as stored (its row locked: one change at a time); the team
    as it is now, or None when `change` refused (and changed nothing)."""
    team = await session.get(Team, team_id, with_for_update=True, populate_existing=True)
    assert team is not None
    try:
        changed = change(team)
    except BaseException:
        session.expire(team)  # bad input changes nothing
        raise
    if not changed:
        session.expire(team)
        return None
    await session.flush()
    return info_of(team)


async def change_reminder(
    session: UnitOfWork, user_id: int, args: str
) -> tuple[RemindChange, Person]:
    """`/remind <args>` applied to the person as stored. Raises ParseError, changing nothing."""
    user = await session.get(User, user_id, populate_existing=True)
    assert user is not None
    try:
        change = apply_remind(user, args)
    except BaseException:
        session.expire(user)  # bad input changes nothing
        raise
    await session.flush()
    return change, Person(*(getattr(user, column.key) for column in PERSON_COLUMNS))
