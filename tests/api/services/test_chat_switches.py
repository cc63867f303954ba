"""The chat's kill switches on SQLite and PostgreSQL: audited changes, the per-process cache, and two
instances on one database standing in for two api replicas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.services.audit import AuditLog
from api.services.chat_switches import AUDIT_ACTION, ChatSwitches, SwitchState, chat_off_notice
from api.services.contact_route import ContactRoute
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory
from tests.clock import ManualClock


@pytest.fixture
def engine(own_database_url: str) -> Iterator[Engine]:
    engine = make_engine(own_database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def switches(engine: Engine, clock: ManualClock, ttl_s: float = 2.0) -> ChatSwitches:
    return ChatSwitches(sessions=make_sessionmaker(engine), ttl_s=ttl_s, clock=clock)


def test_everything_is_on_until_an_admin_switches_a_part_off(engine: Engine) -> None:
    service = switches(engine, ManualClock())
    assert service.state() == SwitchState(chat=True, answers=True, forms=True)
    assert [(s.name, s.on, s.changed_by) for s in service.settings()] == [
        ("chat", True, None), ("answers", True, None), ("forms", True, None)
    ]  # fmt: skip


def test_a_change_holds_at_once_in_its_own_process_and_is_audited(engine: Engine) -> None:
    service = switches(engine, ManualClock())
    assert service.state().answers  # cached now
    service.set("answers", on=False, actor="sanne", actor_id=None, reason="  verkeerde tarieven ")
    assert service.state() == SwitchState(chat=True, answers=False, forms=True)
    [answers] = [s for s in service.settings() if s.name == "answers"]
    assert (answers.on, answers.changed_by, answers.reason) == (False, "sanne", "verkeerde tarieven")
    assert answers.changed_at is not None and answers.changed_at.tzinfo is not None

    service.set("answers", on=True, actor="cli:root")
    entries = AuditLog(sessions=make_sessionmaker(engine)).entries(action=AUDIT_ACTION)
    assert [(e.actor, e.target_type, e.target_id, e.details) for e in entries] == [
        ("cli:root", "chat_switch", "answers", {"switch": "answers", "on": True, "reason": ""}),
        ("sanne", "chat_switch", "answers", {"switch": "answers", "on": False, "reason": "verkeerde tarieven"}),
    ]  # fmt: skip
    assert service.state().answers


def test_personal_data_in_a_reason_stays_out_of_the_audit_log(engine: Engine) -> None:
    service = switches(engine, ManualClock())
    service.set("forms", on=False, actor="sanne", reason="Klacht van mevrouw, 06 12345678, mail jan@example.nl")
    [forms] = [s for s in service.settings() if s.name == "forms"]
    assert forms.reason == "Klacht van mevrouw, [telefoon], mail [e-mail]"
    [entry] = AuditLog(sessions=make_sessionmaker(engine)).entries(action=AUDIT_ACTION)
    assert "12345678" not in str(entry.details) and "jan@example.nl" not in str(entry.details)


def test_another_replica_sees_a_change_once_its_cache_expired(engine: Engine) -> None:
    clock = ManualClock()
    replica_a, replica_b = switches(engine, clock), switches(engine, clock)
    assert replica_b.state().chat  # read and cached by B

    replica_a.set("chat", on=False, actor="sanne", reason="storing")
    clock.now += 1.9
    assert replica_b.state().chat, "within the TTL B answers from its cache without a query"
    clock.now += 0.2
    assert not replica_b.state().chat
    assert replica_b.state() == replica_a.state() == SwitchState(chat=False)


def test_without_a_cache_every_read_sees_the_database(engine: Engine) -> None:
    clock = ManualClock()
    replica_a, replica_b = switches(engine, clock, ttl_s=0), switches(engine, clock, ttl_s=0)
    assert replica_b.state().forms
    replica_a.set("forms", on=False, actor="sanne")
    assert not replica_b.state().forms


def test_an_unreadable_database_keeps_the_last_state_read(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    service = switches(engine, clock)
    service.set("forms", on=False, actor="sanne")
    assert not service.state().forms
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE chat_switches"))
    clock.now += 10
    assert service.state() == SwitchState(forms=False)
    assert "Chat switches not readable" in caplog.text


def test_an_unknown_switch_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown switch"):
        switches(engine, ManualClock()).set("everything", on=False, actor="sanne")  # type: ignore[arg-type]


def test_the_chat_off_notice_has_the_contact_route_and_the_crisis_help_lines() -> None:
    route = ContactRoute.of(
        TeamDirectory.parse({"teams": {"klantcontact": {
            "contact": {"phone": "14 0123", "address": "Stadhuisplein 1", "website": "https://example.nl"},
            "opening_hours": {"mon": "09:00-17:00"},
        }}}),
        catalogue={
            "contact_route": {"nl": "Bel {phone} ({hours}).", "en": "Call {phone} ({hours})."},
            "opening_hours": {lang: {"days": "{first}-{last}", "hours": "{days} {open}-{close}", "time": "%H:%M"}
                              for lang in ("nl", "en")},
        },
        weekdays={"nl": ["maandag"] * 7, "en": ["Monday"] * 7},
    )  # fmt: skip
    notice = chat_off_notice(
        {"nl": "De chat is uit. {contact_route}", "en": "The chat is off. {contact_route}"},
        route=route,
        help_lines={"nl": "Bel 113.", "en": "Call 113."},
    )
    assert notice == {
        "nl": "De chat is uit. Bel 14 0123 (maandag 09:00-17:00).\n\nBel 113.",
        "en": "The chat is off. Call 14 0123 (Monday 09:00-17:00).\n\nCall 113.",
    }


def test_the_shipped_catalogue_has_the_chat_off_text_in_every_language() -> None:
    import yaml

    catalogue = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))
    assert set(catalogue["chat_off"]) == {"nl", "en"}
    assert all("{contact_route}" in text for text in catalogue["chat_off"].values())
