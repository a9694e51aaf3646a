from __future__ import annotations

import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import ParseError, ParseErrorCode
from bot.services.parsing import (
    MAX_AMOUNT_RUB,
    MAX_COUNT,
    MAX_DAYS_BACK,
    MAX_NOTE,
    MAX_TAG,
    ParsedEntry,
    parse_amount,
    parse_date_token,
    parse_entry,
)
from models.enums import EntryKind

TODAY = date(2026, 11, 28)
JAN_TODAY = date(2026, 1, 3)
COUNT_KINDS = (EntryKind.CALL, EntryKind.MEETING, EntryKind.LEAD)
NBSP = "\u00a0"
NNBSP = "\u202f"

DOCUMENTED_CODES = {
    "count_range",
    "count_not_whole",
    "count_word",
    "amount_missing",
    "amount_invalid",
    "amount_precision",
    "amount_range",
    "date_invalid",
    "date_future",
    "date_too_old",
    "date_twice",
    "tag_invalid",
    "tag_twice",
    "note_too_long",
}


def entry(
    *,
    count: int = 1,
    amount: int | None = None,
    day: date = TODAY,
    tag: str | None = None,
    note: str | None = None,
    repeat: bool = False,
) -> ParsedEntry:
    return ParsedEntry(
        count=count,
        amount_kopecks=amount,
        business_date=day,
        tag=tag,
        note=note,
        is_repeat=repeat,
    )


def parse_error(kind: EntryKind, args: str | None, today: date = TODAY) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_entry(kind, args, today)
    return info.value


# ------------------------------------------------------------------------------------ ParseError


def test_parse_error_carries_code_and_params() -> None:
    error = ParseError("count_range", min=1, max=1000, value="0")
    assert isinstance(error, ValueError)
    assert error.code == "count_range"
    assert error.params == {"min": 1, "max": 1000, "value": "0"}
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.code, clone.params) == (error.code, error.params)


def test_entry_codes_are_parse_error_codes_and_unknown_codes_are_refused() -> None:
    assert DOCUMENTED_CODES <= {code.value for code in ParseErrorCode}
    with pytest.raises(ValueError):
        ParseError("no_such_code")
    assert (MAX_COUNT, MAX_AMOUNT_RUB, MAX_NOTE, MAX_DAYS_BACK, MAX_TAG) == (
        1000,
        1_000_000_000,
        500,
        31,
        32,
    )


# ---------------------------------------------------------------------------------------- counts

COUNT_CASES: list[tuple[str | None, ParsedEntry]] = [
    (None, entry()),
    ("", entry()),
    ("   \n\t ", entry()),
    ("5", entry(count=5)),
    ("5.", entry(count=5)),  # autocorrect's full stop
    ("five-star client", entry(note="five-star client")),
    ("1", entry(count=1)),
    ("1000", entry(count=1000)),
    ("007", entry(count=7)),
    ("+5", entry(count=5)),
    ("3 клиента", entry(count=3, note="клиента")),
    ("вчера", entry(day=TODAY - timedelta(days=1))),
    ("#avito", entry(tag="avito")),
    ("client", entry(note="client")),
    (
        "5 вчера #Avito Иванов, перезвонить",
        entry(count=5, day=date(2026, 11, 27), tag="avito", note="Иванов, перезвонить"),
    ),
    ("#Avito 5", entry(tag="avito", note="5")),
    ("2 #x 2026-11-20", entry(count=2, tag="x", day=date(2026, 11, 20))),
    # date-shaped and '#' tokens inside the note are just text
    ("5 note 32.13 #x вчера", entry(count=5, note="note 32.13 #x вчера")),
    # repeat words are deal-only modifiers: for counts they start the note
    ("2 повтор клиента", entry(count=2, note="повтор клиента")),
    ("repeat", entry(note="repeat")),
    # whitespace: newlines, tabs, repeated spaces; the note keeps its inner whitespace
    (
        "  \n 5 \t\tвчера\n\nпервая строка\n  вторая  \n",
        entry(count=5, day=date(2026, 11, 27), note="первая строка\n  вторая"),
    ),
    ("5\nnote", entry(count=5, note="note")),
    # DD.MM first token: a date within the window is a date, not a fractional count
    ("27.11", entry(day=date(2026, 11, 27))),
    ("28.10 #x", entry(day=date(2026, 10, 28), tag="x")),
    ("x" * MAX_NOTE, entry(note="x" * MAX_NOTE)),
]


