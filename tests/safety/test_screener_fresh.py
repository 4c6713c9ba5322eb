"""Sentences written while building the screener to probe families of expression in English and
Spanish (``screener_cases_fresh.tsv``: level, category, style, text), none taken from the labelled
sets. Crisis and emergency rows must reach crisis (emergency rows: emergency); concern rows concern or
crisis; ``none`` rows stay below crisis (a gentle question at concern is allowed: the safer reading).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.safety.screener import Level, screen

FILE = Path(__file__).with_name("screener_cases_fresh.tsv")


def _rows() -> list[tuple[Level, str]]:
    with FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(Level[row["level"].upper()], row["text"]) for row in reader]


def _ok(expected: Level, got: Level) -> bool:
    if expected == Level.NONE:
        return got <= Level.CONCERN
    if expected == Level.CONCERN:
        return Level.CONCERN <= got <= Level.CRISIS
    return got >= min(expected, Level.CRISIS) and (expected < Level.EMERGENCY or got == expected)


def test_every_fresh_sentence_is_read_at_its_level() -> None:
    rows = _rows()
    assert len(rows) > 300
    wrong = [f"{e.label} -> {g.label}: {t}" for e, t in rows if not _ok(e, g := screen(t).level)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("level", [Level.CRISIS, Level.EMERGENCY, Level.CONCERN, Level.NONE])
def test_the_file_covers_every_level(level: Level) -> None:
    assert sum(expected == level for expected, _ in _rows()) >= 20
