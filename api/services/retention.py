"""Retention: what has been kept past its period is removed from every store (AVG art. 5(1)(e)).

* A chat without a case: the conversation, its messages and Rasa's tracker events, once its last
  message is older than the chat period (30 days).
* A conversation with a case (any escalation): all of the above plus the escalations, their form
  data and the moderators' notes, once every escalation is closed and the last was closed (and
  the last message written) longer ago than the case period (1 year). A case still open is kept
  and counted: a team is still handling it.
* Contact details a form asked for that never became a case (the citizen left the form halfway),
  once given longer ago than the pending period (a day); those on a case go with the case.
* Rasa's events of a conversation the api no longer has (a turn that was still running when its
  conversation was erased; a sender that came to Rasa around the api), idle for an hour.
* The audit log: entries older than the audit period are deleted; before that, a staff search
  query in an entry (free text that may name a citizen) is removed after the query period, and
  the entry itself (who saw which document, when) stays.
* Log files of earlier runs (`<name>.log.<stamp>`, api/operations/stack.py) past the log period.

Every step is idempotent, so a run that stops halfway is finished by the next. A dry run counts
the same things and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.database import AuditRow, ContactDetailRow, ConversationRow, EscalationRow, utcnow
from api.services.erasure import Removed, delete_rows, remove_conversation_rows, write_through
from api.services.escalations import ACTIVE
from api.services.rasa_tracker_store import RasaTrackerStore, batches
from api.settings import Settings

# Rasa's events of a sender the api has no conversation for are left this long: every real
# conversation exists in the api before Rasa sees it, so only leftovers stay idle past it.
ORPHAN_GRACE = timedelta(hours=1)
# Keys of audit details that hold free text typed by staff (api/services/staff_search.py).
FREE_TEXT_KEYS = ("query",)
# The run's own audit entry (counts only), when it changed anything.
RETENTION_RUN = "retention.run"


@dataclass(frozen=True)
class RetentionPeriods:
    chats: timedelta
    cases: timedelta
    audit: timedelta
    audit_queries: timedelta
    logs: timedelta
    pending_contacts: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            chats=timedelta(days=settings.chat_retention_days),
            cases=timedelta(days=settings.case_retention_days),
            audit=timedelta(days=settings.audit_retention_days),
            audit_queries=timedelta(days=settings.audit_query_retention_days),
            logs=timedelta(days=settings.log_retention_days),
            pending_contacts=timedelta(hours=settings.contact_pending_hours),
        )


@dataclass
class RetentionReport:
    """Counts per store, never content."""

    dry_run: bool
    chats: Removed = field(default_factory=Removed)  # conversations without a case
    cases: Removed = field(default_factory=Removed)  # conversations with closed cases
    orphan_tracker_events: int = 0
    pending_contacts: int = 0  # contact details of forms that never became a case
    audit_removed: int = 0
    audit_anonymised: int = 0
    log_files: int = 0
    open_cases_kept: int = 0

    @property
    def changed(self) -> bool:
        return self.removed.anything or any(
            (self.pending_contacts, self.audit_removed, self.audit_anonymised, self.log_files)
        )

    @property
    def removed(self) -> Removed:
        return self.chats + self.cases + Removed(tracker_events=self.orphan_tracker_events)

    def summary(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "chats": self.chats.conversations,
            "cases": self.cases.conversations,
            **{key: value for key, value in self.removed.as_dict().items() if key != "conversations"},
            "orphan_tracker_events": self.orphan_tracker_events,
            "pending_contacts": self.pending_contacts,
            "audit_removed": self.audit_removed,
            "audit_anonymised": self.audit_anonymised,
            "log_files": self.log_files,
            "open_cases_kept": self.open_cases_kept,
        }

    def format(self, periods: RetentionPeriods) -> str:
        removed = self.removed
        verb = "would be removed" if self.dry_run else "removed"
        lines = [
            "Retention run" + (" (dry run: nothing changed)" if self.dry_run else ""),
            f"  conversations without a case, idle over {periods.chats.days} days: {self.chats.conversations}",
            f"  conversations with a case closed over {periods.cases.days} days ago: {self.cases.conversations}",
            f"  messages {verb}: {removed.messages}",
            f"  escalations {verb}: {removed.escalations}",
            f"  notes {verb}: {removed.notes}",
            f"  form data {verb}: {removed.forms}",
            f"  contact details {verb}: {removed.contacts} with their conversation,"
            f" {self.pending_contacts} of forms not sent, given over {_hours(periods.pending_contacts)} hours ago",
            f"  Rasa tracker events {verb}: {removed.tracker_events}"
            f" (of conversations the api no longer has: {self.orphan_tracker_events})",
            f"  audit entries {verb}, older than {periods.audit.days} days: {self.audit_removed}",
            f"  audit entries whose search query {verb}, older than {periods.audit_queries.days} days:"
            f" {self.audit_anonymised}",
            f"  log files {verb}, older than {periods.logs.days} days: {self.log_files}",
            f"  open cases past the case period, kept: {self.open_cases_kept}",
        ]
        return "\n".join(lines)


def _hours(period: timedelta) -> str:
    return f"{period.total_seconds() / 3600:g}"


class DataRetention:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        tracker: RasaTrackerStore,
        periods: RetentionPeriods,
        logs_dir: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._tracker = tracker
        self.periods = periods
        self._logs_dir = logs_dir

    def run(self, *, dry_run: bool = False, now: datetime | None = None) -> RetentionReport:
        now = now or utcnow()
        report = RetentionReport(dry_run=dry_run)
        chats, cases, report.open_cases_kept = self._expired_conversations(now)
        report.chats = self._remove_conversations(chats, dry_run=dry_run)
        report.cases = self._remove_conversations(cases, dry_run=dry_run)
        report.orphan_tracker_events = self._tracker.remove(self._orphan_senders(now), dry_run=dry_run)
        report.pending_contacts = self._remove_pending_contacts(now, dry_run=dry_run)
        report.audit_removed, report.audit_anonymised = self._age_audit_log(now, dry_run=dry_run)
        report.log_files = self._remove_old_logs(now, dry_run=dry_run)
        if not dry_run and report.changed:
            write_through(self._sessions, self._tracker)
            with self._sessions.begin() as session:
                AuditLog.add(
                    session, actor_id=None, actor="retention", action=RETENTION_RUN, target_type="retention",
                    target_id=now.date().isoformat(), details=report.summary(),
                )  # fmt: skip
        return report

    # --- conversations -------------------------------------------------------------------

    def _expired_conversations(self, now: datetime) -> tuple[list[str], list[str], int]:
        """(chats without a case past the chat period, conversations whose cases are all closed past
        the case period, how many conversations with an open case are past the case period)."""
        chat_cutoff, case_cutoff = now - self.periods.chats, now - self.periods.cases
        has_case = select(EscalationRow.id).where(EscalationRow.conversation_id == ConversationRow.id).exists()
        with self._sessions() as session:
            chats = list(
                session.scalars(select(ConversationRow.id).where(ConversationRow.updated_at < chat_cutoff, ~has_case))
            )
            # Per conversation with cases: is any still open, and when did the last one close (or,
            # never closed, open)?
            last_case = (
                select(
                    EscalationRow.conversation_id,
                    func.max(func.coalesce(EscalationRow.closed_at, EscalationRow.created_at)).label("last"),
                    func.sum(case((EscalationRow.status.in_(ACTIVE), 1), else_=0)).label("active"),
                )
                .group_by(EscalationRow.conversation_id)
                .subquery()
            )
            rows = session.execute(
                select(ConversationRow.id, last_case.c.active)
                .join(last_case, last_case.c.conversation_id == ConversationRow.id)
                .where(ConversationRow.updated_at < case_cutoff, last_case.c.last < case_cutoff)
            ).all()
        cases = [row.id for row in rows if not row.active]
        return chats, cases, len(rows) - len(cases)

    def _remove_conversations(self, conversation_ids: list[str], *, dry_run: bool) -> Removed:
        total = Removed()
        for batch in batches(conversation_ids):
            # Rasa's events first: a failure after them leaves the conversation for the next run.
            events = self._tracker.remove(batch, dry_run=dry_run)
            with self._sessions.begin() as session:
                total += remove_conversation_rows(session, batch, dry_run=dry_run) + Removed(tracker_events=events)
        return total

    def _orphan_senders(self, now: datetime) -> list[str]:
        idle = self._tracker.senders_idle_since(now - ORPHAN_GRACE)
        known: set[str] = set()
        with self._sessions() as session:
            for batch in batches(idle):
                known.update(session.scalars(select(ConversationRow.id).where(ConversationRow.id.in_(batch))))
        return [sender for sender in idle if sender not in known]

    def _remove_pending_contacts(self, now: datetime, *, dry_run: bool) -> int:
        cutoff = now - self.periods.pending_contacts
        with self._sessions.begin() as session:
            pending = ContactDetailRow.escalation_id.is_(None) & (ContactDetailRow.created_at < cutoff)
            return delete_rows(session, ContactDetailRow, pending, dry_run=dry_run)

    # --- audit log -----------------------------------------------------------------------

    def _age_audit_log(self, now: datetime, *, dry_run: bool) -> tuple[int, int]:
        audit_cutoff, query_cutoff = now - self.periods.audit, now - self.periods.audit_queries
        with self._sessions.begin() as session:
            removed = delete_rows(session, AuditRow, AuditRow.at < audit_cutoff, dry_run=dry_run)
            anonymised = 0
            for row in session.scalars(select(AuditRow).where(AuditRow.at < query_cutoff, AuditRow.at >= audit_cutoff)):
                details = dict(row.details or {})
                if not any(key in details for key in FREE_TEXT_KEYS):
                    continue
                anonymised += 1
                if not dry_run:
                    row.details = {key: value for key, value in details.items() if key not in FREE_TEXT_KEYS} | {
                        "query_removed": True
                    }
        return removed, anonymised

    # --- log files -----------------------------------------------------------------------

    def _remove_old_logs(self, now: datetime, *, dry_run: bool) -> int:
        """Logs of earlier runs (`api.log.20260101-120000`), by when they were last written; the log
        a running process writes to (`api.log`) is never touched."""
        if self._logs_dir is None or not self._logs_dir.is_dir():
            return 0
        cutoff = (now - self.periods.logs).timestamp()
        old = [
            path
            for path in self._logs_dir.iterdir()
            if path.is_file() and ".log." in path.name and path.stat().st_mtime < cutoff
        ]
        if not dry_run:
            for path in old:
                path.unlink(missing_ok=True)
        return len(old)
