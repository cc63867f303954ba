"""Escalations: one state machine, the only writer of escalation rows and of who handles a chat.

    open ──claim──► claimed ──resolve────► resolved
     ▲                 │    └─hand_back──► returned
     └────reassign─────┘   (an open escalation may be reassigned too)

* At most one active (open or claimed) escalation per conversation: a new request while one is
  active joins it (a partial unique index enforces this in the database as well).
* Resolved and returned are closed: a later request opens a new escalation.
* The conversation is handled by a person exactly while its active escalation is claimed;
  `handled_by` is derived from the escalations here and nowhere else.
* Who may move one: any moderator claims an open escalation; the claimer (or an admin) replies,
  reassigns, resolves or hands it back; an open one may be reassigned by any moderator.

The transitions run inside the caller's transaction (`session`), so a moderator action, the
message the citizen sees and the audit record commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.services.conversations import UnknownConversation
from api.services.database import ConversationRow, EscalationRow, utcnow

OPEN, CLAIMED, RESOLVED, RETURNED = "open", "claimed", "resolved", "returned"
STATUSES = (OPEN, CLAIMED, RESOLVED, RETURNED)
ACTIVE = (OPEN, CLAIMED)
PRIORITIES = ("high", "normal")

BOT, HUMAN = "bot", "human"


class EscalationNotFound(LookupError):
    pass


class ConflictError(RuntimeError):
    """The escalation is not in a state that allows this (e.g. claimed by someone else).

    `code` names the case for the consoles, which word it in their own language: `not_open` (someone
    claimed it first), `closed`, `claim_first`, `held_by_another`, `not_created`."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class Actor(Protocol):
    """Who moves an escalation (api.services.users.User satisfies this)."""

    @property
    def id(self) -> int: ...

    def has_role(self, role: str) -> bool: ...


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
    claimed_by: int | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @classmethod
    def from_row(cls, row: EscalationRow) -> Escalation:
        return cls(
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
            claimed_by=row.claimed_by,
        )


def _higher(priority: str, other: str) -> str:
    return priority if PRIORITIES.index(priority) <= PRIORITIES.index(other) else other


# When requests join, the queue shows the one that asks most of a moderator.
_REASON_WEIGHT = {"crisis": 3, "threat": 2, "requested_human": 1}


def _join(
    row: EscalationRow, *, reason: str, priority: str, team: str | None, form_data: dict[str, Any] | None
) -> None:
    """A new request for a conversation whose escalation is still active adds to that one."""
    if _REASON_WEIGHT.get(reason, 0) > _REASON_WEIGHT.get(row.reason, 0):
        row.reason = reason
    row.priority = _higher(priority, row.priority)
    if row.team is None and team is not None:
        row.team = team  # triage had no team; the new request knows one
    if form_data:
        current = dict(row.form_data or {})
        if not current or current.get("complete") is False:
            # No form yet, or the form the citizen paused to ask for a person: the newer answers win.
            row.form_data = dict(form_data)
        else:  # a second completed form on the same conversation: keep both
            row.form_data = {**current, "more": [*current.get("more", []), dict(form_data)]}


