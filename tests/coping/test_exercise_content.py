"""The exercise files' checker: every mistake is reported with file, key and what is wrong, a missing
translation is an error, and the bot refuses to start on broken exercise content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import ContentError
from bot.coping.exercises import FILE, ExerciseBook, check, check_dir
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "content" / "en" / FILE

MINIMAL = """
[breathing.box]
title = "Box"
intro = "Box breathing."
phases = [{ say = "In", seconds = 4 }, { say = "Out", seconds = 4 }]
cycles = [4]

[guided.scan]
title = "Scan"
intro = "A scan."
minutes = [3, 5]
steps = [{ say = "Feet" }, { say = "Legs", weight = 2, check = true }, { say = "Head" }]

[grounding]
intro = "Grounding."
senses = [{ count = 5, say = "See" }, { count = 1, say = "Taste" }]

[tape]
intro = "Tape."
steps = ["Hour", "Day"]
reasons_intro = "Your reasons:"
no_reasons = "No reasons yet."

[ideas]
intro = "Ideas:"
morning = ["Walk"]
afternoon = ["Call"]
evening = ["Cook"]
night = ["Tea"]
"""
SIGH = """
[breathing.sigh]
title = "Sigh"
intro = "Sigh."
phases = [{ say = "In", seconds = 2 }]
cycles = [3]
"""


def write(root: Path, lang: str, text: str) -> Path:
    path = root / lang / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(tmp_path: Path, text: str) -> list[str]:
    return check(write(tmp_path, "en", text))


def test_the_shipped_exercises_are_sound(tmp_path):
    assert check(SHIPPED) == []
    exercises = ExerciseBook.load(_en_only(tmp_path), "en").get("en")
    assert {"box", "four_seven_eight", "sigh"} <= set(exercises.breathing)
    assert {"meditation", "body_scan", "urge_surf"} <= set(exercises.guided)
    assert [s.count for s in exercises.grounding.senses] == [5, 4, 3, 2, 1]
    assert exercises.breathing["four_seven_eight"].round_seconds == 19
    assert any(step.check for step in exercises.guided["urge_surf"].steps)


def _en_only(tmp_path: Path) -> Path:
    """A content folder with the shipped English only (other languages are translated separately)."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "en", root / "en")
    shutil.copy(ROOT / "content" / "helplines.toml", root / "helplines.toml")
    return root


def test_a_minimal_file_passes(tmp_path):
    assert problems_for(tmp_path, MINIMAL) == []
    assert check_dir(tmp_path) == []


def test_not_toml(tmp_path):
    (problem,) = problems_for(tmp_path, "[breathing.box\ntitle = ")
    assert problem.startswith("en/_exercises.toml: not valid TOML")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'seconds = 4 }, { say = "Out"',
            'seconds = 0 }, { say = "Out"',
            "breathing.box.phases[0].seconds: must be a whole number from 1 to 30, got 0",
        ),
        (
            'seconds = 4 }, { say = "Out"',
            'seconds = 2.5 }, { say = "Out"',
            "breathing.box.phases[0].seconds: must be a whole number",
        ),
        (
            'seconds = 4 }, { say = "Out"',
            'seconds = true }, { say = "Out"',
            "breathing.box.phases[0].seconds: must be a whole number",
        ),
        (
            '{ say = "In", seconds = 4 }',
            '{ say = "", seconds = 4 }',
            "breathing.box.phases[0].say: must be non-empty text",
        ),
        (
            '{ say = "In", seconds = 4 }',
            "{ seconds = 4 }",
            "breathing.box.phases[0].say: missing or empty text",
        ),
        (
            '{ say = "In", seconds = 4 }',
            '{ say = "In", seconds = 4, hold = 2 }',
            "breathing.box.phases[0].hold: unknown field",
        ),
        ("cycles = [4]", "cycles = []", "breathing.box: needs at least one length"),
        ("cycles = [4]", "cycles = [4, 4]", "breathing.box.cycles: has the same number twice"),
        ("cycles = [4]", "cycles = [-1]", "breathing.box.cycles[0]: must be a whole number from 1 to 50"),
        ("cycles = [4]", 'cycles = "4"', "breathing.box.cycles: must be a list of whole numbers"),
        (
            'title = "Box"',
            'title = "' + "B" * 60 + '"',
            "breathing.box.title: too long (60 characters, at most 48)",
        ),
        ("[breathing.box]", "[breathing.Box-1]", "breathing.Box-1: id must be lower case"),
        ("[guided.scan]", "[guided.tape]", "guided.tape: id is taken by a built-in tool"),
        (
            '{ say = "Head" }',
            '{ say = "Head", check = true }',
            "guided.scan.steps[2].check: the last step cannot check",
        ),
        (
            '{ say = "Head" }',
            '{ say = "Head", check = "yes" }',
            "guided.scan.steps[2].check: must be true or false",
        ),
        ("weight = 2, check", "weight = 0, check", "guided.scan.steps[1].weight: must be a number above 0"),
        (
            "weight = 2, check",
            "weight = 500, check",
            "guided.scan.steps[1].weight: must be a number above 0 and at most 100",
        ),
        ("minutes = [3, 5]", "minutes = []", "guided.scan.minutes: must offer at least one length"),
        ('{ say = "Feet" }', '{ say = "Feet", weight = 0.01 }', "guided.scan.steps: a step would last"),
        (
            "{ count = 5,",
            "{ count = 11,",
            "grounding.senses[0].count: must be a whole number from 1 to 10, got 11",
        ),
        ('steps = ["Hour", "Day"]', "steps = []", "tape.steps: must be a non-empty list"),
        ('steps = ["Hour", "Day"]', 'steps = ["Hour", 3]', "tape.steps[1]: must be non-empty text"),
        ('night = ["Tea"]', "", "ideas.night: must be a non-empty list"),
        ('no_reasons = "No reasons yet."', "", "tape.no_reasons: missing or empty text"),
    ],
)
def test_each_mistake_is_named_with_file_and_key(tmp_path, old, new, expected):
    assert old in MINIMAL
    found = problems_for(tmp_path, MINIMAL.replace(old, new, 1))
    assert any(p.startswith("en/_exercises.toml: " + expected) for p in found), found


