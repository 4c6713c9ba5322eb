"""Risk screening of free text: a fast, offline rule engine over a per-language lexicon.

Every free-text message a patient sends is passed to :func:`screen`, which answers with a
:class:`Screening`: a :class:`Level` and stable reason codes. The words live in data
(``bot/safety/lexicon/<lang>.toml``); this module only normalises text and runs the rules:

* normalisation folds case, width, accents, invisible and control characters, leetspeak, letters
  spelled out with spaces or dots, stretched letters ("diiiie") and common misspellings;
* idioms ("this traffic is killing me") are masked out before any rule runs;
* a rule fires when its pattern matches (``any``) or when all its parts match (``all``);
* modifiers (negation, past tense, hyperbole) lower a hit to ``concern`` but never drop it;
* an escalating rule (``when``) raises an existing crisis to an emergency (a means at hand, now).

Screening fails safe: it never raises, and an internal error answers ``concern``.
"""

from __future__ import annotations

import enum
import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]

log = logging.getLogger(__name__)

LEXICON_DIR = Path(__file__).with_name("lexicon")
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"
_WINDOW = 80  # characters of context a modifier reads on either side of a match


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


@dataclass(frozen=True)
class Screening:
    """The outcome of screening one message: a level and machine-readable reason codes."""

    level: Level
    reasons: tuple[str, ...] = ()

    @property
    def is_risk(self) -> bool:
        """True when the message needs a reply from the safety path (concern or above)."""
        return self.level >= Level.CONCERN


_NONE = Screening(Level.NONE)
_SCREEN_ERROR = Screening(Level.CONCERN, ("screen_error",))

# --- normalisation -------------------------------------------------------------------------
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e007f]"
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHE = re.compile("['\u2018\u2019\u201b`\u00b4\u02bc]")
_LEET_WORD = re.compile(r"(?<![\w$@])(?:[$@][\w$@]*|[a-z][\w$@]*[0-9$@][\w$@]*)")
_LEET = str.maketrans("013457@$", "oieastas")
_SPELLED_WITH_MARKS = re.compile(r"(?<!\w)[a-z](?:[.\-_*\u00b7\u2022][a-z]){2,}(?!\w)")
_BOUNDARY = re.compile(r"[!?;:\n\r\u2026\u00a1\u00bf]+|[.,](?!\d)|(?<!\d)[.,]")
_PUNCTUATION = re.compile(r"[^\w\s.]+")
_SPELLED_WITH_SPACES = re.compile(r"(?<!\S)[a-z](?: [a-z])+(?!\S)")
_STRETCHED = re.compile(r"([a-z])\1+")


