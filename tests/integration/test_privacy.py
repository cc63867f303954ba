"""Personal data a citizen types never reaches a store or a log: the real api and Rasa, on SQLite
and on PostgreSQL (tracker store included), checked in the raw database files or every row, and
in every log file."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import create_engine, select, table
from sqlalchemy.sql import column

from tests.integration.conftest import RunningLoket, everything_stored

pytestmark = pytest.mark.integration

BSN, IBAN, PHONE, EMAIL = "111222333", "NL91ABNA0417164300", "0612345678", "jan.jansen@example.nl"
SECOND_PHONE = "+31 6 45678901"
ORIGINALS = (BSN, IBAN, PHONE, EMAIL, "45678901")


@pytest.mark.parametrize("stack", ["loket", "loket_postgres"])
def test_personal_data_is_redacted_before_the_database_rasa_the_escalation_and_the_logs(
    stack: str, request: pytest.FixtureRequest
) -> None:
    loket: RunningLoket = request.getfixturevalue(stack)
    conversation = loket.new_conversation()

    turn = loket.say(
        conversation,
        f"Mijn BSN is {BSN} en mijn IBAN is {IBAN}, bel me op {PHONE} of mail naar {EMAIL}. Wat kost een paspoort?",
    )
    citizen, notice = turn["messages"][0], turn["messages"][1]
    assert citizen["text"] == (
        "Mijn BSN is [BSN] en mijn IBAN is [IBAN], bel me op [telefoon] of mail naar [e-mail]. Wat kost een paspoort?"
    )
    assert notice["author"] == "system"
    assert notice["text"] == (
        "Uw BSN, IBAN, telefoonnummer en e-mailadres zijn niet opgeslagen; die zijn niet nodig voor deze vraag."
    )
    assert any(m["author"] == "bot" for m in turn["messages"][2:])  # the question is still answered

    handoff = loket.say(conversation, f"Ik wil een medewerker spreken, mijn nummer is {SECOND_PHONE}")
    assert [m["author"] for m in handoff["messages"][:2]] == ["citizen", "system"]

    stored = everything_stored(loket)
    assert "Mijn BSN is [BSN]" in stored  # the messages, the tracker and the escalation summary are in there
    leaks = [original for original in ORIGINALS if original in stored]
    assert not leaks, f"stored in clear: {leaks}"

    # Rasa's tracker store holds the turn (text, parse_data, metadata), with the placeholders.
    tracker_url = loket.settings.database_url or f"sqlite:///{loket.settings.data_dir / 'rasa_tracker.db'}"
    engine = create_engine(str(tracker_url))
    with engine.connect() as connection:
        events = table("events", column("sender_id"), column("type_name"), column("data"))
        user_events = (
            connection.execute(
                select(events.c.data).where(events.c.sender_id == conversation, events.c.type_name == "user")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert len(user_events) == 2 and '"parse_data"' in user_events[0] and "[BSN]" in user_events[0]
    assert not any(original in "".join(user_events) for original in ORIGINALS)

    # What a moderator sees in the queue: the summary of the citizen's words, redacted.
    engine = create_engine(loket.settings.sqlalchemy_url)
    with engine.connect() as connection:
        escalations = table("escalations", column("conversation_id"), column("summary"), column("reason"))
        [(summary, reason)] = connection.execute(
            select(escalations.c.summary, escalations.c.reason).where(escalations.c.conversation_id == conversation)
        ).all()
    engine.dispose()
    assert reason == "requested_human" and "[BSN]" in summary and "[telefoon]" in summary, summary


CONTACT_EMAIL = "marieke.contact@example.nl"
STAFF_PASSWORD = "Vlietstad-contact-2026-reiger"


def _logged_in(loket: RunningLoket, request: pytest.FixtureRequest, *roles: str, teams: list[str]) -> httpx.Client:
    username = f"contact-{uuid.uuid4().hex[:10]}"
    loket.create_user(username, STAFF_PASSWORD, *roles, teams=teams)
    client = httpx.Client(base_url=loket.settings.api_url, timeout=60)
    request.addfinalizer(client.close)
    client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}).raise_for_status()
    return client


@pytest.mark.parametrize("stack", ["loket", "loket_postgres"])
def test_a_reports_contact_given_in_its_own_step_is_encrypted_for_the_team_and_erased_with_the_case(
    stack: str, request: pytest.FixtureRequest
) -> None:
    loket: RunningLoket = request.getfixturevalue(stack)
    team_member = _logged_in(loket, request, "moderator", teams=["openbare_ruimte"])
    other_team = _logged_in(loket, request, "moderator", teams=["afval"])
    admin = _logged_in(loket, request, "admin", teams=[])
    # A fresh stack builds its router on first use: done here, so sending the report (which routes
    # it) does not wait for it past Rasa's action timeout.
    team_member.post("/api/route", json={"text": "lantaarnpaal kapot"}, timeout=600).raise_for_status()
    conversation = loket.new_conversation()
    loket.say(conversation, "Ik wil een kapotte lantaarnpaal melden")
    loket.say(conversation, "De lantaarnpaal voor ons huis brandt niet meer")
    loket.say(conversation, "Kerkstraat 12")
    asked = loket.say(conversation, "nee")
    assert asked["expects"] == {"kind": "contact", "optional": True}, asked  # the page shows the contact step

    step = loket.client.post(f"/api/chat/conversations/{conversation}/contact", json={"email": CONTACT_EMAIL})
    assert step.status_code == 200, step.text
    assert step.json()["messages"][0]["text"] == "[e-mail]"
    summary = [m["text"] for m in step.json()["messages"] if m["author"] == "bot"][-1]
    assert "Kerkstraat 12" in summary and "opgegeven (e-mail)" in summary, summary
    done = [m["text"] for m in loket.say(conversation, "ja")["messages"] if m["author"] == "bot"][-1]
    assert "kenmerk" in done, done

    # In clear nowhere: not in the messages, Rasa's events and slots, the case's form data and summary,
    # nor any log; the vault holds a Fernet token.
    stored = everything_stored(loket)
    assert CONTACT_EMAIL not in stored and "marieke" not in stored
    engine = create_engine(loket.settings.sqlalchemy_url)
    with engine.connect() as connection:
        escalations = table("escalations", column("id"), column("conversation_id"), column("form_data"))
        [(case, form_data)] = connection.execute(
            select(escalations.c.id, escalations.c.form_data).where(escalations.c.conversation_id == conversation)
        ).all()
        vault = table("contact_details", column("conversation_id"), column("escalation_id"), column("ciphertext"))
        [(attached_to, ciphertext)] = connection.execute(
            select(vault.c.escalation_id, vault.c.ciphertext).where(vault.c.conversation_id == conversation)
        ).all()
    engine.dispose()
    assert "[e-mail]" in str(form_data) and attached_to == case and ciphertext.startswith("gAAAAA")

    # The case's team sees it; another team's moderator does not; the reveal is audited without it.
    revealed = team_member.post(f"/api/moderator/escalations/{case}/contact/reveal")
    assert revealed.status_code == 200 and [d["value"] for d in revealed.json()] == [CONTACT_EMAIL]
    assert CONTACT_EMAIL not in team_member.get(f"/api/moderator/escalations/{case}").text
    assert other_team.post(f"/api/moderator/escalations/{case}/contact/reveal").status_code == 404
    audit = admin.get("/api/admin/audit.csv").text
    assert f"contact.revealed,escalation,{case}" in audit and CONTACT_EMAIL not in audit

    # Erasing the case takes the contact with it.
    erased = admin.delete(f"/api/admin/cases/{case}")
    assert erased.status_code == 200 and erased.json()["removed"]["contacts"] == 1
    engine = create_engine(loket.settings.sqlalchemy_url)
    with engine.connect() as connection:
        left = connection.execute(select(vault.c.ciphertext).where(vault.c.conversation_id == conversation)).all()
    engine.dispose()
    assert left == []
