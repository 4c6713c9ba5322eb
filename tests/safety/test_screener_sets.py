"""Every row of the labelled sets (tests/safety/sets/*.tsv), screened in every language as the bot does.

The issue's targets (every category >= 0.98 at crisis, 0.90 of emergencies at emergency, <= 3% of hard
negatives at crisis) are not reached yet; these floors are today's figures, so a change that loses
ground fails here. Raise them as the lexicon grows. bench/screening.py prints the figures per category.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from screening import SETS, Row, load  # noqa: E402

from bot.safety.screener import screen  # noqa: E402


@pytest.fixture(scope="module")
def results() -> list[tuple[Row, int]]:
    rows = [row for path in sorted(SETS.glob("*.tsv")) for row in load(path, path.stem)]
    if not rows:
        pytest.skip("no labelled sets in tests/safety/sets")
    return [(row, int(screen(row.text).level)) for row in rows]


def _share(values: list[bool]) -> float:
    return sum(values) / len(values)


def test_crisis_and_emergency_rows_are_caught(results: list[tuple[Row, int]]) -> None:
    assert _share([got >= 2 for row, got in results if row.level >= 2]) >= 0.61


def test_emergencies_are_caught_at_emergency(results: list[tuple[Row, int]]) -> None:
    assert _share([got >= 3 for row, got in results if row.level == 3]) >= 0.57


def test_false_alarms_stay_rare(results: list[tuple[Row, int]]) -> None:
    assert _share([got >= 2 for row, got in results if row.category == "hard_negative"]) <= 0.08
    assert not [row.text for row, got in results if row.category == "everyday" and got >= 1]


@pytest.mark.parametrize(("lang", "floor"), [("en", 0.90), ("es", 0.55)])
def test_abuse_is_a_crisis(results: list[tuple[Row, int]], lang: str, floor: float) -> None:
    rows = [got >= 2 for row, got in results if row.category == "abuse" and row.lang == lang]
    assert _share(rows) >= floor
