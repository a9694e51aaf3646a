"""Parsing of the arguments of the KPI chat commands: /call, /meeting, /lead and /deal.

Pure functions only: no I/O and no user-facing texts. Every problem is reported as a
:class:`ParseError` carrying a machine-readable ``code`` and ``params`` for the locale layer.

Grammar (tokens are separated by any whitespace, including newlines)::

    /call|/meeting|/lead  [N] [modifier ...] [note]
    /deal                 <amount> [modifier ...] [note]

Modifiers (any order, consumed from the front until the first non-modifier token) are a date,
a ``#tag`` and, for deals only, a "repeat sale" word. The first non-modifier token and everything
after it is the note, sliced verbatim from the original string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import ParseError, ParseErrorCode
from models.enums import EntryKind

__all__ = [
    "MAX_AMOUNT_RUB",
    "MAX_COUNT",
    "MAX_DAYS_BACK",
    "MAX_NOTE",
    "MAX_TAG",
    "ParsedEntry",
    "parse_amount",
    "parse_date_token",
    "parse_entry",
    "parse_tag",
]

MAX_COUNT = 1000
MAX_AMOUNT_RUB = 1_000_000_000
MAX_NOTE = 500
MAX_DAYS_BACK = 31
MAX_TAG = 32

# `value` params echo user input back; keep them short enough for a chat message.
_MAX_VALUE_PARAM = 64


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    count: int  # 1..MAX_COUNT; always 1 for deals
    amount_kopecks: int | None  # deals only
    business_date: date  # the date given, or `today` when none
    tag: str | None  # without '#', casefolded
    note: str | None  # verbatim remainder, stripped at the ends; None if empty
    is_repeat: bool = False  # deals only


def _clip(value: str) -> str:
    if len(value) <= _MAX_VALUE_PARAM:
        return value
    return value[: _MAX_VALUE_PARAM - 1] + "…"


# --------------------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(r"\S+")


def _first_token(text: str) -> str:
    match = _TOKEN_RE.search(text)
    return match.group() if match else ""


# ---------------------------------------------------------------------------------------- dates

_RELATIVE_DAYS: dict[str, int] = {
    "today": 0,
    "сегодня": 0,
    "yesterday": 1,
    "вчера": 1,
    "позавчера": 2,
}
# Days ahead: a date all the same (refused as in the future), never the start of a note.
_FUTURE_DAYS: dict[str, int] = {"tomorrow": 1, "завтра": 1, "послезавтра": 2}
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
# D.M, DD.MM, DD.MM.YYYY, DD.MM.YY (20YY); an optional trailing dot is tolerated.
_DOT_DATE_RE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})(?:\.([0-9]{4}|[0-9]{2}))?\.?")
# The D.M / DD.MM shape, which is also number-shaped ("2.5"): see parse_entry.
_DAY_MONTH_RE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")


def _looks_like_day_month(token: str) -> bool:
    """A two-digit month 01..12 after the dot ("31.04", "5.11") reads as a date, not a number."""
    month = token.partition(".")[2]
    return len(month) == 2 and 1 <= int(month) <= 12


def _make_date(year: int, month: int, day: int, value: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(ParseErrorCode.DATE_INVALID, value=_clip(value)) from None


def _resolve_yearless(day: int, month: int, value: str, today: date) -> date:
    """The most recent `day.month` that is not after `today`; when that one is too old and
    the coming one is nearer ("10.12" on 2 December), the date is in the future."""
    past: date | None = None
    coming: date | None = None
    for year in (today.year + 1, today.year, today.year - 1):
        if not 1 <= year <= 9999:
            continue
        try:
            candidate = date(year, month, day)
        except ValueError:  # e.g. 29.02 in a common year
            continue
        if candidate <= today:
            past = past or candidate
        else:
            coming = candidate
    if past is not None and (today - past).days <= MAX_DAYS_BACK:
        return past
    if coming is not None and (past is None or coming - today < today - past):
        raise ParseError(ParseErrorCode.DATE_FUTURE, value=_clip(value))
    _make_date(2000, month, day, value)  # date_invalid if it exists in no year (2000 is leap)
    raise ParseError(ParseErrorCode.DATE_TOO_OLD, value=_clip(value), days=MAX_DAYS_BACK)


def _check_window(ordinal: int, value: str, today: date) -> date:
    today_ordinal = today.toordinal()
    if ordinal < 1:  # before date.min: only reachable with absurd `today` values
        raise ParseError(ParseErrorCode.DATE_INVALID, value=_clip(value))
    if ordinal > today_ordinal:
        raise ParseError(ParseErrorCode.DATE_FUTURE, value=_clip(value))
    if ordinal < today_ordinal - MAX_DAYS_BACK:
        raise ParseError(ParseErrorCode.DATE_TOO_OLD, value=_clip(value), days=MAX_DAYS_BACK)
    return date.fromordinal(ordinal)


def parse_date_token(token: str, today: date) -> date | None:
    """Parse one date modifier token.

    Returns None when the token is not date-shaped at all. Raises :class:`ParseError`
    (``date_invalid``, ``date_future``, ``date_too_old``) when it is date-shaped but is not a
    real calendar date or falls outside ``[today - MAX_DAYS_BACK, today]`` ("tomorrow" is a
    date in the future, not a word of a note).
    """
    token = token.strip()
    days_back = _RELATIVE_DAYS.get(token.casefold())
    if days_back is not None:
        return _check_window(today.toordinal() - days_back, token, today)
    if token.casefold() in _FUTURE_DAYS:
        raise ParseError(ParseErrorCode.DATE_FUTURE, value=_clip(token))
    if match := _ISO_DATE_RE.fullmatch(token):
        year, month, day = (int(group) for group in match.groups())
        resolved = _make_date(year, month, day, token)
    elif match := _DOT_DATE_RE.fullmatch(token):
        day, month, year_text = int(match[1]), int(match[2]), match[3]
        if year_text is None:
            resolved = _resolve_yearless(day, month, token, today)
        else:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            resolved = _make_date(year, month, day, token)
    else:
        return None
    return _check_window(resolved.toordinal(), token, today)


# -------------------------------------------------------------------------------------- amounts

_GROUP_SEPARATORS = " \u00a0\u202f\u2009\u2007"  # space, NBSP, narrow NBSP, thin, figure space
_HSPACE = "[ \t\u00a0\u202f\u2009\u2007]*"
_AMOUNT_RE = re.compile(
    rf"""
    (?P<int>(?>
        [0-9]{{1,3}}(?:[{_GROUP_SEPARATORS}][0-9]{{3}}(?![0-9]))+  # 1 500 000
      | [0-9]{{1,3}}(?:\.[0-9]{{3}}(?![0-9]))+(?=,[0-9])           # 1.500,50
      | [0-9]{{1,3}}(?:,[0-9]{{3}}(?![0-9]))+(?=\.[0-9])           # 1,500.50
      | [0-9]{{1,3}}(?:\.[0-9]{{3}}(?![0-9])){{2,}}                 # 1.500.000
      | [0-9]{{1,3}}(?:,[0-9]{{3}}(?![0-9])){{2,}}                  # 1,500,000
      | [0-9]+                                                   # 1500000
    ))
    (?:[.,](?P<frac>[0-9]+))?
    (?:
        (?P<short>[kкmм])                  # attached only: "15 к Иванову" is a note
      | {_HSPACE}(?P<word>тыс\.?|тысяч[аи]?|млн\.?|миллион(?:а|ов)?)
    )?
    (?:{_HSPACE}(?:₽|руб(?:л(?:ь|я|ей))?\.?|р\.?|rub\.?))?
    (?:\.(?=\s|\Z))?                      # a full stop a phone's autocorrect added: "15000."
    (?=\s|\Z)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_THOUSAND_WORDS = ("k", "к", "тыс")
