"""Actions run with rasa-sdk's CollectingDispatcher, a real store and a fake answer service."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.handoff import ActionRequestHuman, format_opening
from actions.knowledge_answers import ActionAnswerQuestion, ActionOutOfScope, shorten
from api.services.conversations import ConversationStore
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import Escalation, EscalationWorkflow
from api.services.office_hours import OfficeHours
from knowledge.answers import Answer, Topic
from knowledge.types import Hit
from routing.teams import TeamDirectory


class FakeAnswers:
    """The citizen answer service's Protocol (actions.context.CitizenAnswerer), answering with
    `answer` whatever is asked, and recording how it was asked."""

    def __init__(self, answer: Answer, *, page_language: str = "nl") -> None:
        self.result = answer
        self.page_language = page_language
        self.calls: list[dict[str, Any]] = []

    def answer(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, **kwargs})
        return self.result

    def document_language(self, doc_id: str) -> str:
        return self.page_language


PASSPORT = Hit(
    doc_id="paspoort-aanvragen", title="Paspoort aanvragen", section="Paspoort aanvragen › Kosten",
    url="/documents/paspoort-aanvragen", audience="public", team="burgerzaken", score=0.03,
    passage="Een paspoort voor volwassenen kost € 84,20.",
)  # fmt: skip
ANSWERED = Answer(
    answerable=True, score=0.9, hit=PASSPORT, sources=[PASSPORT], aspects=("costs",),
    topic=Topic("paspoort-aanvragen", "wat kost een paspoort", ("costs",)),
)  # fmt: skip
NOTHING = Answer(answerable=False, score=0.1, hit=None)


def tracker(text: str, *, language: str = "nl", sender: str = "c1", metadata: dict[str, Any] | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": {"language": language},
        "latest_message": {"text": text, "metadata": metadata or {}},
        "events": [{"event": "user", "text": text}],
    })  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


ALWAYS_OPEN = "\n  ".join(
    f"{day}: '00:00-23:59:59.999999'" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def escalations_of(store: ConversationStore, **filters: Any) -> list[Escalation]:
    return EscalationWorkflow(sessions=store._sessions).escalations(**filters)


def unsure(text: str) -> dict[str, Any]:
    """A route service that is never sure: the case waits in moderator triage."""
    return {"team": None, "status": "unsure", "confidence": 0.0, "explanation": "test"}


def install(store: ConversationStore, answers: FakeAnswers, hours: str = ALWAYS_OPEN) -> None:
    path = store._sessions.kw["bind"].url.database
    config = Path(path).parent / "teams.yml"
    config.write_text(f"timezone: Europe/Amsterdam\nchat_hours:\n  {hours}\n")
    teams = TeamDirectory.load(config)
    context.install(
        context.ActionContext(
            answers=answers,
            store=store,
            escalations=EscalationWorkflow(sessions=store._sessions),
            office_hours=OfficeHours.from_teams(teams),
            teams=teams,
            route=unsure,
        )
    )


def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher, events


def test_answer_is_the_section_in_one_message_with_a_link_to_that_section(store: ConversationStore) -> None:
    install(store, FakeAnswers(ANSWERED))
    dispatcher, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_answer" and message["answer"] == PASSPORT.passage
    [source] = message["custom"]["sources"]
    assert source["url"] == "/documents/paspoort-aanvragen#kosten" and source["heading"] == "Kosten"
    slots = {e["name"]: e["value"] for e in events}
    assert slots["human_offered"] is False
    assert slots["last_topic"] == {
        "doc_id": "paspoort-aanvragen",
        "question": "wat kost een paspoort",
        "aspects": ["costs"],
    }


def test_an_english_question_answered_from_a_dutch_page_says_so(store: ConversationStore) -> None:
    install(store, FakeAnswers(ANSWERED, page_language="nl"))
    dispatcher, _ = run(ActionAnswerQuestion(), tracker("how much is a passport", language="en"))
    assert dispatcher.messages[0]["response"] == "utter_answer_other_language"
    assert dispatcher.messages[0]["custom"]["sources"][0]["language"] == "nl"


def test_no_relevant_answer_is_said_honestly_and_offers_a_person(store: ConversationStore) -> None:
    install(store, FakeAnswers(NOTHING))
    dispatcher, events = run(ActionAnswerQuestion(), tracker("wie wint het WK"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert events[0]["name"] == "human_offered" and events[0]["value"] is True


def test_out_of_scope_is_refused_unless_the_documents_answer(store: ConversationStore) -> None:
    answers = FakeAnswers(NOTHING)
    install(store, answers)
    oos = tracker("zet de lampen aan")
    oos.latest_message["intent"] = {"name": "out_of_scope", "confidence": 0.8}
    dispatcher, _ = run(ActionOutOfScope(), oos)
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]
    assert answers.calls[0]["intent"] == "out_of_scope"  # the engine applies its stricter threshold
    answers.result = ANSWERED
    dispatcher, _ = run(ActionOutOfScope(), oos)
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_request_human_opens_one_escalation_with_a_summary(store: ConversationStore) -> None:
    install(store, FakeAnswers(NOTHING))
    conversation = store.start(language="nl")
    dispatcher, _ = run(ActionRequestHuman(), tracker("ik wil een mens spreken", sender=conversation))
    escalations = escalations_of(store, status="open")
    assert len(escalations) == 1
    assert escalations[0].conversation_id == conversation
    assert escalations[0].summary == "ik wil een mens spreken"
    assert dispatcher.messages[0]["response"] == "utter_handoff_now"


def test_request_human_outside_hours_says_when(store: ConversationStore) -> None:
    install(store, FakeAnswers(NOTHING), hours="sun: '00:00-00:01'")
    dispatcher, _ = run(ActionRequestHuman(), tracker("human please", language="en", sender="new-sender"))
    assert dispatcher.messages[0]["response"] == "utter_handoff_later"
    assert dispatcher.messages[0]["next_opening"].startswith("Sunday")


def test_formatting_helpers() -> None:
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert format_opening(monday, "nl") == "maandag 09.00 uur"
    assert format_opening(monday, "en") == "Monday 09:00"
    assert shorten("a\nb c\nd e f", max_words=3) == "a\nb c"  # whole lines only
    assert shorten("Kosten:\n\n- € 84,20\n- € 66,30\n\nPinnen.") == "Kosten:\n- € 84,20\n- € 66,30\nPinnen."


def test_request_human_carries_routings_decision_for_the_moderator(store: ConversationStore) -> None:
    install(store, FakeAnswers(NOTHING))
    decisions = {
        "mijn container is niet geleegd": {"team": "afval", "status": "routed", "confidence": 0.91},
        "ik weet het niet precies": {"team": None, "status": "unsure", "confidence": 0.3},
    }
    context.current().route = lambda text: decisions[text]
    for text, team in (("mijn container is niet geleegd", "afval"), ("ik weet het niet precies", None)):
        conversation = store.start(language="nl")
        run(ActionRequestHuman(), tracker(text, sender=conversation))
        escalation = [e for e in escalations_of(store) if e.conversation_id == conversation][0]
        assert escalation.team == team  # unsure: no team, the case waits in moderator triage
        assert escalation.routing == decisions[text]


def test_request_human_still_escalates_when_routing_fails(store: ConversationStore) -> None:
    install(store, FakeAnswers(NOTHING))

    def broken(text: str) -> dict[str, Any]:
        raise RuntimeError("embedder not available")

    context.current().route = broken
    conversation = store.start(language="nl")
    dispatcher, _ = run(ActionRequestHuman(), tracker("een mens graag", sender=conversation))
    assert [e.conversation_id for e in escalations_of(store)] == [conversation]
    assert dispatcher.messages
