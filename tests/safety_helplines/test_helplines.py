"""The helplines data file and its loader (bot/safety/helplines.py)."""

from __future__ import annotations

import datetime
import pathlib
import textwrap

import pytest

from bot.safety.helplines import KINDS, HelplineBook, HelplineError, check

REAL_FILE = pathlib.Path(__file__).resolve().parents[2] / "content" / "helplines.toml"
TODAY = datetime.date(2026, 12, 4)

EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
REQUIRED = EU + ["US", "GB", "IE", "CA", "AU", "NZ"]

VALID = textwrap.dedent(
    """\
    schema_version = 1

    [directory]
    name = "Find A Helpline"
    url = "https://findahelpline.com"
    source = "https://findahelpline.com/AU"
    checked = 2026-11-01

    [countries.GB]
    name = "United Kingdom"
    emergency = "999"
    emergency_alt = ["112"]
    emergency_source = "https://example.org/999"
    emergency_checked = 2026-11-01

    [[countries.GB.helplines]]
    name = "Samaritans"
    kind = "crisis"
    phone = "116 123"
    url = "https://www.samaritans.org"
    hours = "24/7"
    languages = ["en"]
    source = "https://example.org/samaritans"
    checked = 2026-11-01

    [countries.RO]
    name = "Romania"
    emergency = "112"
    emergency_source = "https://example.org/112"
    emergency_checked = 2026-11-01
    """
)


def write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "helplines.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(tmp_path: pathlib.Path, text: str) -> list[str]:
    return check(write(tmp_path, text), today=TODAY)


# --- the real file ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book() -> HelplineBook:
    return HelplineBook.load(REAL_FILE, today=TODAY)


def test_real_file_has_no_problems():
    assert check(REAL_FILE, today=TODAY) == []


def test_real_file_has_no_date_after_today():
    # Guards against a typo'd year: nothing may claim to be checked after the machine's own today either.
    assert [p for p in check(REAL_FILE) if "in the future" in p] == []


@pytest.mark.parametrize("code", REQUIRED)
def test_required_countries_present_with_emergency_number(book, code):
    assert code in book.countries()
    help_ = book.for_country(code)
    assert help_.code == code
    assert help_.name
    assert help_.emergency


@pytest.mark.parametrize("code", EU)
def test_eu_countries_use_112(book, code):
    assert "112" in (book.for_country(code).emergency, *book.for_country(code).emergency_alt)


def test_known_emergency_numbers(book):
    assert book.for_country("US").emergency == "911"
    assert book.for_country("CA").emergency == "911"
    assert book.for_country("GB").emergency == "999"
    assert book.for_country("AU").emergency == "000"
    assert book.for_country("NZ").emergency == "111"
    assert set(("112", "999")) == {book.for_country("IE").emergency, *book.for_country("IE").emergency_alt}


def test_every_helpline_is_sourced_and_dated(book):
    for code in book.countries():
        for line in book.for_country(code).helplines:
            assert line.source.startswith(("http://", "https://")), (code, line.name)
            assert line.checked <= TODAY, (code, line.name)
            assert line.kind in KINDS
            assert line.phone or line.text or line.url


def test_verified_means_has_helplines(book):
    for code in book.countries():
        help_ = book.for_country(code)
        assert help_.verified == bool(help_.helplines)


def test_key_lines_present(book):
    assert book.for_country("US").helplines[0].phone == "988"
    assert book.for_country("GB").helplines[0].phone == "116 123"
    assert book.for_country("IE").helplines[0].phone == "116 123"
    assert book.for_country("CA").helplines[0].phone == "988"
    assert book.for_country("AU").helplines[0].phone == "13 11 14"


def test_directory(book):
    assert book.directory.name == "Find A Helpline"
    assert book.directory.url == "https://findahelpline.com"
    assert book.directory.checked <= TODAY


# --- lookup and fallback ---------------------------------------------------------------------------------


def test_lookup_is_case_insensitive(book):
    assert book.for_country("gb") == book.for_country("GB")
    assert book.for_country(" ie ").code == "IE"


