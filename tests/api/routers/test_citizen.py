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
import yaml
from fastapi.testclient import TestClient

from api.deps import get_chat_limits, get_gateway
from api.services.admission import Admission
from api.services.bot_responses import response_texts
from api.services.chat import CONTACT_NOTICES, ChatGateway
from api.services.conversation_locks import LocalConversationLocks
from api.services.rate_limits import ChatLimits, async_storage
from api.services.redaction import Redactor
from api.settings import PROJECT_ROOT
from tests.api.conftest import page_texts

# The real catalogue, for the texts a test compares with what the page is sent.
CATALOGUE: Any = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))

NOTICES: Any = {
    "rate_limited": CATALOGUE["rate_limited"],
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
    # A NUL is refused before the route, for every path (api/nul_characters.py).
    assert ("nul_character" if bad == "%00" else "conversation_id") in response.text


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
    texts = page_texts("chat.html", "chat.js")
    assert {"deleteButton", "deleteQuestion", "deleteConfirm", "deleteCancel"} <= texts.used
    assert texts.used | {"deleted", "deleteFailed"} <= texts.dutch == texts.english
    dutch, english = texts.dutch_table, texts.english_table
    assert "Gesprek verwijderen" in dutch and "Delete" not in dutch and "verwijderen" not in english


# --- the kill switch -------------------------------------------------------------------------------


@pytest.fixture
def switches(client: TestClient) -> Iterator[Any]:
    """The app's own switches; everything is on again afterwards (the app is shared by the session)."""
    service = client.app_state.chat_switches  # type: ignore[attr-defined]
    yield service
    for name in ("chat", "answers", "forms"):
        service.set(name, on=True, actor="tester")


def test_the_page_learns_the_state_before_the_citizen_types(client: TestClient, switches: Any) -> None:
    status = client.get("/api/chat/status").json()
    assert status == {"chat": True, "answers": True, "forms": True, "open": True, "message": None}

    switches.set("chat", on=False, actor="tester")
    switches.set("forms", on=False, actor="tester")
    dutch = client.get("/api/chat/status").json()
    english = client.get("/api/chat/status", params={"language": "en"}).json()
    assert (dutch["chat"], dutch["answers"], dutch["forms"], dutch["open"]) == (False, True, False, False)
    assert dutch["message"].startswith("De chat is op dit moment niet beschikbaar. Bel 14 0123 (maandag t/m")
    assert "113" in dutch["message"] and "112" in dutch["message"]  # crisis help is never off
    assert english["message"].startswith("The chat is not available at the moment. Call 14 0123 (Monday to")


def test_a_conversation_a_person_holds_stays_open_while_the_chat_is_off(client: TestClient, switches: Any) -> None:
    held = new_conversation(client)
    with client.app_state.store._sessions.begin() as session:  # type: ignore[attr-defined]
        from api.services.database import ConversationRow

        row = session.get(ConversationRow, held)
        assert row is not None
        row.handled_by = "human"  # a moderator claimed it
    switches.set("chat", on=False, actor="tester")
    assert client.get("/api/chat/status", params={"conversation_id": held}).json()["open"] is True
    other = new_conversation(client)
    assert client.get("/api/chat/status", params={"conversation_id": other}).json()["open"] is False
    assert client.get("/api/chat/status", params={"conversation_id": "../x"}).status_code == 422


def test_with_the_chat_off_a_message_gets_the_localised_refusal_and_nothing_is_stored(
    client: TestClient, switches: Any
) -> None:
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    switches.set("chat", on=False, actor="tester", reason="test")
    response = client.post(path, json={"text": "How much does a passport cost?"}, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 503
    assert response.headers["Loket-Switched-Off"] == "chat" and "Retry-After" not in response.headers
    assert response.json()["detail"].startswith("The chat is not available at the moment.")
    dutch = client.post(path, json={"text": "Mijn BSN is 111222333", "language": "nl"})
    assert dutch.json()["detail"].startswith("De chat is op dit moment niet beschikbaar.")
    assert client.get(path).json() == []


def test_with_the_chat_off_crisis_words_still_get_113_and_an_urgent_escalation(
    client: TestClient, switches: Any
) -> None:
    conversation = new_conversation(client)
    switches.set("chat", on=False, actor="tester")
    response = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "ik wil niet meer leven"})
    assert response.status_code == 200
    [help_lines, escalated] = [m for m in response.json()["messages"] if m["author"] == "bot"]
    assert "113" in help_lines["text"] and "0800-0113" in help_lines["text"] and "112" in help_lines["text"]
    assert "voorrang" in escalated["text"]
    [case] = client.app_state.escalations.escalations(conversation_id=conversation)  # type: ignore[attr-defined]
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "crisis")


