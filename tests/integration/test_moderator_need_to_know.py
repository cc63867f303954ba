"""Need to know in the running stack: moderators made with the operators' CLI, with their teams, see
a citizen's request for a person in triage, and a reassign to another team moves it out of one
moderator's reach into the other team's; the console reads the transcript a page at a time."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

PASSWORD = "need to know password 7"


def moderator(loket: RunningLoket, team: str) -> httpx.Client:
    username = f"mod-{team[:4]}-{uuid.uuid4().hex[:6]}"
    loket.create_user(username, PASSWORD, "moderator", teams=[team])
    client = httpx.Client(base_url=loket.settings.api_url, timeout=60)
    client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


def test_a_reassign_moves_a_case_from_one_teams_moderator_to_the_others(loket: RunningLoket) -> None:
    # On a cold stack the first request for a person builds the router inside the action, which can
    # outlast Rasa's action timeout on a busy machine (the citizen then gets an apology): warm it first.
    loket.say(loket.new_conversation(), "Ik wil een medewerker spreken")
    conversation = loket.new_conversation()
    turn = loket.say(conversation, "Ik wil een medewerker spreken")  # no subject: routing is unsure, so triage
    afval, belastingen = moderator(loket, "afval"), moderator(loket, "belastingen")
    try:
        queue = afval.get("/api/moderator/escalations").json()
        cases = [e for e in queue if e["conversation_id"] == conversation]
        assert len(cases) == 1, (turn, queue)
        [case] = cases
        assert case["team"] is None, case  # triage, which every moderator sees
        path = f"/api/moderator/escalations/{case['id']}"
        assert afval.post(f"{path}/claim").status_code == 200
        assert afval.post(f"{path}/reassign", json={"team": "belastingen"}).status_code == 200
        # Out of her reach now: as unknown as an escalation that does not exist.
        assert afval.get(path).status_code == 404
        assert afval.post(f"{path}/notes", json={"text": "nog iets"}).status_code == 404
        assert case["id"] not in [e["id"] for e in afval.get("/api/moderator/escalations").json()]

        assert belastingen.post(f"{path}/claim").status_code == 200
        assert belastingen.post(f"{path}/messages", json={"text": "Goedemiddag, ik help u."}).status_code == 201
        latest = belastingen.get(path, params={"limit": 2}).json()["transcript"]
        assert latest[-1]["text"] == "Goedemiddag, ik help u." and len(latest) == 2
        older = belastingen.get(path, params={"before": latest[0]["id"]}).json()["transcript"]
        assert older[0]["text"] == "Ik wil een medewerker spreken"
        assert belastingen.get(path, params={"after": latest[-1]["id"]}).json()["transcript"] == []
        # The citizen's page reads the latest page first, then polls for what came after it.
        messages = f"/api/chat/conversations/{conversation}/messages"
        assert loket.client.get(messages, params={"limit": 1}).json()[0]["text"] == "Goedemiddag, ik help u."
        assert loket.client.get(messages, params={"after": latest[-1]["id"]}).json() == []
        assert belastingen.post(f"{path}/resolve").status_code == 200
    finally:
        afval.close()
        belastingen.close()
