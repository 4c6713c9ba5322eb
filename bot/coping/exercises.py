"""The coping tools' exercises: ``content/<lang>/_exercises.toml`` loaded, checked and held in memory.

The format is described at the top of ``content/en/_exercises.toml``. :func:`check` reports every
problem of one file (``exercise_schema.py`` reads it), :func:`check_dir` also checks that every language
has every exercise with the same numbers (only the texts are translated), and :meth:`ExerciseBook.load`
refuses broken files with the same messages, so the bot does not start on them. Each problem reads
``file: key: what is wrong``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.content import ContentError
from bot.coping.exercise_schema import parse
from bot.coping.exercise_types import Breathing, Exercises, Guided

__all__ = ["FILE", "Breathing", "ExerciseBook", "Exercises", "Guided", "check", "check_dir"]

FILE = "_exercises.toml"
_LANG_RE = re.compile(r"^[a-z]{2}$")


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def check(path: Path) -> list[str]:
    """Every problem of one exercise file, as ``file: key: what is wrong`` lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"{_name(path)}: missing (every language needs every exercise)"]
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{_name(path)}: cannot be read: {exc}"]
    return parse(text, _name(path))[1]


def _languages(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and _LANG_RE.match(p.name)) if root.is_dir() else []


def _load_all(root: Path, default_language: str) -> tuple[dict[str, Exercises], list[str]]:
    problems: list[str] = []
    books: dict[str, Exercises] = {}
    folders = _languages(root)
    if default_language not in {f.name for f in folders}:
        problems.append(f"{root}: no folder for the default language '{default_language}'")
    for folder in folders:
        path = folder / FILE
        file_problems = check(path)
        problems += file_problems
        if not file_problems:
            found, _ = parse(path.read_text(encoding="utf-8"), _name(path))
            if found is not None:
                books[folder.name] = found
    reference = books.get(default_language)
    if reference is not None:
        for lang, book in sorted(books.items()):
            problems += _compare(reference.shape(), book.shape(), f"{lang}/{FILE}", default_language)
    return books, problems


def _compare(expected: dict[str, Any], found: dict[str, Any], file: str, reference: str) -> list[str]:
    out = []
    for key in sorted(set(expected) | set(found)):
        if key not in found:
            out.append(f"{file}: {key}: missing (every language needs every exercise)")
        elif key not in expected:
            out.append(f"{file}: {key}: not in the '{reference}' exercises (every language has the same)")
        elif expected[key] != found[key]:
            out.append(
                f"{file}: {key}: numbers or steps differ from '{reference}' (only texts are translated)"
            )
    return out


def check_dir(root: Path, default_language: str = "en") -> list[str]:
    """Every problem of every language's exercise file, and the differences between languages."""
    return _load_all(root, default_language)[1]


class ExerciseBook:
    """Every language's exercises, checked and held in memory."""

    def __init__(self, books: dict[str, Exercises], default_language: str) -> None:
        self._books = books
        self.default_language = default_language

    @classmethod
    def load(cls, root: Path, default_language: str = "en") -> ExerciseBook:
        books, problems = _load_all(root, default_language)
        if problems:
            raise ContentError(problems)
        return cls(books, default_language)

    def get(self, lang: str | None) -> Exercises:
        return self._books.get(lang or "", self._books[self.default_language])
