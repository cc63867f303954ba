"""Personal data never reaches a store or a log, through any entry point: what a citizen types (the
chat, a form's contact), what staff type (a moderator's reply and note, a staff search and question,
the route API). The real api and Rasa, on SQLite and on PostgreSQL (tracker store included), checked
in the raw database files or every row, and in every log file; after erasure and a retention run
nothing of the conversation is left."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, select, table, update
from sqlalchemy.sql import column

from api.services.database import AuditRow, utcnow
from tests.integration.conftest import RunningLoket, everything_stored
from tests.integration.test_erasure import loket_cli, marker, rows_of

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
        events = table("events", column("id"), column("sender_id"), column("type_name"), column("data"))
        user_events = (
            connection.execute(
                select(events.c.data)
                .where(events.c.sender_id == conversation, events.c.type_name == "user")
                .order_by(events.c.id)  # the turns in the order they came: PostgreSQL gives no order otherwise
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


# --- the staff's entry points: the moderator's reply and note, staff search and questions, the route API --

# Distinct values per entry point, each valid (elfproef, mod-97), so that a hit names its way in.
REPLY_BSN, REPLY_IBAN, REPLY_PHONE = "232262536", "NL20INGB0001234567", "06-23456789"
NOTE_EMAIL, NOTE_PHONE = "r.smit@example.org", "0652781903"
SEARCH_BSN = "999996356"
ASK_EMAIL, ASK_PHONE = "marloes.bakker@example.org", "0612340987"
ROUTE_BSN, ROUTE_IBAN = "123456782", "NL39RABO0300065264"
ROUTE_PHONE, ROUTE_EMAIL = "0301234567", "k.jansen@example.net"
STAFF_ORIGINALS = (
    REPLY_BSN, REPLY_IBAN, REPLY_PHONE, "23456789", NOTE_EMAIL, NOTE_PHONE, SEARCH_BSN, ASK_EMAIL, ASK_PHONE,
    ROUTE_BSN, ROUTE_IBAN, ROUTE_PHONE, ROUTE_EMAIL,
)  # fmt: skip


def _audit_queries(loket: RunningLoket, actor: str) -> list[str]:
    """The queries of `actor`'s `document.shown` audit entries ("None" where retention removed it)."""
    engine = create_engine(loket.settings.sqlalchemy_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditRow.details).where(AuditRow.actor == actor, AuditRow.action == "document.shown")
        ).scalars()
        queries = [str(details.get("query")) for details in rows]
    engine.dispose()
    return queries


