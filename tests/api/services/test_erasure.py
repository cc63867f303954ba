"""Erasure of one conversation from every store, on SQLite and PostgreSQL: the api's tables (messages,
escalations, form data, notes) and Rasa's tracker store; an audit entry of ids and counts only; the
moderators' audit trail kept; other conversations untouched."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from api.services.audit import AuditLog
from api.services.conversations import UnknownConversation
from api.services.database import AuditRow
from api.services.erasure import ERASED, ConversationErasure, Removed, remove_conversation_rows
from api.services.rasa_tracker_store import RasaTrackerStore
from tests.api.services.conftest import Stores, seed_conversation


def marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


def everything_of(stores: Stores, conversation: str, case: int | None) -> dict[str, int]:
    counts = {
        "conversations": stores.count("conversations", "id", conversation),
        "messages": stores.count("messages", "conversation_id", conversation),
        "escalations": stores.count("escalations", "conversation_id", conversation),
        "events": stores.count("events", "sender_id", conversation),
    }
    if case is not None:
        counts["notes"] = stores.count("escalation_notes", "escalation_id", case)
    return counts


def test_a_conversation_with_a_case_is_erased_from_every_store(stores: Stores) -> None:
    text = marker()
    seeded = seed_conversation(stores, text, case="open")
    other = seed_conversation(stores, marker(), case="open")
    erasure = ConversationErasure(sessions=stores.sessions, tracker=stores.tracker)

    removed = erasure.erase(seeded.conversation_id, by="admin", actor="anna", actor_id=None)

    # Two of the citizen's messages plus the system's "Sanne has joined"; three events per turn.
    assert removed == Removed(conversations=1, messages=3, escalations=1, notes=1, forms=1, tracker_events=3)
    assert set(everything_of(stores, seeded.conversation_id, seeded.case).values()) == {0}
    assert everything_of(stores, other.conversation_id, other.case) == {
        "conversations": 1, "messages": 3, "escalations": 1, "events": 3, "notes": 1,
    }  # fmt: skip


def test_the_audit_entry_holds_ids_and_counts_and_the_moderators_trail_stays(stores: Stores) -> None:
    text = marker()
    seeded = seed_conversation(stores, text, case="closed")
    ConversationErasure(sessions=stores.sessions, tracker=stores.tracker).erase(
        seeded.conversation_id, by="citizen", actor="citizen"
    )
    [entry] = AuditLog(sessions=stores.sessions).entries(action=ERASED)
    assert (entry.actor, entry.target_type, entry.target_id) == ("citizen", "conversation", seeded.conversation_id)
    assert entry.details == {
        "by": "citizen", "conversations": 1, "messages": 4, "escalations": 1, "notes": 1, "forms": 1,
        "tracker_events": 3, "contacts": 0,
    }  # fmt: skip
    with stores.sessions() as session:
        trail = session.scalars(select(AuditRow).where(AuditRow.target_id == str(seeded.case))).all()
        assert [row.action for row in trail] == ["escalation.claim", "escalation.note", "escalation.resolve"]
        everything = json.dumps([(row.actor, row.target_id, row.details) for row in session.scalars(select(AuditRow))])
    assert text not in everything  # ids, names of actions and counts: nothing anyone wrote


def test_an_unknown_conversation_is_reported_and_nothing_is_audited(stores: Stores) -> None:
    erasure = ConversationErasure(sessions=stores.sessions, tracker=stores.tracker)
    with pytest.raises(UnknownConversation):
        erasure.erase("0" * 32, by="admin", actor="anna")
    assert AuditLog(sessions=stores.sessions).entries(action=ERASED) == []


def test_what_rasa_kept_of_a_conversation_the_api_no_longer_has_is_erased_too(stores: Stores) -> None:
    """E.g. a first erasure stopped between the stores: erasing again finishes the job."""
    stores.rasa_says("sender-only-in-rasa", ["hallo", "nog iets"])
    removed = ConversationErasure(sessions=stores.sessions, tracker=stores.tracker).erase(
        "sender-only-in-rasa", by="admin", actor="anna"
    )
    assert removed == Removed(tracker_events=6)
    assert stores.count("events", "sender_id", "sender-only-in-rasa") == 0


def test_before_rasa_ever_ran_there_is_no_tracker_store_to_erase_from(stores: Stores, tmp_path) -> None:
    missing = RasaTrackerStore(url=f"sqlite:///{tmp_path / 'never-created.db'}")
    seeded = seed_conversation(stores, marker(), rasa=False)
    removed = ConversationErasure(sessions=stores.sessions, tracker=missing).erase(
        seeded.conversation_id, by="admin", actor="anna"
    )
    assert removed == Removed(conversations=1, messages=2)
    assert not (tmp_path / "never-created.db").exists()


def test_a_dry_run_counts_what_would_go_and_removes_nothing(stores: Stores) -> None:
    seeded = seed_conversation(stores, marker(), case="open")
    with stores.sessions.begin() as session:
        counted = remove_conversation_rows(session, [seeded.conversation_id], dry_run=True)
    assert counted == Removed(conversations=1, messages=3, escalations=1, notes=1, forms=1)
    assert stores.count("messages", "conversation_id", seeded.conversation_id) == 3


@pytest.mark.parametrize("own_database_url", ["sqlite"], indirect=True)  # PostgreSQL: until vacuum (docs)
def test_on_sqlite_nothing_erased_is_left_in_the_files(stores: Stores, tmp_path) -> None:
    """Deleted rows are zeroed (secure_delete) and the write-ahead log, which held them as written, is emptied."""
    text = marker()
    seeded = seed_conversation(stores, text, case="open")
    ConversationErasure(sessions=stores.sessions, tracker=stores.tracker).erase(
        seeded.conversation_id, by="admin", actor="anna"
    )
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("*.db*"))
    assert text.encode() not in raw