@pytest.mark.parametrize("kind", COUNT_KINDS)
@pytest.mark.parametrize(("args", "expected"), COUNT_CASES)
def test_count_kinds(kind: EntryKind, args: str | None, expected: ParsedEntry) -> None:
    assert parse_entry(kind, args, TODAY) == expected


COUNT_ERROR_CASES: list[tuple[str, str, dict[str, str | int]]] = [
    ("0", "count_range", {"min": 1, "max": 1000, "value": "0"}),
    ("-3", "count_range", {"min": 1, "max": 1000, "value": "-3"}),
    ("-0", "count_range", {"value": "-0"}),
    ("1001", "count_range", {"value": "1001"}),
    ("99999999999999999999", "count_range", {"value": "99999999999999999999"}),
    ("9" * 10_000, "count_range", {}),  # no int() conversion limit crash
    ("2.5", "count_not_whole", {"value": "2.5"}),
    ("2,5", "count_not_whole", {"value": "2,5"}),
    ("1.25 calls", "count_not_whole", {"value": "1.25"}),
    ("-2.5", "count_not_whole", {"value": "-2.5"}),
    ("31.04", "date_invalid", {"value": "31.04"}),
    ("29.11", "date_future", {"value": "29.11"}),  # tomorrow, not a year ago
    ("five", "count_word", {"value": "five"}),
    ("Пять звонков", "count_word", {"value": "Пять"}),
    ("1 tomorrow", "date_future", {"value": "tomorrow"}),
    ("3 Завтра", "date_future", {"value": "Завтра"}),
    ("5 32.13", "date_invalid", {"value": "32.13"}),
    ("5 2026-02-30", "date_invalid", {"value": "2026-02-30"}),
    ("5 31.04 note", "date_invalid", {"value": "31.04"}),
    ("5 29.02.2025", "date_invalid", {"value": "29.02.2025"}),
    ("5 2026-11-29", "date_future", {"value": "2026-11-29"}),
    ("29.11.2026", "date_future", {"value": "29.11.2026"}),
    ("5 27.10", "date_too_old", {"value": "27.10", "days": 31}),
    ("5 2026-10-27", "date_too_old", {"value": "2026-10-27", "days": 31}),
    ("5 вчера сегодня", "date_twice", {"value": "сегодня"}),
    ("вчера #a 27.11", "date_twice", {"value": "27.11"}),
    ("#a #b", "tag_twice", {"value": "#b"}),
    ("#", "tag_invalid", {"value": "#"}),
    ("5 #ab!c note", "tag_invalid", {"value": "#ab!c", "max": 32}),
    ("#" + "a" * 33, "tag_invalid", {"value": "#" + "a" * 33}),
    ("#avito, note", "tag_invalid", {"value": "#avito,"}),
    ("x" * (MAX_NOTE + 1), "note_too_long", {"max": 500, "length": 501}),
    ("5 вчера " + "я" * 600, "note_too_long", {"max": 500, "length": 600}),
]


@pytest.mark.parametrize("kind", COUNT_KINDS)
@pytest.mark.parametrize(("args", "code", "params"), COUNT_ERROR_CASES)
def test_count_kind_errors(
    kind: EntryKind, args: str, code: str, params: dict[str, str | int]
) -> None:
    error = parse_error(kind, args)
    assert error.code == code
    assert params.items() <= error.params.items()


def test_value_params_are_clipped() -> None:
    error = parse_error(EntryKind.CALL, "9" * 10_000)
    assert len(str(error.params["value"])) <= 64


# ----------------------------------------------------------------------------------------- deals

RUB = 100  # kopecks

