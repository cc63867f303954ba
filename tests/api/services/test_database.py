"""The api's schema and engine: SQLite set up like PostgreSQL (foreign keys, cascades), rules the
database enforces itself, and a schema made once however many replicas start."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import (
    ConversationRow,
    EscalationRow,
    MessageRow,
    as_utc,
    create_schema,
    make_engine,
    make_sessionmaker,
    utcnow,
    write_deletions_through,
)
from api.services.schema_migrations import head_revision
from tests.conftest import POSTGRES_ADMIN_URL
from tests.postgres import temporary_database


def new_conversation(sessions: sessionmaker[Session]) -> str:
    conversation_id = uuid.uuid4().hex
    with sessions.begin() as session:
        session.add(ConversationRow(id=conversation_id))
    return conversation_id


def test_times_are_utc() -> None:
    assert utcnow().tzinfo is UTC
    naive = datetime(2026, 3, 1, 12, 0)
    assert as_utc(naive) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    amsterdam = datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(amsterdam) is amsterdam  # an aware time is left as it is


def test_sqlite_file_gets_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "loket.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    assert path.is_file()


def test_on_sqlite_what_is_deleted_is_zeroed_and_the_write_ahead_log_emptied_after(tmp_path: Path) -> None:
    """For erasure and retention: no deleted text left in the file's free space or in the log's old frames."""
    path = tmp_path / "loket.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    sessions = make_sessionmaker(engine)
    conversation = new_conversation(sessions)
    with sessions.begin() as session:
        session.add(MessageRow(conversation_id=conversation, author="citizen", text="geheim-1234567", language="nl"))
    with sessions.begin() as session:
        session.execute(MessageRow.__table__.delete())
    assert Path(f"{path}-wal").stat().st_size > 0
    write_deletions_through(engine)
    assert Path(f"{path}-wal").stat().st_size == 0
    assert b"geheim-1234567" not in path.read_bytes()
    engine.dispose()
    write_deletions_through(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))  # not SQLite: nothing to do


def test_deleting_a_conversation_deletes_its_messages(sessions: sessionmaker[Session]) -> None:
    """ON DELETE CASCADE: on SQLite only with foreign keys switched on per connection."""
    conversation = new_conversation(sessions)
    with sessions.begin() as session:
        session.add(MessageRow(conversation_id=conversation, author="citizen", text="hoi"))
    with sessions.begin() as session:
        session.execute(text("DELETE FROM conversations WHERE id = :id"), {"id": conversation})
    with sessions() as session:
        assert session.scalars(select(MessageRow).where(MessageRow.conversation_id == conversation)).all() == []


def test_a_message_needs_an_existing_conversation(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(MessageRow(conversation_id="no-such-conversation", author="citizen", text="hoi"))


def test_a_database_error_names_no_value_a_citizen_typed(sessions: sessionmaker[Session]) -> None:
    """The message of a failed statement ends up in a logged traceback: its values stay out."""
    with pytest.raises(IntegrityError) as failure, sessions.begin() as session:
        session.add(MessageRow(conversation_id="no-such-conversation", author="citizen", text="BSN 241474310"))
    assert "241474310" not in str(failure.value) and "hidden" in str(failure.value)


def test_one_active_escalation_per_conversation(sessions: sessionmaker[Session]) -> None:
    conversation = new_conversation(sessions)
    with sessions.begin() as session:
        session.add(EscalationRow(conversation_id=conversation, reason="requested_human", status="resolved"))
        session.add(EscalationRow(conversation_id=conversation, reason="requested_human", status="open"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(EscalationRow(conversation_id=conversation, reason="no_answer", status="claimed"))
    with sessions.begin() as session:  # a closed one never blocks
        session.add(EscalationRow(conversation_id=conversation, reason="no_answer", status="returned"))


def test_create_schema_on_a_database_it_made_changes_nothing(tmp_path: Path) -> None:
    """Every start runs it; the migrations themselves: test_schema_migrations.py and tests/api/migrations/."""
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    conversation = new_conversation(sessions)
    create_schema(engine)
    create_schema(engine)
    with sessions() as session:
        assert session.scalars(select(ConversationRow.id)).all() == [conversation]
    names = {index["name"] for index in inspect(engine).get_indexes("escalations")}
    engine.dispose()
    assert "one_active_escalation_per_conversation" in names


def test_replicas_starting_together_create_the_schema_once() -> None:
    """api replicas start at the same moment on an empty PostgreSQL database."""
    import threading

    errors: list[BaseException] = []

    def start_replica(url: str) -> None:
        engine = make_engine(url)
        try:
            create_schema(engine)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            engine.dispose()

    with temporary_database(POSTGRES_ADMIN_URL, prefix="schema_race") as url:
        replicas = [threading.Thread(target=start_replica, args=(url,)) for _ in range(4)]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.join()
        assert errors == []
        engine = make_engine(url)
        assert {"conversations", "messages", "escalations"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                head_revision()
            ]
        engine.dispose()
