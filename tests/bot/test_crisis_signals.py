"""The gateway's crisis check: clear phrases in both languages, not everyday words."""

from __future__ import annotations

from typing import Any

import pytest

from api.services.chat import ChatGateway
from api.services.conversations import ConversationStore
from api.services.crisis import crisis_signal
from api.services.database import create_schema, make_engine, make_sessionmaker


@pytest.mark.parametrize(
    "text",
    [
        "Ik denk aan zelfmoord",
        "ik wil niet meer leven",
        "Ik wil dood",
        "ik wil mezelf iets aandoen",
        "ik wil een einde aan mijn leven maken",
        "mijn vriend zei dat hij zich van kant gaat maken",
        "ze dreigt zich van kant te maken",
        "I want to kill myself",
        "I don't want to live anymore",
        "thinking about suicide",
        "I'm being attacked",
    ],
)
def test_crisis_phrases_are_recognised(text: str) -> None:
    assert crisis_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "er ligt een dood dier op straat",
        "ik ga dood van het lachen",
        "mijn kat is dood, moet ik dat melden?",
        "wat kost een paspoort?",
        "I'm dying to know the opening hours",
        "ik zet de bank aan de kant, maken jullie hem schoon?",
        "the street light is dead",
        "ik wil leven in een groene stad",
    ],
)
def test_everyday_words_are_not_a_crisis(text: str) -> None:
    assert crisis_signal(text) is None


class RecordingBot:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append({"text": text, "metadata": metadata})
        return [{"text": "113"}]


def test_gateway_sends_the_crisis_intent_with_the_original_text(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    bot = RecordingBot()
    gateway = ChatGateway(store=ConversationStore(sessions=make_sessionmaker(engine)), bot=bot, no_reply={})
    conversation = gateway.open()
    gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    gateway.handle(conversation_id=conversation, text="wat kost een paspoort", language=None)
    assert bot.calls[0]["text"] == '/crisis{"language": "nl"}'
    assert bot.calls[0]["metadata"]["crisis_text"] == "ik wil niet meer leven"
    assert bot.calls[1]["text"] == "wat kost een paspoort" and "crisis_text" not in bot.calls[1]["metadata"]
