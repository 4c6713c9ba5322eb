"""Risk screening of free text: a fast, offline rule engine over every language's lexicon.

Every free-text message a patient sends is passed to :func:`screen`, which answers with a
:class:`Screening`: a :class:`Level`, stable reason codes and the rules that fired. By default a
message is screened with every lexicon the bot has (``bot/safety/lexicon/<lang>.toml``) and the
highest level wins, so a Spanish speaker writing in English (or mixing both) is still heard.

How a message is read (:mod:`bot.safety.screening`):

* folding: case, width, invisible and control characters, letters of other alphabets that look
  like Latin ones (Unicode's confusables), accents, leetspeak, spaced or dotted letters, stretched
  letters ("diiiie"), slang and misspellings from the lexicon, typos of key words (rapidfuzz);
* emoji are read as words (🔪 is a knife, 💊 pills, 🪢 a rope) and count like them;
* idioms ("this traffic is killing me") are masked where they stand, before any rule runs;
* a rule fires when one of its patterns matches (``any``) or when all its parts match (``all``)
  within one clause or a run of up to three short ones (never spread over a long message);
* modifiers (negation, past tense, hyperbole, a question, a joke, a story or the news) read only
  the hit's own clause, stop at "but" and "now", and lower a hit to ``concern``: they never drop
  it; a "no" answering a question is its own clause ("no, I want to die" stays a crisis);
* a clause about someone else is also read in the first person: its crisis hits add third_party;
* an escalating rule (``when``) raises a crisis in the same clause to an emergency (a means in hand).

Reason codes (stable: the crisis reply and staff alerts pick resources and wording from them):

=====================  ============================================================================
code                   meaning (usual level)
=====================  ============================================================================
suicidal_ideation      wish to die, plans, indirect ideation, suicide slang (crisis)
method_mentioned       a method named with intent (crisis)
goodbye                farewell messages, notes for loved ones (crisis)
giving_away            giving belongings away for good, who gets my things (crisis)
finality               "you won't have to worry about me after this weekend" (crisis)
plan_timing            a plan or a time set for it (crisis)
self_harm              self-harm in any tense, "again" included (crisis)
harm_to_others         intent to hurt someone else (crisis; emergency with a weapon in hand)
abuse                  violence or abuse against the patient, a minor disclosing it, threats (crisis)
third_party            someone else at risk: a friend talking about dying, unresponsive (crisis+)
loss_of_control        afraid of what one might do (crisis)
overdose               an overdose taken, past tense included, or heavy use with danger (emergency)
means_at_hand          the means in hand or the act under way (emergency)
unresponsive_person    someone not breathing, not waking, blue lips (emergency)
seizure                a seizure (emergency)
medical_chest_pain     chest pain (emergency with breathlessness, else concern)
medical_cardiac        racing heart with breathlessness, heart attack, stroke (emergency)
medical_danger         other danger to life: coughing up blood, breathing that sounds wrong (emergency)
ketamine_medical       bladder pain, blood in urine, cannot pass urine (concern: see a clinician)
hopelessness, numbness, burden, self_worth, wants_to_disappear, hallucinations, confusion,
breathing_difficulty, heavy_use, mixed_use, final_arrangements, suicide_exposure, revenge,
emoji_risk, reassurance  (concern)
negated, historical, conditional, hyperbole, media, joking, topic, playful, easing
                       a modifier lowered the hit (to concern; "easing" lowers concern-level advice
                       to none): a negation, the past, a question, a joke, a film or the news
context                read together with the chat's previous messages (bot.safety.context)
safety_answer_yes, safety_answer_unsure, safety_answer_no_but
                       an answer to the bot's own safety question (bot.safety.context)
screen_error           the screener failed; answered concern to fail safe
=====================  ============================================================================

Screening fails safe: it never raises, and an internal error answers ``concern``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from bot.safety.screening import lexicon as _lex
from bot.safety.screening.lexicon import Level, Lexicon, Modifier, Rule
from bot.safety.screening.text import fold

__all__ = ["DEFAULT_LANGUAGE", "SUPPORTED_LANGUAGES", "Level", "Screening", "normalise", "screen"]

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES: tuple[str, ...] = _lex.available_languages()
DEFAULT_LANGUAGE = "en"
_WINDOW_WORDS = 30  # an ``all`` rule may span up to three short clauses, within this many words


@dataclass(frozen=True)
class Screening:
    """The outcome of screening one message: a level, reason codes and the rules that fired."""

    level: Level
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_risk(self) -> bool:
        """True when the message needs a reply from the safety path (concern or above)."""
        return self.level >= Level.CONCERN


_NONE = Screening(Level.NONE)
_SCREEN_ERROR = Screening(Level.CONCERN, ("screen_error",))


@dataclass(frozen=True)
class _Hit:
    level: Level
    reasons: tuple[str, ...]
    rule: str


def normalise(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The form ``lang``'s rules match against: folded, cleaned, with " . " between clauses."""
    return _lex.load(_languages(lang)[0]).normalise(fold(text))


# --- evaluation ----------------------------------------------------------------------------
def _keyword_start(match: re.Match[str]) -> int:
    """Where the risk keyword starts: the ``(?P<k..>`` group when the pattern marks one."""
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("k"):
            return match.start(name)
    return match.start()


