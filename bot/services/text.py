"""Cleaning what a patient typed before a flow reads it."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE = 4096


def clean(text: str) -> str:
    """NFKC, without format characters (zero-width spaces, right-to-left marks), trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (not only emoji or punctuation)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)
