"""The moderator console's API over HTTP: who may use it, the queue, the packet, and each action
with its HTTP answer (404 unknown, 409 someone else's or closed, 422 invalid)."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from api.services.database import ConversationRow, MessageRow
from api.services.escalations import Escalation, EscalationWorkflow
from api.settings import PROJECT_ROOT
from tests.api.conftest import app_sessions, create_user, login, page_texts


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
    again = client.post(f"/api/moderator/escalations/{escalation.id}/claim")
    assert (again.status_code, again.json()["code"]) == (409, "not_open")  # the console words the code
    empty = client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "  "})
    assert (empty.status_code, empty.json()["code"]) == (422, "text_empty")
    reply = client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "Hello, I'm here."})
    assert reply.status_code == 201
    assert reply.json()["author"] == "moderator" and reply.json()["html"] is None  # what a person typed: text
    unknown = client.post("/api/moderator/escalations/999999/claim")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "escalation_not_found")

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
    blank = client.post(f"/api/moderator/escalations/{escalation.id}/notes", json={"text": "   "})
    assert (blank.status_code, blank.json()["code"]) == (422, "text_empty")  # no empty note is stored

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
        assert response.json()["code"] == "held_by_another"
    assert client.post(f"/api/moderator/escalations/{escalation.id}/messages", json={"text": "Hoi"}).status_code == 409
    client.cookies.clear()


def test_reassign_checks_the_team_and_tells_the_citizen(client: TestClient) -> None:
    escalation = escalate(client, "Mijn kliko is kapot", language="nl", team="klantcontact")
    login(client, create_user(client, "moderator", teams=("klantcontact", "afval")))
    unknown = client.post(f"/api/moderator/escalations/{escalation.id}/reassign", json={"team": "geheime_dienst"})
    assert unknown.status_code == 422 and "geheime_dienst" in unknown.json()["detail"]
    assert unknown.json()["code"] == "unknown_team"
    moved = client.post(f"/api/moderator/escalations/{escalation.id}/reassign", json={"team": "afval"})
    assert moved.status_code == 200
    assert (moved.json()["team"], moved.json()["status"]) == ("afval", "open")
    transcript = client.get(f"/api/moderator/escalations/{escalation.id}").json()["transcript"]
    assert transcript[-1]["author"] == "system" and "doorgezet" in transcript[-1]["text"]
    client.cookies.clear()


def test_resolving_closes_it_and_the_queue_filters(client: TestClient) -> None:
    urgent = escalate(client, priority="high", team="wonen")
    login(client, create_user(client, "moderator", teams=("wonen",)))
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
    login(client, create_user(client, "moderator", teams=("afval",)))
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
    english = {choice["id"]: choice["name"] for choice in client.get("/api/moderator/teams?language=en").json()}
    assert (choices["afval"]["name"], english["afval"]) == ("Afval", "Waste")
    assert client.get("/api/moderator/teams?language=fr").status_code == 422
    client.cookies.clear()


def queue_ids(client: TestClient, **params: object) -> set[int]:
    response = client.get("/api/moderator/escalations", params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()}


def test_a_moderator_sees_only_their_teams_escalations_and_the_shared_queues(client: TestClient) -> None:
    theirs, other = escalate(client, team="afval"), escalate(client, "my tax bill", team="belastingen")
    triage, crisis = escalate(client), escalate(client, "I am not safe", team="crisis", priority="high")
    mine = {theirs.id, other.id, triage.id, crisis.id}

    login(client, create_user(client, "moderator", teams=("afval",)))
    assert queue_ids(client) & mine == {theirs.id, triage.id, crisis.id}
    assert other.id not in queue_ids(client, team="belastingen")
    path = f"/api/moderator/escalations/{other.id}"
    requests = {
        "read": client.get(path),
        "claim": client.post(f"{path}/claim"),
        "reply": client.post(f"{path}/messages", json={"text": "Hallo"}),
        "note": client.post(f"{path}/notes", json={"text": "Notitie"}),
        "reassign": client.post(f"{path}/reassign", json={"team": "afval"}),
        "resolve": client.post(f"{path}/resolve"),
        "hand back": client.post(f"{path}/hand-back"),
    }
    # The same answer as for an escalation that does not exist: nothing of it leaks.
    unknown = client.get("/api/moderator/escalations/999999")
    for name, response in requests.items():
        assert (response.status_code, response.json()) == (404, unknown.json()), name
    assert client.get(f"/api/moderator/escalations/{triage.id}").status_code == 200
    assert client.post(f"/api/moderator/escalations/{crisis.id}/claim").status_code == 200

    login(client, create_user(client, "moderator"))  # no teams: triage and crisis only
    assert queue_ids(client, status="open") & mine == {triage.id}
    assert queue_ids(client, status="claimed") & mine == {crisis.id}
    assert client.get(f"/api/moderator/escalations/{theirs.id}").status_code == 404

    login(client, create_user(client, "admin"))
    assert queue_ids(client) & mine == mine
    packet = client.get(path).json()
    assert packet["escalation"]["team"] == "belastingen" and packet["notes"] == []  # nothing was done to it
    assert [m["author"] for m in packet["transcript"]] == ["citizen"]
    client.cookies.clear()


def test_a_reassign_to_another_team_ends_the_moderators_access(client: TestClient) -> None:
    escalation = escalate(client, team="afval")
    login(client, create_user(client, "moderator", teams=("afval",)))
    path = f"/api/moderator/escalations/{escalation.id}"
    assert client.post(f"{path}/claim").status_code == 200
    assert client.post(f"{path}/reassign", json={"team": "belastingen"}).status_code == 200
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/claim").status_code == 404
    assert escalation.id not in queue_ids(client)
    login(client, create_user(client, "moderator", teams=("belastingen",)))
    assert escalation.id in queue_ids(client) and client.post(f"{path}/claim").status_code == 200
    client.cookies.clear()


def test_the_console_reads_the_transcript_a_page_at_a_time(client: TestClient) -> None:
    escalation = escalate(client)
    sessions = app_sessions(client)
    with sessions.begin() as session:
        session.add_all(
            MessageRow(conversation_id=escalation.conversation_id, author="bot", text=f"answer {n}", language="en")
            for n in range(5)
        )
    login(client, create_user(client, "moderator"))
    path = f"/api/moderator/escalations/{escalation.id}"
    latest = client.get(path, params={"limit": 2}).json()["transcript"]
    assert [m["text"] for m in latest] == ["answer 3", "answer 4"]
    assert client.get(path, params={"after": latest[-1]["id"]}).json()["transcript"] == []
    older = client.get(path, params={"before": latest[0]["id"]}).json()["transcript"]
    assert [m["text"] for m in older] == ["human please", "answer 0", "answer 1", "answer 2"]
    for bad in ({"limit": 0}, {"limit": 501}, {"after": -1}):
        assert client.get(path, params=bad).status_code == 422, bad
    client.cookies.clear()


def test_opening_a_packet_is_audited_with_ids_only(client: TestClient) -> None:
    """The packet holds personal data: who read which escalation is recorded, its content never."""
    escalation = escalate(client, "Mijn BSN-brief is zoek")
    name = create_user(client, "admin")
    login(client, name)
    for _ in range(3):  # the console re-reads the open packet: one entry
        assert client.get(f"/api/moderator/escalations/{escalation.id}").status_code == 200
    entries = client.get("/api/admin/audit", params={"action": "escalation.packet_read"}).json()
    mine = [e for e in entries if e["actor"] == name]
    assert [(e["target_type"], e["target_id"]) for e in mine] == [("escalation", str(escalation.id))]
    assert mine[0]["details"] == {"conversation_id": escalation.conversation_id}
    assert "BSN-brief" not in str(mine)
    client.cookies.clear()


# --- a form's contact: revealed to the case's team only -------------------------------------------


def test_the_contact_is_revealed_to_the_cases_team_only_and_each_reveal_is_audited(client: TestClient) -> None:
    from api.services.contact_details import Contact

    case = escalate(client, "[e-mail]", team="openbare_ruimte", form_data={"form": "public_space_report",
                                                                           "contact": "[e-mail]"})  # fmt: skip
    vault = client.app_state.contacts  # type: ignore[attr-defined]
    vault.keep_pending(case.conversation_id, Contact(email="piet@example.nl", phone="0612345678"))
    vault.attach(case.conversation_id, case.id)
    path = f"/api/moderator/escalations/{case.id}/contact/reveal"

    member = create_user(client, "moderator", teams=("openbare_ruimte",))
    login(client, member)
    packet = client.get(f"/api/moderator/escalations/{case.id}").text
    assert "piet@example.nl" not in packet and "0612345678" not in packet  # the packet never holds it
    revealed = client.post(path)
    assert revealed.status_code == 200
    assert [(d["kind"], d["value"]) for d in revealed.json()] == [("email", "piet@example.nl"), ("phone", "0612345678")]

    login(client, create_user(client, "moderator", teams=("afval",)))
    assert client.post(path).status_code == 404  # another team's case: as unknown as a missing one
    login(client, create_user(client, "admin"))
    refused = client.post(path)
    assert refused.status_code == 403 and "team" in refused.json()["detail"]
    assert client.post("/api/moderator/escalations/999999999/contact/reveal").status_code == 404

    csv_text = client.get("/api/admin/audit.csv").text
    reveals = [line for line in csv_text.splitlines() if f"contact.revealed,escalation,{case.id}" in line]
    assert len(reveals) == 1 and member in reveals[0]
    assert "piet@example.nl" not in csv_text and "0612345678" not in csv_text
    client.cookies.clear()


# --- personal data a moderator types: left out before it is stored, with a notice ----------------


def test_a_reply_and_a_note_with_personal_data_are_stored_redacted_and_the_moderator_is_told(
    client: TestClient,
) -> None:
    escalation = escalate(client, "ik wil iemand spreken", language="nl", team="belastingen")
    login(client, create_user(client, "moderator", teams=("belastingen",)))
    path = f"/api/moderator/escalations/{escalation.id}"
    client.post(f"{path}/claim").raise_for_status()

    reply = client.post(f"{path}/messages", json={"text": "Uw IBAN NL91ABNA0417164300 klopt. Of bel 0612345678."})
    assert reply.status_code == 201
    assert reply.json()["text"] == "Uw IBAN [IBAN] klopt. Of bel [telefoon]."
    assert reply.json()["notice"] == (
        "Uit uw antwoord weggelaten: IBAN en telefoonnummer. De inwoner ziet op die plek een aanduiding tussen "
        "haken; persoonsgegevens worden niet in het gesprek opgeslagen."
    )
    plain = client.post(f"{path}/messages", json={"text": "Mail gerust naar belastingen@vlietstad.nl."})
    assert plain.json()["text"] == "Mail gerust naar belastingen@vlietstad.nl." and plain.json()["notice"] is None

    note = client.post(f"{path}/notes", json={"text": "BSN 111222333 nagevraagd", "language": "en"})
    assert note.status_code == 201 and note.json()["text"] == "BSN [BSN] nagevraagd"
    assert note.json()["notice"].startswith("Left out of your note: citizen service number (BSN).")
    assert client.post(f"{path}/notes", json={"text": "iets", "language": "de"}).status_code == 422

    seen = client.get(f"/api/chat/conversations/{escalation.conversation_id}/messages").text
    packet = client.get(path).text
    assert "[IBAN]" in seen and "BSN [BSN] nagevraagd" in packet
    for original in ("NL91ABNA0417164300", "0612345678", "111222333"):
        assert original not in seen and original not in packet

    login(client, create_user(client, "admin"))
    audit = client.get("/api/admin/audit.csv").text
    assert f"escalation.note,escalation,{escalation.id}" in audit and "111222333" not in audit
    client.cookies.clear()


def _source(*paths: str) -> str:
    return "\n".join((PROJECT_ROOT / path).read_text(encoding="utf-8") for path in paths)


def test_the_console_words_every_reason_state_and_refusal_in_dutch_and_english() -> None:
    """The console shows words, never the codes the api sends: each code has a text in both tables."""
    texts = page_texts("moderator.html", "moderator.js")
    assert texts.dutch == texts.english and texts.used <= texts.dutch
    actions = _source(*(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "actions").glob("*.py")))
    reasons = set(re.findall(r'reason="(\w+)"', actions + _source("api/services/chat.py")))
    reasons |= set(re.findall(r"^\s+reason: (\w+)", _source("actions/dialogue.yml"), flags=re.MULTILINE))
    reasons |= set(re.findall(r'^\w*REASON = "(\w+)"', actions, flags=re.MULTILINE))
    assert {"requested_human", "repeated_fallback", "crisis", "threat", "complaint", "public_space_report"} <= reasons
    refusals = set(re.findall(r'code="(\w+)"', _source("api/services/escalations.py", "api/routers/moderator.py")))
    assert {"not_open", "held_by_another", "escalation_not_found", "text_empty", "unknown_team"} <= refusals
    states = {"open", "claimed", "resolved", "returned", "high", "normal"}
    assert reasons | refusals | states <= texts.dutch and reasons | refusals | states <= texts.english
