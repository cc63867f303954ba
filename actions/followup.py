"""Follow-up questions ("en voor mijn kind?") answered in the context of the previous topic."""

from __future__ import annotations

import re

from actions.dialogue_config import DialogueConfig
from actions.phrases import WORD


def _starts_like(text: str, starts_by_language: dict[str, tuple[str, ...]]) -> bool:
    cleaned = text.strip().lower()
    return any(cleaned.startswith(start) for starts in starts_by_language.values() for start in starts)


def is_follow_up(text: str, *, config: DialogueConfig) -> bool:
    """Opening like a continuation ("en als", "what about"), in either language, and not long."""
    words = re.findall(r"[^\W_]+", text.lower())
    if not words or len(words) > config.follow_up_opening_max_words:
        return False
    return _starts_like(text, config.follow_up_starts)


def is_variant(text: str, *, config: DialogueConfig) -> bool:
    """A follow-up that names another case of the question before ("en voor mijn kind?", "and for
    visitors?"), rather than a new condition ("en als ze me geen gelijk geven")."""
    return is_follow_up(text, config=config) and _starts_like(text, config.follow_up_variant_starts)


def refers_back(text: str, *, config: DialogueConfig, before: int | None = None, strictly: bool = False) -> bool:
    """Whether the message holds a word pointing back at what was said before ("dat", "die",
    "it"); with `before`, only a word ahead of that character offset, or the word at it, counts:
    in "koelkast weggooien, kan dat gratis?" the "dat" points at the fridge named before it.
    `strictly`: not the words that as often point at nothing ("het" in "is het vandaag zondag")."""
    # The word at `before` counts too: a word pointing back ("zo'n") names no subject of its own.
    head = text if before is None else text[:before] + " ".join(text[before:].split()[:1])
    words = set(WORD.findall(head.lower()))
    if strictly:
        words -= config.follow_up_loose_referring_words
    return any(words & referring for referring in config.follow_up_referring_words.values())


def asks_about_own_case(text: str, *, config: DialogueConfig) -> bool:
    """A question verb followed by the citizen as its subject: "kan ik in mei al gaan zagen", "mogen
    we dat zelf doen", "can i pay later"."""
    words = WORD.findall(text.lower())
    return any(
        verb in config.question_verbs and subject in config.own_case_subjects
        for verb, subject in zip(words, words[1:], strict=False)
    )


def search_query(text: str, *, last_topic: str | None, intent: str | None, config: DialogueConfig) -> str:
    """The text to search for: the previous topic plus the follow-up, or the message itself."""
    if last_topic and (intent == "ask_followup" or is_follow_up(text, config=config)):
        return f"{last_topic} {text}"
    return text