@pytest.mark.parametrize("code", ["ZZ", "zz", None, ""])
def test_unknown_country_falls_back_to_112(book, code):
    help_ = book.for_country(code)
    assert help_.emergency == "112"
    assert help_.name == ""
    assert help_.helplines == ()
    assert help_.verified is False


def test_country_without_helplines_keeps_its_own_emergency_number(tmp_path):
    book = HelplineBook.load(write(tmp_path, VALID), today=TODAY)
    ro = book.for_country("RO")
    assert ro.name == "Romania"
    assert ro.emergency == "112"
    assert ro.verified is False
    gb = book.for_country("GB")
    assert gb.verified is True
    assert gb.emergency_alt == ("112",)
    assert gb.helplines[0].languages == ("en",)


# --- the checker finds each kind of mistake --------------------------------------------------------------


def test_valid_sample_has_no_problems(tmp_path):
    assert problems_for(tmp_path, VALID) == []


def test_missing_source(tmp_path):
    text = VALID.replace('source = "https://example.org/samaritans"\n', "")
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.GB.helplines[0].source: missing"]


def test_missing_checked(tmp_path):
    text = VALID.replace("checked = 2026-11-01\n\n[countries.RO]", "\n[countries.RO]")
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.GB.helplines[0].checked: missing"]


def test_bad_date_type(tmp_path):
    text = VALID.replace("checked = 2026-11-01\n\n[countries.RO]", 'checked = "yesterday"\n\n[countries.RO]')
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.helplines[0].checked: must be a TOML date like 2026-11-21"
    ]


def test_datetime_is_not_a_date(tmp_path):
    text = VALID.replace(
        "emergency_checked = 2026-11-01\n\n[[", "emergency_checked = 2026-11-01T10:00:00\n\n[[", 1
    )
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.emergency_checked: must be a TOML date like 2026-11-21"
    ]


def test_future_date(tmp_path):
    text = VALID.replace("checked = 2026-11-01\n\n[countries.RO]", "checked = 2027-01-01\n\n[countries.RO]")
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.helplines[0].checked: 2027-01-01 is in the future"
    ]


def test_stale_date(tmp_path):
    text = VALID.replace("checked = 2026-11-01\n\n[countries.RO]", "checked = 2023-01-01\n\n[countries.RO]")
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.GB.helplines[0].checked: stale"]


def test_bad_phone(tmp_path):
    text = VALID.replace('phone = "116 123"', 'phone = "116 123 (free)"')
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: countries.GB.helplines[0].phone: bad phone")


def test_bad_emergency_number(tmp_path):
    text = VALID.replace('emergency_alt = ["112"]', 'emergency_alt = ["one-one-two"]')
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: countries.GB.emergency_alt[0]: bad phone")


def test_phone_forms_allowed(tmp_path):
    for phone in ["+44 116 123", "1-800-662-4357", "*4141", "988"]:
        assert problems_for(tmp_path, VALID.replace('"116 123"', f'"{phone}"')) == [], phone


def test_duplicate_country(tmp_path):
    text = VALID + textwrap.dedent(
        """
        [countries.GB]
        name = "Britain again"
        emergency = "999"
        emergency_source = "https://example.org/999"
        emergency_checked = 2026-11-01
        """
    )
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: countries.GB: duplicate country")


def test_duplicate_country_in_other_case(tmp_path):
    text = VALID.replace("[countries.RO]", "[countries.gb]")
    problems = problems_for(tmp_path, text)
    assert problems[0].startswith("helplines.toml: countries.GB: duplicate country")
    bad_code = (
        "helplines.toml: countries.gb: country code must be two upper-case letters (ISO 3166-1 alpha-2)"
    )
    assert bad_code in problems


def test_bad_country_code(tmp_path):
    text = VALID.replace("[countries.RO]", "[countries.ROU]")
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.ROU: country code must be two upper-case letters (ISO 3166-1 alpha-2)"
    ]


def test_bad_kind(tmp_path):
    text = VALID.replace('kind = "crisis"', 'kind = "hotline"')
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: countries.GB.helplines[0].kind: 'hotline' is not one of")


def test_helpline_needs_a_way_to_reach_it(tmp_path):
    text = VALID.replace('phone = "116 123"\n', "").replace('url = "https://www.samaritans.org"\n', "")
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.helplines[0]: needs at least one of phone, text or url"
    ]


