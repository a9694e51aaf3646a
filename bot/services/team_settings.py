"""Team settings that shape the calendar: time zone, holiday country, working weekdays."""

from functools import cache
from zoneinfo import available_timezones

from bot.services.pace import is_known_country
from bot.services.parsing import ParseError

WEEKDAY_WORDS: dict[str, int] = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
    **{str(i + 1): i for i in range(7)},
}
NO_COUNTRY_WORDS = frozenset({"none", "off", "нет"})


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str:
    """The canonical IANA name (case-insensitive input)."""
    name = _zones_by_lower_name().get(text.strip().lower())
    if name is None:
        raise ParseError("timezone_unknown", value=text.strip()[:64])
    return name


def parse_country(text: str) -> str | None:
    code = text.strip().upper()
    if code.lower() in NO_COUNTRY_WORDS or text.strip().lower() in NO_COUNTRY_WORDS:
        return None
    if not is_known_country(code):
        raise ParseError("country_unknown", value=text.strip()[:16])
    return code


def parse_weekdays(text: str) -> int:
    """`mon-fri`, `пн-сб`, `1-5`, `mon,wed,fri` -> a bit mask (bit 0 = Monday)."""
    mask = 0
    for part in text.replace(" ", "").lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(end not in WEEKDAY_WORDS for end in ends):
            raise ParseError("weekdays_invalid", value=text.strip()[:32])
        first, last = WEEKDAY_WORDS[ends[0]], WEEKDAY_WORDS[ends[-1]]
        if last < first:
            raise ParseError("weekdays_invalid", value=text.strip()[:32])
        for day in range(first, last + 1):
            mask |= 1 << day
    if not mask:
        raise ParseError("weekdays_invalid", value=text.strip()[:32])
    return mask
