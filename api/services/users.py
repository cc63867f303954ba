"""Users, roles, passwords (Argon2id), login sessions that expire, and API tokens that expire and
carry a scope. Every change to an account, every login and logout and every token made or revoked
is recorded in the audit log in the same transaction as the change itself."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.database import ApiTokenRow, SessionRow, UserRow, as_utc, utcnow
from api.services.passwords import password_problem
from routing.teams import TeamDirectory

ROLES = ("moderator", "staff", "admin")
# What an API token may be used for: "search" the staff search and documents (/api/staff),
# "route" the routing API (/api/route). Nothing else accepts a token (api/deps.py).
TOKEN_SCOPES = ("search", "route")
# Tokens made before scopes existed were made for the staff search.
LEGACY_TOKEN_SCOPES = frozenset({"search"})
DEFAULT_TOKEN_TTL = timedelta(days=90)
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
    active: bool = True
    created_at: datetime | None = field(default=None, compare=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class ApiToken:
    """A token's facts; never its value."""

    id: int
    user_id: int
    name: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked: bool

    def usable(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass(frozen=True)
class AccessEnded:
    """What a disable, a reset or a revoke ended at once."""

    sessions: int
    tokens: int


class UserError(ValueError):
    """A user could not be created or changed: the message says why in English (command line, API
    clients); `code` and `details` say it for a page that words it in its reader's language."""

    def __init__(self, message: str, *, code: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class UnknownUser(UserError):
    """No account with this username."""


class UserConflict(UserError):
    """The change contradicts the accounts as they are (a username taken, disabling oneself)."""


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(row.roles or []),
        teams=frozenset(row.teams or []),
        active=bool(row.active),
        created_at=as_utc(row.created_at) if row.created_at else None,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise(username: str) -> str:
    return username.strip().lower()


class UserStore:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        session_ttl: timedelta,
        token_ttl: timedelta = DEFAULT_TOKEN_TTL,
        teams: TeamDirectory | None = None,
    ) -> None:
        """`teams`: the directory a user's teams must come from (its entries of kind "team"); the api
        and the CLI always pass it, tests of other concerns may leave it out."""
        self._sessions = sessions
        self._ttl = session_ttl
        self._token_ttl = token_ttl
        self._teams = teams

    # --- accounts --------------------------------------------------------------------------

    def create(
        self,
        *,
        username: str,
        password: str,
        roles: list[str],
        teams: list[str] | None = None,
        display_name: str | None = None,
        actor: str = "system",
        actor_id: int | None = None,
    ) -> User:
        """`actor`/`actor_id`: who creates the account, for the audit log (an admin, or `cli:<login>`)."""
        username = _normalise(username)
        if not username or len(username) > 64:
            raise UserError("A username is 1 to 64 characters.", code="username_invalid")
        _check_roles(roles)
        self._check_teams(teams or [])
        display_name = (display_name or "").strip() or username
        if len(display_name) > 128:
            raise UserError("A display name is at most 128 characters.", code="display_name_too_long")
        problem = password_problem(password, user_inputs=(username, display_name))
        if problem:
            raise UserError(problem.message, code=problem.code, **problem.details())
        with self._sessions.begin() as session:
            if session.scalars(select(UserRow).where(UserRow.username == username)).first():
                raise UserConflict(f"User {username!r} exists already.", code="username_taken")
            row = UserRow(
                username=username,
                display_name=display_name,
                password_hash=_hasher.hash(password),
                roles=sorted(set(roles)),
                teams=sorted(set(teams or [])),
            )
            session.add(row)
            session.flush()
            _audit(session, actor, actor_id, "user.created", username, {"roles": row.roles, "teams": row.teams})
            return _user(row)

    def all(self) -> list[User]:
        """Every account, disabled ones too (`User.active`)."""
        with self._sessions() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def get(self, user_id: int) -> User | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row is not None and row.active else None

    def find(self, username: str) -> User:
        """The account, active or not; UnknownUser when there is none."""
        with self._sessions() as session:
            return _user(self._row(session, username))

    def disable(self, username: str, *, actor: str, actor_id: int | None = None) -> AccessEnded:
        """A leaver: the account can no longer log in, and its sessions and tokens end now."""
        with self._sessions.begin() as session:
            row = self._row(session, username)
            if actor_id is not None and row.id == actor_id:
                raise UserConflict("You cannot disable your own account.", code="own_account_disable")
            row.active = False
            ended = self._end_access(session, row, actor=actor, actor_id=actor_id, reason="user.disabled")
            _audit(session, actor, actor_id, "user.disabled", row.username, _counts(ended))
            return ended

    def enable(self, username: str, *, actor: str, actor_id: int | None = None) -> User:
        """The account can log in again; its old tokens stay revoked."""
        with self._sessions.begin() as session:
            row = self._row(session, username)
            row.active = True
            _audit(session, actor, actor_id, "user.enabled", row.username)
            return _user(row)

    def reset_password(self, username: str, *, password: str, actor: str, actor_id: int | None = None) -> AccessEnded:
        """A new password (the same rule as at creation); the user's sessions end, their tokens stay."""
        with self._sessions.begin() as session:
            row = self._row(session, username)
            problem = password_problem(password, user_inputs=(row.username, row.display_name))
            if problem:
                raise UserError(problem.message, code=problem.code, **problem.details())
            row.password_hash = _hasher.hash(password)
            ended = AccessEnded(sessions=_end_sessions(session, row), tokens=0)
            _audit(session, actor, actor_id, "user.password_reset", row.username, _counts(ended))
            return ended

    def revoke_access(self, username: str, *, actor: str, actor_id: int | None = None) -> AccessEnded:
        """End all the user's sessions and revoke all their API tokens; the account stays active."""
        with self._sessions.begin() as session:
            row = self._row(session, username)
            ended = self._end_access(session, row, actor=actor, actor_id=actor_id, reason="user.access_revoked")
            _audit(session, actor, actor_id, "user.access_revoked", row.username, _counts(ended))
            return ended

    def change_access(
        self,
        username: str,
        *,
        roles: list[str] | None = None,
        teams: list[str] | None = None,
        actor: str,
        actor_id: int | None = None,
    ) -> User:
        """New roles and/or teams (None keeps them), e.g. for someone who moves to another team. Every
        session and API token follows at its next request: they are checked against the account each time."""
        if roles is not None:
            _check_roles(roles)
        if teams is not None:
            self._check_teams(teams)
        with self._sessions.begin() as session:
            row = self._row(session, username)
            if actor_id is not None and row.id == actor_id and roles is not None and "admin" not in roles:
                raise UserConflict("You cannot take the admin role from your own account.", code="own_admin_role")
            before = {"roles": list(row.roles or []), "teams": list(row.teams or [])}
            if roles is not None:
                row.roles = sorted(set(roles))
            if teams is not None:
                row.teams = sorted(set(teams))
            after = {"roles": list(row.roles or []), "teams": list(row.teams or [])}
            _audit(session, actor, actor_id, "user.access_changed", row.username, {"before": before, "after": after})
            return _user(row)

    def _check_teams(self, teams: Iterable[str]) -> None:
        if self._teams is None:
            return
        valid = [team.id for team in self._teams.values() if team.kind == "team"]
        unknown = sorted(set(teams) - set(valid))
        if unknown:
            message = f"Unknown team {', '.join(unknown)}; the teams are: {', '.join(valid)}."
            raise UserError(message, code="unknown_team", teams=unknown)

    @staticmethod
    def _row(session: Session, username: str) -> UserRow:
        row = session.scalars(select(UserRow).where(UserRow.username == _normalise(username))).first()
        if row is None:
            raise UnknownUser(f"No user {_normalise(username)!r}.", code="unknown_user")
        return row

    @staticmethod
    def _end_access(session: Session, row: UserRow, *, actor: str, actor_id: int | None, reason: str) -> AccessEnded:
        sessions = _end_sessions(session, row)
        tokens = session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.user_id == row.id, ApiTokenRow.revoked.is_(False))
        ).all()
        for token in tokens:
            token.revoked = True
            _audit_token(session, actor, actor_id, "token.revoked", token, owner=row.username, reason=reason)
        return AccessEnded(sessions=sessions, tokens=len(tokens))

    # --- logging in --------------------------------------------------------------------------

    def authenticate(self, *, username: str, password: str) -> User | None:
        """The user, or None; both outcomes are audited (the name as typed, never the password)."""
        with self._sessions.begin() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == _normalise(username))).first()
            try:
                _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
                verified = True
            except (VerifyMismatchError, InvalidHashError):
                verified = False
            if row is None or not verified or not row.active:
                reason = "unknown_user" if row is None else "wrong_password" if not verified else "disabled"
                typed = username[:64]
                _audit(session, typed, None, "user.login_failed", typed, {"reason": reason})
                return None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            _audit(session, row.username, row.id, "user.login", row.username)
            return _user(row)

    def record_refused_login(self, *, username: str, limit: str) -> None:
        """A login the throttle refused before the password was checked (api/services/rate_limits.py):
        the name as typed, and which limit (`client`, `username_and_client` or `username`)."""
        typed = username[:64]
        with self._sessions.begin() as session:
            _audit(session, typed, None, "user.login_throttled", typed, {"limit": limit})

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
            # A second line behind disable(), which deletes the sessions.
            return _user(user) if user is not None and user.active else None

    def close_session(self, token: str) -> None:
        """Log out: the session ends on the server, with an audit entry when there was one."""
        with self._sessions.begin() as session:
            row = session.get(SessionRow, _token_hash(token))
            if row is None:
                return
            user = session.get(UserRow, row.user_id)
            session.delete(row)
            if user is not None:
                _audit(session, user.username, user.id, "user.logout", user.username)

    # --- API tokens for integrations -----------------------------------------------------

    def create_token(
        self, user: User, *, name: str, scopes: Iterable[str] = ("search",), now: datetime | None = None
    ) -> tuple[ApiToken, str]:
        """A new token of `user`, made by them; the plain value is returned once and never stored."""
        wanted = frozenset(scopes)
        if not wanted or not wanted <= set(TOKEN_SCOPES):
            raise UserError(f"A token's scope is one or more of {', '.join(TOKEN_SCOPES)}.", code="unknown_scope")
        now = now or utcnow()
        token = "lkt_" + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            row = ApiTokenRow(
                user_id=user.id, name=name, token_hash=_token_hash(token), created_at=now,
                expires_at=now + self._token_ttl, scopes=sorted(wanted),
            )  # fmt: skip
            session.add(row)
            session.flush()
            _audit_token(session, user.username, user.id, "token.created", row, owner=user.username)
            return self._token(row), token

    def tokens(self, user: User) -> list[ApiToken]:
        with self._sessions() as session:
            rows = session.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == user.id).order_by(ApiTokenRow.id))
            return [self._token(row) for row in rows]

    def revoke_token(self, user: User, token_id: int) -> bool:
        """False when `user` has no token with this id."""
        with self._sessions.begin() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.user_id != user.id:
                return False
            if not row.revoked:
                row.revoked = True
                _audit_token(session, user.username, user.id, "token.revoked", row, owner=user.username)
            return True

    def token_login(self, token: str, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
        """The user and the token, when the token is known, not revoked, not expired and its user active."""
        now = now or utcnow()
        with self._sessions() as session:
            row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))).first()
            if row is None:
                return None
            api_token = self._token(row)
            if not api_token.usable(now):
                return None
            user = session.get(UserRow, row.user_id)
            # A second line behind disable(), which revokes the tokens.
            return (_user(user), api_token) if user is not None and user.active else None

    def user_for_token(self, token: str, *, now: datetime | None = None) -> User | None:
        login = self.token_login(token, now=now)
        return login[0] if login else None

    def _token(self, row: ApiTokenRow) -> ApiToken:
        created = as_utc(row.created_at)
        # Tokens made before expiry and scopes existed: api_token_ttl_days from their creation, "search".
        expires = as_utc(row.expires_at) if row.expires_at is not None else created + self._token_ttl
        scopes = frozenset(row.scopes) if row.scopes is not None else LEGACY_TOKEN_SCOPES
        return ApiToken(row.id, row.user_id, row.name, scopes, created, expires, bool(row.revoked))


