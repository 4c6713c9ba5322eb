"""Helpline numbers per country, read from ``content/helplines.toml``.

The crisis reply has to work when the database, the staff group or the scheduler is down, so this module is
pure: it reads one TOML file once at start-up and keeps everything in memory. Nothing here touches the
network or the database.

Every number in the file carries its source and the date someone checked it. ``check()`` lists every problem
in the file (used by ``python -m bot content check``); ``HelplineBook.load()`` refuses a file with structural
problems but tolerates *stale* entries, because an old but real number is still better than none in a
crisis reply, and the admin's content check is the place that nags about staleness.
"""

from __future__ import annotations

import datetime
import pathlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
# ``domestic_violence`` and ``child_abuse`` lines are shown when a patient discloses abuse or violence.
KINDS = frozenset({"crisis", "substance", "youth", "domestic_violence", "child_abuse", "other"})
ABUSE_KINDS = frozenset({"domestic_violence", "child_abuse"})
# A check older than this is reported as "stale" by check().
STALE_AFTER_DAYS = 2 * 365

# 112 is part of the GSM standard: mobile phones can dial it in every EU country and it is redirected to the
# local emergency service in many other countries too (e.g. the UK, Australia, New Zealand's networks treat
# it like their own number). When we do not know where the patient is, it is the single number most likely
# to reach help, so the fallback uses it alongside the international directory.
FALLBACK_EMERGENCY = "112"

_CODE = re.compile(r"^[A-Z]{2}$")
# Digits, spaces and hyphens, an optional leading "+" (international form) or "*" (short codes such as
# Chile's *4141, which are dialled with the star).
_PHONE = re.compile(r"^[+*]?[0-9](?:[0-9 -]*[0-9])?$")
_URL = re.compile(r"^https?://\S+$")
_COUNTRY_HEADER = re.compile(r"^\s*\[\s*countries\.([A-Za-z0-9_\"'-]+)\s*\]\s*(?:#.*)?$")

_TOP_KEYS = {"schema_version", "directory", "countries"}
_DIRECTORY_KEYS = {"name", "url", "source", "checked"}
_COUNTRY_KEYS = {"name", "emergency", "emergency_alt", "emergency_source", "emergency_checked", "helplines"}
_HELPLINE_KEYS = {"name", "names", "kind", "phone", "text", "url", "hours", "languages", "source", "checked"}


