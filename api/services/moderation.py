"""The moderators' side of an escalation: queue, handoff packet, claim, live replies, close.

The state changes themselves are the escalation workflow's (api/services/escalations.py) and
the messages the conversation store's; this service composes them with the audit record, so
every action, what the citizen is told and its audit entry commit in one transaction.

What a moderator writes is redacted before it is stored (`StaffTextRedactor`), and the moderator
is told what was left out (`removal_notice`): a note is about the citizen, and a reply is written
into the citizen's transcript, so neither may hold the citizen's BSN, IBAN, phone number and the like
in clear. The case's contact, when a form asked for one, is in the encrypted contact vault already
(api/services/contact_details.py). The municipality's own published phone numbers and e-mail
addresses stay.

Need to know: a moderator sees and acts on the escalations of their own teams, those no municipal
team owns (triage, the crisis queue, external organisations) and every crisis; an admin on all
(`NeedToKnow`). Every reading and acting method checks it; any other escalation is as unknown to
them as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.conversations import ConversationStore, Message
from api.services.database import EscalationNoteRow, EscalationRow, UserRow, as_utc, utcnow
from api.services.escalations import (
    ACTIVE,
    RESOLVED,
    RETURNED,
    Escalation,
    EscalationNotFound,
    EscalationWorkflow,
)
from api.services.personal_data import Kind
from api.services.redaction import RemovalNotices, StaffTextRedactor
from api.services.users import User
from routing.teams import TeamDirectory

PACKET_READ = "escalation.packet_read"
# One audit entry per moderator and packet in this time: the console polls the open packet.
PACKET_READ_WINDOW = timedelta(minutes=15)
# A crisis is everyone's, whichever team has it: someone in danger never waits for one team.
CRISIS = "crisis"


class UnknownTeam(ValueError):
    """A reassignment to a team that teams.yml does not have."""


class NeedToKnow:
    """Which escalations a person may see and act on: those of their own teams, and those no
    municipal team owns (triage: no team yet; the crisis queue; an external organisation's, which
    a moderator refers), and every crisis; an admin all.

    The one statement of the rule: `may_see` for one escalation, `where` as a query filter."""

    def __init__(self, *, municipal_teams: Iterable[str]) -> None:
        self._owned = frozenset(municipal_teams)

    @classmethod
    def of(cls, teams: TeamDirectory) -> NeedToKnow:
        return cls(municipal_teams=[team_id for team_id in teams if teams[team_id].kind == "team"])

    def hidden_teams(self, user: User) -> frozenset[str]:
        """The municipal teams whose escalations `user` may not see (unless a crisis)."""
        return frozenset() if user.has_role("admin") else self._owned - user.teams

    def may_see(self, user: User, *, team: str | None, reason: str) -> bool:
        return reason == CRISIS or team not in self.hidden_teams(user)

    def where(self, user: User) -> ColumnElement[bool] | None:
        """`may_see` as a filter on escalation rows; None: no filter."""
        hidden = self.hidden_teams(user)
        if not hidden:
            return None
        return or_(
            EscalationRow.team.is_(None), EscalationRow.team.not_in(sorted(hidden)), EscalationRow.reason == CRISIS
        )


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
    removed: tuple[Kind, ...] = ()  # the personal data left out of what the moderator typed


@dataclass(frozen=True)
class Reply:
    message: Message
    removed: tuple[Kind, ...] = ()  # the personal data left out of what the moderator typed


Written = Literal["reply", "note"]
# The moderator's notice per kind of text: data/handoff_messages.yml, one kind or several.
REMOVAL_NOTICES: dict[Written, tuple[str, str]] = {
    "reply": ("moderator_reply_personal_data_removed", "moderator_reply_personal_data_removed_several"),
    "note": ("moderator_note_personal_data_removed", "moderator_note_personal_data_removed_several"),
}


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
        workflow: EscalationWorkflow,
        teams: TeamDirectory,
        messages_path: Path,
    ) -> None:
        self._sessions = sessions
        self._workflow = workflow
        self._teams = teams
        self._need_to_know = NeedToKnow.of(teams)
        self._texts: dict[str, Any] = yaml.safe_load(messages_path.read_text(encoding="utf-8"))
        self._redactor = StaffTextRedactor.of(teams)
        self._notices = {
            written: RemovalNotices(
                one=self._texts[one], several=self._texts[several], names=self._texts["personal_data_names"]
            )
            for written, (one, several) in REMOVAL_NOTICES.items()
        }

    # --- reading -------------------------------------------------------------------------

    def queue(
        self,
        *,
        viewer: User,
        team: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        min_waiting_minutes: int | None = None,
        now: datetime | None = None,
    ) -> list[QueueItem]:
        """What `viewer` may see: high priority first, then the longest waiting."""
        now = now or utcnow()
        with self._sessions() as session:
            query = select(EscalationRow, UserRow.display_name).outerjoin(
                UserRow, UserRow.id == EscalationRow.claimed_by
            )
            visible = self._need_to_know.where(viewer)
            if visible is not None:
                query = query.where(visible)
            if team:
                query = query.where(EscalationRow.team == team)
            if status:
                query = query.where(EscalationRow.status == status)
            else:
                query = query.where(EscalationRow.status.in_(ACTIVE))
            if priority:
                query = query.where(EscalationRow.priority == priority)
            items = []
            for row, claimer in session.execute(query):
                waiting = int((now - as_utc(row.created_at)).total_seconds() // 60)
                if min_waiting_minutes is not None and waiting < min_waiting_minutes:
                    continue
                expected = self._teams.response_minutes(row.team)
                items.append(QueueItem(Escalation.from_row(row), waiting, expected, waiting > expected, claimer))
        items.sort(key=lambda item: (item.escalation.priority != "high", -item.waiting_minutes))
        return items

    def packet(
        self,
        escalation_id: int,
        *,
        viewer: User,
        after_id: int | None = None,
        before_id: int | None = None,
        limit: int = 200,
    ) -> Packet:
        """The handoff packet, with a page of the transcript (ConversationStore.read_page: the latest
        `limit` messages, or those after `after_id` for a console that polls); the sources are those
        the bot showed in that page. The reading is audited (who, which escalation; never the content)."""
        with self._sessions.begin() as session:
            row = self._get(session, escalation_id, viewer)
            self._audit_reading(session, viewer, row)
            messages = ConversationStore.read_page(
                session, row.conversation_id, after_id=after_id, before_id=before_id, limit=limit
            )
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
            return Packet(Escalation.from_row(row), messages, sources, notes, claimer.display_name if claimer else None)

    def may_see(self, viewer: User, *, team: str | None, reason: str) -> bool:
        """The need-to-know rule (NeedToKnow) for an escalation of `team` opened for `reason`."""
        return self._need_to_know.may_see(viewer, team=team, reason=reason)

    def team_choices(self, *, language: str = "nl") -> list[dict[str, str]]:
        """Every routing target with its name in `language` (the admin page shows both languages)."""
        return [{"id": t.id, "name": t.name(language), "kind": t.kind} for t in self._teams.values()]

    # --- acting --------------------------------------------------------------------------

    def claim(self, escalation_id: int, *, moderator: User) -> Escalation:
        """Atomic: of any number of simultaneous claims exactly one succeeds."""
        with self._sessions.begin() as session:
            self._get(session, escalation_id, moderator, lock=True)
            escalation = self._workflow.claim(session, escalation_id, actor=moderator)
            self._tell_citizen(session, escalation, "joined", name=moderator.display_name)
            self._audit(session, moderator, "claim", escalation)
            return escalation

    def reply(self, escalation_id: int, *, moderator: User, text: str) -> Reply:
        """The reply, redacted, into the citizen's transcript: the citizen sees the placeholder where
        the moderator typed personal data, and no copy of it is kept (the transcript is stored, shown
        again and exported)."""
        redaction = self._redactor.redact(text)
        with self._sessions.begin() as session:
            self._get(session, escalation_id, moderator, lock=True)
            escalation = self._workflow.held(session, escalation_id, actor=moderator)
            message = ConversationStore.append(
                session,
                conversation_id=escalation.conversation_id,
                author="moderator",
                text=redaction.text,
                language=escalation.language,
            )
            self._audit(
                session, moderator, "reply", escalation, {"message_id": message.id, **_removed(redaction.kinds)}
            )
            return Reply(message, redaction.kinds)

    def add_note(self, escalation_id: int, *, moderator: User, text: str) -> Note:
        """The note, redacted: it is for the team's follow-up, which needs no identifying numbers (the
        case's contact is in the contact vault), and it is kept with the case for a year."""
        redaction = self._redactor.redact(text)
        with self._sessions.begin() as session:
            row = self._get(session, escalation_id, moderator, lock=True)
            note = EscalationNoteRow(escalation_id=row.id, author_id=moderator.id, text=redaction.text)
            session.add(note)
            session.flush()
            self._audit(
                session, moderator, "note", Escalation.from_row(row), {"note_id": note.id, **_removed(redaction.kinds)}
            )
            return Note(note.id, moderator.display_name, note.text, note.created_at, redaction.kinds)

    def removal_notice(self, written: Written, kinds: Sequence[Kind], *, language: str = "nl") -> str | None:
        """What the moderator is told was left out of their reply or note, in `language`; None: nothing."""
        if not kinds:
            return None
        notices = self._notices[written]
        return notices.text(kinds, language if language in notices.one else "nl")

    def reassign(self, escalation_id: int, *, moderator: User, team: str) -> Escalation:
        if team not in self._teams:
            raise UnknownTeam(f"Unknown team {team!r}.")
        with self._sessions.begin() as session:
            self._get(session, escalation_id, moderator, lock=True)
            escalation, previous = self._workflow.reassign(session, escalation_id, actor=moderator, team=team)
            self._tell_citizen(session, escalation, "reassigned", team=self._teams[team].name(escalation.language))
            self._audit(session, moderator, "reassign", escalation, {"from": previous, "to": team})
            return escalation

    def resolve(self, escalation_id: int, *, moderator: User) -> Escalation:
        return self._close(escalation_id, moderator, RESOLVED, "resolved")

    def hand_back(self, escalation_id: int, *, moderator: User) -> Escalation:
        return self._close(escalation_id, moderator, RETURNED, "handed_back")

    # --- internals -----------------------------------------------------------------------

    def _close(self, escalation_id: int, moderator: User, outcome: str, text_key: str) -> Escalation:
        with self._sessions.begin() as session:
            self._get(session, escalation_id, moderator, lock=True)
            escalation = self._workflow.close(session, escalation_id, actor=moderator, outcome=outcome)
            self._tell_citizen(session, escalation, text_key)
            self._audit(session, moderator, "resolve" if outcome == RESOLVED else "hand_back", escalation)
            return escalation

    def _get(self, session: Session, escalation_id: int, viewer: User, *, lock: bool = False) -> EscalationRow:
        """The escalation if `viewer` may see it; else EscalationNotFound, as for one that does not exist.

        `lock`: before an action, the row stays locked (PostgreSQL) until the transaction ends, so a
        reassign to another team cannot slip in between this check and the action."""
        row = session.get(EscalationRow, escalation_id, with_for_update=lock)
        if row is None or not self._need_to_know.may_see(viewer, team=row.team, reason=row.reason):
            raise EscalationNotFound(escalation_id)
        return row

    def _tell_citizen(self, session: Session, escalation: Escalation, key: str, **values: str) -> None:
        texts = self._texts[key]
        text = (texts.get(escalation.language) or texts["nl"]).format(**values)
        ConversationStore.append(
            session,
            conversation_id=escalation.conversation_id,
            author="system",
            text=text,
            language=escalation.language,
        )

    @staticmethod
    def _audit_reading(session: Session, viewer: User, row: EscalationRow, *, now: datetime | None = None) -> None:
        """A packet holds personal data: its readers are recorded, once per PACKET_READ_WINDOW, since
        the console re-reads the open packet every few seconds."""
        now = now or utcnow()
        if not AuditLog.recorded_since(
            session, actor_id=viewer.id, action=PACKET_READ, target_id=row.id, since=now - PACKET_READ_WINDOW
        ):
            ModerationService._audit(session, viewer, "packet_read", Escalation.from_row(row))

    @staticmethod
    def _audit(
        session: Session,
        moderator: User,
        action: str,
        escalation: Escalation,
        details: dict[str, Any] | None = None,
    ) -> None:
        AuditLog.add(
            session,
            actor_id=moderator.id,
            actor=moderator.username,
            action=f"escalation.{action}",
            target_type="escalation",
            target_id=escalation.id,
            details={"conversation_id": escalation.conversation_id, **(details or {})},
        )


def _removed(kinds: Sequence[Kind]) -> dict[str, list[str]]:
    """The audit entry's record of what redaction left out: the kinds, never the values."""
    return {"personal_data_removed": list(kinds)} if kinds else {}
