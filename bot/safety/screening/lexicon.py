"""Loads ``bot/safety/lexicon/<lang>.toml`` into compiled rules (the format is described in en.toml).

A lexicon is data: words, fragments, modifiers, idioms and rules. This module compiles it once per
process and normalises text the way its rules expect (see :meth:`Lexicon.normalise`).
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.safety.screening.text import APOSTROPHE, fold_pattern

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicon"


class Level(enum.IntEnum):
    """How urgent a message is; ordered, so ``max()`` picks the most severe."""

    NONE = 0
    CONCERN = 1
    CRISIS = 2
    EMERGENCY = 3

    @property
    def label(self) -> str:
        """The lower-case name used in JSON and logs: none, concern, crisis or emergency."""
        return self.name.lower()


_LEET_WORD = re.compile(
    r"(?<![\w$@])(?!x\d+\b)(?:[$@][\w$@]*|[a-z][\w$@]*[0-9$@][\w$@]*|[a-z][\w$@]*(?:![\w$@]+)+"
    r"|[0-9][\w$@]*[a-z][\w$@]*[a-z][\w$@]*(?![\w$@])(?<!mg)(?<!ml)(?<!gr)(?<!gs)(?<!kg)(?<!hrs)(?<!mins)(?<!am)(?<!pm)(?<!nd)(?<!rd)(?<!th)(?<!st))"
)
_LEET = str.maketrans("013457@$!", "oieastasi")
_SPELLED_WITH_MARKS = re.compile(r"(?<!\w)[a-z](?:[.\-_*\u00b7\u2022][a-z]){2,}(?!\w)")
_BOUNDARY = re.compile(r"[!?;:\n\r\u2026\u00a1\u00bf]+|[.,](?!\d)|(?<!\d)[.,]")
_PUNCTUATION = re.compile(r"[^\w\s.]+")
_SPELLED_WITH_SPACES = re.compile(r"(?<!\S)[a-z](?: [a-z])+(?!\S)")
_STRETCHED = re.compile(r"([a-z])\1+")
_FRAGMENT = re.compile(r"@(\w+)")
_LITERAL_SPACE = re.compile(r"(?<=[a-z)?]) (?=[a-z(@])")  # "kill myself" ~ "killmyself"
_ESCAPE_OR_DOUBLE = re.compile(r"(\\.)|([a-z])\2+")
_FUZZY_MIN_LENGTH = 4
_DEFAULT_MODIFIERS = ("negated", "historical", "media", "joking", "topic")


def squeeze(pattern: str) -> str:
    """Collapses doubled letters in a pattern's literals (as in text), leaving escapes alone."""
    return _ESCAPE_OR_DOUBLE.sub(lambda m: m.group(1) or m.group(2), pattern)


def _join_spelled(match: re.Match[str]) -> str:
    """ "k i l l" -> "kill"; a leading "i" stays a word ("i w a n t" -> "i want")."""
    word = match.group().replace(" ", "")
    return f"i {word[1:]}" if word[0] == "i" and len(word) > 3 else word


@dataclass(frozen=True)
class Cue:
    """One language's cue for a modifier: before or after the match, within its clause."""

    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    pseudo: re.Pattern[str] | None  # phrases that look like the cue but are not ("not sure")
    reset: re.Pattern[str] | None  # words that end the cue's reach ("but", "now")
    whole_message: bool = False  # the cue after the match is read to the end of the message
    unless: re.Pattern[str] | None = None  # words before the match that keep the cue from applying

    def applies(self, text: str, start: int, end: int) -> bool:
        """True when this cue governs the match at ``text[start:end]``, in its own clause."""
        clause_start = text.rfind(" . ", 0, start) + 1
        before = text[clause_start:start].strip(" .")
        stop = -1 if self.whole_message else text.find(" . ", end)
        after = text[end : stop if stop >= 0 else len(text)].strip()
        if self.unless is not None and self.unless.search(text[clause_start:end]):
            return False
        if self.reset is not None:
            before, after = self.reset.split(before)[-1], self.reset.split(after)[0]
        if self.pseudo is not None:
            before = self.pseudo.sub(" _ ", before)
        return bool(
            (self.before is not None and self.before.search(before))
            or (self.after is not None and self.after.search(after))
        )


