"""Upgrading a database of release 427aa63 (made by create_all, no `alembic_version`) at start, on
SQLite and PostgreSQL: its rows stay readable through today's services, the new tables and columns
are there, and the next start changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import DateTime, event, insert, inspect, text
from sqlalchemy.engine import Engine

from api.services.audit import AuditLog
from api.services.conversations import ConversationStore
from api.services.database import ChatSwitchRow, create_schema, make_engine, make_sessionmaker
from api.services.escalations import EscalationWorkflow
from api.services.schema_migrations import alembic_config, current_revision, head_revision, schema_differences
from api.services.users import UserStore
from tests.api.migrations.schema_427aa63 import (
    CONVERSATION,
    FORM_DATA,
    PASSWORD,
    TOKEN,
    USERNAME,
    release_427aa63_database,
)
from tests.api.migrations.schema_427aa63 import METADATA as RELEASE_427AA63

THEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)  # when the release's rows were written
NOW = THEN + timedelta(days=10)  # within the token's 90 days


@contextmanager
def changes(engine: Engine) -> Iterator[list[str]]:
    """The statements run on `engine` meanwhile that are not reads."""
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH", "SHOW")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_database_of_release_427aa63_is_upgraded_at_start_and_keeps_its_data(own_database_url: str) -> None:
    engine = release_427aa63_database(own_database_url, at=THEN)

    with changes(engine) as statements:
        create_schema(engine)  # what the api and `loket db upgrade` do
    assert any("CREATE TABLE chat_switches" in statement for statement in statements)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert schema_differences(connection) == []
    tables = inspect(engine)
    assert {"contact_details", "chat_switches"} <= set(tables.get_table_names())
    assert {"expires_at", "scopes"} <= {column["name"] for column in tables.get_columns("api_tokens")}
    assert {"messages_in_order", "messages_by_author"} <= {index["name"] for index in tables.get_indexes("messages")}

    sessions = make_sessionmaker(engine)
    transcript = ConversationStore(sessions=sessions).messages(CONVERSATION)
    assert [(message.author, message.text) for message in transcript] == [
        ("citizen", "Mijn container is niet geleegd"),
        ("bot", "Dat spijt me."),
    ]
    assert transcript[0].answered and transcript[1].sources == [{"url": "https://example.org/afval"}]
    case = EscalationWorkflow(sessions=sessions).active(CONVERSATION)
    assert case is not None and case.form_data == FORM_DATA
    users = UserStore(sessions=sessions, session_ttl=timedelta(hours=1))
    user = users.authenticate(username=USERNAME, password=PASSWORD)
    assert user is not None and user.roles == {"moderator", "staff"}
    login = users.token_login(TOKEN, now=NOW)  # a token from before expiry and scopes existed
    assert login is not None and login[1].scopes == {"search"} and login[1].expires_at == THEN + timedelta(days=90)
    assert [entry.action for entry in AuditLog(sessions=sessions).entries()][-1] == "user.login"
    with sessions.begin() as session:  # the new tables take rows
        session.add(ChatSwitchRow(name="forms", enabled=False, changed_by="admin"))

    with changes(engine) as statements:
        create_schema(engine)  # the next start
    assert statements == []
    engine.dispose()


def test_a_working_state_after_the_release_is_upgraded_too(own_database_url: str) -> None:
    """A developer's database started by a later working state, before migrations existed: create_all
    had made some of the new tables and the start-up code of that time some of the new columns."""
    engine = release_427aa63_database(own_database_url, at=THEN)
    ChatSwitchRow.__table__.create(engine)
    timestamp = DateTime(timezone=True).compile(dialect=engine.dialect)  # as that code added a column
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE api_tokens ADD COLUMN expires_at {timestamp}"))
        connection.execute(text("CREATE INDEX messages_in_order ON messages (conversation_id, id)"))
        connection.execute(insert(ChatSwitchRow.__table__), [{"name": "chat", "enabled": False, "reason": "test",
                                                              "changed_by": "admin", "changed_at": NOW}])  # fmt: skip

    create_schema(engine)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert [row.name for row in connection.execute(text("SELECT name FROM chat_switches"))] == ["chat"]
        assert schema_differences(connection) == []
    engine.dispose()


def test_its_downgrade_returns_to_the_release_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    with engine.connect() as connection, connection.begin():
        command.downgrade(alembic_config(connection), "0001")
    with engine.connect() as connection:
        assert current_revision(connection) == "0001"
        assert schema_differences(connection, RELEASE_427AA63) == []
    create_schema(engine)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert schema_differences(connection) == []
    engine.dispose()
