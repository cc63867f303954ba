"""A citizen's request for access (AVG art. 15): everything Loket holds of one conversation, as JSON.

The messages as the citizen saw them, the escalations (cases) with their summary, routing and form
data, the moderators' internal notes, the contact details a form asked for (decrypted: they are the
citizen's own), and every event of Rasa's tracker store (all sessions, slots included). An admin
makes the export and reviews it before it goes to the citizen (internal notes and other people's
names may be withheld under UAVG art. 41; docs/privacy.md). The export itself is recorded in the
audit log, by id and counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.contact_details import ContactDetail, ContactVault
from api.services.conversations import UnknownConversation
from api.services.database import (
    ConversationRow,
    EscalationNoteRow,
    EscalationRow,
    MessageRow,
    UserRow,
    as_utc,
    utcnow,
)
from api.services.rasa_tracker_store import RasaTrackerStore

EXPORTED = "conversation.exported"


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _message(row: MessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "author": row.author,
        "text": row.text,
        "language": row.language,
        "sources": list(row.sources or []),
        "created_at": _when(row.created_at),
    }


def _escalation(row: EscalationRow, notes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "case_number": row.id,
        "reason": row.reason,
        "status": row.status,
        "priority": row.priority,
        "team": row.team,
        "summary": row.summary,
        "language": row.language,
        "routing": dict(row.routing or {}),
        "form_data": dict(row.form_data or {}),
        "created_at": _when(row.created_at),
        "claimed_at": _when(row.claimed_at),
        "closed_at": _when(row.closed_at),
        "notes": notes,
    }


def _contact(detail: ContactDetail) -> dict[str, Any]:
    return {
        "kind": detail.kind,
        "value": detail.value,
        "case_number": detail.case_number,
        "given_at": _when(detail.given_at),
    }


class ConversationExport:
    def __init__(
        self, *, sessions: sessionmaker[Session], tracker: RasaTrackerStore, contacts: ContactVault | None = None
    ) -> None:
        self._sessions = sessions
        self._tracker = tracker
        self._contacts = contacts  # None: without the contact details (no key at hand)

    def export(self, conversation_id: str, *, actor: str, actor_id: int | None = None) -> dict[str, Any]:
        """The conversation as a JSON-ready dict. Raises UnknownConversation when no store holds it."""
        events = self._tracker.events(conversation_id)
        contacts = self._contacts.of_conversation(conversation_id) if self._contacts is not None else []
        with self._sessions.begin() as session:
            conversation = session.get(ConversationRow, conversation_id)
            messages = session.scalars(
                select(MessageRow).where(MessageRow.conversation_id == conversation_id).order_by(MessageRow.id)
            ).all()
            escalations = []
            for row in session.scalars(
                select(EscalationRow).where(EscalationRow.conversation_id == conversation_id).order_by(EscalationRow.id)
            ):
                notes = [
                    {"id": note.id, "author": author, "text": note.text, "created_at": _when(note.created_at)}
                    for note, author in session.execute(
                        select(EscalationNoteRow, UserRow.display_name)
                        .join(UserRow, UserRow.id == EscalationNoteRow.author_id)
                        .where(EscalationNoteRow.escalation_id == row.id)
                        .order_by(EscalationNoteRow.id)
                    )
                ]
                escalations.append(_escalation(row, notes))
            if conversation is None and not messages and not escalations and not events:
                raise UnknownConversation(conversation_id)
            counts = {
                "messages": len(messages),
                "escalations": len(escalations),
                "notes": sum(len(e["notes"]) for e in escalations),
                "tracker_events": len(events),
            } | ({"contact_details": len(contacts)} if contacts else {})
            AuditLog.add(
                session, actor_id=actor_id, actor=actor, action=EXPORTED, target_type="conversation",
                target_id=conversation_id, details=counts,
            )  # fmt: skip
            return {
                "conversation_id": conversation_id,
                "exported_at": utcnow().isoformat(),
                "conversation": {
                    "created_at": _when(conversation.created_at),
                    "updated_at": _when(conversation.updated_at),
                    "language": conversation.language,
                    "handled_by": conversation.handled_by,
                }
                if conversation is not None
                else None,
                "messages": [_message(m) for m in messages],
                "escalations": escalations,
                "contact_details": [_contact(detail) for detail in contacts],
                "tracker_events": events,
            }
