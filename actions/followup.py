"""Follow-up questions ("en voor mijn kind?") answered in the context of the previous topic."""

from __future__ import annotations

import re

from actions.dialogue_config import DialogueConfig


def is_follow_up(text: str, *, config: DialogueConfig) -> bool:
    """Short and shaped like a continuation, in either language."""
    cleaned = text.strip().lower()
    words = re.findall(r"[^\W_]+", cleaned)
    if not words or len(words) > config.follow_up_max_words:
        return False
    starts = [start for group in config.follow_up_starts.values() for start in group]
    return any(cleaned.startswith(start) for start in starts)


def is_variant(text: str, *, config: DialogueConfig) -> bool:
    """A follow-up that names another case of the question before ("en voor mijn kind?", "and for
    visitors?"), rather than a new condition ("en als ze me geen gelijk geven")."""
    cleaned = text.strip().lower()
    starts = [start for group in config.follow_up_variant_starts.values() for start in group]
    return is_follow_up(text, config=config) and any(cleaned.startswith(start) for start in starts)


def search_query(text: str, *, last_topic: str | None, intent: str | None, config: DialogueConfig) -> str:
    """The text to search for: the previous topic plus the follow-up, or the message itself."""
    if last_topic and (intent == "ask_followup" or is_follow_up(text, config=config)):
        return f"{last_topic} {text}"
    return text
