from __future__ import annotations

import pytest

from api.services.language import split_language_choice
from knowledge.languages import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wat kost een paspoort voor mijn dochter?", "nl"),
        ("Hoe geef ik mijn verhuizing door?", "nl"),
        ("How much does a passport cost?", "en"),
        ("I would like to talk to a person please", "en"),
        ("hoi", "nl"),
        ("hello", "en"),
    ],
)
def test_detects_dutch_and_english(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_too_little_evidence_keeps_the_previous_language() -> None:
    assert detect_language("ok", previous="en") == "en"
    assert detect_language("123", previous="en") == "en"


@pytest.mark.parametrize(
    "text", ["piet@example.nl", "06-12345678", "https://www.example.com/foto.jpg", "www.vlietstad.nl"]
)
def test_addresses_and_numbers_keep_the_previous_language(text: str) -> None:
    assert detect_language(text, previous="nl") == "nl"
    assert detect_language(text, previous="en") == "en"


def test_language_choice_prefix() -> None:
    assert split_language_choice("/en how much is a passport") == ("en", "how much is a passport")
    assert split_language_choice("/NL") == ("nl", "")
    assert split_language_choice("/next thing") == (None, "/next thing")
    assert split_language_choice("paspoort") == (None, "paspoort")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sorry, can you answer in English please?", "en"),
        ("english please", "en"),
        ("Do you speak English?", "en"),
        ("kunt u in het Nederlands antwoorden?", "nl"),
        ("Nederlands graag", "nl"),
        ("spreek je nederlands", "nl"),
    ],
)
def test_a_request_for_another_language_switches_it(text: str, language: str) -> None:
    assert split_language_choice(text) == (language, "")


@pytest.mark.parametrize(
    "text",
    [
        "how do I register a birth in English and Dutch forms",
        "is er een Engelse versie van het formulier",
        "can you translate my letter into English",
        "ik wil mijn paspoort aanvragen in het Nederlands consulaat",
    ],
)
def test_a_question_that_mentions_a_language_is_still_a_question(text: str) -> None:
    assert split_language_choice(text) == (None, text)