_MILLION_WORDS = ("m", "м", "млн", "миллион")
_SEPARATOR_TABLE = str.maketrans("", "", _GROUP_SEPARATORS + ".,")
# "15.000" / "15,000": one group of three after a separator reads as thousands (kopecks have
# two digits, so as a decimal it would be refused anyway); "0.500" stays refused.
_ONE_THOUSANDS_GROUP = re.compile(r"[1-9][0-9]{0,2}")
# Enough for MAX_AMOUNT_RUB in any unit; longer integer parts are out of range without int().
_MAX_SIGNIFICANT_DIGITS = 13


def _multiplier(word: str) -> int:
    word = word.casefold()
    if word.startswith(_THOUSAND_WORDS):
        return 1_000
    if word.startswith(_MILLION_WORDS):
        return 1_000_000
    return 1


def parse_amount(text: str) -> tuple[int, str]:
    """Parse the amount at the start of `text` (leading whitespace ignored).

    Returns ``(kopecks, rest)`` where ``rest`` is the unconsumed tail of `text`, verbatim.
    Raises :class:`ParseError`: ``amount_missing``, ``amount_invalid``, ``amount_precision``,
    ``amount_range``.
    """
    start = len(text) - len(text.lstrip())
    if start == len(text):
        raise ParseError(ParseErrorCode.AMOUNT_MISSING)
    match = _AMOUNT_RE.match(text, start)
    if match is None:
        raise ParseError(ParseErrorCode.AMOUNT_INVALID, value=_clip(_first_token(text)))
    value = _clip(match.group())
    int_digits = match["int"].translate(_SEPARATOR_TABLE).lstrip("0")
    frac = match["frac"] or ""
    multiplier = _multiplier(match["short"] or match["word"] or "")
    if multiplier == 1 and len(frac) == 3 and _ONE_THOUSANDS_GROUP.fullmatch(match["int"]):
        int_digits, frac = int_digits + frac, ""
    max_decimals = 2 if multiplier == 1 else 3
    if len(frac) > max_decimals:
        raise ParseError(ParseErrorCode.AMOUNT_PRECISION, value=value)
    if len(int_digits) > _MAX_SIGNIFICANT_DIGITS:
        raise ParseError(ParseErrorCode.AMOUNT_RANGE, max=MAX_AMOUNT_RUB, value=value)
    scaled = int((int_digits + frac) or "0")  # amount * 10**len(frac), in rubles
    kopecks, remainder = divmod(scaled * multiplier * 100, 10 ** len(frac))
    if remainder:
        raise ParseError(ParseErrorCode.AMOUNT_PRECISION, value=value)
    if not 0 < kopecks <= MAX_AMOUNT_RUB * 100:
        raise ParseError(ParseErrorCode.AMOUNT_RANGE, max=MAX_AMOUNT_RUB, value=value)
    return kopecks, text[match.end() :]


