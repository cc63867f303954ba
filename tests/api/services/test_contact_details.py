"""The contact vault on SQLite and PostgreSQL: validation, encryption at rest, key rotation, a
pending contact attached to its case or discarded, revealed to the case's team only (audited), and
gone with retention and erasure."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.contact_details import (
    REVEALED,
    Contact,
    ContactVault,
    InvalidContact,
    NotForThisTeam,
    contact_cipher,
)
from api.services.conversations import ConversationStore
from api.services.database import ContactDetailRow, EscalationRow, utcnow
from api.services.erasure import ConversationErasure
from api.services.escalations import EscalationNotFound, EscalationWorkflow
from api.services.retention import DataRetention, RetentionPeriods
from api.services.users import User
from tests.api.services.conftest import Stores, make_user

EMAIL, PHONE = "jan.jansen@example.nl", "06 12345678"


def vault_on(sessions: sessionmaker[Session], *keys: bytes) -> ContactVault:
    return ContactVault(sessions=sessions, cipher=MultiFernet([Fernet(key) for key in keys or [Fernet.generate_key()]]))


def a_case(sessions: sessionmaker[Session], team: str | None = "openbare_ruimte") -> tuple[str, int]:
    conversation = ConversationStore(sessions=sessions).start(language="nl")
    case = EscalationWorkflow(sessions=sessions).escalate(
        conversation_id=conversation, reason="public_space_report", summary="lamp", team=team
    )
    return conversation, case.id


def member(sessions: sessionmaker[Session], *teams: str) -> User:
    """A moderator of `teams` (a real user: the audit log refers to them)."""
    user = make_user(sessions, "Sanne", "moderator")
    return User(id=user.id, username=user.username, display_name=user.display_name, roles=user.roles,
                teams=frozenset(teams))  # fmt: skip


# --- what the page's contact step accepts ---------------------------------------------------------


def test_a_contact_is_an_email_address_a_dutch_or_international_number_or_both() -> None:
    assert Contact.parse(email=f" {EMAIL} ", phone="").items() == [("email", EMAIL)]
    assert Contact.parse(email=None, phone="+31 6 12345678").kinds == ("phone",)
    both = Contact.parse(email=EMAIL, phone=PHONE)
    assert both.kinds == ("email", "phone") and both.placeholders == "[e-mail] [telefoon]"


@pytest.mark.parametrize(
    ("email", "phone", "problem"),
    [
        ("jan.jansen@example", None, "contact_invalid_email"),
        ("jan at example.nl", None, "contact_invalid_email"),
        (f"{EMAIL} en meer", None, "contact_invalid_email"),  # one address and nothing else
        ("a" * 250 + "@example.nl", None, "contact_invalid_email"),
        (None, "12345", "contact_invalid_phone"),
        (None, "0800-0113", "contact_invalid_phone"),  # a service line, not the citizen's
        (EMAIL, "bel me", "contact_invalid_phone"),
        ("  ", None, "contact_missing"),
        (None, None, "contact_missing"),
    ],
)
def test_anything_else_is_refused_with_what_is_wrong(email: str | None, phone: str | None, problem: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        Contact.parse(email=email, phone=phone)
    assert refused.value.problem == problem


# --- encrypted at rest, keys ----------------------------------------------------------------------


def test_the_contact_is_stored_encrypted_and_read_back_in_clear(sessions: sessionmaker[Session]) -> None:
    vault = vault_on(sessions)
    conversation, case = a_case(sessions)
    vault.keep_pending(conversation, Contact(email=EMAIL, phone=PHONE))
    with sessions() as session:
        stored = " ".join(session.scalars(select(ContactDetailRow.ciphertext).where(
            ContactDetailRow.conversation_id == conversation)))  # fmt: skip
        raw = " ".join(str(row) for row in session.execute(text("SELECT * FROM contact_details")).all())
    # Whole values only: a short fragment such as "jan" turns up in base64 ciphertext by chance.
    assert stored and EMAIL not in raw and "12345678" not in raw and "example.nl" not in raw
    assert vault.attach(conversation, case) == 2
    assert [(d.kind, d.value, d.case_number) for d in vault.of_conversation(conversation)] == [
        ("email", EMAIL, case), ("phone", PHONE, case),
    ]  # fmt: skip


def test_rotation_new_key_first_old_keys_still_decrypt_and_rotate_retires_them(stores: Stores) -> None:
    sessions = stores.sessions  # a database of its own: rotate() re-encrypts every row there is
    old, new = Fernet.generate_key(), Fernet.generate_key()
    conversation, _ = a_case(sessions)
    vault_on(sessions, old).keep_pending(conversation, Contact(email=EMAIL))
    rotated = vault_on(sessions, new, old)
    assert [d.value for d in rotated.of_conversation(conversation)] == [EMAIL]  # the old key still decrypts
    assert rotated.rotate() == 1
    assert [d.value for d in vault_on(sessions, new).of_conversation(conversation)] == [EMAIL]
    with pytest.raises(InvalidToken):
        vault_on(sessions, old).of_conversation(conversation)  # nothing is left under the old key


def test_without_keys_one_is_generated_once_for_its_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "contact.key"
    first = contact_cipher(keys=[], key_file=key_file)
    token = first.encrypt(b"x")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert contact_cipher(keys=[], key_file=key_file).decrypt(token) == b"x"  # the same key next time
    assert [path.name for path in key_file.parent.iterdir()] == ["contact.key"]  # no draft left behind


def test_configured_keys_win_and_a_bad_key_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    assert contact_cipher(keys=[key], key_file=tmp_path / "contact.key").decrypt(Fernet(key).encrypt(b"y")) == b"y"
    assert not (tmp_path / "contact.key").exists()
    with pytest.raises(ValueError, match="LOKET_CONTACT_KEYS"):
        contact_cipher(keys=["not-a-key"], key_file=tmp_path / "contact.key")


# --- pending, attached, discarded -----------------------------------------------------------------


def test_a_new_answer_replaces_the_pending_contact_and_none_removes_it(sessions: sessionmaker[Session]) -> None:
    vault = vault_on(sessions)
    conversation, _ = a_case(sessions)
    vault.keep_pending(conversation, Contact(email=EMAIL))
    vault.keep_pending(conversation, Contact(phone=PHONE))
    assert [(d.kind, d.value) for d in vault.of_conversation(conversation)] == [("phone", PHONE)]
    vault.keep_pending(conversation, None)
    assert vault.of_conversation(conversation) == []


def test_attached_contacts_belong_to_that_case_only_and_discarding_keeps_them(
    sessions: sessionmaker[Session],
) -> None:
    vault = vault_on(sessions)
    conversation, case = a_case(sessions)
    vault.keep_pending(conversation, Contact(email=EMAIL))
    vault.attach(conversation, case)
    assert vault.kinds(case) == ("email",)
    vault.keep_pending(conversation, Contact(phone=PHONE))  # a second form in the same conversation
    assert vault.discard_pending(conversation) == 1  # ... declined: only its own contact goes
    assert vault.kinds(case) == ("email",)
    assert vault.attach(conversation, case) == 0  # nothing pending any more


# --- revealed to the case's team only -------------------------------------------------------------


def test_the_cases_team_sees_it_others_do_not_and_each_reveal_is_audited(sessions: sessionmaker[Session]) -> None:
    vault = vault_on(sessions)
    conversation, case = a_case(sessions, team="openbare_ruimte")
    vault.keep_pending(conversation, Contact(email=EMAIL, phone=PHONE))
    vault.attach(conversation, case)

    team_member = member(sessions, "openbare_ruimte", "afval")
    details = vault.reveal(case, viewer=team_member)
    assert [(d.kind, d.value) for d in details] == [("email", EMAIL), ("phone", PHONE)]
    for outsider in (member(sessions, "afval"), member(sessions)):
        with pytest.raises(NotForThisTeam) as refused:
            vault.reveal(case, viewer=outsider)
        assert (refused.value.team, refused.value.reason) == ("openbare_ruimte", "public_space_report")
    with pytest.raises(EscalationNotFound):
        vault.reveal(999_999_999, viewer=team_member)

    entries = [e for e in AuditLog(sessions=sessions).entries(action=REVEALED) if e.target_id == str(case)]
    assert [(e.actor, e.details["kinds"]) for e in entries] == [(team_member.username, ["email", "phone"])]
    assert EMAIL not in str(entries) and "12345678" not in str(entries)


def test_a_case_without_a_team_shows_its_contact_to_nobody(sessions: sessionmaker[Session]) -> None:
    vault = vault_on(sessions)
    conversation, case = a_case(sessions, team=None)
    vault.keep_pending(conversation, Contact(email=EMAIL))
    vault.attach(conversation, case)
    with pytest.raises(NotForThisTeam):
        vault.reveal(case, viewer=member(sessions, "openbare_ruimte", "klantcontact"))


# --- retention and erasure ------------------------------------------------------------------------


def test_retention_removes_pending_contacts_after_their_period_and_attached_ones_with_the_case(
    stores: Stores,
) -> None:
    vault = vault_on(stores.sessions)
    left, _ = a_case(stores.sessions)
    recent, _ = a_case(stores.sessions)
    sent, case = a_case(stores.sessions)
    for conversation in (left, recent, sent):
        vault.keep_pending(conversation, Contact(email=EMAIL))
    vault.attach(sent, case)
    day_ago = utcnow() - timedelta(hours=25)
    with stores.sessions.begin() as session:
        session.execute(update(ContactDetailRow).where(ContactDetailRow.conversation_id.in_([left, sent]))
                        .values(created_at=day_ago))
        session.execute(update(EscalationRow).where(EscalationRow.id == case)
                        .values(status="resolved", closed_at=day_ago))  # fmt: skip
    periods = RetentionPeriods(
        chats=timedelta(days=30), cases=timedelta(days=365), audit=timedelta(days=183),
        audit_queries=timedelta(days=30), logs=timedelta(days=30), pending_contacts=timedelta(hours=24),
    )  # fmt: skip
    retention = DataRetention(sessions=stores.sessions, tracker=stores.tracker, periods=periods)

    assert retention.run(dry_run=True).pending_contacts == 1
    report = retention.run()
    assert report.pending_contacts == 1 and "contact details removed: 0 with their conversation, 1" in report.format(
        periods
    )
    assert vault.of_conversation(left) == []
    assert len(vault.of_conversation(recent)) == 1 and vault.kinds(case) == ("email",)  # the case keeps its own

    # A year after the case was closed it goes, with its contact.
    later = retention.run(now=utcnow() + timedelta(days=400))
    assert (later.cases.conversations, later.cases.contacts, later.pending_contacts) == (1, 1, 1)
    assert stores.count("contact_details", "conversation_id", sent) == 0


def test_erasure_removes_the_contacts_of_the_conversation_and_its_case(stores: Stores) -> None:
    vault = vault_on(stores.sessions)
    conversation, case = a_case(stores.sessions)
    vault.keep_pending(conversation, Contact(email=EMAIL))
    vault.attach(conversation, case)
    vault.keep_pending(conversation, Contact(phone=PHONE))
    removed = ConversationErasure(sessions=stores.sessions, tracker=stores.tracker).erase(
        conversation, by="admin", actor="admin"
    )
    assert removed.contacts == 2 and removed.escalations == 1
    assert stores.count("contact_details", "conversation_id", conversation) == 0