@dataclass(frozen=True)
class Modifier:
    """Context that lowers a hit to concern, read with the cues of every language (code-switching)."""

    reason: str
    cues: tuple[Cue, ...]
    lowers_to: Level = Level.CONCERN  # "none" only for concern-level advice (an easing symptom)

    def applies(self, text: str, start: int, end: int) -> bool:
        """True when one of the cues governs the match at ``text[start:end]``."""
        return any(cue.applies(text, start, end) for cue in self.cues)


@dataclass(frozen=True)
class Rule:
    """A category: its level and reasons, and the patterns that must all match to fire it."""

    name: str
    level: Level
    reasons: tuple[str, ...]
    parts: tuple[re.Pattern[str], ...]
    modifiers: tuple[Modifier, ...]
    when: Level | None  # an escalating rule fires only on top of a hit at this level, nearby
    about_others: bool  # also read about someone else ("she wants to kill herself"): third_party


class Rewriter:
    """Several regex rewrites in one pass."""

    def __init__(self, entries: list[tuple[str, str]]) -> None:
        alternatives = "|".join(f"(?P<r{i}>{source})" for i, (source, _) in enumerate(entries))
        self.pattern = re.compile(alternatives or "(?!)")
        self.replacements = [f" {to} " for _, to in entries]
        self.empty = not entries

    def __call__(self, text: str) -> str:
        if self.empty:
            return text
        return self.pattern.sub(lambda m: self.replacements[int(str(m.lastgroup)[1:])], text)


_REGEX_SYNTAX = re.compile(r"(\\.|\(\?P<\w+>|\(\?<?[=!:]?|\{\d*,?\d*\})|([^\\({]+|[({])")


@dataclass(frozen=True)
class Spelling:
    """A language's spelling folds ("v" -> "b" in Spanish), applied to text and patterns alike, so
    the many ways a word is spelled by ear read the same ("bivir", "vivir")."""

    rules: tuple[tuple[re.Pattern[str], str], ...] = ()

    def text(self, text: str) -> str:
        for pattern, to in self.rules:
            text = pattern.sub(to, text)
        return squeeze(text) if self.rules else text

    def pattern(self, source: str) -> str:
        """The same folds on a regex's literal letters, leaving its syntax alone."""
        if not self.rules:
            return source
        return "".join(m.group(1) or self._literal(m.group(2)) for m in _REGEX_SYNTAX.finditer(source))

    def _literal(self, chunk: str) -> str:
        """A literal run of a pattern; a "c" before a group may be an "s" in folded text."""
        folded = self.text(chunk)
        return folded[:-1] + "[cs]" if folded.endswith("c") and chunk.endswith("c") else folded


_NO_SPELLING = Spelling()


@dataclass(frozen=True)
class OtherPerson:
    """How a clause about someone else is recognised, and read as if the patient had said it."""

    marker: re.Pattern[str]  # a third-person subject: "my brother", "she", "himself"
    first_person: re.Pattern[str]  # the patient speaking of themselves: "i", "im"
    swap: dict[str, str]  # third person to first: "herself" -> "myself", "wants" -> "want"

    def first_personal(self, clause: str) -> str | None:
        """The clause told in the first person when it is about someone else, else None."""
        if not self.marker.search(clause) or self.first_person.search(clause):
            return None
        return " " + " ".join(self.swap.get(w, w) for w in clause.split()) + " "


@dataclass
class Lexicon:
    """One language's compiled lexicon and the text normalisation its rules expect."""

    lang: str
    emoji: dict[int, str]
    rewrite_before: Rewriter  # on folded text, before punctuation goes ("OD'd")
    words: dict[str, str]
    fuzzy: tuple[str, ...]  # key words whose typos are read as the word (rapidfuzz, OSA distance 1)
    fuzzy_exclude: frozenset[str]
    rewrite_after: Rewriter  # on normalised text: token rewrites, then idioms masked out
    rules: tuple[Rule, ...]
    others: OtherPerson | None = None
    spelling: Spelling = field(default_factory=Spelling)
    word_cache: dict[str, str] = field(default_factory=dict)

    def normalise(self, folded: str) -> str:
        """The form rules match against: cleaned, space-padded, with " . " between clauses."""
        text = APOSTROPHE.sub("", self.rewrite_before(folded.translate(self.emoji)))
        text = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), text)
        text = _SPELLED_WITH_MARKS.sub(lambda m: m.group()[::2], text)
        text = _PUNCTUATION.sub(" ", _BOUNDARY.sub(" . ", text))
        text = _SPELLED_WITH_SPACES.sub(_join_spelled, text)
        words = _STRETCHED.sub(r"\1", text).split()
        text = self.spelling.text(" " + " ".join([self.word(w) for w in words]) + " ")
        return " " + " ".join(self.rewrite_after(text).split()) + " "

    def word(self, word: str) -> str:
        """A word's canonical form: slang and misspellings mapped, typos of key words corrected."""
        known = self.words.get(word)
        if known is not None:
            return known
        if len(word) > 4 and word.endswith("in") and word + "g" in self.fuzzy_exclude:  # "endin"
            return word + "g"
        if len(word) < _FUZZY_MIN_LENGTH or not word.isalpha() or word in self.fuzzy_exclude:
            return word
        if len(self.word_cache) > 50_000:
            self.word_cache.clear()
        cached = self.word_cache.get(word)
        if cached is None:
            near = process.extract(word, self.fuzzy, scorer=OSA.distance, score_cutoff=1, limit=8)
            typo = next((target for target, _, _ in near if _plausible_typo(word, target)), word)
            cached = self.word_cache[word] = typo
        return cached