def _check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        message = f"Roles must be among {', '.join(ROLES)} (got {', '.join(roles) or 'none'})."
        raise UserError(message, code="unknown_role")


def _end_sessions(session: Session, row: UserRow) -> int:
    result = session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _counts(ended: AccessEnded) -> dict[str, Any]:
    return {"sessions_ended": ended.sessions, "tokens_revoked": ended.tokens}


def _audit(
    session: Session,
    actor: str,
    actor_id: int | None,
    action: str,
    username: str,
    details: dict[str, Any] | None = None,
) -> None:
    AuditLog.add(
        session, actor_id=actor_id, actor=actor[:64], action=action, target_type="user", target_id=username,
        details=details,
    )  # fmt: skip


def _audit_token(
    session: Session, actor: str, actor_id: int | None, action: str, row: ApiTokenRow, *, owner: str, reason: str = ""
) -> None:
    """Who, which token (id, name, scope, expiry), whose; never the token's value or hash."""
    details: dict[str, Any] = {
        "name": row.name, "owner": owner, "scopes": sorted(row.scopes or LEGACY_TOKEN_SCOPES),
        "expires_at": as_utc(row.expires_at).isoformat() if row.expires_at is not None else None,
    }  # fmt: skip
    if reason:
        details["reason"] = reason
    AuditLog.add(
        session, actor_id=actor_id, actor=actor[:64], action=action, target_type="api_token", target_id=row.id,
        details=details,
    )  # fmt: skip
