"""The citizen chat's kill switches: the whole chat, the knowledge answers, the forms.

An admin turns a part off at once (the admin API or `loket switch`); every change is recorded in
the audit log with who, which switch, on or off, and the reason given. The switches live in the
database, so every api replica reads the same ones: each process keeps what it read for `ttl_s`
seconds, and a change made in one process is seen by the others within that time (docs/deployment.md).
Crisis help is never switched off (api/services/chat.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.contact_route import ContactRoute
from api.services.database import ChatSwitchRow, as_utc, utcnow
from api.services.personal_data import redact

log = logging.getLogger("loket.api")

Switch = Literal["chat", "answers", "forms"]
SWITCHES: tuple[Switch, ...] = get_args(Switch)
AUDIT_ACTION = "chat_switch.set"
MAX_REASON_CHARS = 500


class ChatSwitchedOff(Exception):
    """A citizen's message refused because the chat is switched off; nothing of it was stored.
    `notice` says so in the citizen's language, with the contact route and the crisis help lines."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


def chat_off_notice(
    template: Mapping[str, str], *, route: ContactRoute, help_lines: Mapping[str, str]
) -> dict[str, str]:
    """Language -> what the citizen reads while the chat is off: the catalogue's `chat_off` with the
    contact route, then the crisis help lines (domain.yml's utter_crisis), which are never off."""
    return {
        language: f"{text.format(contact_route=route.text(language))}\n\n{help_lines[language]}"
        for language, text in template.items()
    }


@dataclass(frozen=True)
class SwitchState:
    """Which parts of the citizen chat are on; all of them unless an admin switched one off."""

    chat: bool = True  # off: no bot turns (a conversation a person holds goes on)
    answers: bool = True  # off: no answers from the website's pages
    forms: bool = True  # off: no reports or complaints through the chat

    def is_on(self, switch: Switch) -> bool:
        return bool(getattr(self, switch))


@dataclass(frozen=True)
class SwitchSetting:
    """A switch as an admin sees it: on or off, and its last change (None: never changed)."""

    name: Switch
    on: bool
    reason: str = ""
    changed_by: str | None = None
    changed_at: datetime | None = None


class ChatSwitches:
    """The switches in the api's database, read at most once per `ttl_s` per process."""

    def __init__(
        self, *, sessions: sessionmaker[Session], ttl_s: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sessions = sessions
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: SwitchState | None = None
        self._read_at = 0.0

    def state(self) -> SwitchState:
        """The current state; a database error keeps the last state read (all on before the first)."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._read_at < self._ttl_s:
                return self._cached
            try:
                settings = self.settings()
            except SQLAlchemyError:
                log.exception("Chat switches not readable; keeping the last state read")
                settings = None
            if settings is not None:
                self._cached = SwitchState(**{s.name: s.on for s in settings})
            self._read_at = now
            return self._cached or SwitchState()

    def settings(self) -> list[SwitchSetting]:
        """Every switch with its last change, read now (not cached)."""
        with self._sessions() as session:
            rows = {row.name: row for row in session.scalars(select(ChatSwitchRow))}
        found = []
        for name in SWITCHES:
            row = rows.get(name)
            found.append(
                SwitchSetting(name, True)
                if row is None
                else SwitchSetting(name, row.enabled, row.reason, row.changed_by, as_utc(row.changed_at))
            )
        return found

    def set(
        self, switch: Switch, *, on: bool, actor: str, actor_id: int | None = None, reason: str = ""
    ) -> SwitchSetting:
        """Turn `switch` on or off, with its audit entry in the same transaction. This process sees the
        change at once, other processes within `ttl_s`. ValueError for an unknown switch."""
        if switch not in SWITCHES:
            raise ValueError(f"unknown switch {switch!r}; one of {', '.join(SWITCHES)}")
        # The reason is kept in the audit log for years: personal data an admin typed into it
        # ("complaint of J. de Vries, 06 12345678") stays out, as in moderators' notes.
        reason = redact(reason.strip()[:MAX_REASON_CHARS]).text
        try:
            setting = self._write(switch, on=on, actor=actor, actor_id=actor_id, reason=reason)
        except IntegrityError:  # two first changes of this switch at once: the other one made the row
            setting = self._write(switch, on=on, actor=actor, actor_id=actor_id, reason=reason)
        with self._lock:
            # The next read goes to the database; until then (or if it fails) this change holds.
            self._cached = replace(self._cached or SwitchState(), **{switch: on})
            self._read_at = float("-inf")
        return setting

    def _write(self, switch: Switch, *, on: bool, actor: str, actor_id: int | None, reason: str) -> SwitchSetting:
        with self._sessions.begin() as session:
            row = session.get(ChatSwitchRow, switch, with_for_update=True)
            if row is None:
                row = ChatSwitchRow(name=switch)
                session.add(row)
            row.enabled, row.reason, row.changed_by, row.changed_at = on, reason, actor, utcnow()
            AuditLog.add(
                session, actor_id=actor_id, actor=actor, action=AUDIT_ACTION, target_type="chat_switch",
                target_id=switch, details={"switch": switch, "on": on, "reason": reason},
            )  # fmt: skip
            return SwitchSetting(switch, on, reason, actor, as_utc(row.changed_at))
