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


# Languages citizens of a Dutch municipality often write in besides Dutch and English (ISO 639-1):
# a message clearly in one of them gets the note that the assistant speaks Dutch and English only,
# instead of a reply to words it cannot read ("Wie beantrage ich einen Reisepass?" was declined as
# a subject the pages lack). A detector of its own: with these languages beside them, Dutch and
# English get lower confidences, and `detect_language` would switch for short messages less often.
OTHER_LANGUAGES: tuple[str, ...] = (
    "de", "fr", "es", "pt", "it", "pl", "ro", "bg", "tr", "ar", "uk", "ru", "so", "fa",
)  # fmt: skip
# The share of the wide detector's confidence another language needs. At 0.7 none of the NLU
# examples and example questions (tests/knowledge/test_languages.py) was taken for another language
# (at 0.6 "convert 30 celsius to fahrenheit" was, German 0.67), and each question in another language
# of those tests was (French "Comment puis-je demander un passeport?" 0.72 the lowest).
OTHER_SHARE = 0.7


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.nl.stop_words import STOP_WORDS as DUTCH

    return frozenset(DUTCH | ENGLISH)


@lru_cache(maxsize=1)
def _wide_detector() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [*SUPPORTED_LANGUAGES, *OTHER_LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in codes)).build()


def other_language(text: str, *, min_words: int = 3) -> str | None:
    """The ISO 639-1 code of the language `text` is clearly written in when that is not Dutch or
    English ("Wie beantrage ich einen Reisepass?" -> "de"); None for Dutch, English, mixed, short
    or unclear text. Addresses and numbers do not count."""
    # Names are kept, unlike in `detect_language`: German capitalises every noun ("Ich bin in der
    # Stadt und habe eine Frage" would keep little but its function words). A Dutch or English
    # message around a foreign name has its function words ("Ik woon in de Hauptstraße").
    text = _NOT_LANGUAGE.sub(" ", text)
    words = _WORD.findall(text.lower())
    if len(words) < min_words:
        return None
    if 2 * sum(word in _function_words() for word in words) >= len(words):
        # Half its words are Dutch or English function words ("wat", "een", "the"): Dutch or
        # English, without the wide detector's ~10 ms a message (questions in other languages have
        # a quarter or fewer: "Ich bin in der Stadt und habe eine Frage" 2 of 9).
        return None
    values = _wide_detector().compute_language_confidence_values(text)
    best = max(values, key=lambda value: value.value, default=None)
    if best is None or best.value < OTHER_SHARE:
        return None
    code = best.language.iso_code_639_1.name.lower()
    return code if code in OTHER_LANGUAGES else None


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
