"""Rasa's action-server protocol at POST /webhook: the shared token first, then rasa-sdk's answers
and error codes (400, 404, 449) as Rasa expects them. The actions run in the app (conftest)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

WEBHOOK = "/webhook?token=secret-token"

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
    response = client.post(WEBHOOK, json=ACTION_CALL)
    assert response.status_code == 200
    body = response.json()
    assert [message["response"] for message in body["responses"]] == ["utter_form_cancelled"]
    assert {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None} in body["events"]


def test_the_token_is_a_query_parameter_not_a_header(client: TestClient) -> None:
    response = client.post("/webhook", json=ACTION_CALL, headers={"Authorization": "Bearer secret-token"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing or wrong action token."}


def test_a_body_that_is_not_json_is_a_400(client: TestClient) -> None:
    response = client.post(WEBHOOK, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Body must be a JSON action call."}
    assert client.post(WEBHOOK, json=[1, 2]).status_code == 400
    assert client.post(WEBHOOK, json={"sender_id": "abc"}).status_code == 400  # no next_action


def test_an_unknown_action_is_a_404_naming_it(client: TestClient) -> None:
    response = client.post(WEBHOOK, json={**ACTION_CALL, "next_action": "action_nope"})
    assert response.status_code == 404
    assert response.json()["action_name"] == "action_nope"


def test_a_call_without_the_domain_asks_rasa_to_resend_it(client: TestClient) -> None:
    """Rasa sends only the domain's digest once it has sent the domain; an action server that does
    not know that digest answers 449, and Rasa resends the call with the domain."""
    call: dict[str, Any] = {key: value for key, value in ACTION_CALL.items() if key != "domain"}
    response = client.post(WEBHOOK, json={**call, "domain_digest": "not-a-digest-this-server-knows"})
    assert response.status_code == 449
    assert response.json()["action_name"] == "action_cancel_form"
