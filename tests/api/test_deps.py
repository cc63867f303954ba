"""Who is asking: a session cookie or an API token, and the role (and token scope) rule a router declares once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.deps import SESSION_COOKIE, CurrentUser, SettingsDep, require_role
from api.services.database import create_schema, make_engine, make_sessionmaker, utcnow
from api.services.users import User, UserStore
from api.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> Iterator[UserStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    yield UserStore(sessions=make_sessionmaker(engine), session_ttl=timedelta(hours=1))
    engine.dispose()


@pytest.fixture
def app(users: UserStore, tmp_path: Path) -> FastAPI:
    """Only the dependencies, on a real user store: no knowledge index, no Rasa."""
    app = FastAPI()
    app.state.users = users
    app.state.settings = Settings(data_dir=tmp_path / "var", api_port=8123)

    @app.get("/whoami")
    def whoami(user: CurrentUser) -> dict[str, object]:
        return {"username": user.username, "roles": sorted(user.roles)}

    @app.get("/moderators-only", dependencies=[Depends(require_role("moderator", "admin"))])
    def moderators_only() -> str:
        return "ok"

    @app.get("/search", dependencies=[Depends(require_role("staff", token_scope="search"))])
    def search() -> str:
        return "ok"

    @app.get("/port")
    def port(settings: SettingsDep) -> int:
        return settings.api_port

    return app


def make_user(users: UserStore, name: str, *roles: str) -> User:
    return users.create(username=name, password=PASSWORD, roles=list(roles))


def test_no_identity_is_a_401(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/whoami").status_code == 401
    assert client.get("/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    assert client.get("/moderators-only").status_code == 401  # who first, then what they may do


def test_a_session_cookie_identifies_the_user(app: FastAPI, users: UserStore) -> None:
    token = users.open_session(make_user(users, "anna", "staff"))
    client = TestClient(app, cookies={SESSION_COOKIE: token})
    assert client.get("/whoami").json() == {"username": "anna", "roles": ["staff"]}
    users.close_session(token)
    assert client.get("/whoami").status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_an_api_token_identifies_the_user(app: FastAPI, users: UserStore, scheme: str) -> None:
    user = make_user(users, "bot-integration", "staff")
    created, token = users.create_token(user, name="zaaksysteem")
    client = TestClient(app)
    response = client.get("/whoami", headers={"Authorization": f"{scheme} {token} "})
    assert response.json()["username"] == "bot-integration"
    users.revoke_token(user, created.id)
    assert client.get("/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_bearer_header_is_never_rescued_by_a_cookie(app: FastAPI, users: UserStore) -> None:
    """A wrong token with a valid cookie alongside is refused: the header decides."""
    session = users.open_session(make_user(users, "bert", "staff"))
    client = TestClient(app, cookies={SESSION_COOKIE: session})
    assert client.get("/whoami", headers={"Authorization": "Bearer lkt_forged"}).status_code == 401
    assert client.get("/whoami").status_code == 200


def test_require_role_lets_any_of_its_roles_in(app: FastAPI, users: UserStore) -> None:
    for name, roles in [("carla", ("moderator",)), ("dirk", ("admin",)), ("frank", ("staff", "moderator"))]:
        token = users.open_session(make_user(users, name, *roles))
        response = TestClient(app, cookies={SESSION_COOKIE: token}).get("/moderators-only")
        assert response.status_code == 200, name


def test_require_role_refuses_other_roles_with_a_403(app: FastAPI, users: UserStore) -> None:
    token = users.open_session(make_user(users, "eva", "staff"))
    response = TestClient(app, cookies={SESSION_COOKIE: token}).get("/moderators-only")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}


def test_settings_are_the_apps_own(app: FastAPI) -> None:
    """Routes read the settings the app was created with, not the process's environment."""
    assert TestClient(app).get("/port").json() == 8123


def test_a_token_passes_only_a_rule_that_names_its_scope(app: FastAPI, users: UserStore) -> None:
    user = make_user(users, "gert", "staff", "moderator")
    _, search_token = users.create_token(user, name="search", scopes=["search"])
    _, route_token = users.create_token(user, name="route", scopes=["route"])
    client = TestClient(app)

    def get(path: str, token: str) -> int:
        return client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code

    assert get("/search", search_token) == 200
    assert get("/search", route_token) == 403
    refused = client.get("/moderators-only", headers={"Authorization": f"Bearer {search_token}"})
    assert refused.status_code == 403  # a rule without a scope is for logged-in people only
    assert refused.json() == {"detail": "This API token's scope does not allow this."}
    session = users.open_session(user)
    assert TestClient(app, cookies={SESSION_COOKIE: session}).get("/moderators-only").status_code == 200


def test_an_expired_token_is_a_401(app: FastAPI, users: UserStore) -> None:
    user = make_user(users, "hanna", "staff")
    _, token = users.create_token(user, name="old", now=utcnow() - timedelta(days=91))
    assert TestClient(app).get("/search", headers={"Authorization": f"Bearer {token}"}).status_code == 401
