"""Users: creation rules (password strength, real teams), Argon2id passwords, sessions that expire,
API tokens that expire, carry a scope and can be revoked; disabling, enabling, resetting and revoking an
account; the audit entries of all of it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditEntry, AuditLog
from api.services.database import (
    ApiTokenRow,
    SessionRow,
    UserRow,
    create_schema,
    make_engine,
    make_sessionmaker,
    utcnow,
)
from api.services.schema_migrations import alembic_config
from api.services.users import UnknownUser, User, UserConflict, UserError, UserStore
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory
from tests.api.services.conftest import PASSWORD

NEW_PASSWORD = "hooibaal paraplu tijger 7"


@pytest.fixture
def users(sessions: sessionmaker[Session]) -> UserStore:
    return UserStore(
        sessions=sessions, session_ttl=timedelta(hours=8), token_ttl=timedelta(days=90),
        teams=TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"),
    )  # fmt: skip


def unique(name: str) -> str:
    """The PostgreSQL database is shared by the session's tests: usernames must not collide."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def deactivate(sessions: sessionmaker[Session], user_id: int) -> None:
    with sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.id == user_id).values(active=False))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"password": "short"}, "at least"), ({"roles": ["boss"]}, "Roles"), ({"roles": []}, "Roles"),
     ({"username": " "}, "username"), ({"username": "x" * 65}, "username"),
     ({"password": "aaaaaaaaaaaa"}, 'Repeats like "aaa"'), ({"password": "password1234"}, "very common password"),
     ({"username": "sanne.devries", "password": "sannedevries2024"}, "too easy to guess"),
     ({"display_name": "x" * 129}, "display name")],
)  # fmt: skip
def test_user_creation_is_validated(users: UserStore, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"username": unique("u"), "password": PASSWORD, "roles": ["staff"]}
    arguments.update(kwargs)
    with pytest.raises(UserError, match=message):
        users.create(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "code", "details"),
    [({"password": "short"}, "password_too_short", {"min_length": 12}),
     ({"password": "aaaaaaaaaaaa"}, "password_too_weak", {"score": 0, "min_score": 3, "weaknesses": ["repeats"]}),
     ({"roles": ["boss"]}, "unknown_role", {}),
     ({"username": " "}, "username_invalid", {}),
     ({"display_name": "x" * 129}, "display_name_too_long", {})],
)  # fmt: skip
def test_a_refusal_carries_a_code_and_its_figures(
    users: UserStore, kwargs: dict[str, object], code: str, details: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"username": unique("u"), "password": PASSWORD, "roles": ["staff"], **kwargs}
    with pytest.raises(UserError) as refused:
        users.create(**arguments)  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.details) == (code, details)


def test_usernames_are_normalised_and_unique(users: UserStore) -> None:
    name = unique("anna")
    user = users.create(
        username=f"  {name.upper()} ", password=PASSWORD, roles=["staff", "staff"], teams=["wonen", "afval"]
    )
    assert user.username == name and user.display_name == name
    assert user.roles == {"staff"} and user.teams == {"afval", "wonen"}
    with pytest.raises(UserError, match="exists already") as taken:
        users.create(username=name, password=PASSWORD, roles=["moderator"])
    assert taken.value.code == "username_taken"
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
    _, api_token = users.create_token(user, name="script", scopes=["search"])
    deactivate(sessions, user.id)
    assert users.user_for_session(session_token) is None
    assert users.user_for_token(api_token) is None