def _plausible_typo(word: str, target: str) -> bool:
    """A short word is read as a typo only by a swap or a dropped letter ("lfie", "aliv"), never by
    a changed letter: "wife" and "lift" are words of their own, not typos of "life"."""
    if word.startswith(target):  # an inflection ("goodbyes", "bridges"), not a typo
        return False
    if len(word) >= 6:
        return True
    return sorted(word) == sorted(target) or len(word) == len(target) - 1


def _prepare(pattern: str, fragments: dict[str, str], spell: Spelling = _NO_SPELLING, depth: int = 0) -> str:
    """Expands ``@fragment`` references and folds the pattern the way text is normalised."""
    if depth > 8:
        raise ValueError(f"lexicon fragments nest too deeply in {pattern!r}")
    expanded = _FRAGMENT.sub(
        lambda m: "(?:" + _prepare(fragments[m.group(1)], fragments, spell, depth + 1) + ")", pattern
    )
    if depth:
        return expanded
    folded = squeeze(fold_pattern(expanded, casefold=False))
    return _LITERAL_SPACE.sub(" ?", spell.pattern(folded))


_WORD_START = r"(?<![^ ])"  # rules match from the start of a word in space-separated text


def _compile(
    patterns: list[str], fragments: dict[str, str], spell: Spelling = _NO_SPELLING, start: str = r"\b"
) -> re.Pattern[str]:
    """One regex for a list of alternatives; each ``(?P<k>`` group marks the risk keyword."""
    parts = [_prepare(p, fragments, spell).replace("(?P<k>", f"(?P<k{i}>") for i, p in enumerate(patterns)]
    return re.compile(start + "(?:" + "|".join(parts) + r")\b")


def _canonical(word: str) -> str:
    return squeeze(fold_pattern(word))


def _word_map(spec: dict) -> dict[str, str]:
    """Misspellings and slang to their canonical form; the fuzzy words map to themselves."""
    words = {_canonical(w): _canonical(w) for w in spec.get("fuzzy", [])}
    for variant, canonical in spec.get("words", {}).items():
        words[_canonical(variant)] = _canonical(canonical)
    return words


def _rewrite_after(data: dict, fragments: dict[str, str], spell: Spelling) -> Rewriter:
    """Token rewrites, then idioms (masked with a clause break where they stand), as one pass."""
    entries = [(r["pattern"], r["to"]) for r in data.get("rewrite", [])]
    entries += [(p, ".") for p in data.get("idioms", {}).get("patterns", [])]
    return Rewriter([(rf"\b(?:{_prepare(p, fragments, spell)})\b", to) for p, to in entries])


def _modifier_names(spec: dict) -> list[str]:
    """A rule's modifiers; a story or the news ("media") and the word as a topic of talk ("topic")
    lower every rule that has any."""
    names = list(spec.get("modifiers", _DEFAULT_MODIFIERS))
    return names + [m for m in ("media", "topic") if m not in names] if names else names


def _spelling(data: dict) -> Spelling:
    rules = data.get("normalize", {}).get("spelling", [])
    return Spelling(tuple((re.compile(p), to) for p, to in rules))


def _rule(
    index: int, spec: dict, fragments: dict[str, str], modifiers: dict[str, Modifier], spell: Spelling
) -> Rule:
    parts = [spec["any"]] if "any" in spec else [[p] for p in spec["all"]]
    when = spec.get("when")
    return Rule(
        name=spec.get("name", f"{spec['reasons'][0]}#{index}"),
        level=Level[spec["level"].upper()],
        reasons=tuple(spec["reasons"]),
        parts=tuple(_compile(p, fragments, spell, _WORD_START) for p in parts),
        modifiers=tuple(modifiers[m] for m in _modifier_names(spec) if m in modifiers),
        when=Level[when.upper()] if when else None,
        about_others=spec.get("about_others", Level[spec["level"].upper()] >= Level.CRISIS),
    )