DEAL_CASES: list[tuple[str, ParsedEntry]] = [
    ("15000", entry(amount=15_000 * RUB)),
    ("15 000", entry(amount=15_000 * RUB)),
    ("1 500 000", entry(amount=1_500_000 * RUB)),
    (f"15{NBSP}000", entry(amount=15_000 * RUB)),
    (f"1{NNBSP}500{NNBSP}000", entry(amount=1_500_000 * RUB)),
    (f"1 500{NBSP}000,05", entry(amount=1_500_000 * RUB + 5)),
    ("15000.50", entry(amount=1_500_050)),
    # Russian and English thousands separators, and an autocorrected full stop.
    ("15.000", entry(amount=15_000 * RUB)),
    ("15,000", entry(amount=15_000 * RUB)),
    ("1.500.000", entry(amount=1_500_000 * RUB)),
    ("1,500,000.50", entry(amount=1_500_000 * RUB + 50)),
    ("1.500,50", entry(amount=1_500 * RUB + 50)),
    ("1.500k", entry(amount=1_500 * RUB)),
    ("15000.", entry(amount=15_000 * RUB)),
    ("15000. #avito", entry(amount=15_000 * RUB, tag="avito")),
    ("15000,50", entry(amount=1_500_050)),
    ("15000.5", entry(amount=1_500_050)),
    ("0.01", entry(amount=1)),
    ("15k", entry(amount=15_000 * RUB)),
    ("15K", entry(amount=15_000 * RUB)),
    ("15к", entry(amount=15_000 * RUB)),
    ("15 тыс", entry(amount=15_000 * RUB)),
    ("15 тыс. руб.", entry(amount=15_000 * RUB)),
    ("15 тысяч", entry(amount=15_000 * RUB)),
    ("1.5m", entry(amount=1_500_000 * RUB)),
    ("1,5m", entry(amount=1_500_000 * RUB)),
    ("1.5м", entry(amount=1_500_000 * RUB)),
    ("1,5млн", entry(amount=1_500_000 * RUB)),
    ("2 млн", entry(amount=2_000_000 * RUB)),
    ("2 МЛН руб", entry(amount=2_000_000 * RUB)),
    ("1.125m", entry(amount=1_125_000 * RUB)),
    ("1.5k₽", entry(amount=1_500 * RUB)),
    ("15000₽", entry(amount=15_000 * RUB)),
    ("15000 ₽", entry(amount=15_000 * RUB)),
    ("15000р", entry(amount=15_000 * RUB)),
    ("15000 р.", entry(amount=15_000 * RUB)),
    ("15000 Р", entry(amount=15_000 * RUB)),
    ("15000руб", entry(amount=15_000 * RUB)),
    ("15000 руб.", entry(amount=15_000 * RUB)),
    ("15000 РУБ", entry(amount=15_000 * RUB)),
    ("15000 рублей", entry(amount=15_000 * RUB)),
    ("15000rub", entry(amount=15_000 * RUB)),
    ("15000 RUB", entry(amount=15_000 * RUB)),
    ("1000000000", entry(amount=MAX_AMOUNT_RUB * RUB)),
    ("1000000k", entry(amount=MAX_AMOUNT_RUB * RUB)),
    ("   15000   ", entry(amount=15_000 * RUB)),
    ("15 000 5 clients", entry(amount=15_000 * RUB, note="5 clients")),
    ("15000 руб за окна", entry(amount=15_000 * RUB, note="за окна")),
    ("15000 рубашки", entry(amount=15_000 * RUB, note="рубашки")),
    ("15 к Иванову", entry(amount=15 * RUB, note="к Иванову")),  # spaced "к" is a preposition
    ("15000\nокна", entry(amount=15_000 * RUB, note="окна")),
    ("15000 повтор", entry(amount=15_000 * RUB, repeat=True)),
    ("15000 ПОВТОРНАЯ", entry(amount=15_000 * RUB, repeat=True)),
    ("15000 Repeat", entry(amount=15_000 * RUB, repeat=True)),
    ("15000 повторно окна", entry(amount=15_000 * RUB, repeat=True, note="окна")),
    ("15000 окна повтор", entry(amount=15_000 * RUB, note="окна повтор")),
    ("15000 27.11", entry(amount=15_000 * RUB, day=date(2026, 11, 27))),
    (
        "15 000 руб. позавчера #Avito повтор Окна, 3 шт.\n  монтаж  ",
        entry(
            amount=15_000 * RUB,
            day=date(2026, 11, 26),
            tag="avito",
            repeat=True,
            note="Окна, 3 шт.\n  монтаж",
        ),
    ),
    (
        "15000 #ПРОМО-2026_x вчера",
        entry(amount=15_000 * RUB, tag="промо-2026_x", day=date(2026, 11, 27)),
    ),
]


