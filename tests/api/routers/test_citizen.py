"""The citizen side: the chat page, the chat API (validation, busy replies, retries under an
Idempotency-Key, Rasa down) and the public document pages.

Rasa is the edge of the system: the app's gateway is swapped (dependency_overrides) for one
whose bot is a fake Rasa; everything else is the app's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import get_gateway
from api.services.admission import Admission
from api.services.chat import ChatGateway
from api.services.conversation_locks import LocalConversationLocks
from api.services.redaction import Redactor
from api.settings import PROJECT_ROOT

NOTICES: Any = {
    "no_reply": {"nl": "Sorry.", "en": "Sorry."},
    "busy": {"nl": "Het is erg druk.", "en": "It is very busy."},
    "unavailable": {"nl": "Niet bereikbaar.", "en": "Not available."},
}

# The real catalogue and domain: the notices and the form's contact questions are data, not an edge.
REDACTOR = Redactor.load(
    messages_file=PROJECT_ROOT / "data" / "handoff_messages.yml", domain_file=PROJECT_ROOT / "domain.yml"
)


class SlowRasa:
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0

    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        return [{"text": f"antwoord op: {text}"}]


@pytest.fixture
def fake_rasa(client: TestClient) -> Iterator[SlowRasa]:
    rasa = SlowRasa(delay_s=0)
    gateway = ChatGateway(
        store=client.app_state.store,  # type: ignore[attr-defined]
        bot=rasa,
        notices=NOTICES,
        admission=Admission(capacity=1, queue_limit=0, max_wait_s=1, retry_after_s=3),
        redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=1),
    )
    client.app.dependency_overrides[get_gateway] = lambda: gateway  # type: ignore[attr-defined]
    yield rasa
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def new_conversation(client: TestClient, language: str = "nl") -> str:
    response = client.post("/api/chat/conversations", json={"language": language})
    assert response.status_code == 201
    return str(response.json()["conversation_id"])


def test_a_retry_with_the_same_key_gets_the_same_answer_once(client: TestClient, fake_rasa: SlowRasa) -> None:
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    first = client.post(path, json={"text": "Wat kost een paspoort?"}, headers={"Idempotency-Key": "abc-1"})
    again = client.post(path, json={"text": "Wat kost een paspoort?"}, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 200
    assert again.json()["messages"] == first.json()["messages"]
    assert fake_rasa.calls == 1
    assert [m["author"] for m in client.get(path).json()] == ["citizen", "bot"]


@pytest.mark.parametrize("key", ["", "x" * 65, "spatie erin", "<script>"])
def test_a_malformed_idempotency_key_is_a_clear_422(client: TestClient, fake_rasa: SlowRasa, key: str) -> None:
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    response = client.post(path, json={"text": "hoi"}, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.text
    assert client.get(path).json() == []


def test_past_capacity_the_reply_is_429_with_retry_after_in_the_conversation_language(
    client: TestClient, fake_rasa: SlowRasa
) -> None:
    fake_rasa.delay_s = 0.5
    busy_one, waiting = new_conversation(client), new_conversation(client, "en")

    async def both() -> list[Any]:
        # Two requests at once against the app (capacity 1, no queue): one is answered, one refused.
        import httpx

        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = asyncio.create_task(
                http.post(f"/api/chat/conversations/{busy_one}/messages", json={"text": "Wat kost een paspoort?"})
            )
            await asyncio.sleep(0.1)
            second = await http.post(
                f"/api/chat/conversations/{waiting}/messages", json={"text": "How much is a passport?"}
            )
            return [await first, second]

    answered, refused = client.portal.call(both)  # type: ignore[union-attr]
    assert answered.status_code == 200
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3"
    assert refused.json()["detail"] == NOTICES["busy"]["en"]
    assert client.get(f"/api/chat/conversations/{waiting}/messages").json() == []


def test_rasa_down_is_503_with_retry_after_and_the_message_is_kept_once(client: TestClient) -> None:
    # The shared app's Rasa port has nothing listening.
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    for _ in range(2):
        response = client.post(path, json={"text": "Wat kost een paspoort?"}, headers={"Idempotency-Key": "k1"})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "bewaard" in response.json()["detail"]
    assert [m["text"] for m in client.get(path).json()] == ["Wat kost een paspoort?"]


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


def test_public_documents_are_served_and_internal_ones_do_not_exist(client: TestClient) -> None:
    page = client.get("/documents/paspoort-aanvragen")
    assert page.status_code == 200
    assert "€ 84,20" in page.text and '<h2 id="kosten">Kosten</h2>' in page.text  # the section link target
    internal = client.get("/documents/werkinstructie-spoed")
    assert internal.status_code == 404
    assert "TULP-7" not in internal.text


def test_with_rasa_down_a_citizen_in_crisis_still_gets_113_and_a_priority_escalation(client: TestClient) -> None:
    # The shared app's Rasa port has nothing listening: the gateway answers with Rasa's own texts.
    conversation = new_conversation(client)
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "Ik wil niet meer leven"})
    assert response.status_code == 200
    replies = [m["text"] for m in response.json()["messages"] if m["author"] == "bot"]
    assert "113" in replies[0] and "112" in replies[0] and "medewerker" in replies[1]
    [case] = client.app_state.moderation._workflow.escalations(conversation_id=conversation)  # type: ignore[attr-defined]
    assert (case.reason, case.priority) == ("crisis", "high")


# --- deleting a conversation (AVG art. 17) -----------------------------------------------------


def erasures_of(client: TestClient, conversation: str) -> list[Any]:
    audit = client.app_state.audit  # type: ignore[attr-defined]
    return [e for e in audit.entries(action="conversation.erased") if e.target_id == conversation]


def test_the_citizen_deletes_the_conversation_and_it_is_gone(client: TestClient, fake_rasa: SlowRasa) -> None:
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}"
    assert client.post(f"{path}/messages", json={"text": "Wat kost een paspoort?"}).status_code == 200

    response = client.delete(path)

    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{path}/messages").status_code == 404
    assert client.post(f"{path}/messages", json={"text": "hoi"}).status_code == 404
    assert client.delete(path).status_code == 404
    [entry] = erasures_of(client, conversation)
    assert entry.actor == "citizen" and entry.details["by"] == "citizen" and entry.details["messages"] == 2


@pytest.mark.parametrize("bad", ["x" * 65, "spatie erin", "a.b", "%00"])
def test_a_malformed_conversation_id_is_a_clear_422(client: TestClient, bad: str) -> None:
    response = client.delete(f"/api/chat/conversations/{bad}")
    assert response.status_code == 422
    assert "conversation_id" in response.text


def test_another_site_cannot_delete_a_conversation(client: TestClient, fake_rasa: SlowRasa) -> None:
    conversation = new_conversation(client)
    response = client.delete(f"/api/chat/conversations/{conversation}", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get(f"/api/chat/conversations/{conversation}/messages").status_code == 200


def test_deleting_waits_for_a_running_turn_and_says_busy_when_it_takes_too_long(
    client: TestClient, fake_rasa: SlowRasa
) -> None:
    """Erasure takes the conversation's turn lock: no turn is halfway when its rows go."""
    fake_rasa.delay_s = 1.5  # longer than the fake gateway's lock wait (1 s)
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}"

    async def turn_and_delete() -> list[Any]:
        import httpx

        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            turn = asyncio.create_task(http.post(f"{path}/messages", json={"text": "Wat kost een paspoort?"}))
            await asyncio.sleep(0.1)
            refused = await http.delete(path)
            return [await turn, refused]

    answered, refused = client.portal.call(turn_and_delete)  # type: ignore[union-attr]
    assert answered.status_code == 200
    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    assert [m["author"] for m in client.get(f"{path}/messages").json()] == ["citizen", "bot"]
    assert client.delete(path).status_code == 204


def test_every_text_of_the_page_is_in_both_languages_of_its_catalogue() -> None:
    """chat.html's data-i18n keys, and the delete button's, come from chat.js's catalogue: Dutch and English."""
    import re

    page = (PROJECT_ROOT / "api" / "web" / "chat.html").read_text(encoding="utf-8")
    script = (PROJECT_ROOT / "api" / "web" / "static" / "chat.js").read_text(encoding="utf-8")
    dutch = script[script.index("  nl: {") : script.index("  en: {")]
    english = script[script.index("  en: {") : script.index("};")]

    def keys(block: str) -> set[str]:
        return set(re.findall(r"(\w+):\s*\"", block))

    used = set(re.findall(r'data-i18n(?:-placeholder)?="(\w+)"', page))
    assert {"deleteButton", "deleteQuestion", "deleteConfirm", "deleteCancel"} <= used
    assert used | {"deleted", "deleteFailed"} <= keys(dutch) == keys(english)
    assert "Gesprek verwijderen" in dutch and "Delete" not in dutch and "verwijderen" not in english
