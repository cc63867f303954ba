"""The moderators' side of an escalation: queue, handoff packet, claim, live replies, close.

Every action is written to the audit log in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.conversations import Escalation, Message, _escalation, _message
from api.services.database import (
    ConversationRow,
    EscalationNoteRow,
    EscalationRow,
    MessageRow,
    UserRow,
    as_utc,
    utcnow,
)
from api.services.teams import DEFAULT_RESPONSE_MINUTES, Team
from api.services.users import User

OPEN, CLAIMED, RESOLVED, RETURNED = "open", "claimed", "resolved", "returned"
STATUSES = (OPEN, CLAIMED, RESOLVED, RETURNED)
PRIORITIES = ("high", "normal")


class EscalationNotFound(LookupError):
    pass


class ConflictError(RuntimeError):
    """The escalation is not in a state that allows this (e.g. claimed by someone else)."""


@dataclass(frozen=True)
class QueueItem:
    escalation: Escalation
    waiting_minutes: int
    expected_minutes: int
    overdue: bool
    claimed_by_name: str | None


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Packet:
    escalation: Escalation
    transcript: list[Message]
    sources_shown: list[dict[str, Any]]
    notes: list[Note] = field(default_factory=list)
    claimed_by_name: str | None = None


class ModerationService:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        teams: dict[str, Team],
        messages_path: Path,
    ) -> None:
        self._sessions = sessions
        self._teams = teams
        self._texts: dict[str, dict[str, str]] = yaml.safe_load(messages_path.read_text(encoding="utf-8"))

    # --- reading -------------------------------------------------------------------------

    def queue(
        self,
        *,
        team: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        min_waiting_minutes: int | None = None,
        now: datetime | None = None,
    ) -> list[QueueItem]:
        """High priority first, then the longest waiting."""
        now = now or utcnow()
        with self._sessions() as session:
            query = select(EscalationRow, UserRow.display_name).outerjoin(
                UserRow, UserRow.id == EscalationRow.claimed_by
            )
            if team:
                query = query.where(EscalationRow.team == team)
            if status:
                query = query.where(EscalationRow.status == status)
            else:
                query = query.where(EscalationRow.status.in_((OPEN, CLAIMED)))
            if priority:
                query = query.where(EscalationRow.priority == priority)
            items = []
            for row, claimer in session.execute(query):
                waiting = int((now - as_utc(row.created_at)).total_seconds() // 60)
                if min_waiting_minutes is not None and waiting < min_waiting_minutes:
                    continue
                expected = (
                    self._teams[row.team].response_minutes if row.team in self._teams else DEFAULT_RESPONSE_MINUTES
                )
                items.append(QueueItem(_escalation(row), waiting, expected, waiting > expected, claimer))
        items.sort(key=lambda item: (item.escalation.priority != "high", -item.waiting_minutes))
        return items

    def packet(self, escalation_id: int) -> Packet:
        with self._sessions() as session:
            row = self._get(session, escalation_id)
            messages = [
                _message(m)
                for m in session.scalars(
                    select(MessageRow).where(MessageRow.conversation_id == row.conversation_id).order_by(MessageRow.id)
                )
            ]
            notes = [
                Note(n.id, author, n.text, n.created_at)
                for n, author in session.execute(
                    select(EscalationNoteRow, UserRow.display_name)
                    .join(UserRow, UserRow.id == EscalationNoteRow.author_id)
                    .where(EscalationNoteRow.escalation_id == escalation_id)
                    .order_by(EscalationNoteRow.id)
                )
            ]
            claimer = session.get(UserRow, row.claimed_by) if row.claimed_by else None
            seen: set[str] = set()
            sources = []
            for message in messages:
                for source in message.sources:
                    key = str(source.get("url"))
                    if key not in seen:
                        seen.add(key)
                        sources.append(source)
            return Packet(_escalation(row), messages, sources, notes, claimer.display_name if claimer else None)

    def team_choices(self) -> list[dict[str, str]]:
        return [{"id": t.id, "name": t.name("nl"), "kind": t.kind} for t in self._teams.values()]

    # --- acting --------------------------------------------------------------------------

    def claim(self, escalation_id: int, *, moderator: User) -> Escalation:
        """Atomic: of any number of simultaneous claims exactly one succeeds."""
        with self._sessions.begin() as session:
            now = utcnow()
            result = session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == escalation_id, EscalationRow.status == OPEN)
                .values(status=CLAIMED, claimed_by=moderator.id, claimed_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                row = session.get(EscalationRow, escalation_id)
                if row is None:
                    raise EscalationNotFound(escalation_id)
                raise ConflictError(f"Escalation {escalation_id} is {row.status}, not open.")
            row = self._get(session, escalation_id)
            conversation = session.get(ConversationRow, row.conversation_id)
            assert conversation is not None
            conversation.handled_by = "human"  # the bot stays silent from now on
            self._tell_citizen(session, row, "joined", name=moderator.display_name)
            self._audit(session, moderator, "claim", row)
            return _escalation(row)

    def reply(self, escalation_id: int, *, moderator: User, text: str) -> Message:
        with self._sessions.begin() as session:
            row = self._owned(session, escalation_id, moderator)
            message = MessageRow(
                conversation_id=row.conversation_id, author="moderator", text=text, language=row.language
            )
            session.add(message)
            session.flush()
            self._audit(session, moderator, "reply", row, {"message_id": message.id})
            return _message(message)

    def add_note(self, escalation_id: int, *, moderator: User, text: str) -> Note:
        with self._sessions.begin() as session:
            row = self._get(session, escalation_id)
            note = EscalationNoteRow(escalation_id=row.id, author_id=moderator.id, text=text)
            session.add(note)
            session.flush()
            self._audit(session, moderator, "note", row, {"note_id": note.id})
            return Note(note.id, moderator.display_name, note.text, note.created_at)

    def reassign(self, escalation_id: int, *, moderator: User, team: str) -> Escalation:
        if team not in self._teams:
            raise ValueError(f"Unknown team {team!r}.")
        with self._sessions.begin() as session:
            row = self._get(session, escalation_id)
            if row.status in (RESOLVED, RETURNED):
                raise ConflictError(f"Escalation {escalation_id} is closed.")
            if row.status == CLAIMED and row.claimed_by != moderator.id and not moderator.has_role("admin"):
                raise ConflictError("Another moderator has this escalation.")
            previous = row.team
            row.team, row.status, row.claimed_by, row.claimed_at = team, OPEN, None, None
            self._release_conversation(session, row)
            self._tell_citizen(session, row, "reassigned", team=self._teams[team].name(row.language))
            self._audit(session, moderator, "reassign", row, {"from": previous, "to": team})
            return _escalation(row)

    def resolve(self, escalation_id: int, *, moderator: User) -> Escalation:
        return self._close(escalation_id, moderator, RESOLVED, "resolved")

    def hand_back(self, escalation_id: int, *, moderator: User) -> Escalation:
        return self._close(escalation_id, moderator, RETURNED, "handed_back")

    # --- internals -----------------------------------------------------------------------

    def _close(self, escalation_id: int, moderator: User, status: str, text_key: str) -> Escalation:
        with self._sessions.begin() as session:
            row = self._owned(session, escalation_id, moderator)
            row.status, row.closed_at = status, utcnow()
            self._release_conversation(session, row)
            self._tell_citizen(session, row, text_key)
            self._audit(session, moderator, "resolve" if status == RESOLVED else "hand_back", row)
            return _escalation(row)

    @staticmethod
    def _get(session: Session, escalation_id: int) -> EscalationRow:
        row = session.get(EscalationRow, escalation_id)
        if row is None:
            raise EscalationNotFound(escalation_id)
        return row

    def _owned(self, session: Session, escalation_id: int, moderator: User) -> EscalationRow:
        row = self._get(session, escalation_id)
        if row.status != CLAIMED:
            raise ConflictError(f"Escalation {escalation_id} is {row.status}: claim it first.")
        if row.claimed_by != moderator.id and not moderator.has_role("admin"):
            raise ConflictError("Another moderator has this escalation.")
        return row

    @staticmethod
    def _release_conversation(session: Session, row: EscalationRow) -> None:
        conversation = session.get(ConversationRow, row.conversation_id)
        if conversation is not None:
            conversation.handled_by = "bot"

    def _tell_citizen(self, session: Session, row: EscalationRow, key: str, **values: str) -> None:
        texts = self._texts[key]
        text = (texts.get(row.language) or texts["nl"]).format(**values)
        session.add(MessageRow(conversation_id=row.conversation_id, author="system", text=text, language=row.language))

    @staticmethod
    def _audit(
        session: Session, moderator: User, action: str, row: EscalationRow, details: dict[str, Any] | None = None
    ) -> None:
        AuditLog.add(
            session,
            actor_id=moderator.id,
            actor=moderator.username,
            action=f"escalation.{action}",
            target_type="escalation",
            target_id=row.id,
            details={"conversation_id": row.conversation_id, **(details or {})},
        )