@pytest.mark.parametrize(("args", "expected"), DEAL_CASES)
def test_deals(args: str, expected: ParsedEntry) -> None:
    assert parse_entry(EntryKind.DEAL, args, TODAY) == expected


DEAL_ERROR_CASES: list[tuple[str | None, str, dict[str, str | int]]] = [
    (None, "amount_missing", {}),
    ("", "amount_missing", {}),
    (" \n ", "amount_missing", {}),
    ("abc", "amount_invalid", {"value": "abc"}),
    ("-500", "amount_invalid", {"value": "-500"}),
    ("#tag 500", "amount_invalid", {"value": "#tag"}),
    ("вчера 500", "amount_invalid", {"value": "вчера"}),
    ("15k#avito", "amount_invalid", {"value": "15k#avito"}),
    ("15000abc", "amount_invalid", {"value": "15000abc"}),
    ("15000.505", "amount_precision", {"value": "15000.505"}),
    ("0.500", "amount_precision", {"value": "0.500"}),
    ("1500.000", "amount_precision", {"value": "1500.000"}),
    ("1.234567m", "amount_precision", {"value": "1.234567m"}),
    ("1.2345k", "amount_precision", {"value": "1.2345k"}),
    ("0", "amount_range", {"max": 1_000_000_000, "value": "0"}),
    ("0,00", "amount_range", {"max": 1_000_000_000}),
    ("1000000000.01", "amount_range", {"max": 1_000_000_000}),
    ("1000000001", "amount_range", {"max": 1_000_000_000}),
    ("1001 млн", "amount_range", {"max": 1_000_000_000}),
    ("9" * 10_000, "amount_range", {"max": 1_000_000_000}),
    ("15000 32.13", "date_invalid", {"value": "32.13"}),
    ("15000 2026-12-01", "date_future", {"value": "2026-12-01"}),
    ("15000 01.10", "date_too_old", {"value": "01.10", "days": 31}),
    ("15000 вчера вчера", "date_twice", {"value": "вчера"}),
    ("15000 #a повтор #b", "tag_twice", {"value": "#b"}),
    ("15000 #", "tag_invalid", {"value": "#"}),
    ("15000 " + "z" * 501, "note_too_long", {"max": 500, "length": 501}),
]


@pytest.mark.parametrize(("args", "code", "params"), DEAL_ERROR_CASES)
def test_deal_errors(args: str | None, code: str, params: dict[str, str | int]) -> None:
    error = parse_error(EntryKind.DEAL, args)
    assert error.code == code
    assert params.items() <= error.params.items()


def test_parse_amount_returns_the_verbatim_rest() -> None:
    assert parse_amount("15 000 руб. за окна\n") == (1_500_000, " за окна\n")
    assert parse_amount("  2 млн") == (200_000_000, "")


# ----------------------------------------------------------------------------------------- dates

