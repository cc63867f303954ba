"""Alembic migrations at start: they make exactly the models, a database made before migrations is
taken from the baseline, and Rasa's tables in the same database are left alone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, inspect, select, text
from sqlalchemy.engine import Engine

from api.services.database import Base, create_schema, make_engine
from api.services.schema_migrations import (
    BASELINE_REVISION,
    current_revision,
    head_revision,
    schema_differences,
)
from tests.api.migrations.schema_427aa63 import METADATA as RELEASE_427AA63

# Rasa's tracker store table, as far as these tests need it (tests/api/services/conftest.py has all of it).
RASA_EVENTS = Table(
    "events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255), nullable=False)
)


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return current_revision(connection)


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return schema_differences(connection)


def test_the_migrations_make_exactly_the_models(own_database_url: str) -> None:
    """A model changed without a revision (or a revision without its model change) fails here:
    `alembic revision --autogenerate` (README, "Where does a change go?") writes the missing one."""
    engine = make_engine(own_database_url)
    assert revision(engine) is None
    create_schema(engine)
    assert revision(engine) == head_revision()
    assert differences(engine) == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    create_schema(engine)  # the next start
    assert revision(engine) == head_revision()
    engine.dispose()


def test_a_differing_model_is_seen(tmp_path: Path) -> None:
    """The comparison above can fail: a column the migrations never made is reported."""
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages DROP COLUMN language"))
    found = differences(engine)
    engine.dispose()
    assert [(kind, column.name) for kind, _schema, _table, column in found] == [("add_column", "language")]


def test_a_database_made_by_create_all_is_taken_from_the_baseline(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    RELEASE_427AA63.create_all(engine)
    with engine.connect() as connection:
        assert schema_differences(connection, RELEASE_427AA63) == []
        assert current_revision(connection) is None
    create_schema(engine)
    assert revision(engine) == head_revision() != BASELINE_REVISION
    assert differences(engine) == []
    engine.dispose()


def test_a_database_older_than_the_baseline_starts_and_the_operator_is_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    RELEASE_427AA63.create_all(engine)
    with engine.begin() as connection:  # from before `messages.language` existed
        connection.execute(text("ALTER TABLE messages DROP COLUMN language"))
    with caplog.at_level(logging.WARNING, logger="loket.api"):
        create_schema(engine)
    assert revision(engine) == head_revision()
    assert "still differs from the models" in caplog.text and "language" in caplog.text
    engine.dispose()


def test_rasa_tables_in_the_same_database_are_left_alone(own_database_url: str) -> None:
    """On PostgreSQL Rasa's tracker store may share the database, and may have started first."""
    engine = make_engine(own_database_url)
    RASA_EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(RASA_EVENTS), [{"sender_id": "abc"}])
    create_schema(engine)  # a new database for the api, not one made before migrations
    assert revision(engine) == head_revision()
    assert differences(engine) == []  # autogenerate would not drop `events`
    with engine.connect() as connection:
        assert connection.execute(select(RASA_EVENTS.c.sender_id)).scalars().all() == ["abc"]
    engine.dispose()


def test_processes_starting_on_a_new_sqlite_file_wait_for_each_other(tmp_path: Path) -> None:
    """The schema is made under a lock file beside the database: a second process waits for the
    first instead of failing on CREATE TABLE ("table conversations already exists")."""
    import threading

    from filelock import FileLock

    path = tmp_path / "loket.db"
    engine = make_engine(f"sqlite:///{path}")
    holder = FileLock(f"{path}.schema.lock")
    holder.acquire()  # another process is making the schema
    done = threading.Event()
    worker = threading.Thread(target=lambda: (create_schema(engine), done.set()), daemon=True)
    worker.start()
    assert not done.wait(1.0), "the schema was made while another process held the lock"
    assert "conversations" not in inspect(engine).get_table_names()
    holder.release()
    assert done.wait(30.0)
    assert "conversations" in inspect(engine).get_table_names()
    create_schema(engine)  # and again: at the newest revision, nothing to do
