"""Login, logout and "who am I" over HTTP: the session cookie and what it reveals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import SESSION_COOKIE, get_login_throttle, get_users
from api.services.rate_limits import LoginThrottle, sync_storage
from tests.api.conftest import PASSWORD, create_user, login, page_texts


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


# --- the audit trail -----------------------------------------------------------------------------


def audit_of(client: TestClient, target: str) -> list[tuple[str, str, dict[str, object]]]:
    """(actor, action, details) of the entries about `target`, oldest first."""
    entries = client.app_state.audit.entries()  # type: ignore[attr-defined]
    return [(e.actor, e.action, e.details) for e in reversed(entries) if e.target_id == target]


def test_logins_failed_logins_and_logouts_are_audited_without_passwords(client: TestClient) -> None:
    name = create_user(client, "moderator")
    client.cookies.clear()
    client.post("/api/auth/login", json={"username": name, "password": "geraden wachtwoord"})
    login(client, name)
    client.post("/api/auth/logout")
    typed = f"  Onbekend-{name}"  # recorded as typed
    client.post("/api/auth/login", json={"username": typed, "password": PASSWORD})

    assert audit_of(client, name)[1:] == [  # [0]: the account's creation
        (name, "user.login_failed", {"reason": "wrong_password"}),
        (name, "user.login", {}),
        (name, "user.logout", {}),
    ]
    assert audit_of(client, typed) == [(typed, "user.login_failed", {"reason": "unknown_user"})]
    everything = str(audit_of(client, name) + audit_of(client, typed))
    assert PASSWORD not in everything and "geraden" not in everything
    client.cookies.clear()


# --- login throttling ------------------------------------------------------------------------------


class CountingUsers:
    """The app's own UserStore, counting the password checks (each an Argon2 verify)."""

    def __init__(self, users: Any) -> None:
        self._users = users
        self.checks = 0

    def authenticate(self, *, username: str, password: str) -> Any:
        self.checks += 1
        return self._users.authenticate(username=username, password=password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._users, name)


@pytest.fixture
def throttled(client: TestClient) -> Iterator[Any]:
    """A throttle of the test's own (in memory) and the counting user store, in the shared app."""
    users = CountingUsers(client.app_state.users)  # type: ignore[attr-defined]
    overrides = client.app.dependency_overrides  # type: ignore[attr-defined]

    def install(failures: str = "5 per 15 minutes", attempts: str = "1000/minute") -> CountingUsers:
        throttle = LoginThrottle(
            storage=sync_storage(redis_url=None), failures_per_username=failures, attempts_per_client=attempts
        )
        overrides[get_login_throttle] = lambda: throttle
        overrides[get_users] = lambda: users
        return users

    yield install
    overrides.pop(get_login_throttle, None)
    overrides.pop(get_users, None)
    client.cookies.clear()


def attempt(client: TestClient, username: str, password: str) -> Any:
    client.cookies.clear()
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_after_five_wrong_passwords_even_the_right_one_is_refused_without_checking_it(
    client: TestClient, throttled: Any
) -> None:
    users = throttled()
    name = create_user(client, "moderator")
    for _ in range(5):
        assert attempt(client, name, "wrong password").status_code == 401
    locked = attempt(client, name, PASSWORD)
    assert locked.status_code == 429
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    assert locked.json() == {"detail": "Too many login attempts. Try again later."}
    assert "set-cookie" not in locked.headers
    assert users.checks == 5  # the sixth attempt cost no Argon2 time
    assert attempt(client, name, PASSWORD).status_code == 429
    # The lock is in the audit log once, however many refusals follow in its window.
    throttled_entries = [entry for entry in audit_of(client, name) if entry[1] == "user.login_throttled"]
    assert throttled_entries == [(name, "user.login_throttled", {"limit": "username_and_client"})]


def test_an_unknown_username_is_locked_the_same_way(client: TestClient, throttled: Any) -> None:
    throttled()
    known, unknown = create_user(client, "staff"), "nobody-at-all"
    answers = {}
    for name in (known, unknown):
        answers[name] = [attempt(client, name, "wrong password") for _ in range(6)]
    assert [r.status_code for r in answers[known]] == [r.status_code for r in answers[unknown]] == [401] * 5 + [429]
    assert [r.json() for r in answers[known]] == [r.json() for r in answers[unknown]]


def test_a_successful_login_forgives_the_earlier_failures(client: TestClient, throttled: Any) -> None:
    throttled()
    name = create_user(client, "staff")
    for _ in range(4):
        attempt(client, name, "wrong password")
    assert attempt(client, name, PASSWORD).status_code == 200
    assert [attempt(client, name, "wrong password").status_code for _ in range(6)] == [401] * 5 + [429]


def test_one_client_may_try_so_often_whatever_the_usernames(client: TestClient, throttled: Any) -> None:
    users = throttled(attempts="3/minute")
    assert [attempt(client, f"guess-{n}", "wrong password").status_code for n in range(4)] == [401] * 3 + [429]
    assert users.checks == 3


def test_the_login_page_has_every_text_in_both_languages_including_the_lock() -> None:
    """login.html's data-i18n keys and the refusals come from login.js's catalogue: Dutch and English."""
    texts = page_texts("login.html", "login.js")
    assert {"heading", "username", "password", "submit"} <= texts.used
    assert texts.used | {"wrong", "locked", "failed"} <= texts.dutch == texts.english
    dutch, english = texts.dutch_table, texts.english_table
    assert "{minutes}" in dutch and "{minutes}" in english and "Gebruikersnaam" in dutch and "Username" in english