DATE_CASES: list[tuple[str, date, date | None]] = [
    ("today", TODAY, TODAY),
    ("TODAY", TODAY, TODAY),
    ("Сегодня", TODAY, TODAY),
    ("yesterday", TODAY, date(2026, 11, 27)),
    ("ВЧЕРА", TODAY, date(2026, 11, 27)),
    ("позавчера", TODAY, date(2026, 11, 26)),
    ("2026-11-20", TODAY, date(2026, 11, 20)),
    ("2026-10-28", TODAY, date(2026, 10, 28)),  # exactly 31 days back
    ("28.10", TODAY, date(2026, 10, 28)),
    ("1.11", TODAY, date(2026, 11, 1)),
    ("01.11.2026", TODAY, date(2026, 11, 1)),
    ("1.11.26", TODAY, date(2026, 11, 1)),
    ("28.11", TODAY, TODAY),
    # January: DD.MM without a year is the most recent such date, i.e. last year
    ("30.12", JAN_TODAY, date(2025, 12, 30)),
    ("03.12", JAN_TODAY, date(2025, 12, 3)),  # exactly 31 days back
    ("2.1", JAN_TODAY, date(2026, 1, 2)),
    ("31.12.2025", JAN_TODAY, date(2025, 12, 31)),
    ("позавчера", JAN_TODAY, date(2026, 1, 1)),
    ("29.02", date(2028, 3, 1), date(2028, 2, 29)),
    # not date-shaped
    ("client", TODAY, None),
    ("#tag", TODAY, None),
    ("5", TODAY, None),
    ("1.2.3.4", TODAY, None),
    ("2026/11/20", TODAY, None),
]


@pytest.mark.parametrize(("token", "today", "expected"), DATE_CASES)
def test_parse_date_token(token: str, today: date, expected: date | None) -> None:
    assert parse_date_token(token, today) == expected


DATE_ERROR_CASES: list[tuple[str, date, str]] = [
    ("32.13", TODAY, "date_invalid"),
    ("31.04", TODAY, "date_invalid"),
    ("30.02", TODAY, "date_invalid"),
    ("00.11", TODAY, "date_invalid"),
    ("2026-02-30", TODAY, "date_invalid"),
    ("2026-13-01", TODAY, "date_invalid"),
    ("0000-01-01", TODAY, "date_invalid"),
    ("29.02.2025", TODAY, "date_invalid"),
    ("29.11.2026", TODAY, "date_future"),
    ("2027-01-01", TODAY, "date_future"),
    ("04.01.2026", JAN_TODAY, "date_future"),
    ("27.10", TODAY, "date_too_old"),
    ("2026-10-27", TODAY, "date_too_old"),
    ("29.11", TODAY, "date_future"),  # tomorrow: nearer than 2025-11-29
    ("10.12", date(2026, 12, 2), "date_future"),
    ("10.06", date(2026, 12, 2), "date_too_old"),
    ("tomorrow", TODAY, "date_future"),
    ("послезавтра", TODAY, "date_future"),
    ("02.12", JAN_TODAY, "date_too_old"),
    ("29.02", TODAY, "date_too_old"),  # most recent 29.02 is 2024-02-29
    ("01.01.2020", TODAY, "date_too_old"),
]


@pytest.mark.parametrize(("token", "today", "code"), DATE_ERROR_CASES)
def test_parse_date_token_errors(token: str, today: date, code: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_date_token(token, today)
    assert info.value.code == code
    assert info.value.params["value"] == token
    if code == "date_too_old":
        assert info.value.params["days"] == MAX_DAYS_BACK


def test_january_rollover_in_commands() -> None:
    assert parse_entry(EntryKind.CALL, "2 30.12 итоги года", JAN_TODAY) == entry(
        count=2, day=date(2025, 12, 30), note="итоги года"
    )
    assert parse_entry(EntryKind.MEETING, "30.12", JAN_TODAY).business_date == date(2025, 12, 30)
    assert parse_entry(EntryKind.DEAL, "5k 31.12", JAN_TODAY).business_date == date(2025, 12, 31)


def test_extreme_today_values_do_not_crash() -> None:
    for today in (date.min, date.max):
        for kind in EntryKind:
            for args in ("1 позавчера", "1 30.12", "1 01.01", "1 9999-12-31", "1 0001-01-01"):
                try:
                    parse_entry(kind, args, today)
                except ParseError as error:
                    assert error.code in DOCUMENTED_CODES


# ------------------------------------------------------------------------------------ properties

TARGETED_ALPHABET = (
    "0123456789" * 3
    + "   \n\t.,-#_"
    + NBSP
    + NNBSP
    + "kкmмKКMМ₽рубтысмлнrubRUB"
    + "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯ"
    + "вчерасегодняповторно"
    + "!?ß İ\u0301"
)
targeted_text = st.text(alphabet=TARGETED_ALPHABET, max_size=80)
token_soup = st.lists(
    st.sampled_from(
        [
            "5",
            "0",
            "1001",
            "2.5",
            "15 000",
            "15k",
            "1,5млн",
            "руб.",
            "₽",
            "вчера",
            "сегодня",
            "позавчера",
            "27.11",
            "30.12",
            "32.13",
            "2026-11-20",
            "#avito",
            "#",
            "#ab!c",
            "повтор",
            "repeat",
            "note",
            "\n",
            "  ",
        ]
    ),
    max_size=8,
).map(" ".join)
any_args = st.one_of(st.none(), st.text(max_size=200), targeted_text, token_soup)
any_today = st.one_of(st.dates(), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))


