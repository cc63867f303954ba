"""The languages Loket speaks, and the one detector that tells them apart.

Adding a language starts here: `SUPPORTED_LANGUAGES`, and the detector's language list. The
detector (lingua) loads on first use; importing this module is cheap, also in the Rasa process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lingua import LanguageDetector

Language = Literal["nl", "en"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("nl", "en")
DEFAULT_LANGUAGE: Language = "nl"


def supported(value: object, default: Language = DEFAULT_LANGUAGE) -> Language:
    """`value` if it is a supported language code, else `default`."""
    return value if value in SUPPORTED_LANGUAGES else default  # type: ignore[return-value]


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


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language as L
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(L.DUTCH, L.ENGLISH).build()


# E-mail addresses, links and numbers say nothing about the citizen's language
# ("piet@example.nl" looks English to a detector): an answer like that keeps it.
_NOT_LANGUAGE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\d[\d\s()+-]*")


# Street and place names are Dutch whatever language the citizen writes in: "Kerkstraat 12" as
# the answer to "Where is it?", or "near the Kerkstraat". A capitalised word after a sentence's
# first word is taken for a name, and so is a message of capitalised words only.
_SENTENCE = re.compile(r"[^.!?\n]+")
_WORD = re.compile(r"[^\W\d_]+")


def _without_names(text: str) -> str:
    """The text's words without those taken for names; "" when every word is one."""
    if text.isupper():  # SHOUTING: every word is capitalised, none is a name for that
        return text
    kept: list[str] = []
    for sentence in _SENTENCE.findall(text):
        words = _WORD.findall(sentence)
        kept += words[:1] + [word for word in words[1:] if not word[0].isupper()]
    return "" if all(word[0].isupper() for word in kept) else " ".join(kept)


def detect_language(text: str, *, previous: Language = DEFAULT_LANGUAGE) -> Language:
    """Language of `text`; `previous` wins when the text gives too little evidence."""
    text = _NOT_LANGUAGE.sub(" ", text)
    short = _WORD.findall(text.lower())
    if short and len(short) <= 2 and all(word in _SHORT_WORDS for word in short):
        return _SHORT_WORDS[short[0]]
    text = _without_names(text)
    words = _WORD.findall(text.lower())
    if not words:
        return previous
    from lingua import Language as L

    confidences = {c.language: c.value for c in _detector().compute_language_confidence_values(text)}
    dutch, english = confidences.get(L.DUTCH, 0.0), confidences.get(L.ENGLISH, 0.0)
    # Short messages ("ok", "paspoort?") switch the language only on a wide margin;
    # longer ones on a clear one.
    needed = 0.6 if len(words) < 3 else 0.2
    if abs(dutch - english) < needed:
        return previous
    return "nl" if dutch >= english else "en"
