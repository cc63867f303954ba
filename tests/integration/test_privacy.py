"""Personal data a citizen types never reaches a store or a log: the real api and Rasa, on SQLite
and on PostgreSQL (tracker store included), checked in the raw database files or every row, and
in every log file."""

from __future__ import annotations

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