def test_missing_and_unknown_sections(tmp_path):
    text = MINIMAL.replace("[grounding]", "[grounding_old]").replace("[breathing.box]", "[breath.box]")
    found = problems_for(tmp_path, text)
    assert "en/_exercises.toml: grounding: missing section" in found
    assert "en/_exercises.toml: breathing: missing: at least one exercise is needed" in found
    assert any(p.startswith("en/_exercises.toml: grounding_old: unknown section") for p in found)
    assert any(p.startswith("en/_exercises.toml: breath: unknown section") for p in found)


def test_a_language_without_the_file_is_an_error(tmp_path):
    write(tmp_path, "en", MINIMAL)
    (tmp_path / "es").mkdir()
    assert check_dir(tmp_path) == ["es/_exercises.toml: missing (every language needs every exercise)"]


def test_a_language_missing_an_exercise_is_an_error(tmp_path):
    write(tmp_path, "en", MINIMAL)
    extra = SIGH
    write(tmp_path, "en", MINIMAL + extra)
    write(tmp_path, "es", MINIMAL)
    assert check_dir(tmp_path) == [
        "es/_exercises.toml: breathing.sigh: missing (every language needs every exercise)"
    ]


def test_a_translation_may_change_texts_but_not_numbers(tmp_path):
    write(tmp_path, "en", MINIMAL)
    write(tmp_path, "es", MINIMAL.replace('"Feet"', '"Pies"').replace('"Box"', '"Caja"'))
    assert check_dir(tmp_path) == []
    write(
        tmp_path,
        "es",
        MINIMAL.replace("cycles = [4]", "cycles = [5]").replace("{ count = 5,", "{ count = 4,"),
    )
    found = check_dir(tmp_path)
    assert (
        "es/_exercises.toml: breathing.box: numbers or steps differ from 'en' (only texts are translated)"
        in found
    )
    assert (
        "es/_exercises.toml: grounding: numbers or steps differ from 'en' (only texts are translated)"
        in found
    )


def test_an_exercise_only_in_a_translation_is_reported(tmp_path):
    write(tmp_path, "en", MINIMAL)
    extra = SIGH
    write(tmp_path, "es", MINIMAL + extra)
    assert check_dir(tmp_path) == [
        "es/_exercises.toml: breathing.sigh: not in the 'en' exercises (every language has the same)"
    ]


def test_loading_refuses_broken_files_with_the_same_messages(tmp_path):
    write(tmp_path, "en", MINIMAL.replace("cycles = [4]", "cycles = []"))
    with pytest.raises(ContentError) as raised:
        ExerciseBook.load(tmp_path, "en")
    assert raised.value.problems == check_dir(tmp_path)
    with pytest.raises(ContentError):
        ExerciseBook.load(tmp_path / "nowhere", "en")


async def test_the_bot_refuses_to_start_on_broken_exercises(sqlite_url, tmp_path):
    content = _en_only(tmp_path)
    path = content / "en" / FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace("seconds = 4 }", "seconds = 0 }", 1), encoding="utf-8"
    )
    h = Harness(sqlite_url, tmp_path, CONTENT_DIR=str(content))
    with pytest.raises(ContentError) as raised:
        await h.start()
    assert any("en/_exercises.toml: breathing.box.phases[0].seconds" in p for p in raised.value.problems)
    await h.services.db.dispose()
