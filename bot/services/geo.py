"""Countries and time zones from the IANA tz database (the ``tzdata`` package ships its tables)."""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources


def _table(name: str) -> list[list[str]]:
    text = (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> English name, for every country the tz database knows."""
    return {row[0]: row[1] for row in _table("iso3166.tab")}


@functools.cache
def _zones() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for row in _table("zone.tab"):
        zones.setdefault(row[0], []).append(row[2])
    return zones


def zones_for(country: str | None) -> list[str]:
    return list(_zones().get((country or "").upper(), []))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z]", "", "".join(c for c in text if not unicodedata.combining(c)))


_ALIASES = {
    "uk": "GB",
    "unitedkingdom": "GB",
    "greatbritain": "GB",
    "britain": "GB",
    "northernireland": "GB",
    "czechia": "CZ",
    "czechrepublic": "CZ",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "usa": "US",
    "america": "US",
    "unitedstatesofamerica": "US",
    "holland": "NL",
    "eire": "IE",
    "espana": "ES",
}


def find_country(text: str) -> str | None:
    """A country code from what a patient typed: a code ("ie"), a name ("Ireland") or a common alias."""
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", raw) and raw.upper() in country_names():
        return raw.upper()
    folded = _fold(raw)
    if not folded:
        return None
    if folded in _ALIASES:
        return _ALIASES[folded]
    names = _folded_names()
    matches = [code for code, name in names if name == folded]
    if not matches:
        matches = [code for code, name in names if name.startswith(folded)]
    return matches[0] if len(matches) == 1 else None


@functools.cache
def _folded_names() -> tuple[tuple[str, str], ...]:
    """(code, folded name) of every country, folded once: a typed country is matched without work."""
    return tuple((code, _fold(name)) for code, name in country_names().items())


def region_of(language_code: str | None) -> str | None:
    """The country part of a Telegram language code such as ``en-GB``, when there is one."""
    if language_code and "-" in language_code:
        region = language_code.split("-", 1)[1].upper()
        return region if region in country_names() else None
    return None


def display_name(code: str | None, preferred: str = "") -> str:
    """The name shown to a patient: the helplines file's name when it has one, else the tz database's."""
    return preferred or country_names().get((code or "").upper(), code or "")
