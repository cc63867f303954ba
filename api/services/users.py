"""Users, roles, passwords (Argon2id) and login sessions that expire."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import ApiTokenRow, SessionRow, UserRow, as_utc, utcnow

ROLES = ("moderator", "staff", "admin")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same,
# so a login attempt does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    teams: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class UserError(ValueError):
    """A user could not be created or changed (message says why)."""


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(row.roles or []),
        teams=frozenset(row.teams or []),
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, *, sessions: sessionmaker[Session], session_ttl: timedelta) -> None:
        self._sessions = sessions
        self._ttl = session_ttl

    def create(
        self,
        *,
        username: str,
        password: str,
        roles: list[str],
        teams: list[str] | None = None,
        display_name: str | None = None,
    ) -> User:
        username = username.strip().lower()
        if not username or len(username) > 64:
            raise UserError("A username is 1 to 64 characters.")
        unknown = sorted(set(roles) - set(ROLES))
        if unknown or not roles:
            raise UserError(f"Roles must be among {', '.join(ROLES)} (got {', '.join(roles) or 'none'}).")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
        with self._sessions.begin() as session:
            if session.scalars(select(UserRow).where(UserRow.username == username)).first():
                raise UserError(f"User {username!r} exists already.")
            row = UserRow(
                username=username,
                display_name=display_name or username,
                password_hash=_hasher.hash(password),
                roles=sorted(set(roles)),
                teams=sorted(set(teams or [])),
            )
            session.add(row)
            session.flush()
            return _user(row)

    def all(self) -> list[User]:
        with self._sessions() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def get(self, user_id: int) -> User | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row is not None and row.active else None

    def authenticate(self, *, username: str, password: str) -> User | None:
        with self._sessions.begin() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username.strip().lower())).first()
            try:
                _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
            except (VerifyMismatchError, InvalidHashError):
                return None
            if row is None or not row.active:
                return None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return _user(row)

    def open_session(self, user: User, *, now: datetime | None = None) -> str:
        """A new session token for the cookie; only its hash is stored."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
            session.add(SessionRow(token_hash=_token_hash(token), user_id=user.id, expires_at=now + self._ttl))
        return token

    def user_for_session(self, token: str, *, now: datetime | None = None) -> User | None:
        now = now or utcnow()
        with self._sessions() as session:
            row = session.get(SessionRow, _token_hash(token))
            if row is None or as_utc(row.expires_at) <= now:
                return None
            user = session.get(UserRow, row.user_id)
            return _user(user) if user is not None and user.active else None

    def close_session(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.token_hash == _token_hash(token)))

    # --- API tokens for integrations -----------------------------------------------------

    def create_token(self, user: User, *, name: str) -> tuple[int, str]:
        """A new token; the plain value is returned once and never stored."""
        token = "lkt_" + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            row = ApiTokenRow(user_id=user.id, name=name, token_hash=_token_hash(token))
            session.add(row)
            session.flush()
            return row.id, token

    def tokens(self, user: User) -> list[tuple[int, str, datetime, bool]]:
        with self._sessions() as session:
            rows = session.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == user.id).order_by(ApiTokenRow.id))
            return [(row.id, row.name, row.created_at, row.revoked) for row in rows]

    def revoke_token(self, user: User, token_id: int) -> bool:
        with self._sessions.begin() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.user_id != user.id:
                return False
            row.revoked = True
            return True

    def user_for_token(self, token: str) -> User | None:
        with self._sessions() as session:
            row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))).first()
            if row is None or row.revoked:
                return None
            user = session.get(UserRow, row.user_id)
            return _user(user) if user is not None and user.active else None
