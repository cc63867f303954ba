"""The citizen chat gateway: language, persistence, and Rasa or a person.

The citizen never talks to Rasa directly. Every message is stored before it
is forwarded, so a Rasa outage loses nothing; while a moderator has the
conversation the bot stays silent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.services.conversations import ConversationStore, Message
from api.services.crisis import CRISIS_INTENT, THREAT_INTENT, crisis_signal, threat_signal
from api.services.language import split_language_choice
from knowledge.languages import SUPPORTED_LANGUAGES, Language, detect_language, supported


class BotBackend(Protocol):
    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class BotMessage:
    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ChatTurn:
    conversation_id: str
    language: Language
    citizen_message: Message | None
    replies: list[Message]
    handled_by: str


def merge_rasa_messages(raw: list[dict[str, Any]]) -> list[BotMessage]:
    """Rasa sends text and custom JSON as separate items: attach sources to the text."""
    merged: list[BotMessage] = []
    for item in raw:
        custom = item.get("custom") or {}
        sources = list(custom.get("sources") or [])
        text = item.get("text")
        if text:
            merged.append(BotMessage(text=text, sources=sources))
        elif sources and merged:
            previous = merged.pop()
            merged.append(BotMessage(text=previous.text, sources=previous.sources + sources))
    return merged


def rasa_text(question: str) -> str:
    """What Rasa gets: never a citizen-typed "/intent" shortcut, which would skip NLU.

    A message that only chose the language becomes Rasa's greeting trigger, so
    the citizen gets an answer in the language just chosen.
    """
    cleaned = question.strip().lstrip("/").strip()
    return cleaned or "/greet"


def with_language(text: str, language: Language) -> str:
    """An intent trigger ("/greet") skips Rasa's NLU, so the metadata's language would not
    reach the `language` slot: the trigger carries it as an entity instead."""
    if not text.startswith("/"):
        return text
    return f"{text}{json.dumps({'language': language})}"


class ChatGateway:
    def __init__(self, *, store: ConversationStore, bot: BotBackend, no_reply: dict[str, str]) -> None:
        self._store = store
        self._bot = bot
        self._no_reply = no_reply  # language -> text, for a turn the bot left unanswered

    def open(self, *, language: Language = "nl") -> str:
        return self._store.start(language=language)

    def handle(self, *, conversation_id: str, text: str, language: Language | None) -> ChatTurn:
        """Store the citizen's message, then let the bot (or nobody, if a person has it) reply.

        Raises UnknownConversation for an id the api never issued and
        RasaUnavailable after the message was stored when Rasa does not answer.
        """
        choice, question = split_language_choice(text)
        previous = self._previous_language(conversation_id)
        chosen = choice or language
        detected: Language = chosen or detect_language(question, previous=previous)
        citizen = self._store.add_message(
            conversation_id=conversation_id, author="citizen", text=text, language=detected
        )
        handled_by = self._store.handled_by(conversation_id)
        if handled_by != "bot":
            # A person has the conversation: they see the message in the console.
            return ChatTurn(conversation_id, detected, citizen, [], handled_by)
        metadata: dict[str, Any] = {"language": detected}
        bot_text = rasa_text(question)
        if crisis_signal(question):
            # Deterministic: the crisis intent wins over whatever the NLU would predict.
            bot_text = CRISIS_INTENT
            metadata["crisis_text"] = question
        elif threat_signal(question):
            # Deterministic too: a threat never starts the complaint form.
            bot_text = THREAT_INTENT
            metadata["threat_text"] = question
        raw = self._bot.send(sender=conversation_id, text=with_language(bot_text, detected), metadata=metadata)
        replies = [
            self._store.add_message(
                conversation_id=conversation_id,
                author="bot",
                text=message.text,
                language=detected,
                sources=message.sources,
            )
            for message in merge_rasa_messages(raw) or [BotMessage(self._no_reply.get(detected, ""))]
            if message.text
        ]
        return ChatTurn(conversation_id, detected, citizen, replies, handled_by)

    def _previous_language(self, conversation_id: str) -> Language:
        for message in reversed(self._store.messages(conversation_id)):
            if message.author == "citizen" and message.language in SUPPORTED_LANGUAGES:
                return supported(message.language)
        return "nl"
