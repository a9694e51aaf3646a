"""Locale files: both languages say the same things, with the same placeholders."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import ParseErrorCode
from bot.texts import LOCALES_DIR, Translator, language_for

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(language: str, name: str) -> dict[str, set[str]]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / name).open("rb") as po:
        messages = read_po(po, locale=language)
    result = {}
    for message in messages:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}/{name}: empty translation for {key}"
        result[key] = {p for s in strings for p in PLACEHOLDER.findall(s)}
    return result


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (LOCALES_DIR / "en" / "LC_MESSAGES").glob("*.po"))
)
def test_russian_and_english_have_the_same_keys_and_placeholders(name: str) -> None:
    assert (LOCALES_DIR / "ru" / "LC_MESSAGES" / name).exists()
    english, russian = catalog("en", name), catalog("ru", name)
    assert set(english) == set(russian)
    for key in english:
        assert english[key] == russian[key], key


def test_russian_plurals() -> None:
    t = Translator("ru")
    assert [t.plural("n_calls", n) for n in (1, 2, 5, 11, 21, 22, 111)] == [
        "1 звонок",
        "2 звонка",
        "5 звонков",
        "11 звонков",
        "21 звонок",
        "22 звонка",
        "111 звонков",
    ]
    assert t.plural("n_deals", 3) == "3 сделки"


def test_numbers_and_money_by_language() -> None:
    assert Translator("ru").money(1_500_050) == "15\u00a0000,50 ₽"
    assert Translator("en").money(1_500_000) == "15,000 ₽"
    assert Translator("en").percent(1, 3) == "33.3%"


def test_language_choice() -> None:
    assert (language_for("ru"), language_for("ru-RU"), language_for("uk")) == ("ru", "ru", "en")
    assert language_for(None) == "en"


def test_user_values_are_escaped() -> None:
    text = Translator("en")("join.already_member", team="<b>&</b>")
    assert text == "You're already in team «&lt;b&gt;&amp;&lt;/b&gt;»."


def test_locale_files_exist_for_both_languages() -> None:
    english = {p.name for p in Path(LOCALES_DIR / "en" / "LC_MESSAGES").glob("*.po")}
    russian = {p.name for p in Path(LOCALES_DIR / "ru" / "LC_MESSAGES").glob("*.po")}
    assert english == russian


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_parse_error_code_has_a_text(language: str) -> None:
    """A ParseError anywhere is shown as `error.<code>`: none may fall back to the bare key."""
    keys = {
        key
        for path in (LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")
        for key in catalog(language, path.name)
    }
    assert [code.value for code in ParseErrorCode if f"error.{code.value}" not in keys] == []


@given(st.integers(-(10**13), 10**13))
def test_numbers_and_money_read_as_babel_writes_them(value: int) -> None:
    for language in ("en", "ru"):
        t = Translator(language)
        assert t.number(value) == format_decimal(value, locale=language, group_separator=True)
        pattern = "#,##0" if value % 100 == 0 else "#,##0.00"
        rubles = format_decimal(Decimal(value) / 100, format=pattern, locale=language)
        assert t.money(value) == f"{rubles} ₽"
