"""The retention run, on SQLite and PostgreSQL (databases of the tests' own): what has expired goes from
every store, what has not stays, open cases stay, the audit log loses old entries and old search
queries, old log files go; a dry run counts the same and changes nothing; counts only, never content."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from api.services.audit import AuditLog
from api.services.database import AuditRow, ConversationRow
from api.services.erasure import Removed
from api.services.retention import RETENTION_RUN, DataRetention, RetentionPeriods
from api.settings import Settings
from tests.api.services.conftest import Stores, seed_conversation

NOW = datetime.now(UTC)
PERIODS = RetentionPeriods(
    chats=timedelta(days=30), cases=timedelta(days=365), audit=timedelta(days=183),
    audit_queries=timedelta(days=30), logs=timedelta(days=30),
)  # fmt: skip


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


def retention(stores: Stores, logs_dir: Path | None = None) -> DataRetention:
    return DataRetention(sessions=stores.sessions, tracker=stores.tracker, periods=PERIODS, logs_dir=logs_dir)


def exists(stores: Stores, conversation: str) -> bool:
    return stores.count("conversations", "id", conversation) == 1


def test_a_chat_without_a_case_goes_after_30_days_with_its_rasa_events(stores: Stores) -> None:
    old = seed_conversation(stores, marker(), at=days_ago(31))
    recent = seed_conversation(stores, marker(), at=days_ago(29))

    report = retention(stores).run(now=NOW)

    assert report.chats == Removed(conversations=1, messages=2, tracker_events=3)
    assert not exists(stores, old.conversation_id) and stores.count("events", "sender_id", old.conversation_id) == 0
    assert exists(stores, recent.conversation_id) and stores.count("events", "sender_id", recent.conversation_id) == 3


def test_a_case_goes_a_year_after_it_was_closed_and_an_open_case_stays(stores: Stores) -> None:
    closed_long_ago = seed_conversation(stores, marker(), case="closed", at=days_ago(366))
    closed_recently = seed_conversation(stores, marker(), case="closed", at=days_ago(300))
    open_for_long = seed_conversation(stores, marker(), case="open", at=days_ago(800))
    chat_with_case = seed_conversation(stores, marker(), case="closed", at=days_ago(40))  # not a chat: a case

    report = retention(stores).run(now=NOW)

    assert report.cases == Removed(conversations=1, messages=4, escalations=1, notes=1, forms=1, tracker_events=3)
    assert report.chats == Removed() and report.open_cases_kept == 1
    assert not exists(stores, closed_long_ago.conversation_id)
    assert stores.count("escalation_notes", "escalation_id", closed_long_ago.case) == 0
    for kept in (closed_recently, open_for_long, chat_with_case):
        assert exists(stores, kept.conversation_id) and stores.count("escalations", "id", kept.case) == 1


def test_a_case_counts_from_its_last_message_too(stores: Stores) -> None:
    """Closed a year ago, but the citizen wrote again last month: the conversation is not idle."""
    seeded = seed_conversation(stores, marker(), case="closed", at=days_ago(400))
    with stores.sessions.begin() as session:
        session.execute(
            update(ConversationRow).where(ConversationRow.id == seeded.conversation_id).values(updated_at=days_ago(20))
        )
    assert retention(stores).run(now=NOW).cases == Removed()
    assert exists(stores, seeded.conversation_id)


def test_rasas_events_of_conversations_the_api_does_not_have_go_after_an_hour(stores: Stores) -> None:
    stores.rasa_says("left-over", ["hoi"], at=NOW - timedelta(hours=2))
    stores.rasa_says("just-now", ["hoi"], at=NOW - timedelta(minutes=10))
    kept = seed_conversation(stores, marker(), at=days_ago(2))
    report = retention(stores).run(now=NOW)
    assert report.orphan_tracker_events == 3
    assert stores.count("events", "sender_id", "left-over") == 0
    assert stores.count("events", "sender_id", "just-now") == 3  # Rasa may be mid-turn: left for now
    assert stores.count("events", "sender_id", kept.conversation_id) == 3


def test_the_audit_log_loses_old_entries_and_old_search_queries(stores: Stores) -> None:
    def entry(action: str, at: datetime, details: dict[str, object]) -> None:
        with stores.sessions.begin() as session:
            AuditLog.add(session, actor_id=None, actor="bas", action=action, target_type="document",
                         target_id="werkinstructie", details=details)  # fmt: skip
            session.flush()
            session.execute(update(AuditRow).where(AuditRow.action == action).values(at=at))

    entry("test.too-old", days_ago(200), {"query": "jansen bijstand"})
    entry("test.old-query", days_ago(40), {"query": "jansen bijstand", "team": "werk_inkomen"})
    entry("test.recent-query", days_ago(10), {"query": "paspoort spoed"})
    entry("test.old-no-query", days_ago(40), {"conversation_id": "abc"})

    report = retention(stores).run(now=NOW)

    assert (report.audit_removed, report.audit_anonymised) == (1, 1)
    entries = AuditLog(sessions=stores.sessions).entries()
    details = {e.action: e.details for e in entries if e.action.startswith("test.")}
    assert details == {
        "test.old-query": {"team": "werk_inkomen", "query_removed": True},  # who saw what, when: still there
        "test.recent-query": {"query": "paspoort spoed"},
        "test.old-no-query": {"conversation_id": "abc"},
    }
    assert retention(stores).run(now=NOW).audit_anonymised == 0  # done once


def test_old_log_files_go_and_the_current_ones_stay(stores: Stores, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, age in (("api.log", 90), ("api.log.20250101-120000", 40), ("rasa.log.20260101-120000", 5)):
        (logs / name).write_text("log\n")
        stamp = days_ago(age).timestamp()
        os.utime(logs / name, (stamp, stamp))
    assert retention(stores, logs).run(now=NOW).log_files == 1
    assert sorted(p.name for p in logs.iterdir()) == ["api.log", "rasa.log.20260101-120000"]


def test_a_dry_run_counts_the_same_and_changes_nothing(stores: Stores, tmp_path: Path) -> None:
    seed_conversation(stores, marker(), at=days_ago(31))
    seed_conversation(stores, marker(), case="closed", at=days_ago(400))
    stores.rasa_says("left-over", ["hoi"], at=NOW - timedelta(hours=2))
    dry = retention(stores).run(now=NOW, dry_run=True)
    assert dry.dry_run and dry.removed.conversations == 2 and dry.orphan_tracker_events == 3
    assert AuditLog(sessions=stores.sessions).entries(action=RETENTION_RUN) == []

    real = retention(stores).run(now=NOW)
    assert real.summary() | {"dry_run": True} == dry.summary()
    assert retention(stores).run(now=NOW).removed == Removed()  # nothing left: idempotent


def test_a_run_that_changed_something_is_audited_with_counts_only(stores: Stores) -> None:
    text = marker()
    seed_conversation(stores, text, case="closed", at=days_ago(400))
    assert AuditLog(sessions=stores.sessions).entries(action=RETENTION_RUN) == []
    report = retention(stores).run(now=NOW)
    [entry] = AuditLog(sessions=stores.sessions).entries(action=RETENTION_RUN)
    assert entry.actor == "retention" and entry.details == report.summary()
    assert text not in json.dumps(entry.details) and text not in report.format(PERIODS)
    retention(stores).run(now=NOW)
    assert len(AuditLog(sessions=stores.sessions).entries(action=RETENTION_RUN)) == 1  # nothing changed: no entry


def test_the_report_names_each_store_with_its_count() -> None:
    from api.services.retention import RetentionReport

    report = RetentionReport(
        dry_run=True, chats=Removed(conversations=2, messages=5, tracker_events=9), orphan_tracker_events=1,
        audit_removed=3, log_files=1,
    )  # fmt: skip
    text = report.format(PERIODS)
    assert "dry run" in text
    lines = [
        "idle over 30 days: 2", "messages would be removed: 5", "Rasa tracker events would be removed: 10",
        "no longer has: 1", "older than 183 days: 3", "log files would be removed, older than 30 days: 1",
    ]  # fmt: skip
    for line in lines:
        assert line in text, line


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [("LOKET_CHAT_RETENTION_DAYS", "7", "chats", timedelta(days=7)),
     ("LOKET_AUDIT_RETENTION_DAYS", "1826", "audit", timedelta(days=1826))],
)  # fmt: skip
def test_periods_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, field: str, expected: timedelta
) -> None:
    for name in [name for name in os.environ if name.startswith("LOKET_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    defaults = RetentionPeriods.from_settings(Settings())
    assert (defaults.chats, defaults.cases, defaults.audit) == (timedelta(days=30), timedelta(days=365), timedelta(183))
    monkeypatch.setenv(variable, value)
    assert getattr(RetentionPeriods.from_settings(Settings()), field) == expected