class HelplineError(Exception):
    """The helplines file cannot be used; the message names the file, the key and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Helpline:
    name: str
    kind: str
    phone: str
    text: str
    url: str
    hours: str  # "" means unknown: the reply must not promise any hours then
    languages: tuple[str, ...]
    source: str
    checked: datetime.date
    names: tuple[tuple[str, str], ...] = ()  # (language, name) where the name differs from ``name``

    def name_in(self, lang: str) -> str:
        """The name in ``lang`` where the file gives one (``names = { es = "..." }``), else ``name``."""
        return dict(self.names).get(lang, self.name)


@dataclass(frozen=True)
class CountryHelp:
    code: str
    name: str
    emergency: str
    emergency_alt: tuple[str, ...]
    helplines: tuple[Helpline, ...]
    verified: bool  # True when at least one helpline is listed for the country


@dataclass(frozen=True)
class Directory:
    name: str
    url: str
    source: str
    checked: datetime.date


class HelplineBook:
    """All helplines, loaded once and kept in memory."""

    def __init__(self, countries: Mapping[str, CountryHelp], directory: Directory) -> None:
        self._countries = dict(countries)
        self._directory = directory

    @classmethod
    def load(cls, path: pathlib.Path, *, today: datetime.date | None = None) -> HelplineBook:
        """Reads and validates the file; raises HelplineError listing every structural problem."""
        path = pathlib.Path(path)
        data, problems = _read(path)
        problems += _validate(data, path.name, today or datetime.date.today()) if data is not None else []
        blocking = [p for p in problems if not p.endswith(": stale")]
        if blocking or data is None:
            raise HelplineError(blocking or problems)
        return cls(_build_countries(data["countries"]), _build_directory(data["directory"]))

    @property
    def directory(self) -> Directory:
        return self._directory

    def countries(self) -> list[str]:
        return sorted(self._countries)

    def for_country(self, code: str | None) -> CountryHelp:
        """The help for an ISO 3166-1 alpha-2 code (any case); a fallback for unknown or missing codes."""
        key = (code or "").strip().upper()
        found = self._countries.get(key)
        if found is not None:
            return found
        return CountryHelp(
            code=key,
            name="",
            emergency=FALLBACK_EMERGENCY,
            emergency_alt=(),
            helplines=(),
            verified=False,
        )


def check(path: pathlib.Path | str, *, today: datetime.date | None = None) -> list[str]:
    """Every problem in the file, one message each, e.g.
    ``helplines.toml: countries.XX.helplines[0].checked: missing``. An empty list means the file is fine."""
    path = pathlib.Path(path)
    data, problems = _read(path)
    if data is not None:
        problems += _validate(data, path.name, today or datetime.date.today())
    return problems


# --- reading -------------------------------------------------------------------------------------------


def _read(path: pathlib.Path) -> tuple[dict[str, Any] | None, list[str]]:
    name = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"{name}: cannot read the file: {exc.strerror or exc}"]
    problems = _duplicate_headers(raw, name)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        if not problems:  # a duplicate table is already reported in plainer words
            problems.append(f"{name}: not valid TOML: {exc}")
        return None, problems
    return data, problems


def _duplicate_headers(raw: str, name: str) -> list[str]:
    """TOML itself rejects a table declared twice; this names the country instead of a parser position.
    It also catches the same country written in two cases ([countries.GB] and [countries.gb])."""
    seen: dict[str, int] = {}
    problems = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        match = _COUNTRY_HEADER.match(line)
        if not match:
            continue
        code = match.group(1).strip("\"'").upper()
        if code in seen:
            where = f"line {seen[code]} and line {lineno}"
            problems.append(f"{name}: countries.{code}: duplicate country ({where})")
        else:
            seen[code] = lineno
    return problems


# --- validation ----------------------------------------------------------------------------------------


class _Problems:
    def __init__(self, file_name: str, today: datetime.date) -> None:
        self.file = file_name
        self.today = today
        self.items: list[str] = []

    def add(self, key: str, what: str) -> None:
        self.items.append(f"{self.file}: {key}: {what}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in sorted(set(table) - allowed):
            self.add(f"{prefix}.{key}" if prefix else key, "unknown key")

    def text(self, table: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{prefix}.{key}", "missing")
            return ""
        if not isinstance(value, str):
            self.add(f"{prefix}.{key}", "must be a string")
            return ""
        if required and not value.strip():
            self.add(f"{prefix}.{key}", "must not be empty")
        return value

    def date(self, table: Mapping[str, Any], key: str, prefix: str) -> None:
        full = f"{prefix}.{key}"
        value = table.get(key)
        if value is None:
            self.add(full, "missing")
        elif isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            self.add(full, "must be a TOML date like 2026-11-21")
        elif value > self.today:
            self.add(full, f"{value.isoformat()} is in the future")
        elif (self.today - value).days > STALE_AFTER_DAYS:
            self.add(full, "stale")

    def url(self, table: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> None:
        value = self.text(table, key, prefix, required=required)
        if value and not _URL.match(value):
            self.add(f"{prefix}.{key}", "must be an http(s) address")

    def phone(self, value: Any, key: str) -> None:
        if not isinstance(value, str):
            self.add(key, "must be a string")
        elif value and not _PHONE.match(value):
            self.add(key, f"bad phone {value!r}: only digits, spaces, '-' and a leading '+' or '*'")


def _validate(data: Mapping[str, Any], file_name: str, today: datetime.date) -> list[str]:
    p = _Problems(file_name, today)
    p.unknown_keys(data, _TOP_KEYS, "")

    version = data.get("schema_version")
    if version is None:
        p.add("schema_version", "missing")
    elif version != SCHEMA_VERSION:
        p.add("schema_version", f"must be {SCHEMA_VERSION}")

    directory = data.get("directory")
    if not isinstance(directory, dict):
        p.add("directory", "missing" if directory is None else "must be a table")
    else:
        p.unknown_keys(directory, _DIRECTORY_KEYS, "directory")
        p.text(directory, "name", "directory", required=True)
        p.url(directory, "url", "directory", required=True)
        p.text(directory, "source", "directory", required=True)
        p.date(directory, "checked", "directory")

    countries = data.get("countries")
    if not isinstance(countries, dict) or not countries:
        p.add("countries", "missing" if countries is None else "must list at least one country")
        return p.items
    for code in sorted(countries):
        _validate_country(p, code, countries[code])
    return p.items


def _validate_country(p: _Problems, code: str, country: Any) -> None:
    prefix = f"countries.{code}"
    if not _CODE.match(code):
        p.add(prefix, "country code must be two upper-case letters (ISO 3166-1 alpha-2)")
    if not isinstance(country, dict):
        p.add(prefix, "must be a table")
        return
    p.unknown_keys(country, _COUNTRY_KEYS, prefix)
    p.text(country, "name", prefix, required=True)

    emergency = country.get("emergency")
    if emergency is None:
        p.add(f"{prefix}.emergency", "missing")
    else:
        p.phone(emergency, f"{prefix}.emergency")
        if isinstance(emergency, str) and not emergency:
            p.add(f"{prefix}.emergency", "must not be empty")
    alt = country.get("emergency_alt", [])
    if not isinstance(alt, list):
        p.add(f"{prefix}.emergency_alt", "must be a list of numbers")
    else:
        for i, number in enumerate(alt):
            p.phone(number, f"{prefix}.emergency_alt[{i}]")
    p.url(country, "emergency_source", prefix, required=True)
    p.date(country, "emergency_checked", prefix)

    helplines = country.get("helplines", [])
    if not isinstance(helplines, list):
        p.add(f"{prefix}.helplines", "must be an array of tables ([[countries.XX.helplines]])")
        return
    seen_phones: dict[str, int] = {}
    for i, line in enumerate(helplines):
        key = f"{prefix}.helplines[{i}]"
        if not isinstance(line, dict):
            p.add(key, "must be a table")
            continue
        _validate_helpline(p, key, line)
        phone = line.get("phone")
        if isinstance(phone, str) and phone:
            digits = re.sub(r"[^0-9+*]", "", phone)
            if digits in seen_phones:
                p.add(f"{key}.phone", f"duplicate of helplines[{seen_phones[digits]}].phone")
            else:
                seen_phones[digits] = i


def _validate_helpline(p: _Problems, key: str, line: Mapping[str, Any]) -> None:
    p.unknown_keys(line, _HELPLINE_KEYS, key)
    p.text(line, "name", key, required=True)
    names = line.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) and v.strip() for v in names.values()):
        p.add(f"{key}.names", 'must be a table of names per language, e.g. { es = "..." }')
    kind = line.get("kind")
    if kind is None:
        p.add(f"{key}.kind", "missing")
    elif kind not in KINDS:
        p.add(f"{key}.kind", f"{kind!r} is not one of {', '.join(sorted(KINDS))}")
    if "phone" in line:
        p.phone(line["phone"], f"{key}.phone")
    text = p.text(line, "text", key, required=False)
    p.url(line, "url", key, required=False)
    p.text(line, "hours", key, required=False)
    languages = line.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) and x for x in languages):
        p.add(f"{key}.languages", "must be a list of language codes")
    p.text(line, "source", key, required=True)
    p.date(line, "checked", key)
    phone = line.get("phone")
    url = line.get("url")
    if not any(isinstance(v, str) and v.strip() for v in (phone, text, url)):
        p.add(key, "needs at least one of phone, text or url")


# --- building ------------------------------------------------------------------------------------------


def _build_directory(table: Mapping[str, Any]) -> Directory:
    return Directory(name=table["name"], url=table["url"], source=table["source"], checked=table["checked"])


def _build_countries(tables: Mapping[str, Any]) -> dict[str, CountryHelp]:
    countries = {}
    for code, table in tables.items():
        helplines = tuple(
            Helpline(
                name=line["name"],
                kind=line["kind"],
                phone=line.get("phone", ""),
                text=line.get("text", ""),
                url=line.get("url", ""),
                hours=line.get("hours", ""),
                languages=tuple(line.get("languages", [])),
                source=line["source"],
                checked=line["checked"],
                names=tuple(sorted(line.get("names", {}).items())),
            )
            for line in table.get("helplines", [])
        )
        countries[code] = CountryHelp(
            code=code,
            name=table["name"],
            emergency=table["emergency"],
            emergency_alt=tuple(table.get("emergency_alt", [])),
            helplines=helplines,
            verified=bool(helplines),
        )
    return countries
