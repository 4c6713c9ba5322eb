"""Conversation context for screening: each chat's last few messages, held in memory only.

People in distress often split one thought over several messages ("i want to", then "die"). A
:class:`RecentMessages` keeps each chat's last few messages (at most ``max_messages``, none older
than ``max_age`` seconds, at most ``max_chats`` chats, the least recently active forgotten first);
nothing is written anywhere and a restart forgets it all. :func:`screen_in_context` screens a new
message alone and together with the chat's recent ones: the joined reading counts only when it is
more severe than both the new message alone and the earlier messages together, so an earlier
crisis never raises the level of an unrelated later message.

:func:`read_safety_answer` reads a free-text answer to the bot's own direct question ("are you
having thoughts of ending your life?") as yes, no or unsure, in English and Spanish, and
:func:`screen_safety_answer` turns it into a screening: "yes" is a crisis, "unsure" a concern.
"""

from __future__ import annotations

import enum
import re
from collections import OrderedDict, deque
from dataclasses import replace

from bot.safety.screener import Level, Screening, screen
from bot.safety.screening.text import APOSTROPHE, fold


class RecentMessages:
    """Each chat's last few messages with the time they arrived; bounded, in memory only."""

    def __init__(self, max_messages: int = 5, max_age: float = 300.0, max_chats: int = 10_000) -> None:
        if max_messages < 1 or max_age <= 0 or max_chats < 1:
            raise ValueError("max_messages, max_age and max_chats must be positive")
        self.max_messages = max_messages
        self.max_age = max_age
        self.max_chats = max_chats
        self._chats: OrderedDict[int, deque[tuple[float, str]]] = OrderedDict()

    def add(self, chat_id: int, text: str, now: float) -> None:
        """Remembers ``text`` as the chat's newest message (``now`` in seconds, any clock)."""
        messages = self._chats.pop(chat_id, None) or deque(maxlen=self.max_messages)
        messages.append((now, text))
        self._chats[chat_id] = messages
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)

    def recent(self, chat_id: int, now: float) -> list[str]:
        """The chat's messages of the last ``max_age`` seconds, oldest first."""
        messages = self._chats.get(chat_id)
        if not messages:
            return []
        while messages and now - messages[0][0] > self.max_age:
            messages.popleft()
        if not messages:
            del self._chats[chat_id]
        return [text for _, text in messages]

    def forget(self, chat_id: int) -> None:
        """Drops everything held for the chat (after a crisis is answered, or on /delete)."""
        self._chats.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._chats)


def screen_in_context(
    recent: RecentMessages, chat_id: int, text: str, now: float, lang: str | None = None
) -> Screening:
    """Screens ``text`` alone and with the chat's recent messages, then remembers it."""
    alone = screen(text, lang)
    previous = recent.recent(chat_id, now)
    recent.add(chat_id, text, now)
    if not previous or not text.strip():
        return alone
    joined = screen(" ".join([*previous, text]), lang)
    earlier = screen(" ".join(previous), lang)
    if joined.level <= max(alone.level, earlier.level):
        return alone
    return replace(joined, reasons=(*joined.reasons, "context"))


class SafetyAnswer(enum.Enum):
    """How a patient answered the bot's direct question about thoughts of ending their life."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


_UNSURE = re.compile(
    r"^(?:i |im |i am |honestly |la verdad )?"
    r"(?:dont know|dunno|idk|not sure|unsure|maybe|perhaps|possibly|i guess|hard to say|"
    r"no se|no lo se|ni idea|no estoy segur[oa]|quizas?|tal vez|puede ser|capaz|a lo mejor)\b"
)
_YES = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|ya|yh|ye|y|si|sip|simon|claro|obvio|obviamente|correct|true|i am|i do|"
    r"i have|i think so|a bit|a little|a lil|kind of|kinda|sort of|sorta|somewhat|sometimes|often|"
    r"all the time|constantly|every day|lately|more or less|un poco|algo|a veces|mas o menos|"
    r"seguido|todo el tiempo|todos los dias|ultimamente|bastante|mucho|la verdad (?:es que )?si|"
    r"tengo|he tenido|pues si|creo que si)\b"
)
_NO = re.compile(
    r"^(?:no|nah|nope|nay|n|not really|not at all|never|im (?:ok|okay|fine|good|alright|safe)|"
    r"i am (?:ok|okay|fine|good|alright|safe)|all good|im all good|nunca|para nada|en absoluto|"
    r"estoy bien|todo bien|ninguno|ninguna|nada|jamas)\b"
)
_CLEAR_NO = re.compile(
    r"^(?:claro que no|por supuesto que no|obvio que no|of course not|definitely not|absolutely not|"
    r"hell no|no way|no no|no para nada|certainly not)\b"
)
_BUT = re.compile(r"\b(?:but|pero|though|aunque|sin embargo)\b")
_WORDS = re.compile(r"[^\w\s]+")


def _answer_text(text: str) -> str:
    return " ".join(_WORDS.sub(" ", APOSTROPHE.sub("", fold(text or ""))).split())


def read_safety_answer(text: str) -> SafetyAnswer:
    """Yes, no or unsure: a free-text answer to "are you having thoughts of ending your life?".

    Anything that is not a clear yes or no reads as unsure, so the bot stays with the person.
    """
    answer = _answer_text(text)
    if _CLEAR_NO.match(answer):
        return SafetyAnswer.NO
    if _UNSURE.match(answer):
        return SafetyAnswer.UNSURE
    if _YES.match(answer):
        return SafetyAnswer.YES
    if _NO.match(answer):
        return SafetyAnswer.NO
    return SafetyAnswer.UNSURE


def screen_safety_answer(text: str, lang: str | None = None) -> Screening:
    """The screening of an answer to the direct question: "yes" is a crisis, "unsure" a concern.

    A "no" is screened as any message ("no, but I'm struggling" stays a concern, "no... I have
    the pills here" is read for what it says); the answer never lowers what the words say.
    """
    said = screen(text, lang)
    answer = read_safety_answer(text)
    if answer is SafetyAnswer.YES:
        floor = Screening(Level.CRISIS, ("safety_answer_yes",))
    elif answer is SafetyAnswer.UNSURE:
        floor = Screening(Level.CONCERN, ("safety_answer_unsure",))
    elif _BUT.search(_answer_text(text)):
        floor = Screening(Level.CONCERN, ("safety_answer_no_but",))
    else:
        return said
    if said.level > floor.level:
        return replace(said, reasons=(*said.reasons, *floor.reasons))
    return Screening(floor.level, (*floor.reasons, *said.reasons), said.rules)
