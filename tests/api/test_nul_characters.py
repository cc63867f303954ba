"""A NUL character anywhere in a request is a 422 before any handler runs (PostgreSQL cannot store one)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import create_user, login


def refused(where: str) -> dict[str, object]:
    """The shape of every 422 (api/validation_errors.py)."""
    message = "Text may not contain NUL characters (U+0000)."
    return {"detail": [{"loc": [where], "msg": message, "type": "nul_character"}]}


def _conversation(client: TestClient) -> str:
    return str(client.post("/api/chat/conversations", json={"language": "nl"}).json()["conversation_id"])


def test_a_chat_message_with_a_nul_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    conversation = _conversation(client)
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "hoi \u0000 daar"})
    assert response.status_code == 422 and response.json() == refused("body")
    assert client.get(f"/api/chat/conversations/{conversation}/messages").json() == []


@pytest.mark.parametrize(
    "body",
    [b'{"text": "hoi \\u0000"}', b'{"text": "\\\\\\u0000"}'],
    ids=["json escape", "after an escaped backslash"],
)
def test_every_form_of_nul_in_a_body_is_refused(client: TestClient, body: bytes) -> None:
    response = client.post(
        f"/api/chat/conversations/{_conversation(client)}/messages",
        content=body, headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422 and response.json() == refused("body")


def test_a_raw_nul_byte_is_not_json_and_refused_as_such(client: TestClient) -> None:
    response = client.post(
        f"/api/chat/conversations/{_conversation(client)}/messages",
        content=b'{"text": "hoi\x00"}', headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422


def test_an_escaped_backslash_followed_by_u0000_is_text_not_a_nul(client: TestClient) -> None:
    """A citizen who types the six characters \\u0000 sends JSON "\\\\u0000": that is no NUL."""
    response = client.post(
        f"/api/chat/conversations/{_conversation(client)}/messages",
        content=b'{"text": "zie \\\\u0000"}', headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code != 422


def test_a_nul_in_a_query_is_refused_before_the_search_audits_it(client: TestClient) -> None:
    login(client, create_user(client, "staff", teams=("burgerzaken",)))
    response = client.get("/api/staff/search?q=paspoort%00")
    assert response.status_code == 422 and response.json() == refused("query")
    client.cookies.clear()
