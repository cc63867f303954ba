"""Fixtures for the SQL services, on SQLite and PostgreSQL: sessions, the escalation workflow,
the moderation service and users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import EscalationWorkflow
from api.services.moderation import ModerationService
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


def make_user(sessions: sessionmaker[Session], name: str, *roles: str) -> User:
    """A user with a unique username: the PostgreSQL database is shared by the session's tests."""
    users = UserStore(sessions=sessions, session_ttl=timedelta(hours=1))
    return users.create(
        username=f"{name}-{uuid.uuid4().hex[:8]}", password=PASSWORD, roles=list(roles), display_name=name
    )