def normalise(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The form rules match against: folded, cleaned, space-padded, with " . " between clauses."""
    return _normalise(text, _lexicon(_language(lang)))


def _normalise(text: str, lex: _Lexicon) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(lex.emoji)
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = _APOSTROPHE.sub("", lex.rewrite_before(text))
    text = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), text)
    text = _SPELLED_WITH_MARKS.sub(lambda m: m.group()[::2], text)
    text = _PUNCTUATION.sub(" ", _BOUNDARY.sub(" . ", text))
    text = _SPELLED_WITH_SPACES.sub(_join_spelled, text)
    words = _STRETCHED.sub(r"\1", text).split()
    return lex.rewrite_after(" " + " ".join([lex.words.get(w, w) for w in words]) + " ")


def _join_spelled(match: re.Match[str]) -> str:
    """ "k i l l" -> "kill"; a leading "i" stays a word ("i w a n t" -> "i want")."""
    word = match.group().replace(" ", "")
    return f"i {word[1:]}" if word[0] == "i" and len(word) > 3 else word


def _fold(text: str, casefold: bool = True) -> str:
    """Accents and apostrophes (and case, except in regex source) folded as in message text."""
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKD", text.casefold() if casefold else text)
    return _APOSTROPHE.sub("", _COMBINING.sub("", text))


# --- lexicon -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Modifier:
    """Context that lowers a hit to concern: a cue before or after the match, within its clause."""

    reason: str
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    pseudo: re.Pattern[str] | None  # phrases that look like the cue but are not ("not sure")
    reset: re.Pattern[str] | None  # words that end the cue's reach ("but", "now")

    def applies(self, text: str, start: int, end: int) -> bool:
        """True when this modifier's cue governs the match at ``text[start:end]``."""
        before = text[max(0, start - _WINDOW) : start].rsplit(" . ", 1)[-1].strip()
        after = text[end : end + _WINDOW].split(" . ", 1)[0].strip()
        if self.reset is not None:
            before, after = self.reset.split(before)[-1], self.reset.split(after)[0]
        if self.pseudo is not None:
            before = self.pseudo.sub(" _ ", before)
        return bool(
            (self.before is not None and self.before.search(before))
            or (self.after is not None and self.after.search(after))
        )


@dataclass(frozen=True)
class _Rule:
    """A category: its level and reasons, and the patterns that must all match to fire it."""

    level: Level
    reasons: tuple[str, ...]
    parts: tuple[re.Pattern[str], ...]
    needles: tuple[frozenset[str] | None, ...]  # per part: one of these must be in the text
    modifiers: tuple[_Modifier, ...]
    when: Level | None  # an escalating rule fires only on top of a hit at this level


class _Rewriter:
    """Several regex rewrites in one pass, skipped when none of their needles is in the text."""

    def __init__(self, entries: list[tuple[str, str]]) -> None:
        alternatives = "|".join(f"(?P<r{i}>{source})" for i, (source, _) in enumerate(entries))
        self.pattern = re.compile(alternatives or "(?!)")
        self.replacements = [f" {to} " for _, to in entries]
        self.needles = _needles(self.pattern) if entries else ()

    def __call__(self, text: str) -> str:
        if self.needles is not None and not any(n in text for n in self.needles):
            return text
        return self.pattern.sub(lambda m: self.replacements[int(str(m.lastgroup)[1:])], text)


@dataclass(frozen=True)
class _Lexicon:
    emoji: dict[int, str]
    rewrite_before: _Rewriter  # on lower-cased text, before punctuation goes ("OD'd")
    words: dict[str, str]
    rewrite_after: _Rewriter  # on normalised text: token rewrites, then idioms masked out
    rules: tuple[_Rule, ...]
    needle_finder: re.Pattern[str]  # finds, at each position, the longest needle there
    prefixes: dict[str, frozenset[str]]  # a found needle -> every needle it starts with

    def needles_in(self, text: str) -> set[str]:
        """All rule needles present in ``text``, in one regex pass."""
        found: set[str] = set()
        for needle in self.needle_finder.findall(text):
            found |= self.prefixes[needle]
        return found


_FRAGMENT = re.compile(r"@(\w+)")
_LITERAL_SPACE = re.compile(r"(?<=[a-z)?]) (?=[a-z(@])")  # "kill myself" ~ "killmyself"
_ESCAPE_OR_DOUBLE = re.compile(r"(\\.)|([a-z])\2+")


def _squeeze(pattern: str) -> str:
    """Collapses doubled letters in a pattern's literals (as in text), leaving escapes alone."""
    return _ESCAPE_OR_DOUBLE.sub(lambda m: m.group(1) or m.group(2), pattern)


def _prepare(pattern: str, fragments: dict[str, str], depth: int = 0) -> str:
    """Expands ``@fragment`` references and folds the pattern the way text is normalised."""
    if depth > 8:
        raise ValueError(f"lexicon fragments nest too deeply in {pattern!r}")
    expanded = _FRAGMENT.sub(
        lambda m: "(?:" + _prepare(fragments[m.group(1)], fragments, depth + 1) + ")", pattern
    )
    if depth:
        return expanded
    return _LITERAL_SPACE.sub(" ?", _squeeze(_fold(expanded, casefold=False)))


def _compile(patterns: list[str], fragments: dict[str, str]) -> re.Pattern[str]:
    """One regex for a list of alternatives; each ``(?P<k>`` group marks the risk keyword."""
    parts = [_prepare(p, fragments).replace("(?P<k>", f"(?P<k{i}>") for i, p in enumerate(patterns)]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b")


def _needles(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Literal strings one of which every match must contain (a cheap prefilter), or None."""
    try:
        return _required(_sre_parse.parse(pattern.pattern).data)
    except Exception:  # a private parser that changed shape: no prefilter, still correct
        return None


def _required(items: list) -> tuple[str, ...] | None:
    """The best set of literals one of which any match of this parsed sequence must contain."""
    best: tuple[str, ...] | None = None
    run = ""
    for op, av in [*items, (None, None)]:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        found: list[tuple[str, ...] | None] = [(run,) if run.strip() else None]
        run = ""
        if op is _sre.SUBPATTERN:
            found.append(_required(av[-1].data))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found.append(_required(av[2].data))
        elif op is _sre.BRANCH:
            branches = [_required(branch.data) for branch in av[1]]
            if all(branches):
                found.append(tuple(dict.fromkeys(n for b in branches if b for n in b)))
        for needles in filter(None, found):
            if best is None or _strength(needles) > _strength(best):
                best = needles
    return best


def _trie(words: set[str]) -> str:
    """A regex matching any of ``words``, factored by prefix so it runs in one fast pass."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return "" if not branches else f"(?:{body})?" if "" in node else body

    return build(tree)


def _needle_index(rules: list[_Rule]) -> tuple[re.Pattern[str], dict[str, frozenset[str]]]:
    """One regex finding every rule needle, and each needle's shorter needle prefixes."""
    needles = {n for rule in rules for part in rule.needles if part for n in part}
    prefixes = {n: frozenset(p for p in needles if n.startswith(p)) for n in needles}
    return re.compile(f"(?=({_trie(needles) or '(?!)'}))"), prefixes


def _strength(needles: tuple[str, ...]) -> tuple[int, int]:
    """Longer and fewer needles filter better."""
    return min(len(n.strip()) for n in needles), -len(needles)


def _optional(spec: dict[str, str], key: str, fragments: dict[str, str]) -> re.Pattern[str] | None:
    return _compile([spec[key]], fragments) if key in spec else None


def _fuzzy_variants(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away from ``word``."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {a + b[1:] for a, b in splits if b}
    variants |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    variants |= {a + c + b[1:] for a, b in splits if b for c in letters}
    variants |= {a + c + b for a, b in splits for c in letters}
    return variants


def _word_map(spec: dict) -> dict[str, str]:
    """Misspellings and slang to their canonical form, plus near-misses of the fuzzy words."""
    words: dict[str, str] = {}
    excluded = {_squeeze(_fold(w)) for w in spec.get("fuzzy_exclude", [])}
    for canonical in spec.get("fuzzy", []):
        target = _squeeze(_fold(canonical))
        for variant in {_STRETCHED.sub(r"\1", v) for v in _fuzzy_variants(target)} - excluded:
            words.setdefault(variant, target)
    for canonical in spec.get("fuzzy", []):
        words[_squeeze(_fold(canonical))] = _squeeze(_fold(canonical))
    for variant, canonical in spec.get("words", {}).items():
        words[_squeeze(_fold(variant))] = _squeeze(_fold(canonical))
    return words


def _rewrite_after(data: dict, fragments: dict[str, str]) -> _Rewriter:
    """Token rewrites, then idioms (masked with a clause break), as one pass."""
    entries = [(r["pattern"], r["to"]) for r in data.get("rewrite", [])]
    entries += [(p, ".") for p in data.get("idioms", {}).get("patterns", [])]
    return _Rewriter([(rf"\b(?:{_prepare(p, fragments)})\b", to) for p, to in entries])


def _rule(spec: dict, fragments: dict[str, str], modifiers: dict[str, _Modifier]) -> _Rule:
    parts = [spec["any"]] if "any" in spec else [[p] for p in spec["all"]]
    when = spec.get("when")
    compiled = tuple(_compile(p, fragments) for p in parts)
    return _Rule(
        level=Level[spec["level"].upper()],
        reasons=tuple(spec["reasons"]),
        parts=compiled,
        needles=tuple(None if n is None else frozenset(n) for n in map(_needles, compiled)),
        modifiers=tuple(modifiers[m] for m in spec.get("modifiers", ["negated", "historical"])),
        when=Level[when.upper()] if when else None,
    )


@cache
def _lexicon(lang: str) -> _Lexicon:
    """Loads and compiles ``lexicon/<lang>.toml`` once per process."""
    with (LEXICON_DIR / f"{lang}.toml").open("rb") as handle:
        data = tomllib.load(handle)
    fragments = data.get("fragments", {})
    norm = data.get("normalize", {})
    modifiers = {
        name: _Modifier(
            spec.get("reason", name),
            *(_optional(spec, key, fragments) for key in ("before", "after", "pseudo", "reset")),
        )
        for name, spec in data.get("modifiers", {}).items()
    }
    rules = [_rule(spec, fragments, modifiers) for spec in data.get("rule", [])]
    finder, prefixes = _needle_index(rules)
    return _Lexicon(
        emoji={ord(k.replace("\ufe0f", "")): f" {v} " for k, v in norm.get("emoji", {}).items()},
        rewrite_before=_Rewriter([(p, to) for p, to in norm.get("before", [])]),
        words=_word_map(norm),
        rewrite_after=_rewrite_after(data, fragments),
        rules=tuple(sorted(rules, key=lambda r: r.when is not None)),
        needle_finder=finder,
        prefixes=prefixes,
    )


# --- evaluation ----------------------------------------------------------------------------
def _keyword_start(match: re.Match[str]) -> int:
    """Where the risk keyword starts: the ``(?P<k..>`` group when the pattern marks one."""
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("k"):
            return match.start(name)
    return match.start()


def _damping(rule: _Rule, pattern: re.Pattern[str], text: str) -> str | None:
    """None when the pattern does not match; "" for a plain match; else the modifier's reason."""
    damped = None
    for match in pattern.finditer(text):
        start = _keyword_start(match)
        reason = next((m.reason for m in rule.modifiers if m.applies(text, start, match.end())), "")
        if not reason:
            return ""
        damped = damped or reason
    return damped


def _hit(rule: _Rule, text: str, found: set[str]) -> tuple[Level, tuple[str, ...]] | None:
    """The level and reasons this rule gives ``text``, or None when it does not fire."""
    for needles in rule.needles:
        if needles is not None and found.isdisjoint(needles):
            return None
    damped = ""
    for pattern in rule.parts:
        reason = _damping(rule, pattern, text)
        if reason is None:
            return None
        damped = damped or reason
    if not damped:
        return rule.level, rule.reasons
    if rule.when is not None:
        return None
    return min(rule.level, Level.CONCERN), rule.reasons + (damped,)


def _evaluate(text: str, lex: _Lexicon) -> Screening:
    """Runs every rule (escalating ones last) and keeps the most severe level."""
    hits: list[tuple[Level, tuple[str, ...]]] = []
    found = lex.needles_in(text)
    for rule in lex.rules:
        if rule.when is not None and max((h[0] for h in hits), default=Level.NONE) < rule.when:
            continue
        hit = _hit(rule, text, found)
        if hit is not None:
            hits.append(hit)
    if not hits:
        return _NONE
    hits.sort(key=lambda h: -h[0])
    reasons = dict.fromkeys(reason for _, rule_reasons in hits for reason in rule_reasons)
    return Screening(hits[0][0], tuple(reasons))


def _language(lang: object) -> str:
    code = str(lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def screen(text: str, lang: str = DEFAULT_LANGUAGE) -> Screening:
    """Screens one message for risk of suicide, self-harm, harm to others or a medical emergency.

    ``lang`` picks the lexicon ("en", "es-MX" and "ES" all work); an unknown language falls back
    to English. Never raises: any internal failure is logged and answered with ``concern``.
    """
    try:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if not text.strip():
            return _NONE
        lex = _lexicon(_language(lang))
        return _evaluate(_normalise(text, lex), lex)
    except Exception:
        log.exception("risk screener failed; answering concern to fail safe")
        return _SCREEN_ERROR
