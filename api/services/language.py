"""Per-message language detection (Dutch or English) for the chat gateway."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lingua import LanguageDetector

Language = Literal["nl", "en"]
SUPPORTED: tuple[Language, ...] = ("nl", "en")

# A citizen may force the language by typing /nl or /en (the page's language
# switch sends the same); the rest of such a message, if any, is the question.
_CHOICE = re.compile(r"^\s*/(nl|en)\b\s*", re.IGNORECASE)

# Short greetings carry too little text for a statistical detector.
_SHORT_WORDS: dict[str, Language] = {
    "hoi": "nl",
    "hallo": "nl",
    "hee": "nl",
    "doei": "nl",
    "dag": "nl",
    "bedankt": "nl",
    "dankjewel": "nl",
    "ja": "nl",
    "nee": "nl",
    "goedemorgen": "nl",
    "goedemiddag": "nl",
    "goedenavond": "nl",
    "hi": "en",
    "hello": "en",
    "hey": "en",
    "thanks": "en",
    "yes": "en",
    "no": "en",
    "bye": "en",
    "goodbye": "en",
    "cheers": "en",
}


def split_language_choice(text: str) -> tuple[Language | None, str]:
    """('en', 'rest') for '/en rest'; (None, text) when there is no choice."""
    match = _CHOICE.match(text)
    if not match:
        return None, text
    return match.group(1).lower(), text[match.end() :]  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language as L
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(L.DUTCH, L.ENGLISH).build()


# E-mail addresses, links and numbers say nothing about the citizen's language
# ("piet@example.nl" looks English to a detector): an answer like that keeps it.
_NOT_LANGUAGE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\d[\d\s()+-]*")


def detect_language(text: str, *, previous: Language = "nl") -> Language:
    """Language of `text`; `previous` wins when the text gives too little evidence."""
    text = _NOT_LANGUAGE.sub(" ", text)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return previous
    if len(words) <= 2 and all(word in _SHORT_WORDS for word in words):
        return _SHORT_WORDS[words[0]]
    from lingua import Language as L

    confidences = {c.language: c.value for c in _detector().compute_language_confidence_values(text)}
    dutch, english = confidences.get(L.DUTCH, 0.0), confidences.get(L.ENGLISH, 0.0)
    # Short messages ("ok", "paspoort?") switch the language only on a wide margin;
    # longer ones on a clear one.
    needed = 0.6 if len(words) < 3 else 0.2
    if abs(dutch - english) < needed:
        return previous
    return "nl" if dutch >= english else "en"