# --- long conversations: the transcript in pages, and a maximum length -----------------------------


def test_the_transcript_is_read_a_page_at_a_time(client: TestClient) -> None:
    conversation = new_conversation(client)
    store = client.app_state.store  # type: ignore[attr-defined]
    ids = [
        store.add_message(conversation_id=conversation, author="bot", text=f"bericht {n}", language="nl").id
        for n in range(105)
    ]
    path = f"/api/chat/conversations/{conversation}/messages"

    def texts(**params: int) -> list[str]:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [m["text"] for m in response.json()]

    assert texts() == [f"bericht {n}" for n in range(5, 105)]  # the latest page (100), oldest first
    assert texts(before=ids[5]) == [f"bericht {n}" for n in range(5)]  # the history before it
    assert texts(limit=2) == ["bericht 103", "bericht 104"]
    assert texts(after=ids[101]) == ["bericht 102", "bericht 103", "bericht 104"]  # what a poll gets
    assert texts(after=0, limit=3) == ["bericht 0", "bericht 1", "bericht 2"]
    for bad in ({"limit": 0}, {"limit": 501}, {"after": -1}, {"before": "x"}):
        assert client.get(path, params=bad).status_code == 422, bad


def test_a_full_conversation_is_a_409_that_asks_for_a_new_one_and_keeps_nothing(client: TestClient) -> None:
    import yaml

    catalogue = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))
    rasa = SlowRasa(delay_s=0)
    gateway = ChatGateway(
        store=client.app_state.store,  # type: ignore[attr-defined]
        bot=rasa, notices={**NOTICES, "conversation_full": catalogue["conversation_full"]},
        admission=Admission(capacity=1, queue_limit=0, max_wait_s=1, retry_after_s=3), redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=1), max_citizen_messages=1,
    )  # fmt: skip
    client.app.dependency_overrides[get_gateway] = lambda: gateway  # type: ignore[attr-defined]
    try:
        conversation = new_conversation(client)
        path = f"/api/chat/conversations/{conversation}/messages"
        assert client.post(path, json={"text": "Wat kost een paspoort?"}).status_code == 200
        refused = client.post(path, json={"text": "En een ID-kaart?"}, headers={"Idempotency-Key": "k9"})
        assert refused.status_code == 409 and refused.headers["Loket-Conversation-Full"] == "true"
        assert refused.json()["detail"] == catalogue["conversation_full"]["nl"]
        english = client.post(path, json={"text": "And an ID card?", "language": "en"})
        assert (english.status_code, english.json()["detail"]) == (409, catalogue["conversation_full"]["en"])
        assert [m["author"] for m in client.get(path).json()] == ["citizen", "bot"] and rasa.calls == 1
        # A new conversation takes the message.
        fresh = f"/api/chat/conversations/{new_conversation(client)}/messages"
        assert client.post(fresh, json={"text": "En een ID-kaart?"}).status_code == 200
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


# --- rate limits -----------------------------------------------------------------------------------


@pytest.fixture
def limits(client: TestClient) -> Iterator[Any]:
    """Installs rate limits of the test's own (in memory) in the shared app; unnamed ones far off."""

    def install(
        conversations: str = "1000/minute", per_client: str = "1000/minute", per_conversation: str = "1000/minute"
    ) -> None:
        own = ChatLimits(
            storage=async_storage(redis_url=None),
            conversations_per_client=conversations,
            messages_per_client=per_client,
            messages_per_conversation=per_conversation,
        )
        client.app.dependency_overrides[get_chat_limits] = lambda: own  # type: ignore[attr-defined]

    yield install
    client.app.dependency_overrides.pop(get_chat_limits, None)  # type: ignore[attr-defined]


