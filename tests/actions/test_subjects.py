"""Messages that only name the subject of the question to come (actions/subjects.py)."""

from __future__ import annotations

import pytest

from actions.dialogue_config import dialogue_config
from actions.subjects import AnnouncedSubject, announced_subject, pending_subject, said_back


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("ik heb een vraag over mijn afvalcontainer", "mijn afvalcontainer"),
        ("Hallo, ik heb een vraagje over de WOZ.", "de WOZ"),
        ("goedemorgen ik heb een vraag over parkeren", "parkeren"),
        ("vraag over bijstand?", "bijstand"),
        ("I have a question about my bin", "my bin"),
        ("Hi! Quick question about parking permits", "parking permits"),
        ("good morning, information about bulky waste please", "bulky waste"),
        ("informatie over de milieustraat graag!", "de milieustraat"),
    ],
)
def test_the_subject_after_an_opening_and_an_optional_greeting(text: str, subject: str) -> None:
    assert announced_subject(text, config=dialogue_config()) == subject


@pytest.mark.parametrize(
    "text",
    [
        "wat kost een paspoort",  # a question, no announcement
        "ik heb een vraag",  # no subject yet
        "ik heb een vraag over mijn paspoort, wat kost een nieuwe?",  # the question comes with it
        "ik heb een vraag over de kosten van het ophalen van grofvuil bij mij thuis in de wijk",  # too long
        "vraagteken over een woord",  # "vraag" must be a whole word
        "hallo",
        "het gaat om een boom van dertig centimeter",  # telling, not announcing
    ],
)
def test_no_subject_without_an_opening_or_with_a_question_of_its_own(text: str) -> None:
    assert announced_subject(text, config=dialogue_config()) is None


def test_the_subject_is_said_back_in_the_assistants_words() -> None:
    config = dialogue_config()
    assert said_back("mijn afvalcontainer", language="nl", config=config) == "uw afvalcontainer"
    assert said_back("onze kliko", language="nl", config=config) == "uw kliko"
    assert said_back("My bin", language="en", config=config) == "your bin"
    assert said_back("de WOZ", language="nl", config=config) == "de WOZ"


def test_a_subject_is_pending_for_the_next_message_only() -> None:
    mark = AnnouncedSubject("mijn afvalcontainer", message=1).to_json()  # named in the first message
    assert pending_subject(mark, 2) == "mijn afvalcontainer"
    assert pending_subject(mark, 3) is None  # a later message is on its own
    assert pending_subject(None, 2) is None
    assert pending_subject("not a mapping", 2) is None
    assert pending_subject({"text": "x"}, 2) is None
    assert pending_subject({"text": "x", "message": "one"}, 2) is None