# ---------------------------------------------------------------------------------------- count

_NUMBER_RE = re.compile(r"[+-]?([0-9]+)(?:[.,][0-9]+)?")
# Number words where the count goes ("/call five"): refused, not taken for a note of one call.
_NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred dozen
    один одна одно два две три четыре пять шесть семь восемь девять десять одиннадцать
    двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать восемнадцать
    девятнадцать двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто
    сто пара пару десяток дюжина
    """.split()
)


def _parse_count(token: str) -> int | None:
    """The count if `token` is number-shaped, else None; ParseError if it is not 1..MAX_COUNT
    (or is a number word)."""
    if token.casefold() in _NUMBER_WORDS:
        raise ParseError(ParseErrorCode.COUNT_WORD, value=_clip(token))
    if token.endswith(".") and token[:-1].isascii() and token[:-1].isdigit():
        token = token[:-1]  # a full stop a phone's autocorrect added: "/call 2."
    match = _NUMBER_RE.fullmatch(token)
    if match is None:
        return None
    if match.end(1) != len(token):
        raise ParseError(ParseErrorCode.COUNT_NOT_WHOLE, value=_clip(token))
    digits = match[1].lstrip("0")
    if token.startswith("-") or not digits or len(digits) > 4 or int(digits) > MAX_COUNT:
        raise ParseError(ParseErrorCode.COUNT_RANGE, min=1, max=MAX_COUNT, value=_clip(token))
    return int(digits)


# ------------------------------------------------------------------------------------ modifiers

_REPEAT_WORDS = frozenset({"repeat", "повтор", "повторная", "повторно"})
_TAG_EXTRA_CHARS = frozenset("0123456789_-")
_COMBINING = frozenset({"Mn", "Mc"})


def _parse_tag(token: str) -> str:
    body = unicodedata.normalize("NFC", token[1:])
    tag = unicodedata.normalize("NFC", body.casefold())
    valid = (
        1 <= len(body) <= MAX_TAG
        and 1 <= len(tag) <= MAX_TAG
        and tag.casefold() == tag
        and all(
            char.isalpha()
            or char in _TAG_EXTRA_CHARS
            or (index > 0 and unicodedata.category(char) in _COMBINING)
            for index, char in enumerate(tag)
        )
    )
    if not valid:
        raise ParseError(ParseErrorCode.TAG_INVALID, value=_clip(token), max=MAX_TAG)
    return tag


def parse_tag(token: str) -> str:
    """A #tag typed on its own (the '#' may be left out), as entries store it."""
    token = token.strip()
    return _parse_tag(token if token.startswith("#") else f"#{token}")