def test_api_tokens_are_shown_once_and_only_their_owner_revokes_them(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    owner = users.create(username=unique("gert"), password=PASSWORD, roles=["staff"])
    other = users.create(username=unique("hanna"), password=PASSWORD, roles=["staff"])
    created, token = users.create_token(owner, name="zaaksysteem", scopes=["search"])
    token_id = created.id
    assert token.startswith("lkt_")
    assert users.user_for_token(token) == owner
    with sessions() as session:
        assert session.scalars(select(ApiTokenRow.token_hash).where(ApiTokenRow.id == token_id)).one() != token
    [listed] = users.tokens(owner)
    assert (listed.id, listed.name, listed.revoked) == (token_id, "zaaksysteem", False)
    assert users.tokens(other) == []

    assert users.revoke_token(other, token_id) is False
    assert users.user_for_token(token) == owner
    assert users.revoke_token(owner, token_id) is True
    assert users.user_for_token(token) is None
    assert users.tokens(owner)[0].revoked is True
    assert users.revoke_token(owner, 999_999) is False


def test_has_role_is_any_of(users: UserStore) -> None:
    user = users.create(username=unique("ines"), password=PASSWORD, roles=["staff", "moderator"])
    assert user.has_role("admin", "moderator")
    assert not user.has_role("admin")
    assert not user.has_role()


# --- teams -------------------------------------------------------------------------------------


@pytest.mark.parametrize("team", ["no_such_team_xyz", "uwv", "crisis"])
def test_teams_come_from_the_directory_and_are_teams(users: UserStore, team: str) -> None:
    """External organisations (uwv) and the crisis queue are no teams a person belongs to."""
    with pytest.raises(UserError, match=f"Unknown team {team}; the teams are: burgerzaken, belastingen, afval"):
        users.create(username=unique("kees"), password=PASSWORD, roles=["staff"], teams=["afval", team])
    assert users.create(username=unique("kees"), password=PASSWORD, roles=["staff"], teams=["afval"]).teams == {"afval"}


# --- disable, enable, reset, revoke ------------------------------------------------------------


def entries(sessions: sessionmaker[Session], target: str) -> list[AuditEntry]:
    """This target's audit entries, newest first (the PostgreSQL database is shared by the session's tests)."""
    return [e for e in AuditLog(sessions=sessions).entries() if e.target_id == target]


def with_access(users: UserStore) -> tuple[User, str, str]:
    """A user with an open session and an API token."""
    user = users.create(username=unique("lotte"), password=PASSWORD, roles=["staff"], teams=["afval"])
    return user, users.open_session(user), users.create_token(user, name="script")[1]


def test_disabling_ends_sessions_and_tokens_at_once(users: UserStore, sessions: sessionmaker[Session]) -> None:
    user, session_token, api_token = with_access(users)
    admin = users.create(username=unique("admin"), password=PASSWORD, roles=["admin"])
    ended = users.disable(user.username.upper(), actor=admin.username, actor_id=admin.id)
    assert (ended.sessions, ended.tokens) == (1, 1)
    with sessions() as session:  # not just refused: gone, and revoked
        assert session.scalars(select(SessionRow).where(SessionRow.user_id == user.id)).all() == []
        assert session.scalars(select(ApiTokenRow.revoked).where(ApiTokenRow.user_id == user.id)).all() == [True]
    assert users.user_for_session(session_token) is None and users.user_for_token(api_token) is None
    assert users.authenticate(username=user.username, password=PASSWORD) is None
    assert users.find(user.username).active is False
    [listed] = [u for u in users.all() if u.id == user.id]
    assert listed.active is False
    [entry] = [e for e in entries(sessions, user.username) if e.action == "user.disabled"]
    assert (entry.actor, entry.details) == (admin.username, {"sessions_ended": 1, "tokens_revoked": 1})
    [revoked] = [
        e for e in AuditLog(sessions=sessions).entries(action="token.revoked") if e.details["owner"] == user.username
    ]
    assert revoked.actor == admin.username and revoked.details["reason"] == "user.disabled"

    enabled = users.enable(user.username, actor=admin.username, actor_id=admin.id)
    assert enabled.active and users.authenticate(username=user.username, password=PASSWORD) == enabled
    assert users.user_for_token(api_token) is None  # old tokens stay revoked
    assert entries(sessions, user.username)[1].action == "user.enabled"  # [0]: the login just now


def test_an_admin_cannot_disable_themself(users: UserStore) -> None:
    admin = users.create(username=unique("admin"), password=PASSWORD, roles=["admin"])
    with pytest.raises(UserConflict, match="your own account"):
        users.disable(admin.username, actor=admin.username, actor_id=admin.id)
    assert users.find(admin.username).active


def test_unknown_users_are_an_error(users: UserStore) -> None:
    for change in (users.disable, users.enable, users.revoke_access):
        with pytest.raises(UnknownUser):
            change(unique("nobody"), actor="cli:root")
    with pytest.raises(UnknownUser):
        users.reset_password(unique("nobody"), password=NEW_PASSWORD, actor="cli:root")


def test_a_password_reset_ends_sessions_and_follows_the_rule(users: UserStore, sessions: sessionmaker[Session]) -> None:
    user, session_token, api_token = with_access(users)
    with pytest.raises(UserError, match="too easy to guess"):
        users.reset_password(user.username, password="aaaaaaaaaaaa", actor="cli:root")
    with pytest.raises(UserError, match="too easy to guess"):  # the username counts as a guess
        users.reset_password(user.username, password=user.username + "2024", actor="cli:root")
    assert users.user_for_session(session_token) == user  # nothing changed by a refused reset
    ended = users.reset_password(user.username, password=NEW_PASSWORD, actor="cli:root")
    assert (ended.sessions, ended.tokens) == (1, 0)
    assert users.user_for_session(session_token) is None
    assert users.user_for_token(api_token) == user  # integrations keep working
    assert users.authenticate(username=user.username, password=PASSWORD) is None
    assert users.authenticate(username=user.username, password=NEW_PASSWORD) == user
    [entry] = [e for e in entries(sessions, user.username) if e.action == "user.password_reset"]
    assert entry.actor == "cli:root" and NEW_PASSWORD not in str(entry.details)


def test_revoking_ends_all_access_but_keeps_the_account(users: UserStore, sessions: sessionmaker[Session]) -> None:
    user, session_token, api_token = with_access(users)
    users.create_token(user, name="second", scopes=["route"])
    ended = users.revoke_access(user.username, actor="cli:root")
    assert (ended.sessions, ended.tokens) == (1, 2)
    assert users.user_for_session(session_token) is None and users.user_for_token(api_token) is None
    assert all(token.revoked for token in users.tokens(user))
    assert users.authenticate(username=user.username, password=PASSWORD) == user  # may log in again
    assert "user.access_revoked" in [e.action for e in entries(sessions, user.username)]


# --- tokens: expiry and scope ------------------------------------------------------------------


def test_tokens_expire_after_the_ttl(users: UserStore) -> None:
    user = users.create(username=unique("mia"), password=PASSWORD, roles=["staff"])
    made = utcnow() - timedelta(days=30)
    created, token = users.create_token(user, name="script", now=made)
    assert created.expires_at == made + timedelta(days=90)
    assert users.token_login(token, now=made + timedelta(days=89, hours=23)) is not None
    assert users.token_login(token, now=made + timedelta(days=90)) is None
    assert users.tokens(user)[0].expires_at == created.expires_at


def test_tokens_carry_their_scope(users: UserStore) -> None:
    user = users.create(username=unique("nico"), password=PASSWORD, roles=["staff"])
    for scopes in ([], ["admin"], ["search", "everything"]):
        with pytest.raises(UserError, match="search, route"):
            users.create_token(user, name="x", scopes=scopes)
    _, token = users.create_token(user, name="both", scopes=["route", "search", "route"])
    login = users.token_login(token)
    assert login is not None and login[0] == user and login[1].scopes == {"search", "route"}
    _, default = users.create_token(user, name="default")
    assert users.token_login(default)[1].scopes == {"search"}  # type: ignore[index]


def test_tokens_from_before_expiry_and_scope_count_from_their_creation(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    user = users.create(username=unique("olga"), password=PASSWORD, roles=["staff"])
    created, token = users.create_token(user, name="old", scopes=["route"])
    made = datetime(2026, 1, 1, tzinfo=created.created_at.tzinfo)
    with sessions.begin() as session:  # as a database from before the two columns has them
        session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == created.id)
            .values(created_at=made, expires_at=None, scopes=None)
        )
    [listed] = users.tokens(user)
    assert listed.expires_at == made + timedelta(days=90) and listed.scopes == {"search"}
    assert users.token_login(token, now=made + timedelta(days=89)) is not None
    assert users.token_login(token, now=made + timedelta(days=91)) is None


