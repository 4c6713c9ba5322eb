"""Loads the per-language content files and checks them.

Layout: ``content/<lang>/<section>.toml``. Nested tables become dotted keys: the table ``[consent]`` with
``text = "..."`` in ``onboarding.toml`` is the key ``onboarding.consent.text``. A value is a string, or a
list of strings (variants: the bot picks one, so replies do not repeat word for word). Placeholders are
written ``{name}`` and must be the same in every language. Files whose name starts with ``_`` hold
structured data that other modules validate themselves (for example exercises).
"""

from __future__ import annotations

import random
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content import formats
from bot.safety.screener import SUPPORTED_LANGUAGES

_LANG_RE = re.compile(r"^[a-z]{2}$")
_FORMATTER = string.Formatter()


class ContentError(Exception):
    """Content is broken; the message lists each problem with file, key and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("content is broken:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class _Entry:
    file: str
    values: tuple[str, ...]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def _flatten(prefix: str, node: dict[str, Any], file: str, out: dict[str, _Entry], problems: list[str]):
    for key, value in node.items():
        dotted = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(dotted, value, file, out, problems)
        elif isinstance(value, str) and value.strip():
            out[dotted] = _Entry(file, (value,))
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            out[dotted] = _Entry(file, tuple(value))
        else:
            problems.append(f"{file}: {dotted}: must be non-empty text or a list of non-empty texts")


def _load_language(folder: Path, problems: list[str]) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        rel = f"{folder.name}/{path.name}"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: not valid TOML: {exc}")
            continue
        _flatten(path.stem, data, rel, entries, problems)
    return entries


def _check_format(lang: str, key: str, entry: _Entry, problems: list[str]) -> None:
    for text in entry.values:
        try:
            list(_FORMATTER.parse(text))
        except ValueError as exc:
            problems.append(f"{entry.file}: {key}: bad placeholder: {exc}")


def _cross_check(langs: dict[str, dict[str, _Entry]], problems: list[str]) -> None:
    all_keys = set().union(*(set(e) for e in langs.values())) if langs else set()
    for lang, entries in sorted(langs.items()):
        for key in sorted(all_keys - set(entries)):
            problems.append(f"{lang}/: {key}: missing (every language needs every key)")
    for key in sorted(all_keys):
        present = {lang: e[key] for lang, e in langs.items() if key in e}
        expected: set[str] | None = None
        for lang, entry in sorted(present.items()):
            _check_format(lang, key, entry, problems)
            for text in entry.values:
                names = _placeholders(text) if "{" in text else set()
                if expected is None:
                    expected = names
                elif names != expected:
                    problems.append(
                        f"{entry.file}: {key}: placeholders {sorted(names)} differ from {sorted(expected)}"
                    )


class Content:
    """All texts of all languages, checked and held in memory (the crisis path needs no disk)."""

    def __init__(self, entries: dict[str, dict[str, _Entry]], default_language: str, root: Path) -> None:
        self._entries = entries
        self.default_language = default_language
        self.root = root
        self._rng = random.Random()

    @classmethod
    def load(cls, root: Path, default_language: str = "en") -> Content:
        problems = check_dir(root, default_language)
        if problems:
            raise ContentError(problems)
        langs = {p.name: _load_language(p, []) for p in _language_dirs(root)}
        return cls(langs, default_language, root)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def resolve_language(self, lang: str | None) -> str:
        """The patient's language when the content has it, else the clinic's default."""
        code = (lang or "").split("-")[0].lower()
        return code if code in self._entries else self.default_language

    def has(self, key: str) -> bool:
        return key in self._entries[self.default_language]

    def text(self, lang: str | None, key: str, **values: Any) -> str:
        """The text under ``key`` in ``lang``; a key with variants gives one of them at random."""
        entry = self._entries[self.resolve_language(lang)][key]
        raw = entry.values[0] if len(entry.values) == 1 else self._rng.choice(entry.values)
        return raw.format(**values) if values or "{" in raw else raw

    def plural(self, lang: str | None, key: str, count: int, **values: Any) -> str:
        """The plural form of ``key`` that fits ``count`` in ``lang`` (``key.one``, ``key.other``, ...).

        ``{count}`` in the text is the number; a language's missing form falls back to ``key.other``."""
        language = self.resolve_language(lang)
        form = f"{key}.{formats.plural_category(count, language)}"
        chosen = form if form in self._entries[language] else f"{key}.other"
        return self.text(language, chosen, count=count, **values)

    def variants(self, lang: str | None, key: str) -> tuple[str, ...]:
        return self._entries[self.resolve_language(lang)][key].values

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(k for k in self._entries[self.default_language] if k.startswith(prefix))


def _language_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and _LANG_RE.match(p.name))


def check_dir(root: Path, default_language: str = "en") -> list[str]:
    """Every problem in the content folder, as ``file: key: what is wrong`` lines."""
    if not root.is_dir():
        return [f"{root}: content folder not found"]
    problems: list[str] = []
    langs = {p.name: _load_language(p, problems) for p in _language_dirs(root)}
    if default_language not in langs:
        problems.append(f"{root}: no folder for the default language '{default_language}'")
    _cross_check(langs, problems)
    problems += _unscreened(root, langs)
    return problems


def _unscreened(root: Path, langs: dict[str, dict[str, _Entry]]) -> list[str]:
    """A language without a screening lexicon: its patients' messages could not be read for risk."""
    return [
        f"{root / lang}: no screening lexicon for '{lang}' (bot/safety/lexicon/{lang}.toml); "
        "risk screening must read every language the content has"
        for lang in sorted(langs)
        if lang not in SUPPORTED_LANGUAGES
    ]
