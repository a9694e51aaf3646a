"""Locale files (gettext .po, read with Babel) and locale-aware number formatting."""

import gettext
import html
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)

from bot.domain import percent_of, rounded

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"


def language_for(language_code: str | None) -> str:
    """Russian for Telegram's `ru`, English for everyone else."""
    return "ru" if (language_code or "").lower().startswith("ru") else DEFAULT_LANGUAGE


class Safe(str):
    """A fragment already rendered as HTML: inserted into a text without escaping."""

    __slots__ = ()


def _escaped(params: dict[str, Any]) -> dict[str, Any]:
    """A text's values (a dict of its own, changed in place) with their strings escaped as HTML,
    a Safe fragment left as it is."""
    for name, value in params.items():
        kind = type(value)
        if kind is str or (kind is not Safe and isinstance(value, str)):
            params[name] = html.escape(value, quote=False)
    return params


@cache
def _merged(language: str) -> Catalog:
    """All .po files of a language (one per feature) in one catalog."""
    merged = Catalog(locale=language)
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            part = read_po(po, locale=language)
        for message in part:
            if message.id:
                merged[message.id] = message
    return merged


@cache
def _catalog(language: str) -> gettext.GNUTranslations:
    """The language's catalog, compiled."""
    buffer = BytesIO()
    write_mo(buffer, _merged(language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Texts of one language: `t("key", name=...)`, `t.plural("key", n)`, numbers and money."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = _catalog(self.language)
        self._texts = _texts(self.language)
        # Whole numbers are what most texts show: grouped by threes with the locale's own
        # symbols, as Babel's "#,##0" does (tests compare the two), without its general path.
        self._locale = Locale.parse(self.language)
        self._group = get_group_symbol(self._locale)
        self._decimal = get_decimal_symbol(self._locale)
        self._minus = get_minus_sign_symbol(self._locale)

    def _whole(self, value: int) -> str:
        grouped = f"{abs(value):,}".replace(",", self._group)
        return self._minus + grouped if value < 0 else grouped

    def __call__(self, key: str, **params: Any) -> str:
        text = self._texts.get(key)
        if text is None:
            text = self._catalog.gettext(key)
        return text.format_map(_escaped(params))

    def plain(self, key: str, **params: Any) -> str:
        """For places Telegram shows as plain text (buttons, the command menu): no escaping."""
        return self._catalog.gettext(key).format(**params)

    def template(self, key: str) -> str:
        """The text as the locale file has it, its {placeholders} left for the page to fill."""
        return self._catalog.gettext(key)

    def plural(self, key: str, n: int, **params: Any) -> str:
        text = self._catalog.ngettext(key, key, n)
        return text.format(n=self.number(n), **_escaped(params))

    def number(self, value: int | Decimal) -> str:
        """A whole number, or a Decimal with exactly its digits (rounded before, never here:
        Babel would round half to even)."""
        if isinstance(value, int):
            return self._whole(value)
        return format_decimal(
            value, format="#,##0.######", locale=self._locale, decimal_quantization=False
        )

    def money(self, kopecks: int) -> str:
        """Whole rubles, or rubles and kopecks when there are any: `15 000 ₽`, `15 000,50 ₽`."""
        rubles, cents = divmod(abs(kopecks), 100)
        text = self._whole(rubles)
        if cents:
            text += f"{self._decimal}{cents:02d}"
        return f"{self._minus}{text} ₽" if kopecks < 0 else f"{text} ₽"

    def payout(self, kopecks: int) -> str:
        """A payout, always to the kopeck: `6 600,00 ₽` (money as `money` writes it)."""
        rubles, cents = divmod(abs(kopecks), 100)
        text = f"{self._whole(rubles)}{self._decimal}{cents:02d}"
        return f"{self._minus}{text} ₽" if kopecks < 0 else f"{text} ₽"

    def percent(self, part: int | Fraction, whole: int | Fraction, places: int = 1) -> str:
        """`part` of `whole` in per cent, to `places` decimals (half up; trailing 0 dropped)."""
        shown = rounded(percent_of(part, whole), places)
        if shown == shown.to_integral_value():
            return f"{self._whole(int(shown))}%"
        return f"{self.number(shown)}%"

    def day(self, value: date) -> str:
        return _formatted_date(value, "d MMMM", self.language)

    def month(self, value: date) -> str:
        """A month as a title: 'December 2026', 'Декабрь 2026'."""
        text = self.month_in_text(value)
        return text[:1].upper() + text[1:]

    def month_in_text(self, value: date) -> str:
        """A month inside a sentence: 'December 2026', 'декабрь 2026' (the stand-alone name,
        lower-case in Russian; 'MMMM' would be the genitive 'декабря')."""
        return _formatted_date(value, "LLLL y", self.language)


@cache
def _texts(language: str) -> dict[str, str]:
    """The catalog's singular texts by key, as `gettext` gives them: what a text costs to look
    up is a dict's get (texts are asked for on every reply, several times)."""
    catalog = _catalog(language)
    keys = [message.id for message in _merged(language) if isinstance(message.id, str)]
    return {key: catalog.gettext(key) for key in keys if key}


@lru_cache(maxsize=1024)  # the same few dates are named again and again
def _formatted_date(value: date, pattern: str, language: str) -> str:
    return format_date(value, format=pattern, locale=language)


@cache
def translator(language: str) -> Translator:
    return Translator(language)
