"""Erasing conversations from every store (AVG art. 17), for a citizen, an admin or the retention run.

A conversation's data lives in the api's tables (the conversation, its messages, its escalations
with their form data, the moderators' notes on them, the encrypted contact details a form asked
for) and in Rasa's tracker store (every event,
slots included). Erasure removes all of it and records one audit entry that holds ids and counts
only. The audit entries of what moderators did on the conversation stay: they hold ids, not
what anyone wrote, and the trail of who did what must outlive the conversation
(docs/privacy.md, "What each store holds").

Whoever erases holds the conversation's turn lock (ChatGateway.exclusive), so no turn is halfway
(Rasa saving events, an action opening a case) when the rows go; afterwards the gateway answers
404 for the conversation, so Rasa never sees it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.conversations import UnknownConversation
from api.services.database import (
    ContactDetailRow,
    ConversationRow,
    EscalationNoteRow,
    EscalationRow,
    MessageRow,
    write_deletions_through,
)
from api.services.rasa_tracker_store import RasaTrackerStore, batches

ERASED = "conversation.erased"


@dataclass(frozen=True)
class Removed:
    """What was (or, in a dry run, would be) removed, per store: counts, never content."""

    conversations: int = 0
    messages: int = 0
    escalations: int = 0
    notes: int = 0
    forms: int = 0  # escalations that held form data
    tracker_events: int = 0
    contacts: int = 0  # encrypted contact details (pending, or on a case)

    def __add__(self, other: Removed) -> Removed:
        return Removed(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def anything(self) -> bool:
        return any(self.as_dict().values())


def delete_rows(session: Session, model: Any, condition: Any, *, dry_run: bool = False) -> int:
    """Delete the rows of `model` that meet `condition`; in a dry run only count them."""
    if dry_run:
        return int(session.execute(select(func.count()).select_from(model).where(condition)).scalar_one())
    return int(session.execute(delete(model).where(condition)).rowcount)  # type: ignore[attr-defined]


def remove_conversation_rows(session: Session, conversation_ids: Sequence[str], *, dry_run: bool = False) -> Removed:
    """Delete the conversations and everything of theirs in the api's tables, inside the caller's
    transaction, children first (SQLite enforces the foreign keys only when asked to)."""
    total = Removed()
    for batch in batches(list(conversation_ids)):
        cases = session.execute(
            select(EscalationRow.id, EscalationRow.form_data).where(EscalationRow.conversation_id.in_(batch))
        ).all()
        case_ids = [case.id for case in cases]
        notes = delete_rows(session, EscalationNoteRow, EscalationNoteRow.escalation_id.in_(case_ids), dry_run=dry_run)
        contacts = delete_rows(session, ContactDetailRow, ContactDetailRow.conversation_id.in_(batch), dry_run=dry_run)
        total += Removed(
            notes=notes,
            contacts=contacts,
            forms=sum(1 for case in cases if case.form_data),
            escalations=delete_rows(session, EscalationRow, EscalationRow.id.in_(case_ids), dry_run=dry_run),
            messages=delete_rows(session, MessageRow, MessageRow.conversation_id.in_(batch), dry_run=dry_run),
            conversations=delete_rows(session, ConversationRow, ConversationRow.id.in_(batch), dry_run=dry_run),
        )
    return total


def write_through(sessions: sessionmaker[Session], tracker: RasaTrackerStore) -> None:
    """After deleting: nothing deleted stays readable in a SQLite file (database.write_deletions_through)."""
    with sessions() as session:
        bind = session.get_bind()
    if isinstance(bind, Engine):
        write_deletions_through(bind)
    tracker.write_deletions_through()


class ConversationErasure:
    """Erases one conversation everywhere, with an audit entry of ids and counts."""

    def __init__(self, *, sessions: sessionmaker[Session], tracker: RasaTrackerStore) -> None:
        self._sessions = sessions
        self._tracker = tracker

    def erase(self, conversation_id: str, *, by: str, actor: str, actor_id: int | None = None) -> Removed:
        """Remove the conversation from Rasa's tracker store, then from the api's tables with the audit
        entry in the same transaction. In that order, a failure halfway leaves the conversation
        itself in place, so erasing it again finishes the job.

        `by`: "citizen" (from the chat page) or "admin". Raises UnknownConversation when no store
        holds anything of it.
        """
        events = self._tracker.remove([conversation_id])
        with self._sessions.begin() as session:
            removed = remove_conversation_rows(session, [conversation_id]) + Removed(tracker_events=events)
            if not removed.anything:
                raise UnknownConversation(conversation_id)
            AuditLog.add(
                session, actor_id=actor_id, actor=actor, action=ERASED, target_type="conversation",
                target_id=conversation_id, details={"by": by, **removed.as_dict()},
            )  # fmt: skip
        write_through(self._sessions, self._tracker)
        return removed
