"""What the bot says for a part an admin switched off, and that it asks at every turn."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.switches import is_off, refused
from api.services.chat_switches import SwitchState
from api.services.conversations import ConversationStore
from tests.actions.conftest import NOTHING, RecordingAnswers, install, switch_off, tracker


@pytest.mark.parametrize(("part", "response"), [("answers", "utter_answers_off"), ("forms", "utter_forms_off")])
def test_a_part_that_is_off_is_refused_with_the_contact_route_in_the_citizens_language(
    store: ConversationStore, tmp_path, part: str, response: str
) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    switch_off(services, part)
    dispatcher = CollectingDispatcher()
    assert refused(part, dispatcher, tracker("hello", language="en"))  # type: ignore[arg-type]
    [message] = dispatcher.messages
    assert message["response"] == response
    assert "14 0123" in message["contact_route"] and "Monday to Wednesday" in message["contact_route"]


def test_a_part_that_is_on_is_not_refused_and_nothing_is_said(store: ConversationStore, tmp_path) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    switch_off(services, "forms")
    dispatcher = CollectingDispatcher()
    assert not refused("answers", dispatcher, tracker("hallo"))
    assert dispatcher.messages == []


def test_the_state_is_asked_at_every_use(store: ConversationStore, tmp_path) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    states = iter([SwitchState(), SwitchState(answers=False)])
    services.switches = lambda: next(states)
    assert not is_off("answers")
    assert is_off("answers")
