"""Language-independent folding of a message before any lexicon reads it.

Case, width, invisible and control characters, look-alike letters from other alphabets (Unicode's
confusables data, through ``confusable_homoglyphs``) and accents are folded, so "KІLL" with a
Cyrillic "І", "ｋｉｌｌ" and "kill" read the same.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e007f]"
)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
APOSTROPHE = re.compile("['\u2018\u2019\u201b`\u00b4\u02bc]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-z\u00c0-\u024f]")


@lru_cache(maxsize=4096)
def latin_lookalike(char: str) -> str:
    """The lower-case Latin letter ``char`` is confusable with ("і" -> "i"), else ``char``."""
    try:
        found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    except Exception:  # data the library cannot read for this character: keep it as it is
        return char
    for entry in found or ():
        for glyph in entry.get("homoglyphs", ()):
            letter = str(glyph.get("c", "")).lower()
            if len(letter) == 1 and "a" <= letter <= "z":
                return letter
    return char


def fold_lookalikes(text: str) -> str:
    """Letters of other alphabets that look like Latin ones, replaced by the Latin letter."""
    return _NON_LATIN_LETTER.sub(lambda m: latin_lookalike(m.group()), text)


def fold(text: str) -> str:
    """Case, width, invisible and control characters, look-alikes and accents folded."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = CONTROL.sub(" ", INVISIBLE.sub("", text))
    if text.isascii():
        return text
    text = fold_lookalikes(text)
    return COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold_pattern(text: str, casefold: bool = True) -> str:
    """Accents and apostrophes (and case, except in regex source) folded as in message text."""
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKD", text.casefold() if casefold else text)
    return APOSTROPHE.sub("", COMBINING.sub("", text))
