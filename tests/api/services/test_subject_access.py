"""A citizen's request for access: one conversation from every store as JSON (messages, cases with form
data and notes, Rasa's events), the export audited by id and counts; nothing of other conversations."""

from __future__ import annotations

import json
import uuid

import pytest

from api.services.audit import AuditLog
from api.services.conversations import UnknownConversation
from api.services.subject_access import EXPORTED, ConversationExport
from tests.api.services.conftest import Stores, seed_conversation


def test_the_export_holds_everything_of_the_conversation(stores: Stores) -> None:
    text = f"m{uuid.uuid4().hex[:12]}"
    seeded = seed_conversation(stores, text, case="closed")
    seed_conversation(stores, "someone-else", case="open")

    exported = ConversationExport(sessions=stores.sessions, tracker=stores.tracker).export(
        seeded.conversation_id, actor="anna", actor_id=None
    )

    assert exported["conversation_id"] == seeded.conversation_id
    assert exported["conversation"]["language"] == "nl"
    assert [(m["author"], m["text"]) for m in exported["messages"]][:2] == [
        ("citizen", f"Vraag {text}"), ("bot", f"Antwoord {text}"),
    ]  # fmt: skip
    [case] = exported["escalations"]
    assert case["case_number"] == seeded.case and case["status"] == "resolved"
    assert case["summary"] == f"Melding {text}" and case["form_data"]["contact"] == f"{text}@example.nl"
    assert [(n["author"], n["text"]) for n in case["notes"]] == [("Sanne", f"Notitie {text}")]
    assert [e["event"] for e in exported["tracker_events"]] == ["user", "slot", "bot"]
    assert exported["tracker_events"][0]["parse_data"]["text"] == f"Vraag {text}"
    assert "someone-else" not in json.dumps(exported)  # JSON-ready, and only this conversation


def test_the_export_is_audited_with_counts_only(stores: Stores) -> None:
    text = f"m{uuid.uuid4().hex[:12]}"
    seeded = seed_conversation(stores, text, case="open")
    ConversationExport(sessions=stores.sessions, tracker=stores.tracker).export(seeded.conversation_id, actor="anna")
    [entry] = AuditLog(sessions=stores.sessions).entries(action=EXPORTED)
    assert (entry.actor, entry.target_id) == ("anna", seeded.conversation_id)
    assert entry.details == {"messages": 3, "escalations": 1, "notes": 1, "tracker_events": 3}


def test_what_only_rasa_still_holds_is_exported_too(stores: Stores) -> None:
    stores.rasa_says("only-in-rasa", ["hallo"])
    exported = ConversationExport(sessions=stores.sessions, tracker=stores.tracker).export("only-in-rasa", actor="a")
    assert exported["conversation"] is None and exported["messages"] == [] and len(exported["tracker_events"]) == 3


def test_an_unknown_conversation_is_reported_and_not_audited(stores: Stores) -> None:
    with pytest.raises(UnknownConversation):
        ConversationExport(sessions=stores.sessions, tracker=stores.tracker).export("f" * 32, actor="anna")
    assert AuditLog(sessions=stores.sessions).entries(action=EXPORTED) == []


def test_the_export_holds_the_contact_details_decrypted_and_counts_them(stores: Stores) -> None:
    """They are the citizen's own: the export (admin-only, audited) shows them in clear, the case's too."""
    from cryptography.fernet import Fernet, MultiFernet

    from api.services.contact_details import Contact, ContactVault
    from api.services.escalations import EscalationWorkflow

    seeded = seed_conversation(stores, "contact")
    other = seed_conversation(stores, "someone-else")
    vault = ContactVault(sessions=stores.sessions, cipher=MultiFernet([Fernet(Fernet.generate_key())]))
    case = EscalationWorkflow(sessions=stores.sessions).escalate(
        conversation_id=seeded.conversation_id,
        reason="complaint",
        summary="complaint: [e-mail]",
        team="klachten_bezwaar",
    )
    vault.keep_pending(seeded.conversation_id, Contact(email="jan@example.nl"))
    vault.attach(seeded.conversation_id, case.id)
    vault.keep_pending(other.conversation_id, Contact(email="someone@example.nl"))

    exported = ConversationExport(sessions=stores.sessions, tracker=stores.tracker, contacts=vault).export(
        seeded.conversation_id, actor="anna"
    )

    assert [(c["kind"], c["value"], c["case_number"]) for c in exported["contact_details"]] == [
        ("email", "jan@example.nl", case.id)
    ]
    assert "someone@example.nl" not in json.dumps(exported)
    [entry] = [
        e for e in AuditLog(sessions=stores.sessions).entries(action=EXPORTED) if e.target_id == seeded.conversation_id
    ]
    assert entry.details["contact_details"] == 1 and "jan@example.nl" not in json.dumps(entry.details)
