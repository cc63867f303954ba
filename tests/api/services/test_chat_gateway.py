"""The chat gateway with a real SQLite store and a fake Rasa (the edge of the system)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.services.chat import ChatGateway, merge_rasa_messages
from api.services.conversations import ConversationStore, UnknownConversation
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.rasa_client import RasaUnavailable


class FakeRasa:
    def __init__(self, reply: list[dict[str, Any]] | None = None, *, down: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.reply = reply if reply is not None else [{"recipient_id": "x", "text": "Hallo!"}]
        self.down = down

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        if self.down:
            raise RasaUnavailable("connection refused")
        return self.reply


NO_REPLY = {"nl": "Sorry, er ging iets mis.", "en": "Sorry, something went wrong."}


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


def test_forwards_with_detected_language_and_stores_both_sides(store: ConversationStore) -> None:
    rasa = FakeRasa([
        {"recipient_id": "x", "text": "Uit \"Paspoort\":"},
        {"recipient_id": "x", "text": "Een paspoort kost € 84,20."},
        {"recipient_id": "x", "custom": {"sources": [{"title": "Paspoort", "url": "/documents/paspoort"}]}},
    ])  # fmt: skip
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=rasa)
    conversation = gateway.open()

    turn = gateway.handle(conversation_id=conversation, text="Wat kost een paspoort?", language=None)

    assert rasa.calls == [{"sender": conversation, "text": "Wat kost een paspoort?", "metadata": {"language": "nl"}}]
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot", "bot"]
    assert turn.replies[-1].sources == [{"title": "Paspoort", "url": "/documents/paspoort"}]
    assert turn.language == "nl"


def test_english_is_detected_and_page_choice_overrides(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=rasa)
    conversation = gateway.open()
    gateway.handle(conversation_id=conversation, text="How much does a passport cost?", language=None)
    gateway.handle(conversation_id=conversation, text="How much does a passport cost?", language="nl")
    assert [call["metadata"]["language"] for call in rasa.calls] == ["en", "nl"]


def test_language_command_alone_greets_in_that_language(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=rasa)
    conversation = gateway.open()
    turn = gateway.handle(conversation_id=conversation, text="/en", language=None)
    assert rasa.calls[0]["text"] == '/greet{"language": "en"}'
    assert rasa.calls[0]["metadata"] == {"language": "en"}
    assert turn.language == "en"


def test_citizen_cannot_trigger_intents_directly(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=rasa)
    conversation = gateway.open()
    gateway.handle(conversation_id=conversation, text="/request_human", language=None)
    assert rasa.calls[0]["text"] == "request_human"


def test_rasa_outage_keeps_the_message(store: ConversationStore) -> None:
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=FakeRasa(down=True))
    conversation = gateway.open()
    with pytest.raises(RasaUnavailable):
        gateway.handle(conversation_id=conversation, text="Wanneer wordt het grofvuil opgehaald?", language=None)
    assert [m.text for m in store.messages(conversation)] == ["Wanneer wordt het grofvuil opgehaald?"]


def test_bot_stays_silent_while_a_person_has_the_conversation(store: ConversationStore) -> None:
    from api.services.database import ConversationRow

    rasa = FakeRasa()
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=rasa)
    conversation = gateway.open()
    with store._sessions.begin() as session:  # what the moderator console will do
        row = session.get(ConversationRow, conversation)
        assert row is not None
        row.handled_by = "human"
    turn = gateway.handle(conversation_id=conversation, text="Bent u daar nog?", language=None)
    assert rasa.calls == []
    assert turn.replies == [] and turn.handled_by == "human"
    assert [m.text for m in store.messages(conversation)] == ["Bent u daar nog?"]


def test_unknown_conversation(store: ConversationStore) -> None:
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=FakeRasa())
    with pytest.raises(UnknownConversation):
        gateway.handle(conversation_id="made-up", text="hoi", language=None)


def test_merge_attaches_custom_sources_to_the_preceding_text() -> None:
    merged = merge_rasa_messages([
        {"text": "a"}, {"text": "b"}, {"custom": {"sources": [{"url": "/x"}]}}, {"image": "ignored"},
    ])  # fmt: skip
    assert [(m.text, m.sources) for m in merged] == [("a", []), ("b", [{"url": "/x"}])]


def test_a_turn_the_bot_left_unanswered_gets_an_apology(store: ConversationStore) -> None:
    gateway = ChatGateway(store=store, no_reply=NO_REPLY, bot=FakeRasa([]))
    conversation = gateway.open()
    turn = gateway.handle(conversation_id=conversation, text="Please help me with my passport", language=None)
    assert [m.text for m in turn.replies] == ["Sorry, something went wrong."]
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot"]
