"""Every language, every message: the default reads all lexicons; content without a lexicon is refused."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main as bot_main
from bot.content import ContentError
from bot.content.store import Content, check_dir
from bot.safety.screen_cli import main
from bot.safety.screener import SUPPORTED_LANGUAGES, Level, screen

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_every_content_language_has_a_lexicon() -> None:
    folders = {p.name for p in CONTENT.iterdir() if p.is_dir()}
    assert folders <= set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("me quiero morir", Level.CRISIS),
        ("I don't want to live anymore", Level.CRISIS),
        ("ya no aguanto, I just want to die", Level.CRISIS),
        ("I took 30 pastillas", Level.EMERGENCY),
        ("mi amigo no respira", Level.EMERGENCY),
    ],
)
def test_default_screens_in_every_language(text: str, level: Level) -> None:
    assert screen(text).level == level


def test_lang_narrows_to_one_lexicon() -> None:
    assert screen("me quiero morir", "en").level == Level.NONE
    assert screen("me quiero morir", "es").level == Level.CRISIS
    assert screen("I want to die", "es").level < Level.CRISIS


def test_modifiers_read_across_languages() -> None:
    # Code-switching: a Spanish negation lowers an English hit (never below concern).
    assert screen("no voy a kill myself").level == Level.CONCERN
    assert screen("I used to think about suicide, now I'm doing better").level == Level.CONCERN


def test_each_hit_names_its_rule() -> None:
    got = screen("my boyfriend hits me")
    assert got.level == Level.CRISIS and "abuse" in got.reasons
    assert got.rules and all(":" in rule for rule in got.rules)


def test_cli_screens_in_every_language_by_default() -> None:
    stdout = io.StringIO()
    assert main([], stdin=io.StringIO("me quiero morir\nI want to die\n"), stdout=stdout) == 0
    assert [json.loads(line)["level"] for line in stdout.getvalue().splitlines()] == ["crisis", "crisis"]


def test_cli_unknown_language_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "fr"], stdin=io.StringIO("bonjour\n"), stdout=io.StringIO()) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fr" in err[0]


def test_bot_screen_command_defaults_to_every_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("quiero matarme\n"))
    assert bot_main(["screen"]) == 0
    assert json.loads(capsys.readouterr().out)["level"] == "crisis"
    assert bot_main(["screen", "--lang", "xx"]) == 2


def _content_with_french(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    shutil.copytree(root / "en", root / "fr")
    return root


def test_a_content_language_without_a_lexicon_is_a_content_error(tmp_path: Path) -> None:
    root = _content_with_french(tmp_path)
    problems = check_dir(root)
    assert any("no screening lexicon for 'fr'" in p for p in problems), problems
    assert not check_dir(CONTENT)


def test_the_bot_refuses_to_load_such_content(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as failure:
        Content.load(_content_with_french(tmp_path))
    assert "screening lexicon" in str(failure.value.problems)