class EscalationWorkflow:
    """The escalation state machine over SQL; one instance per process."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # --- opening -------------------------------------------------------------------------

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
        """Open an escalation, or join the conversation's active one (see the module's rules)."""
        if priority not in PRIORITIES:
            raise ValueError(f"Unknown priority {priority!r}.")
        for _attempt in range(2):
            try:
                with self._sessions.begin() as session:
                    if session.get(ConversationRow, conversation_id) is None:
                        raise UnknownConversation(conversation_id)
                    existing = self._active_row(session, conversation_id, lock=True)
                    if existing is not None:
                        _join(existing, reason=reason, priority=priority, team=team, form_data=form_data)
                        return Escalation.from_row(existing)
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
                    return Escalation.from_row(row)
            except IntegrityError:
                # Another process opened one at the same moment (the unique index said so): join it.
                continue
        raise ConflictError(f"Could not open an escalation for conversation {conversation_id}.", code="not_created")

    # --- reading -------------------------------------------------------------------------

    def get(self, escalation_id: int) -> Escalation:
        with self._sessions() as session:
            return Escalation.from_row(self._row(session, escalation_id))

    def active(self, conversation_id: str) -> Escalation | None:
        with self._sessions() as session:
            row = self._active_row(session, conversation_id)
            return Escalation.from_row(row) if row is not None else None

    def escalations(self, *, status: str | None = None, conversation_id: str | None = None) -> list[Escalation]:
        with self._sessions() as session:
            query = select(EscalationRow).order_by(EscalationRow.id)
            if status is not None:
                query = query.where(EscalationRow.status == status)
            if conversation_id is not None:
                query = query.where(EscalationRow.conversation_id == conversation_id)
            return [Escalation.from_row(row) for row in session.scalars(query)]

    # --- transitions (inside the caller's transaction) -----------------------------------

    def claim(self, session: Session, escalation_id: int, *, actor: Actor) -> Escalation:
        """open → claimed. Atomic: of any number of simultaneous claims exactly one succeeds."""
        result = session.execute(
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.status == OPEN)
            .values(status=CLAIMED, claimed_by=actor.id, claimed_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            row = self._row(session, escalation_id)
            raise ConflictError(f"Escalation {escalation_id} is {row.status}, not open.", code="not_open")
        row = self._row(session, escalation_id)
        session.refresh(row)
        self._sync_handled_by(session, row.conversation_id)
        return Escalation.from_row(row)

    def held(self, session: Session, escalation_id: int, *, actor: Actor) -> Escalation:
        """The escalation, if `actor` holds it (claimed by them, or they are an admin)."""
        return Escalation.from_row(self._held_row(session, escalation_id, actor))

    def reassign(
        self, session: Session, escalation_id: int, *, actor: Actor, team: str
    ) -> tuple[Escalation, str | None]:
        """open|claimed → open with another team; returns the escalation and the previous team."""
        row = self._row(session, escalation_id)
        if row.status not in ACTIVE:
            raise ConflictError(f"Escalation {escalation_id} is closed.", code="closed")
        if row.status == CLAIMED and not self._may_act_for(actor, row):
            raise ConflictError("Another moderator has this escalation.", code="held_by_another")
        previous = row.team
        row.team, row.status, row.claimed_by, row.claimed_at = team, OPEN, None, None
        session.flush()
        self._sync_handled_by(session, row.conversation_id)
        return Escalation.from_row(row), previous

    def close(self, session: Session, escalation_id: int, *, actor: Actor, outcome: str) -> Escalation:
        """claimed → resolved | returned, by the moderator who holds it (or an admin)."""
        if outcome not in (RESOLVED, RETURNED):
            raise ValueError(f"Not a closing state: {outcome!r}.")
        row = self._held_row(session, escalation_id, actor)
        row.status, row.closed_at = outcome, utcnow()
        session.flush()
        self._sync_handled_by(session, row.conversation_id)
        return Escalation.from_row(row)

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _row(session: Session, escalation_id: int) -> EscalationRow:
        row = session.get(EscalationRow, escalation_id)
        if row is None:
            raise EscalationNotFound(escalation_id)
        return row

    @staticmethod
    def _active_row(session: Session, conversation_id: str, *, lock: bool = False) -> EscalationRow | None:
        query = (
            select(EscalationRow)
            .where(EscalationRow.conversation_id == conversation_id, EscalationRow.status.in_(ACTIVE))
            .order_by(EscalationRow.id)
        )
        if lock:
            query = query.with_for_update()  # PostgreSQL row lock; SQLite serialises writers anyway
        return session.scalars(query).first()

    @staticmethod
    def _may_act_for(actor: Actor, row: EscalationRow) -> bool:
        return row.claimed_by == actor.id or actor.has_role("admin")

    def _held_row(self, session: Session, escalation_id: int, actor: Actor) -> EscalationRow:
        row = self._row(session, escalation_id)
        if row.status != CLAIMED:
            raise ConflictError(f"Escalation {escalation_id} is {row.status}: claim it first.", code="claim_first")
        if not self._may_act_for(actor, row):
            raise ConflictError("Another moderator has this escalation.", code="held_by_another")
        return row

    @staticmethod
    def _sync_handled_by(session: Session, conversation_id: str) -> None:
        """A person handles the conversation while any of its escalations is claimed."""
        claimed = session.scalars(
            select(EscalationRow.id).where(
                EscalationRow.conversation_id == conversation_id, EscalationRow.status == CLAIMED
            )
        ).first()
        conversation = session.get(ConversationRow, conversation_id)
        if conversation is not None:
            conversation.handled_by = HUMAN if claimed is not None else BOT
