"""A message that only names the subject of the question to come ("ik heb een vraag over mijn
afvalcontainer", "question about parking").

The documents cannot answer it as it stands, and declining it ("Daar heb ik geen informatie
over") told the citizen the pages knew nothing about containers; their next message, "hij is
kapot", then found the street lights. Now the citizen is asked what they want to know about it
("Wat wilt u weten over uw afvalcontainer?"), and their next message is read with that subject
(actions/knowledge_answers.py `answer_turn`). The openings: actions/dialogue.yml `announcements`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actions.dialogue_config import DialogueConfig

_SEPARATORS = " ,!.:"


@dataclass(frozen=True)
class AnnouncedSubject:
    """The subject, and the number of the citizen's message that named it."""

    text: str
    message: int

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "message": self.message}

    @classmethod
    def from_json(cls, value: Any) -> AnnouncedSubject | None:
        """None for an empty or malformed slot value: a bad value is ignored, not an error."""
        if not isinstance(value, Mapping):
            return None
        try:
            return cls(text=str(value["text"]), message=int(value["message"]))
        except (ValueError, KeyError, TypeError):
            return None


def _after(text: str, lowered: str, prefixes: tuple[str, ...]) -> tuple[str, str] | None:
    """`text` after the first of `prefixes` it starts with as whole words, and its lower case."""
    for prefix in prefixes:
        if lowered.startswith(prefix) and (len(lowered) == len(prefix) or lowered[len(prefix)] in _SEPARATORS):
            cut = len(prefix)
            return text[cut:].lstrip(_SEPARATORS), lowered[cut:].lstrip(_SEPARATORS)
    return None


def announced_subject(text: str, *, config: DialogueConfig) -> str | None:
    """The subject a message announces ("mijn afvalcontainer" of "Hallo, ik heb een vraag over
    mijn afvalcontainer."), or None: no opening, nothing after it, more than a few words, or a
    question or second clause of its own ("een vraag over mijn paspoort, wat kost een nieuwe")."""
    announcements = config.announcements
    text = " ".join(text.split()).strip(" .!?")
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer: offsets would not match
        text = lowered
    greeted = _after(text, lowered, announcements.greetings)
    if greeted is not None:
        text, lowered = greeted
    opened = _after(text, lowered, announcements.openings)
    if opened is None:
        return None
    words = opened[0].strip(_SEPARATORS + "?").split()
    while words and words[-1].lower().strip(_SEPARATORS) in announcements.closings:
        words.pop()
    subject = " ".join(words).strip(_SEPARATORS + "?")
    if not subject or any(mark in subject for mark in ",;?") or len(subject.split()) > announcements.max_words:
        return None
    return subject


def said_back(subject: str, *, language: str, config: DialogueConfig) -> str:
    """The subject in the assistant's words: "mijn afvalcontainer" -> "uw afvalcontainer"."""
    swaps = config.announcements.said_back.get(language, {})
    return " ".join(swaps.get(word.lower(), word) for word in subject.split())


def pending_subject(slot_value: Any, messages: int) -> str | None:
    """The subject announced in the citizen's previous message (`messages`: how many the citizen
    has sent, this one included), if that is what it did: an announcement answers only the
    message right after it, not one much later."""
    announced = AnnouncedSubject.from_json(slot_value)
    if announced is None or announced.message != messages - 1:
        return None
    return announced.text
