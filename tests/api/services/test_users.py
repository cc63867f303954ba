"""Users: creation rules, Argon2id passwords, sessions that expire, API tokens that can be revoked."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import ApiTokenRow, SessionRow, UserRow, utcnow
from api.services.users import UserError, UserStore
from tests.api.services.conftest import PASSWORD


@pytest.fixture
def users(sessions: sessionmaker[Session]) -> UserStore:
    return UserStore(sessions=sessions, session_ttl=timedelta(hours=8))


def unique(name: str) -> str:
    """The PostgreSQL database is shared by the session's tests: usernames must not collide."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def deactivate(sessions: sessionmaker[Session], user_id: int) -> None:
    with sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.id == user_id).values(active=False))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"password": "short"}, "at least"), ({"roles": ["boss"]}, "Roles"), ({"roles": []}, "Roles"),
     ({"username": " "}, "username"), ({"username": "x" * 65}, "username")],
)  # fmt: skip
def test_user_creation_is_validated(users: UserStore, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"username": unique("u"), "password": PASSWORD, "roles": ["staff"]}
    arguments.update(kwargs)
    with pytest.raises(UserError, match=message):
        users.create(**arguments)  # type: ignore[arg-type]


def test_usernames_are_normalised_and_unique(users: UserStore) -> None:
    name = unique("anna")
    user = users.create(username=f"  {name.upper()} ", password=PASSWORD, roles=["staff", "staff"], teams=["b", "a"])
    assert user.username == name and user.display_name == name
    assert user.roles == {"staff"} and user.teams == {"a", "b"}
    with pytest.raises(UserError, match="exists already"):
        users.create(username=name, password=PASSWORD, roles=["moderator"])
    assert [u.username for u in users.all()].count(name) == 1


def test_passwords_are_stored_as_argon2id_hashes(users: UserStore, sessions: sessionmaker[Session]) -> None:
    name = unique("bert")
    users.create(username=name, password=PASSWORD, roles=["staff"])
    with sessions() as session:
        stored = session.scalars(select(UserRow.password_hash).where(UserRow.username == name)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_authenticate_checks_the_password_and_the_account(users: UserStore, sessions: sessionmaker[Session]) -> None:
    name = unique("carla")
    created = users.create(username=name, password=PASSWORD, roles=["moderator"])
    assert users.authenticate(username=f" {name.upper()}", password=PASSWORD) == created
    assert users.authenticate(username=name, password=PASSWORD + "!") is None
    assert users.authenticate(username=unique("nobody"), password=PASSWORD) is None
    deactivate(sessions, created.id)
    assert users.authenticate(username=name, password=PASSWORD) is None
    assert users.get(created.id) is None


def test_sessions_expire_and_can_be_closed(users: UserStore, sessions: sessionmaker[Session]) -> None:
    user = users.create(username=unique("dirk"), password=PASSWORD, roles=["staff"])
    now = utcnow()
    token = users.open_session(user, now=now)
    assert users.user_for_session(token, now=now + timedelta(hours=7, minutes=59)) == user
    assert users.user_for_session(token, now=now + timedelta(hours=8)) is None
    assert users.user_for_session(token + "x", now=now) is None
    with sessions() as session:  # only a hash of the cookie's token is stored
        assert session.scalars(select(SessionRow).where(SessionRow.token_hash == token)).first() is None
    users.close_session(token)
    assert users.user_for_session(token, now=now) is None


def test_opening_a_session_sweeps_expired_ones(users: UserStore, sessions: sessionmaker[Session]) -> None:
    user = users.create(username=unique("eva"), password=PASSWORD, roles=["staff"])
    users.open_session(user, now=utcnow() - timedelta(hours=9))
    users.open_session(user)
    with sessions() as session:
        rows = session.scalars(select(SessionRow).where(SessionRow.user_id == user.id)).all()
    assert len(rows) == 1


def test_a_deactivated_users_sessions_and_tokens_stop_working(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    user = users.create(username=unique("frank"), password=PASSWORD, roles=["staff"])
    session_token = users.open_session(user)
    _, api_token = users.create_token(user, name="script")
    deactivate(sessions, user.id)
    assert users.user_for_session(session_token) is None
    assert users.user_for_token(api_token) is None


def test_api_tokens_are_shown_once_and_only_their_owner_revokes_them(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    owner = users.create(username=unique("gert"), password=PASSWORD, roles=["staff"])
    other = users.create(username=unique("hanna"), password=PASSWORD, roles=["staff"])
    token_id, token = users.create_token(owner, name="zaaksysteem")
    assert token.startswith("lkt_")
    assert users.user_for_token(token) == owner
    with sessions() as session:
        assert session.scalars(select(ApiTokenRow.token_hash).where(ApiTokenRow.id == token_id)).one() != token
    [(listed_id, name, _created, revoked)] = users.tokens(owner)
    assert (listed_id, name, revoked) == (token_id, "zaaksysteem", False)
    assert users.tokens(other) == []

    assert users.revoke_token(other, token_id) is False
    assert users.user_for_token(token) == owner
    assert users.revoke_token(owner, token_id) is True
    assert users.user_for_token(token) is None
    assert users.tokens(owner)[0][3] is True
    assert users.revoke_token(owner, 999_999) is False


def test_has_role_is_any_of(users: UserStore) -> None:
    user = users.create(username=unique("ines"), password=PASSWORD, roles=["staff", "moderator"])
    assert user.has_role("admin", "moderator")
    assert not user.has_role("admin")
    assert not user.has_role()
