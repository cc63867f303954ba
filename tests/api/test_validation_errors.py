"""Bad input gets a clear 422 that does not echo what was sent, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.schemas import MAX_DATABASE_ID
from tests.api.conftest import PASSWORD, create_user, login


def new_conversation(client: TestClient) -> str:
    return str(client.post("/api/chat/conversations", json={"language": "nl"}).json()["conversation_id"])


def test_a_lone_surrogate_is_a_422_not_a_500(client: TestClient) -> None:
    conversation = new_conversation(client)
    response = client.post(
        f"/api/chat/conversations/{conversation}/messages",
        content=b'{"text": "hoi \\ud800 daar"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert client.get(f"/api/chat/conversations/{conversation}/messages").json() == []


def test_a_422_names_the_field_but_does_not_repeat_the_input(client: TestClient) -> None:
    conversation = new_conversation(client)
    secret = "Mijn BSN is 111222333 " + "x" * 2000
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": secret, "language": "de"})
    assert response.status_code == 422
    assert "111222333" not in response.text
    assert ["body", "language"] in [item["loc"] for item in response.json()["detail"]]


TOO_BIG = str(MAX_DATABASE_ID + 1)


def test_ids_beyond_the_database_range_are_a_422(client: TestClient) -> None:
    conversation = new_conversation(client)
    assert client.get(f"/api/chat/conversations/{conversation}/messages?after=99999999999999999999").status_code == 422
    assert client.get(f"/api/chat/conversations/{conversation}/messages?after={MAX_DATABASE_ID}").json() == []
    login(client, create_user(client, "moderator", "staff", "admin"), PASSWORD)
    for method, path in [
        ("GET", f"/api/moderator/escalations/{TOO_BIG}"),
        ("POST", f"/api/moderator/escalations/{TOO_BIG}/claim"),
        ("DELETE", f"/api/staff/tokens/{TOO_BIG}"),
    ]:
        assert client.request(method, path).status_code == 422, path
    assert client.get(f"/api/moderator/escalations/{MAX_DATABASE_ID}").status_code == 404


@pytest.mark.parametrize("limit", ["-1", "0", "10001"])
def test_the_audit_limit_must_be_sensible(client: TestClient, limit: str) -> None:
    login(client, create_user(client, "admin"), PASSWORD)
    assert client.get(f"/api/admin/audit?limit={limit}").status_code == 422
    assert client.get("/api/admin/audit?limit=5").status_code == 200


def test_oversized_bodies_are_refused_before_they_are_read(client: TestClient) -> None:
    big = b'{"username": "a", "password": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    assert client.post("/api/auth/login", content=big, headers={"Content-Type": "application/json"}).status_code == 413
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    spaces = b'{"text": "' + b" " * (1024 * 1024) + b'hoi"}'
    assert client.post(path, content=spaces, headers={"Content-Type": "application/json"}).status_code == 413
    assert client.get(path).json() == []


def test_rasas_action_calls_may_be_larger_than_a_citizens_request(client: TestClient) -> None:
    settings = client.app_state.settings  # type: ignore[attr-defined]
    call = b'{"next_action": "action_listen", "padding": "' + b"x" * (settings.max_request_bytes * 2) + b'"}'
    response = client.post(
        f"/webhook?token={settings.action_token.get_secret_value()}",
        content=call,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code != 413
