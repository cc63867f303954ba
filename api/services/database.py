"""SQLAlchemy engine and schema of the api's own tables (SQLite or PostgreSQL).

Rasa keeps its tracker events in its own `events` table (SQL tracker store);
these tables hold what the api needs: conversations as the citizen saw them,
and escalations to a person.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

log = logging.getLogger("loket.api")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    # "bot" while Rasa answers; "human" while a moderator has the conversation.
    handled_by: Mapped[str] = mapped_column(String(16), default="bot")


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A client's retry of the same message (Idempotency-Key) is stored once (api/services/chat.py).
        Index("one_message_per_client_key", "conversation_id", "client_message_id", unique=True),
        # A page of a transcript (polls, the console) is a range scan, not a sort of the conversation.
        Index("messages_in_order", "conversation_id", "id"),
        # A turn's own reads stay cheap in a long conversation: the citizen's message count (the
        # length cap) and the bot's last message (api/services/chat.py).
        Index("messages_by_author", "conversation_id", "author", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # citizen | bot | moderator | system
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A citizen message: the client's key for it, and when its turn was done (the bot's
    # replies stored, or a person has the conversation). Unset: stored, not yet answered.
    client_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A bot reply: the citizen message it answers.
    reply_to: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class EscalationRow(Base):
    __tablename__ = "escalations"
    __table_args__ = (
        # At most one active escalation per conversation (api/services/escalations.py).
        Index(
            "one_active_escalation_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed')"),
            postgresql_where=text("status IN ('open', 'claimed')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # requested_human | repeated_fallback | crisis | threat | a form's
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    team: Mapped[str | None] = mapped_column(String(32), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="nl")
    # The routing decision (team, confidence, explanation, runners-up) when there was one.
    routing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What a form collected (e.g. a public-space report), for the team that handles the case.
    form_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set by an atomic UPDATE ... WHERE status = 'open': two moderators can never both win.
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ContactDetailRow(Base):
    """A contact detail a form asked for, encrypted (api/services/contact_details.py): pending on the
    conversation until the form becomes a case, then on that case only."""

    __tablename__ = "contact_details"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # email | phone
    ciphertext: Mapped[str] = mapped_column(Text)  # a Fernet token
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EscalationNoteRow(Base):
    """Internal notes of moderators: never shown to the citizen."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # moderator | staff | admin
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionRow(Base):
    """Login sessions. Only a hash of the cookie's token is stored."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A staff user's token for integrations (Authorization: Bearer ...); only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)
    # Both NULL for tokens made before they existed: those expire api_token_ttl_days after
    # created_at and have the scope ["search"] (api/services/users.py).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    scopes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # search | route


class AuditRow(Base):
    """Append-only audit log: the services insert; only the retention run (api/services/retention.py)
    deletes entries past their period and removes staff search queries from older ones."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChatSwitchRow(Base):
    """The citizen chat's kill switches (api/services/chat_switches.py): one row per switch that was
    ever set, with its last change; a switch without a row is on. The history is in the audit log."""

    __tablename__ = "chat_switches"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # chat | answers | forms
    enabled: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def make_engine(url: str) -> Engine:
    """Engine for `url`; SQLite gets its directory created and foreign keys on.

    `hide_parameters`: a database error's message (and so a logged traceback) names the statement
    but not the values, which may be what a citizen typed.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
            # What erasure and retention delete is overwritten with zeros, not left in free space.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def write_deletions_through(engine: Engine) -> None:
    """After erasure or retention on SQLite: the deleted rows were zeroed in their pages
    (secure_delete), and a TRUNCATE checkpoint writes those pages into the database file and empties
    the write-ahead log, whose older frames still held the rows as they were written. Best effort: a
    reader that is still open (Rasa's) can keep part of the log until a later checkpoint.
    PostgreSQL keeps deleted rows until (auto)vacuum reuses their space (docs/privacy.md)."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except DBAPIError as error:  # busy: SQLite's own checkpoints follow; the deletion itself is done
        log.warning("Write-ahead log not truncated after a deletion: %s", error.orig)


# PostgreSQL advisory lock taken while the schema is created or migrated: api replicas that
# start at the same moment would otherwise race on CREATE TABLE. Any fixed 64-bit number.
SCHEMA_LOCK_KEY = 7_302_211_907


def _sqlite_schema_lock(engine: Engine) -> AbstractContextManager[object]:
    """For a SQLite file, a lock file beside it: processes starting on a new database at the same
    moment (the api and a `loket` command) raced on CREATE TABLE, and all but one failed with
    "table conversations already exists". SQLite has no advisory lock of its own; an in-memory
    database belongs to one process and needs none."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return nullcontext()
    from filelock import FileLock

    return FileLock(f"{Path(database).resolve()}.schema.lock")


def create_schema(engine: Engine) -> None:
    """Brings the database to the newest Alembic revision (api/migrations/): a new one from nothing,
    one made by create_all before migrations existed from its baseline (schema_migrations.py)."""
    from api.services.schema_migrations import upgrade_to_head  # it imports this module's models

    with _sqlite_schema_lock(engine), engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            connection.commit()
        try:
            upgrade_to_head(connection)
        finally:
            if postgres:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                connection.commit()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