# ---------------------------------------------------------------------------------------- entry


def parse_entry(kind: EntryKind, args: str | None, today: date) -> ParsedEntry:
    """Parse the argument string of a /call, /meeting, /lead or /deal command.

    `today` is the user's local date. Raises :class:`ParseError` only.
    """
    text = args or ""
    count = 1
    amount: int | None = None
    business_date: date | None = None
    position = 0

    if kind == EntryKind.DEAL:
        amount, rest = parse_amount(text)
        position = len(text) - len(rest)
    elif first := _TOKEN_RE.search(text):
        token = first.group()
        try:
            parsed_count = _parse_count(token)
        except ParseError as error:
            # "27.11" is both number- and date-shaped: a date inside the window wins; outside it,
            # "DD.MM"-looking tokens ("31.04", "29.11") report the date error and the rest
            # ("2.5", "1.25") stay a non-whole count.
            if error.code is not ParseErrorCode.COUNT_NOT_WHOLE or not _DAY_MONTH_RE.fullmatch(
                token
            ):
                raise
            try:
                business_date = parse_date_token(token, today)
            except ParseError:
                if not _looks_like_day_month(token):
                    raise error from None
                raise
            position = first.end()
        else:
            if parsed_count is not None:
                count = parsed_count
                position = first.end()

    tag: str | None = None
    is_repeat = False
    note: str | None = None
    for match in _TOKEN_RE.finditer(text, position):
        token = match.group()
        if token.startswith("#"):
            if tag is not None:
                raise ParseError(ParseErrorCode.TAG_TWICE, value=_clip(token))
            tag = _parse_tag(token)
            continue
        token_date = parse_date_token(token, today)
        if token_date is not None:
            if business_date is not None:
                raise ParseError(ParseErrorCode.DATE_TWICE, value=_clip(token))
            business_date = token_date
            continue
        if kind == EntryKind.DEAL and token.casefold() in _REPEAT_WORDS:
            is_repeat = True
            continue
        # NUL can be sent through the API but stored by no database that holds text (PostgreSQL).
        note = text[match.start() :].replace("\x00", "").strip() or None
        break

    if note is not None and len(note) > MAX_NOTE:
        raise ParseError(ParseErrorCode.NOTE_TOO_LONG, max=MAX_NOTE, length=len(note))

    return ParsedEntry(
        count=count,
        amount_kopecks=amount,
        business_date=business_date if business_date is not None else today,
        tag=tag,
        note=note,
        is_repeat=is_repeat,
    )


# ------------------------------------------------------------------------------ calendar dates

_PLANNING_DAYS: dict[str, int] = {
    **{word: -back for word, back in _RELATIVE_DAYS.items()},
    "tomorrow": 1,
    "завтра": 1,
}


def parse_calendar_date(token: str, today: date) -> date | None:
    """A date for planning (vacations): past or future. `DD.MM` means its nearest occurrence.

    None when the token is not date-shaped; ParseError ``date_invalid`` for impossible dates.
    """
    token = token.strip()
    shift = _PLANNING_DAYS.get(token.casefold())
    if shift is not None:
        return today + timedelta(days=shift)
    if match := _ISO_DATE_RE.fullmatch(token):
        year, month, day = (int(group) for group in match.groups())
        return _make_date(year, month, day, token)
    if match := _DOT_DATE_RE.fullmatch(token):
        day, month, year_text = int(match[1]), int(match[2]), match[3]
        if year_text is not None:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return _make_date(year, month, day, token)
        _make_date(2000, month, day, token)  # date_invalid if it exists in no year
        candidates = []
        for year in (today.year - 1, today.year, today.year + 1):
            try:
                candidates.append(date(year, month, day))
            except ValueError:  # 29.02 outside leap years
                continue
        return min(candidates, key=lambda d: (abs((d - today).days), d))
    return None
