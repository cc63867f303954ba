"""Fixtures for the SQL services, on SQLite and PostgreSQL: sessions, the escalation workflow,
the moderation service and users; every store of a conversation (the api's tables and Rasa's
tracker store) in a database of the test's own, and conversations seeded into all of them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.services.conversations import ConversationStore
from api.services.database import (
    ConversationRow,
    EscalationRow,
    MessageRow,
    create_schema,
    make_engine,
    make_sessionmaker,
)
from api.services.escalations import EscalationWorkflow
from api.services.moderation import ModerationService
from api.services.rasa_tracker_store import RasaTrackerStore
from api.services.users import User, UserStore
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory

PASSWORD = "correct horse battery"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def workflow(sessions: sessionmaker[Session]) -> EscalationWorkflow:
    return EscalationWorkflow(sessions=sessions)


@pytest.fixture
def moderation(sessions: sessionmaker[Session], workflow: EscalationWorkflow) -> ModerationService:
    return moderation_service(sessions, workflow)


def moderation_service(sessions: sessionmaker[Session], workflow: EscalationWorkflow) -> ModerationService:
    return ModerationService(
        sessions=sessions,
        workflow=workflow,
        teams=TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"),
        messages_path=PROJECT_ROOT / "data" / "handoff_messages.yml",
    )


def make_user(sessions: sessionmaker[Session], name: str, *roles: str, teams: tuple[str, ...] = ()) -> User:
    """A user with a unique username: the PostgreSQL database is shared by the session's tests."""
    users = UserStore(sessions=sessions, session_ttl=timedelta(hours=1))
    return users.create(
        username=f"{name}-{uuid.uuid4().hex[:8]}",
        password=PASSWORD,
        roles=list(roles),
        teams=list(teams),
        display_name=name,
    )


# --- every store of a conversation: the api's tables and Rasa's tracker store --------------------

# Rasa 3.6's SQLTrackerStore.SQLEvent, column for column (rasa/core/tracker_store.py): the table
# Rasa creates when it starts on a database. tests/integration/test_erasure.py uses Rasa's own.
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class Stores:
    url: str
    tracker_url: str
    engine: Engine
    sessions: sessionmaker[Session]
    tracker: RasaTrackerStore

    def rasa_says(self, sender: str, texts: list[str], *, at: datetime | None = None) -> None:
        """Events as Rasa writes them for a turn: the user's text (also in parse_data), a slot, the bot."""
        moment = (at or datetime.now(UTC)).timestamp()
        rows = []
        for offset, said in enumerate(texts):
            user = {"event": "user", "timestamp": moment + offset, "text": said, "parse_data": {"text": said}}
            slot = {"event": "slot", "timestamp": moment + offset + 0.1, "name": "last_topic", "value": said}
            bot = {"event": "bot", "timestamp": moment + offset + 0.2, "text": "Antwoord"}
            rows += [
                {"sender_id": sender, "type_name": event["event"], "timestamp": event["timestamp"],
                 "data": json.dumps(event)}
                for event in (user, slot, bot)
            ]  # fmt: skip
        engine = create_engine(self.tracker_url)
        with engine.begin() as connection:
            connection.execute(insert(RASA_EVENTS), rows)
        engine.dispose()

    def count(self, table: str, column: str, value: object) -> int:
        url = self.tracker_url if table == "events" else self.url
        engine = create_engine(url)
        with engine.connect() as connection:
            result = connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :value"), {"value": value})
            number = int(result.scalar_one())
        engine.dispose()
        return number


@pytest.fixture
def stores(own_database_url: str, tmp_path: Path) -> Iterator[Stores]:
    """A database of the test's own with the api's schema and Rasa's `events` table: in the same
    PostgreSQL database, or in a SQLite file of its own (the defaults, `Settings.tracker_store_url`)."""
    engine = make_engine(own_database_url)
    create_schema(engine)
    tracker_url = own_database_url if own_database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'rasa.db'}"
    tracker_engine = create_engine(tracker_url)
    RASA_EVENTS.metadata.create_all(tracker_engine)
    tracker_engine.dispose()
    tracker = RasaTrackerStore.open(url=tracker_url, api_url=own_database_url, api_engine=engine)
    yield Stores(own_database_url, tracker_url, engine, make_sessionmaker(engine), tracker)
    tracker.close()
    engine.dispose()


@dataclass(frozen=True)
class Seeded:
    conversation_id: str
    case: int | None = None


def seed_conversation(
    stores: Stores, marker: str, *, case: str | None = None, at: datetime | None = None, rasa: bool = True
) -> Seeded:
    """A conversation whose every stored text carries `marker`: messages, Rasa's events and, with a
    case ("open" or "closed"), an escalation with form data and a moderator's note. `at`: when all
    of it happened (the conversation's last message, the case's closing)."""
    store = ConversationStore(sessions=stores.sessions)
    conversation = store.start(language="nl")
    store.add_message(conversation_id=conversation, author="citizen", text=f"Vraag {marker}", language="nl")
    store.add_message(conversation_id=conversation, author="bot", text=f"Antwoord {marker}", language="nl")
    if rasa:
        stores.rasa_says(conversation, [f"Vraag {marker}"], at=at)
    case_number = None
    if case is not None:
        workflow = EscalationWorkflow(sessions=stores.sessions)
        form = {"form": "report", "what": f"Lamp {marker}", "contact": f"{marker}@example.nl"}
        escalation = workflow.escalate(
            conversation_id=conversation, reason="public_space_report", summary=f"Melding {marker}",
            team="openbare_ruimte", form_data=form,
        )  # fmt: skip
        moderation = moderation_service(stores.sessions, workflow)
        # A moderator of the case's team: others do not see it (need to know).
        moderator = make_user(stores.sessions, "Sanne", "moderator", teams=("openbare_ruimte",))
        moderation.claim(escalation.id, moderator=moderator)
        moderation.add_note(escalation.id, moderator=moderator, text=f"Notitie {marker}")
        if case == "closed":
            moderation.resolve(escalation.id, moderator=moderator)
        case_number = escalation.id
    if at is not None:
        with stores.sessions.begin() as session:
            session.execute(
                update(ConversationRow).where(ConversationRow.id == conversation).values(created_at=at, updated_at=at)
            )
            session.execute(update(MessageRow).where(MessageRow.conversation_id == conversation).values(created_at=at))
            session.execute(
                update(EscalationRow)
                .where(EscalationRow.conversation_id == conversation)
                .values(created_at=at, closed_at=at if case == "closed" else None)
            )
    return Seeded(conversation, case_number)
