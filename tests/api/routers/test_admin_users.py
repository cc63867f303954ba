"""The admin API for accounts: list, create, disable, enable, reset a password, revoke access; admins
only, every change audited with the admin as actor, a user's mistake a 4xx with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.deps import SESSION_COOKIE
from tests.api.conftest import PASSWORD, create_user, login

NEW_PASSWORD = "hooibaal paraplu tijger 7"


def fresh() -> str:
    return f"acc-{uuid.uuid4().hex[:8]}"


def audit_of(client: TestClient, username: str) -> list[tuple[str, str, dict[str, object]]]:
    """(actor, action, details) about this account, oldest first."""
    entries = client.get("/api/admin/audit", params={"limit": 10_000}).json()
    return [(e["actor"], e["action"], e["details"]) for e in reversed(entries) if e["target_id"] == username]


@pytest.fixture
def admin(client: TestClient) -> Iterator[str]:
    name = create_user(client, "admin")
    login(client, name)
    yield name
    client.cookies.clear()


def test_only_admins_reach_the_accounts(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/admin/users").status_code == 401
    for role in ("staff", "moderator"):
        login(client, create_user(client, role))
        assert client.get("/api/admin/users").status_code == 403
        assert client.post("/api/admin/users", json={}).status_code == 403
    client.cookies.clear()


def test_an_admin_creates_and_lists_a_user(client: TestClient, admin: str) -> None:
    name = fresh()
    body = {"username": name, "password": PASSWORD, "roles": ["staff"], "teams": ["afval"], "display_name": "Kees"}
    created = client.post("/api/admin/users", json=body)
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("username", "display_name", "roles", "teams", "active")} == {
        "username": name, "display_name": "Kees", "roles": ["staff"], "teams": ["afval"], "active": True
    }  # fmt: skip
    assert created.json() in client.get("/api/admin/users").json()
    assert "password" not in str(client.get("/api/admin/users").json()).lower()
    assert audit_of(client, name) == [(admin, "user.created", {"roles": ["staff"], "teams": ["afval"]})]
    taken = client.post("/api/admin/users", json=body)
    assert taken.status_code == 409
    assert taken.json() == {"detail": f"User {name!r} exists already.", "code": "username_taken"}


@pytest.mark.parametrize(
    ("change", "status", "fragment", "code"),
    [({"password": "aaaaaaaaaaaa"}, 422, 'Repeats like \\"aaa\\"', "password_too_weak"),
     ({"password": "kort"}, 422, "at least 12", "password_too_short"),
     ({"teams": ["no_such_team_xyz"]}, 422, "the teams are: burgerzaken", "unknown_team"),
     ({"teams": ["belastingdienst"]}, 422, "Unknown team belastingdienst", "unknown_team"),
     ({"roles": ["boss"]}, 422, "roles", None),
     ({"roles": []}, 422, "roles", None)],
)  # fmt: skip
def test_a_refused_user_says_why(
    client: TestClient, admin: str, change: dict, status: int, fragment: str, code: str | None
) -> None:
    body = {"username": fresh(), "password": PASSWORD, "roles": ["staff"], **change}
    response = client.post("/api/admin/users", json=body)
    assert response.status_code == status and fragment in response.text
    assert response.json().get("code") == code  # a list of invalid fields (roles) has its codes per field
    assert body["password"] not in response.text or len(body["password"]) < 5  # never echoed
    assert body["username"] not in [u["username"] for u in client.get("/api/admin/users").json()]


def test_disabling_a_leaver_ends_their_session_and_tokens_at_once(client: TestClient) -> None:
    leaver = create_user(client, "staff")
    login(client, leaver)
    their_session = client.cookies[SESSION_COOKIE]
    token = client.post("/api/staff/tokens", json={"name": "script"}).json()["token"]
    admin = create_user(client, "admin")
    login(client, admin)

    response = client.post(f"/api/admin/users/{leaver}/disable")
    assert response.status_code == 200 and response.json() == {"sessions_ended": 1, "tokens_revoked": 1}
    assert [u["active"] for u in client.get("/api/admin/users").json() if u["username"] == leaver] == [False]
    actions = [action for _, action, _ in audit_of(client, leaver)]
    assert actions[-1] == "user.disabled"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, their_session)
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=headers).status_code == 401
    assert client.post("/api/auth/login", json={"username": leaver, "password": PASSWORD}).status_code == 401

    login(client, admin)
    enabled = client.post(f"/api/admin/users/{leaver}/enable")
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    login(client, leaver)
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=headers).status_code == 401
    client.cookies.clear()


def test_an_admin_cannot_disable_themself_and_unknown_users_are_404(client: TestClient, admin: str) -> None:
    response = client.post(f"/api/admin/users/{admin}/disable")
    assert response.status_code == 409 and "your own account" in response.json()["detail"]
    assert response.json()["code"] == "own_account_disable"
    assert client.get("/api/auth/me").status_code == 200
    for action in ("disable", "enable", "revoke"):
        unknown = client.post(f"/api/admin/users/{fresh()}/{action}")
        assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_user"
    assert client.post(f"/api/admin/users/{fresh()}/reset-password", json={"password": NEW_PASSWORD}).status_code == 404
    assert client.post(f"/api/admin/users/{'x' * 65}/disable").status_code == 422


def test_a_password_reset_ends_the_sessions_and_follows_the_rule(client: TestClient) -> None:
    user = create_user(client, "moderator")
    login(client, user)
    their_session = client.cookies[SESSION_COOKIE]
    admin = create_user(client, "admin")
    login(client, admin)
    weak = client.post(f"/api/admin/users/{user}/reset-password", json={"password": f"{user}!!"})
    assert weak.status_code == 422 and "too easy to guess" in weak.json()["detail"]
    # The figures a page words in its own language: the score, the score needed, what makes it weak.
    assert weak.json()["code"] == "password_too_weak"
    assert weak.json()["weaknesses"][0] == "personal_words" and weak.json()["min_score"] == 3
    assert 0 <= weak.json()["score"] < 3
    reset = client.post(f"/api/admin/users/{user}/reset-password", json={"password": NEW_PASSWORD})
    assert reset.status_code == 200 and reset.json() == {"sessions_ended": 1, "tokens_revoked": 0}
    assert audit_of(client, user)[-1] == (admin, "user.password_reset", {"sessions_ended": 1, "tokens_revoked": 0})
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, their_session)
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.clear()
    assert client.post("/api/auth/login", json={"username": user, "password": PASSWORD}).status_code == 401
    login(client, user, NEW_PASSWORD)
    client.cookies.clear()


def test_revoking_ends_sessions_and_tokens_but_keeps_the_account(client: TestClient) -> None:
    user = create_user(client, "staff")
    login(client, user)
    for name in ("een", "twee"):
        client.post("/api/staff/tokens", json={"name": name})
    admin = create_user(client, "admin")
    login(client, admin)
    response = client.post(f"/api/admin/users/{user}/revoke")
    assert response.json() == {"sessions_ended": 1, "tokens_revoked": 2}
    revoked = client.get("/api/admin/audit", params={"action": "token.revoked"}).json()
    assert len([e for e in revoked if e["details"]["owner"] == user and e["actor"] == admin]) == 2
    assert audit_of(client, user)[-1][:2] == (admin, "user.access_revoked")
    login(client, user)  # still an active account
    assert all(t["revoked"] for t in client.get("/api/staff/tokens").json())
    client.cookies.clear()


def test_moving_to_another_team_takes_effect_for_sessions_and_tokens_at_once(client: TestClient) -> None:
    """The team's internal instruction is found before the move and never after, by cookie or token;
    a role taken away refuses the token; the change is audited with before and after."""
    mover = create_user(client, "staff", teams=("burgerzaken",))
    login(client, mover)
    their_session = client.cookies[SESSION_COOKIE]
    bearer = {"Authorization": f"Bearer {client.post('/api/staff/tokens', json={'name': 'script'}).json()['token']}"}

    def found(**auth: dict[str, str]) -> list[str]:
        response = client.get("/api/staff/search", params={"q": "codewoord spoedbalie"}, **auth)
        assert response.status_code == 200
        return [doc["doc_id"] for doc in response.json()]

    assert "werkinstructie-spoed" in found(headers=bearer) and "werkinstructie-spoed" in found()
    admin = create_user(client, "admin")
    login(client, admin)
    moved = client.patch(f"/api/admin/users/{mover}", json={"teams": ["afval"]})
    assert moved.status_code == 200 and moved.json()["teams"] == ["afval"] and moved.json()["roles"] == ["staff"]
    assert audit_of(client, mover)[-1] == (
        admin, "user.access_changed",
        {"before": {"roles": ["staff"], "teams": ["burgerzaken"]}, "after": {"roles": ["staff"], "teams": ["afval"]}},
    )  # fmt: skip
    client.cookies.clear()
    assert "werkinstructie-spoed" not in found(headers=bearer)
    client.cookies.set(SESSION_COOKIE, their_session)
    assert "werkinstructie-spoed" not in found()

    login(client, admin)
    assert client.patch(f"/api/admin/users/{mover}", json={"roles": ["moderator"]}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 403


def test_access_changes_are_validated(client: TestClient, admin: str) -> None:
    user = create_user(client, "staff")
    unknown_team = client.patch(f"/api/admin/users/{user}", json={"teams": ["no_such_team_xyz"]})
    assert unknown_team.status_code == 422
    assert (unknown_team.json()["code"], unknown_team.json()["teams"]) == ("unknown_team", ["no_such_team_xyz"])
    assert client.patch(f"/api/admin/users/{user}", json={"roles": []}).status_code == 422
    assert client.patch(f"/api/admin/users/{fresh()}", json={"teams": []}).status_code == 404
    own = client.patch(f"/api/admin/users/{admin}", json={"roles": ["staff"]})
    assert own.status_code == 409 and "admin role" in own.json()["detail"] and own.json()["code"] == "own_admin_role"
    assert client.get("/api/admin/users").status_code == 200  # still an admin
