"""The risk screener against its labelled sets, its edge cases and its command-line filter.

The labelled sets are ``screener_cases*.tsv`` (columns ``level``, ``category``, ``text``). In
``text``, ``\\uXXXX`` stands for a character that is invisible or hard to type (zero-width space,
right-to-left override), so the file stays readable.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.safety.screen_cli import main
from bot.safety.screener import SUPPORTED_LANGUAGES, Level, Screening, screen

HERE = Path(__file__).parent
CASE_FILES = {"en": HERE / "screener_cases.tsv", "es": HERE / "screener_cases_es.tsv"}
LANGUAGES = [lang for lang in CASE_FILES if lang in SUPPORTED_LANGUAGES]
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.05
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Case:
    level: Level
    category: str
    text: str


def load_cases(lang: str) -> list[Case]:
    """Reads one language's labelled set, decoding ``\\uXXXX`` escapes in the text."""
    with CASE_FILES[lang].open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Case(
                Level[row["level"].upper()],
                row["category"],
                _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), row["text"]),
            )
            for row in rows
        ]


def _describe(case: Case, got: Screening) -> str:
    return f"[{case.category}] {case.text!r}: expected {case.level.label}, got {got}"


@pytest.fixture(params=LANGUAGES)
def labelled(request: pytest.FixtureRequest) -> tuple[str, list[tuple[Case, Screening]]]:
    lang = request.param
    return lang, [(case, screen(case.text, lang)) for case in load_cases(lang)]


def test_set_is_large_and_balanced(labelled: tuple[str, list[tuple[Case, Screening]]]) -> None:
    lang, results = labelled
    risky = sum(case.level >= Level.CONCERN for case, _ in results)
    harmless = len(results) - risky
    assert len(results) >= (320 if lang == "en" else 120)
    assert harmless >= risky, "at least as many hard negatives as positives"


def test_explicit_and_emergency_messages_are_caught_at_their_level(labelled) -> None:
    _, results = labelled
    strict = [
        (case, got)
        for case, got in results
        if case.category in {"explicit", "emergency"} and case.level >= Level.CRISIS
    ]
    missed = [_describe(case, got) for case, got in strict if got.level < case.level]
    assert strict and not missed, "\n".join(missed)


def test_recall_and_false_positive_rate(labelled) -> None:
    lang, results = labelled
    risky = [(case, got) for case, got in results if case.level >= Level.CONCERN]
    harmless = [(case, got) for case, got in results if case.level == Level.NONE]
    recall = sum(got.is_risk for _, got in risky) / len(risky)
    level_recall = sum(got.level >= case.level for case, got in risky) / len(risky)
    false_positive_rate = sum(got.is_risk for _, got in harmless) / len(harmless)
    print(
        f"\n[{lang}] recall {recall:.3f} (at its level {level_recall:.3f}) over {len(risky)}, "
        f"false-positive rate {false_positive_rate:.3f} over {len(harmless)}"
    )
    misses = [_describe(c, g) for c, g in risky if not g.is_risk]
    alarms = [_describe(c, g) for c, g in harmless if g.is_risk]
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed:\n" + "\n".join(misses)
    assert false_positive_rate <= MAX_FALSE_POSITIVE_RATE, (
        f"false-positive rate {false_positive_rate:.3f}; false alarms:\n" + "\n".join(alarms)
    )
    assert level_recall >= 0.9


def test_negations_lower_but_never_silence(labelled) -> None:
    _, results = labelled
    negations = [(case, got) for case, got in results if case.category == "negation"]
    silenced = [_describe(case, got) for case, got in negations if not got.is_risk]
    assert negations and not silenced, "\n".join(silenced)


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        ("I'm not going to kill myself", Level.CONCERN, "negated"),
        ("I want to kill myself", Level.CRISIS, "suicidal_ideation"),
        ("I took 30 pills", Level.EMERGENCY, "overdose"),
        ("my friend is not breathing", Level.EMERGENCY, "unresponsive_person"),
        ("I'm having chest pains and I can't breathe", Level.EMERGENCY, "medical_chest_pain"),
        ("my boyfriend is having a seizure", Level.EMERGENCY, "seizure"),
        ("I keep thinking about hanging myself", Level.CRISIS, "method_mentioned"),
        ("I want to kill my dealer", Level.CRISIS, "harm_to_others"),
        ("I could kill my brother for eating my fries", Level.CONCERN, "hyperbole"),
        ("I used to think about suicide, now I'm doing better", Level.CONCERN, "historical"),
        ("I have the knife in my hand and I want to die", Level.EMERGENCY, "means_at_hand"),
        ("what's the point anymore", Level.CONCERN, "hopelessness"),
        ("I feel like such a burden to my family", Level.CONCERN, "burden"),
        ("this traffic is killing me", Level.NONE, None),
    ],
)
def test_levels_and_reason_codes(text: str, level: Level, reason: str | None) -> None:
    got = screen(text)
    assert got.level == level, got
    assert reason is None or reason in got.reasons, got
    assert got.is_risk == (level >= Level.CONCERN)


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        ("me quiero morir", Level.CRISIS, "suicidal_ideation"),
        ("no me voy a matar", Level.CONCERN, "negated"),
        ("me muero de risa", Level.NONE, None),
        ("me mata el tráfico", Level.NONE, None),
        ("me mato a estudiar para el examen", Level.NONE, None),
        ("no quiero despertar", Level.CRISIS, "suicidal_ideation"),
        ("me tomé 30 pastillas", Level.EMERGENCY, "overdose"),
        ("mi amigo no respira", Level.EMERGENCY, "unresponsive_person"),
        ("podría matar a mi hermano por comerse mis patatas", Level.CONCERN, "hyperbole"),
    ],
)
def test_spanish_levels_and_reason_codes(text: str, level: Level, reason: str | None) -> None:
    got = screen(text, "es-MX")
    assert got.level == level, got
    assert reason is None or reason in got.reasons, got


