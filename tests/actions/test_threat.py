"""Threats against staff: a calm answer, no form, and a flagged escalation for the contact centre."""

from __future__ import annotations

from actions.threat import THREAT_REASON, THREAT_TEAM, ActionThreat
from tests.actions.conftest import NOTHING, RecordingAnswers, escalations_of, install, run, slot_events, tracker


def test_a_threat_gets_a_calm_answer_no_form_and_a_flagged_escalation(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("/threat", intent="threat", sender=conversation)
    t.latest_message["metadata"] = {"threat_text": "ik kom jullie halen"}
    dispatcher, events = run(ActionThreat(), t)
    assert [m["response"] for m in dispatcher.messages] == ["utter_threat"]
    [escalation] = escalations_of(store)
    assert (escalation.reason, escalation.priority, escalation.summary) == ("threat", "high", "ik kom jullie halen")
    assert not any(e.get("event") == "active_loop" for e in events)


def test_a_threat_goes_to_the_contact_centre_and_offers_nobody(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="en")
    t = tracker("/threat", intent="threat", sender=conversation, language="en", slots={"human_offered": True})
    _, events = run(ActionThreat(), t)
    [escalation] = escalations_of(store)
    assert (escalation.reason, escalation.team) == (THREAT_REASON, THREAT_TEAM) == ("threat", "klantcontact")
    assert escalation.language == "en"
    assert slot_events(events) == {"human_offered": False, "form_offered": None}


def test_the_calm_answer_is_given_even_when_the_escalation_fails() -> None:
    # Nothing installed (conftest): the escalation cannot be made.
    dispatcher, events = run(ActionThreat(), tracker("/threat", intent="threat"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_threat"]
    assert slot_events(events) == {"human_offered": False, "form_offered": None}