def _damping(rule: Rule, pattern: re.Pattern[str], text: str) -> Modifier | None | bool:
    """False when the pattern does not match; None for a plain match; else the modifier."""
    damped: Modifier | None | bool = False
    for match in pattern.finditer(text):
        start = _keyword_start(match)
        modifier = next((m for m in rule.modifiers if m.applies(text, start, match.end())), None)
        if modifier is None:
            return None
        damped = damped or modifier
    return damped


def _windows(text: str) -> list[str]:
    """Each clause alone, and runs of two or three short clauses: where ``all`` parts may meet."""
    clauses = [c.strip() for c in text.split(" . ") if c.strip()]
    if len(clauses) <= 1:
        return [text]
    windows = [f" {c} " for c in clauses]
    for size in (2, 3):
        for start in range(len(clauses) - size + 1):
            run = clauses[start : start + size]
            if sum(len(c.split()) for c in run) <= _WINDOW_WORDS:
                windows.append(" " + " . ".join(run) + " ")
    return windows


def _fire(rule: Rule, text: str) -> _Hit | None:
    """The hit this rule gives ``text`` (all its parts in it), or None."""
    damped: Modifier | None = None
    for pattern in rule.parts:
        found = _damping(rule, pattern, text)
        if found is False:
            return None
        damped = damped or (found if isinstance(found, Modifier) else None)
    if damped is None:
        return _Hit(rule.level, rule.reasons, rule.name)
    if rule.when is not None or damped.lowers_to == Level.NONE:
        return None
    return _Hit(min(rule.level, damped.lowers_to), (*rule.reasons, damped.reason), rule.name)


def _hit(rule: Rule, text: str, windows: Callable[[], list[str]]) -> _Hit | None:
    """A rule's hit on the message; a rule with several parts needs them close together."""
    for part in rule.parts:  # most rules do not match at all: find that out cheaply first
        if part.search(text) is None:
            return None
    if len(rule.parts) == 1:
        return _fire(rule, text)
    hits = [h for h in (_fire(rule, w) for w in windows()) if h is not None]
    return max(hits, key=lambda h: h.level, default=None)


def _escalates(rule: Rule, base: list[Rule], windows: list[str]) -> _Hit | None:
    """An escalating rule's hit: its cue and a base hit at ``rule.when`` in the same window."""
    assert rule.when is not None
    for window in windows:
        if _fire(rule, window) is None:
            continue
        if any((h := _fire(b, window)) is not None and h.level >= rule.when for b in base):
            return _Hit(rule.level, rule.reasons, rule.name)
    return None


def _about_others(text: str, lex: Lexicon) -> list[_Hit]:
    """Crisis hits in clauses about someone else, read in the first person: ``third_party``."""
    if lex.others is None or lex.others.marker.search(text) is None:
        return []
    hits = []
    for clause in text.split(" . "):
        swapped = lex.others.first_personal(clause)
        if swapped is None:
            continue
        rules = [r for r in lex.rules if r.about_others and r.when is None]
        for hit in _rules(rules, swapped):
            if hit.level >= Level.CRISIS:
                hits.append(_Hit(hit.level, (*hit.reasons, "third_party"), f"{hit.rule}~others"))
    return hits


def _evaluate(text: str, lex: Lexicon) -> list[_Hit]:
    """Every rule's hit on one normalised message, and on its clauses about someone else."""
    hits = _rules(lex.rules, text) + _about_others(text, lex)
    return [_Hit(h.level, h.reasons, f"{lex.lang}:{h.rule}") for h in hits]


def _rules(rules: tuple[Rule, ...] | list[Rule], text: str) -> list[_Hit]:
    """Every rule's hit on one normalised text (escalating rules last)."""
    windows = cache(lambda: _windows(text))  # built only for a rule with several parts that may fire
    hits: list[_Hit] = []
    base: list[Rule] = []
    for rule in rules:
        if rule.when is None:
            hit = _hit(rule, text, windows)
            if hit is not None:
                hits.append(hit)
                base.append(rule)
        elif max((h.level for h in hits), default=Level.NONE) >= rule.when:
            hit = _escalates(rule, base, windows())
            if hit is not None:
                hits.append(hit)
    return hits


def _merge(hits: list[_Hit]) -> Screening:
    """The most severe level; reasons and rules of every hit, the most severe first."""
    if not hits:
        return _NONE
    hits.sort(key=lambda h: -h.level)
    reasons = dict.fromkeys(reason for hit in hits for reason in hit.reasons)
    rules = dict.fromkeys(hit.rule for hit in hits)
    return Screening(hits[0].level, tuple(reasons), tuple(rules))


def _languages(lang: object) -> tuple[str, ...]:
    """The lexicons to use: ``lang``'s when it has one, else every language."""
    code = str(lang or "").strip().lower().replace("_", "-").split("-")[0]
    return (code,) if code in SUPPORTED_LANGUAGES else SUPPORTED_LANGUAGES


def screen(text: str, lang: str | None = None) -> Screening:
    """Screens one message for risk of suicide, self-harm, harm, abuse or a medical emergency.

    Without ``lang`` (the default) every lexicon reads the message and the highest level wins;
    ``lang`` narrows to one lexicon ("en", "es-MX" and "ES" all work), and a language without a
    lexicon screens with all of them. Never raises: a failure is logged and answered ``concern``.
    """
    try:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if not text.strip():
            return _NONE
        folded = fold(text)
        hits: list[_Hit] = []
        for code in _languages(lang):
            lex = _lex.load(code)
            hits += _evaluate(lex.normalise(folded), lex)
        return _merge(hits)
    except Exception:
        log.exception("risk screener failed; answering concern to fail safe")
        return _SCREEN_ERROR
