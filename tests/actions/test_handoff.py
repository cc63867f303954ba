"""Handing the conversation to a person: one escalation with what the moderator needs, and the
citizen told when someone will be there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from actions import context
from actions.forms import SKIPPED
from actions.handoff import (
    ActionResetOffer,
    conversation_summary,
    escalate_urgently,
    format_opening,
    paused_form,
    routing_for,
)
from actions.person_request import ActionRequestHuman
from api.services.contact_details import Contact, ContactVault
from api.services.conversations import ConversationStore
from tests.actions.conftest import NOTHING, RecordingAnswers, escalations_of, install, run, slot_events, tracker

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- the handoff ---------------------------------------------------------------------------------


def test_request_human_opens_one_escalation_with_a_summary(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    dispatcher, events = run(ActionRequestHuman(), tracker("ik wil een mens spreken", sender=conversation))
    escalations = escalations_of(store, status="open")
    assert len(escalations) == 1
    assert escalations[0].conversation_id == conversation
    assert escalations[0].summary == "ik wil een mens spreken"
    assert (escalations[0].reason, escalations[0].language) == ("requested_human", "nl")
    assert dispatcher.messages[0]["response"] == "utter_handoff_now"
    assert slot_events(events) == {"human_offered": False, "form_offered": None}


def test_request_human_outside_hours_says_when(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, hours="  sun: '00:00-00:01'")
    dispatcher, _ = run(ActionRequestHuman(), tracker("human please", language="en", sender="new-sender"))
    assert dispatcher.messages[0]["response"] == "utter_handoff_later"
    assert dispatcher.messages[0]["next_opening"].startswith("Sunday")
    # A sender the store did not know yet gets its conversation, so the escalation has one.
    assert [e.conversation_id for e in escalations_of(store)] == ["new-sender"]


def test_without_chat_hours_the_citizen_is_still_escalated(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, hours="")
    conversation = store.start(language="nl")
    dispatcher, _ = run(ActionRequestHuman(), tracker("een mens graag", sender=conversation))
    assert dispatcher.messages[0]["response"] == "utter_handoff_later"
    assert dispatcher.messages[0]["next_opening"] == "?"
    assert [e.conversation_id for e in escalations_of(store)] == [conversation]


def test_request_human_carries_routings_decision_for_the_moderator(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    decisions = {
        "mijn container is niet geleegd": {"team": "afval", "status": "routed", "confidence": 0.91},
        "ik weet het niet precies": {"team": None, "status": "unsure", "confidence": 0.3},
    }
    context.current().route = lambda text, **_: decisions[text]
    for text, team in (("mijn container is niet geleegd", "afval"), ("ik weet het niet precies", None)):
        conversation = store.start(language="nl")
        run(ActionRequestHuman(), tracker(text, sender=conversation))
        escalation = [e for e in escalations_of(store) if e.conversation_id == conversation][0]
        assert escalation.team == team  # unsure: no team, the case waits in moderator triage
        assert escalation.routing == decisions[text]


def test_request_human_still_escalates_when_routing_fails(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)

    def broken(text: str) -> dict[str, Any]:
        raise RuntimeError("embedder not available")

    context.current().route = broken
    conversation = store.start(language="nl")
    dispatcher, _ = run(ActionRequestHuman(), tracker("een mens graag", sender=conversation))
    assert [e.conversation_id for e in escalations_of(store)] == [conversation]
    assert dispatcher.messages


def test_a_person_asked_for_mid_form_gets_the_answers_so_far(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    slots = {"report_what": "gat in de weg", "report_where": None}
    run(
        ActionRequestHuman(),
        tracker("ik wil een medewerker", intent="request_human", sender=conversation, slots=slots),
    )
    [case] = escalations_of(store)
    assert (case.reason, case.team) == ("requested_human", "openbare_ruimte")
    assert case.form_data["what"] == "gat in de weg" and case.form_data["complete"] is False


def test_the_contact_of_a_paused_form_goes_with_the_case_the_person_handles(store, tmp_path) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    assert isinstance(services.contacts, ContactVault)
    conversation = store.start(language="nl")
    services.contacts.keep_pending(conversation, Contact(phone="0612345678"))
    slots = {"complaint_what": "lang gewacht", "complaint_contact": "[telefoon]"}
    run(ActionRequestHuman(), tracker("medewerker", intent="request_human", sender=conversation, slots=slots))
    [case] = escalations_of(store)
    assert case.form_data["contact"] == "[telefoon]"
    assert [(d.value, d.case_number) for d in services.contacts.of_conversation(conversation)] == [
        ("0612345678", case.id)
    ]


def test_the_reset_offer_action_clears_the_offer() -> None:
    slots = {"human_offered": False, "form_offered": "report_form"}
    _, events = run(ActionResetOffer(), tracker("nee dank je", intent="deny", slots=slots))
    assert slot_events(events) == {"human_offered": False, "form_offered": None}


def _after(told: str, then: str) -> list[dict[str, object]]:
    return [{"event": "user", "text": told}, {"event": "bot", "text": "..."}, {"event": "user", "text": then}]


def test_yes_to_the_offer_of_a_form_starts_it_with_what_the_citizen_told() -> None:
    """The offer followed their own account: it is the form's first answer, said back to them,
    not "Wat is het probleem?" as if they had told nothing."""
    told = "de lantaarnpaal voor mijn deur doet het niet"
    for form, slot, response in (
        ("report_form", "report_what", "utter_report_taken_up"),
        ("complaint_form", "complaint_what", "utter_complaint_taken_up"),
    ):
        slots = {"human_offered": False, "form_offered": form}
        dispatcher, events = run(
            ActionResetOffer(), tracker("ja", intent="affirm", slots=slots, events=_after(told, "ja"))
        )
        assert slot_events(events) == {"human_offered": False, "form_offered": None, slot: told}
        assert [(m["response"], m.get("what")) for m in dispatcher.messages] == [(response, told)]
    # "ja" to the offer of a person starts no form.
    slots = {"human_offered": True, "form_offered": None}
    dispatcher, events = run(ActionResetOffer(), tracker("ja", intent="affirm", slots=slots, events=_after(told, "ja")))
    assert slot_events(events) == {"human_offered": False, "form_offered": None} and dispatcher.messages == []


# --- urgent escalations (crisis, threat) ---------------------------------------------------------


def test_an_urgent_escalation_is_high_priority_for_the_given_team(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    t = tracker("/x", intent="threat", sender="urgent-1", language="en", metadata={"original": "the real words"})
    assert escalate_urgently(t, reason="threat", team="klantcontact", text_key="original") is True
    [case] = escalations_of(store)
    assert (case.conversation_id, case.reason, case.priority) == ("urgent-1", "threat", "high")
    assert (case.team, case.language, case.summary) == ("klantcontact", "en", "the real words")


def test_an_urgent_escalation_without_the_original_text_summarises_the_last_message(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    events = [{"event": "user", "text": "eerder bericht"}, {"event": "user", "text": "laatste bericht"}]
    t = tracker("laatste bericht", intent="crisis", sender="urgent-2", events=events)
    assert escalate_urgently(t, reason="crisis", team="crisis", text_key="crisis_text") is True
    assert [case.summary for case in escalations_of(store)] == ["laatste bericht"]


def test_a_failing_urgent_escalation_is_reported_not_raised() -> None:
    # Nothing installed (conftest): the services are missing, as when the database is down.
    t = tracker("/crisis", intent="crisis", metadata={"crisis_text": "help"})
    assert escalate_urgently(t, reason="crisis", team="crisis", text_key="crisis_text") is False


# --- what the moderator reads --------------------------------------------------------------------


def test_the_summary_is_the_citizens_last_messages_only() -> None:
    events = [
        {"event": "user", "text": "een"},
        {"event": "bot", "text": "antwoord"},
        {"event": "user", "text": "twee"},
        {"event": "user", "text": ""},
        {"event": "slot", "name": "language", "value": "nl"},
        {"event": "user", "text": "drie"},
        {"event": "user", "text": "vier"},
    ]
    t = tracker("vier", events=events)
    assert conversation_summary(t) == "twee | drie | vier"
    assert conversation_summary(t, max_messages=1) == "vier"
    assert conversation_summary(tracker("", events=[])) == ""


def test_a_paused_form_is_the_one_with_answers() -> None:
    assert paused_form(tracker("hallo")) is None
    # A skipped optional question is no answer: nothing to hand over yet.
    assert paused_form(tracker("nee", slots={"report_photo": SKIPPED})) is None
    paused = paused_form(tracker("x", slots={"complaint_what": "lang gewacht", "complaint_contact": "a@b.nl"}))
    assert paused is not None
    form, values = paused
    assert form.name == "complaint"
    assert values == {"what": "lang gewacht", "when": None, "desired_outcome": None, "contact": "a@b.nl"}


def test_routing_is_not_asked_about_an_empty_summary(store: ConversationStore, tmp_path) -> None:
    asked: list[str] = []
    install(store, RecordingAnswers(NOTHING), tmp_path, route=lambda text, **_: asked.append(text) or {"team": "afval"})
    assert routing_for("   ") == {}
    assert asked == []
    assert routing_for("container vol") == {"team": "afval"} and asked == ["container vol"]


# --- when a person is next available -------------------------------------------------------------


def test_the_next_opening_in_each_language() -> None:
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=AMSTERDAM)
    assert format_opening(monday, "nl") == "maandag 09.00 uur"
    assert format_opening(monday, "en") == "Monday 09:00"


def test_every_weekday_has_its_name() -> None:
    monday = datetime(2026, 11, 30, 13, 30, tzinfo=AMSTERDAM)
    week = [monday + timedelta(days=offset) for offset in range(7)]
    assert [format_opening(day, "nl").split()[0] for day in week] == [
        "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    ]  # fmt: skip
    assert [format_opening(day, "en") for day in week][-1] == "Sunday 13:30"
