"""The audit log: who did what, when. Append-only here (no update or delete); the retention run
removes what is past its period (api/services/retention.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]


class AuditLog:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @staticmethod
    def add(
        session: Session,
        *,
        actor_id: int | None,
        actor: str,
        action: str,
        target_type: str,
        target_id: str | int,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record inside the caller's transaction, so the action and its record commit together."""
        session.add(
            AuditRow(
                actor_id=actor_id,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=str(target_id),
                details=details or {},
            )
        )

    @staticmethod
    def recorded_since(
        session: Session, *, actor_id: int | None, action: str, target_id: str | int, since: datetime
    ) -> bool:
        """Whether this actor's `action` on this target is in the log since `since` (to record a
        repeated reading once)."""
        query = select(AuditRow.id).where(
            AuditRow.action == action,
            AuditRow.actor_id == actor_id,
            AuditRow.target_id == str(target_id),
            AuditRow.at >= since,
        )
        return session.scalars(query.limit(1)).first() is not None

    def entries(self, *, action: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        with self._sessions() as session:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if action:
                query = query.where(AuditRow.action == action)
            return [
                AuditEntry(r.id, r.at, r.actor, r.action, r.target_type, r.target_id, dict(r.details or {}))
                for r in session.scalars(query)
            ]
