"""The audit log: recorded in the caller's transaction, read newest first, filtered by action."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog


@pytest.fixture
def audit(sessions: sessionmaker[Session]) -> AuditLog:
    return AuditLog(sessions=sessions)


def action_name() -> str:
    """The PostgreSQL database is shared by the session's tests: each test reads its own actions, and
    writes them on a target type ("test_target") that no real record has, so that a test reading a real
    escalation's entries never sees these."""
    return f"test.{uuid.uuid4().hex[:8]}"


def test_entries_are_recorded_with_the_callers_commit(audit: AuditLog, sessions: sessionmaker[Session]) -> None:
    action = action_name()
    with sessions.begin() as session:
        AuditLog.add(session, actor_id=None, actor="system", action=action, target_type="test_target", target_id=42,
                     details={"conversation_id": "abc"})  # fmt: skip
    [entry] = audit.entries(action=action)
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == ("system", action, "test_target", "42")
    assert entry.details == {"conversation_id": "abc"}
    assert entry.at is not None


def test_a_rolled_back_action_leaves_no_record(audit: AuditLog, sessions: sessionmaker[Session]) -> None:
    action = action_name()
    with pytest.raises(RuntimeError), sessions.begin() as session:
        AuditLog.add(session, actor_id=None, actor="system", action=action, target_type="document", target_id="d")
        raise RuntimeError("the action itself failed")
    assert audit.entries(action=action) == []


def test_entries_are_newest_first_filtered_and_limited(audit: AuditLog, sessions: sessionmaker[Session]) -> None:
    mine, other = action_name(), action_name()
    with sessions.begin() as session:
        for number in range(3):
            AuditLog.add(session, actor_id=None, actor="a", action=mine, target_type="t", target_id=number)
        AuditLog.add(session, actor_id=None, actor="a", action=other, target_type="t", target_id="x")
    assert [e.target_id for e in audit.entries(action=mine)] == ["2", "1", "0"]
    assert [e.target_id for e in audit.entries(action=mine, limit=2)] == ["2", "1"]
    assert [e.target_id for e in audit.entries(action=other)] == ["x"]
    newest = audit.entries(limit=1)
    assert [(e.action, e.target_id) for e in newest] == [(other, "x")]
    assert newest[0].details == {}  # no details: an empty dict, never None


def test_recorded_since_finds_the_same_actors_action_on_the_target(sessions: sessionmaker[Session]) -> None:
    action = action_name()
    with sessions.begin() as session:
        AuditLog.add(session, actor_id=None, actor="a", action=action, target_type="test_target", target_id=7)
    with sessions() as session:
        [entry] = AuditLog(sessions=sessions).entries(action=action)

        def recorded(**changes: object) -> bool:
            query: dict[str, object] = {"actor_id": None, "action": action, "target_id": 7, "since": entry.at}
            return AuditLog.recorded_since(session, **(query | changes))  # type: ignore[arg-type]

        assert recorded() and recorded(target_id="7")
        assert not recorded(target_id=8)
        assert not recorded(action=action_name())
        assert not recorded(since=entry.at + timedelta(seconds=1))
