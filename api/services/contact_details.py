"""The contact details a form asks for (a report's e-mail address or phone number, the contact a
complaint needs): the one place they exist, encrypted, and only as long as they are needed.

* Encrypted at rest: a Fernet token per detail (AES-128-CBC with HMAC-SHA256, `cryptography`),
  under a MultiFernet of LOKET_CONTACT_KEYS: the first key encrypts, every key decrypts, so keys
  rotate without a migration (`rotate()` re-encrypts what the old keys encrypted).
* Pending on the conversation from the moment the citizen gives them (the page's contact step, or
  typed after the form's question) until the form becomes a case, then attached to that case only.
  A form the citizen cancels or declines deletes them; the retention run deletes pending ones after
  LOKET_CONTACT_PENDING_HOURS and attached ones with their case; erasure with the conversation.
* Decrypted only for the team the case is assigned to (each time in the audit log, without the
  value) and for the citizen's own export (api/services/subject_access.py).

Everywhere else (messages, Rasa's events and slots, form data, summaries, logs) there is only the
placeholder: "[e-mail]", "[telefoon]".
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.database import ContactDetailRow, EscalationRow, as_utc
from api.services.escalations import EscalationNotFound
from api.services.personal_data import PLACEHOLDERS, find_personal_data

ContactKind = Literal["email", "phone"]
CONTACT_KINDS: tuple[ContactKind, ...] = ("email", "phone")
# Longer than any real address (RFC 5321: 254) or number: refused before the recogniser runs.
MAX_LENGTH: dict[ContactKind, int] = {"email": 254, "phone": 32}
REVEALED = "contact.revealed"


class InvalidContact(ValueError):
    """What the citizen entered is not a contact detail; `problem` names the gateway's notice for it
    (data/handoff_messages.yml)."""

    def __init__(self, problem: Literal["contact_invalid_email", "contact_invalid_phone", "contact_missing"]) -> None:
        super().__init__(problem)
        self.problem = problem


def _is_only(value: str, kind: ContactKind) -> bool:
    """`value` is one `kind` and nothing else, by the gateway's own recogniser (api/services/personal_data.py):
    what it would take out of a message is exactly what it accepts here."""
    if len(value) > MAX_LENGTH[kind]:
        return False
    findings = find_personal_data(value)
    return len(findings) == 1 and (findings[0].kind, findings[0].start, findings[0].end) == (kind, 0, len(value))


@dataclass(frozen=True)
class Contact:
    """What the citizen gave, validated; in clear only in memory, on its way into the vault."""

    email: str | None = None
    phone: str | None = None

    @classmethod
    def parse(cls, *, email: str | None, phone: str | None) -> Contact:
        """A contact from the page's contact step; InvalidContact when a field holds no valid detail
        or both are empty."""
        email, phone = (email or "").strip() or None, (phone or "").strip() or None
        if email is None and phone is None:
            raise InvalidContact("contact_missing")
        if email is not None and not _is_only(email, "email"):
            raise InvalidContact("contact_invalid_email")
        if phone is not None and not _is_only(phone, "phone"):
            raise InvalidContact("contact_invalid_phone")
        return cls(email=email, phone=phone)

    def items(self) -> list[tuple[ContactKind, str]]:
        given: tuple[tuple[ContactKind, str | None], ...] = (("email", self.email), ("phone", self.phone))
        return [(kind, value) for kind, value in given if value]

    @property
    def kinds(self) -> tuple[ContactKind, ...]:
        return tuple(kind for kind, _ in self.items())

    @property
    def placeholders(self) -> str:
        """What the rest of the system gets instead: "[e-mail] [telefoon]"."""
        return " ".join(PLACEHOLDERS[kind] for kind in self.kinds)


@dataclass(frozen=True)
class ContactDetail:
    kind: ContactKind
    value: str
    given_at: datetime
    case_number: int | None  # None: pending, the form is not sent yet


class Viewer(Protocol):
    """Who asks to see a case's contact (api.services.users.User satisfies this)."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def teams(self) -> frozenset[str]: ...


class NotForThisTeam(PermissionError):
    """Only the team the case is assigned to sees its contact details; `team` and `reason` are the
    case's (whether the viewer may know of the case at all is the moderator console's rule)."""

    def __init__(self, escalation_id: int, *, team: str | None, reason: str) -> None:
        super().__init__(escalation_id)
        self.team = team
        self.reason = reason


def contact_cipher(*, keys: Sequence[str], key_file: Path) -> MultiFernet:
    """The cipher for `keys` (newest first); without keys, one generated into `key_file` once (outside
    production only: the settings refuse to start production without keys). ValueError for a key
    that is not a Fernet key."""
    try:
        return MultiFernet([Fernet(key) for key in (keys or [_generated_key(key_file)])])
    except ValueError:  # binascii.Error is one too
        raise ValueError(
            "LOKET_CONTACT_KEYS: every key must be 32 url-safe base64-encoded bytes (README: Configuration)"
        ) from None


