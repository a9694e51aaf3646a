"""Locale files (gettext .po, read with Babel) and locale-aware number formatting."""

import gettext
import html
from datetime import date
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"


def language_for(language_code: str | None) -> str:
    """Russian for Telegram's `ru`, English for everyone else."""
    return "ru" if (language_code or "").lower().startswith("ru") else DEFAULT_LANGUAGE


class Safe(str):
    """A fragment already rendered as HTML: inserted into a text without escaping."""

    __slots__ = ()


def _escape(value: Any) -> Any:
    if isinstance(value, Safe):
        return value
    if isinstance(value, str):
        return html.escape(value, quote=False)
    return value


@cache
def _catalog(language: str) -> gettext.GNUTranslations:
    """All .po files of a language (one per feature) merged into one compiled catalog."""
    merged = Catalog(locale=language)
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            part = read_po(po, locale=language)
        for message in part:
            if message.id:
                merged[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Texts of one language: `t("key", name=...)`, `t.plural("key", n)`, numbers and money."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = _catalog(self.language)

    def __call__(self, key: str, **params: Any) -> str:
        text = self._catalog.gettext(key)
        return text.format(**{name: _escape(value) for name, value in params.items()})

    def plain(self, key: str, **params: Any) -> str:
        """For places Telegram shows as plain text (buttons, the command menu): no escaping."""
        return self._catalog.gettext(key).format(**params)

    def plural(self, key: str, n: int, **params: Any) -> str:
        text = self._catalog.ngettext(key, key, n)
        params = {name: _escape(value) for name, value in params.items()}
        return text.format(n=self.number(n), **params)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.language, group_separator=True)

    def money(self, kopecks: int) -> str:
        rubles = Decimal(kopecks) / 100
        pattern = "#,##0" if kopecks % 100 == 0 else "#,##0.00"
        return f"{format_decimal(rubles, format=pattern, locale=self.language)} ₽"

    def percent(self, part: int, whole: int) -> str:
        share = Decimal(part * 100) / Decimal(whole)
        return f"{format_decimal(share, format='#,##0.#', locale=self.language)}%"

    def day(self, value: date) -> str:
        return format_date(value, format="d MMMM", locale=self.language)

    def month(self, value: date) -> str:
        text = format_date(value, format="LLLL y", locale=self.language)
        return text[:1].upper() + text[1:]


@cache
def translator(language: str) -> Translator:
    return Translator(language)
