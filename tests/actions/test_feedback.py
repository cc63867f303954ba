"""A "no" saying the answer shown did not help: an apology, the request to ask it differently and
the offer of a person; any other "no" without an open offer: "what can I help you with?"."""

from __future__ import annotations

import pytest

from actions.feedback import ActionDeny, finds_the_answer_unhelpful
from tests.actions.conftest import PASSPORT_TOPIC, run, slot_events, tracker

SHOWN = {"last_topic": PASSPORT_TOPIC.to_json(), "human_offered": False}


@pytest.mark.parametrize(
    "text",
    ["dat klopt niet", "dat is niet wat ik vroeg", "ik snap het niet", "that's not what I asked", "this is wrong"],
)
def test_a_no_about_the_answer_shown_gets_an_apology_and_the_offer_of_a_person(text: str) -> None:
    dispatcher, events = run(ActionDeny(), tracker(text, intent="deny", slots=SHOWN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer_not_helpful"]
    assert slot_events(events)["human_offered"] is True  # "ja" now hands over


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("nee", SHOWN),  # a bare "no" after an answer says nothing about it
        ("no thanks", SHOWN),
        ("dat klopt niet", {"human_offered": False}),  # nothing was answered yet
    ],
)
def test_any_other_no_gets_what_can_i_help_you_with(text: str, slots: dict) -> None:
    dispatcher, events = run(ActionDeny(), tracker(text, intent="deny", slots=slots))
    assert [m["response"] for m in dispatcher.messages] == ["utter_how_can_i_help"]
    assert events == []


def test_the_phrases_are_matched_as_words_in_either_language() -> None:
    assert finds_the_answer_unhelpful("Dat KLOPT niet hoor", answered_before=True)
    assert finds_the_answer_unhelpful("that didn't help at all", answered_before=True)
    assert not finds_the_answer_unhelpful("dat klopt", answered_before=True)
    assert not finds_the_answer_unhelpful("dat klopt niet", answered_before=False)