def test_level_labels_and_unknown_language() -> None:
    assert [level.label for level in Level] == ["none", "concern", "crisis", "emergency"]
    # A language without a lexicon is read with every lexicon (it used to be English only).
    assert screen("I want to die", "xx") == screen("I want to die")
    assert screen("I want to die", None).level == Level.CRISIS  # type: ignore[arg-type]
    assert screen("I want to die", "EN-gb").level == Level.CRISIS


def _weird_strings(seed: int, count: int) -> list[str]:
    """Seeded random strings mixing risk words with emoji, RTL, controls and odd code points."""
    rng = random.Random(seed)
    pieces = [
        "kill",
        "myself",
        "die",
        "not",
        "pills",
        "30",
        "ket",
        " ",
        "  ",
        ".",
        "'",
        "\u200b",
        "\u202e",
        "\u200f",
        "\x00",
        "\x07",
        "\n",
        "\t",
        "\ufeff",
        "🔪",
        "⚰️",
        "😂",
        "💊",
        "é",
        "\u0301",
        "ﷺ",
        "مرحبا",
        "שלום",
        "ｋｉｌｌ",
        "\ud800",
        "\U0010ffff",
        "k1ll",
        "$",
        "@",
        "(",
        "[",
        "\\",
        "*",
        "+",
        "?",
        "a" * 50,
        "i" * 7,
        "od'd",
        "?" * 20,
    ]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(count)] + [
        "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(200)) for _ in range(count // 4)
    ]


def test_never_raises_on_weird_input() -> None:
    inputs = _weird_strings(seed=20240611, count=2000)
    inputs += ["", " ", "😂" * 500, "k i l l " * 2000, "x" * 10_000, "kill myself " * 900]
    for lang in [*SUPPORTED_LANGUAGES, "xx", ""]:
        for text in inputs:
            got = screen(text, lang)
            assert isinstance(got, Screening) and "screen_error" not in got.reasons, repr(text)
    assert screen(None).level == Level.NONE  # type: ignore[arg-type]
    assert screen(12345).level == Level.NONE  # type: ignore[arg-type]


def test_long_messages_are_read_to_the_end() -> None:
    # Time per message is measured by bench/screening.py, not asserted in a test.
    for text in ["x" * 10_000, "a " * 5_000]:
        assert screen(text).level == Level.NONE
    assert screen(("blah " * 2_000) + "I want to kill myself").level == Level.CRISIS


def test_cli_writes_one_json_object_per_line() -> None:
    stdin = io.StringIO("I want to kill myself\nthis traffic is killing me\n\nI took 30 pills\n")
    stdout = io.StringIO()
    assert main([], stdin=stdin, stdout=stdout) == 0
    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["crisis", "none", "none", "emergency"]
    assert lines[0]["reasons"] == ["suicidal_ideation"]
    assert all(set(line) == {"level", "reasons"} for line in lines)


def test_cli_language_option(capsys: pytest.CaptureFixture[str]) -> None:
    # An unknown language is a one-line error now (it used to fall back to English silently).
    stdout = io.StringIO()
    assert main(["--lang", "xx"], stdin=io.StringIO("kms\n"), stdout=stdout) == 2
    assert stdout.getvalue() == ""
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    stdout = io.StringIO()
    stdin = io.StringIO("me quiero morir\nme muero de risa\n")
    assert main(["--lang", "es"], stdin=stdin, stdout=stdout) == 0
    assert [json.loads(line)["level"] for line in stdout.getvalue().splitlines()] == [
        "crisis",
        "none",
    ]