def check_invariants(kind: EntryKind, result: ParsedEntry, today: date) -> None:
    assert type(result.count) is int
    assert 1 <= result.count <= MAX_COUNT
    if kind == EntryKind.DEAL:
        assert result.count == 1
        assert type(result.amount_kopecks) is int
        assert 0 < result.amount_kopecks <= MAX_AMOUNT_RUB * 100
    else:
        assert result.amount_kopecks is None
        assert result.is_repeat is False
    assert result.business_date <= today
    assert (today - result.business_date).days <= MAX_DAYS_BACK
    if result.tag is not None:
        assert 1 <= len(result.tag) <= MAX_TAG
        assert result.tag == result.tag.casefold()
        assert not result.tag.startswith("#")
    if result.note is not None:
        assert result.note
        assert len(result.note) <= MAX_NOTE
        assert result.note == result.note.strip()


@settings(max_examples=300, deadline=None)
@given(args=any_args, today=any_today)
def test_parse_entry_total(args: str | None, today: date) -> None:
    for kind in EntryKind:
        try:
            result = parse_entry(kind, args, today)
        except ParseError as error:
            assert error.code in DOCUMENTED_CODES
            assert all(isinstance(value, str | int) for value in error.params.values())
        else:
            check_invariants(kind, result, today)


@settings(max_examples=300, deadline=None)
@given(rubles=st.integers(min_value=1, max_value=MAX_AMOUNT_RUB), sep=st.sampled_from(" \u00a0"))
def test_parse_amount_round_trip(rubles: int, sep: str) -> None:
    grouped = f"{rubles:,}".replace(",", sep)
    assert parse_amount(str(rubles)) == (rubles * 100, "")
    assert parse_amount(grouped) == (rubles * 100, "")
    assert parse_entry(EntryKind.DEAL, f"{grouped} руб", TODAY).amount_kopecks == rubles * 100
    if rubles < MAX_AMOUNT_RUB:
        assert parse_amount(f"{rubles},50") == (rubles * 100 + 50, "")
        assert parse_amount(f"{grouped},50") == (rubles * 100 + 50, "")


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=MAX_COUNT),
    back=st.integers(min_value=0, max_value=MAX_DAYS_BACK),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    kind=st.sampled_from(COUNT_KINDS),
)
def test_count_and_date_round_trip(count: int, back: int, today: date, kind: EntryKind) -> None:
    day = today - timedelta(days=back)
    for formatted in (day.isoformat(), day.strftime("%d.%m"), f"{day.day}.{day.month}"):
        result = parse_entry(kind, f"{count} {formatted} note", today)
        assert (result.count, result.business_date, result.note) == (count, day, "note")
        assert parse_entry(kind, formatted, today).business_date == day
        assert parse_date_token(formatted, today) == day


def test_a_nul_in_a_note_is_dropped() -> None:
    """NUL reaches the bot through the API; no database that holds text (PostgreSQL) takes it."""
    assert parse_entry(EntryKind.CALL, "2 a\x00b", TODAY) == entry(count=2, note="ab")
    assert parse_entry(EntryKind.CALL, "2 \x00", TODAY) == entry(count=2)
