"""The gateway's crisis and threat checks: clear phrases in both languages, not everyday words."""

from __future__ import annotations

from typing import Any

import pytest

from api.services.chat import ChatGateway
from api.services.conversations import ConversationStore
from api.services.crisis import crisis_signal, threat_signal
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


# --- threats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "als mijn uitkering niet komt, dan zullen jullie het zien",
        "ik kom jullie halen",
        "ik maak die ambtenaar af",
        "ik steek het gemeentehuis in brand",
        "er ligt straks een bom bij het stadhuis",
        "ik weet waar jullie wonen",
        "you'll regret this, I know where you live",
        "I will burn down the town hall",
    ],
)
def test_threats_are_recognised(text: str) -> None:
    assert threat_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "jullie zijn waardeloos, ik wil een klacht indienen",
        "ik ben boos over de behandeling aan de balie",
        "er staat een boom in brand in het park",  # an emergency: 112, not a threat to staff
        "wanneer kan ik mijn paspoort ophalen",
        "you will see the results in your letter box?",
        "the office was closed when I came, I want to complain",
    ],
)
def test_anger_and_everyday_words_are_not_a_threat(text: str) -> None:
    assert threat_signal(text) is None


def test_gateway_sends_the_threat_intent_and_crisis_wins(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    bot = RecordingBot()
    gateway = ChatGateway(store=ConversationStore(sessions=make_sessionmaker(engine)), bot=bot, no_reply={})
    conversation = gateway.open()
    gateway.handle(conversation_id=conversation, text="ik kom jullie halen", language=None)
    gateway.handle(
        conversation_id=conversation, text="ik maak die ambtenaar af en daarna mezelf, ik wil dood", language=None
    )
    assert bot.calls[0]["text"] == '/threat{"language": "nl"}'
    assert bot.calls[0]["metadata"]["threat_text"] == "ik kom jullie halen"
    assert bot.calls[1]["text"].startswith("/crisis")  # help lines first; the moderator sees both