def test_the_13th_message_in_a_minute_is_refused_with_retry_after_and_not_stored(
    client: TestClient, fake_rasa: SlowRasa, limits: Any
) -> None:
    limits(per_conversation="12/minute")
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    for number in range(1, 13):
        assert client.post(path, json={"text": f"vraag {number}"}).status_code == 200
    refused = client.post(path, json={"text": "vraag 13"}, headers={"Idempotency-Key": "dertien"})
    assert refused.status_code == 429
    assert 58 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Loket-Rate-Limited"] == "true"  # the page does not retry it by itself
    assert refused.json()["detail"] == CATALOGUE["rate_limited"]["nl"]
    assert fake_rasa.calls == 12
    stored = [m["text"] for m in client.get(path).json() if m["author"] == "citizen"]
    assert stored == [f"vraag {number}" for number in range(1, 13)]


def test_messages_are_limited_per_client_across_conversations_in_each_ones_language(
    client: TestClient, fake_rasa: SlowRasa, limits: Any
) -> None:
    limits(per_client="2/minute")
    dutch, english = new_conversation(client), new_conversation(client, "en")
    assert client.post(f"/api/chat/conversations/{dutch}/messages", json={"text": "hallo"}).status_code == 200
    assert client.post(f"/api/chat/conversations/{english}/messages", json={"text": "hello"}).status_code == 200
    refused_en = client.post(f"/api/chat/conversations/{english}/messages", json={"text": "hello again"})
    refused_nl = client.post(f"/api/chat/conversations/{dutch}/messages", json={"text": "nog eens"})
    assert refused_en.status_code == refused_nl.status_code == 429
    assert refused_en.json()["detail"] == CATALOGUE["rate_limited"]["en"]  # the conversation's language
    assert refused_nl.json()["detail"] == CATALOGUE["rate_limited"]["nl"]


def test_a_refused_message_with_crisis_words_still_gets_the_help_lines(client: TestClient, limits: Any) -> None:
    limits(per_conversation="1/minute")
    conversation = new_conversation(client)
    path = f"/api/chat/conversations/{conversation}/messages"
    client.post(path, json={"text": "hallo"})  # Rasa is down here: 503, but it counted
    refused = client.post(path, json={"text": "ik wil niet meer leven"})
    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert detail.startswith(CATALOGUE["rate_limited"]["nl"]) and "113" in detail and "112" in detail
    assert [m["text"] for m in client.get(path).json()] == ["hallo"]


def test_new_conversations_past_the_limit_are_refused_in_the_language_asked_for(
    client: TestClient, limits: Any
) -> None:
    limits(conversations="2/minute")
    for _ in range(2):
        new_conversation(client)
    refused = client.post("/api/chat/conversations", json={"language": "en"})
    assert refused.status_code == 429
    assert refused.headers["Loket-Rate-Limited"] == "true" and int(refused.headers["Retry-After"]) >= 58
    assert refused.json()["detail"] == CATALOGUE["rate_limited"]["en"]  # the app's own catalogue


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_and_elsewhere_the_peer(client: TestClient) -> None:
    from api.main import create_app

    settings = client.app_state.settings.model_copy(  # type: ignore[attr-defined]
        update={"trusted_proxies": ["10.0.0.0/8"], "rate_limit_conversations_per_client": "1/minute"}
    )
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.5", 40000)) as proxy:
        direct = TestClient(app, client=("198.51.100.1", 40000))

        def opened(http: TestClient, forwarded_for: str) -> int:
            return http.post("/api/chat/conversations", headers={"X-Forwarded-For": forwarded_for}).status_code

        assert opened(proxy, "203.0.113.7") == 201
        assert opened(proxy, "203.0.113.7") == 429
        assert opened(proxy, "203.0.113.8") == 201  # another citizen behind the same proxy
        # What a client writes into the header itself comes before what the proxy adds: ignored.
        assert opened(proxy, "203.0.113.99, 203.0.113.7") == 429
        # Not through a trusted proxy: the header is ignored, the peer is counted.
        assert opened(direct, "203.0.113.50") == 201
        assert opened(direct, "203.0.113.51") == 429


# --- the form's contact step -----------------------------------------------------------------------