@pytest.mark.parametrize("stack", ["loket", "loket_postgres"])
def test_personal_data_typed_by_staff_reaches_no_store_or_log_and_erasure_and_retention_leave_nothing(
    stack: str, request: pytest.FixtureRequest
) -> None:
    loket: RunningLoket = request.getfixturevalue(stack)
    word = marker()  # in every text below, to find anything of it that is left
    moderator = _logged_in(loket, request, "moderator", "admin", teams=["werk_inkomen"])
    staff_name = f"staff-{uuid.uuid4().hex[:8]}"
    loket.create_user(staff_name, STAFF_PASSWORD, "staff", teams=["werk_inkomen"])
    staff = httpx.Client(base_url=loket.settings.api_url, timeout=120)
    request.addfinalizer(staff.close)
    staff.post("/api/auth/login", json={"username": staff_name, "password": STAFF_PASSWORD}).raise_for_status()

    # The route API: the message and the earlier turns (the first call builds the router).
    routed = moderator.post("/api/route", timeout=600, json={
        "text": f"Mijn uitkering over {word} is gestopt, BSN {ROUTE_BSN}, rekening {ROUTE_IBAN}",
        "conversation": [{"role": "user", "text": f"bel me op {ROUTE_PHONE} of mail {ROUTE_EMAIL}"}],
    })  # fmt: skip
    assert routed.status_code == 200 and "explanation" in routed.json(), routed.text

    # A citizen asks for a person; the moderator claims the case, replies and notes.
    conversation = loket.new_conversation()
    loket.say(conversation, f"Ik heb een vraag over mijn bijstand, het gaat om {word}")
    loket.say(conversation, f"Ik wil een medewerker spreken over {word}")
    [case] = [e["id"] for e in moderator.get("/api/moderator/escalations").json()
              if e["conversation_id"] == conversation]  # fmt: skip
    moderator.post(f"/api/moderator/escalations/{case}/claim").raise_for_status()
    reply = moderator.post(f"/api/moderator/escalations/{case}/messages", json={
        "text": f"Ik zie uw BSN {REPLY_BSN} en IBAN {REPLY_IBAN} bij {word}. Bel ons terug op {REPLY_PHONE}, "
                "of mail naar klachten@vlietstad.nl.",
    })  # fmt: skip
    assert reply.status_code == 201, reply.text
    assert reply.json()["text"] == (
        f"Ik zie uw BSN [BSN] en IBAN [IBAN] bij {word}. Bel ons terug op [telefoon], "
        "of mail naar klachten@vlietstad.nl."
    )
    assert reply.json()["notice"].startswith("Uit uw antwoord weggelaten: BSN, IBAN en telefoonnummer.")
    note = moderator.post(f"/api/moderator/escalations/{case}/notes", json={
        "text": f"{word}: teruggebeld op {NOTE_PHONE}, stuurt stukken vanaf {NOTE_EMAIL}", "language": "en",
    })  # fmt: skip
    assert note.json()["text"] == f"{word}: teruggebeld op [telefoon], stuurt stukken vanaf [e-mail]", note.text
    assert note.json()["notice"].startswith("Left out of your note: phone number and e-mail address.")
    seen = loket.client.get(f"/api/chat/conversations/{conversation}/messages").json()
    assert seen[-1]["author"] == "moderator" and seen[-1]["text"] == reply.json()["text"]

    # Staff search and a staff question: run, and audited, on the redacted text.
    found = staff.get("/api/staff/search", params={"q": f"huisbezoek bijstand {word} BSN {SEARCH_BSN}"})
    assert "werkinstructie-huisbezoek-bijstand" in [d["doc_id"] for d in found.json()], found.text
    asked = staff.post("/api/staff/ask", json={
        "question": f"Wanneer mag een huisbezoek bij de bijstand? Klant {ASK_EMAIL} belt op {ASK_PHONE} ({word})",
        "history": [f"huisbezoek bijstand {word} BSN {SEARCH_BSN}"],
    })  # fmt: skip
    assert asked.status_code == 200, asked.text
    queries = _audit_queries(loket, staff_name)
    assert f"huisbezoek bijstand {word} BSN [BSN]" in queries
    assert f"Wanneer mag een huisbezoek bij de bijstand? Klant [e-mail] belt op [telefoon] ({word})" in queries

    stored = everything_stored(loket)
    assert "[IBAN] bij " + word in stored and "stuurt stukken vanaf [e-mail]" in stored  # the reply and the note
    leaks = [original for original in STAFF_ORIGINALS if original in stored]
    assert not leaks, f"stored or logged in clear: {leaks}"

    # Erasure takes the conversation (reply, note, case); retention the queries past their period.
    erased = moderator.delete(f"/api/admin/cases/{case}")
    assert erased.status_code == 200 and erased.json()["removed"]["notes"] == 1, erased.text
    assert set(rows_of(loket, conversation, case).values()) == {0}
    engine = create_engine(loket.settings.sqlalchemy_url)
    with engine.begin() as connection:  # the staff's searches, 31 days ago: past the query period (30)
        connection.execute(
            update(AuditRow)
            .where(AuditRow.actor == staff_name, AuditRow.action == "document.shown")
            .values(at=utcnow() - timedelta(days=31))
        )
    engine.dispose()
    retention = loket_cli(loket, "retention", "run")
    assert retention.returncode == 0, retention.stderr
    assert _audit_queries(loket, staff_name) and set(_audit_queries(loket, staff_name)) == {"None"}
    stored = everything_stored(loket)
    assert word not in stored, "something of the conversation or the staff's queries is left"
    assert not [original for original in STAFF_ORIGINALS if original in stored]
