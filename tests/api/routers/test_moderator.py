"""The moderator console's API over HTTP: who may use it, the queue, the packet, and each action
with its HTTP answer (404 unknown, 409 someone else's or closed, 422 invalid)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.services.database import ConversationRow, MessageRow
from api.services.escalations import Escalation, EscalationWorkflow
from tests.api.conftest import app_sessions, create_user, login


def escalate(client: TestClient, text: str = "human please", *, language: str = "en", **kwargs: object) -> Escalation:
    """A conversation with one citizen message, escalated to a person."""
    sessions = app_sessions(client)
    conversation = uuid.uuid4().hex
    with sessions.begin() as session:
        session.add(ConversationRow(id=conversation, language=language))
        session.flush()
        session.add(MessageRow(conversation_id=conversation, author="citizen", text=text, language=language))
    return EscalationWorkflow(sessions=sessions).escalate(
        conversation_id=conversation, reason="requested_human", summary=text, language=language, **kwargs
    )


def test_no_anonymous_access(client: TestClient) -> None:
    client.cookies.clear()
    for path in ("/api/moderator/escalations", "/api/moderator/teams", "/api/moderator/escalations/1"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/moderator/escalations/1/claim").status_code == 401


def test_staff_without_the_moderator_role_get_403_and_admins_get_in(client: TestClient) -> None:
    login(client, create_user(client, "staff", teams=("afval",)))
    assert client.get("/api/moderator/escalations").status_code == 403
    assert client.post("/api/moderator/escalations/1/claim").status_code == 403
    login(client, create_user(client, "admin"))
    assert client.get("/api/moderator/escalations").status_code == 200
    client.cookies.clear()


def test_the_console_page_is_served_to_anyone(client: TestClient) -> None:
    """A static page: its script asks /api/auth/me and sends visitors without a session to /login."""
    client.cookies.clear()
    page = client.get("/moderator")
    assert page.status_code == 200 and 'id="queue-title"' in page.text


def test_moderator_flow_over_http_and_the_audit_export(client: TestClient) -> None:
    escalation = escalate(client)
    login(client, create_user(client, "moderator"))
    queue = client.get("/api/moderator/escalations", params={"status": "open"}).json()
    assert escalation.id in [item["id"] for item in queue]
    assert client.get("/api/moderator/escalations", params={"status": "bogus"}).status_code == 422
    assert client.post(f"/api/moderator/escalations/{escalation.id}/claim").status_code == 200
    assert client.post(f"/api/moderator/escalations/{escalation.id}/claim").status_code == 409
    assert client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "  "}).status_code == 422
    reply = client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "Hello, I'm here."})
    assert reply.status_code == 201
    assert reply.json()["author"] == "moderator" and reply.json()["html"] is None  # what a person typed: text
    assert client.post("/api/moderator/escalations/999999/claim").status_code == 404

    # The citizen sees the person join and the reply, in English, without a bot reply.
    seen = client.get(f"/api/chat/conversations/{escalation.conversation_id}/messages").json()
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
    client.cookies.clear()


def test_the_packet_shows_who_claimed_it_and_the_internal_notes(client: TestClient) -> None:
    escalation = escalate(client)
    name = create_user(client, "moderator")
    login(client, name)
    client.post(f"/api/moderator/escalations/{escalation.id}/claim")
    note = client.post(f"/api/moderator/escalations/{escalation.id}/notes", json={"text": " Belt morgen terug. "})
    assert note.status_code == 201
    assert (note.json()["author"], note.json()["text"]) == (name.title(), "Belt morgen terug.")
    assert client.post(f"/api/moderator/escalations/{escalation.id}/notes", json={"text": ""}).status_code == 422

    packet = client.get(f"/api/moderator/escalations/{escalation.id}").json()
    assert packet["claimed_by"] == name.title()
    assert [n["text"] for n in packet["notes"]] == ["Belt morgen terug."]
    assert "Belt morgen" not in str(packet["transcript"])  # notes never reach the citizen
    assert client.get("/api/moderator/escalations/999999").status_code == 404
    client.cookies.clear()


def test_another_moderators_escalation_is_a_409(client: TestClient) -> None:
    escalation = escalate(client)
    login(client, create_user(client, "moderator"))
    client.post(f"/api/moderator/escalations/{escalation.id}/claim")
    login(client, create_user(client, "moderator"))
    for action in ("resolve", "hand-back"):
        response = client.post(f"/api/moderator/escalations/{escalation.id}/{action}")
        assert response.status_code == 409 and "Another moderator" in response.json()["detail"]
    assert client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "Hoi"}).status_code == 409
    client.cookies.clear()


def test_reassign_checks_the_team_and_tells_the_citizen(client: TestClient) -> None:
    escalation = escalate(client, "Mijn kliko is kapot", language="nl", team="klantcontact")
    login(client, create_user(client, "moderator"))
    unknown = client.post(f"/api/moderator/escalations/{escalation.id}/reassign", json={"team": "geheime_dienst"})
    assert unknown.status_code == 422 and "geheime_dienst" in unknown.json()["detail"]
    moved = client.post(f"/api/moderator/escalations/{escalation.id}/reassign", json={"team": "afval"})
    assert moved.status_code == 200
    assert (moved.json()["team"], moved.json()["status"]) == ("afval", "open")
    transcript = client.get(f"/api/moderator/escalations/{escalation.id}").json()["transcript"]
    assert transcript[-1]["author"] == "system" and "doorgezet" in transcript[-1]["text"]
    client.cookies.clear()


def test_resolving_closes_it_and_the_queue_filters(client: TestClient) -> None:
    urgent = escalate(client, priority="high", team="wonen")
    login(client, create_user(client, "moderator"))
    assert client.post(f"/api/moderator/escalations/{urgent.id}/resolve").status_code == 409  # claim it first
    client.post(f"/api/moderator/escalations/{urgent.id}/claim")
    resolved = client.post(f"/api/moderator/escalations/{urgent.id}/resolve")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert client.post(f"/api/moderator/escalations/{urgent.id}/resolve").status_code == 409

    def ids(**params: object) -> set[int]:
        response = client.get("/api/moderator/escalations", params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()}

    assert urgent.id not in ids()  # by default only what still needs a person
    assert urgent.id in ids(status="resolved", team="wonen", priority="high")
    assert urgent.id not in ids(status="resolved", team="afval")
    assert urgent.id not in ids(status="resolved", min_waiting_minutes=60)
    for bad in ({"priority": "urgent"}, {"min_waiting_minutes": -1}):
        assert client.get("/api/moderator/escalations", params=bad).status_code == 422
    client.cookies.clear()


def test_a_queue_item_carries_its_waiting_time(client: TestClient) -> None:
    escalation = escalate(client, team="afval")
    login(client, create_user(client, "moderator"))
    [item] = [i for i in client.get("/api/moderator/escalations").json() if i["id"] == escalation.id]
    assert item["waiting_minutes"] == 0 and item["overdue"] is False and item["claimed_by"] is None
    assert item["expected_minutes"] > 0
    client.cookies.clear()


def test_the_teams_to_reassign_to(client: TestClient) -> None:
    login(client, create_user(client, "moderator"))
    choices = {choice["id"]: choice for choice in client.get("/api/moderator/teams").json()}
    assert {"afval", "belastingdienst", "crisis"} <= set(choices)
    assert choices["afval"] == {"id": "afval", "name": choices["afval"]["name"], "kind": "team"}
    assert choices["belastingdienst"]["kind"] == "external" and choices["afval"]["name"]
    client.cookies.clear()
