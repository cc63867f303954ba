"""Login, logout and "who am I" over HTTP: the session cookie and what it reveals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.deps import SESSION_COOKIE
from tests.api.conftest import PASSWORD, create_user, login


def test_login_sets_an_httponly_strict_cookie_and_me_works(client: TestClient) -> None:
    name = create_user(client, "moderator")
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=28800" in cookie  # the 8-hour session TTL
    assert "Secure" not in cookie  # development settings: plain HTTP on localhost works
    assert client.get("/api/auth/me").json()["roles"] == ["moderator"]
    client.post("/api/auth/logout")
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401


def test_login_and_me_describe_the_user(client: TestClient) -> None:
    name = create_user(client, "staff", "admin", teams=("wonen", "afval"))
    client.cookies.clear()
    body = client.post("/api/auth/login", json={"username": name.upper(), "password": PASSWORD}).json()
    expected = {
        "username": name,
        "display_name": name.title(),
        "roles": ["admin", "staff"],
        "teams": ["afval", "wonen"],
    }
    assert body == expected
    assert client.get("/api/auth/me").json() == expected
    client.cookies.clear()


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    name = create_user(client, "moderator")
    client.cookies.clear()
    wrong = client.post("/api/auth/login", json={"username": name, "password": "nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    login(client, create_user(client, "staff"))
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/api/auth/logout")
    assert response.status_code == 204
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]  # the browser drops it
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the old cookie is worthless now
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.clear()


def test_logout_without_a_session_is_harmless(client: TestClient) -> None:
    client.cookies.clear()
    assert client.post("/api/auth/logout").status_code == 204


@pytest.mark.parametrize(
    "body",
    [{"username": "", "password": "x"}, {"username": "x" * 65, "password": "x"}, {"username": "x"},
     {"username": "x", "password": "p" * 257}],
)  # fmt: skip
def test_malformed_credentials_are_a_422(client: TestClient, body: dict[str, str]) -> None:
    client.cookies.clear()
    assert client.post("/api/auth/login", json=body).status_code == 422


def test_the_login_page_is_served(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<form" in page.text.lower()
