"""The api app in-process: boundary validation, the webhook's token, the document pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def new_conversation(client: TestClient) -> str:
    response = client.post("/api/chat/conversations", json={"language": "nl"})
    assert response.status_code == 201
    return str(response.json()["conversation_id"])


def test_chat_page_is_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="composer"' in page.text
    assert client.get("/static/chat.js").status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"text": ""}, "text"), ({"text": "   "}, "empty"), ({"text": "x" * 2001}, "too long"), ({}, "text"),
     ({"text": "hoi", "language": "de"}, "language")],
)  # fmt: skip
def test_bad_messages_get_a_clear_422(client: TestClient, body: dict[str, object], fragment: str) -> None:
    conversation = new_conversation(client)
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json=body)
    assert response.status_code == 422
    assert fragment in response.text
    assert client.get(f"/api/chat/conversations/{conversation}/messages").json() == []


def test_unknown_conversation_is_404(client: TestClient) -> None:
    response = client.post("/api/chat/conversations/nope/messages", json={"text": "hoi"})
    assert response.status_code == 404
    assert client.get("/api/chat/conversations/nope/messages").status_code == 404


def test_rasa_down_is_503_and_the_message_is_kept(client: TestClient) -> None:
    conversation = new_conversation(client)
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "Wat kost een paspoort?"})
    assert response.status_code == 503
    assert "saved" in response.json()["detail"]
    kept = client.get(f"/api/chat/conversations/{conversation}/messages").json()
    assert [m["text"] for m in kept] == ["Wat kost een paspoort?"]


ACTION_CALL = {
    "next_action": "action_cancel_form",
    "sender_id": "abc",
    "tracker": {
        "sender_id": "abc", "slots": {"language": "nl"},
        "latest_message": {"text": "hello", "metadata": {"language": "en"}},
        "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    },
    "domain": {},
    "version": "3.6.21",
}  # fmt: skip


@pytest.mark.parametrize("query", ["", "?token=wrong", "?token="])
def test_webhook_refuses_calls_without_the_token(client: TestClient, query: str) -> None:
    response = client.post(f"/webhook{query}", json=ACTION_CALL)
    assert response.status_code == 401


def test_webhook_runs_actions_with_the_token(client: TestClient) -> None:
    response = client.post("/webhook?token=secret-token", json=ACTION_CALL)
    assert response.status_code == 200
    body = response.json()
    assert [message["response"] for message in body["responses"]] == ["utter_form_cancelled"]
    assert {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None} in body["events"]


def test_webhook_rejects_a_body_that_is_no_action_call(client: TestClient) -> None:
    assert client.post("/webhook?token=secret-token", json=[1, 2]).status_code == 400
    response = client.post("/webhook?token=secret-token", json={**ACTION_CALL, "next_action": "action_nope"})
    assert response.status_code == 404


def test_public_documents_are_served_and_internal_ones_do_not_exist(client: TestClient) -> None:
    page = client.get("/documents/paspoort-aanvragen")
    assert page.status_code == 200
    assert "€ 84,20" in page.text and '<h2 id="kosten">Kosten</h2>' in page.text  # the section link target
    internal = client.get("/documents/werkinstructie-spoed")
    assert internal.status_code == 404
    assert "TULP-7" not in internal.text