class AskingRasa:
    """Rasa mid-complaint, the edge: it asks for the contact, then reads the form back."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        self.texts.append(text)
        if "klacht" in text:
            return [{"text": CONTACT_QUESTION}]
        return [{"text": "Klopt uw klacht?"}]


CONTACT_QUESTION = response_texts(PROJECT_ROOT / "domain.yml", ("utter_ask_complaint_contact",))[
    "utter_ask_complaint_contact"
]["nl"]


@pytest.fixture
def asking_rasa(client: TestClient) -> Iterator[AskingRasa]:
    """The app's own store, contact vault and catalogue; only Rasa is a fake."""
    rasa = AskingRasa()
    gateway = ChatGateway(
        store=client.app_state.store,  # type: ignore[attr-defined]
        bot=rasa,
        notices={kind: CATALOGUE[kind] for kind in ("no_reply", "busy", "unavailable", *CONTACT_NOTICES)},
        admission=Admission(capacity=1, queue_limit=0, max_wait_s=1, retry_after_s=3),
        redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=1),
        contacts=client.app_state.contacts,  # type: ignore[attr-defined]
    )
    client.app.dependency_overrides[get_gateway] = lambda: gateway  # type: ignore[attr-defined]
    yield rasa
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def vault_of(client: TestClient, conversation: str) -> list[tuple[str, str]]:
    return [(d.kind, d.value) for d in client.app_state.contacts.of_conversation(conversation)]  # type: ignore[attr-defined]


def test_the_contact_step_keeps_the_address_out_of_every_message(client: TestClient, asking_rasa: AskingRasa) -> None:
    conversation = new_conversation(client)
    asked = client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "Ik wil een klacht indienen"})
    assert asked.json()["expects"] == {"kind": "contact", "optional": False}

    given = client.post(f"/api/chat/conversations/{conversation}/contact", json={"email": " jan@example.nl "})

    assert given.status_code == 200, given.text
    assert [(m["author"], m["text"]) for m in given.json()["messages"]] == [
        ("citizen", "[e-mail]"),
        ("system", CATALOGUE["contact_kept"]["nl"]),
        ("bot", "Klopt uw klacht?"),
    ]
    assert given.json()["expects"] is None
    assert asking_rasa.texts[-1] == "[e-mail]"
    transcript = client.get(f"/api/chat/conversations/{conversation}/messages").text
    assert "jan@example.nl" not in transcript
    assert vault_of(client, conversation) == [("email", "jan@example.nl")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"email": "jan@example", "language": "en"}, ("contact_invalid_email", "en")),
        ({"email": "jan@example.nl", "phone": "12", "language": "nl"}, ("contact_invalid_phone", "nl")),
        ({"phone": "  "}, ("contact_missing", "nl")),  # no language: the conversation's
    ],
)
def test_a_wrong_contact_is_422_with_what_is_wrong_and_nothing_is_stored(
    client: TestClient, asking_rasa: AskingRasa, body: dict[str, str], problem: tuple[str, str]
) -> None:
    conversation = new_conversation(client)
    client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "Ik wil een klacht indienen"})
    before = client.get(f"/api/chat/conversations/{conversation}/messages").json()

    refused = client.post(f"/api/chat/conversations/{conversation}/contact", json=body)

    assert refused.status_code == 422
    assert refused.json()["detail"] == CATALOGUE[problem[0]][problem[1]]
    assert client.get(f"/api/chat/conversations/{conversation}/messages").json() == before
    assert vault_of(client, conversation) == [] and len(asking_rasa.texts) == 1


def test_a_contact_the_bot_did_not_ask_for_is_409_and_kept_nowhere(client: TestClient, asking_rasa: AskingRasa) -> None:
    conversation = new_conversation(client)
    client.post(f"/api/chat/conversations/{conversation}/messages", json={"text": "Wat kost een paspoort?"})
    refused = client.post(f"/api/chat/conversations/{conversation}/contact", json={"phone": "0612345678"})
    assert refused.status_code == 409 and refused.json()["detail"] == CATALOGUE["contact_not_asked"]["nl"]
    assert vault_of(client, conversation) == []
    assert len(client.get(f"/api/chat/conversations/{conversation}/messages").json()) == 2
    unknown = client.post("/api/chat/conversations/" + "f" * 32 + "/contact", json={"phone": "0612345678"})
    assert unknown.status_code == 404
