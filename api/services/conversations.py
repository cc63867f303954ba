"""Conversation store: what citizens wrote and what they were shown, and escalations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import ConversationRow, EscalationRow, MessageRow, utcnow


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: str
    author: str
    text: str
    language: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(frozen=True)
class Escalation:
    id: int
    conversation_id: str
    reason: str
    status: str
    priority: str
    team: str | None
    summary: str
    created_at: datetime
    language: str = "nl"
    routing: dict[str, Any] = field(default_factory=dict)
    form_data: dict[str, Any] = field(default_factory=dict)


class UnknownConversation(LookupError):
    pass


def _message(row: MessageRow) -> Message:
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        author=row.author,
        text=row.text,
        language=row.language,
        sources=list(row.sources or []),
        created_at=row.created_at,
    )


def _escalation(row: EscalationRow) -> Escalation:
    return Escalation(
        id=row.id,
        conversation_id=row.conversation_id,
        reason=row.reason,
        status=row.status,
        priority=row.priority,
        team=row.team,
        summary=row.summary,
        created_at=row.created_at,
        language=row.language,
        routing=dict(row.routing or {}),
        form_data=dict(row.form_data or {}),
    )


class ConversationStore:
    """SQL-backed store; one instance per process, thread-safe via short sessions."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def start(self, *, language: str) -> str:
        conversation_id = uuid.uuid4().hex
        with self._sessions.begin() as session:
            session.add(ConversationRow(id=conversation_id, language=language))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return session.get(ConversationRow, conversation_id) is not None

    def ensure(self, conversation_id: str, *, language: str) -> None:
        """Create the conversation if Rasa knows a sender the api has not seen yet."""
        with self._sessions.begin() as session:
            if session.get(ConversationRow, conversation_id) is None:
                session.add(ConversationRow(id=conversation_id, language=language))

    def handled_by(self, conversation_id: str) -> str:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise UnknownConversation(conversation_id)
            return row.handled_by

    def add_message(
        self,
        *,
        conversation_id: str,
        author: str,
        text: str,
        language: str | None,
        sources: list[dict[str, Any]] | None = None,
    ) -> Message:
        with self._sessions.begin() as session:
            conversation = session.get(ConversationRow, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            row = MessageRow(
                conversation_id=conversation_id,
                author=author,
                text=text,
                language=language,
                sources=sources or [],
            )
            session.add(row)
            conversation.updated_at = utcnow()
            if language and author == "citizen":
                conversation.language = language
            session.flush()
            return _message(row)

    def messages(self, conversation_id: str, *, after_id: int = 0) -> list[Message]:
        with self._sessions() as session:
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id, MessageRow.id > after_id)
                .order_by(MessageRow.id)
            )
            return [_message(row) for row in rows]

    def escalate(
        self,
        *,
        conversation_id: str,
        reason: str,
        summary: str,
        priority: str = "normal",
        team: str | None = None,
        language: str = "nl",
        routing: dict[str, Any] | None = None,
        form_data: dict[str, Any] | None = None,
    ) -> Escalation:
        """Open an escalation, or return the one already open for this conversation.

        A form's case always gets its own escalation (it goes to a team's queue);
        a second request for a person while one is open returns the open one.
        """
        with self._sessions.begin() as session:
            if session.get(ConversationRow, conversation_id) is None:
                raise UnknownConversation(conversation_id)
            existing = session.scalars(
                select(EscalationRow).where(
                    EscalationRow.conversation_id == conversation_id,
                    EscalationRow.status != "resolved",
                    EscalationRow.reason == reason,
                )
            ).first()
            if existing is not None and not form_data:
                if priority == "high" and existing.priority != "high":
                    existing.priority = "high"
                return _escalation(existing)
            row = EscalationRow(
                conversation_id=conversation_id,
                reason=reason,
                summary=summary,
                priority=priority,
                team=team,
                language=language,
                routing=routing or {},
                form_data=form_data or {},
            )
            session.add(row)
            session.flush()
            return _escalation(row)

    def escalations(self, *, status: str | None = None) -> list[Escalation]:
        with self._sessions() as session:
            query = select(EscalationRow).order_by(EscalationRow.id)
            if status is not None:
                query = query.where(EscalationRow.status == status)
            return [_escalation(row) for row in session.scalars(query)]