def test_text_only_helpline_is_fine(tmp_path):
    text = VALID.replace('phone = "116 123"\n', 'text = "Text SHOUT to 85258"\n').replace(
        'url = "https://www.samaritans.org"\n', ""
    )
    assert problems_for(tmp_path, text) == []


def test_missing_emergency(tmp_path):
    text = VALID.replace('emergency = "999"\n', "")
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.GB.emergency: missing"]


def test_missing_emergency_source(tmp_path):
    text = VALID.replace('emergency_source = "https://example.org/112"\n', "")
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.RO.emergency_source: missing"]


def test_unknown_key_is_reported(tmp_path):
    text = VALID.replace('hours = "24/7"', 'hours = "24/7"\nphnoe = "116 123"')
    assert problems_for(tmp_path, text) == ["helplines.toml: countries.GB.helplines[0].phnoe: unknown key"]


def test_duplicate_phone_in_one_country(tmp_path):
    text = VALID.replace(
        "[countries.RO]",
        textwrap.dedent(
            """\
            [[countries.GB.helplines]]
            name = "Samaritans again"
            kind = "crisis"
            phone = "116123"
            source = "https://example.org/samaritans"
            checked = 2026-11-01

            [countries.RO]"""
        ),
    )
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.helplines[1].phone: duplicate of helplines[0].phone"
    ]


def test_bad_url(tmp_path):
    text = VALID.replace('url = "https://www.samaritans.org"', 'url = "www.samaritans.org"')
    assert problems_for(tmp_path, text) == [
        "helplines.toml: countries.GB.helplines[0].url: must be an http(s) address"
    ]


def test_missing_directory_and_schema(tmp_path):
    text = VALID.replace("schema_version = 1\n", "").split("[countries.GB]", 1)
    text = "[countries.GB]" + text[1]
    assert problems_for(tmp_path, text) == [
        "helplines.toml: schema_version: missing",
        "helplines.toml: directory: missing",
    ]


def test_wrong_schema_version(tmp_path):
    text = VALID.replace("schema_version = 1", "schema_version = 2")
    assert problems_for(tmp_path, text) == ["helplines.toml: schema_version: must be 1"]


def test_invalid_toml(tmp_path):
    problems = problems_for(tmp_path, VALID + "\nthis is not = = toml\n")
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: not valid TOML")


def test_missing_file(tmp_path):
    problems = check(tmp_path / "helplines.toml", today=TODAY)
    assert len(problems) == 1
    assert problems[0].startswith("helplines.toml: cannot read the file")


def test_every_problem_is_listed(tmp_path):
    text = VALID.replace('kind = "crisis"', 'kind = "x"').replace('phone = "116 123"', 'phone = "abc"')
    text = text.replace('emergency = "112"', 'emergency = "1 1 2!"')
    assert len(problems_for(tmp_path, text)) == 3


# --- load() refuses structural problems but tolerates stale entries --------------------------------------


def test_load_raises_with_file_key_and_reason(tmp_path):
    path = write(tmp_path, VALID.replace('source = "https://example.org/samaritans"\n', ""))
    with pytest.raises(HelplineError) as info:
        HelplineBook.load(path, today=TODAY)
    assert "helplines.toml: countries.GB.helplines[0].source: missing" in str(info.value)
    assert info.value.problems == ["helplines.toml: countries.GB.helplines[0].source: missing"]


def test_load_raises_on_invalid_toml(tmp_path):
    with pytest.raises(HelplineError, match="not valid TOML"):
        HelplineBook.load(write(tmp_path, "[countries.GB\n"), today=TODAY)


def test_load_tolerates_stale_entries(tmp_path):
    text = VALID.replace("checked = 2026-11-01\n\n[countries.RO]", "checked = 2020-01-01\n\n[countries.RO]")
    path = write(tmp_path, text)
    assert check(path, today=TODAY) == ["helplines.toml: countries.GB.helplines[0].checked: stale"]
    book = HelplineBook.load(path, today=TODAY)
    assert book.for_country("GB").helplines[0].phone == "116 123"
