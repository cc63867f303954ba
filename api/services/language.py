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


# A message that only asks for another language ("Sorry, can you answer in English please?",
# "kan het in het Nederlands?") switches it, like the page's language switch; it is not a question.
_LANGUAGE_NAMES: dict[str, Language] = {
    "english": "en", "engels": "en", "nederlands": "nl", "dutch": "nl", "hollands": "nl",
}  # fmt: skip
_LANGUAGE_REQUEST = re.compile(
    r"\b(?:in|into|naar het|in het|op)\s+(english|engels|nederlands|dutch|hollands)\b"
    r"|\b(english|engels|nederlands|dutch)\s+(?:please|graag|alstublieft|alsjeblieft|a\.u\.b\.?)"
    r"|\b(?:speak|spreek|spreekt|praat|talk)\w*\s+(?:je|jij|u|you)?\s*(english|engels|nederlands|dutch)\b",
    re.IGNORECASE,
)
# What may surround such a request without making the message a question of its own.
_REQUEST_FILLER = re.compile(
    r"\b(?:sorry|excuse me|hello|hi|hoi|hallo|please|pls|plz|graag|alstublieft|alsjeblieft|a\.u\.b|"
    r"do|can|could|would|will|you|u|je|jij|kunt|kun|kan|wil|wilt|zou|zouden|answer|reply|respond|talk|speak|"
    r"write|chat|continue|antwoorden|antwoord|reageren|verder|praten|spreken|spreek|spreekt|schrijven|het|"
    r"in|into|naar|op|de|the|me|mij|to|with|met|this|dit|dat|rest|also|ook|maybe|misschien|even|"
    r"english|engels|nederlands|dutch|hollands|language|taal|instead|liever)\b",
    re.IGNORECASE,
)


def split_language_choice(text: str) -> tuple[Language | None, str]:
    """('en', 'rest') for '/en rest'; ('en', '') for a message that only asks for English;
    (None, text) when there is no choice."""
    match = _CHOICE.match(text)
    if match:
        return match.group(1).lower(), text[match.end() :]  # type: ignore[return-value]
    request = _LANGUAGE_REQUEST.search(text)
    if request is not None:
        rest = re.sub(r"[^\w]+", " ", _REQUEST_FILLER.sub(" ", text)).strip()
        if not rest:
            name = next(group for group in request.groups() if group)
            return _LANGUAGE_NAMES[name.lower()], ""
    return None, text


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
