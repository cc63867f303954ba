"""The api's tables as release 427aa63 made them with create_all (its api/services/database.py),
column for column, and a database of that release with a few days of use in it: what an upgrade
starts from. Python-side defaults are left out; the rows give every value."""

from __future__ import annotations

import hashlib
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    text,
)
from sqlalchemy.engine import Engine

from api.services.database import make_engine

METADATA = MetaData()
ACTIVE = text("status IN ('open', 'claimed')")

CONVERSATIONS = Table(
    "conversations",
    METADATA,
    Column("id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(8), nullable=False),
    Column("handled_by", String(16), nullable=False),
)
USERS = Table(
    "users",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("teams", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
MESSAGES = Table(
    "messages",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8)),
    Column("sources", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("client_message_id", String(64)),
    Column("answered_at", DateTime(timezone=True)),
    Column("reply_to", Integer, index=True),
    Index("one_message_per_client_key", "conversation_id", "client_message_id", unique=True),
)
ESCALATIONS = Table(
    "escalations",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reason", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("team", String(32)),
    Column("summary", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("routing", JSON, nullable=False),
    Column("form_data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", ForeignKey("users.id")),
    Column("claimed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Index(
        "one_active_escalation_per_conversation",
        "conversation_id",
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    ),
)
ESCALATION_NOTES = Table(
    "escalation_notes",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
SESSIONS = Table(
    "sessions",
    METADATA,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
API_TOKENS = Table(
    "api_tokens",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False),
)
AUDIT_LOG = Table(
    "audit_log",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_id", ForeignKey("users.id")),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("target_type", String(32), nullable=False),
    Column("target_id", String(128), nullable=False),
    Column("details", JSON, nullable=False),
)


# The release's moderator (also staff, with an API token for an integration).
USERNAME, PASSWORD = "moderator1", "correct horse battery"
TOKEN = "lkt_made-by-release-427aa63"
CONVERSATION = "c-427aa63"
FORM_DATA = {"complete": True, "address": "Dorpsstraat 1"}


def release_427aa63_database(url: str, *, at: datetime) -> Engine:
    """A database as that release left it (no `alembic_version`): a moderator with an API token, a
    conversation with messages, its case with form data, an audit entry; all written `at`."""
    engine = make_engine(url)
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(USERS),
            [{"id": 1, "username": USERNAME, "display_name": "Mo de Rator",
              "password_hash": PasswordHasher().hash(PASSWORD), "roles": ["moderator", "staff"],
              "teams": ["afval"], "active": True, "created_at": at}],
        )  # fmt: skip
        connection.execute(
            insert(API_TOKENS),
            [{"user_id": 1, "name": "intranet", "token_hash": hashlib.sha256(TOKEN.encode()).hexdigest(),
              "created_at": at, "revoked": False}],
        )  # fmt: skip
        connection.execute(
            insert(CONVERSATIONS),
            [{"id": CONVERSATION, "created_at": at, "updated_at": at, "language": "nl", "handled_by": "bot"}],
        )
        connection.execute(
            insert(MESSAGES),
            [{"conversation_id": CONVERSATION, "author": "citizen", "text": "Mijn container is niet geleegd",
              "language": "nl", "sources": [], "created_at": at, "client_message_id": "k-1", "answered_at": at,
              "reply_to": None},
             {"conversation_id": CONVERSATION, "author": "bot", "text": "Dat spijt me.", "language": "nl",
              "sources": [{"url": "https://example.org/afval"}], "created_at": at, "client_message_id": None,
              "answered_at": None, "reply_to": 1}],
        )  # fmt: skip
        connection.execute(
            insert(ESCALATIONS),
            [{"conversation_id": CONVERSATION, "reason": "form_completed", "status": "open", "priority": "normal",
              "team": "afval", "summary": "Container niet geleegd", "language": "nl", "routing": {"team": "afval"},
              "form_data": FORM_DATA, "created_at": at}],
        )  # fmt: skip
        connection.execute(
            insert(AUDIT_LOG),
            [{"at": at, "actor_id": 1, "actor": USERNAME, "action": "user.login", "target_type": "user",
              "target_id": USERNAME, "details": {}}],
        )  # fmt: skip
    return engine
