"""Logins, roles and sessions at the HTTP boundary; the moderator API through it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.deps import SESSION_COOKIE
from api.services.escalations import EscalationWorkflow
from api.services.users import UserError, UserStore

PASSWORD = "correct horse battery"


def create_user(client: TestClient, *roles: str, teams: tuple[str, ...] = ()) -> str:
    users: UserStore = client.app_state.users  # type: ignore[attr-defined]
    name = f"user-{uuid.uuid4().hex[:8]}"
    users.create(username=name, password=PASSWORD, roles=list(roles), teams=list(teams), display_name=name.title())
    return name


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


def test_login_sets_an_httponly_strict_cookie_and_me_works(client: TestClient) -> None:
    name = create_user(client, "moderator")
    response = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/api/auth/me").json()["roles"] == ["moderator"]
    client.post("/api/auth/logout")
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    name = create_user(client, "moderator")
    wrong = client.post("/api/auth/login", json={"username": name, "password": "nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_no_anonymous_access_to_the_moderator_or_admin_api(client: TestClient) -> None:
    client.cookies.clear()
    for path in ("/api/moderator/escalations", "/api/moderator/teams", "/api/admin/audit", "/api/admin/audit.csv"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/moderator/escalations/1/claim").status_code == 401


def test_forged_session_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert client.get("/api/moderator/escalations").status_code == 401
    client.cookies.clear()


def test_expired_session_is_refused(client: TestClient) -> None:
    users: UserStore = client.app_state.users  # type: ignore[attr-defined]
    name = create_user(client, "moderator")
    user = users.authenticate(username=name, password=PASSWORD)
    assert user is not None
    from api.services.database import utcnow

    stale = users.open_session(user, now=utcnow() - timedelta(hours=9))  # TTL is 8 hours
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stale)
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.clear()


def test_staff_without_moderator_role_gets_403(client: TestClient) -> None:
    login(client, create_user(client, "staff", teams=("afval",)))
    assert client.get("/api/moderator/escalations").status_code == 403
    assert client.get("/api/admin/audit").status_code == 403


def test_moderator_flow_over_http_and_the_audit_export(client: TestClient) -> None:
    store = client.app_state.store  # type: ignore[attr-defined]
    conversation = store.start(language="en")
    store.add_message(conversation_id=conversation, author="citizen", text="human please", language="en")
    escalation = EscalationWorkflow(sessions=store._sessions).escalate(
        conversation_id=conversation, reason="requested_human", summary="human please", language="en"
    )

    login(client, create_user(client, "moderator"))
    queue = client.get("/api/moderator/escalations", params={"status": "open"}).json()
    assert escalation.id in [item["id"] for item in queue]
    assert client.get("/api/moderator/escalations", params={"status": "bogus"}).status_code == 422
    assert client.post(f"/api/moderator/escalations/{escalation.id}/claim").status_code == 200
    assert client.post(f"/api/moderator/escalations/{escalation.id}/claim").status_code == 409
    assert client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "  "}).status_code == 422
    assert (
        client.post(
            f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "Hello, I'm here."}
        ).status_code
        == 201
    )
    assert client.post("/api/moderator/escalations/999999/claim").status_code == 404

    # The citizen sees the person join and the reply, in English, without a bot reply.
    seen = client.get(f"/api/chat/conversations/{conversation}/messages").json()
    assert [m["author"] for m in seen] == ["citizen", "system", "moderator"]
    assert "joined" in seen[1]["text"]

    packet = client.get(f"/api/moderator/escalations/{escalation.id}").json()
    assert packet["escalation"]["summary"] == "human please"
    assert [m["author"] for m in packet["transcript"]] == ["citizen", "system", "moderator"]
    assert client.post(f"/api/moderator/escalations/{escalation.id}/hand-back").status_code == 200

    login(client, create_user(client, "admin"))
    csv_text = client.get("/api/admin/audit.csv").text
    assert f"escalation.claim,escalation,{escalation.id}" in csv_text
    assert f"escalation.hand_back,escalation,{escalation.id}" in csv_text
    # No way to change the log over HTTP.
    assert client.delete("/api/admin/audit").status_code == 405
    client.cookies.clear()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"password": "short"}, "at least"), ({"roles": ["boss"]}, "Roles"), ({"username": " "}, "username")],
)
def test_user_creation_is_validated(client: TestClient, kwargs: dict[str, object], message: str) -> None:
    users: UserStore = client.app_state.users  # type: ignore[attr-defined]
    arguments: dict[str, object] = {"username": f"u{uuid.uuid4().hex[:6]}", "password": PASSWORD, "roles": ["staff"]}
    arguments.update(kwargs)
    with pytest.raises(UserError, match=message):
        users.create(**arguments)  # type: ignore[arg-type]


def test_passwords_are_stored_as_argon2_hashes(client: TestClient) -> None:
    from sqlalchemy import select

    from api.services.database import UserRow

    name = create_user(client, "staff")
    sessions = client.app_state.store._sessions  # type: ignore[attr-defined]
    with sessions() as session:
        stored = session.scalars(select(UserRow.password_hash).where(UserRow.username == name)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