def _generated_key(key_file: Path) -> str:
    """The key in `key_file`, made first if there is none: readable by its owner only, and written
    under another name and linked into place, so two processes starting together share one key."""
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        draft = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            draft.unlink()
    return key_file.read_text(encoding="ascii").strip()


class ContactVault:
    def __init__(self, *, sessions: sessionmaker[Session], cipher: MultiFernet) -> None:
        self._sessions = sessions
        self._cipher = cipher

    # --- the form's step -----------------------------------------------------------------

    def keep_pending(self, conversation_id: str, contact: Contact | None) -> None:
        """What the citizen gave at the form's contact step replaces what they gave before in this
        conversation and has not become a case; None (they gave nothing, stayed anonymous) leaves none."""
        with self._sessions.begin() as session:
            session.execute(delete(ContactDetailRow).where(*self._pending(conversation_id)))
            for kind, value in contact.items() if contact else []:
                session.add(
                    ContactDetailRow(conversation_id=conversation_id, kind=kind, ciphertext=self._encrypt(value))
                )

    def attach(self, conversation_id: str, escalation_id: int) -> int:
        """The form became case `escalation_id`: its pending contact details belong to that case now."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(ContactDetailRow).where(*self._pending(conversation_id)).values(escalation_id=escalation_id)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def discard_pending(self, conversation_id: str) -> int:
        """The citizen cancelled or declined the form: nothing of it is kept."""
        with self._sessions.begin() as session:
            result = session.execute(delete(ContactDetailRow).where(*self._pending(conversation_id)))
            return int(result.rowcount)  # type: ignore[attr-defined]

    # --- the team ------------------------------------------------------------------------

    def kinds(self, escalation_id: int) -> tuple[ContactKind, ...]:
        """Which details the case has (not their values): anyone who may see the case may know that."""
        with self._sessions() as session:
            kinds = session.scalars(
                select(ContactDetailRow.kind)
                .where(ContactDetailRow.escalation_id == escalation_id)
                .order_by(ContactDetailRow.id)
            )
            return tuple(dict.fromkeys(cast(ContactKind, kind) for kind in kinds))

    def reveal(self, escalation_id: int, *, viewer: Viewer) -> list[ContactDetail]:
        """The case's contact details in clear, for a member of the team the case is assigned to, with
        an audit entry (the kinds, never the values) in the same transaction. Raises
        EscalationNotFound, or NotForThisTeam for anyone else (an admin too, and for a case no team has yet)."""
        with self._sessions.begin() as session:
            case = session.get(EscalationRow, escalation_id)
            if case is None:
                raise EscalationNotFound(escalation_id)
            if case.team is None or case.team not in viewer.teams:
                raise NotForThisTeam(escalation_id, team=case.team, reason=case.reason)
            details = self._details(session, ContactDetailRow.escalation_id == escalation_id)
            if details:
                AuditLog.add(
                    session, actor_id=viewer.id, actor=viewer.username, action=REVEALED, target_type="escalation",
                    target_id=escalation_id,
                    details={"conversation_id": case.conversation_id, "team": case.team,
                             "kinds": [d.kind for d in details]},
                )  # fmt: skip
            return details

    # --- the citizen's export, key rotation ----------------------------------------------

    def of_conversation(self, conversation_id: str) -> list[ContactDetail]:
        """Every contact detail of the conversation in clear: for the citizen's own export."""
        with self._sessions() as session:
            return self._details(session, ContactDetailRow.conversation_id == conversation_id)

    def rotate(self) -> int:
        """Re-encrypt every detail under the first key, so the other keys can be retired; how many."""
        with self._sessions.begin() as session:
            rows = list(session.scalars(select(ContactDetailRow)))
            for row in rows:
                row.ciphertext = self._cipher.rotate(row.ciphertext.encode("ascii")).decode("ascii")
            return len(rows)

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _pending(conversation_id: str) -> tuple[Any, ...]:
        return ContactDetailRow.conversation_id == conversation_id, ContactDetailRow.escalation_id.is_(None)

    def _encrypt(self, value: str) -> str:
        return self._cipher.encrypt(value.encode("utf-8")).decode("ascii")

    def _details(self, session: Session, condition: Any) -> list[ContactDetail]:
        rows = session.scalars(select(ContactDetailRow).where(condition).order_by(ContactDetailRow.id))
        return [
            ContactDetail(
                kind=cast(ContactKind, row.kind),
                value=self._cipher.decrypt(row.ciphertext.encode("ascii")).decode("utf-8"),
                given_at=as_utc(row.created_at),
                case_number=row.escalation_id,
            )
            for row in rows
        ]