# --- the audit trail of logging in and of tokens -----------------------------------------------


def test_logins_logouts_and_failures_are_audited_without_the_password(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    user = users.create(username=unique("piet"), password=PASSWORD, roles=["moderator"])
    assert users.authenticate(username=user.username, password="wrong password here") is None
    users.close_session(users.open_session(users.authenticate(username=user.username, password=PASSWORD)))  # type: ignore[arg-type]
    typed = "  " + unique("Ghost") + "x" * 80
    assert users.authenticate(username=typed, password=PASSWORD) is None

    trail = [(e.actor, e.action, e.details) for e in reversed(entries(sessions, user.username))]
    assert trail == [
        ("system", "user.created", {"roles": ["moderator"], "teams": []}),
        (user.username, "user.login_failed", {"reason": "wrong_password"}),
        (user.username, "user.login", {}),
        (user.username, "user.logout", {}),
    ]
    [ghost] = entries(sessions, typed[:64])
    assert (ghost.actor, ghost.action, ghost.target_type) == (typed[:64], "user.login_failed", "user")
    assert ghost.details == {"reason": "unknown_user"}
    everything = str([(e.actor, e.target_id, e.details) for e in AuditLog(sessions=sessions).entries()])
    assert PASSWORD not in everything and "wrong password here" not in everything


def test_token_creation_and_revocation_are_audited_without_the_value(
    users: UserStore, sessions: sessionmaker[Session]
) -> None:
    user = users.create(username=unique("quinn"), password=PASSWORD, roles=["staff"])
    created, token = users.create_token(user, name="zaaksysteem", scopes=["route"])
    assert users.revoke_token(user, created.id) and users.revoke_token(user, created.id)  # twice: one entry
    trail = [e for e in AuditLog(sessions=sessions).entries() if e.target_type == "api_token"
             and e.target_id == str(created.id)]  # fmt: skip
    assert [(e.action, e.actor) for e in trail] == [("token.revoked", user.username), ("token.created", user.username)]
    assert trail[1].details == {
        "name": "zaaksysteem", "owner": user.username, "scopes": ["route"],
        "expires_at": created.expires_at.isoformat(),
    }  # fmt: skip
    with sessions() as session:
        stored_hash = session.scalars(select(ApiTokenRow.token_hash).where(ApiTokenRow.id == created.id)).one()
    assert token not in str(trail) and stored_hash not in str(trail)


def test_a_database_from_before_expiry_and_scope_gets_the_columns_and_keeps_its_tokens(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    users = UserStore(sessions=make_sessionmaker(engine), session_ttl=timedelta(hours=1))
    user = users.create(username="rik", password=PASSWORD, roles=["staff"])
    _, token = users.create_token(user, name="old", scopes=["route"])
    with engine.connect() as connection, connection.begin():  # as the table was: release 427aa63
        command.downgrade(alembic_config(connection), "0001")
    create_schema(engine)  # what the api and the CLI do at start
    login = users.token_login(token)
    assert login is not None and login[1].scopes == {"search"}
    assert login[1].expires_at == login[1].created_at + timedelta(days=90)
    engine.dispose()
