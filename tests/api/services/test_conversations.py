"""The conversation store on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from api.services.conversations import ConversationStore, UnknownConversation
from api.services.database import create_schema, make_engine, make_sessionmaker


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield ConversationStore(sessions=make_sessionmaker(engine))
    engine.dispose()


def test_messages_are_persisted_in_order_with_sources(store: ConversationStore, database_url: str) -> None:
    conversation = store.start(language="nl")
    first = store.add_message(
        conversation_id=conversation, author="citizen", text="Wat kost een paspoort?", language="nl"
    )
    second = store.add_message(
        conversation_id=conversation, author="bot", text="€ 84,20", language="nl",
        sources=[{"title": "Paspoort aanvragen", "url": "/documents/paspoort-aanvragen"}],
    )  # fmt: skip

    messages = store.messages(conversation)
    assert [m.text for m in messages] == ["Wat kost een paspoort?", "€ 84,20"]
    assert messages[1].sources[0]["url"] == "/documents/paspoort-aanvragen"
    assert store.messages(conversation, after_id=first.id) == [messages[1]]
    assert second.id > first.id

    # Really on disk / in the server: a new engine sees the rows.
    engine = make_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM messages WHERE conversation_id = :c"), {"c": conversation}
        ).scalar_one()
    engine.dispose()
    assert count == 2


def test_unknown_conversation_is_refused(store: ConversationStore) -> None:
    with pytest.raises(UnknownConversation):
        store.add_message(conversation_id="nope", author="citizen", text="hoi", language="nl")
    assert not store.exists("nope")


def test_citizen_language_is_remembered(store: ConversationStore) -> None:
    conversation = store.start(language="nl")
    assert store.handled_by(conversation) == "bot"
    store.add_message(conversation_id=conversation, author="citizen", text="hello", language="en")
    engine_language = store.messages(conversation)[0].language
    assert engine_language == "en"


def test_an_answer_stores_the_gateways_notices_first_and_closes_the_turn(store: ConversationStore) -> None:
    conversation = store.start(language="nl")
    citizen = store.add_message(conversation_id=conversation, author="citizen", text="BSN [BSN]", language="nl")
    stored = store.answer(citizen, [("Hallo!", [])], language="nl", notices=["Uw BSN is niet opgeslagen."])
    assert [(m.author, m.text) for m in stored] == [("system", "Uw BSN is niet opgeslagen."), ("bot", "Hallo!")]
    assert store.replies_to(citizen.id) == stored
    assert store.messages(conversation)[0].answered


def test_the_bots_last_message_is_known(store: ConversationStore) -> None:
    conversation = store.start(language="nl")
    assert store.last_bot_text(conversation) is None
    citizen = store.add_message(conversation_id=conversation, author="citizen", text="hoi", language="nl")
    store.answer(citizen, [("Eerste", []), ("Tweede", [])], language="nl")
    store.add_message(conversation_id=conversation, author="moderator", text="Hallo, Sanne hier", language="nl")
    assert store.last_bot_text(conversation) == "Tweede"
