"""Greetings and requests for help, and those that already name the subject of the question to come."""

from __future__ import annotations

from actions.greeting import ActionGreet, ActionHelp
from api.services.conversations import ConversationStore
from tests.actions.conftest import NOTHING, RecordingAnswers, install, run, slot_events, tracker


def test_a_greeting_is_greeted(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionGreet(), tracker("goedemorgen", intent="greet"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet"] and events == []
    assert answers.calls == []


def test_a_greeting_naming_the_subject_asks_what_about_it(store: ConversationStore, tmp_path) -> None:
    """ "hoi, vraagje over parkeren" taken for a greeting got the greeting only."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(ActionGreet(), tracker("hoi, vraagje over parkeren", intent="greet"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert dispatcher.messages[0]["subject"] == "parkeren"
    assert slot_events(events)["announced_subject"]


def test_a_request_for_help_gets_what_the_assistant_does(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionHelp(), tracker("wat kun je allemaal", intent="help"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_help"] and events == []
    assert answers.calls == []


def test_a_request_for_help_naming_the_subject_asks_what_about_it(store: ConversationStore, tmp_path) -> None:
    """ "vraagje over de woz", heard as a request for help, got the list of what the assistant does."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(ActionHelp(), tracker("vraagje over de woz", intent="help"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert dispatcher.messages[0]["subject"] == "de woz"
    assert slot_events(events)["announced_subject"]
