"""The Spanish content: complete, same placeholders as English, and really translated where it matters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.store import Content
from bot.services.content_check import check_all

COMMAND_RE = re.compile(r"(?<![\w/])/[a-z]+\b")
ROOT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def content() -> Content:
    return Content.load(ROOT)


def test_content_check_finds_no_problems() -> None:
    assert check_all(ROOT) == []


def test_every_english_file_has_a_spanish_file() -> None:
    """Structured files (``_*.toml``, such as the exercises) included: every language needs them too."""
    en = {p.name for p in (ROOT / "en").glob("*.toml")}
    es = {p.name for p in (ROOT / "es").glob("*.toml")}
    assert en == es


def test_spanish_exercises_match_the_english_ones() -> None:
    if not (ROOT / "en" / "_exercises.toml").exists():
        pytest.skip("no exercises in this content")
    exercises = pytest.importorskip("bot.coping.exercises")
    assert exercises.check_dir(ROOT) == []


def test_spanish_is_a_language(content: Content) -> None:
    assert "es" in content.languages
    assert content.resolve_language("es-MX") == "es"
    assert content.text("es", "onboarding.languages.es") == "Español"
    assert content.text("es", "onboarding.languages.en") == "English"


@pytest.mark.parametrize(
    "key",
    [
        "crisis.crisis_body",
        "crisis.emergency_first",
        "crisis.emergency_body",
        "crisis.concern",
        "crisis.not_a_clinician",
        "safety.unsafe",
        "onboarding.privacy_notice",
        "onboarding.welcome",
    ],
)
def test_key_safety_texts_are_translated(content: Content, key: str) -> None:
    en, es = set(content.variants("en", key)), set(content.variants("es", key))
    assert not en & es, f"{key}: a Spanish variant is the English text"


def test_emergency_number_is_kept(content: Content) -> None:
    text = content.text("es", "crisis.emergency_first", number="112")
    assert "112" in text
    assert "llama" in text


def test_privacy_notice_says_chats_are_not_end_to_end_encrypted(content: Content) -> None:
    notice = content.text("es", "onboarding.privacy_notice", clinic="Clínica")
    assert "no tienen cifrado de extremo a extremo" in notice
    summary = content.variants("es", "privacy.summary")[0]
    assert "cifrado de extremo a extremo" in summary


def test_not_a_clinician_and_not_an_emergency_service(content: Content) -> None:
    for key in ("common.not_a_clinician", "crisis.not_a_clinician", "crisis.not_a_clinician_no_consent"):
        text = content.variants("es", key)[0]
        assert "no soy un profesional sanitario ni un servicio de emergencias" in text.casefold(), key


def test_command_names_are_not_translated(content: Content) -> None:
    """Every /command an English text names is named, untranslated, in the Spanish text too: variant by
    variant where both languages have as many (a list of different tips), else in every variant."""
    assert content.keys("help.lines.")
    for key in content.keys():
        english, spanish = content.variants("en", key), content.variants("es", key)
        if len(english) == len(spanish):
            pairs = list(zip(english, spanish, strict=True))
        else:
            pairs = [(" ".join(english), es) for es in spanish]
        for en, es in pairs:
            commands = set(COMMAND_RE.findall(en))
            assert commands <= set(COMMAND_RE.findall(es)), f"{key}: {sorted(commands)} not all in {es!r}"


def test_substances_are_translated(content: Content) -> None:
    assert content.text("es", "onboarding.substances.ketamine") == "Ketamina"
    assert content.text("es", "onboarding.substances.benzodiazepines") == "Benzodiacepinas"
    assert content.text("es", "onboarding.substances.other") == "Otra cosa"
