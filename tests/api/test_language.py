from __future__ import annotations

import pytest

from api.services.language import detect_language, split_language_choice


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
