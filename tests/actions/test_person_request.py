"""A request for a person, and a question the NLU took for one, unsure."""

from __future__ import annotations

from actions.person_request import ActionRequestHuman, unsure_request
from api.services.conversations import ConversationStore
from tests.actions.conftest import (
    NOTHING,
    RecordingAnswers,
    answered,
    escalations_of,
    install,
    run,
    slot_events,
    tracker,
)


def test_only_a_request_below_the_bar_without_a_phrase_for_a_person_is_unsure() -> None:
    assert unsure_request(tracker("kan ik de gemeente bellen", intent="request_human", confidence=0.47))
    assert not unsure_request(tracker("mag ik iemand aan de lijn", intent="request_human", confidence=0.8))
    # "medewerker spreken" asks for a person in so many words, whatever the NLU's confidence.
    assert not unsure_request(tracker("ik wil een medewerker spreken", intent="request_human", confidence=0.4))
    # A "ja" to the offer of a person.
    assert not unsure_request(tracker("ja", intent="affirm", confidence=0.4))


def test_an_unsure_request_the_documents_answer_gets_the_answer_and_the_offer_of_a_person(
    store: ConversationStore, tmp_path
) -> None:
    """ "kan ik de gemeente bellen" (0.47) was handed to a moderator; the contact page answers it."""
    answers = RecordingAnswers(answered("contact"))
    install(store, answers, tmp_path)
    conversation = store.start(language="nl")
    t = tracker("kan ik de gemeente bellen", intent="request_human", confidence=0.47, sender=conversation)
    dispatcher, events = run(ActionRequestHuman(), t)
    responses = [m.get("response") for m in dispatcher.messages]
    assert responses[-1] == "utter_offer_human" and "utter_handoff_later" not in responses
    assert answers.queries == ["kan ik de gemeente bellen"]
    assert slot_events(events)["human_offered"] is True  # "ja" now hands over
    assert escalations_of(store) == []


def test_an_unsure_request_the_documents_do_not_answer_is_handed_over(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("mag ik even iemand bellen", intent="request_human", confidence=0.45, sender=conversation)
    dispatcher, _ = run(ActionRequestHuman(), t)
    assert "utter_offer_human" not in [m.get("response") for m in dispatcher.messages]
    assert [case.reason for case in escalations_of(store)] == ["requested_human"]


def test_a_sure_request_is_handed_over_without_asking_the_documents(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(answered("contact"))
    install(store, answers, tmp_path)
    conversation = store.start(language="nl")
    run(ActionRequestHuman(), tracker("mag ik een mens", intent="request_human", confidence=0.93, sender=conversation))
    assert answers.queries == []
    assert [case.reason for case in escalations_of(store)] == ["requested_human"]