def _cue(spec: dict, fragments: dict[str, str], spell: Spelling) -> Cue:
    optional: Callable[[str], re.Pattern[str] | None] = lambda key: (  # noqa: E731
        _compile([spec[key]], fragments, spell) if key in spec else None
    )
    return Cue(
        before=optional("before"),
        after=optional("after"),
        pseudo=optional("pseudo"),
        reset=optional("reset"),
        whole_message=spec.get("reach") == "message",
        unless=optional("unless"),
    )


def _read(lang: str) -> dict:
    with (LEXICON_DIR / f"{lang}.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def _cues(lang: str, reader: str) -> dict[str, tuple[dict, Cue]]:
    """``lang``'s modifier cues by name, spelled to read text normalised by ``reader``'s lexicon."""
    data = _read(lang)
    fragments, spell = data.get("fragments", {}), _spelling(_read(reader))
    return {name: (spec, _cue(spec, fragments, spell)) for name, spec in data.get("modifiers", {}).items()}


def _modifiers(lang: str) -> dict[str, Modifier]:
    """``lang``'s modifiers, each also reading the same modifier's cues of every other language."""
    own = _cues(lang, lang)
    others = [_cues(other, lang) for other in available_languages() if other != lang]
    return {
        name: Modifier(
            spec.get("reason", name),
            (cue, *(o[name][1] for o in others if name in o)),
            Level[spec.get("lowers_to", "concern").upper()],
        )
        for name, (spec, cue) in own.items()
    }


def available_languages() -> tuple[str, ...]:
    """The languages that have a lexicon file, sorted."""
    return tuple(sorted(p.stem for p in LEXICON_DIR.glob("*.toml")))


@cache
def load(lang: str) -> Lexicon:
    """Loads and compiles ``lexicon/<lang>.toml`` once per process."""
    data = _read(lang)
    fragments, spell = data.get("fragments", {}), _spelling(data)
    norm = data.get("normalize", {})
    modifiers = _modifiers(lang)
    rules = [_rule(i, spec, fragments, modifiers, spell) for i, spec in enumerate(data.get("rule", []))]
    return Lexicon(
        lang=lang,
        emoji={ord(k.replace("\ufe0f", "")): f" {v} " for k, v in norm.get("emoji", {}).items()},
        rewrite_before=Rewriter([(p, to) for p, to in norm.get("before", [])]),
        words=_word_map(norm),
        fuzzy=tuple(_canonical(w) for w in norm.get("fuzzy", [])),
        fuzzy_exclude=frozenset(_canonical(w) for w in norm.get("fuzzy_exclude", [])) | _vocabulary(data),
        rewrite_after=_rewrite_after(data, fragments, spell),
        rules=tuple(sorted(rules, key=lambda r: r.when is not None)),
        others=_others(data.get("others"), fragments, spell),
        spelling=spell,
    )


_WORD = re.compile(r"(?<![\\?<])\b[a-z]{3,}\b")


def _vocabulary(data: dict) -> frozenset[str]:
    """Every word the lexicon's patterns spell out: words of their own, never read as typos."""
    sources: list[str] = [*data.get("fragments", {}).values()]
    for spec in [*data.get("rule", []), *data.get("modifiers", {}).values()]:
        for key in ("any", "all", "before", "after", "pseudo", "reset", "unless"):
            value = spec.get(key, [])
            sources += [value] if isinstance(value, str) else value
    sources += data.get("idioms", {}).get("patterns", [])
    words = {word for source in sources for word in _WORD.findall(fold_pattern(source))}
    targets = {_canonical(w) for w in data.get("normalize", {}).get("fuzzy", [])}
    return frozenset(squeeze(word) for word in words) - targets


def _others(spec: dict | None, fragments: dict[str, str], spell: Spelling) -> OtherPerson | None:
    if not spec:
        return None
    swap = {spell.text(_canonical(k)): spell.text(_canonical(v)) for k, v in spec.get("swap", {}).items()}
    marker, first = (_compile([spec[key]], fragments, spell) for key in ("marker", "first_person"))
    return OtherPerson(marker, first, swap)
