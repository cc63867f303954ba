"""The conversation store on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from api.services.conversations import MAX_PAGE, ConversationStore, UnknownConversation
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.schema_migrations import alembic_config


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


# --- long conversations: pages and bounded reads --------------------------------------------------


def test_a_transcript_is_read_a_page_at_a_time(store: ConversationStore) -> None:
    conversation = store.start(language="nl")
    ids = [
        store.add_message(conversation_id=conversation, author="citizen", text=f"vraag {n}", language="nl").id
        for n in range(7)
    ]
    other = store.start(language="nl")
    store.add_message(conversation_id=other, author="citizen", text="elders", language="nl")

    def texts(**page: int) -> list[str]:
        return [m.text for m in store.page(conversation, **page)]

    assert texts(limit=3) == ["vraag 4", "vraag 5", "vraag 6"]  # the latest page, oldest first
    assert texts(before_id=ids[4], limit=3) == ["vraag 1", "vraag 2", "vraag 3"]  # reading back
    assert texts(before_id=ids[1], limit=3) == ["vraag 0"]
    assert texts(after_id=ids[1], limit=2) == ["vraag 2", "vraag 3"]  # a poll continues from its last id
    assert texts(after_id=ids[-1]) == [] and texts(after_id=0) == [f"vraag {n}" for n in range(7)]
    assert texts(after_id=ids[1], before_id=ids[3]) == ["vraag 2"]
    for limit in (0, MAX_PAGE + 1):
        with pytest.raises(ValueError):
            store.page(conversation, limit=limit)


def test_the_state_counts_the_citizens_messages(store: ConversationStore) -> None:
    conversation = store.start(language="nl")
    assert store.state(conversation).citizen_messages == 0
    citizen = store.add_message(conversation_id=conversation, author="citizen", text="hoi", language="nl")
    store.answer(citizen, [("Hallo!", [])], language="nl", notices=["Melding"])
    store.add_message(conversation_id=conversation, author="citizen", text="nog een", language="nl")
    assert store.state(conversation).citizen_messages == 2


def test_a_turns_reads_use_the_indexes_also_on_a_database_from_before_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    with engine.connect() as connection, connection.begin():  # a database from before these indexes
        command.downgrade(alembic_config(connection), "0001")
    create_schema(engine)  # what the api does at start-up
    names = {index["name"] for index in inspect(engine).get_indexes("messages")}
    assert {"messages_in_order", "messages_by_author"} <= names

    def plan(sql: str) -> str:
        with engine.connect() as connection:
            rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"), {"c": "x", "a": "citizen", "i": 5}).all()
        return " ".join(str(row[-1]) for row in rows)

    count = plan("SELECT count(*) FROM messages WHERE conversation_id = :c AND author = :a")
    assert "COVERING INDEX messages_by_author" in count, count
    last_bot = plan("SELECT text FROM messages WHERE conversation_id = :c AND author = :a ORDER BY id DESC LIMIT 1")
    assert "messages_by_author" in last_bot and "TEMP B-TREE" not in last_bot, last_bot
    latest = plan("SELECT * FROM messages WHERE conversation_id = :c AND id < :i ORDER BY id DESC LIMIT 100")
    assert "TEMP B-TREE" not in latest, latest  # a range scan in index order: no sort of the conversation
    engine.dispose()
