"""Dates, times, country names and plural forms per language and country (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt

from bot.content import Content, formats
from tests.harness import ROOT

DAY = dt.date(2026, 12, 4)


def test_dates_follow_the_patients_region():
    assert formats.date_text(DAY, "en", "US") == "Dec 4, 2026"
    assert formats.date_text(DAY, "en", "GB") == "4 Dec 2026"
    assert formats.date_text(DAY, "es", "MX") == "4 dic 2026"
    assert "2026-12-04" not in formats.day_text(DAY, "es", "ES")


def test_month_first_only_where_the_region_writes_it_so():
    assert formats.month_first("en", "US")
    assert not formats.month_first("en", "GB")
    assert not formats.month_first("es", "US")


def test_times_follow_the_region():
    assert formats.time_text(dt.time(21, 30), "en", "US") == "9:30\u202fPM" or formats.time_text(
        dt.time(21, 30), "en", "US"
    ).startswith("9:30")
    assert formats.time_text(dt.time(21, 30), "es", "ES") == "21:30"


def test_unknown_language_or_country_falls_back_without_error():
    assert formats.date_text(DAY, "xx", "ZZ") == formats.date_text(DAY, "en")
    assert formats.country_name("QQ", "es") == "QQ"
    assert formats.country_name("ZZ", "es") == "ZZ"


def test_country_names_are_translated():
    assert formats.country_name("US", "es") == "Estados Unidos"
    assert formats.country_name("es", "en") == "Spain"


def test_plural_category():
    assert formats.plural_category(1, "en") == "one"
    assert formats.plural_category(0, "en") == "other"
    assert formats.plural_category(2, "es") == "other"


def test_content_plural_picks_the_form_and_falls_back_to_other(tmp_path):
    for lang, one, other in (("en", "{count} day", "{count} days"), ("es", "{count} día", "{count} días")):
        folder = tmp_path / lang
        folder.mkdir()
        (folder / "common.toml").write_text(f'[days]\none = "{one}"\nother = "{other}"\n', encoding="utf-8")
    content = Content.load(tmp_path, "en")
    assert content.plural("en", "common.days", 1) == "1 day"
    assert content.plural("en", "common.days", 3) == "3 days"
    assert content.plural("es", "common.days", 1) == "1 día"
    assert content.plural("es", "common.days", 1_000_000) == "1000000 días"  # Spanish "many" falls back


def test_project_content_still_loads():
    assert Content.load(ROOT / "content", "en").languages == ("en", "es")
