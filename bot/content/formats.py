"""Dates, times, numbers, plurals and country names per language and country, from Babel's CLDR data.

One format per language and region: a patient in the United States reads "Dec 4, 2026", one in Spain
"4 dic 2026", one in the United Kingdom "4 Dec 2026". Nothing here shows an ISO date to a patient.
Callers pass the patient's language ("en", "es") and, where known, their country ("US", "MX").
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time


@cache
def locale_for(lang: str | None, country: str | None = None) -> Locale:
    """The CLDR locale for a language and country ("es", "MX" -> es_MX), else for the language alone."""
    language = (lang or "en").split("-")[0].lower() or "en"
    for candidate in (f"{language}_{(country or '').upper()}", language):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def date_text(day: dt.date, lang: str | None, country: str | None = None) -> str:
    """A date with the year, as the locale writes it ("Dec 4, 2026", "4 dic 2026")."""
    return format_date(day, format="medium", locale=locale_for(lang, country))


def day_text(day: dt.date, lang: str | None, country: str | None = None) -> str:
    """A weekday, day and month, as the locale writes it ("Friday, December 4", "viernes, 4 de diciembre")."""
    return format_skeleton("MMMMEEEEd", day, locale=locale_for(lang, country))


def short_day_text(day: dt.date, lang: str | None, country: str | None = None) -> str:
    """A short day and month for chart axes and lists ("Dec 4", "4 dic")."""
    return format_skeleton("MMMd", day, locale=locale_for(lang, country))


def time_text(moment: dt.time | dt.datetime, lang: str | None, country: str | None = None) -> str:
    """A time of day as the locale writes it ("9:30 PM" in the US, "21:30" in Spain)."""
    return format_time(moment, format="short", locale=locale_for(lang, country))


def date_pattern_hint(lang: str | None, country: str | None = None) -> str:
    """How the locale writes a short numeric date, as a hint for typing one ("M/d/yy", "d/M/yy")."""
    return locale_for(lang, country).date_formats["short"].pattern


def month_first(lang: str | None, country: str | None = None) -> bool:
    """True where the locale writes the month before the day in numeric dates (the United States)."""
    pattern = date_pattern_hint(lang, country).lower()
    return pattern.find("m") < pattern.find("d")


def country_name(code: str, lang: str | None) -> str:
    """A country's name in the patient's language ("ES" -> "Spain" / "España"); the code if unknown."""
    code = code.upper()
    return code if code == "ZZ" else locale_for(lang).territories.get(code, code)


def plural_category(count: int, lang: str | None) -> str:
    """CLDR's plural category of ``count`` in ``lang``: "one", "few", "many" or "other"."""
    return locale_for(lang).plural_form(abs(count))
