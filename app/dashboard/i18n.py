"""The dashboard in English, Spanish, German and French: the language from `?lang=`, then
the language cookie, then the browser's `Accept-Language`; numbers and dates formatted for
that language by Babel (CLDR data), never by hand-written formats.

The interface texts are dictionaries per language, like the link pages' (app/pages/i18n.py),
with `{name}` placeholders filled by `str.format`."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from app.dashboard.texts import TEXTS

LANGUAGES = tuple(TEXTS)
DASH = "\u2013"  # no value
LANG_COOKIE = "sentio_dashboard_lang"
D3_LOCALES = {"en": "en-US", "es": "es-ES", "de": "de-DE", "fr": "fr-FR"}
"""The charts' own axis formats (Vega's d3 locales), for the same languages."""


def preferred(accept_language: str | None) -> list[str]:
    """Accept-Language's tags, most wanted first (RFC 9110 quality values)."""
    weighted = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _q, _p, tag in sorted(weighted)]


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit  # type: ignore[return-value]
    found = negotiate_locale(preferred(accept_language), list(LANGUAGES), sep="-")
    if found is None:  # `de-CH` is German even when `de` alone is not listed
        bases = [tag.split("-")[0].lower() for tag in preferred(accept_language)]
        found = next((b for b in bases if b in LANGUAGES), "en")
    return found


class Formatter:
    """Texts and number, date and time formats of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.texts = TEXTS[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self.texts[key]
        return text.format(**values) if values else text

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return DASH
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def signed(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return DASH
        body = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=f"+{body};-{body}", locale=self.locale)

    def count(self, value: int) -> str:
        return format_decimal(value, format="#,##0", locale=self.locale)

    def p_value(self, value: float | None) -> str:
        """`= 0.042` or `< 0.001`, to follow a "p"."""
        if value is None:
            return "= " + DASH
        if value < 0.001:
            return "< " + self.number(0.001, 3)
        return "= " + self.number(value, 3)

    def day(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime, zone: ZoneInfo) -> str:
        return format_datetime(value, format="medium", tzinfo=zone, locale=self.locale)

    def language_name(self, lang: str) -> str:
        return Locale.parse(lang).get_display_name(lang).capitalize()
